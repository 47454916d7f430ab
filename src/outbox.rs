//! Delivers queued webhook messages (WeCom / DingTalk group robots) with retries and
//! exponential backoff. Messages live in the database, so a restart loses nothing; a claim
//! with a deadline lets several instances share the queue without sending twice.
use chrono::{DateTime, Duration, Utc};
use entity::outbox;
use hmac::{Hmac, Mac};
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, Condition, DatabaseConnection, DbErr, EntityTrait, QueryFilter, QueryOrder, QuerySelect};
use sha2::Sha256;

/// After this many failed attempts a message is given up (kept, with its last error).
pub const MAX_ATTEMPTS: i32 = 12;

/// 30 s, 1 min, 2 min, … capped at one hour.
pub fn backoff(attempts: i32) -> Duration {
    let secs = 30i64.saturating_mul(1i64 << attempts.clamp(0, 20));
    Duration::seconds(secs.min(3600))
}

/// DingTalk's 加签: `timestamp\nsecret` signed with HMAC-SHA256, base64, URL-encoded.
pub fn signed_url(url: &str, secret: Option<&str>, now: DateTime<Utc>) -> String {
    let Some(secret) = secret else { return url.to_owned() };
    use base64::Engine;
    let ts = now.timestamp_millis();
    let Ok(mut mac) = Hmac::<Sha256>::new_from_slice(secret.as_bytes()) else { return url.to_owned() };
    mac.update(format!("{ts}\n{secret}").as_bytes());
    let sign = base64::engine::general_purpose::STANDARD.encode(mac.finalize().into_bytes());
    let encoded: String = form_urlencoded::byte_serialize(sign.as_bytes()).collect();
    let sep = if url.contains('?') { '&' } else { '?' };
    format!("{url}{sep}timestamp={ts}&sign={encoded}")
}

#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct DeliveryReport {
    pub delivered: u32,
    pub failed: u32,
}

/// Sends every message that is due now; returns what happened.
pub async fn deliver_due(
    db: &DatabaseConnection,
    client: &reqwest::Client,
    url: &str,
    secret: Option<&str>,
    now: DateTime<Utc>,
) -> Result<DeliveryReport, DbErr> {
    let due = outbox::Entity::find()
        .filter(outbox::Column::DeliveredAt.is_null())
        .filter(outbox::Column::Attempts.lt(MAX_ATTEMPTS))
        .filter(outbox::Column::NextAttemptAt.lte(now))
        .filter(Condition::any().add(outbox::Column::ClaimedUntil.is_null()).add(outbox::Column::ClaimedUntil.lt(now)))
        .order_by_asc(outbox::Column::Id)
        .limit(50)
        .all(db)
        .await?;
    let mut report = DeliveryReport::default();
    for msg in due {
        // Claim it: only one worker can move `claimed_until` from what it read.
        let claim = outbox::Entity::update_many()
            .col_expr(outbox::Column::ClaimedUntil, Expr::value(now + Duration::seconds(60)))
            .filter(outbox::Column::Id.eq(msg.id))
            .filter(outbox::Column::DeliveredAt.is_null())
            .filter(match msg.claimed_until {
                Some(t) => Condition::all().add(outbox::Column::ClaimedUntil.eq(t)),
                None => Condition::all().add(outbox::Column::ClaimedUntil.is_null()),
            })
            .exec(db)
            .await?;
        if claim.rows_affected != 1 {
            continue;
        }
        let result = send(client, &signed_url(url, secret, now), &msg.payload).await;
        let update = outbox::Entity::update_many().filter(outbox::Column::Id.eq(msg.id));
        match result {
            Ok(()) => {
                update.col_expr(outbox::Column::DeliveredAt, Expr::value(now)).exec(db).await?;
                report.delivered += 1;
            }
            Err(e) => {
                let attempts = msg.attempts + 1;
                update
                    .col_expr(outbox::Column::Attempts, Expr::value(attempts))
                    .col_expr(outbox::Column::NextAttemptAt, Expr::value(now + backoff(attempts - 1)))
                    .col_expr(outbox::Column::ClaimedUntil, Expr::value(Option::<DateTime<Utc>>::None))
                    .col_expr(outbox::Column::LastError, Expr::value(e.chars().take(500).collect::<String>()))
                    .exec(db)
                    .await?;
                report.failed += 1;
            }
        }
    }
    Ok(report)
}

/// A robot answers 200 with `errcode: 0`; anything else is a failure worth retrying.
async fn send(client: &reqwest::Client, url: &str, payload: &str) -> Result<(), String> {
    let res = client
        .post(url)
        .header("content-type", "application/json")
        .body(payload.to_owned())
        .timeout(std::time::Duration::from_secs(10))
        .send()
        .await
        .map_err(|e| format!("request failed: {e}"))?;
    let status = res.status();
    let body = res.text().await.unwrap_or_default();
    if !status.is_success() {
        return Err(format!("HTTP {status}: {}", body.chars().take(200).collect::<String>()));
    }
    match serde_json::from_str::<serde_json::Value>(&body).ok().and_then(|v| v.get("errcode").and_then(|c| c.as_i64())) {
        Some(0) | None => Ok(()),
        Some(code) => Err(format!("robot refused the message: errcode {code}: {body}")),
    }
}

pub fn spawn_worker(state: crate::app::AppState) {
    let Some(url) = state.config.webhook_url.clone() else { return };
    tokio::spawn(async move {
        let client = reqwest::Client::new();
        let mut tick = tokio::time::interval(std::time::Duration::from_secs(5));
        loop {
            tick.tick().await;
            if let Err(e) = deliver_due(&state.db, &client, &url, state.config.webhook_secret.as_deref(), state.clock.now()).await {
                tracing::warn!(error = %e, "outbox delivery failed");
            }
        }
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_and_is_capped_at_an_hour() {
        assert_eq!(backoff(0), Duration::seconds(30));
        assert_eq!(backoff(1), Duration::seconds(60));
        assert_eq!(backoff(3), Duration::seconds(240));
        assert_eq!(backoff(40), Duration::seconds(3600));
    }

    #[test]
    fn a_robot_secret_adds_timestamp_and_signature() {
        let at = DateTime::from_timestamp_millis(1_700_000_000_000).unwrap();
        let url = signed_url("https://oapi.example/robot/send?access_token=t", Some("SECxyz"), at);
        assert!(url.starts_with("https://oapi.example/robot/send?access_token=t&timestamp=1700000000000&sign="));
        assert_eq!(signed_url("http://x/y", None, at), "http://x/y");
    }
}
