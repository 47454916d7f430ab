//! The approval form, one file per operation group: `list`, `detail`, `edit` (create, edit,
//! delete), `tasks`, the workflow `actions` (one by one or in a `batch`), `handoffs`, `money` (payout and refund),
//! `attachments` and the `print` view. Each handler parses, calls `store`, and maps the answer.
pub mod actions;
pub mod attachments;
pub mod batch;
pub mod detail;
pub mod edit;
pub mod form;
pub mod handoffs;
pub mod list;
pub mod money;
pub mod print;
pub mod tasks;
pub mod view;

use crate::app::AppState;
use utoipa_axum::{router::OpenApiRouter, routes};

pub use crate::store::list::ListQuery;
pub use detail::{RequestDetail, TimelineEntry, detail};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list::list_requests, edit::create_request))
        .routes(routes!(detail::get_request, edit::update_request, edit::delete_request))
        .routes(routes!(tasks::tasks))
        .merge(actions::router())
        .merge(batch::router())
        .merge(handoffs::router())
        .merge(attachments::router())
        .merge(print::router())
}

/// A list page for `me` at `uri`: the one `store::cache::ResponseCache` holds for the data
/// version read with the caller's account and for today, or else `render`'s.
async fn cached_page<F>(
    state: &AppState,
    me: &crate::auth::AuthUser,
    uri: &axum::http::Uri,
    render: F,
) -> crate::error::ApiResult<axum::response::Response>
where
    F: AsyncFnOnce(i64, chrono::NaiveDate) -> crate::error::ApiResult<bytes::Bytes>,
{
    let today = crate::clock::china_date(state.clock.now());
    // Read before anything else of the list, so that nothing on the page is older than it.
    let seq = match me.data_version {
        Some(v) => v,
        None => crate::store::cache::data_version(&state.db).await?,
    };
    let body = state.responses.get_or_render(format!("{}|{uri}", me.id), seq, today, async || render(seq, today).await).await?;
    Ok(json_bytes(body))
}

/// A list rendered once, to be kept by `store::cache::ResponseCache` and sent as it is.
fn render(page: &impl serde::Serialize) -> crate::error::ApiResult<bytes::Bytes> {
    serde_json::to_vec(page).map(bytes::Bytes::from).map_err(|e| crate::error::ApiError::Internal(e.to_string()))
}

/// A rendered JSON body as a response (what `Json` would send).
fn json_bytes(body: bytes::Bytes) -> axum::response::Response {
    use axum::response::IntoResponse;
    ([(axum::http::header::CONTENT_TYPE, "application/json")], body).into_response()
}
