//! Hand-offs on the approval chain (DESIGN §2.4): 转交 (transfer), 加签 (add an approver),
//! 撤回 (recall one's approval) and comments with @mentions. The hand-offs go through
//! `store::apply` like every other change to a request.
use super::{RequestDetail, detail};
use crate::app::AppState;
use crate::auth::AuthUser;
use crate::domain::chain::Position;
use crate::domain::roles::RoleSet;
use crate::domain::workflow::Action;
use crate::error::{ApiError, ApiResult};
use crate::http::extract::{Json, Path, parse_json};
use crate::store::apply::{By, Change, Order, apply};
use crate::store::requests::{find_visible, visible_to};
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use bytes::Bytes;
use entity::{request, user};
use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter};
use serde::Deserialize;
use utoipa_axum::{router::OpenApiRouter, routes};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(transfer)).routes(routes!(add_approver)).routes(routes!(recall)).routes(routes!(comment))
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TransferBody {
    /// Who takes over the caller's place in the current step.
    pub to_user_id: i32,
    pub comment: Option<String>,
    pub version: Option<i32>,
}

#[derive(Debug, Clone, Copy, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum AddPosition {
    /// The new approver decides first, then the step comes back to the caller.
    Before,
    /// The new approver decides right after the caller's step.
    After,
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AddApproverBody {
    pub user_id: i32,
    pub position: AddPosition,
    pub comment: Option<String>,
    pub version: Option<i32>,
}

#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RecallBody {
    pub comment: Option<String>,
    pub version: Option<i32>,
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CommentBody {
    /// 1–2000 characters; `@username` notifies that user if they may read the request.
    pub body: String,
}

/// `POST /requests/{id}/{action}` for the hand-off actions, so both spellings work.
/// `current` is the request as the caller may see it, loaded before the body is read.
pub async fn dispatch(state: &AppState, me: &AuthUser, current: request::Model, action: Action, body: &Bytes) -> ApiResult<Response> {
    let detail = match action {
        Action::Transfer => do_transfer(state, me, current, parse_json(body)?).await?,
        Action::AddApprover => do_add_approver(state, me, current, parse_json(body)?).await?,
        _ => do_recall(state, me, current, recall_body(body)?).await?,
    };
    Ok(Json(detail).into_response())
}

/// 转交: hand the caller's place in the current step to someone else, who then holds it.
#[utoipa::path(post, path = "/requests/{id}/transfer", tag = "requests", security(("bearer" = [])),
    params(("id" = i32, Path)), request_body = TransferBody,
    responses((status = 200, body = RequestDetail), (status = 403, body = crate::error::ProblemBody),
              (status = 404, body = crate::error::ProblemBody), (status = 409, body = crate::error::ProblemBody),
              (status = 422, body = crate::error::ProblemBody)))]
async fn transfer(State(state): State<AppState>, me: AuthUser, Path(id): Path<i32>, body: Bytes) -> ApiResult<Json<RequestDetail>> {
    // Whether the request exists for the caller is answered before anything about the body.
    let current = find_visible(&state.db, &me, id).await?;
    Ok(Json(do_transfer(&state, &me, current, parse_json(&body)?).await?))
}

/// 加签: add an approver before the caller (they decide first) or right after.
#[utoipa::path(post, path = "/requests/{id}/add-approver", tag = "requests", security(("bearer" = [])),
    params(("id" = i32, Path)), request_body = AddApproverBody,
    responses((status = 200, body = RequestDetail), (status = 403, body = crate::error::ProblemBody),
              (status = 404, body = crate::error::ProblemBody), (status = 409, body = crate::error::ProblemBody),
              (status = 422, body = crate::error::ProblemBody)))]
async fn add_approver(State(state): State<AppState>, me: AuthUser, Path(id): Path<i32>, body: Bytes) -> ApiResult<Json<RequestDetail>> {
    let current = find_visible(&state.db, &me, id).await?;
    Ok(Json(do_add_approver(&state, &me, current, parse_json(&body)?).await?))
}

/// 撤回: take back one's approval while the next step has not acted (409 once it has).
#[utoipa::path(post, path = "/requests/{id}/recall", tag = "requests", security(("bearer" = [])),
    params(("id" = i32, Path)), request_body = RecallBody,
    responses((status = 200, body = RequestDetail), (status = 403, body = crate::error::ProblemBody),
              (status = 404, body = crate::error::ProblemBody), (status = 409, body = crate::error::ProblemBody)))]
async fn recall(State(state): State<AppState>, me: AuthUser, Path(id): Path<i32>, body: Bytes) -> ApiResult<Json<RequestDetail>> {
    let current = find_visible(&state.db, &me, id).await?;
    Ok(Json(do_recall(&state, &me, current, recall_body(&body)?).await?))
}

/// A recall needs no body at all; an empty one means no comment and no version check.
fn recall_body(body: &Bytes) -> ApiResult<RecallBody> {
    if body.iter().all(u8::is_ascii_whitespace) { Ok(RecallBody::default()) } else { parse_json(body) }
}

async fn do_transfer(state: &AppState, me: &AuthUser, current: request::Model, body: TransferBody) -> ApiResult<RequestDetail> {
    let order = Order {
        change: Change::Transfer { to_user_id: body.to_user_id },
        version: body.version,
        comment: body.comment,
        idempotency_key: None,
    };
    decided(state, me, current, order).await
}

async fn do_add_approver(state: &AppState, me: &AuthUser, current: request::Model, body: AddApproverBody) -> ApiResult<RequestDetail> {
    let position = match body.position {
        AddPosition::Before => Position::Before,
        AddPosition::After => Position::After,
    };
    let order = Order {
        change: Change::AddApprover { user_id: body.user_id, position },
        version: body.version,
        comment: body.comment,
        idempotency_key: None,
    };
    decided(state, me, current, order).await
}

async fn do_recall(state: &AppState, me: &AuthUser, current: request::Model, body: RecallBody) -> ApiResult<RequestDetail> {
    decided(state, me, current, Order { change: Change::Recall, version: body.version, comment: body.comment, idempotency_key: None }).await
}

async fn decided(state: &AppState, me: &AuthUser, current: request::Model, order: Order) -> ApiResult<RequestDetail> {
    let applied = apply(state.ctx(), By::User(me), current, order).await?;
    detail(state, me, &applied.request, applied.warnings).await
}

/// Add a comment without acting. Everyone who may read the request may comment; `@username`
/// notifies that user when they may read it too (others are named in `warnings`).
#[utoipa::path(post, path = "/requests/{id}/comments", tag = "requests", security(("bearer" = [])),
    params(("id" = i32, Path)), request_body = CommentBody,
    responses((status = 201, body = RequestDetail), (status = 404, body = crate::error::ProblemBody),
              (status = 422, body = crate::error::ProblemBody)))]
async fn comment(
    State(state): State<AppState>,
    me: AuthUser,
    Path(id): Path<i32>,
    body: Bytes,
) -> ApiResult<(StatusCode, Json<RequestDetail>)> {
    let m = find_visible(&state.db, &me, id).await?;
    let body: CommentBody = parse_json(&body)?;
    let text = crate::domain::text::required(&body.body, 2000).map_err(|_| {
        ApiError::field(
            "body",
            "评论须为 1–2000 个字符，包含可见文字且不含控制字符",
            "a comment must be 1–2000 characters of visible text without control characters",
        )
    })?;
    let mut notified = Vec::new();
    let mut warnings = Vec::new();
    for name in mentions(&text) {
        let Some(u) = user::Entity::find().filter(user::Column::Username.eq(name.clone())).one(&state.db).await? else {
            warnings.push(format!("@{name}：没有这个用户"));
            continue;
        };
        if u.disabled || u.id == me.id {
            continue;
        }
        if can_read(&state, &u, id).await? {
            notified.push(u.id);
        } else {
            warnings.push(format!("@{name}：无权查看此申请，未通知"));
        }
    }
    crate::store::apply::comment(state.ctx(), &me, &m, &text, &notified).await?;
    Ok((StatusCode::CREATED, Json(detail(&state, &me, &m, warnings).await?)))
}

/// `@username` tokens, in order, each once.
pub fn mentions(text: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for (i, _) in text.match_indices('@') {
        if text[..i].chars().next_back().is_some_and(|c| c.is_ascii_alphanumeric()) {
            continue; // an e-mail address, not a mention
        }
        let name: String = text[i + 1..].chars().take_while(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-')).collect();
        let name = name.trim_end_matches(['.', '-']).to_owned();
        if !name.is_empty() && !out.contains(&name) && out.len() < 20 {
            out.push(name);
        }
    }
    out
}

/// Whether `u` may read request `id` (the same rule as every lookup).
async fn can_read(state: &AppState, u: &user::Model, id: i32) -> ApiResult<bool> {
    let as_user = AuthUser {
        id: u.id,
        username: u.username.clone(),
        display_name: u.display_name.clone(),
        roles: RoleSet::from_db(&u.roles),
        department_id: u.department_id,
        manager_id: u.manager_id,
        today: crate::clock::china_date(state.clock.now()),
        data_version: None,
    };
    Ok(request::Entity::find_by_id(id).filter(visible_to(&as_user)).count(&state.db).await? > 0)
}

#[cfg(test)]
mod tests {
    use super::mentions;

    #[test]
    fn mentions_are_usernames_after_an_at_sign() {
        assert_eq!(mentions("请 @lisi 和 @wang.wu. 看一下，@lisi 再看"), vec!["lisi", "wang.wu"]);
        assert_eq!(mentions("邮件 a@b.com 不算，@ 也不算"), Vec::<String>::new());
        assert_eq!(mentions("@zhao_liu，@sun-qi"), vec!["zhao_liu", "sun-qi"]);
    }
}
