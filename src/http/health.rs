//! Liveness with a database round trip.
use crate::app::AppState;
use crate::error::ApiError;
use axum::Json;
use axum::extract::State;
use sea_orm::ConnectionTrait;
use serde::Serialize;
use utoipa_axum::{router::OpenApiRouter, routes};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(healthz))
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct Health {
    /// `ok`
    pub status: String,
    /// `ok` when a query against the database succeeded.
    pub database: String,
    pub version: String,
}

/// Liveness and database check: 200 when the database answers, 503 otherwise.
#[utoipa::path(get, path = "/healthz", tag = "health",
    responses((status = 200, body = Health), (status = 503, body = crate::error::ProblemBody)))]
async fn healthz(State(state): State<AppState>) -> Result<Json<Health>, ApiError> {
    state.db.execute_unprepared("SELECT 1").await.map_err(|e| ApiError::Unavailable(e.to_string()))?;
    Ok(Json(Health { status: "ok".into(), database: "ok".into(), version: env!("CARGO_PKG_VERSION").into() }))
}
