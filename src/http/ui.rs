//! The web UI. Until the Vue app lands this is a placeholder page that points to the API.
use crate::app::AppState;
use axum::Router;
use axum::http::{HeaderValue, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};

pub fn router() -> Router<AppState> {
    Router::new().fallback(fallback)
}

const INDEX_HTML: &str = include_str!("../../frontend/index.html");

async fn fallback(uri: Uri) -> Response {
    // Unknown API paths are API errors, not the UI page.
    if uri.path().starts_with("/api/") || uri.path() == "/api" {
        return crate::error::Problem::from_status(StatusCode::NOT_FOUND).into_response_in(crate::error::Lang::Zh);
    }
    let mut res = INDEX_HTML.into_response();
    let h = res.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static("text/html; charset=utf-8"));
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    res
}
