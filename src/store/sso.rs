//! Single sign-on as the database records it (DESIGN §2.5): the sign-ins under way (state,
//! nonce, PKCE verifier; ten minutes, one use), who a user is at the provider (issuer, sub),
//! the one-use codes the login page exchanges (60 s), and the security events of it all.
//! Everything lives in the database so any instance can finish what another started.
use crate::auth::oidc::{Authorization, Identity};
use crate::domain::audit::AuditAction;
use crate::domain::roles::{Role, RoleSet};
use crate::domain::sso::{SsoFailure, roles_from_claim, username_from_claims};
use crate::error::ApiResult;
use crate::store::apply::Ctx;
use crate::store::audit::{self, NewEvent};
use chrono::{DateTime, Duration, Utc};
use entity::{sso_code, sso_login, user, user_identity};
use sea_orm::sea_query::Expr;
use sea_orm::{ActiveModelTrait, ActiveValue::Set, ColumnTrait, DatabaseConnection, EntityTrait, IntoActiveModel, QueryFilter};
use sha2::{Digest, Sha256};

/// How long the provider may keep the user before the sign-in is void.
pub const LOGIN_TTL: Duration = Duration::minutes(10);
/// How long the login page has to exchange its code.
pub const CODE_TTL: Duration = Duration::seconds(60);
/// The password hash of a user created by single sign-on: no password ever matches it (it is
/// not a hash at all) until an administrator sets one.
pub const UNUSABLE_PASSWORD: &str = "!sso";
/// Who the audit log names for accounts the provider created.
const SSO_ACTOR: &str = "单点登录";

/// Remembers a sign-in sent to the provider, and forgets the ones that were never finished.
pub async fn begin(db: &DatabaseConnection, a: &Authorization, now: DateTime<Utc>) -> Result<(), sea_orm::DbErr> {
    sso_login::Entity::delete_many().filter(sso_login::Column::CreatedAt.lt(now - LOGIN_TTL)).exec(db).await?;
    sso_code::Entity::delete_many().filter(sso_code::Column::ExpiresAt.lt(now - CODE_TTL)).exec(db).await?;
    sso_login::ActiveModel {
        state: Set(a.state.clone()),
        nonce: Set(a.nonce.clone()),
        pkce_verifier: Set(a.pkce_verifier.clone()),
        created_at: Set(now),
    }
    .insert(db)
    .await?;
    Ok(())
}

/// The sign-in `state` names, taken out so that it can never be used again; `None` when it
/// is unknown, already used or expired.
pub async fn take(db: &DatabaseConnection, state: &str, now: DateTime<Utc>) -> Result<Option<sso_login::Model>, sea_orm::DbErr> {
    if state.is_empty() || state.len() > 64 || state.contains('\0') {
        return Ok(None);
    }
    let Some(found) = sso_login::Entity::find_by_id(state.to_owned()).one(db).await? else { return Ok(None) };
    // Whoever deletes the row owns the sign-in: a replay racing this one finds nothing to delete.
    let taken = sso_login::Entity::delete_by_id(state.to_owned()).exec(db).await?.rows_affected == 1;
    Ok((taken && found.created_at > now - LOGIN_TTL).then_some(found))
}

fn code_hash(code: &str) -> String {
    hex::encode(Sha256::digest(code.as_bytes()))
}

/// A one-use code for `user_id`, valid for [`CODE_TTL`]; only its hash is stored.
pub async fn issue_code(db: &DatabaseConnection, user_id: i32, now: DateTime<Utc>) -> Result<String, sea_orm::DbErr> {
    let code = crate::db::random_token(32);
    sso_code::ActiveModel { code_hash: Set(code_hash(&code)), user_id: Set(user_id), expires_at: Set(now + CODE_TTL), used_at: Set(None) }
        .insert(db)
        .await?;
    Ok(code)
}

/// The user a code was issued for, marking it used; `None` when unknown, used or expired.
pub async fn redeem_code(db: &DatabaseConnection, code: &str, now: DateTime<Utc>) -> Result<Option<i32>, sea_orm::DbErr> {
    if code.is_empty() || code.len() > 128 {
        return Ok(None);
    }
    let hash = code_hash(code);
    // One conditional update: of two concurrent exchanges, exactly one changes the row.
    let claimed = sso_code::Entity::update_many()
        .col_expr(sso_code::Column::UsedAt, Expr::value(now))
        .filter(sso_code::Column::CodeHash.eq(hash.clone()))
        .filter(sso_code::Column::UsedAt.is_null())
        .filter(sso_code::Column::ExpiresAt.gt(now))
        .exec(db)
        .await?
        .rows_affected
        == 1;
    if !claimed {
        return Ok(None);
    }
    Ok(sso_code::Entity::find_by_id(hash).one(db).await?.map(|c| c.user_id))
}

/// How the provider's user became a verifund user on this sign-in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Matched {
    Known,
    Linked,
    Created,
}

/// Signs in the provider's `who`: the user linked to (issuer, sub); else, on first sign-in,
/// the user whose username is `preferred_username` (linked now); else a new requester. The
/// roles claim, when it names verifund roles, sets the user's roles. Disabled users are
/// refused. The login (or the refusal) is in the security log.
pub async fn sign_in(ctx: Ctx<'_>, who: &Identity) -> ApiResult<Result<user::Model, SsoFailure>> {
    let now = ctx.now;
    let (tx, mut cursor) = audit::begin(ctx.db).await?;
    let identity = user_identity::Entity::find()
        .filter(user_identity::Column::Issuer.eq(who.issuer.clone()))
        .filter(user_identity::Column::Subject.eq(who.subject.clone()))
        .one(&tx)
        .await?;
    let (found, matched) = match identity {
        Some(i) => (user::Entity::find_by_id(i.user_id).one(&tx).await?, Matched::Known),
        None => {
            let by_name = match who.preferred_username.as_deref().map(str::trim).filter(|n| !n.is_empty() && !n.contains('\0')) {
                Some(name) => user::Entity::find().filter(user::Column::Username.eq(name)).one(&tx).await?,
                None => None,
            };
            (by_name, if by_name_is_some(&who.preferred_username) { Matched::Linked } else { Matched::Created })
        }
    };
    let refuse = |reason: SsoFailure, name: String| NewEvent {
        actor_id: None,
        actor_name: name.clone(),
        action: AuditAction::LoginFailed,
        after: Some(serde_json::json!({"username": name, "via": "oidc", "reason": reason.as_str()})),
        ..Default::default()
    };
    let (mut u, matched) = match (found, matched) {
        (Some(u), m) => (u, m),
        (None, Matched::Known) => {
            // The identity's user row is gone: nothing sensible to sign in as.
            let event = refuse(SsoFailure::Account, who.preferred_username.clone().unwrap_or_default());
            cursor.append(&tx, event, now).await?;
            tx.commit().await?;
            return Ok(Err(SsoFailure::Account));
        }
        (None, _) => (create(&tx, &mut cursor, who, now).await?, Matched::Created),
    };
    if u.disabled {
        cursor.append(&tx, refuse(SsoFailure::Disabled, u.username.clone()), now).await?;
        tx.commit().await?;
        return Ok(Err(SsoFailure::Disabled));
    }
    if matched == Matched::Linked {
        // An account already tied to another person at this provider is not taken over by
        // whoever now claims its username.
        let other = user_identity::Entity::find()
            .filter(user_identity::Column::UserId.eq(u.id))
            .filter(user_identity::Column::Issuer.eq(who.issuer.clone()))
            .one(&tx)
            .await?;
        if other.is_some() {
            cursor.append(&tx, refuse(SsoFailure::Account, u.username.clone()), now).await?;
            tx.commit().await?;
            return Ok(Err(SsoFailure::Account));
        }
    }
    if matched != Matched::Known {
        user_identity::ActiveModel {
            user_id: Set(u.id),
            issuer: Set(who.issuer.clone()),
            subject: Set(who.subject.clone()),
            created_at: Set(now),
            ..Default::default()
        }
        .insert(&tx)
        .await?;
    }
    if let Some(roles) = roles_from_claim(who.roles_claim.as_ref())
        && roles.to_db() != u.roles
    {
        let before = crate::store::users::audit_summary(&u);
        let lost_finance = RoleSet::from_db(&u.roles).has(Role::Finance) && !roles.has(Role::Finance);
        let mut am = u.clone().into_active_model();
        am.roles = Set(roles.to_db());
        am.token_version = Set(u.token_version + 1);
        am.updated_at = Set(now);
        let updated = am.update(&tx).await?;
        cursor
            .append(
                &tx,
                NewEvent {
                    actor_id: Some(u.id),
                    actor_name: u.display_name.clone(),
                    action: AuditAction::UserUpdate,
                    comment: Some("roles from the identity provider".to_owned()),
                    before: Some(before),
                    after: Some(crate::store::users::audit_summary(&updated)),
                    ..Default::default()
                },
                now,
            )
            .await?;
        if lost_finance {
            crate::store::chain::reroute_from(ctx, &tx, &mut cursor, &updated, (Some(updated.id), &updated.display_name)).await?;
        }
        u = updated;
    }
    let how = match matched {
        Matched::Known => "known",
        Matched::Linked => "linked",
        Matched::Created => "created",
    };
    cursor
        .append(
            &tx,
            NewEvent {
                actor_id: Some(u.id),
                actor_name: u.display_name.clone(),
                action: AuditAction::Login,
                after: Some(serde_json::json!({"user_id": u.id, "via": "oidc", "account": how})),
                ..Default::default()
            },
            now,
        )
        .await?;
    tx.commit().await?;
    Ok(Ok(u))
}

fn by_name_is_some(name: &Option<String>) -> bool {
    name.as_deref().is_some_and(|n| !n.trim().is_empty())
}

/// A new requester from the provider's claims, with a username nobody has yet.
async fn create(
    tx: &sea_orm::DatabaseTransaction,
    cursor: &mut audit::AuditCursor,
    who: &Identity,
    now: DateTime<Utc>,
) -> Result<user::Model, crate::error::ApiError> {
    let fingerprint = hex::encode(Sha256::digest(format!("{}\n{}", who.issuer, who.subject).as_bytes()));
    let base = username_from_claims(who.preferred_username.as_deref(), who.email.as_deref())
        .unwrap_or_else(|| format!("sso-{}", &fingerprint[..10]));
    let mut username = base.clone();
    if user::Entity::find().filter(user::Column::Username.eq(username.clone())).one(tx).await?.is_some() {
        let mut short: String = base.chars().take(53).collect();
        short.push('-');
        short.push_str(&fingerprint[..10]);
        username = short;
    }
    let display_name = [who.name.as_deref(), who.preferred_username.as_deref(), Some(username.as_str())]
        .into_iter()
        .flatten()
        .find_map(|n| crate::store::users::check_display_name(n).ok())
        .unwrap_or_else(|| username.clone());
    let email = who.email.as_deref().filter(|e| crate::domain::ids::Email::parse(e).is_ok()).map(|e| e.trim().to_owned());
    let roles = roles_from_claim(who.roles_claim.as_ref()).unwrap_or_else(|| [Role::Requester].into_iter().collect());
    let inserted = user::ActiveModel {
        username: Set(username),
        display_name: Set(display_name),
        email: Set(email),
        password_hash: Set(UNUSABLE_PASSWORD.to_owned()),
        roles: Set(roles.to_db()),
        department_id: Set(None),
        manager_id: Set(None),
        disabled: Set(false),
        token_version: Set(0),
        must_change_password: Set(false),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    }
    .insert(tx)
    .await?;
    cursor
        .append(
            tx,
            NewEvent {
                actor_id: None,
                actor_name: SSO_ACTOR.to_owned(),
                action: AuditAction::UserCreate,
                after: Some(crate::store::users::audit_summary(&inserted)),
                ..Default::default()
            },
            now,
        )
        .await?;
    Ok(inserted)
}

/// A sign-in that failed before anyone was identified (forged or replayed state, a provider
/// error, a token that does not verify), under the name `oidc`.
pub async fn record_failure(ctx: Ctx<'_>, reason: SsoFailure) -> ApiResult<()> {
    let (tx, mut cursor) = audit::begin(ctx.db).await?;
    let event = NewEvent {
        actor_id: None,
        actor_name: "oidc".to_owned(),
        action: AuditAction::LoginFailed,
        after: Some(serde_json::json!({"via": "oidc", "reason": reason.as_str()})),
        ..Default::default()
    };
    cursor.append(&tx, event, ctx.now).await?;
    tx.commit().await?;
    Ok(())
}
