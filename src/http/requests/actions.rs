//! Workflow actions: `POST /requests/{id}/{action}`. Each is checked by the one transition
//! function, then applied in one transaction conditional on id + version + status, together
//! with its audit event.
use super::detail;
use crate::app::AppState;
use crate::auth::AuthUser;
use crate::clock::china_date;
use crate::domain::workflow::{Action, Refusal, Status, transition};
use crate::error::{ApiError, ApiResult, Msg};
use crate::http::extract::{Json, Path, parse_json};
use crate::store::audit::{self, NewEvent};
use crate::store::requests::{
    conditional_update, conflict_after_race, facts_of, find_visible, next_number, resolve_manager_approver, state_conflict, status_of,
    version_conflict,
};
use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use bytes::Bytes;
use entity::{request, user};
use sea_orm::EntityTrait;
use sea_orm::sea_query::{Expr, SimpleExpr};
use serde::Deserialize;
use utoipa_axum::{router::OpenApiRouter, routes};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(act))
}

#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ActionBody {
    /// Opinion (审批意见); required for `reject`, at most 2000 characters.
    pub comment: Option<String>,
    /// The version the caller saw; a different current version answers 409.
    pub version: Option<i32>,
}

/// Take a workflow action: `submit`, `approve`, `reject`, `withdraw` (body `{comment?, version?}`).
///
/// 403 when the caller may not take it, 409 when the request is not in a state that offers it
/// or has changed since `version`, 422 for a reject without an opinion.
#[utoipa::path(post, path = "/requests/{id}/{action}", tag = "requests", security(("bearer" = [])),
    params(("id" = i32, Path), ("action" = String, Path, description = "submit | approve | reject | withdraw | payout | refund")),
    request_body(content = ActionBody, description = "`{comment?, version?}`; payout and refund take their own bodies"),
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
    let body: ActionBody = if body.iter().all(u8::is_ascii_whitespace) { ActionBody::default() } else { parse_json(&body)? };
    let m = decide(&state, &me, current, action, body).await?;
    Ok(Json(detail(&state, &me, &m, Vec::new()).await?).into_response())
}

pub fn refusal(current: &request::Model, action: Action, r: Refusal) -> ApiError {
    match r {
        Refusal::WrongState(_) => state_conflict(current, action.as_str()),
        Refusal::NotAllowed(reason) => ApiError::Forbidden(Msg::new(reason.zh(), reason.en())),
        Refusal::CommentRequired => ApiError::field("comment", "退回时必须填写审批意见", "a comment is required to reject"),
    }
}

async fn decide(state: &AppState, me: &AuthUser, current: request::Model, action: Action, body: ActionBody) -> ApiResult<request::Model> {
    let comment = body.comment.map(|c| c.trim().to_owned()).filter(|c| !c.is_empty());
    if comment.as_ref().is_some_and(|c| c.chars().count() > 2000) {
        return Err(ApiError::field("comment", "意见最多 2000 个字符", "comment must be at most 2000 characters"));
    }
    if let Some(v) = body.version
        && v != current.version
    {
        return Err(version_conflict(&current));
    }
    let status = status_of(&current);
    let next = transition(status, action, me.actor(), &facts_of(&current, state.config.four_eyes), comment.as_deref())
        .map_err(|r| refusal(&current, action, r))?;
    let now = state.clock.now();
    if action == Action::Submit {
        // A draft may have been created incomplete (the certification fee of a registry
        // record); nothing is submitted until the whole form is valid.
        super::form::RequestInput::from_model(&current, &state.pii).validate(china_date(now))?;
    }

    use request::Column as C;
    let mut changes: Vec<(C, SimpleExpr)> =
        vec![(C::Status, Expr::value(next.as_str())), (C::UpdatedAt, Expr::value(now))];
    let (tx, mut cursor) = audit::begin(&state.db).await?;
    match (action, status) {
        (Action::Submit, _) => {
            let requester = user::Entity::find_by_id(current.requester_id)
                .one(&tx)
                .await?
                .ok_or_else(|| ApiError::not_found("申请人", "requester"))?;
            let Some(approver) = resolve_manager_approver(&tx, &requester).await? else {
                return Err(ApiError::Conflict {
                    code: "no_approver",
                    msg: Msg::new(
                        "找不到可审批的经理（未设置上级或部门负责人），请联系管理员",
                        "no manager can approve this request (no manager or department head is set); ask an admin",
                    ),
                    current: Some(crate::store::requests::current_state(&current)),
                });
            };
            changes.push((C::ManagerApproverId, Expr::value(approver)));
            changes.push((C::ManagerApprovedBy, Expr::value(Option::<i32>::None)));
            changes.push((C::FinanceApprovedBy, Expr::value(Option::<i32>::None)));
            changes.push((C::ApprovedAt, Expr::value(Option::<chrono::DateTime<chrono::Utc>>::None)));
            changes.push((C::SubmittedAt, Expr::value(now)));
            changes.push((C::Round, Expr::value(current.round + 1)));
            if current.number.is_none() {
                let month = china_date(now).format("%Y%m").to_string();
                changes.push((C::Number, Expr::value(next_number(&tx, &month).await?)));
            }
        }
        (Action::Approve, Status::PendingManager) => changes.push((C::ManagerApprovedBy, Expr::value(me.id))),
        (Action::Approve, Status::PendingFinance) => {
            changes.push((C::FinanceApprovedBy, Expr::value(me.id)));
            changes.push((C::ApprovedAt, Expr::value(now)));
        }
        _ => {}
    }
    if !conditional_update(&tx, &current, changes).await? {
        drop(tx);
        return Err(conflict_after_race(&state.db, &current, action.as_str()).await?);
    }
    let updated = request::Entity::find_by_id(current.id).one(&tx).await?.ok_or_else(|| ApiError::not_found("申请", "request"))?;
    cursor
        .append(
            &tx,
            NewEvent {
                actor_id: Some(me.id),
                actor_name: me.display_name.clone(),
                action: action.as_str().into(),
                request_id: Some(current.id),
                comment,
                before: Some(serde_json::json!({"status": current.status, "version": current.version, "round": current.round})),
                after: Some(serde_json::json!({
                    "status": updated.status, "version": updated.version, "round": updated.round, "number": updated.number,
                })),
                ..Default::default()
            },
            now,
        )
        .await?;
    announce(&tx, state, action, status, &updated, now).await?;
    tx.commit().await?;
    Ok(updated)
}

/// Tells the people the change concerns, in the same transaction as the change.
async fn announce(
    tx: &sea_orm::DatabaseTransaction,
    state: &AppState,
    action: Action,
    from: Status,
    m: &request::Model,
    now: chrono::DateTime<chrono::Utc>,
) -> ApiResult<()> {
    use crate::store::notify::{Notice, notify, users_with_role};
    let label = format!("{} {}", m.number.as_deref().unwrap_or(""), m.title);
    let finance_except = |ids: Vec<i32>, skip: &[Option<i32>]| {
        ids.into_iter().filter(|id| *id != m.requester_id && !skip.contains(&Some(*id))).collect::<Vec<_>>()
    };
    let (users, notice) = match (action, from) {
        (Action::Submit, _) => (
            m.manager_approver_id.into_iter().collect(),
            Notice {
                kind: "approval_needed",
                title: "待您审批".into(),
                body: label,
                request_id: Some(m.id),
                dedupe_key: format!("approve:{}:{}:manager", m.id, m.round),
            },
        ),
        (Action::Approve, Status::PendingManager) => (
            finance_except(users_with_role(tx, crate::domain::roles::Role::Finance).await?, &[m.manager_approved_by]),
            Notice {
                kind: "approval_needed",
                title: "待财务审批".into(),
                body: label,
                request_id: Some(m.id),
                dedupe_key: format!("approve:{}:{}:finance", m.id, m.round),
            },
        ),
        (Action::Approve, _) => (
            finance_except(users_with_role(tx, crate::domain::roles::Role::Finance).await?, &[m.finance_approved_by]),
            Notice {
                kind: "payout_needed",
                title: "待打款".into(),
                body: format!("{label}，请在 {} 前完成汇款", m.pay_by),
                request_id: Some(m.id),
                dedupe_key: format!("payout:{}:{}", m.id, m.round),
            },
        ),
        (Action::Reject, _) => (
            vec![m.requester_id],
            Notice {
                kind: "returned",
                title: "申请被退回".into(),
                body: label,
                request_id: Some(m.id),
                dedupe_key: format!("returned:{}:{}:{}", m.id, m.round, from.as_str()),
            },
        ),
        _ => return Ok(()),
    };
    notify(tx, &users, &notice, state.config.webhook_url.is_some(), now).await?;
    Ok(())
}
