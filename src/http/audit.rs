//! Reading the audit log (auditor, admin, finance).
use super::Page;
use super::extract::{Json, Query};
use crate::app::AppState;
use crate::auth::AuthUser;
use crate::domain::roles::Role;
use crate::error::ApiResult;
use axum::extract::State;
use chrono::{DateTime, Utc};
use entity::audit_event;
use sea_orm::{ColumnTrait, Condition, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder};
use serde::{Deserialize, Serialize};
use utoipa_axum::{router::OpenApiRouter, routes};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(list_audit))
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct AuditQuery {
    pub request_id: Option<i32>,
    pub actor_id: Option<i32>,
    pub action: Option<String>,
    pub page: Option<u64>,
    pub per_page: Option<u64>,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct AuditEventView {
    pub seq: i64,
    pub occurred_at: DateTime<Utc>,
    pub actor_id: Option<i32>,
    pub actor_name: String,
    pub on_behalf_of_id: Option<i32>,
    pub action: String,
    pub request_id: Option<i32>,
    pub comment: Option<String>,
    #[schema(value_type = Option<Object>)]
    pub before: Option<serde_json::Value>,
    #[schema(value_type = Option<Object>)]
    pub after: Option<serde_json::Value>,
    pub prev_hash: String,
    pub hash: String,
}

/// Audit events in chain order (auditor, admin, finance).
#[utoipa::path(get, path = "/audit", tag = "audit", security(("bearer" = [])), params(AuditQuery),
    responses((status = 200, body = Page<AuditEventView>), (status = 401, body = crate::error::ProblemBody),
              (status = 403, body = crate::error::ProblemBody)))]
async fn list_audit(State(state): State<AppState>, me: AuthUser, Query(q): Query<AuditQuery>) -> ApiResult<Json<Page<AuditEventView>>> {
    me.require_any(&[Role::Auditor, Role::Admin, Role::Finance])?;
    let (page, per_page) = super::PageParams::resolve(q.page, q.per_page)?;
    let mut cond = Condition::all();
    if let Some(r) = q.request_id {
        cond = cond.add(audit_event::Column::RequestId.eq(r));
    }
    if let Some(a) = q.actor_id {
        cond = cond.add(audit_event::Column::ActorId.eq(a));
    }
    if let Some(a) = q.action {
        cond = cond.add(audit_event::Column::Action.eq(a));
    }
    let paginator = audit_event::Entity::find().filter(cond).order_by_asc(audit_event::Column::Seq).paginate(&state.db, per_page);
    let total = paginator.num_items().await?;
    let parse = |s: Option<String>| s.and_then(|s| serde_json::from_str(&s).ok());
    let items = paginator
        .fetch_page(page - 1)
        .await?
        .into_iter()
        .map(|e| AuditEventView {
            seq: e.seq,
            occurred_at: e.occurred_at,
            actor_id: e.actor_id,
            actor_name: e.actor_name,
            on_behalf_of_id: e.on_behalf_of_id,
            action: e.action,
            request_id: e.request_id,
            comment: e.comment,
            before: parse(e.before_state),
            after: parse(e.after_state),
            prev_hash: e.prev_hash,
            hash: e.hash,
        })
        .collect();
    Ok(Json(Page { items, total, page, per_page }))
}
