//! Excel downloads for finance, auditors and admins.
use super::extract::Query;
use super::requests::{ListQuery, filter_condition};
use crate::app::AppState;
use crate::auth::AuthUser;
use crate::clock::china_date;
use crate::domain::roles::Role;
use crate::error::{ApiError, ApiResult};
use crate::export::{ExportKind, export};
use crate::upload::content_disposition;
use axum::body::Body;
use axum::extract::State;
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use utoipa_axum::{router::OpenApiRouter, routes};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(ledger)).routes(routes!(reconciliation))
}

const XLSX: &str = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";

async fn download(state: AppState, me: AuthUser, q: ListQuery, kind: ExportKind) -> ApiResult<Response> {
    me.require_any(&[Role::Finance, Role::Auditor, Role::Admin])?;
    let now = state.clock.now();
    let filter = filter_condition(&q, china_date(now))?;
    let dir = state.config.data_dir.join("tmp");
    tokio::fs::create_dir_all(&dir).await.map_err(ApiError::internal)?;
    let tmp = tempfile::Builder::new().prefix("export-").suffix(".xlsx").tempfile_in(&dir).map_err(ApiError::internal)?;
    let path = tmp.path().to_path_buf();
    let rows = export(&state.db, kind, filter, now, &path, &|_, _| {}).await.map_err(ApiError::internal)?;
    // Stream the file; it is removed when the response body has been sent (the open handle
    // keeps it readable after the directory entry is gone).
    let file = tokio::fs::File::open(&path).await.map_err(ApiError::internal)?;
    let len = file.metadata().await.map_err(ApiError::internal)?.len();
    drop(tmp);
    let body = Body::from_stream(tokio_util::io::ReaderStream::new(file));
    let name = format!("日升集团应(预)付款{}-{}.xlsx", kind.file_stem_zh(), china_date(now).format("%Y%m%d"));
    let mut res = body.into_response();
    let h = res.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static(XLSX));
    h.insert(header::CONTENT_LENGTH, HeaderValue::from(len));
    if let Ok(v) = HeaderValue::from_str(&content_disposition("attachment", &name)) {
        h.insert(header::CONTENT_DISPOSITION, v);
    }
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("private, no-store"));
    h.insert("x-export-rows", HeaderValue::from(rows));
    Ok(res)
}

/// 台账: every request in the filter (finance, auditor, admin).
#[utoipa::path(get, path = "/exports/ledger.xlsx", tag = "exports", security(("bearer" = [])), params(ListQuery),
    responses((status = 200, description = "the workbook", content_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
              (status = 403, body = crate::error::ProblemBody), (status = 422, body = crate::error::ProblemBody)))]
async fn ledger(State(state): State<AppState>, me: AuthUser, Query(q): Query<ListQuery>) -> ApiResult<Response> {
    download(state, me, q, ExportKind::Ledger).await
}

/// 对账表: paid refundable requests with refund status, and what is still outstanding.
#[utoipa::path(get, path = "/exports/reconciliation.xlsx", tag = "exports", security(("bearer" = [])), params(ListQuery),
    responses((status = 200, description = "the workbook", content_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
              (status = 403, body = crate::error::ProblemBody), (status = 422, body = crate::error::ProblemBody)))]
async fn reconciliation(State(state): State<AppState>, me: AuthUser, Query(q): Query<ListQuery>) -> ApiResult<Response> {
    download(state, me, q, ExportKind::Reconciliation).await
}
