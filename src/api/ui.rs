//! The embedded web UI: `/ui/*` serves the bundle built from `ui/` (see `src-tauri/ui_bundle.rs`)
//! and `/` redirects to `/ui/`. The bundle holds no data; it asks for the API key itself.

use crate::core::Core;
use crate::mcp::guard::{self, HostPolicy};
use axum::extract::{Path, Request, State};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use http::{header, HeaderMap, HeaderValue, StatusCode, Uri};
use sha2::{Digest, Sha256};
use std::collections::HashMap;
use std::sync::{Arc, OnceLock};

mod bundle {
    include!(concat!(env!("OUT_DIR"), "/ui_assets.rs"));
}

/// Where the UI is served.
pub const UI_PREFIX: &str = "/ui/";

/// Content security policy of UI responses: only this origin, no framing.
const CSP: &str = "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; \
img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'; object-src 'none'";

/// True when the real UI bundle is embedded (false: the "how to build the UI" page).
pub fn is_built() -> bool {
    bundle::UI_BUILT
}

/// One embedded file with its content type and entity tag.
struct Asset {
    bytes: &'static [u8],
    content_type: &'static str,
    etag: String,
}

fn assets() -> &'static HashMap<&'static str, Asset> {
    static ASSETS: OnceLock<HashMap<&'static str, Asset>> = OnceLock::new();
    ASSETS.get_or_init(|| {
        bundle::UI_ASSETS
            .iter()
            .map(|(path, bytes)| {
                let digest = Sha256::digest(bytes);
                let asset = Asset {
                    bytes,
                    content_type: content_type(path),
                    etag: format!("\"{}\"", hex::encode(&digest[..12])),
                };
                (*path, asset)
            })
            .collect()
    })
}

/// Content type by file extension.
pub fn content_type(path: &str) -> &'static str {
    match path.rsplit_once('.').map(|(_, ext)| ext) {
        Some("html") => "text/html; charset=utf-8",
        Some("js" | "mjs") => "text/javascript; charset=utf-8",
        Some("css") => "text/css; charset=utf-8",
        Some("json" | "map") => "application/json",
        Some("svg") => "image/svg+xml",
        Some("png") => "image/png",
        Some("ico") => "image/x-icon",
        Some("woff2") => "font/woff2",
        Some("txt") => "text/plain; charset=utf-8",
        _ => "application/octet-stream",
    }
}

fn serve(path: &str, request_headers: &HeaderMap) -> Response {
    let assets = assets();
    // Unknown paths without an extension are client-side routes: answer index.html.
    let last = path.rsplit('/').next().unwrap_or("");
    let key = if path.is_empty() || (!assets.contains_key(path) && !last.contains('.')) {
        "index.html"
    } else {
        path
    };
    let Some(asset) = assets.get(key) else {
        return (
            StatusCode::NOT_FOUND,
            [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
            format!("no UI file {UI_PREFIX}{path}"),
        )
            .into_response();
    };
    let mut headers = HeaderMap::new();
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    headers.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    headers.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(CSP),
    );
    headers.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    if let Ok(etag) = HeaderValue::from_str(&asset.etag) {
        headers.insert(header::ETAG, etag);
    }
    let matches = request_headers
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.split(',').any(|tag| tag.trim() == asset.etag));
    if matches {
        return (StatusCode::NOT_MODIFIED, headers).into_response();
    }
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static(asset.content_type),
    );
    (headers, asset.bytes).into_response()
}

/// `/` and `/ui` → `/ui/`, keeping the query (so `/?apikey=…` reaches the UI).
async fn to_ui(uri: Uri) -> Redirect {
    match uri.query() {
        Some(query) => Redirect::temporary(&format!("{UI_PREFIX}?{query}")),
        None => Redirect::temporary(UI_PREFIX),
    }
}

async fn index(headers: HeaderMap) -> Response {
    serve("", &headers)
}

async fn file(Path(path): Path<String>, headers: HeaderMap) -> Response {
    serve(&path, &headers)
}

async fn guard_host(State(policy): State<HostPolicy>, request: Request, next: Next) -> Response {
    match guard::check(&policy, request.headers()) {
        Ok(()) => next.run(request).await,
        Err(message) => (StatusCode::FORBIDDEN, message).into_response(),
    }
}

/// Routes of the web UI (with the same Host/Origin check as the API).
pub fn router(core: Arc<Core>) -> axum::Router {
    axum::Router::new()
        .route("/", get(to_ui))
        .route("/ui", get(to_ui))
        .route(UI_PREFIX, get(index))
        .route("/ui/{*path}", get(file))
        .layer(middleware::from_fn_with_state(
            HostPolicy::from_core(&core),
            guard_host,
        ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn index_is_embedded_with_csp_and_etag() {
        let response = serve("", &HeaderMap::new());
        assert_eq!(response.status(), StatusCode::OK);
        let headers = response.headers();
        assert_eq!(headers[header::CONTENT_TYPE], "text/html; charset=utf-8");
        assert!(headers[header::CONTENT_SECURITY_POLICY]
            .to_str()
            .unwrap()
            .contains("frame-ancestors 'none'"));
        let etag = headers[header::ETAG].clone();
        let mut conditional = HeaderMap::new();
        conditional.insert(header::IF_NONE_MATCH, etag);
        assert_eq!(
            serve("index.html", &conditional).status(),
            StatusCode::NOT_MODIFIED
        );
    }

    #[test]
    fn client_routes_fall_back_to_index_but_missing_files_do_not() {
        assert_eq!(
            serve("servers/x", &HeaderMap::new()).status(),
            StatusCode::OK
        );
        assert_eq!(
            serve("assets/missing.js", &HeaderMap::new()).status(),
            StatusCode::NOT_FOUND
        );
    }

    #[tokio::test]
    async fn root_redirects_to_the_ui_keeping_the_query() {
        let with_key = to_ui("/?apikey=abc".parse().unwrap()).await.into_response();
        assert_eq!(with_key.status(), StatusCode::TEMPORARY_REDIRECT);
        assert_eq!(with_key.headers()[header::LOCATION], "/ui/?apikey=abc");
        let plain = to_ui("/ui".parse().unwrap()).await.into_response();
        assert_eq!(plain.headers()[header::LOCATION], "/ui/");
    }

    #[test]
    fn content_types() {
        assert_eq!(
            content_type("assets/index.js"),
            "text/javascript; charset=utf-8"
        );
        assert_eq!(content_type("assets/index.css"), "text/css; charset=utf-8");
        assert_eq!(content_type("x.bin"), "application/octet-stream");
    }
}
