//! User administration (admin only).
use super::Page;
use super::extract::{Json, Path, Query};
use crate::app::AppState;
use crate::auth::{Admin, password};
use crate::domain::roles::{Role, RoleSet};
use crate::error::{ApiError, ApiResult, FieldError, Msg};
use crate::store::users::{self, NewUser, Operator, UserChanges, UserView};
use axum::extract::State;
use axum::http::StatusCode;
use entity::user;
use sea_orm::{ColumnTrait, Condition, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder, QuerySelect};
use serde::Deserialize;
use utoipa_axum::{router::OpenApiRouter, routes};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(list_users, create_user)).routes(routes!(update_user)).routes(routes!(directory))
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct UserQuery {
    /// Matches username or display name.
    pub q: Option<String>,
    pub role: Option<Role>,
    pub department_id: Option<i32>,
    pub disabled: Option<bool>,
    pub page: Option<u64>,
    pub per_page: Option<u64>,
}

/// List users (admin).
#[utoipa::path(get, path = "/users", tag = "users", security(("bearer" = [])), params(UserQuery),
    responses((status = 200, body = Page<UserView>), (status = 401, body = crate::error::ProblemBody), (status = 403, body = crate::error::ProblemBody)))]
async fn list_users(State(state): State<AppState>, _admin: Admin, Query(q): Query<UserQuery>) -> ApiResult<Json<Page<UserView>>> {
    let (page, per_page) = super::PageParams::resolve(q.page, q.per_page)?;
    let mut cond = Condition::all();
    if let Some(text) = q.q.as_deref().map(str::trim).filter(|t| !t.is_empty()) {
        cond = cond.add(
            Condition::any()
                .add(crate::store::contains_text(user::Column::Username, text))
                .add(crate::store::contains_text(user::Column::DisplayName, text)),
        );
    }
    if let Some(role) = q.role {
        cond = cond.add(user::Column::Roles.contains(role.as_str()));
    }
    if let Some(d) = q.department_id {
        cond = cond.add(user::Column::DepartmentId.eq(d));
    }
    if let Some(disabled) = q.disabled {
        cond = cond.add(user::Column::Disabled.eq(disabled));
    }
    let paginator = user::Entity::find().filter(cond).order_by_asc(user::Column::Id).paginate(&state.db, per_page);
    let total = paginator.num_items().await?;
    let items = paginator.fetch_page(page - 1).await?.into_iter().map(UserView::from).collect();
    Ok(Json(Page { items, total, page, per_page }))
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateUser {
    pub username: String,
    pub display_name: String,
    pub email: Option<String>,
    /// At least 8 characters. The user is asked to change it at first login.
    pub password: String,
    pub roles: Vec<Role>,
    pub department_id: Option<i32>,
    pub manager_id: Option<i32>,
}

/// Create a user (admin).
#[utoipa::path(post, path = "/users", tag = "users", security(("bearer" = [])), request_body = CreateUser,
    responses((status = 201, body = UserView), (status = 403, body = crate::error::ProblemBody),
              (status = 409, body = crate::error::ProblemBody), (status = 422, body = crate::error::ProblemBody)))]
async fn create_user(
    State(state): State<AppState>,
    Admin(me): Admin,
    Json(body): Json<CreateUser>,
) -> ApiResult<(StatusCode, Json<UserView>)> {
    let created = users::create(
        &state.db,
        NewUser {
            username: body.username,
            display_name: body.display_name,
            email: body.email,
            password: body.password,
            roles: body.roles.into_iter().collect(),
            department_id: body.department_id,
            manager_id: body.manager_id,
            must_change_password: true,
        },
        &Operator { id: Some(me.id), name: me.display_name.clone() },
        state.clock.now(),
    )
    .await?;
    Ok((StatusCode::CREATED, Json(created.into())))
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateUser {
    pub display_name: Option<String>,
    pub email: Option<String>,
    pub roles: Option<Vec<Role>>,
    /// `null` removes the department.
    #[serde(default, deserialize_with = "super::extract::double_option")]
    #[schema(value_type = Option<i32>)]
    pub department_id: Option<Option<i32>>,
    /// `null` removes the manager.
    #[serde(default, deserialize_with = "super::extract::double_option")]
    #[schema(value_type = Option<i32>)]
    pub manager_id: Option<Option<i32>>,
    pub disabled: Option<bool>,
    /// Sets a new password (the user must change it at next login).
    pub password: Option<String>,
}

/// Change a user's roles, department, manager, password or disable them (admin).
/// Disabling, a new password or new roles revoke the user's tokens at once.
#[utoipa::path(patch, path = "/users/{id}", tag = "users", security(("bearer" = [])), request_body = UpdateUser,
    params(("id" = i32, Path)),
    responses((status = 200, body = UserView), (status = 403, body = crate::error::ProblemBody),
              (status = 404, body = crate::error::ProblemBody), (status = 409, body = crate::error::ProblemBody),
              (status = 422, body = crate::error::ProblemBody)))]
async fn update_user(
    State(state): State<AppState>,
    Admin(me): Admin,
    Path(id): Path<i32>,
    Json(body): Json<UpdateUser>,
) -> ApiResult<Json<UserView>> {
    let current = user::Entity::find_by_id(id).one(&state.db).await?.ok_or_else(|| ApiError::not_found("用户", "user"))?;
    let mut errors: Vec<FieldError> = Vec::new();
    let display_name = match &body.display_name {
        Some(name) => users::check_display_name(name).map_err(|e| errors.push(e)).ok(),
        None => None,
    };
    if let Some(Some(email)) = body.email.as_ref().map(|e| Some(e).filter(|e| !e.is_empty()))
        && crate::domain::ids::Email::parse(email).is_err()
    {
        errors.push(FieldError::new("email", "邮箱格式不正确", "invalid e-mail address"));
    }
    let roles: Option<RoleSet> = body.roles.as_ref().map(|r| r.iter().copied().collect());
    if roles == Some(RoleSet::default()) {
        errors.push(FieldError::new("roles", "至少需要一个角色", "at least one role is required"));
    }
    if let Some(p) = &body.password {
        errors.extend(password::check_policy(p).err());
    }
    if !errors.is_empty() {
        return Err(ApiError::Validation(errors));
    }
    // An admin cannot lock themselves out: the last way back in would be the database.
    if id == me.id && (body.disabled == Some(true) || roles.is_some_and(|r| !r.has(Role::Admin))) {
        return Err(ApiError::Conflict {
            code: crate::error::ConflictCode::SelfLockout,
            msg: Msg::new("不能停用自己或移除自己的管理员角色", "you cannot disable yourself or remove your own admin role"),
            current: None,
        });
    }
    let department_id = body.department_id.unwrap_or(current.department_id);
    let manager_id = body.manager_id.unwrap_or(current.manager_id);
    users::check_links(&state.db, Some(id), department_id, manager_id).await?;

    let password_hash = match body.password.clone() {
        Some(p) => Some(password::hash(p).await?),
        None => None,
    };
    let changes = UserChanges {
        display_name,
        email: body.email.map(|e| Some(e.trim().to_owned()).filter(|e| !e.is_empty())),
        phone: None,
        roles,
        department_id,
        manager_id,
        disabled: body.disabled,
        password_hash,
    };
    let updated = users::update(state.ctx(), &me, &current, changes).await?;
    Ok(Json(updated.into()))
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct DirectoryQuery {
    /// Matches username or display name.
    pub q: Option<String>,
    /// Only users holding this role (e.g. `finance` for a finance hand-off).
    pub role: Option<Role>,
    /// At most this many (1–50, default 20).
    pub limit: Option<u64>,
}

/// One colleague, as anyone may look them up (to hand over, copy in, mention or delegate).
#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
pub struct DirectoryEntry {
    pub id: i32,
    pub username: String,
    pub display_name: String,
    pub department_id: Option<i32>,
    pub department_name: Option<String>,
    pub roles: Vec<Role>,
}

/// Active colleagues by name (everyone signed in): no e-mail, no account details.
#[utoipa::path(get, path = "/users/directory", tag = "users", security(("bearer" = [])), params(DirectoryQuery),
    responses((status = 200, body = Vec<DirectoryEntry>), (status = 401, body = crate::error::ProblemBody), (status = 422, body = crate::error::ProblemBody)))]
async fn directory(
    State(state): State<AppState>,
    _me: crate::auth::AuthUser,
    Query(q): Query<DirectoryQuery>,
) -> ApiResult<Json<Vec<DirectoryEntry>>> {
    let limit = q.limit.unwrap_or(20);
    if !(1..=50).contains(&limit) {
        return Err(ApiError::field("limit", "limit 须在 1 到 50 之间", "limit must be 1–50"));
    }
    let mut cond = Condition::all().add(user::Column::Disabled.eq(false));
    if let Some(text) = q.q.as_deref().map(str::trim).filter(|t| !t.is_empty()) {
        cond = cond.add(
            Condition::any()
                .add(crate::store::contains_text(user::Column::Username, text))
                .add(crate::store::contains_text(user::Column::DisplayName, text)),
        );
    }
    if let Some(role) = q.role {
        cond = cond.add(user::Column::Roles.contains(role.as_str()));
    }
    // The role filter is a text match refined below, so read a few more than asked for.
    let rows = user::Entity::find().filter(cond).order_by_asc(user::Column::Username).limit(limit * 4).all(&state.db).await?;
    let depts: std::collections::HashMap<i32, String> =
        entity::department::Entity::find().all(&state.db).await?.into_iter().map(|d| (d.id, d.name)).collect();
    Ok(Json(
        rows.into_iter()
            .filter(|u| q.role.is_none_or(|r| RoleSet::from_db(&u.roles).has(r)))
            .take(limit as usize)
            .map(|u| DirectoryEntry {
                department_name: u.department_id.and_then(|d| depts.get(&d).cloned()),
                roles: RoleSet::from_db(&u.roles).to_vec(),
                id: u.id,
                username: u.username,
                display_name: u.display_name,
                department_id: u.department_id,
            })
            .collect(),
    ))
}
