//! Hand-offs on the approval chain (DESIGN §2.4): 转交 (transfer), 加签 (add an approver),
//! 撤回 (recall one's approval) and comments with @mentions. Each is checked by the same
//! transition function as approving, applied with the same conditional update on id +
//! version + status, and written to the audit chain and the timeline.
use super::actions::{announce, refusal};
use super::{RequestDetail, detail};
use crate::app::AppState;
use crate::auth::AuthUser;
use crate::domain::chain::{Access, Chain, MAX_STEPS, Position, StepKind};
use crate::domain::roles::{Role, RoleSet};
use crate::domain::workflow::{Action, Status, transition};
use crate::error::{ApiError, ApiResult, Msg};
use crate::http::extract::{Json, Path, parse_json};
use crate::store::audit::{self, NewEvent};
use crate::store::chain::{self as chains, Ineligible, chain_columns, chain_of, delegations_to, facts_for};
use crate::store::notify::{Notice, notify};
use crate::store::requests::{conditional_update, conflict_after_race, find_visible, status_of, version_conflict, visible_to};
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use bytes::Bytes;
use entity::{company_finance_user, request, user};
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter};
use serde::Deserialize;
use utoipa_axum::{router::OpenApiRouter, routes};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(transfer))
        .routes(routes!(add_approver))
        .routes(routes!(recall))
        .routes(routes!(comment))
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

/// A change to the chain, prepared once the caller's right to act is established.
struct Change {
    next: Status,
    /// Whom the audit event names (transfer and add-approver).
    target: Option<user::Model>,
    detail: serde_json::Value,
}

fn clean_comment(c: Option<String>) -> ApiResult<Option<String>> {
    let c = c.map(|c| c.trim().to_owned()).filter(|c| !c.is_empty());
    if c.as_ref().is_some_and(|c| c.chars().count() > 2000) {
        return Err(ApiError::field("comment", "意见最多 2000 个字符", "comment must be at most 2000 characters"));
    }
    Ok(c)
}

/// Loads, checks and applies one hand-off: `change` edits the chain for the place the caller
/// acts in (their own, or the approver's they stand in for).
async fn apply(
    state: &AppState,
    me: &AuthUser,
    current: request::Model,
    action: Action,
    version: Option<i32>,
    comment: Option<String>,
    change: impl AsyncFnOnce(&request::Model, &mut Chain, i32) -> ApiResult<Change>,
) -> ApiResult<RequestDetail> {
    let comment = clean_comment(comment)?;
    let id = current.id;
    if let Some(v) = version
        && v != current.version
    {
        return Err(version_conflict(&current));
    }
    let status = status_of(&current);
    let delegations = delegations_to(&state.db, me).await?;
    let mut chain = chain_of(&current);
    let facts = facts_for(&current, &chain, me, &delegations, state.config.four_eyes);
    transition(status, action, me.actor(), &facts, None).map_err(|r| refusal(&current, action, r))?;
    let slot = match facts.step.access {
        Access::Delegate(a) => a,
        _ => me.id,
    };
    let mut step_name = chain.current_step().map(|s| s.name.clone());
    let Change { next, target, detail: extra } = change(&current, &mut chain, slot).await?;
    if action == Action::Recall {
        // The step the approval was taken back from.
        step_name = chain.current_step().map(|s| s.name.clone());
    }
    let now = state.clock.now();
    use request::Column as C;
    let mut changes = vec![(C::Status, Expr::value(next.as_str())), (C::UpdatedAt, Expr::value(now))];
    changes.extend(chain_columns(&chain));
    if status == Status::Approved && next != Status::Approved {
        changes.push((C::ApprovedAt, Expr::value(Option::<chrono::DateTime<chrono::Utc>>::None)));
    }
    let (tx, mut cursor) = audit::begin(&state.db).await?;
    chains::still_delegated(&tx, me, &current, slot).await?;
    if !conditional_update(&tx, &current, changes).await? {
        drop(tx);
        return Err(conflict_after_race(&state.db, &current, action.as_str()).await?);
    }
    let updated = request::Entity::find_by_id(id).one(&tx).await?.ok_or_else(|| ApiError::not_found("申请", "request"))?;
    chains::sync_people(&tx, id, &chain, next).await?;
    chains::add_people(&tx, id, &[me.id], "involved").await?;
    let mut after = serde_json::json!({
        "status": updated.status, "version": updated.version, "round": updated.round, "step": step_name,
    });
    if let (Some(obj), Some(t)) = (after.as_object_mut(), target.as_ref()) {
        obj.insert("to_user_id".into(), t.id.into());
        obj.insert("to_user_name".into(), t.display_name.clone().into());
    }
    if let (Some(obj), Some(extra)) = (after.as_object_mut(), extra.as_object()) {
        obj.extend(extra.clone());
    }
    cursor
        .append(
            &tx,
            NewEvent {
                actor_id: Some(me.id),
                actor_name: me.display_name.clone(),
                on_behalf_of_id: (slot != me.id).then_some(slot),
                action: action.as_str().into(),
                request_id: Some(id),
                comment,
                before: Some(serde_json::json!({"status": current.status, "version": current.version, "round": current.round})),
                after: Some(after),
            },
            now,
        )
        .await?;
    announce(&tx, state, action, status, &updated, &chain, now).await?;
    tx.commit().await?;
    detail(state, me, &updated, Vec::new()).await
}

/// The user a hand-off names: they must exist, be active, and be free of the request
/// (not the requester, not someone who approved in this round, not already waiting in the step).
async fn hand_to(state: &AppState, m: &request::Model, chain: &Chain, field: &str, user_id: i32) -> ApiResult<user::Model> {
    let u = user::Entity::find_by_id(user_id)
        .one(&state.db)
        .await?
        .ok_or_else(|| ApiError::field(field, format!("用户 {user_id} 不存在"), format!("user {user_id} does not exist")))?;
    match chains::eligible(&u, m, chain, field == "to_user_id") {
        Ok(()) => Ok(u),
        Err(Ineligible::Disabled) => Err(ApiError::field(field, format!("{} 已停用", u.display_name), format!("{} is disabled", u.username))),
        Err(Ineligible::Requester) => Err(ApiError::field(field, "不能交给申请人本人审批", "the requester may not approve their own request")),
        Err(Ineligible::Involved) => Err(ApiError::field(
            field,
            format!("{} 已在本轮审批中（已审批、正在等待其审批或负责后续步骤）", u.display_name),
            format!("{} already takes part in this round", u.username),
        )),
    }
}

/// A finance sign-off stays with finance: the new holder needs the role, and when the paying
/// company names its finance users, must be one of them.
async fn check_finance_holder(state: &AppState, m: &request::Model, chain: &Chain, u: &user::Model) -> ApiResult<()> {
    if chain.current_step().is_none_or(|s| s.kind != StepKind::Finance) {
        return Ok(());
    }
    if !RoleSet::from_db(&u.roles).has(Role::Finance) {
        return Err(ApiError::field("to_user_id", "财务审批只能转交给财务人员", "the finance sign-off can only go to a finance user"));
    }
    if let Some(company) = m.company_id {
        let named = company_finance_user::Entity::find().filter(company_finance_user::Column::CompanyId.eq(company));
        let listed = named.clone().filter(company_finance_user::Column::UserId.eq(u.id)).count(&state.db).await? > 0;
        if !listed && named.count(&state.db).await? > 0 {
            return Err(ApiError::field("to_user_id", "此公司的财务审批只能由其财务人员完成", "this company's sign-off is limited to its finance users"));
        }
    }
    Ok(())
}

async fn do_transfer(state: &AppState, me: &AuthUser, current: request::Model, body: TransferBody) -> ApiResult<RequestDetail> {
    let to = body.to_user_id;
    apply(state, me, current, Action::Transfer, body.version, body.comment, async |m, chain, slot| {
        if to == slot || to == me.id {
            return Err(ApiError::field("to_user_id", "不能转交给自己", "you cannot transfer to yourself"));
        }
        let target = hand_to(state, m, chain, "to_user_id", to).await?;
        check_finance_holder(state, m, chain, &target).await?;
        chain.transfer(slot, target.id);
        Ok(Change { next: chain.status(), detail: serde_json::json!({"from_user_id": slot}), target: Some(target) })
    })
    .await
}

async fn do_add_approver(state: &AppState, me: &AuthUser, current: request::Model, body: AddApproverBody) -> ApiResult<RequestDetail> {
    let who = body.user_id;
    let position = match body.position {
        AddPosition::Before => Position::Before,
        AddPosition::After => Position::After,
    };
    apply(state, me, current, Action::AddApprover, body.version, body.comment, async |m, chain, slot| {
        if who == slot || who == me.id {
            return Err(ApiError::field("user_id", "不能给自己加签", "you cannot add yourself"));
        }
        let target = hand_to(state, m, chain, "user_id", who).await?;
        if chain.steps.len() >= MAX_STEPS {
            return Err(ApiError::field("user_id", format!("一轮审批最多 {MAX_STEPS} 步"), format!("a round has at most {MAX_STEPS} steps")));
        }
        let (name, pos) = match position {
            Position::Before => ("加签（前）", "before"),
            Position::After => ("加签（后）", "after"),
        };
        chain.add_approver(target.id, position, name);
        Ok(Change { next: chain.status(), detail: serde_json::json!({"position": pos}), target: Some(target) })
    })
    .await
}

async fn do_recall(state: &AppState, me: &AuthUser, current: request::Model, body: RecallBody) -> ApiResult<RequestDetail> {
    apply(state, me, current, Action::Recall, body.version, body.comment, async |_m, chain, _slot| {
        // `transition` has established that a recall is possible now.
        let next = chain.recall(me.id).map_err(|_| ApiError::Forbidden(Msg::new("没有可撤回的审批", "nothing to recall")))?;
        Ok(Change { next, target: None, detail: serde_json::json!({}) })
    })
    .await
}

/// Add a comment without acting. Everyone who may read the request may comment; `@username`
/// notifies that user when they may read it too (others are named in `warnings`).
#[utoipa::path(post, path = "/requests/{id}/comments", tag = "requests", security(("bearer" = [])),
    params(("id" = i32, Path)), request_body = CommentBody,
    responses((status = 201, body = RequestDetail), (status = 404, body = crate::error::ProblemBody),
              (status = 422, body = crate::error::ProblemBody)))]
async fn comment(State(state): State<AppState>, me: AuthUser, Path(id): Path<i32>, body: Bytes) -> ApiResult<(StatusCode, Json<RequestDetail>)> {
    let m = find_visible(&state.db, &me, id).await?;
    let body: CommentBody = parse_json(&body)?;
    let text = body.body.trim().to_owned();
    if text.is_empty() || text.chars().count() > 2000 {
        return Err(ApiError::field("body", "评论须为 1–2000 个字符", "a comment must be 1–2000 characters"));
    }
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
    let now = state.clock.now();
    let (tx, mut cursor) = audit::begin(&state.db).await?;
    let ev = cursor
        .append(
            &tx,
            NewEvent {
                actor_id: Some(me.id),
                actor_name: me.display_name.clone(),
                action: "comment".into(),
                request_id: Some(id),
                comment: Some(text.clone()),
                after: Some(serde_json::json!({"status": m.status, "version": m.version, "mentioned_user_ids": notified})),
                ..Default::default()
            },
            now,
        )
        .await?;
    let notice = Notice {
        kind: "mention",
        title: format!("{} 在审批单中提到了您", me.display_name),
        body: format!("{} {}：{}", m.number.as_deref().unwrap_or(""), m.title, text.chars().take(200).collect::<String>()),
        request_id: Some(id),
        dedupe_key: format!("mention:{}:{}", id, ev.seq),
    };
    notify(&tx, &notified, &notice, state.config.webhook_url.is_some(), now).await?;
    tx.commit().await?;
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
