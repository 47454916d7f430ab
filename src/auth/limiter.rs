//! Login throttling: per client address (429) and per username (423), counted the same
//! whether or not the username exists, so the answers reveal nothing about accounts.
//!
//! The counters live in the database (`login_throttles`), each failure one atomic upsert, so
//! several instances behind a load balancer count together: failures spread over them lock
//! the account exactly as failures on one would.
use crate::config::LoginLimits;
use crate::db::stmt;
use chrono::{DateTime, Utc};
use sea_orm::{ConnectionTrait, DbErr, Value};
use std::net::IpAddr;
use std::time::Duration;

#[derive(Debug)]
pub struct LoginLimiter {
    limits: LoginLimits,
}

/// What one more failure did: each is true only for the failure that started the lock.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Failure {
    pub ip_throttled: bool,
    pub account_locked: bool,
}

pub enum Verdict {
    Allowed,
    IpThrottled(Duration),
    AccountLocked(Duration),
}

fn ip_key(ip: IpAddr) -> String {
    format!("ip:{ip}")
}

fn account_key(username: &str) -> String {
    // PostgreSQL text cannot hold a NUL; no real username has one (they are refused), but a
    // typed-in one must still be counted, not become a server error.
    let name: String = username.trim().to_lowercase().chars().take(150).map(|c| if c == '\0' { '\u{fffd}' } else { c }).collect();
    format!("user:{name}")
}

fn ms(d: Duration) -> i64 {
    i64::try_from(d.as_millis()).unwrap_or(i64::MAX / 4)
}

impl LoginLimiter {
    pub fn new(limits: LoginLimits) -> LoginLimiter {
        LoginLimiter { limits }
    }

    pub async fn check(&self, db: &impl ConnectionTrait, ip: IpAddr, username: &str, now: DateTime<Utc>) -> Result<Verdict, DbErr> {
        let now = now.timestamp_millis();
        let until = |key: String| async move {
            let row = db
                .query_one_raw(stmt(
                    db.get_database_backend(),
                    "SELECT locked_until_ms FROM login_throttles WHERE key = $1",
                    vec![key.into()],
                ))
                .await?;
            Ok::<_, DbErr>(match row {
                Some(r) => r.try_get::<Option<i64>>("", "locked_until_ms")?.filter(|u| *u > now),
                None => None,
            })
        };
        if let Some(u) = until(ip_key(ip)).await? {
            return Ok(Verdict::IpThrottled(Duration::from_millis((u - now) as u64)));
        }
        if let Some(u) = until(account_key(username)).await? {
            return Ok(Verdict::AccountLocked(Duration::from_millis((u - now) as u64)));
        }
        Ok(Verdict::Allowed)
    }

    pub async fn record_failure(
        &self,
        db: &impl ConnectionTrait,
        ip: IpAddr,
        username: &str,
        now: DateTime<Utc>,
    ) -> Result<Failure, DbErr> {
        let l = &self.limits;
        let now = now.timestamp_millis();
        let ip_throttled = bump(db, ip_key(ip), now, ms(l.ip_window), l.max_failures_per_ip, ms(l.ip_window)).await?;
        let account_locked =
            bump(db, account_key(username), now, ms(l.account_lockout), l.max_failures_per_account, ms(l.account_lockout)).await?;
        // Now and then, forget windows that are over, so the table stays small.
        if rand::random::<u8>() < 4 {
            let horizon = now - ms(l.ip_window).max(ms(l.account_lockout));
            db.execute_raw(stmt(
                db.get_database_backend(),
                "DELETE FROM login_throttles WHERE started_ms < $1 AND (locked_until_ms IS NULL OR locked_until_ms < $2)",
                vec![horizon.into(), now.into()],
            ))
            .await?;
        }
        Ok(Failure { ip_throttled, account_locked })
    }

    pub async fn record_success(&self, db: &impl ConnectionTrait, username: &str) -> Result<(), DbErr> {
        db.execute_raw(stmt(db.get_database_backend(), "DELETE FROM login_throttles WHERE key = $1", vec![account_key(username).into()]))
            .await?;
        Ok(())
    }
}

/// Counts one failure in one statement (a window that is over, or a lock that has ended,
/// starts again at one); true when this failure started a lock. Every expression on the
/// right of `SET` reads the row as it was, on both databases.
async fn bump(db: &impl ConnectionTrait, key: String, now: i64, window: i64, max: u32, lock_for: i64) -> Result<bool, DbErr> {
    let max = i64::from(max.max(1));
    let reset =
        "(? - login_throttles.started_ms >= ? OR (login_throttles.locked_until_ms IS NOT NULL AND login_throttles.locked_until_ms <= ?))";
    let sql = format!(
        "INSERT INTO login_throttles (key, failures, started_ms, locked_until_ms) \
         VALUES (?, 1, ?, CASE WHEN 1 >= ? THEN ? ELSE NULL END) \
         ON CONFLICT (key) DO UPDATE SET \
           failures = CASE WHEN {reset} THEN 1 ELSE login_throttles.failures + 1 END, \
           started_ms = CASE WHEN {reset} THEN ? ELSE login_throttles.started_ms END, \
           locked_until_ms = CASE WHEN (CASE WHEN {reset} THEN 1 ELSE login_throttles.failures + 1 END) >= ? THEN ? \
                                  WHEN {reset} THEN NULL ELSE login_throttles.locked_until_ms END \
         RETURNING failures"
    );
    let r = |v: &mut Vec<Value>| v.extend([now.into(), window.into(), now.into()]);
    let mut values: Vec<Value> = vec![key.into(), now.into(), max.into(), (now + lock_for).into()];
    r(&mut values);
    r(&mut values);
    values.push(now.into());
    r(&mut values);
    values.extend([max.into(), (now + lock_for).into()]);
    r(&mut values);
    let backend = db.get_database_backend();
    let sql = if backend == sea_orm::DatabaseBackend::Postgres { numbered(&sql) } else { sql };
    let row = db
        .query_one_raw(sea_orm::Statement::from_sql_and_values(backend, sql, values))
        .await?
        .ok_or_else(|| DbErr::Custom("the throttle upsert returned no row".into()))?;
    let failures: i32 = row.try_get("", "failures")?;
    Ok(i64::from(failures) == max)
}

/// `?, ?, …` → `$1, $2, …`.
fn numbered(sql: &str) -> String {
    let mut n = 0;
    sql.chars()
        .map(|c| {
            if c == '?' {
                n += 1;
                format!("${n}")
            } else {
                c.to_string()
            }
        })
        .collect()
}
