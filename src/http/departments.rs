//! Departments and their heads (admin only).
use super::extract::{Json, Path};
use crate::app::AppState;
use crate::auth::Admin;
use crate::error::{ApiError, ApiResult, FieldError};
use crate::store::departments;
use axum::extract::State;
use axum::http::StatusCode;
use chrono::{DateTime, Utc};
use entity::{department, user};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder};
use serde::{Deserialize, Serialize};
use utoipa_axum::{router::OpenApiRouter, routes};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(list_departments, create_department)).routes(routes!(update_department))
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct DepartmentView {
    pub id: i32,
    pub name: String,
    pub head_id: Option<i32>,
    pub head_name: Option<String>,
    /// The department one level up (set by the organisation import's paths).
    pub parent_id: Option<i32>,
    pub created_at: DateTime<Utc>,
}

async fn view(state: &AppState, d: department::Model) -> ApiResult<DepartmentView> {
    let head_name = match d.head_id {
        Some(h) => user::Entity::find_by_id(h).one(&state.db).await?.map(|u| u.display_name),
        None => None,
    };
    Ok(DepartmentView { id: d.id, name: d.name, head_id: d.head_id, head_name, parent_id: d.parent_id, created_at: d.created_at })
}

/// List departments (admin).
#[utoipa::path(get, path = "/departments", tag = "departments", security(("bearer" = [])),
    responses((status = 200, body = Vec<DepartmentView>), (status = 403, body = crate::error::ProblemBody)))]
async fn list_departments(State(state): State<AppState>, _admin: Admin) -> ApiResult<Json<Vec<DepartmentView>>> {
    let all = department::Entity::find().order_by_asc(department::Column::Name).all(&state.db).await?;
    let heads: std::collections::HashMap<i32, String> = user::Entity::find()
        .filter(user::Column::Id.is_in(all.iter().filter_map(|d| d.head_id).collect::<Vec<_>>()))
        .all(&state.db)
        .await?
        .into_iter()
        .map(|u| (u.id, u.display_name))
        .collect();
    Ok(Json(
        all.into_iter()
            .map(|d| DepartmentView {
                head_name: d.head_id.and_then(|h| heads.get(&h).cloned()),
                id: d.id,
                name: d.name,
                head_id: d.head_id,
                parent_id: d.parent_id,
                created_at: d.created_at,
            })
            .collect(),
    ))
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DepartmentInput {
    pub name: Option<String>,
    /// The department head: approves requests of members who have no `manager_id`.
    pub head_id: Option<i32>,
}

async fn validate(state: &AppState, input: &DepartmentInput, name_required: bool) -> ApiResult<Option<String>> {
    let mut errors = Vec::new();
    let name = match input.name.as_deref() {
        None if !name_required => None,
        value => crate::domain::text::required(value.unwrap_or(""), 100)
            .map_err(|p| errors.push(crate::domain::text::labelled_field_error("name", "部门名称", p)))
            .ok(),
    };
    if let Some(h) = input.head_id {
        match user::Entity::find_by_id(h).one(&state.db).await? {
            Some(u) if !u.disabled => {}
            _ => errors.push(FieldError::new("head_id", "部门负责人不存在或已停用", "no such active user")),
        }
    }
    if !errors.is_empty() {
        return Err(ApiError::Validation(errors));
    }
    Ok(name)
}

/// Create a department (admin).
#[utoipa::path(post, path = "/departments", tag = "departments", security(("bearer" = [])), request_body = DepartmentInput,
    responses((status = 201, body = DepartmentView), (status = 403, body = crate::error::ProblemBody),
              (status = 409, body = crate::error::ProblemBody), (status = 422, body = crate::error::ProblemBody)))]
async fn create_department(
    State(state): State<AppState>,
    Admin(me): Admin,
    Json(body): Json<DepartmentInput>,
) -> ApiResult<(StatusCode, Json<DepartmentView>)> {
    let name = validate(&state, &body, true).await?.unwrap_or_default();
    let d = departments::create(state.ctx(), &me, name, body.head_id).await?;
    Ok((StatusCode::CREATED, Json(view(&state, d).await?)))
}

/// Rename a department or change its head (admin).
#[utoipa::path(patch, path = "/departments/{id}", tag = "departments", security(("bearer" = [])), request_body = DepartmentInput,
    params(("id" = i32, Path)),
    responses((status = 200, body = DepartmentView), (status = 403, body = crate::error::ProblemBody),
              (status = 404, body = crate::error::ProblemBody), (status = 422, body = crate::error::ProblemBody)))]
async fn update_department(
    State(state): State<AppState>,
    Admin(me): Admin,
    Path(id): Path<i32>,
    Json(body): Json<DepartmentInput>,
) -> ApiResult<Json<DepartmentView>> {
    let current = departments::find(&state.db, id).await?;
    let same_name = body.name.as_deref().map(str::trim) == Some(current.name.as_str());
    let name = if same_name { None } else { validate(&state, &body, false).await? };
    if same_name {
        validate(&state, &DepartmentInput { name: None, head_id: body.head_id }, false).await?;
    }
    let d = departments::update(state.ctx(), &me, current, name, body.head_id).await?;
    Ok(Json(view(&state, d).await?))
}
