//! Attachments: screenshots of Tencent's payment page, bank receipts. The content is checked
//! (not just the name), the file is stored under a server-generated name, and its SHA-256 kept.
use crate::app::AppState;
use crate::auth::AuthUser;
use crate::domain::roles::Role;
use crate::domain::workflow::Status;
use crate::error::{ApiError, ApiResult, Msg};
use crate::http::extract::{Json, Path};
use crate::store::attachments::{self, StoredFile, check_room};
use crate::store::requests::{find_visible, status_of};
use crate::upload::{Upload, file_response, multipart_of, read_upload, store_file};
use axum::extract::{DefaultBodyLimit, Request, State};
use axum::http::StatusCode;
use axum::response::Response;
use chrono::{DateTime, Utc};
use entity::attachment;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder};
use serde::Serialize;
use sha2::{Digest, Sha256};
use utoipa_axum::{router::OpenApiRouter, routes};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(upload_attachment, list_attachments))
        .routes(routes!(download_attachment))
        .layer(DefaultBodyLimit::max(crate::upload::TRANSPORT_CAP))
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct AttachmentView {
    pub id: i32,
    pub request_id: i32,
    pub filename: String,
    pub content_type: String,
    pub size_bytes: i64,
    pub sha256: String,
    /// `general`, `payout_receipt` or `refund_receipt`.
    pub purpose: String,
    pub uploaded_by: i32,
    pub created_at: DateTime<Utc>,
}

impl From<attachment::Model> for AttachmentView {
    fn from(a: attachment::Model) -> Self {
        AttachmentView {
            id: a.id,
            request_id: a.request_id,
            filename: a.filename,
            content_type: a.content_type,
            size_bytes: a.size_bytes,
            sha256: a.sha256,
            purpose: a.purpose,
            uploaded_by: a.uploaded_by,
            created_at: a.created_at,
        }
    }
}

pub async fn list_models(state: &AppState, request_id: i32) -> ApiResult<Vec<attachment::Model>> {
    Ok(attachment::Entity::find()
        .filter(attachment::Column::RequestId.eq(request_id))
        .order_by_asc(attachment::Column::Id)
        .all(&state.db)
        .await?)
}

pub async fn list_for(state: &AppState, request_id: i32) -> ApiResult<Vec<AttachmentView>> {
    Ok(list_models(state, request_id).await?.into_iter().map(AttachmentView::from).collect())
}

/// Upload an attachment (multipart: `file`, optional `purpose`). The requester may upload
/// while the request is editable; finance may add payout/refund receipts once approved.
#[utoipa::path(post, path = "/requests/{id}/attachments", tag = "attachments", security(("bearer" = [])),
    params(("id" = i32, Path)),
    request_body(content_type = "multipart/form-data", description = "`file`: pdf, png, jpg or xlsx; `purpose`: general | payout_receipt | refund_receipt"),
    responses((status = 201, body = AttachmentView), (status = 403, body = crate::error::ProblemBody),
              (status = 404, body = crate::error::ProblemBody), (status = 413, body = crate::error::ProblemBody),
              (status = 422, body = crate::error::ProblemBody)))]
async fn upload_attachment(
    State(state): State<AppState>,
    me: AuthUser,
    Path(id): Path<i32>,
    body: Request,
) -> ApiResult<(StatusCode, Json<AttachmentView>)> {
    let req = find_visible(&state.db, &me, id).await?;
    let multipart = multipart_of(body, &state).await?;
    let status = status_of(&req);
    // Refused before the body is read; counted again under the write lock below.
    check_room(&state.db, id).await?;
    let upload = read_upload(&state, multipart).await?;
    let purpose = upload.purpose.clone().unwrap_or_else(|| "general".to_owned());
    let allowed = match purpose.as_str() {
        "general" => me.id == req.requester_id && status.is_editable(),
        "payout_receipt" => me.has(Role::Finance) && matches!(status, Status::Approved | Status::Paid | Status::Closed),
        "refund_receipt" => me.has(Role::Finance) && matches!(status, Status::Paid | Status::Refunded),
        _ => {
            return Err(ApiError::field(
                "purpose",
                "用途须为 general、payout_receipt 或 refund_receipt",
                "purpose must be general, payout_receipt or refund_receipt",
            ));
        }
    };
    if !allowed {
        return Err(ApiError::Forbidden(Msg::new(
            "此时不能上传该类附件：申请人在草稿/退回时上传材料，财务在批准后上传打款/退款回单",
            "you cannot upload this now: the requester uploads while the request is editable, finance adds receipts once it is approved",
        )));
    }
    let Upload { filename, content_type, data, .. } = upload;
    let sha256 = hex::encode(Sha256::digest(&data));
    let storage_key = store_file(&state, &data).await?;
    let file = StoredFile { filename, content_type: content_type.to_owned(), size_bytes: data.len() as i64, sha256, storage_key };
    match attachments::add(state.ctx(), &me, id, &purpose, &file).await {
        Ok(a) => Ok((StatusCode::CREATED, Json(a.into()))),
        Err(e) => {
            state.files.delete(&state.db, &file.storage_key).await;
            Err(e)
        }
    }
}

/// List a request's attachments.
#[utoipa::path(get, path = "/requests/{id}/attachments", tag = "attachments", security(("bearer" = [])),
    params(("id" = i32, Path)),
    responses((status = 200, body = Vec<AttachmentView>), (status = 404, body = crate::error::ProblemBody)))]
async fn list_attachments(State(state): State<AppState>, me: AuthUser, Path(id): Path<i32>) -> ApiResult<Json<Vec<AttachmentView>>> {
    find_visible(&state.db, &me, id).await?;
    Ok(Json(list_for(&state, id).await?))
}

/// Download an attachment. Images and PDFs are served inline (for preview) in a sandbox.
#[utoipa::path(get, path = "/requests/{id}/attachments/{aid}", tag = "attachments", security(("bearer" = [])),
    params(("id" = i32, Path), ("aid" = i32, Path)),
    responses((status = 200, description = "the file"), (status = 404, body = crate::error::ProblemBody)))]
async fn download_attachment(State(state): State<AppState>, me: AuthUser, Path((id, aid)): Path<(i32, i32)>) -> ApiResult<Response> {
    find_visible(&state.db, &me, id).await?;
    let a = attachment::Entity::find_by_id(aid)
        .filter(attachment::Column::RequestId.eq(id))
        .one(&state.db)
        .await?
        .ok_or_else(|| ApiError::not_found("附件", "attachment"))?;
    let data = state.files.open(&state.db, &a.storage_key).await?.ok_or_else(|| ApiError::not_found("附件文件", "attachment file"))?;
    Ok(file_response(data, &a.content_type, &a.filename))
}
