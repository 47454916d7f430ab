//! `/api/openapi.json` and a self-contained docs page at `/api/docs` that works offline.
use crate::app::AppState;
use axum::Router;
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use std::sync::Arc;

pub fn router(spec: Arc<utoipa::openapi::OpenApi>) -> Router<AppState> {
    let json = Arc::new(spec.to_pretty_json().unwrap_or_else(|_| "{}".into()));
    Router::new()
        .route(
            "/api/openapi.json",
            get(move || {
                let json = json.clone();
                async move { typed("application/json", json.as_bytes().to_vec()) }
            }),
        )
        .route("/api/docs", get(|| async { typed("text/html; charset=utf-8", DOCS_HTML.as_bytes().to_vec()) }))
        .route("/api/docs.js", get(|| async { typed("text/javascript; charset=utf-8", DOCS_JS.as_bytes().to_vec()) }))
}

fn typed(content_type: &'static str, body: Vec<u8>) -> Response {
    let mut res = body.into_response();
    res.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    res
}

const DOCS_HTML: &str = r#"<!doctype html><html lang="en"><head><meta charset="utf-8"><title>verifund API</title>
<style>
body{font-family:system-ui,sans-serif;max-width:1100px;margin:2em auto;padding:0 1em;color:#222}
h1{margin-bottom:0}.op{border:1px solid #ddd;border-radius:6px;margin:.6em 0;padding:.5em .8em}
.m{display:inline-block;min-width:4.5em;font-weight:bold;text-transform:uppercase}
.get{color:#0a7}.post{color:#06c}.patch{color:#b70}.put{color:#a50}.delete{color:#c22}
code,pre{background:#f6f6f6;padding:.1em .3em;border-radius:3px}pre{padding:.6em;overflow:auto;font-size:12px}
details summary{cursor:pointer}.tag{margin-top:1.5em;border-bottom:2px solid #eee}
</style></head><body><h1>verifund API</h1><p id="desc"></p>
<p>Machine-readable: <a href="/api/openapi.json">/api/openapi.json</a> (OpenAPI 3.1). Authenticate with
<code>POST /api/v1/auth/login</code> and send <code>Authorization: Bearer &lt;access_token&gt;</code>.</p>
<div id="ops">Loading…</div><script src="/api/docs.js"></script></body></html>"#;

const DOCS_JS: &str = r#"(async function () {
  const spec = await (await fetch('/api/openapi.json')).json();
  document.getElementById('desc').textContent = spec.info.description || '';
  const byTag = {};
  for (const [path, item] of Object.entries(spec.paths)) {
    for (const [method, op] of Object.entries(item)) {
      const tag = (op.tags && op.tags[0]) || 'other';
      (byTag[tag] = byTag[tag] || []).push({ path, method, op });
    }
  }
  const root = document.getElementById('ops');
  root.textContent = '';
  const el = (t, cls, text) => { const e = document.createElement(t); if (cls) e.className = cls; if (text) e.textContent = text; return e; };
  for (const tag of Object.keys(byTag).sort()) {
    root.appendChild(el('h2', 'tag', tag));
    for (const { path, method, op } of byTag[tag]) {
      const d = el('details', 'op');
      const s = el('summary');
      s.appendChild(el('span', 'm ' + method, method));
      s.appendChild(el('code', null, path));
      s.appendChild(document.createTextNode(' ' + (op.summary || '')));
      d.appendChild(s);
      if (op.description) d.appendChild(el('p', null, op.description));
      const detail = { parameters: op.parameters, requestBody: op.requestBody, responses: op.responses };
      d.appendChild(el('pre', null, JSON.stringify(detail, null, 2)));
      root.appendChild(d);
    }
  }
  root.appendChild(el('h2', 'tag', 'schemas'));
  root.appendChild(el('pre', null, JSON.stringify((spec.components || {}).schemas || {}, null, 2)));
})();"#;
