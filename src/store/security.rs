//! Sign-in and sign-out as the database records them: the token version that revokes a
//! user's tokens, and the security events (DESIGN §1.6) of logins, failures and lockouts.
use crate::auth::AuthUser;
use crate::auth::limiter::Failure;
use crate::error::{ApiError, ApiResult};
use crate::store::apply::Ctx;
use crate::store::audit::{self, AuditAction, NewEvent};
use entity::user;
use sea_orm::{ActiveModelTrait, ActiveValue::Set, EntityTrait, IntoActiveModel};

/// Logs `me` out: every token of theirs stops working at once.
pub async fn log_out(ctx: Ctx<'_>, me: &AuthUser) -> ApiResult<()> {
    bump_token_version(ctx, me, AuditAction::Logout, |_| {}).await
}

/// Stores `me`'s new password (already checked and hashed) and revokes their tokens, so they
/// log in again.
pub async fn change_password(ctx: Ctx<'_>, me: &AuthUser, password_hash: String) -> ApiResult<()> {
    bump_token_version(ctx, me, AuditAction::PasswordChange, |am| {
        am.password_hash = Set(password_hash);
        am.must_change_password = Set(false);
    })
    .await
}

/// Revokes the caller's tokens (with `change` applied to their row), audited as `action`.
async fn bump_token_version(
    ctx: Ctx<'_>,
    me: &AuthUser,
    action: AuditAction,
    change: impl FnOnce(&mut user::ActiveModel),
) -> ApiResult<()> {
    let now = ctx.now;
    let (tx, mut cursor) = audit::begin(ctx.db).await?;
    let u = user::Entity::find_by_id(me.id).one(&tx).await?.ok_or_else(|| ApiError::not_found("用户", "user"))?;
    let version = u.token_version;
    let mut am = u.into_active_model();
    am.token_version = Set(version + 1);
    am.updated_at = Set(now);
    change(&mut am);
    am.update(&tx).await?;
    cursor.append(&tx, security_event(Some(me.id), &me.display_name, action, serde_json::json!({"user_id": me.id})), now).await?;
    tx.commit().await?;
    Ok(())
}

/// A security event (DESIGN §1.6): who, what; never a password, never the client's address
/// (the log is immutable, so it keeps nothing personal that might have to be erased).
fn security_event(actor_id: Option<i32>, actor_name: &str, action: AuditAction, after: serde_json::Value) -> NewEvent {
    NewEvent { actor_id, actor_name: actor_name.to_owned(), action, after: Some(after), ..Default::default() }
}

/// A successful sign-in of `u`.
pub async fn record_login(ctx: Ctx<'_>, u: &user::Model) -> ApiResult<()> {
    let now = ctx.now;
    let (tx, mut cursor) = audit::begin(ctx.db).await?;
    cursor.append(&tx, security_event(Some(u.id), &u.display_name, AuditAction::Login, serde_json::json!({"user_id": u.id})), now).await?;
    tx.commit().await?;
    Ok(())
}

/// A failed sign-in, and the lock it may have started, under the name that was tried.
pub async fn record_failed_login(ctx: Ctx<'_>, attempted: &str, failure: Failure) -> ApiResult<()> {
    // Shown in the audit screen: only printable characters of what was typed.
    let name: String = crate::domain::text::file_name(attempted).chars().take(64).collect();
    let now = ctx.now;
    let (tx, mut cursor) = audit::begin(ctx.db).await?;
    cursor.append(&tx, security_event(None, &name, AuditAction::LoginFailed, serde_json::json!({"username": name})), now).await?;
    let limits = &ctx.config.login;
    if failure.account_locked {
        let minutes = limits.account_lockout.as_secs() / 60;
        cursor
            .append(
                &tx,
                security_event(
                    None,
                    &name,
                    AuditAction::Lockout,
                    serde_json::json!({"username": name, "scope": "account", "minutes": minutes}),
                ),
                now,
            )
            .await?;
    }
    if failure.ip_throttled {
        let minutes = limits.ip_window.as_secs() / 60;
        cursor
            .append(
                &tx,
                security_event(
                    None,
                    &name,
                    AuditAction::Lockout,
                    serde_json::json!({"username": name, "scope": "address", "minutes": minutes}),
                ),
                now,
            )
            .await?;
    }
    tx.commit().await?;
    Ok(())
}
