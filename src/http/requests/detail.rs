//! `GET /requests/{id}`: one request with its chain, attachments and timeline.
use super::attachments;
use super::view::{self, Names, RequestView};
use crate::app::AppState;
use crate::auth::AuthUser;
use crate::clock::china_date;
use crate::error::ApiResult;
use crate::http::extract::{Json, Path};
use crate::store::chain::Relation;
use crate::store::requests::find_visible;
use axum::extract::State;
use entity::{audit_event, request};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder};
use serde::Serialize;

/// A request with its attachments and timeline.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct RequestDetail {
    #[serde(flatten)]
    pub request: RequestView,
    pub attachments: Vec<attachments::AttachmentView>,
    /// Every step of the current round's approval chain.
    pub steps: Vec<view::StepView>,
    /// People copied in (抄送).
    pub cc: Vec<view::UserRef>,
    pub timeline: Vec<TimelineEntry>,
    /// Non-blocking notices for the caller (e.g. a suspected duplicate).
    pub warnings: Vec<String>,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct TimelineEntry {
    pub seq: i64,
    pub at: chrono::DateTime<chrono::Utc>,
    pub actor_id: Option<i32>,
    pub actor_name: String,
    /// When a delegate acted (代理): the approver they acted for.
    pub on_behalf_of_id: Option<i32>,
    pub on_behalf_of_name: Option<String>,
    pub action: String,
    pub comment: Option<String>,
    pub from_status: Option<String>,
    pub to_status: Option<String>,
    /// The approval step the action concerned.
    pub step: Option<String>,
    /// `transfer` / `add_approver`: who was handed the step or added.
    pub to_user_id: Option<i32>,
    pub to_user_name: Option<String>,
    /// `add_approver`: `before` or `after`.
    pub position: Option<String>,
}

pub async fn timeline(state: &AppState, request_id: i32) -> ApiResult<Vec<TimelineEntry>> {
    let events = audit_event::Entity::find()
        .filter(audit_event::Column::RequestId.eq(request_id))
        .order_by_asc(audit_event::Column::Seq)
        .all(&state.db)
        .await?;
    let parse = |s: &Option<String>| s.as_deref().and_then(|s| serde_json::from_str::<serde_json::Value>(s).ok());
    let text = |v: &Option<serde_json::Value>, key: &str| v.as_ref().and_then(|v| v.get(key)).and_then(|s| s.as_str()).map(str::to_owned);
    let mut behalf: Vec<i32> = events.iter().filter_map(|e| e.on_behalf_of_id).collect();
    behalf.sort_unstable();
    behalf.dedup();
    let names: std::collections::HashMap<i32, String> = if behalf.is_empty() {
        Default::default()
    } else {
        entity::user::Entity::find()
            .filter(entity::user::Column::Id.is_in(behalf))
            .all(&state.db)
            .await?
            .into_iter()
            .map(|u| (u.id, u.display_name))
            .collect()
    };
    Ok(events
        .into_iter()
        .map(|e| {
            let before = parse(&e.before_state);
            let after = parse(&e.after_state);
            TimelineEntry {
                from_status: text(&before, "status"),
                to_status: text(&after, "status"),
                step: text(&after, "step"),
                to_user_id: after.as_ref().and_then(|v| v.get("to_user_id")).and_then(|v| v.as_i64()).and_then(|v| i32::try_from(v).ok()),
                to_user_name: text(&after, "to_user_name"),
                position: text(&after, "position"),
                seq: e.seq,
                at: e.occurred_at,
                actor_id: e.actor_id,
                actor_name: e.actor_name,
                on_behalf_of_name: e.on_behalf_of_id.and_then(|id| names.get(&id).cloned()),
                on_behalf_of_id: e.on_behalf_of_id,
                action: e.action,
                comment: e.comment,
            }
        })
        .collect())
}

pub async fn detail(state: &AppState, me: &AuthUser, m: &request::Model, warnings: Vec<String>) -> ApiResult<RequestDetail> {
    let today = china_date(state.clock.now());
    let names = Names::load(state, me, std::slice::from_ref(m), None).await?;
    let cc_ids = crate::store::chain::people(&state.db, m.id, Relation::Cc).await?;
    let cc_names: std::collections::HashMap<i32, String> = entity::user::Entity::find()
        .filter(entity::user::Column::Id.is_in(cc_ids.clone()))
        .all(&state.db)
        .await?
        .into_iter()
        .map(|u| (u.id, u.display_name))
        .collect();
    Ok(RequestDetail {
        request: view::view(m, me, &names, today, state),
        steps: if m.round > 0 { names.steps(&names.chain(m)) } else { Vec::new() },
        cc: cc_ids.iter().map(|id| view::UserRef { id: *id, name: cc_names.get(id).cloned().unwrap_or_default() }).collect(),
        attachments: attachments::list_for(state, m.id).await?,
        timeline: timeline(state, m.id).await?,
        warnings,
    })
}

/// Read one request (404 when the caller may not see it).
#[utoipa::path(get, path = "/requests/{id}", tag = "requests", security(("bearer" = [])), params(("id" = i32, Path)),
    responses((status = 200, body = RequestDetail), (status = 401, body = crate::error::ProblemBody), (status = 404, body = crate::error::ProblemBody)))]
pub(super) async fn get_request(State(state): State<AppState>, me: AuthUser, Path(id): Path<i32>) -> ApiResult<Json<RequestDetail>> {
    let m = find_visible(&state.db, &me, id).await?;
    Ok(Json(detail(&state, &me, &m, Vec::new()).await?))
}
