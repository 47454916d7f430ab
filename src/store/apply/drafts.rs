//! The draft's own life around the one path: creating, deleting, commenting.
use super::{Ctx, summary};
use crate::auth::AuthUser;
use crate::domain::workflow::Status;
use crate::error::ApiResult;
use crate::store::audit::{self, AuditAction, NewEvent};
use crate::store::notify::{Notice, notify};
use crate::store::requests::conflict_after_race;
use entity::request;
use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, QueryFilter};

/// Creates a draft: the row, its audit event and the registry follow-up, in one transaction.
pub async fn create(ctx: Ctx<'_>, me: &AuthUser, draft: request::ActiveModel) -> ApiResult<request::Model> {
    let (tx, mut cursor) = audit::begin(ctx.db).await?;
    let m = draft.insert(&tx).await?;
    cursor
        .append(
            &tx,
            NewEvent {
                request_id: Some(m.id),
                after: Some(summary(&m)),
                drafts_only: m.status == Status::Draft.as_str(),
                ..NewEvent::by(me, AuditAction::Create)
            },
            ctx.now,
        )
        .await?;
    crate::store::mini_programs::follow_request(&tx, &mut cursor, &m, (Some(me.id), &me.display_name), ctx.now).await?;
    tx.commit().await?;
    Ok(m)
}

/// Deletes a draft that was never submitted, with its attachment rows, if it is still at the
/// version the caller saw. Returns the attachments whose stored files the caller removes.
pub async fn delete_draft(ctx: Ctx<'_>, me: &AuthUser, current: request::Model) -> ApiResult<Vec<entity::attachment::Model>> {
    use entity::attachment;
    let files = attachment::Entity::find().filter(attachment::Column::RequestId.eq(current.id)).all(ctx.db).await?;
    let (tx, mut cursor) = audit::begin(ctx.db).await?;
    attachment::Entity::delete_many().filter(attachment::Column::RequestId.eq(current.id)).exec(&tx).await?;
    let deleted = request::Entity::delete_many()
        .filter(request::Column::Id.eq(current.id))
        .filter(request::Column::Version.eq(current.version))
        .filter(request::Column::Status.eq(Status::Draft.as_str()))
        .exec(&tx)
        .await?;
    if deleted.rows_affected != 1 {
        drop(tx);
        drop(cursor);
        return Err(conflict_after_race(ctx.db, &current, "delete").await?);
    }
    cursor
        .append(
            &tx,
            NewEvent {
                request_id: Some(current.id),
                before: Some(summary(&current)),
                drafts_only: true,
                ..NewEvent::by(me, AuditAction::Delete)
            },
            ctx.now,
        )
        .await?;
    tx.commit().await?;
    Ok(files)
}

/// A comment without acting: its audit event and the notices to the people it mentions.
pub async fn comment(ctx: Ctx<'_>, me: &AuthUser, m: &request::Model, text: &str, mentioned: &[i32]) -> ApiResult<()> {
    let (tx, mut cursor) = audit::begin(ctx.db).await?;
    let ev = cursor
        .append(
            &tx,
            NewEvent {
                request_id: Some(m.id),
                comment: Some(text.to_owned()),
                after: Some(serde_json::json!({"status": m.status, "version": m.version, "mentioned_user_ids": mentioned})),
                ..NewEvent::by(me, AuditAction::Comment)
            },
            ctx.now,
        )
        .await?;
    let notice = Notice {
        kind: "mention",
        title: format!("{} 在审批单中提到了您", me.display_name),
        body: format!("{} {}：{}", m.number.as_deref().unwrap_or(""), m.title, text.chars().take(200).collect::<String>()),
        request_id: Some(m.id),
        dedupe_key: format!("mention:{}:{}", m.id, ev.seq),
    };
    notify(&tx, mentioned, &notice, ctx.channels(), ctx.now).await?;
    tx.commit().await?;
    Ok(())
}
