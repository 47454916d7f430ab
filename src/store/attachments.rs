//! A request's attachments as the database records them: the limit per request, and adding
//! one with its audit event.
use crate::auth::AuthUser;
use crate::error::{ApiError, ApiResult};
use crate::store::apply::Ctx;
use crate::store::audit::{self, NewEvent};
use entity::attachment;
use sea_orm::{ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter};

/// "at most 20 per request" (DESIGN §2).
pub const MAX_PER_REQUEST: u64 = 20;

/// A file already written to the attachments directory, as the database records it.
#[derive(Debug, Clone)]
pub struct StoredFile {
    pub filename: String,
    pub content_type: String,
    pub size_bytes: i64,
    pub sha256: String,
    pub storage_key: String,
}

/// A request holds at most `MAX_PER_REQUEST` files (all purposes together).
pub async fn check_room(db: &impl ConnectionTrait, request_id: i32) -> ApiResult<()> {
    let held = attachment::Entity::find().filter(attachment::Column::RequestId.eq(request_id)).count(db).await?;
    if held >= MAX_PER_REQUEST {
        return Err(ApiError::field(
            "file",
            format!("每张申请最多 {MAX_PER_REQUEST} 个附件，请先合并或删除"),
            format!("a request holds at most {MAX_PER_REQUEST} attachments"),
        ));
    }
    Ok(())
}

/// Records `file` as an attachment of the request, uploaded by `me` for `purpose` (the caller
/// has checked that they may). The limit is counted again under the audit lock, so two
/// uploads at the same time cannot both take the last place.
pub async fn add(ctx: Ctx<'_>, me: &AuthUser, request_id: i32, purpose: &str, file: &StoredFile) -> ApiResult<attachment::Model> {
    let (tx, mut cursor) = audit::begin(ctx.db).await?;
    check_room(&tx, request_id).await?;
    let a = attachment::ActiveModel {
        request_id: Set(request_id),
        filename: Set(file.filename.clone()),
        content_type: Set(file.content_type.clone()),
        size_bytes: Set(file.size_bytes),
        sha256: Set(file.sha256.clone()),
        storage_key: Set(file.storage_key.clone()),
        purpose: Set(purpose.to_owned()),
        uploaded_by: Set(me.id),
        created_at: Set(ctx.now),
        ..Default::default()
    }
    .insert(&tx)
    .await?;
    cursor
        .append(
            &tx,
            NewEvent {
                request_id: Some(request_id),
                after: Some(serde_json::json!({"attachment_id": a.id, "filename": a.filename, "sha256": a.sha256, "purpose": a.purpose})),
                ..NewEvent::by(me, crate::domain::audit::AuditAction::AttachmentAdd)
            },
            ctx.now,
        )
        .await?;
    tx.commit().await?;
    Ok(a)
}
