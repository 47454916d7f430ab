//! `GET /metrics` (DESIGN §2.6): Prometheus text, served only when `VERIFUND_METRICS_TOKEN`
//! is set and sent as the bearer token (404 when unset, 401 otherwise). HTTP requests are
//! counted by route template (`/api/v1/requests/{id}`, never the raw path, so ids do not
//! multiply the series) and status, with a duration histogram; at each scrape the outbox
//! backlog, the last successful daily run and the pool's connections in use are read.
use crate::app::AppState;
use crate::error::{ApiError, Msg};
use axum::extract::{MatchedPath, Request, State};
use axum::http::{HeaderValue, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};
use sea_orm::{ConnectionTrait, DatabaseBackend, Statement};
use std::sync::OnceLock;
use std::time::Instant;

/// Where the daily jobs record their last success (shared by every instance).
pub const LAST_DAILY_SETTING: &str = "daily_jobs_last_success";

const DURATION_BUCKETS: [f64; 12] = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0];

/// The process-wide recorder, installed on first use.
pub fn handle() -> &'static PrometheusHandle {
    static HANDLE: OnceLock<PrometheusHandle> = OnceLock::new();
    HANDLE.get_or_init(|| {
        let recorder = PrometheusBuilder::new()
            .set_buckets_for_metric(Matcher::Full("http_request_duration_seconds".into()), &DURATION_BUCKETS)
            .expect("the buckets are not empty")
            .build_recorder();
        let handle = recorder.handle();
        let _ = metrics::set_global_recorder(recorder);
        handle
    })
}

/// Counts every request by method, route template and status, and times it.
pub async fn track(req: Request, next: Next) -> Response {
    let route = req.extensions().get::<MatchedPath>().map(|p| p.as_str().to_owned()).unwrap_or_else(|| "unmatched".to_owned());
    let method = req.method().as_str().to_owned();
    let started = Instant::now();
    let res = next.run(req).await;
    let status = res.status().as_u16().to_string();
    let labels = [("method", method), ("route", route), ("status", status)];
    metrics::counter!("http_requests_total", &labels).increment(1);
    metrics::histogram!("http_request_duration_seconds", &labels[..2]).record(started.elapsed().as_secs_f64());
    res
}

fn bearer_matches(req: &Request, token: &str) -> bool {
    use sha2::{Digest, Sha256};
    let sent = req.headers().get(header::AUTHORIZATION).and_then(|v| v.to_str().ok()).and_then(|v| v.strip_prefix("Bearer "));
    // Digests compared, so the time taken says nothing about how much of the token matched.
    sent.is_some_and(|s| Sha256::digest(s.as_bytes()) == Sha256::digest(token.as_bytes()))
}

pub async fn metrics_endpoint(State(state): State<AppState>, req: Request) -> Result<Response, ApiError> {
    let Some(token) = state.config.metrics_token.as_deref() else {
        return Err(ApiError::not_found("指标", "metrics"));
    };
    if !bearer_matches(&req, token) {
        return Err(ApiError::Unauthorized(Msg::new("需要指标访问令牌", "the metrics token is required as a bearer token")));
    }
    gauges(&state).await;
    let mut res = handle().render().into_response();
    res.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static("text/plain; version=0.0.4; charset=utf-8"));
    Ok(res)
}

/// Reads what lives in the database; a database away leaves these as they were.
async fn gauges(state: &AppState) {
    let db = &state.db;
    let backend = db.get_database_backend();
    let waiting = db
        .query_one_raw(Statement::from_sql_and_values(
            backend,
            if backend == DatabaseBackend::Postgres {
                "SELECT COUNT(*) AS n FROM outbox WHERE delivered_at IS NULL AND attempts < $1"
            } else {
                "SELECT COUNT(*) AS n FROM outbox WHERE delivered_at IS NULL AND attempts < ?"
            },
            [crate::outbox::MAX_ATTEMPTS.into()],
        ))
        .await;
    if let Ok(Some(row)) = waiting
        && let Ok(n) = row.try_get::<i64>("", "n")
    {
        metrics::gauge!("verifund_outbox_waiting").set(n as f64);
    }
    if let Ok(Some(v)) = crate::db::get_setting(db, LAST_DAILY_SETTING).await
        && let Ok(t) = chrono::DateTime::parse_from_rfc3339(&v)
    {
        metrics::gauge!("verifund_daily_jobs_last_success_timestamp_seconds").set(t.timestamp() as f64);
    }
    let (size, idle) = match backend {
        DatabaseBackend::Postgres => {
            let p = db.get_postgres_connection_pool();
            (p.size(), p.num_idle())
        }
        _ => {
            let p = db.get_sqlite_connection_pool();
            (p.size(), p.num_idle())
        }
    };
    metrics::gauge!("verifund_db_connections_in_use").set(f64::from(size) - idle as f64);
    metrics::gauge!("verifund_db_connections_open").set(f64::from(size));
}
