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
