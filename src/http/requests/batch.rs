//! `POST /requests/batch/{approve|reject}` (DESIGN §2.7): several decisions in one call.
//! Each item goes down the same path as `POST /requests/{id}/{action}` in a transaction of
//! its own, so one stale or refused item never holds the others back; the answer says, per
//! item, what that item alone would have answered.
use super::actions::decide;
use super::{RequestDetail, detail};
use crate::app::AppState;
use crate::auth::AuthUser;
use crate::error::{ApiError, ApiResult, Lang, Msg, ProblemBody};
use crate::http::extract::{Json, Path};
use crate::store::apply::Change;
use crate::store::requests::find_visible;
use axum::extract::State;
use axum::http::{HeaderMap, header};
use serde::{Deserialize, Serialize};
use std::collections::HashSet;
use utoipa_axum::{router::OpenApiRouter, routes};

/// At most this many items per call.
pub const MAX_ITEMS: usize = 100;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(batch))
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct BatchBody {
    /// 1–100 requests, each with the version the caller saw; an id at most once.
    pub items: Vec<BatchItem>,
    /// The one opinion (审批意见) kept with every decision; required for `reject`.
    pub comment: Option<String>,
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct BatchItem {
    pub id: i32,
    /// A different current version answers 409 for this item.
    pub version: i32,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct BatchAnswer {
    /// One per item, in the order asked.
    pub results: Vec<BatchResult>,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct BatchResult {
    pub id: i32,
    /// The HTTP status this item would have had alone: 200, 403, 404, 409, 422.
    pub status: u16,
    /// On 200: the request after the decision.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub request: Option<Box<RequestDetail>>,
    /// Otherwise: the problem document this item would have had alone.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub problem: Option<ProblemBody>,
}

impl std::fmt::Debug for BatchResult {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BatchResult").field("id", &self.id).field("status", &self.status).finish_non_exhaustive()
    }
}

/// Approve or reject several requests at once (批量同意 / 批量退回).
///
/// 422 for the whole call when `items` is empty, holds more than 100 entries or names an id
/// twice, or when a reject has no opinion; otherwise 200 with one result per item.
#[utoipa::path(post, path = "/requests/batch/{action}", tag = "requests", security(("bearer" = [])),
    params(("action" = String, Path, description = "approve | reject")),
    request_body = BatchBody,
    responses((status = 200, body = BatchAnswer), (status = 401, body = crate::error::ProblemBody),
              (status = 404, body = crate::error::ProblemBody), (status = 422, body = crate::error::ProblemBody)))]
async fn batch(
    State(state): State<AppState>,
    me: AuthUser,
    Path(action): Path<String>,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> ApiResult<Json<BatchAnswer>> {
    let change = match action.as_str() {
        "approve" => Change::Approve,
        "reject" => Change::Reject,
        _ => {
            return Err(ApiError::NotFound(Msg::new(
                format!("批量操作只有 approve 和 reject，没有 {action}"),
                format!("a batch is approve or reject, not {action}"),
            )));
        }
    };
    // The action is checked before the body: an unknown batch is a 404 whatever it carries.
    let body: BatchBody = crate::http::extract::parse_json(&body)?;
    check_items(&body.items)?;
    if matches!(change, Change::Reject) && body.comment.as_deref().is_none_or(|c| c.trim().is_empty()) {
        return Err(ApiError::field("comment", "退回时必须填写审批意见", "a comment is required to reject"));
    }
    let lang = Lang::from_accept_language(headers.get(header::ACCEPT_LANGUAGE).and_then(|v| v.to_str().ok()));
    let mut results = Vec::with_capacity(body.items.len());
    for item in &body.items {
        let decided = async {
            let current = find_visible(&state.db, &me, item.id).await?;
            let applied = decide(&state, &me, current, change.clone(), Some(item.version), body.comment.clone()).await?;
            detail(&state, &me, &applied.request, applied.warnings).await
        }
        .await;
        results.push(match decided {
            Ok(request) => BatchResult { id: item.id, status: 200, request: Some(Box::new(request)), problem: None },
            Err(e) => {
                let (status, problem) = e.problem_body(lang);
                BatchResult { id: item.id, status: status.as_u16(), request: None, problem: Some(problem) }
            }
        });
    }
    Ok(Json(BatchAnswer { results }))
}

fn check_items(items: &[BatchItem]) -> ApiResult<()> {
    if items.is_empty() || items.len() > MAX_ITEMS {
        return Err(ApiError::field(
            "items",
            format!("一次批量处理 1 到 {MAX_ITEMS} 张申请"),
            format!("a batch holds 1 to {MAX_ITEMS} requests"),
        ));
    }
    let mut seen = HashSet::with_capacity(items.len());
    if let Some(dup) = items.iter().find(|i| !seen.insert(i.id)) {
        return Err(ApiError::field(
            "items",
            format!("申请 {} 在批量中出现了不止一次", dup.id),
            format!("request {} appears more than once in the batch", dup.id),
        ));
    }
    Ok(())
}
