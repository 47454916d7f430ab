//! Departments and their heads: the writes, the uniqueness of names and their audit events.
use crate::auth::AuthUser;
use crate::domain::audit::AuditAction;
use crate::error::{ApiError, ApiResult, ConflictCode, Msg};
use crate::store::apply::Ctx;
use crate::store::audit::{self, NewEvent};
use entity::department;
use sea_orm::{ActiveModelTrait, ActiveValue::Set, ColumnTrait, DatabaseConnection, EntityTrait, IntoActiveModel, QueryFilter};

pub async fn find(db: &DatabaseConnection, id: i32) -> ApiResult<department::Model> {
    department::Entity::find_by_id(id).one(db).await?.ok_or_else(|| ApiError::not_found("部门", "department"))
}

/// Adds a department named `name` (validated at the edge) unless the name is taken.
pub async fn create(ctx: Ctx<'_>, me: &AuthUser, name: String, head_id: Option<i32>) -> ApiResult<department::Model> {
    name_taken(ctx.db, &name).await?;
    let (tx, mut cursor) = audit::begin(ctx.db).await?;
    let d = department::ActiveModel { name: Set(name), head_id: Set(head_id), created_at: Set(ctx.now), ..Default::default() }
        .insert(&tx)
        .await?;
    cursor
        .append(
            &tx,
            NewEvent {
                after: Some(serde_json::json!({"id": d.id, "name": d.name, "head_id": d.head_id})),
                ..NewEvent::by(me, AuditAction::DepartmentCreate)
            },
            ctx.now,
        )
        .await?;
    tx.commit().await?;
    Ok(d)
}

/// Renames `current` (when `name` is given: a new name, validated at the edge) and changes its
/// head (when `head_id` is given).
pub async fn update(
    ctx: Ctx<'_>,
    me: &AuthUser,
    current: department::Model,
    name: Option<String>,
    head_id: Option<i32>,
) -> ApiResult<department::Model> {
    if let Some(n) = &name {
        name_taken(ctx.db, n).await?;
    }
    let before = serde_json::json!({"name": current.name, "head_id": current.head_id});
    let mut am = current.into_active_model();
    if let Some(n) = name {
        am.name = Set(n);
    }
    if head_id.is_some() {
        am.head_id = Set(head_id);
    }
    let (tx, mut cursor) = audit::begin(ctx.db).await?;
    let d = am.update(&tx).await?;
    cursor
        .append(
            &tx,
            NewEvent {
                before: Some(before),
                after: Some(serde_json::json!({"name": d.name, "head_id": d.head_id})),
                ..NewEvent::by(me, AuditAction::DepartmentUpdate)
            },
            ctx.now,
        )
        .await?;
    tx.commit().await?;
    Ok(d)
}

async fn name_taken(db: &DatabaseConnection, name: &str) -> ApiResult<()> {
    if department::Entity::find().filter(department::Column::Name.eq(name)).one(db).await?.is_some() {
        return Err(ApiError::Conflict {
            code: ConflictCode::NameTaken,
            msg: Msg::new("部门名称已存在", "a department with this name exists"),
            current: None,
        });
    }
    Ok(())
}
