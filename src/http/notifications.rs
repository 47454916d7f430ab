//! The in-app inbox.
use super::Page;
use super::extract::{Json, Path, Query};
use crate::app::AppState;
use crate::auth::AuthUser;
use crate::error::{ApiError, ApiResult};
use axum::extract::State;
use chrono::{DateTime, Utc};
use entity::notification;
use sea_orm::{ColumnTrait, Condition, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder, sea_query::Expr};
use serde::{Deserialize, Serialize};
use utoipa_axum::{router::OpenApiRouter, routes};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(list_notifications)).routes(routes!(mark_read))
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct NotificationQuery {
    /// Only unread ones.
    pub unread: Option<bool>,
    pub page: Option<u64>,
    pub per_page: Option<u64>,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct NotificationView {
    pub id: i32,
    pub kind: String,
    pub title: String,
    pub body: String,
    pub request_id: Option<i32>,
    pub read_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct NotificationPage {
    #[serde(flatten)]
    pub page: Page<NotificationView>,
    pub unread: u64,
}

fn view(n: notification::Model) -> NotificationView {
    NotificationView {
        id: n.id,
        kind: n.kind,
        title: n.title,
        body: n.body,
        request_id: n.request_id,
        read_at: n.read_at,
        created_at: n.created_at,
    }
}

/// The caller's notifications, newest first, with the unread count.
#[utoipa::path(get, path = "/notifications", tag = "notifications", security(("bearer" = [])), params(NotificationQuery),
    responses((status = 200, body = NotificationPage), (status = 401, body = crate::error::ProblemBody)))]
async fn list_notifications(
    State(state): State<AppState>,
    me: AuthUser,
    Query(q): Query<NotificationQuery>,
) -> ApiResult<Json<NotificationPage>> {
    let (page, per_page) = super::PageParams::resolve(q.page, q.per_page)?;
    let mine = Condition::all().add(notification::Column::UserId.eq(me.id));
    let unread = notification::Entity::find().filter(mine.clone()).filter(notification::Column::ReadAt.is_null()).count(&state.db).await?;
    let mut cond = mine;
    if q.unread == Some(true) {
        cond = cond.add(notification::Column::ReadAt.is_null());
    }
    let paginator = notification::Entity::find().filter(cond).order_by_desc(notification::Column::Id).paginate(&state.db, per_page);
    let total = paginator.num_items().await?;
    let items = paginator.fetch_page(page - 1).await?.into_iter().map(view).collect();
    Ok(Json(NotificationPage { page: Page { items, total, page, per_page }, unread }))
}

/// Mark one of the caller's notifications read.
#[utoipa::path(post, path = "/notifications/{id}/read", tag = "notifications", security(("bearer" = [])), params(("id" = i32, Path)),
    responses((status = 200, body = NotificationView), (status = 404, body = crate::error::ProblemBody)))]
async fn mark_read(State(state): State<AppState>, me: AuthUser, Path(id): Path<i32>) -> ApiResult<Json<NotificationView>> {
    let mine = || notification::Entity::find_by_id(id).filter(notification::Column::UserId.eq(me.id));
    if mine().one(&state.db).await?.is_none() {
        return Err(ApiError::not_found("通知", "notification"));
    }
    notification::Entity::update_many()
        .col_expr(notification::Column::ReadAt, Expr::value(state.clock.now()))
        .filter(notification::Column::Id.eq(id))
        .filter(notification::Column::ReadAt.is_null())
        .exec(&state.db)
        .await?;
    let n = mine().one(&state.db).await?.ok_or_else(|| ApiError::not_found("通知", "notification"))?;
    Ok(Json(view(n)))
}
