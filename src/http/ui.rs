//! The web UI, built from frontend/ by build.rs and embedded in the binary. Hashed assets
//! are cached for a year; index.html is never cached, and every path that is not a file or
//! an API route gets index.html so that deep links work (SPA fallback).
use crate::app::AppState;
use crate::error::{Lang, Problem};
use axum::Router;
use axum::http::{HeaderValue, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};

#[derive(rust_embed::RustEmbed)]
#[folder = "$OUT_DIR/ui"]
struct Assets;

pub fn router() -> Router<AppState> {
    Router::new().fallback(serve)
}

async fn serve(uri: Uri) -> Response {
    let path = uri.path();
    // Unknown API paths are API errors, not the UI page.
    if path == "/api" || path.starts_with("/api/") {
        return Problem::from_status(StatusCode::NOT_FOUND).into_response_in(Lang::Zh);
    }
    let file = path.trim_start_matches('/');
    if !file.is_empty()
        && let Some(asset) = Assets::get(file)
    {
        let mut res = asset.data.into_owned().into_response();
        let h = res.headers_mut();
        if let Ok(ct) = HeaderValue::from_str(asset.metadata.mimetype()) {
            h.insert(header::CONTENT_TYPE, ct);
        }
        let cache = if file.starts_with("assets/") { "public, max-age=31536000, immutable" } else { "no-cache" };
        h.insert(header::CACHE_CONTROL, HeaderValue::from_static(cache));
        return res;
    }
    // A missing file with an extension is a 404, not the app page (e.g. a stale asset).
    if file.starts_with("assets/") {
        return Problem::from_status(StatusCode::NOT_FOUND).into_response_in(Lang::Zh);
    }
    match Assets::get("index.html") {
        Some(index) => {
            let mut res = index.data.into_owned().into_response();
            let h = res.headers_mut();
            h.insert(header::CONTENT_TYPE, HeaderValue::from_static("text/html; charset=utf-8"));
            h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
            res
        }
        None => Problem::from_status(StatusCode::NOT_FOUND).into_response_in(Lang::Zh),
    }
}
