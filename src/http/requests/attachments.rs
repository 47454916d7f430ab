//! Attachments: screenshots of Tencent's payment page, bank receipts. The content is checked
//! (not just the name), the file is stored under a server-generated name, and its SHA-256 kept.
use crate::app::AppState;
use crate::auth::AuthUser;
use crate::domain::roles::Role;
use crate::domain::workflow::Status;
use crate::error::{ApiError, ApiResult, Msg};
use crate::http::extract::{Json, Path};
use crate::store::audit::{self, NewEvent};
use crate::store::requests::{find_visible, status_of};
use axum::extract::{DefaultBodyLimit, Multipart, Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Utc};
use entity::attachment;
use sea_orm::{ActiveModelTrait, ActiveValue::Set, ColumnTrait, EntityTrait, QueryFilter, QueryOrder};
use serde::Serialize;
use sha2::{Digest, Sha256};
use utoipa_axum::{router::OpenApiRouter, routes};

/// The transport cap for uploads; the configured (smaller) limit is enforced while reading.
const UPLOAD_TRANSPORT_CAP: usize = 64 * 1024 * 1024;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(upload_attachment, list_attachments))
        .routes(routes!(download_attachment))
        .layer(DefaultBodyLimit::max(UPLOAD_TRANSPORT_CAP))
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

/// The kinds of file accepted, recognised by their first bytes.
fn sniff(bytes: &[u8]) -> Option<(&'static str, &'static [&'static str])> {
    if bytes.starts_with(b"%PDF-") {
        Some(("application/pdf", &["pdf"]))
    } else if bytes.starts_with(b"\x89PNG\r\n\x1a\n") {
        Some(("image/png", &["png"]))
    } else if bytes.starts_with(b"\xFF\xD8\xFF") {
        Some(("image/jpeg", &["jpg", "jpeg"]))
    } else if bytes.starts_with(b"PK\x03\x04") && contains(bytes, b"[Content_Types].xml") && contains(bytes, b"xl/") {
        Some(("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", &["xlsx"]))
    } else {
        None
    }
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

/// The client's file name reduced to a safe display name: no directories, no control,
/// direction or zero-width characters, at most 120 characters. It is only ever shown,
/// never used as a path.
pub fn clean_filename(raw: &str) -> String {
    let base = raw.rsplit(['/', '\\']).next().unwrap_or("");
    let visible = crate::domain::text::file_name(base);
    let cleaned: String = visible
        .chars()
        .filter(|c| !matches!(c, '"' | '<' | '>' | '|' | ':' | '*' | '?'))
        .collect::<String>()
        .trim()
        .trim_start_matches('.')
        .chars()
        .take(120)
        .collect();
    if cleaned.is_empty() { "file".to_owned() } else { cleaned }
}

/// Upload an attachment (multipart: `file`, optional `purpose`). The requester may upload
/// while the request is editable; finance may add payout/refund receipts once approved.
#[utoipa::path(post, path = "/requests/{id}/attachments", tag = "attachments", security(("bearer" = [])),
    params(("id" = i32, Path)),
    request_body(content_type = "multipart/form-data", description = "`file`: pdf, png, jpg or xlsx; `purpose`: general | payout_receipt | refund_receipt"),
    responses((status = 201, body = AttachmentView), (status = 403, body = crate::error::ProblemBody),
              (status = 404, body = crate::error::ProblemBody), (status = 413, body = crate::error::ProblemBody),
              (status = 422, body = crate::error::ProblemBody)))]
async fn upload_attachment(State(state): State<AppState>, me: AuthUser, Path(id): Path<i32>, body: Request) -> ApiResult<(StatusCode, Json<AttachmentView>)> {
    let req = find_visible(&state.db, &me, id).await?;
    let multipart = multipart_of(body, &state).await?;
    let status = status_of(&req);
    let upload = read_upload(&state, multipart).await?;
    let purpose = upload.purpose.clone().unwrap_or_else(|| "general".to_owned());
    let allowed = match purpose.as_str() {
        "general" => me.id == req.requester_id && status.is_editable(),
        "payout_receipt" => me.has(Role::Finance) && matches!(status, Status::Approved | Status::Paid | Status::Closed),
        "refund_receipt" => me.has(Role::Finance) && matches!(status, Status::Paid | Status::Refunded),
        _ => return Err(ApiError::field("purpose", "用途须为 general、payout_receipt 或 refund_receipt", "purpose must be general, payout_receipt or refund_receipt")),
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
    let path = state.config.attachments_dir().join(&storage_key);
    let now = state.clock.now();
    let saved = async {
        let (tx, mut cursor) = audit::begin(&state.db).await?;
        let a = attachment::ActiveModel {
            request_id: Set(id),
            filename: Set(filename.clone()),
            content_type: Set(content_type.to_owned()),
            size_bytes: Set(data.len() as i64),
            sha256: Set(sha256.clone()),
            storage_key: Set(storage_key.clone()),
            purpose: Set(purpose.clone()),
            uploaded_by: Set(me.id),
            created_at: Set(now),
            ..Default::default()
        }
        .insert(&tx)
        .await?;
        cursor
            .append(
                &tx,
                NewEvent {
                    actor_id: Some(me.id),
                    actor_name: me.display_name.clone(),
                    action: "attachment_add".into(),
                    request_id: Some(id),
                    after: Some(serde_json::json!({"attachment_id": a.id, "filename": a.filename, "sha256": a.sha256, "purpose": a.purpose})),
                    ..Default::default()
                },
                now,
            )
            .await?;
        tx.commit().await?;
        Ok::<_, sea_orm::DbErr>(a)
    }
    .await;
    match saved {
        Ok(a) => Ok((StatusCode::CREATED, Json(a.into()))),
        Err(e) => {
            let _ = tokio::fs::remove_file(&path).await;
            Err(e.into())
        }
    }
}

/// A checked upload: the content is one of the accepted kinds and matches the name's extension.
pub struct Upload {
    pub filename: String,
    pub content_type: &'static str,
    pub data: Vec<u8>,
    pub purpose: Option<String>,
}

/// The multipart body, read only once the caller has been checked: a caller without access
/// learns nothing from a malformed-body error.
pub async fn multipart_of(body: Request, state: &AppState) -> ApiResult<Multipart> {
    use axum::extract::FromRequest;
    Multipart::from_request(body, state).await.map_err(|e| {
        ApiError::UnsupportedMediaType(Msg::new(
            format!("请求须为 multipart/form-data：{}", e.body_text()),
            format!("the body must be multipart/form-data: {}", e.body_text()),
        ))
    })
}

/// Reads a multipart body with a `file` (and optional `purpose`), enforcing the size limit
/// while streaming and checking the content by its bytes.
pub async fn read_upload(state: &AppState, mut multipart: Multipart) -> ApiResult<Upload> {
    let limit = state.config.upload_limit;
    let too_large = || {
        ApiError::PayloadTooLarge(Msg::new(
            format!("附件不能超过 {} MB", limit / 1024 / 1024),
            format!("attachments are limited to {} MB", limit / 1024 / 1024),
        ))
    };
    let bad = |e: axum::extract::multipart::MultipartError| {
        if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
            too_large()
        } else {
            ApiError::BadRequest(Msg::new(format!("无法解析上传内容：{}", e.body_text()), format!("malformed multipart body: {}", e.body_text())))
        }
    };
    let mut file: Option<(String, Vec<u8>)> = None;
    let mut purpose = None;
    while let Some(field) = multipart.next_field().await.map_err(bad)? {
        match field.name() {
            Some("file") => {
                let name = clean_filename(field.file_name().unwrap_or("file"));
                file = Some((name, read_file_field(field, limit, too_large, bad).await?));
            }
            Some("purpose") => purpose = Some(field.text().await.map_err(bad)?.trim().to_owned()),
            other => {
                let name = other.unwrap_or("").to_owned();
                return Err(ApiError::field(&name, "不允许的表单字段", "unknown form field; use file and purpose"));
            }
        }
    }
    let Some((filename, data)) = file else {
        return Err(ApiError::field("file", "请选择要上传的文件", "a file is required"));
    };
    if data.is_empty() {
        return Err(ApiError::field("file", "文件为空", "the file is empty"));
    }
    let Some((content_type, extensions)) = sniff(&data) else {
        return Err(ApiError::field("file", "只接受 PDF、PNG、JPG 或 XLSX 文件", "only PDF, PNG, JPG or XLSX files are accepted"));
    };
    let ext = filename.rsplit_once('.').map(|(_, e)| e.to_ascii_lowercase()).unwrap_or_default();
    if !extensions.contains(&ext.as_str()) {
        return Err(ApiError::field(
            "file",
            format!("文件扩展名与内容不符（内容为 {}）", extensions[0]),
            format!("the file name's extension does not match its content ({})", extensions[0]),
        ));
    }
    Ok(Upload { filename, content_type, data, purpose })
}

/// A multipart file field read chunk by chunk, refused as soon as it passes `limit`.
pub async fn read_file_field(
    mut field: axum::extract::multipart::Field<'_>,
    limit: usize,
    too_large: impl Fn() -> ApiError,
    bad: impl Fn(axum::extract::multipart::MultipartError) -> ApiError,
) -> ApiResult<Vec<u8>> {
    let mut data = Vec::new();
    while let Some(chunk) = field.chunk().await.map_err(&bad)? {
        if data.len() + chunk.len() > limit {
            return Err(too_large());
        }
        data.extend_from_slice(&chunk);
    }
    Ok(data)
}

/// Writes the bytes under a server-generated name in the attachments directory.
pub async fn store_file(state: &AppState, data: &[u8]) -> ApiResult<String> {
    let storage_key = uuid::Uuid::new_v4().simple().to_string();
    let dir = state.config.attachments_dir();
    tokio::fs::create_dir_all(&dir).await.map_err(ApiError::internal)?;
    tokio::fs::write(dir.join(&storage_key), data).await.map_err(ApiError::internal)?;
    Ok(storage_key)
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
    let data = tokio::fs::read(state.config.attachments_dir().join(&a.storage_key))
        .await
        .map_err(|_| ApiError::not_found("附件文件", "attachment file"))?;
    Ok(file_response(data, &a.content_type, &a.filename))
}

/// A stored file as a download: images and PDFs inline (for preview), in a sandbox so that a
/// crafted file cannot run anything on our origin, and never cached by shared caches.
pub fn file_response(data: Vec<u8>, content_type: &str, filename: &str) -> Response {
    let disposition = if content_type.starts_with("image/") || content_type == "application/pdf" { "inline" } else { "attachment" };
    let mut res = data.into_response();
    let h = res.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_str(content_type).unwrap_or(HeaderValue::from_static("application/octet-stream")));
    if let Ok(v) = HeaderValue::from_str(&content_disposition(disposition, filename)) {
        h.insert(header::CONTENT_DISPOSITION, v);
    }
    h.insert(header::CONTENT_SECURITY_POLICY, HeaderValue::from_static("sandbox; default-src 'none'; img-src 'self'; style-src 'unsafe-inline'"));
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("private, no-store"));
    res
}

/// RFC 6266 / RFC 5987: an ASCII fallback plus the UTF-8 name percent-encoded.
pub fn content_disposition(kind: &str, filename: &str) -> String {
    let ascii: String = filename.chars().map(|c| if c.is_ascii_graphic() && c != '"' && c != '\\' { c } else { '_' }).collect();
    let encoded: String = filename
        .bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"-._~".contains(&b) { (b as char).to_string() } else { format!("%{b:02X}") }
        })
        .collect();
    format!("{kind}; filename=\"{ascii}\"; filename*=UTF-8''{encoded}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn client_file_names_cannot_escape_or_inject() {
        assert_eq!(clean_filename("../../etc/passwd"), "passwd");
        assert_eq!(clean_filename("C:\\Users\\x\\回单.pdf"), "回单.pdf");
        assert_eq!(clean_filename("..\u{0}"), "file");
        assert_eq!(clean_filename(".htaccess"), "htaccess");
        assert_eq!(clean_filename("回单\u{202E}fdp.exe"), "回单fdp.exe");
        assert_eq!(clean_filename("\u{200B}.pdf"), "pdf");
    }

    #[test]
    fn content_is_recognised_by_its_bytes() {
        assert_eq!(sniff(b"%PDF-1.7 ...").map(|s| s.0), Some("application/pdf"));
        assert_eq!(sniff(b"<html>").map(|s| s.0), None);
        assert_eq!(sniff(b"PK\x03\x04 no office here").map(|s| s.0), None);
    }

    #[test]
    fn chinese_file_names_use_rfc_5987() {
        assert_eq!(content_disposition("attachment", "台账.xlsx"), "attachment; filename=\"__.xlsx\"; filename*=UTF-8''%E5%8F%B0%E8%B4%A6.xlsx");
    }
}
