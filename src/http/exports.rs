//! Excel downloads for finance, auditors and admins.
use super::extract::Query;
use crate::app::AppState;
use crate::auth::AuthUser;
use crate::clock::china_date;
use crate::domain::roles::Role;
use crate::error::{ApiError, ApiResult};
use crate::export::{ExportKind, Scope, export};
use crate::store::list::{ListQuery, filter_condition};
use crate::upload::content_disposition;
use axum::body::Body;
use axum::extract::{FromRequestParts, State};
use axum::http::request::Parts;
use axum::http::{HeaderValue, Request, header};
use axum::response::{IntoResponse, Response};
use entity::{company, request};
use sea_orm::{ColumnTrait, EntityTrait};
use utoipa_axum::{router::OpenApiRouter, routes};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(ledger)).routes(routes!(reconciliation))
}

const XLSX: &str = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";

/// Exports also filter by the paying company, which the printed page header then names.
#[derive(utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
struct CompanyFilter {
    /// Only requests paid by this company of the group.
    company_id: Option<i32>,
}

/// The list's filters and `company_id`. The list's query refuses parameters it does not know,
/// so the company is taken out of the query string and the rest is read exactly as the list
/// reads it (same field errors).
struct ExportFilters {
    list: ListQuery,
    company: CompanyFilter,
}

impl<S: Send + Sync> FromRequestParts<S> for ExportFilters {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let (rest, company_id) = take_company_id(parts.uri.query().unwrap_or(""))?;
        let (mut list_parts, ()) = Request::builder()
            .uri(format!("/?{rest}"))
            .body(())
            .map_err(|_| ApiError::field("query", "查询参数无效", "invalid query string"))?
            .into_parts();
        let Query(list) = Query::<ListQuery>::from_request_parts(&mut list_parts, state).await?;
        Ok(ExportFilters { list, company: CompanyFilter { company_id } })
    }
}

/// The query string without `company_id`, and its value.
fn take_company_id(query: &str) -> Result<(String, Option<i32>), ApiError> {
    let mut company_id = None;
    let mut rest = form_urlencoded::Serializer::new(String::new());
    for (key, value) in form_urlencoded::parse(query.as_bytes()) {
        if key == "company_id" {
            let id = value
                .trim()
                .parse::<i32>()
                .map_err(|_| ApiError::field("company_id", "须为公司编号（整数）", "must be a company id (an integer)"))?;
            company_id = Some(id);
        } else {
            rest.append_pair(&key, &value);
        }
    }
    Ok((rest.finish(), company_id))
}

async fn download(state: AppState, me: AuthUser, filters: ExportFilters, kind: ExportKind) -> ApiResult<Response> {
    me.require_any(&[Role::Finance, Role::Auditor, Role::Admin])?;
    let now = state.clock.now();
    let ExportFilters { list: q, company: CompanyFilter { company_id } } = filters;
    let mut filter = filter_condition(&q, china_date(now), state.db.get_database_backend())?;
    let mut scope = Scope { company: None, from: q.from, to: q.to };
    if let Some(id) = company_id {
        let found = company::Entity::find_by_id(id).one(&state.db).await?;
        let Some(c) = found else {
            return Err(ApiError::field("company_id", "没有这个公司", "no such company"));
        };
        filter = filter.add(request::Column::CompanyId.eq(id));
        scope.company = Some(c.name);
    }
    let dir = state.config.data_dir.join("tmp");
    tokio::fs::create_dir_all(&dir).await.map_err(ApiError::internal)?;
    let tmp = tempfile::Builder::new().prefix("export-").suffix(".xlsx").tempfile_in(&dir).map_err(ApiError::internal)?;
    let path = tmp.path().to_path_buf();
    let rows = export(&state.db, kind, filter, &scope, now, &path, &|_, _| {}).await.map_err(ApiError::internal)?;
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
#[utoipa::path(get, path = "/exports/ledger.xlsx", tag = "exports", security(("bearer" = [])), params(ListQuery, CompanyFilter),
    responses((status = 200, description = "the workbook", content_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
              (status = 403, body = crate::error::ProblemBody), (status = 422, body = crate::error::ProblemBody)))]
async fn ledger(State(state): State<AppState>, me: AuthUser, filters: ExportFilters) -> ApiResult<Response> {
    download(state, me, filters, ExportKind::Ledger).await
}

/// 对账表: paid refundable requests with refund status, and what is still outstanding.
#[utoipa::path(get, path = "/exports/reconciliation.xlsx", tag = "exports", security(("bearer" = [])), params(ListQuery, CompanyFilter),
    responses((status = 200, description = "the workbook", content_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
              (status = 403, body = crate::error::ProblemBody), (status = 422, body = crate::error::ProblemBody)))]
async fn reconciliation(State(state): State<AppState>, me: AuthUser, filters: ExportFilters) -> ApiResult<Response> {
    download(state, me, filters, ExportKind::Reconciliation).await
}
