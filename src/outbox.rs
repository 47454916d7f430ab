//! Delivers queued messages — group robot webhooks (WeCom / DingTalk) and e-mails — with
//! retries and exponential backoff. Messages live in the database, so a restart loses nothing; a claim
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

/// The group robot messages go to.
#[derive(Debug, Clone)]
pub struct Webhook {
    pub client: reqwest::Client,
    pub url: String,
    /// DingTalk 加签.
    pub secret: Option<String>,
}

impl Webhook {
    pub fn new(url: impl Into<String>, secret: Option<String>) -> Webhook {
        Webhook { client: reqwest::Client::new(), url: url.into(), secret }
    }
}

/// The SMTP server e-mails go through.
#[derive(Clone)]
pub struct Mailer {
    transport: lettre::AsyncSmtpTransport<lettre::Tokio1Executor>,
    from: lettre::message::Mailbox,
}

impl Mailer {
    /// `smtp://` (plain, for a relay on the same host), `smtp+starttls://` (STARTTLS required)
    /// or `smtps://` (TLS from the start); `user:password@` in the URL when the server wants it.
    pub fn new(url: &str, from: &str) -> anyhow::Result<Mailer> {
        use anyhow::Context;
        let url = url.trim();
        let lettre_url = match url.strip_prefix("smtp+starttls://") {
            Some(rest) => format!("smtp://{rest}{}tls=required", if rest.contains('?') { '&' } else { '?' }),
            None if url.starts_with("smtp://") || url.starts_with("smtps://") => url.to_owned(),
            None => anyhow::bail!("VERIFUND_SMTP_URL must start with smtp://, smtp+starttls:// or smtps://"),
        };
        let transport = lettre::AsyncSmtpTransport::<lettre::Tokio1Executor>::from_url(&lettre_url)
            .context("VERIFUND_SMTP_URL is not a valid SMTP URL")?
            .timeout(Some(std::time::Duration::from_secs(15)))
            .build();
        let from = from.parse().context("VERIFUND_MAIL_FROM is not an e-mail address (e.g. verifund <noreply@example.com>)")?;
        Ok(Mailer { transport, from })
    }

    async fn send(&self, payload: &str) -> Result<(), String> {
        use lettre::AsyncTransport;
        let email: crate::domain::mail::Email = serde_json::from_str(payload).map_err(|e| format!("unreadable e-mail: {e}"))?;
        let to = email.to.parse().map_err(|e| format!("bad recipient {}: {e}", email.to))?;
        let message = lettre::Message::builder()
            .from(self.from.clone())
            .to(to)
            .subject(email.subject)
            .header(lettre::message::header::ContentType::TEXT_PLAIN)
            .body(email.body)
            .map_err(|e| format!("cannot build the e-mail: {e}"))?;
        self.transport.send(message).await.map(|_| ()).map_err(|e| format!("SMTP: {e}"))
    }
}

/// Where each kind of message goes; a kind without a sender waits in the outbox.
#[derive(Clone, Default)]
pub struct Senders {
    pub webhook: Option<Webhook>,
    pub mail: Option<Mailer>,
}

impl Senders {
    pub fn from_config(config: &crate::config::Config) -> anyhow::Result<Senders> {
        let mail = match &config.smtp_url {
            Some(url) => {
                let Some(from) = config.mail_from.as_deref() else {
                    anyhow::bail!("VERIFUND_SMTP_URL is set but VERIFUND_MAIL_FROM is not: e-mails need a sender address");
                };
                Some(Mailer::new(url, from)?)
            }
            None => None,
        };
        Ok(Senders { webhook: config.webhook_url.as_ref().map(|u| Webhook::new(u.clone(), config.webhook_secret.clone())), mail })
    }

    fn kinds(&self) -> Vec<&'static str> {
        let mut kinds = Vec::new();
        if self.webhook.is_some() {
            kinds.push("webhook");
        }
        if self.mail.is_some() {
            kinds.push("email");
        }
        kinds
    }

    async fn send(&self, kind: &str, payload: &str, now: DateTime<Utc>) -> Result<(), String> {
        match (kind, &self.webhook, &self.mail) {
            ("webhook", Some(w), _) => send(&w.client, &signed_url(&w.url, w.secret.as_deref(), now), payload).await,
            ("email", _, Some(m)) => m.send(payload).await,
            _ => Err(format!("no sender for {kind}")),
        }
    }
}

/// Sends every message that is due now and has a sender; returns what happened.
pub async fn deliver_due(db: &DatabaseConnection, senders: &Senders, now: DateTime<Utc>) -> Result<DeliveryReport, DbErr> {
    let kinds = senders.kinds();
    if kinds.is_empty() {
        return Ok(DeliveryReport::default());
    }
    let due = outbox::Entity::find()
        .filter(outbox::Column::Kind.is_in(kinds))
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
        let result = senders.send(&msg.kind, &msg.payload, now).await;
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
    let senders = match Senders::from_config(&state.config) {
        Ok(s) if s.webhook.is_some() || s.mail.is_some() => s,
        Ok(_) => return,
        Err(e) => {
            tracing::error!(error = %e, "the outbox cannot send: check the configuration");
            return;
        }
    };
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(std::time::Duration::from_secs(5));
        loop {
            tick.tick().await;
            if let Err(e) = deliver_due(&state.db, &senders, state.clock.now()).await {
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
