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
use crate::domain::chain::{Access, Chain};
use crate::store::chain::{self as chains, chain_columns, chain_of, delegations_to, facts_for};
use crate::store::requests::{
    conditional_update, conflict_after_race, find_visible, next_number, state_conflict, status_of, version_conflict,
};
use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use bytes::Bytes;
use entity::{request, user};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
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
    /// `submit` only: people to copy in (抄送); they may read the request and are notified.
    pub cc_user_ids: Option<Vec<i32>>,
}

/// Take a workflow action: `submit`, `approve`, `reject`, `withdraw` (body `{comment?, version?}`).
///
/// 403 when the caller may not take it, 409 when the request is not in a state that offers it
/// or has changed since `version`, 422 for a reject without an opinion.
#[utoipa::path(post, path = "/requests/{id}/{action}", tag = "requests", security(("bearer" = [])),
    params(("id" = i32, Path), ("action" = String, Path, description = "submit | approve | reject | withdraw | payout | refund")),
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
    let body: ActionBody = if body.iter().all(u8::is_ascii_whitespace) { ActionBody::default() } else { parse_json(&body)? };
    let m = decide(&state, &me, current, action, body).await?;
    Ok(Json(detail(&state, &me, &m, Vec::new()).await?).into_response())
}

pub fn refusal(current: &request::Model, action: Action, r: Refusal) -> ApiError {
    match r {
        Refusal::WrongState(_) => state_conflict(current, action.as_str()),
        Refusal::NotAllowed(reason) => ApiError::Forbidden(Msg::new(reason.zh(), reason.en())),
        Refusal::CommentRequired => ApiError::field("comment", "退回时必须填写审批意见", "a comment is required to reject"),
        Refusal::NextStepActed => ApiError::Conflict {
            code: "next_step_acted",
            msg: Msg::new("下一步已经处理，不能再撤回审批", "a later step has acted; the approval can no longer be recalled"),
            current: Some(crate::store::requests::current_state(current)),
        },
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
    if body.cc_user_ids.is_some() && action != Action::Submit {
        return Err(ApiError::field("cc_user_ids", "只有提交时可以抄送", "cc_user_ids is only accepted on submit"));
    }
    let status = status_of(&current);
    let delegations = delegations_to(&state.db, me).await?;
    let mut chain = chain_of(&current);
    let facts = facts_for(&current, &chain, me, &delegations, state.config.four_eyes);
    let next = transition(status, action, me.actor(), &facts, comment.as_deref()).map_err(|r| refusal(&current, action, r))?;
    // The step an approval or rejection decides, named in the audit event.
    let step_name = match action {
        Action::Approve | Action::Reject => chain.current_step().map(|s| s.name.clone()),
        _ => None,
    };
    let now = state.clock.now();
    let mut cc = Vec::new();
    if action == Action::Submit {
        // A draft may have been created incomplete (the certification fee of a registry
        // record); nothing is submitted until the whole form is valid.
        super::form::RequestInput::from_model(&current, &state.pii).validate(china_date(now))?;
        cc = check_cc(state, &current, body.cc_user_ids.unwrap_or_default()).await?;
    }

    use request::Column as C;
    let mut changes: Vec<(C, SimpleExpr)> =
        vec![(C::Status, Expr::value(next.as_str())), (C::UpdatedAt, Expr::value(now))];
    let mut on_behalf_of = None;
    let (tx, mut cursor) = audit::begin(&state.db).await?;
    match (action, status) {
        (Action::Submit, _) => {
            let requester = user::Entity::find_by_id(current.requester_id)
                .one(&tx)
                .await?
                .ok_or_else(|| ApiError::not_found("申请人", "requester"))?;
            let rules = chains::load_rules(&tx).await?;
            let mut resolved = match chains::resolve(&tx, &current, &requester, &rules).await? {
                Ok(c) => c,
                Err(nobody) => {
                    drop(tx);
                    drop(cursor);
                    return Err(nobody_left(state, &current, &nobody.step, now).await?);
                }
            };
            resolved.earlier_actors = if current.round > 0 { chain.all_actors() } else { Vec::new() };
            chain = resolved;
            changes.push((C::ApprovedAt, Expr::value(Option::<chrono::DateTime<chrono::Utc>>::None)));
            changes.push((C::SubmittedAt, Expr::value(now)));
            changes.push((C::Round, Expr::value(current.round + 1)));
            if current.number.is_none() {
                let month = china_date(now).format("%Y%m").to_string();
                changes.push((C::Number, Expr::value(next_number(&tx, &month).await?)));
            }
        }
        (Action::Approve | Action::Reject, _) => {
            let slot = match facts.step.access {
                Access::Delegate(approver) => approver,
                _ => me.id,
            };
            chains::still_delegated(&tx, me, &current, slot).await?;
            on_behalf_of = (slot != me.id).then_some(slot);
        }
        _ => {}
    }
    if action == Action::Approve {
        chain.approve(on_behalf_of.unwrap_or(me.id), me.id, now);
        if next == Status::Approved {
            changes.push((C::ApprovedAt, Expr::value(now)));
        }
    }
    if matches!(action, Action::Submit | Action::Approve) {
        changes.extend(chain_columns(&chain));
    }
    if !conditional_update(&tx, &current, changes).await? {
        drop(tx);
        return Err(conflict_after_race(&state.db, &current, action.as_str()).await?);
    }
    let updated = request::Entity::find_by_id(current.id).one(&tx).await?.ok_or_else(|| ApiError::not_found("申请", "request"))?;
    chains::sync_people(&tx, current.id, &chain, next).await?;
    chains::add_people(&tx, current.id, &cc, "cc").await?;
    if matches!(action, Action::Approve | Action::Reject) {
        // Whoever decided keeps reading what they decided, delegates included.
        chains::add_people(&tx, current.id, &[me.id], "involved").await?;
    }
    cursor
        .append(
            &tx,
            NewEvent {
                actor_id: Some(me.id),
                actor_name: me.display_name.clone(),
                on_behalf_of_id: on_behalf_of,
                action: action.as_str().into(),
                request_id: Some(current.id),
                comment,
                before: Some(serde_json::json!({"status": current.status, "version": current.version, "round": current.round})),
                after: Some(serde_json::json!({
                    "status": updated.status, "version": updated.version, "round": updated.round, "number": updated.number,
                    "step": step_name, "cc_user_ids": cc,
                })),
            },
            now,
        )
        .await?;
    if !cc.is_empty() {
        notify_cc(&tx, state, &updated, &cc, now).await?;
    }
    announce(&tx, state, action, status, &updated, &chain, now).await?;
    tx.commit().await?;
    Ok(updated)
}

/// The people copied in on submit: they must exist and be active; the requester is not copied.
async fn check_cc(state: &AppState, m: &request::Model, ids: Vec<i32>) -> ApiResult<Vec<i32>> {
    let mut ids: Vec<i32> = ids.into_iter().filter(|id| *id != m.requester_id).collect();
    ids.sort_unstable();
    ids.dedup();
    if ids.len() > 50 {
        return Err(ApiError::field("cc_user_ids", "最多抄送 50 人", "at most 50 people can be copied in"));
    }
    let found = user::Entity::find()
        .filter(user::Column::Id.is_in(ids.clone()))
        .filter(user::Column::Disabled.eq(false))
        .all(&state.db)
        .await?;
    if let Some(missing) = ids.iter().find(|id| !found.iter().any(|u| u.id == **id)) {
        return Err(ApiError::field(
            "cc_user_ids",
            format!("抄送人 {missing} 不存在或已停用"),
            format!("user {missing} does not exist or is disabled"),
        ));
    }
    Ok(ids)
}

async fn notify_cc(
    tx: &sea_orm::DatabaseTransaction,
    state: &AppState,
    m: &request::Model,
    cc: &[i32],
    now: chrono::DateTime<chrono::Utc>,
) -> ApiResult<()> {
    use crate::store::notify::{Notice, notify};
    let notice = Notice {
        kind: "cc",
        title: "抄送给您".into(),
        body: format!("{} {}", m.number.as_deref().unwrap_or(""), m.title),
        request_id: Some(m.id),
        dedupe_key: format!("cc:{}:{}", m.id, m.round),
    };
    notify(tx, cc, &notice, state.config.webhook_url.is_some(), now).await?;
    Ok(())
}

/// Nobody is left to decide a step: admins are told (once per request and round), and the
/// submit answers 409 so the requester knows it did not go anywhere.
async fn nobody_left(state: &AppState, m: &request::Model, step: &str, now: chrono::DateTime<chrono::Utc>) -> ApiResult<ApiError> {
    let body = format!(
        "申请「{}」的步骤「{step}」找不到可审批的人（审批人是申请人本人、已停用或未设置上级/部门负责人），请设置后让申请人重新提交",
        m.title
    );
    chains::tell_admins_nobody_left(&state.db, m, body, step, state.config.webhook_url.is_some(), now).await?;
    Ok(ApiError::Conflict {
        code: "no_approver",
        msg: Msg::new(
            format!("步骤「{step}」找不到可审批的人（未设置上级或部门负责人），已通知管理员"),
            format!("nobody can decide the step \"{step}\" (no manager or department head is set); admins have been told"),
        ),
        current: Some(crate::store::requests::current_state(m)),
    })
}

/// Tells the people the change concerns, in the same transaction as the change.
pub async fn announce(
    tx: &sea_orm::DatabaseTransaction,
    state: &AppState,
    action: Action,
    from: Status,
    m: &request::Model,
    chain: &Chain,
    now: chrono::DateTime<chrono::Utc>,
) -> ApiResult<()> {
    use crate::store::notify::{Notice, notify, users_with_role};
    let label = format!("{} {}", m.number.as_deref().unwrap_or(""), m.title);
    let status = status_of(m);
    let (users, notice) = match (action, status) {
        (Action::Submit | Action::Approve | Action::Transfer | Action::AddApprover | Action::Recall, Status::PendingManager | Status::PendingFinance) => {
            let step = chain.current_step();
            let team = match step {
                Some(s) if s.open_to_finance() => users_with_role(tx, crate::domain::roles::Role::Finance).await?,
                _ => Vec::new(),
            };
            let users = chain.deciders(m.requester_id, &team);
            let name = step.map(|s| s.name.clone()).unwrap_or_default();
            (
                users,
                Notice {
                    kind: "approval_needed",
                    title: if status == Status::PendingFinance { "待财务审批".into() } else { format!("待您审批（{name}）") },
                    body: label,
                    request_id: Some(m.id),
                    dedupe_key: format!("approve:{}:{}:{}:{}", m.id, m.round, chain.current, chain.pending().len()),
                },
            )
        }
        (Action::Approve, Status::Approved) => {
            let signed: Vec<i32> = chain.all_actors();
            (
                users_with_role(tx, crate::domain::roles::Role::Finance)
                    .await?
                    .into_iter()
                    .filter(|id| *id != m.requester_id && !(state.config.four_eyes && signed.contains(id)))
                    .collect(),
                Notice {
                    kind: "payout_needed",
                    title: "待打款".into(),
                    body: format!("{label}，请在 {} 前完成汇款", m.pay_by),
                    request_id: Some(m.id),
                    dedupe_key: format!("payout:{}:{}", m.id, m.round),
                },
            )
        }
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
