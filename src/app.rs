//! Application state and `build_router()`: the only place where routes are assembled.
use crate::auth::jwt::JwtKeys;
use crate::auth::limiter::LoginLimiter;
use crate::clock::{Clock, SystemClock};
use crate::config::Config;
use crate::error::{Lang, Problem};
use crate::http;
use axum::Router;
use axum::extract::{DefaultBodyLimit, Request};
use axum::http::{HeaderName, HeaderValue, header};
use axum::middleware::{self, Next};
use axum::response::Response;
use sea_orm::DatabaseConnection;
use std::sync::Arc;
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::set_header::SetResponseHeaderLayer;
use tower_http::timeout::TimeoutLayer;
use tower_http::trace::TraceLayer;
use utoipa::OpenApi;
use utoipa_axum::router::OpenApiRouter;

#[derive(Clone)]
pub struct AppState {
    pub db: DatabaseConnection,
    pub config: Arc<Config>,
    pub jwt: Arc<JwtKeys>,
    pub limiter: Arc<LoginLimiter>,
    pub clock: Arc<dyn Clock>,
    pub pii: Arc<crate::pii::PiiCipher>,
    /// Where stored files live (shared by every instance).
    pub files: Arc<crate::files::FileStore>,
    /// List totals until the next audited write (see `store::count_cache`).
    pub counts: Arc<crate::store::cache::CountCache>,
    /// Pages of newest-first lists as they were, to be found again from (`store::list::anchored_page`).
    pub page_anchors: Arc<crate::store::cache::PageAnchors>,
    /// Short search text common enough to be matched without its index (PostgreSQL).
    pub common_grams: Arc<crate::store::list::CommonGrams>,
    /// Display names until the next audited write.
    pub names: Arc<crate::store::cache::NameCache>,
    /// Rendered list responses until the next audited write (`store::cache::ResponseCache`).
    pub responses: Arc<crate::store::cache::ResponseCache>,
    /// Rendered lists that cannot show a draft, until the next audited write of anything but
    /// a draft (`store::cache::Versions::shared`).
    pub shared_responses: Arc<crate::store::cache::ResponseCache>,
    /// The OpenID provider, when single sign-on is configured.
    pub oidc: Option<Arc<crate::auth::oidc::OidcProvider>>,
}

impl AppState {
    /// What `store::apply` needs to change a request now.
    pub fn ctx(&self) -> crate::store::apply::Ctx<'_> {
        crate::store::apply::Ctx { db: &self.db, config: &self.config, now: self.clock.now() }
    }

    /// Builds the state for a connected, migrated database: loads or creates the JWT secret.
    pub async fn new(db: DatabaseConnection, config: Config) -> anyhow::Result<AppState> {
        Self::with_clock(db, config, Arc::new(SystemClock)).await
    }

    pub async fn with_clock(db: DatabaseConnection, config: Config, clock: Arc<dyn Clock>) -> anyhow::Result<AppState> {
        let secret = match &config.jwt_secret {
            Some(s) if s.len() >= 32 => s.clone(),
            Some(_) => anyhow::bail!("VERIFUND_JWT_SECRET must be at least 32 characters"),
            None => crate::db::get_or_init_setting(&db, "jwt_secret", || crate::db::random_token(32)).await?,
        };
        let jwt = JwtKeys::new(secret.as_bytes(), config.token_ttl);
        crate::http::metrics::handle();
        let key = crate::pii::checked_key(&db, config.pii_key.as_deref(), &config.data_dir).await?;
        crate::pii::record_check_value(&db, &key).await?;
        let pii = crate::pii::PiiCipher::new(key);
        let oidc = match &config.sso.oidc {
            Some(c) => Some(Arc::new(crate::auth::oidc::OidcProvider::new(c.clone(), &config.sso.public_url)?)),
            None => None,
        };
        Ok(AppState {
            oidc,
            pii: Arc::new(pii),
            files: Arc::new(crate::files::FileStore::from_config(&config)),
            counts: Arc::default(),
            page_anchors: Arc::default(),
            common_grams: Arc::default(),
            names: Arc::default(),
            responses: Arc::default(),
            shared_responses: Arc::default(),
            db,
            jwt: Arc::new(jwt),
            limiter: Arc::new(LoginLimiter::new(config.login.clone())),
            config: Arc::new(config),
            clock,
        })
    }
}

#[derive(OpenApi)]
#[openapi(
    info(
        title = "verifund API",
        description = "日升集团应(预)付款审批单: requests, approvals, payouts and refunds of WeChat mini-program verification transfers.",
        version = env!("CARGO_PKG_VERSION")
    ),
    modifiers(&BearerAuth),
    components(schemas(
        crate::error::ProblemBody,
        crate::error::ConflictCode,
        crate::http::requests::tasks::TaskBucket,
        crate::domain::audit::AuditAction,
        crate::http::requests::money::PayoutBody,
        crate::http::requests::money::RefundBody
    ))
)]
pub struct ApiDoc;

struct BearerAuth;

impl utoipa::Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).bearer_format("JWT").build()),
        );
    }
}

/// The API routes and their OpenAPI description, built from the same handlers.
pub fn api() -> (Router<AppState>, utoipa::openapi::OpenApi) {
    let v1 = OpenApiRouter::new()
        .merge(http::auth::router())
        .merge(http::sso::router())
        .merge(http::users::router())
        .merge(http::profile::router())
        .merge(http::org_import::router())
        .merge(http::departments::router())
        .merge(http::companies::router())
        .merge(http::approval_rules::router())
        .merge(http::delegations::router())
        .merge(http::requests::router())
        .merge(http::audit::router())
        .merge(http::calendar::router())
        .merge(http::notifications::router())
        .merge(http::exports::router())
        .merge(http::stats::router())
        .merge(http::bank_statements::router())
        .merge(http::mini_programs::router());
    OpenApiRouter::with_openapi(ApiDoc::openapi()).nest("/api/v1", v1).merge(http::health::router()).split_for_parts()
}

pub fn openapi() -> utoipa::openapi::OpenApi {
    api().1
}

/// Same-origin only; inline styles are allowed because Element Plus sets them, inline scripts are not.
const CSP: &str = "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data: blob:; frame-src 'self' blob:; \
                   font-src 'self' data:; connect-src 'self'; object-src 'none'; base-uri 'self'; form-action 'self'; \
                   frame-ancestors 'none'";

pub fn build_router(state: AppState) -> Router {
    let (api, spec) = api();
    let spec = Arc::new(spec);
    let body_limit = state.config.body_limit;
    let timeout = state.config.request_timeout;
    let request_id = HeaderName::from_static("x-request-id");

    api.merge(http::docs::router(spec))
        .merge(http::ui::router())
        .route("/metrics", axum::routing::get(http::metrics::metrics_endpoint))
        // Innermost, so that the matched route template is known.
        .layer(middleware::from_fn(http::metrics::track))
        .layer(DefaultBodyLimit::max(body_limit))
        .layer(TimeoutLayer::with_status_code(axum::http::StatusCode::REQUEST_TIMEOUT, timeout))
        // A panic is a bug, but the client still gets a problem document, not a dropped connection.
        .layer(tower_http::catch_panic::CatchPanicLayer::custom(|_: Box<dyn std::any::Any + Send>| {
            tracing::error!("a handler panicked");
            Problem::from_status(axum::http::StatusCode::INTERNAL_SERVER_ERROR).into_response_in(Lang::Zh)
        }))
        .layer(middleware::from_fn(problem_documents))
        .layer(SetResponseHeaderLayer::if_not_present(header::CONTENT_SECURITY_POLICY, HeaderValue::from_static(CSP)))
        .layer(SetResponseHeaderLayer::if_not_present(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff")))
        .layer(SetResponseHeaderLayer::if_not_present(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY")))
        .layer(SetResponseHeaderLayer::if_not_present(header::REFERRER_POLICY, HeaderValue::from_static("no-referrer")))
        .layer(PropagateRequestIdLayer::new(request_id.clone()))
        .layer(TraceLayer::new_for_http().make_span_with(|req: &Request| {
            let id = req.headers().get("x-request-id").and_then(|v| v.to_str().ok()).unwrap_or("-");
            tracing::info_span!("http", method = %req.method(), path = %req.uri().path(), request_id = %id)
        }))
        .layer(SetRequestIdLayer::new(request_id, MakeRequestUuid))
        .with_state(state)
}

/// Renders every error as a problem document in the caller's language: our own errors are
/// re-rendered when English is preferred, and bare errors from axum or tower (404, 405, 408,
/// 413) become problem documents too, so no client ever sees plain text.
async fn problem_documents(req: Request, next: Next) -> Response {
    let lang = Lang::from_accept_language(req.headers().get(header::ACCEPT_LANGUAGE).and_then(|v| v.to_str().ok()));
    let res = next.run(req).await;
    let status = res.status();
    if let Some(problem) = res.extensions().get::<Problem>() {
        if lang == Lang::Zh {
            return res;
        }
        return problem.clone().into_response_in(lang);
    }
    if status.is_client_error() || status.is_server_error() {
        let keep = res
            .headers()
            .get(header::CONTENT_TYPE)
            .is_some_and(|ct| ct.to_str().is_ok_and(|ct| ct.starts_with("application/problem+json") || ct.starts_with("text/html")));
        if !keep {
            let mut problem = Problem::from_status(status);
            problem.retry_after = res.headers().get(header::RETRY_AFTER).and_then(|v| v.to_str().ok()?.parse().ok());
            return problem.into_response_in(lang);
        }
    }
    res
}
