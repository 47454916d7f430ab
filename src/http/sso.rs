//! Single sign-on (DESIGN §2.5): which sign-in methods the login page offers, the redirect
//! to the OpenID provider and back, and the exchange of the one-use code for a token.
//! The browser never carries a token in a URL: the callback hands the login page a code.
use super::auth::{ClientIp, LoginResponse};
use super::extract::{Json, Query};
use crate::app::AppState;
use crate::auth::limiter::Verdict;
use crate::domain::sso::SsoFailure;
use crate::error::{ApiError, ApiResult, Msg};
use crate::store::sso;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use entity::user;
use sea_orm::EntityTrait;
use serde::{Deserialize, Serialize};
use utoipa_axum::{router::OpenApiRouter, routes};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(providers)).routes(routes!(oidc_login)).routes(routes!(oidc_callback)).routes(routes!(exchange))
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Providers {
    /// Whether the password form is offered (when `false`, only the break-glass admin may use it).
    pub password: bool,
    /// Present when single sign-on through an OpenID provider is configured.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub oidc: Option<OidcProviderView>,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct OidcProviderView {
    /// The provider's name, for the button.
    pub name: String,
}

/// How one may sign in here: with a password, through the company's identity provider, or both.
#[utoipa::path(get, path = "/auth/providers", tag = "auth", responses((status = 200, body = Providers)))]
async fn providers(State(state): State<AppState>) -> Json<Providers> {
    Json(Providers {
        password: state.config.sso.password_login,
        oidc: state.oidc.as_ref().map(|p| OidcProviderView { name: p.name().to_owned() }),
    })
}

fn found(location: String) -> Response {
    (StatusCode::FOUND, [(header::LOCATION, location), (header::CACHE_CONTROL, "no-store".to_owned())]).into_response()
}

/// The login page, showing why single sign-on failed.
fn to_login_page(state: &AppState, reason: SsoFailure) -> Response {
    found(format!("{}/login?sso_error={}", state.config.sso.public_url, reason.as_str()))
}

/// Start single sign-on: a redirect to the provider (authorization code with PKCE, state, nonce).
///
/// When single sign-on is not configured or the provider cannot be reached, the redirect goes
/// to the login page with `sso_error` saying so.
#[utoipa::path(get, path = "/auth/oidc/login", tag = "auth",
    responses((status = 302, description = "to the provider's authorization endpoint, or to `/login?sso_error=…`",
        headers(("Location" = String, description = "where the browser goes next")))))]
async fn oidc_login(State(state): State<AppState>) -> ApiResult<Response> {
    let Some(provider) = state.oidc.clone() else { return Ok(to_login_page(&state, SsoFailure::NotConfigured)) };
    let auth = match provider.authorize().await {
        Ok(a) => a,
        Err(reason) => return Ok(to_login_page(&state, reason)),
    };
    sso::begin(&state.db, &auth, state.clock.now()).await?;
    Ok(found(auth.url))
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct CallbackParams {
    /// The provider's authorization code.
    pub code: Option<String>,
    /// The state verifund sent; one use.
    pub state: Option<String>,
    /// The provider's error, e.g. `access_denied`.
    pub error: Option<String>,
    pub error_description: Option<String>,
}

/// Where the provider sends the browser back: checks state (one use), exchanges the code,
/// verifies the ID token and signs the user in.
///
/// Success redirects to `/login/sso?code=…`, a one-use code for `POST /auth/sso/exchange`;
/// every failure redirects to `/login?sso_error=<reason>` (`state`, `provider`, `unavailable`,
/// `exchange`, `token`, `issuer`, `audience`, `disabled`, `account`, `throttled`,
/// `not_configured`). Never a token in the URL.
#[utoipa::path(get, path = "/auth/oidc/callback", tag = "auth", params(CallbackParams),
    responses((status = 302, description = "to `/login/sso?code=…` or `/login?sso_error=…`",
        headers(("Location" = String, description = "where the browser goes next")))))]
async fn oidc_callback(State(state): State<AppState>, ClientIp(ip): ClientIp, Query(q): Query<CallbackParams>) -> ApiResult<Response> {
    // The same per-address throttle as password sign-in: failures here count toward it.
    if let Verdict::IpThrottled(_) = state.limiter.check(&state.db, ip, "", state.clock.now()).await? {
        return Ok(to_login_page(&state, SsoFailure::Throttled));
    }
    let fail = async |reason: SsoFailure| -> ApiResult<Response> {
        tracing::info!(%ip, reason = reason.as_str(), "single sign-on failed");
        state.limiter.record_failure(&state.db, ip, "", state.clock.now()).await?;
        if reason != SsoFailure::Disabled && reason != SsoFailure::Account {
            // Those two are recorded under the account's name by the sign-in itself.
            sso::record_failure(state.ctx(), reason).await?;
        }
        Ok(to_login_page(&state, reason))
    };
    let Some(provider) = state.oidc.clone() else { return Ok(to_login_page(&state, SsoFailure::NotConfigured)) };
    // The state is spent whatever happens next: a callback can be used once.
    let login = sso::take(&state.db, q.state.as_deref().unwrap_or(""), state.clock.now()).await?;
    if let Some(error) = &q.error {
        tracing::info!(error, description = q.error_description.as_deref().unwrap_or(""), "the provider refused the sign-in");
        return fail(SsoFailure::Provider).await;
    }
    let Some(login) = login else { return fail(SsoFailure::State).await };
    let Some(code) = q.code.as_deref().filter(|c| !c.is_empty()) else { return fail(SsoFailure::Provider).await };
    let identity = match provider.finish(code, &login.pkce_verifier, &login.nonce).await {
        Ok(i) => i,
        Err(reason) => return fail(reason).await,
    };
    let user = match sso::sign_in(state.ctx(), &identity).await? {
        Ok(u) => u,
        Err(reason) => return fail(reason).await,
    };
    let code = sso::issue_code(&state.db, user.id, state.clock.now()).await?;
    Ok(found(format!("{}/login/sso?code={code}", state.config.sso.public_url)))
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ExchangeRequest {
    /// The code from `/login/sso?code=…`.
    pub code: String,
}

/// Exchange the one-use code of a single sign-on for a token, answered like `/auth/login`.
///
/// A code works once, within 60 seconds of the sign-in.
#[utoipa::path(post, path = "/auth/sso/exchange", tag = "auth", request_body = ExchangeRequest,
    responses((status = 200, body = LoginResponse), (status = 401, body = crate::error::ProblemBody),
              (status = 422, body = crate::error::ProblemBody)))]
async fn exchange(State(state): State<AppState>, Json(body): Json<ExchangeRequest>) -> ApiResult<Json<LoginResponse>> {
    let refused = || {
        ApiError::Unauthorized(Msg::new("登录码无效或已过期，请重新登录", "the sign-in code is invalid, used or expired; sign in again"))
    };
    let now = state.clock.now();
    let user_id = sso::redeem_code(&state.db, body.code.trim(), now).await?.ok_or_else(refused)?;
    let user = user::Entity::find_by_id(user_id).one(&state.db).await?.filter(|u| !u.disabled).ok_or_else(refused)?;
    let token = state.jwt.issue(user.id, user.token_version, now.timestamp()).map_err(ApiError::internal)?;
    Ok(Json(LoginResponse { access_token: token, token_type: "Bearer".into(), expires_in: state.jwt.ttl.as_secs(), user: user.into() }))
}
