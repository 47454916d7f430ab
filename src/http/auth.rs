//! Login, logout and the caller's own account.
use super::extract::Json;
use crate::app::AppState;
use crate::auth::limiter::Verdict;
use crate::auth::{AuthUser, password};
use crate::error::{ApiError, ApiResult, FieldError, Msg};
use crate::store::security;
use crate::store::users::{self, UserView};
use axum::extract::{ConnectInfo, FromRequestParts, State};
use axum::http::StatusCode;
use axum::http::request::Parts;
use entity::user;
use sea_orm::EntityTrait;
use serde::{Deserialize, Serialize};
use std::net::{IpAddr, SocketAddr};
use utoipa_axum::{router::OpenApiRouter, routes};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(login)).routes(routes!(logout)).routes(routes!(me)).routes(routes!(change_password))
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LoginRequest {
    pub username: String,
    pub password: String,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct LoginResponse {
    pub access_token: String,
    /// Always `Bearer`.
    pub token_type: String,
    /// Seconds until the token expires.
    pub expires_in: u64,
    pub user: UserView,
}

/// The peer address; login throttling is per address.
pub struct ClientIp(pub IpAddr);

impl FromRequestParts<AppState> for ClientIp {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        let peer =
            parts.extensions.get::<ConnectInfo<SocketAddr>>().map(|ConnectInfo(addr)| addr.ip()).unwrap_or(IpAddr::from([127, 0, 0, 1]));
        let forwarded: Vec<&str> = parts.headers.get_all("x-forwarded-for").iter().filter_map(|v| v.to_str().ok()).collect();
        Ok(ClientIp(client_ip(peer, &forwarded, &state.config.trusted_proxies)))
    }
}

/// The client's address: the peer's, unless the peer is one of our reverse proxies
/// (`VERIFUND_TRUSTED_PROXIES`); then the right-most address in `X-Forwarded-For` that is not
/// one of them (what a client writes further left cannot be trusted).
pub fn client_ip(peer: IpAddr, forwarded_for: &[&str], trusted: &[IpAddr]) -> IpAddr {
    if !trusted.contains(&peer) {
        return peer;
    }
    let hops: Vec<IpAddr> = forwarded_for.iter().flat_map(|h| h.split(',')).filter_map(|a| a.trim().parse().ok()).collect();
    hops.into_iter().rev().find(|a| !trusted.contains(a)).unwrap_or(peer)
}

#[cfg(test)]
mod tests {
    use super::client_ip;
    use std::net::IpAddr;

    #[test]
    fn only_a_trusted_proxy_may_name_the_client() {
        let proxy: IpAddr = [10, 0, 0, 1].into();
        let client: IpAddr = [203, 0, 113, 7].into();
        assert_eq!(client_ip(proxy, &["198.51.100.1, 203.0.113.7"], &[proxy]), client, "the right-most hop the proxy added");
        assert_eq!(client_ip(client, &["198.51.100.1"], &[proxy]), client, "a client cannot claim another address");
        assert_eq!(client_ip(proxy, &[], &[proxy]), proxy);
        assert_eq!(client_ip(proxy, &["203.0.113.7", "10.0.0.1"], &[proxy]), client, "chained proxies are skipped");
    }
}

fn bad_credentials() -> ApiError {
    ApiError::Unauthorized(Msg::new("用户名或密码错误", "wrong username or password"))
}

/// Log in with username and password.
///
/// Wrong password, unknown user and disabled account all answer the same 401. Repeated
/// failures lock the username (423) and throttle the address (429), both with `Retry-After`.
/// When password sign-in is turned off (`VERIFUND_PASSWORD_LOGIN=false`), 403 for everyone
/// but the break-glass admin.
#[utoipa::path(post, path = "/auth/login", tag = "auth", request_body = LoginRequest,
    responses((status = 200, body = LoginResponse), (status = 401, body = crate::error::ProblemBody),
              (status = 403, body = crate::error::ProblemBody),
              (status = 422, body = crate::error::ProblemBody), (status = 423, body = crate::error::ProblemBody),
              (status = 429, body = crate::error::ProblemBody)))]
async fn login(State(state): State<AppState>, ClientIp(ip): ClientIp, Json(body): Json<LoginRequest>) -> ApiResult<Json<LoginResponse>> {
    let mut errors = Vec::new();
    if body.username.trim().is_empty() || body.username.len() > 64 {
        errors.push(FieldError::new("username", "请输入用户名", "username is required (at most 64 characters)"));
    }
    if body.password.is_empty() || body.password.len() > 256 {
        errors.push(FieldError::new("password", "请输入密码", "password is required (at most 256 bytes)"));
    }
    if !errors.is_empty() {
        return Err(ApiError::Validation(errors));
    }
    if !state.config.sso.password_allowed_for(&body.username) {
        return Err(ApiError::Forbidden(Msg::new(
            "密码登录已关闭，请使用企业账号登录",
            "password sign-in is turned off: sign in with your company account",
        )));
    }
    match state.limiter.check(&state.db, ip, &body.username, state.clock.now()).await? {
        Verdict::Allowed => {}
        Verdict::IpThrottled(d) => return Err(ApiError::TooManyRequests { retry_after_secs: d.as_secs().max(1) }),
        Verdict::AccountLocked(d) => return Err(ApiError::Locked { retry_after_secs: d.as_secs().max(1) }),
    }
    let found = users::find_by_username(&state.db, &body.username).await?;
    let ok = password::verify(body.password.clone(), found.as_ref().map(|u| u.password_hash.clone())).await;
    let user = match found {
        Some(u) if ok && !u.disabled => u,
        _ => {
            let failure = state.limiter.record_failure(&state.db, ip, &body.username, state.clock.now()).await?;
            tracing::info!(%ip, "login failed");
            security::record_failed_login(state.ctx(), &body.username, failure).await?;
            return Err(bad_credentials());
        }
    };
    state.limiter.record_success(&state.db, &body.username).await?;
    security::record_login(state.ctx(), &user).await?;
    let token = state.jwt.issue(user.id, user.token_version, state.clock.now().timestamp()).map_err(ApiError::internal)?;
    Ok(Json(LoginResponse { access_token: token, token_type: "Bearer".into(), expires_in: state.jwt.ttl.as_secs(), user: user.into() }))
}

/// Log out: every token of the caller stops working at once.
#[utoipa::path(post, path = "/auth/logout", tag = "auth", security(("bearer" = [])),
    responses((status = 204), (status = 401, body = crate::error::ProblemBody)))]
async fn logout(State(state): State<AppState>, me: AuthUser) -> ApiResult<StatusCode> {
    security::log_out(state.ctx(), &me).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct MeView {
    #[serde(flatten)]
    pub user: UserView,
    /// Things the caller should act on, e.g. for admins a missing calendar for next year.
    pub warnings: Vec<String>,
}

/// The caller, with roles.
#[utoipa::path(get, path = "/me", tag = "auth", security(("bearer" = [])),
    responses((status = 200, body = MeView), (status = 401, body = crate::error::ProblemBody)))]
async fn me(
    State(state): State<AppState>,
    me: AuthUser,
    crate::http::calendar::Language(lang): crate::http::calendar::Language,
) -> ApiResult<Json<MeView>> {
    use chrono::Datelike;
    let u = user::Entity::find_by_id(me.id).one(&state.db).await?.ok_or_else(|| ApiError::not_found("用户", "user"))?;
    let mut warnings = Vec::new();
    let today = crate::clock::china_date(state.clock.now());
    if me.has(crate::domain::roles::Role::Admin) && today.month() >= 11 {
        let next = today.year() + 1;
        if crate::store::calendar::get(&state.db, next).await?.is_none() {
            warnings.push(match lang {
                crate::error::Lang::Zh => format!("{next} 年的节假日安排尚未导入，请在 12 月前导入（日历管理）"),
                crate::error::Lang::En => format!("the {next} holiday calendar is missing; import it before December"),
            });
        }
    }
    Ok(Json(MeView { user: u.into(), warnings }))
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ChangePassword {
    pub current_password: String,
    pub new_password: String,
}

/// Change the caller's password; all their tokens are revoked, so they log in again.
#[utoipa::path(post, path = "/me/password", tag = "auth", security(("bearer" = [])), request_body = ChangePassword,
    responses((status = 204), (status = 401, body = crate::error::ProblemBody), (status = 422, body = crate::error::ProblemBody)))]
async fn change_password(State(state): State<AppState>, me: AuthUser, Json(body): Json<ChangePassword>) -> ApiResult<StatusCode> {
    password::check_policy(&body.new_password).map_err(|mut e| {
        e.field = "new_password".into();
        ApiError::Validation(vec![e])
    })?;
    let u = user::Entity::find_by_id(me.id).one(&state.db).await?.ok_or_else(|| ApiError::not_found("用户", "user"))?;
    if !password::verify(body.current_password, Some(u.password_hash)).await {
        return Err(ApiError::field("current_password", "当前密码不正确", "the current password is wrong"));
    }
    let hash = password::hash(body.new_password).await?;
    security::change_password(state.ctx(), &me, hash).await?;
    Ok(StatusCode::NO_CONTENT)
}
