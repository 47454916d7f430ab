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

/// What a list page can show, and so which writes make it out of date.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Shows {
    /// Any request, drafts included: every audited write.
    Anything,
    /// Never a draft (the to-do list, a list of another status): a write of anything but a
    /// draft (`store::cache::Versions::shared`).
    NoDrafts,
}

/// A list page for `me` at `uri`: the one a `store::cache::ResponseCache` holds for the data
/// version read with the caller's account (the one `shows` depends on) and for today, or else
/// `render`'s, which is given that version and the display names' one.
async fn cached_page<F>(
    state: &AppState,
    me: &crate::auth::AuthUser,
    uri: &axum::http::Uri,
    shows: Shows,
    render: F,
) -> crate::error::ApiResult<axum::response::Response>
where
    F: AsyncFnOnce(i64, i64, chrono::NaiveDate) -> crate::error::ApiResult<bytes::Bytes>,
{
    let today = crate::clock::china_date(state.clock.now());
    // Read before anything else of the list, so that nothing on the page is older than it.
    let versions = match me.data_version {
        Some(v) => v,
        None => crate::store::cache::data_versions(&state.db).await?,
    };
    let (cache, seq) = match shows {
        Shows::Anything => (&state.responses, versions.all),
        Shows::NoDrafts => (&state.shared_responses, versions.shared),
    };
    let body = cache.get_or_render(format!("{}|{uri}", me.id), seq, today, async || render(seq, versions.shared, today).await).await?;
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
