//! Users and departments.
use crate::auth::{AuthUser, password};
use crate::domain::mail::Language;
use crate::domain::roles::{Role, RoleSet};
use crate::error::{ApiError, FieldError, Msg};
use crate::store::audit::{self, NewEvent};
use chrono::{DateTime, Utc};
use entity::{department, user};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, DatabaseConnection, EntityTrait, IntoActiveModel, PaginatorTrait, QueryFilter,
};
use serde::Serialize;

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct UserView {
    pub id: i32,
    pub username: String,
    pub display_name: String,
    pub email: Option<String>,
    pub roles: Vec<Role>,
    pub department_id: Option<i32>,
    pub manager_id: Option<i32>,
    pub disabled: bool,
    pub must_change_password: bool,
    /// Mobile number; group robots @-mention it.
    pub phone: Option<String>,
    /// Notifications also go by e-mail when the user has an address.
    pub email_notifications: bool,
    /// The language of e-mails.
    pub language: Language,
    pub created_at: DateTime<Utc>,
}

impl From<user::Model> for UserView {
    fn from(u: user::Model) -> Self {
        UserView {
            id: u.id,
            username: u.username,
            display_name: u.display_name,
            email: u.email,
            roles: RoleSet::from_db(&u.roles).to_vec(),
            department_id: u.department_id,
            manager_id: u.manager_id,
            disabled: u.disabled,
            must_change_password: u.must_change_password,
            language: Language::from_db(&u.language),
            phone: u.phone,
            email_notifications: u.email_notifications,
            created_at: u.created_at,
        }
    }
}

/// Who performed an administrative change, for the audit log (`None`: the command line).
#[derive(Debug, Clone)]
pub struct Operator {
    pub id: Option<i32>,
    pub name: String,
}

impl Operator {
    pub fn cli() -> Operator {
        Operator { id: None, name: "cli".to_owned() }
    }
}

pub struct NewUser {
    pub username: String,
    pub display_name: String,
    pub email: Option<String>,
    pub password: String,
    pub roles: RoleSet,
    pub department_id: Option<i32>,
    pub manager_id: Option<i32>,
    pub must_change_password: bool,
}

pub fn check_username(username: &str) -> Result<(), FieldError> {
    let ok_chars = username.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-'));
    if !(2..=64).contains(&username.len()) || !ok_chars {
        return Err(FieldError::new("username", "用户名须为 2–64 个字母、数字或 _ . -", "username must be 2–64 letters, digits or _ . -"));
    }
    Ok(())
}

/// The name as shown to colleagues: 1–100 characters with something visible, no direction
/// overrides (a name must read as what it is). Returns the trimmed name.
pub fn check_display_name(name: &str) -> Result<String, FieldError> {
    crate::domain::text::required(name, 100).map_err(|p| crate::domain::text::labelled_field_error("display_name", "姓名", p))
}

/// A user as the append-only audit log keeps it: no e-mail, nothing that might have to be erased.
pub fn audit_summary(u: &user::Model) -> serde_json::Value {
    serde_json::json!({
        "id": u.id, "username": u.username, "display_name": u.display_name, "roles": u.roles,
        "department_id": u.department_id, "manager_id": u.manager_id, "disabled": u.disabled,
    })
}

pub async fn find_by_username(db: &DatabaseConnection, username: &str) -> Result<Option<user::Model>, sea_orm::DbErr> {
    // No username holds a NUL (check_username refuses control characters), and PostgreSQL
    // cannot even compare text that does: a typed-in NUL is simply nobody.
    if username.contains('\0') {
        return Ok(None);
    }
    user::Entity::find().filter(user::Column::Username.eq(username.trim())).one(db).await
}

pub async fn count(db: &DatabaseConnection) -> Result<u64, sea_orm::DbErr> {
    user::Entity::find().count(db).await
}

/// Checks that the department and manager exist, and that the manager chain has no loop.
pub async fn check_links(
    db: &DatabaseConnection,
    user_id: Option<i32>,
    department_id: Option<i32>,
    manager_id: Option<i32>,
) -> Result<(), ApiError> {
    let mut errors = Vec::new();
    if let Some(d) = department_id
        && department::Entity::find_by_id(d).one(db).await?.is_none()
    {
        errors.push(FieldError::new("department_id", "部门不存在", "no such department"));
    }
    if let Some(m) = manager_id {
        if Some(m) == user_id {
            errors.push(FieldError::new("manager_id", "不能把自己设为自己的上级", "a user cannot be their own manager"));
        } else {
            // Walk up from the new manager: meeting the user on the way would make a loop.
            let mut cursor = Some(m);
            let mut hops = 0;
            while let Some(id) = cursor {
                if Some(id) == user_id || hops > 64 {
                    errors.push(FieldError::new("manager_id", "上级关系形成了循环", "the manager chain would loop"));
                    break;
                }
                match user::Entity::find_by_id(id).one(db).await? {
                    Some(u) => cursor = u.manager_id,
                    None => {
                        if hops == 0 {
                            errors.push(FieldError::new("manager_id", "上级用户不存在", "no such manager"));
                        }
                        break;
                    }
                }
                hops += 1;
            }
        }
    }
    if errors.is_empty() { Ok(()) } else { Err(ApiError::Validation(errors)) }
}

pub async fn create(db: &DatabaseConnection, new: NewUser, by: &Operator, now: DateTime<Utc>) -> Result<user::Model, ApiError> {
    let mut errors = Vec::new();
    errors.extend(check_username(&new.username).err());
    let display_name = check_display_name(&new.display_name).map_err(|e| errors.push(e)).unwrap_or_default();
    errors.extend(password::check_policy(&new.password).err());
    if let Some(email) = &new.email
        && crate::domain::ids::Email::parse(email).is_err()
    {
        errors.push(FieldError::new("email", "邮箱格式不正确", "invalid e-mail address"));
    }
    if new.roles == RoleSet::default() {
        errors.push(FieldError::new("roles", "至少需要一个角色", "at least one role is required"));
    }
    if !errors.is_empty() {
        return Err(ApiError::Validation(errors));
    }
    check_links(db, None, new.department_id, new.manager_id).await?;
    if find_by_username(db, &new.username).await?.is_some() {
        return Err(ApiError::Conflict {
            code: crate::error::ConflictCode::UsernameTaken,
            msg: Msg::new("用户名已被使用", "this username is already taken"),
            current: None,
        });
    }
    let hash = password::hash(new.password.clone()).await?;
    let (tx, mut cursor) = audit::begin(db).await?;
    let inserted = user::ActiveModel {
        username: Set(new.username.trim().to_owned()),
        display_name: Set(display_name),
        email: Set(new.email.map(|e| e.trim().to_owned())),
        password_hash: Set(hash),
        roles: Set(new.roles.to_db()),
        department_id: Set(new.department_id),
        manager_id: Set(new.manager_id),
        disabled: Set(false),
        token_version: Set(0),
        must_change_password: Set(new.must_change_password),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    }
    .insert(&tx)
    .await
    .map_err(|e| {
        if crate::store::is_unique_violation(&e) {
            ApiError::Conflict {
                code: crate::error::ConflictCode::UsernameTaken,
                msg: Msg::new("用户名已被使用", "this username is already taken"),
                current: None,
            }
        } else {
            e.into()
        }
    })?;
    cursor
        .append(
            &tx,
            NewEvent {
                actor_id: by.id,
                actor_name: by.name.clone(),
                action: crate::domain::audit::AuditAction::UserCreate,
                after: Some(audit_summary(&inserted)),
                ..Default::default()
            },
            now,
        )
        .await?;
    tx.commit().await?;
    Ok(inserted)
}

/// An admin's change to a user, checked at the edge (including that the admin does not lock
/// themselves out); `None` leaves a field as it is.
#[derive(Debug, Clone)]
pub struct UserChanges {
    pub display_name: Option<String>,
    /// `Some(None)` removes the e-mail.
    pub email: Option<Option<String>>,
    /// `Some(None)` removes the phone.
    pub phone: Option<Option<String>>,
    pub roles: Option<RoleSet>,
    /// The department and manager the user ends up with (the edge resolves what is kept).
    pub department_id: Option<i32>,
    pub manager_id: Option<i32>,
    pub disabled: Option<bool>,
    /// A new password, hashed; the user must change it at next login.
    pub password_hash: Option<String>,
}

/// Applies `changes` to `current`. Disabling, a new password or new roles revoke the user's
/// tokens at once.
pub async fn update(
    ctx: crate::store::apply::Ctx<'_>,
    me: &AuthUser,
    current: &user::Model,
    changes: UserChanges,
) -> Result<user::Model, ApiError> {
    let (tx, mut cursor) = audit::begin(ctx.db).await?;
    let by = Operator { id: Some(me.id), name: me.display_name.clone() };
    let updated = update_in(ctx, &tx, &mut cursor, &by, current, changes).await?;
    tx.commit().await?;
    Ok(updated)
}

/// `update` inside the caller's transaction (an organisation import changes many users in one).
pub async fn update_in(
    ctx: crate::store::apply::Ctx<'_>,
    tx: &sea_orm::DatabaseTransaction,
    cursor: &mut audit::AuditCursor,
    by: &Operator,
    current: &user::Model,
    changes: UserChanges,
) -> Result<user::Model, ApiError> {
    let now = ctx.now;
    let revoke =
        changes.disabled == Some(true) || changes.password_hash.is_some() || changes.roles.is_some_and(|r| r.to_db() != current.roles);
    let before = audit_summary(current);
    let mut am = current.clone().into_active_model();
    if let Some(n) = changes.display_name {
        am.display_name = Set(n);
    }
    if let Some(e) = changes.email {
        am.email = Set(e);
    }
    if let Some(p) = changes.phone {
        am.phone = Set(p);
    }
    if let Some(r) = changes.roles {
        am.roles = Set(r.to_db());
    }
    am.department_id = Set(changes.department_id);
    am.manager_id = Set(changes.manager_id);
    if let Some(d) = changes.disabled {
        am.disabled = Set(d);
    }
    if let Some(h) = changes.password_hash {
        am.password_hash = Set(h);
        am.must_change_password = Set(true);
    }
    if revoke {
        am.token_version = Set(current.token_version + 1);
    }
    am.updated_at = Set(now);

    let updated = am.update(tx).await?;
    cursor
        .append(
            tx,
            NewEvent {
                actor_id: by.id,
                actor_name: by.name.clone(),
                action: crate::domain::audit::AuditAction::UserUpdate,
                before: Some(before),
                after: Some(audit_summary(&updated)),
                ..Default::default()
            },
            now,
        )
        .await?;
    let lost_finance = RoleSet::from_db(&current.roles).has(Role::Finance) && !RoleSet::from_db(&updated.roles).has(Role::Finance);
    if (updated.disabled && !current.disabled) || lost_finance {
        // Nothing may wait on someone who can no longer sign in, nor a finance step on
        // someone who is no longer in finance.
        crate::store::chain::reroute_from(ctx, tx, cursor, &updated, (by.id, &by.name)).await?;
    }
    Ok(updated)
}

/// A person's change to their own settings, checked at the edge; `None` leaves a field.
#[derive(Debug, Clone, Default)]
pub struct ProfileChanges {
    /// `Some(None)` removes it.
    pub email: Option<Option<String>>,
    /// Bare digits; `Some(None)` removes it.
    pub phone: Option<Option<String>>,
    pub email_notifications: Option<bool>,
    pub language: Option<Language>,
}

pub async fn update_profile(ctx: crate::store::apply::Ctx<'_>, me: &AuthUser, changes: ProfileChanges) -> Result<user::Model, ApiError> {
    let (tx, mut cursor) = audit::begin(ctx.db).await?;
    let current = user::Entity::find_by_id(me.id).one(&tx).await?.ok_or_else(|| ApiError::not_found("用户", "user"))?;
    let before = profile_summary(&current);
    let mut am = current.clone().into_active_model();
    if let Some(e) = changes.email {
        am.email = Set(e);
    }
    if let Some(p) = changes.phone {
        am.phone = Set(p);
    }
    if let Some(n) = changes.email_notifications {
        am.email_notifications = Set(n);
    }
    if let Some(l) = changes.language {
        am.language = Set(l.as_str().to_owned());
    }
    am.updated_at = Set(ctx.now);
    let updated = am.update(&tx).await?;
    cursor
        .append(
            &tx,
            NewEvent {
                before: Some(before),
                after: Some(profile_summary(&updated)),
                ..NewEvent::by(me, crate::domain::audit::AuditAction::UserUpdate)
            },
            ctx.now,
        )
        .await?;
    tx.commit().await?;
    Ok(updated)
}

/// What the audit log keeps of a profile change: whether an address or phone is set, not which.
fn profile_summary(u: &user::Model) -> serde_json::Value {
    serde_json::json!({
        "id": u.id, "username": u.username, "has_email": u.email.is_some(), "has_phone": u.phone.is_some(),
        "email_notifications": u.email_notifications, "language": u.language,
    })
}

/// The department of that name, created when missing (the CLI, the demo and benchmarks name
/// departments rather than ids).
pub async fn ensure_department(db: &DatabaseConnection, name: &str) -> Result<i32, sea_orm::DbErr> {
    use entity::department;
    use sea_orm::{ActiveModelTrait, ActiveValue::Set, ColumnTrait, EntityTrait, QueryFilter};
    if let Some(d) = department::Entity::find().filter(department::Column::Name.eq(name.trim())).one(db).await? {
        return Ok(d.id);
    }
    let d = department::ActiveModel {
        name: Set(name.trim().to_owned()),
        head_id: Set(None),
        created_at: Set(chrono::Utc::now()),
        ..Default::default()
    }
    .insert(db)
    .await?;
    Ok(d.id)
}
