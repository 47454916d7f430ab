//! The registry list.
use super::{MiniProgramView, VerificationMethod, view};
use crate::app::AppState;
use crate::auth::AuthUser;
use crate::error::ApiResult;
use crate::http::Page;
use crate::http::extract::{Json, Query};
use crate::store::mini_programs::{MpStatus, visible_to};
use axum::extract::State;
use entity::mini_program;
use sea_orm::{ColumnTrait, Condition, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder};
use serde::Deserialize;

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct MiniProgramQuery {
    /// Matches name, AppID, e-mail or entity.
    pub q: Option<String>,
    pub status: Option<MpStatus>,
    pub verification_method: Option<VerificationMethod>,
    pub page: Option<u64>,
    pub per_page: Option<u64>,
}

/// The registry: requesters see the records they created; finance, admin and auditors all.
#[utoipa::path(get, path = "/mini-programs", tag = "mini-programs", security(("bearer" = [])), params(MiniProgramQuery),
    responses((status = 200, body = Page<MiniProgramView>), (status = 401, body = crate::error::ProblemBody), (status = 422, body = crate::error::ProblemBody)))]
pub(super) async fn list_mini_programs(
    State(state): State<AppState>,
    me: AuthUser,
    Query(q): Query<MiniProgramQuery>,
) -> ApiResult<Json<Page<MiniProgramView>>> {
    let (page, per_page) = crate::http::PageParams::resolve(q.page, q.per_page)?;
    let mut cond = visible_to(&me);
    if let Some(t) = q.q.as_deref().map(str::trim).filter(|t| !t.is_empty()) {
        cond = cond.add(
            Condition::any()
                .add(crate::store::contains_text(mini_program::Column::Name, t))
                .add(crate::store::contains_text(mini_program::Column::Appid, t))
                .add(crate::store::contains_text(mini_program::Column::EmailNormalized, &t.to_lowercase()))
                .add(crate::store::contains_text(mini_program::Column::EntityName, t)),
        );
    }
    if let Some(s) = q.status {
        cond = cond.add(mini_program::Column::Status.eq(s.as_str()));
    }
    if let Some(m) = q.verification_method {
        cond = cond.add(mini_program::Column::VerificationMethod.eq(m.as_str()));
    }
    let paginator = mini_program::Entity::find().filter(cond).order_by_desc(mini_program::Column::Id).paginate(&state.db, per_page);
    let total = paginator.num_items().await?;
    let mut items = Vec::new();
    for m in paginator.fetch_page(page - 1).await? {
        items.push(view(&state, &me, m, Vec::new()).await?);
    }
    Ok(Json(Page { items, total, page, per_page }))
}
