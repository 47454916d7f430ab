//! The in-app inbox and the webhook outbox. Notifications are written in the same
//! transaction as the change they announce; a (user, dedupe_key) pair is unique, so a
//! reminder created by a job that runs twice exists once.
use crate::domain::roles::{Role, RoleSet};
use chrono::{DateTime, Utc};
use entity::{notification, outbox, user};
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

/// Sends `notice` to each user; returns how many new notifications were created.
/// When a webhook is configured, each new notice is also queued for delivery.
pub async fn notify(db: &impl ConnectionTrait, users: &[i32], notice: &Notice, webhook: bool, now: DateTime<Utc>) -> Result<u64, DbErr> {
    let mut created = 0;
    let mut seen = std::collections::HashSet::new();
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
        if n > 0 && webhook {
            let who = user::Entity::find_by_id(uid).one(db).await?.map(|u| u.display_name).unwrap_or_default();
            let payload = serde_json::json!({
                "msgtype": "text",
                "text": { "content": format!("【verifund】{}：{}（{}）", notice.title, notice.body, who) },
            });
            outbox::Entity::insert(outbox::ActiveModel {
                kind: Set("webhook".into()),
                payload: Set(payload.to_string()),
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
        }
    }
    Ok(created)
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
