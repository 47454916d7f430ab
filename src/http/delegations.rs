//! Delegation while away (代理, DESIGN §2.4): an approver names a delegate for a date range
//! (and optionally only some kinds); in that range the delegate may act on the approver's
//! steps, recorded as "delegate on behalf of approver".
use super::extract::{Json, Path, Query};
use crate::app::AppState;
use crate::auth::AuthUser;
use crate::domain::roles::{Role, RoleSet};
use crate::domain::workflow::Kind;
use crate::error::{ApiError, ApiResult, FieldError, Msg};
use crate::store::delegations::{self, NewDelegation};
use axum::extract::State;
use axum::http::StatusCode;
use chrono::{DateTime, NaiveDate, Utc};
use entity::{delegation, user};
use sea_orm::{ColumnTrait, Condition, EntityTrait, QueryFilter, QueryOrder};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use utoipa_axum::{router::OpenApiRouter, routes};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(list_delegations, create_delegation)).routes(routes!(revoke_delegation))
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct DelegationView {
    pub id: i32,
    pub approver_id: i32,
    pub approver_name: String,
    pub delegate_id: i32,
    pub delegate_name: String,
    pub starts_on: NaiveDate,
    pub ends_on: NaiveDate,
    /// Only these kinds; all kinds when null.
    pub kinds: Option<Vec<Kind>>,
    /// As of today, China time.
    pub state: DelegationState,
    pub created_at: DateTime<Utc>,
    pub revoked_at: Option<DateTime<Utc>>,
}

#[derive(Debug, Clone, Copy, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum DelegationState {
    Active,
    Upcoming,
    Ended,
    Revoked,
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DelegationInput {
    pub delegate_id: i32,
    pub starts_on: NaiveDate,
    pub ends_on: NaiveDate,
    /// Only these kinds; every kind when absent.
    pub kinds: Option<Vec<Kind>>,
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct DelegationQuery {
    /// Admin and auditor: every delegation, not only the caller's.
    pub all: Option<bool>,
}

fn parse_kinds(k: Option<&str>) -> Option<Vec<Kind>> {
    k.map(|k| k.split(',').filter_map(Kind::parse).collect())
}

fn views(rows: Vec<delegation::Model>, names: &HashMap<i32, String>, today: NaiveDate) -> Vec<DelegationView> {
    rows.into_iter()
        .map(|d| DelegationView {
            state: if d.revoked_at.is_some() {
                DelegationState::Revoked
            } else if today < d.starts_on {
                DelegationState::Upcoming
            } else if today > d.ends_on {
                DelegationState::Ended
            } else {
                DelegationState::Active
            },
            approver_name: names.get(&d.approver_id).cloned().unwrap_or_default(),
            delegate_name: names.get(&d.delegate_id).cloned().unwrap_or_default(),
            kinds: parse_kinds(d.kinds.as_deref()),
            id: d.id,
            approver_id: d.approver_id,
            delegate_id: d.delegate_id,
            starts_on: d.starts_on,
            ends_on: d.ends_on,
            created_at: d.created_at,
            revoked_at: d.revoked_at,
        })
        .collect()
}

async fn names_of(state: &AppState, rows: &[delegation::Model]) -> ApiResult<HashMap<i32, String>> {
    let ids: Vec<i32> = rows.iter().flat_map(|d| [d.approver_id, d.delegate_id]).collect();
    Ok(user::Entity::find().filter(user::Column::Id.is_in(ids)).all(&state.db).await?.into_iter().map(|u| (u.id, u.display_name)).collect())
}

/// The caller's delegations, given and received, newest first (`all=true`: everyone's, for
/// admin and auditor).
#[utoipa::path(get, path = "/delegations", tag = "delegations", security(("bearer" = [])), params(DelegationQuery),
    responses((status = 200, body = Vec<DelegationView>), (status = 401, body = crate::error::ProblemBody), (status = 403, body = crate::error::ProblemBody)))]
async fn list_delegations(
    State(state): State<AppState>,
    me: AuthUser,
    Query(q): Query<DelegationQuery>,
) -> ApiResult<Json<Vec<DelegationView>>> {
    let mut find = delegation::Entity::find();
    if q.all == Some(true) {
        me.require_any(&[Role::Admin, Role::Auditor])?;
    } else {
        find = find.filter(Condition::any().add(delegation::Column::ApproverId.eq(me.id)).add(delegation::Column::DelegateId.eq(me.id)));
    }
    let rows = find.order_by_desc(delegation::Column::Id).all(&state.db).await?;
    let names = names_of(&state, &rows).await?;
    Ok(Json(views(rows, &names, me.today)))
}

/// Name a delegate for a date range (for oneself). Ranges of one approver may not overlap.
#[utoipa::path(post, path = "/delegations", tag = "delegations", security(("bearer" = [])), request_body = DelegationInput,
    responses((status = 201, body = DelegationView), (status = 401, body = crate::error::ProblemBody),
              (status = 409, body = crate::error::ProblemBody), (status = 422, body = crate::error::ProblemBody)))]
async fn create_delegation(
    State(state): State<AppState>,
    me: AuthUser,
    Json(body): Json<DelegationInput>,
) -> ApiResult<(StatusCode, Json<DelegationView>)> {
    let mut errors = Vec::new();
    match user::Entity::find_by_id(body.delegate_id).one(&state.db).await? {
        Some(u) if u.id == me.id => errors.push(FieldError::new("delegate_id", "不能委托给自己", "you cannot delegate to yourself")),
        Some(u) if !u.disabled => {
            // A delegate holds the approver's places, so they need a role that approves there
            // (DESIGN §1.3): `manager` for the steps before finance, `finance` at finance.
            let theirs = RoleSet::from_db(&u.roles);
            let needed: Vec<Role> = [Role::Manager, Role::Finance].into_iter().filter(|r| me.has(*r)).collect();
            let needed = if needed.is_empty() { vec![Role::Manager] } else { needed };
            if !needed.iter().any(|r| theirs.has(*r)) {
                errors.push(FieldError::new(
                    "delegate_id",
                    format!("{} 没有审批角色（经理或财务），不能代理审批", u.display_name),
                    format!("{} holds no approving role (manager or finance) and cannot stand in", u.username),
                ));
            }
        }
        _ => errors.push(FieldError::new("delegate_id", "代理人不存在或已停用", "no such active user")),
    }
    if body.ends_on < body.starts_on {
        errors.push(FieldError::new("ends_on", "结束日期不能早于开始日期", "ends_on must not be before starts_on"));
    } else if (body.ends_on - body.starts_on).num_days() > 366 {
        errors.push(FieldError::new("ends_on", "代理期最长一年", "a delegation lasts at most a year"));
    }
    if body.ends_on < me.today {
        errors.push(FieldError::new("ends_on", "结束日期已过", "ends_on is in the past"));
    }
    if body.kinds.as_ref().is_some_and(Vec::is_empty) {
        errors.push(FieldError::new("kinds", "类型列表不能为空（不限类型请省略）", "kinds may not be empty (omit it for every kind)"));
    }
    if !errors.is_empty() {
        return Err(ApiError::Validation(errors));
    }
    let new = NewDelegation { delegate_id: body.delegate_id, starts_on: body.starts_on, ends_on: body.ends_on, kinds: body.kinds };
    let d = delegations::create(state.ctx(), &me, &new).await?;
    let names = names_of(&state, std::slice::from_ref(&d)).await?;
    Ok((StatusCode::CREATED, Json(views(vec![d], &names, me.today).remove(0))))
}

/// Revoke a delegation (the approver who gave it, or an admin). It stays on record.
#[utoipa::path(delete, path = "/delegations/{id}", tag = "delegations", security(("bearer" = [])), params(("id" = i32, Path)),
    responses((status = 204), (status = 401, body = crate::error::ProblemBody), (status = 404, body = crate::error::ProblemBody)))]
async fn revoke_delegation(State(state): State<AppState>, me: AuthUser, Path(id): Path<i32>) -> ApiResult<StatusCode> {
    let d = delegation::Entity::find_by_id(id).one(&state.db).await?;
    let d = match d {
        Some(d) if d.approver_id == me.id || d.delegate_id == me.id || me.has(Role::Admin) => d,
        _ => return Err(ApiError::not_found("代理", "delegation")),
    };
    if d.approver_id != me.id && !me.has(Role::Admin) {
        return Err(ApiError::Forbidden(Msg::new(
            "只有委托人本人或管理员可以撤销代理",
            "only the approver who gave it, or an admin, may revoke it",
        )));
    }
    if d.revoked_at.is_some() {
        return Ok(StatusCode::NO_CONTENT);
    }
    delegations::revoke(state.ctx(), &me, &d).await?;
    Ok(StatusCode::NO_CONTENT)
}
