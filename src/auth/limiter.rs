//! Login throttling: per client address (429) and per username (423), counted the same
//! whether or not the username exists, so the answers reveal nothing about accounts.
use crate::config::LoginLimits;
use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Mutex;
use std::time::{Duration, Instant};

#[derive(Debug, Clone, Copy)]
struct Window {
    failures: u32,
    started: Instant,
    locked_until: Option<Instant>,
}

#[derive(Debug)]
pub struct LoginLimiter {
    limits: LoginLimits,
    by_ip: Mutex<HashMap<IpAddr, Window>>,
    by_account: Mutex<HashMap<String, Window>>,
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

/// Above this many tracked keys, expired entries are swept so memory stays bounded.
const SWEEP_AT: usize = 10_000;

impl LoginLimiter {
    pub fn new(limits: LoginLimits) -> LoginLimiter {
        LoginLimiter { limits, by_ip: Mutex::default(), by_account: Mutex::default() }
    }

    fn account_key(username: &str) -> String {
        username.trim().to_lowercase()
    }

    pub fn check(&self, ip: IpAddr, username: &str) -> Verdict {
        let now = Instant::now();
        if let Some(w) = self.by_ip.lock().unwrap_or_else(|e| e.into_inner()).get(&ip)
            && let Some(until) = w.locked_until
            && until > now
        {
            return Verdict::IpThrottled(until - now);
        }
        if let Some(w) = self.by_account.lock().unwrap_or_else(|e| e.into_inner()).get(&Self::account_key(username))
            && let Some(until) = w.locked_until
            && until > now
        {
            return Verdict::AccountLocked(until - now);
        }
        Verdict::Allowed
    }

    pub fn record_failure(&self, ip: IpAddr, username: &str) -> Failure {
        let now = Instant::now();
        let l = &self.limits;
        let ip_throttled =
            bump(&mut self.by_ip.lock().unwrap_or_else(|e| e.into_inner()), ip, now, l.ip_window, l.max_failures_per_ip, l.ip_window);
        let account_locked = bump(
            &mut self.by_account.lock().unwrap_or_else(|e| e.into_inner()),
            Self::account_key(username),
            now,
            l.account_lockout,
            l.max_failures_per_account,
            l.account_lockout,
        );
        Failure { ip_throttled, account_locked }
    }

    pub fn record_success(&self, username: &str) {
        self.by_account.lock().unwrap_or_else(|e| e.into_inner()).remove(&Self::account_key(username));
    }
}

/// Counts one failure; true when this one started a lock.
fn bump<K: std::hash::Hash + Eq>(
    map: &mut HashMap<K, Window>,
    key: K,
    now: Instant,
    window: Duration,
    max: u32,
    lock_for: Duration,
) -> bool {
    if map.len() >= SWEEP_AT {
        map.retain(|_, w| now.duration_since(w.started) < window || w.locked_until.is_some_and(|u| u > now));
    }
    let w = map.entry(key).or_insert(Window { failures: 0, started: now, locked_until: None });
    let lock_over = w.locked_until.is_some_and(|u| u <= now);
    if now.duration_since(w.started) >= window || lock_over {
        *w = Window { failures: 0, started: now, locked_until: None };
    }
    w.failures += 1;
    let locking = w.failures >= max && w.locked_until.is_none();
    if w.failures >= max {
        w.locked_until = Some(now + lock_for);
    }
    locking
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_account_locks_after_its_limit_whether_or_not_it_exists() {
        let limiter = LoginLimiter::new(LoginLimits { max_failures_per_account: 3, ..LoginLimits::default() });
        let ip: IpAddr = [127, 0, 0, 1].into();
        for _ in 0..2 {
            assert!(!limiter.record_failure(ip, "Nobody").account_locked);
            assert!(matches!(limiter.check(ip, "nobody"), Verdict::Allowed));
        }
        assert!(limiter.record_failure(ip, "nobody").account_locked);
        assert!(matches!(limiter.check(ip, "NOBODY"), Verdict::AccountLocked(_)));
        assert!(matches!(limiter.check(ip, "someone-else"), Verdict::Allowed));
    }
}
