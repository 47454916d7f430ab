//! The in-app inbox and the outbox (group robot, e-mail). Notifications are written in the same
//! transaction as the change they announce; a (user, dedupe_key) pair is unique, so a
//! reminder created by a job that runs twice exists once.
use crate::domain::mail::{Language, NoticeText, RequestFacts, Robot, render_email, robot_payload};
use crate::domain::roles::{Role, RoleSet};
use chrono::{DateTime, Utc};
use entity::{notification, outbox, request, user};
use sea_orm::{ActiveValue::Set, ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter, sea_query::OnConflict};

#[derive(Debug, Clone)]
pub struct Notice {
    pub kind: &'static str,
    pub title: String,
    pub body: String,
    pub request_id: Option<i32>,
    /// Identifies the occasion; the same user never gets the same key twice.
    pub dedupe_key: String,
}

/// Where notifications go besides the inbox, as the running instance is configured.
#[derive(Debug, Clone, Copy, Default)]
pub struct Channels<'a> {
    /// The group robot's URL (its host tells WeCom from DingTalk).
    pub webhook: Option<&'a str>,
    /// E-mail is configured; the link base for e-mails.
    pub email: bool,
    pub public_url: Option<&'a str>,
}

impl<'a> Channels<'a> {
    pub fn of(config: &'a crate::config::Config) -> Channels<'a> {
        Channels {
            webhook: config.webhook_url.as_deref(),
            email: config.smtp_url.is_some(),
            public_url: Some(config.sso.public_url.as_str()),
        }
    }
}

/// Sends `notice` to each user; returns how many new notifications were created.
/// Each new notice is also queued in the outbox, in the same transaction: for the group
/// robot when one is configured (mentioning the person by phone), and as an e-mail to a
/// person with an address who has not turned e-mail off.
pub async fn notify(
    db: &impl ConnectionTrait,
    users: &[i32],
    notice: &Notice,
    channels: Channels<'_>,
    now: DateTime<Utc>,
) -> Result<u64, DbErr> {
    let mut created = 0;
    let mut seen = std::collections::HashSet::new();
    let mut facts: Option<Option<RequestFacts>> = None;
    for &uid in users {
        if !seen.insert(uid) {
            continue;
        }
        let n = notification::Entity::insert(notification::ActiveModel {
            user_id: Set(uid),
            kind: Set(notice.kind.to_owned()),
            title: Set(notice.title.clone()),
            body: Set(notice.body.clone()),
            request_id: Set(notice.request_id),
            dedupe_key: Set(notice.dedupe_key.clone()),
            read_at: Set(None),
            created_at: Set(now),
            ..Default::default()
        })
        .on_conflict(OnConflict::columns([notification::Column::UserId, notification::Column::DedupeKey]).do_nothing().to_owned())
        .exec_without_returning(db)
        .await?;
        created += n;
        if n == 0 || (channels.webhook.is_none() && !channels.email) {
            continue;
        }
        let Some(person) = user::Entity::find_by_id(uid).one(db).await? else { continue };
        if let Some(url) = channels.webhook {
            let content = format!("【verifund】{}：{}（{}）", notice.title, notice.body, person.display_name);
            let payload = robot_payload(Robot::of_url(url), &content, person.phone.as_deref());
            enqueue(db, "webhook", payload.to_string(), now).await?;
        }
        let address = person.email.as_deref().map(str::trim).filter(|e| !e.is_empty());
        if let Some(to) = address.filter(|_| channels.email && person.email_notifications && !person.disabled) {
            if facts.is_none() {
                facts = Some(request_facts(db, notice.request_id).await?);
            }
            let text = NoticeText { kind: notice.kind, title: &notice.title, body: &notice.body };
            let email =
                render_email(to, Language::from_db(&person.language), text, facts.as_ref().and_then(Option::as_ref), channels.public_url);
            let payload = serde_json::to_string(&email).map_err(|e| DbErr::Custom(e.to_string()))?;
            enqueue(db, "email", payload, now).await?;
        }
    }
    Ok(created)
}

async fn request_facts(db: &impl ConnectionTrait, id: Option<i32>) -> Result<Option<RequestFacts>, DbErr> {
    let Some(id) = id else { return Ok(None) };
    Ok(request::Entity::find_by_id(id).one(db).await?.map(|r| RequestFacts {
        id: r.id,
        number: r.number,
        title: r.title,
        amount_fen: r.amount_fen,
    }))
}

async fn enqueue(db: &impl ConnectionTrait, kind: &str, payload: String, now: DateTime<Utc>) -> Result<(), DbErr> {
    outbox::Entity::insert(outbox::ActiveModel {
        kind: Set(kind.to_owned()),
        payload: Set(payload),
        attempts: Set(0),
        next_attempt_at: Set(now),
        delivered_at: Set(None),
        claimed_until: Set(None),
        last_error: Set(None),
        created_at: Set(now),
        ..Default::default()
    })
    .exec_without_returning(db)
    .await?;
    Ok(())
}

/// Active users holding `role`.
pub async fn users_with_role(db: &impl ConnectionTrait, role: Role) -> Result<Vec<i32>, DbErr> {
    Ok(user::Entity::find()
        .filter(user::Column::Disabled.eq(false))
        .filter(user::Column::Roles.contains(role.as_str()))
        .all(db)
        .await?
        .into_iter()
        .filter(|u| RoleSet::from_db(&u.roles).has(role))
        .map(|u| u.id)
        .collect())
}
