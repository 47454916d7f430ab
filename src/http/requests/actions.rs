//! Workflow actions: `POST /requests/{id}/{action}`. The handler parses the body and hands
//! the change to `store::apply`, the one path every change to a request takes.
use super::detail;
use crate::app::AppState;
use crate::auth::AuthUser;
use crate::clock::china_date;
use crate::domain::workflow::{Action, Resolution};
use crate::error::{ApiError, ApiResult, Msg};
use crate::http::extract::{Json, Path, parse_json};
use crate::store::apply::{Applied, By, Change, Order, apply};
use crate::store::requests::find_visible;
use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use bytes::Bytes;
use entity::request;
use serde::Deserialize;
use utoipa_axum::{router::OpenApiRouter, routes};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(act)).routes(routes!(resolve))
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ResolveBody {
    /// `accept_difference` (at least one refund recorded): refunded, the difference kept;
    /// `write_off` (the money will not come back): closed.
    pub resolution: Resolution,
    /// Why (required, at most 500 characters); kept with the request and in the audit log.
    pub reason: String,
    /// The version the caller saw; a different current version answers 409.
    pub version: Option<i32>,
}

/// End a paid request whose refund fell short (`refund_mismatch`) or never came
/// (`refund_overdue`): finance, not the requester, and under four-eyes not whoever recorded
/// the payout.
///
/// 403 when the caller may not, 409 when the request is not paid, has nothing to resolve or
/// changed since `version`, 422 without a reason or when accepting a difference with no refund.
#[utoipa::path(post, path = "/requests/{id}/resolve", tag = "requests", security(("bearer" = [])),
    params(("id" = i32, Path)),
    request_body(content = ResolveBody),
    responses((status = 200, body = super::RequestDetail), (status = 403, body = crate::error::ProblemBody),
              (status = 404, body = crate::error::ProblemBody), (status = 409, body = crate::error::ProblemBody),
              (status = 422, body = crate::error::ProblemBody)))]
async fn resolve(State(state): State<AppState>, me: AuthUser, Path(id): Path<i32>, body: Bytes) -> ApiResult<Response> {
    let current = find_visible(&state.db, &me, id).await?;
    do_resolve(&state, &me, current, &body).await
}

async fn do_resolve(state: &AppState, me: &AuthUser, current: entity::request::Model, body: &Bytes) -> ApiResult<Response> {
    let body: ResolveBody = parse_json(body)?;
    let order = Order {
        change: Change::Resolve { resolution: body.resolution, reason: body.reason },
        version: body.version,
        comment: None,
        idempotency_key: None,
    };
    let applied = apply(state.ctx(), By::User(me), current, order).await?;
    Ok(Json(detail(state, me, &applied.request, applied.warnings).await?).into_response())
}

#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ActionBody {
    /// Opinion (审批意见); required for `reject`, at most 2000 characters.
    pub comment: Option<String>,
    /// The version the caller saw; a different current version answers 409.
    pub version: Option<i32>,
    /// `submit` only: people to copy in (抄送); they may read the request and are notified.
    pub cc_user_ids: Option<Vec<i32>>,
}

/// Take a workflow action: `submit`, `approve`, `reject`, `withdraw` (body `{comment?, version?}`).
///
/// 403 when the caller may not take it, 409 when the request is not in a state that offers it
/// or has changed since `version`, 422 for a reject without an opinion.
#[utoipa::path(post, path = "/requests/{id}/{action}", tag = "requests", security(("bearer" = [])),
    params(("id" = i32, Path), ("action" = String, Path, description = "submit | approve | reject | withdraw | payout | refund | resolve")),
    request_body(content = ActionBody, description = "`{comment?, version?, cc_user_ids?}`; payout and refund take their own bodies"),
    responses((status = 200, body = super::RequestDetail), (status = 403, body = crate::error::ProblemBody),
              (status = 404, body = crate::error::ProblemBody), (status = 409, body = crate::error::ProblemBody),
              (status = 422, body = crate::error::ProblemBody)))]
async fn act(
    State(state): State<AppState>,
    me: AuthUser,
    Path((id, action)): Path<(i32, String)>,
    headers: HeaderMap,
    body: Bytes,
) -> ApiResult<Response> {
    let action = match Action::parse(&action) {
        Some(a) if a != Action::Expire => a,
        _ => return Err(ApiError::NotFound(Msg::new(format!("没有名为 {action} 的操作"), format!("no action named {action}")))),
    };
    if matches!(action, Action::Payout | Action::Refund) {
        return super::money::record(&state, &me, id, action, &headers, &body).await;
    }
    let current = find_visible(&state.db, &me, id).await?;
    if matches!(action, Action::Transfer | Action::AddApprover | Action::Recall) {
        return super::handoffs::dispatch(&state, &me, current, action, &body).await;
    }
    if action == Action::Resolve {
        return do_resolve(&state, &me, current, &body).await;
    }
    let body: ActionBody = if body.iter().all(u8::is_ascii_whitespace) { ActionBody::default() } else { parse_json(&body)? };
    let change = match action {
        Action::Submit => {
            // A draft may have been created incomplete (the certification fee of a registry
            // record); nothing is submitted until the whole form is valid.
            let incomplete = match super::form::RequestInput::from_model(&current, &state.pii).validate(china_date(state.clock.now())) {
                Ok(_) => Vec::new(),
                Err(ApiError::Validation(errors)) => errors,
                Err(other) => return Err(other),
            };
            Change::Submit { cc_user_ids: body.cc_user_ids.unwrap_or_default(), incomplete }
        }
        _ if body.cc_user_ids.is_some() => {
            return Err(ApiError::field("cc_user_ids", "只有提交时可以抄送", "cc_user_ids is only accepted on submit"));
        }
        Action::Approve => Change::Approve,
        Action::Reject => Change::Reject,
        _ => Change::Withdraw,
    };
    let applied = decide(&state, &me, current, change, body.version, body.comment).await?;
    Ok(Json(detail(&state, &me, &applied.request, applied.warnings).await?).into_response())
}

/// One workflow decision by the caller through the one action path: what a single action and
/// each item of a batch (`batch.rs`) do alike.
pub(super) async fn decide(
    state: &AppState,
    me: &AuthUser,
    current: request::Model,
    change: Change,
    version: Option<i32>,
    comment: Option<String>,
) -> ApiResult<Applied> {
    apply(state.ctx(), By::User(me), current, Order { change, version, comment, idempotency_key: None }).await
}
