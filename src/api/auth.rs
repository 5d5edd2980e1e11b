//! API-key authentication for `/api/v1` and `/events`.

use super::envelope::ApiError;
use super::ApiState;
use axum::extract::{Request, State};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use http::StatusCode;

/// Environment variable whose value, when set, replaces `api_key` from the config.
pub const API_KEY_ENV: &str = "MCPPROXY_API_KEY";

/// The key in force: `MCPPROXY_API_KEY` when set and non-empty, else `api_key` from the config.
pub fn effective_api_key(configured: Option<&str>) -> Option<String> {
    std::env::var(API_KEY_ENV)
        .ok()
        .filter(|k| !k.is_empty())
        .or_else(|| configured.filter(|k| !k.is_empty()).map(str::to_string))
}

/// The key a request presents: `X-API-Key`, `Authorization: Bearer …` or `?apikey=`.
pub fn presented_key(request: &Request) -> Option<String> {
    let headers = request.headers();
    if let Some(key) = headers.get("x-api-key").and_then(|v| v.to_str().ok()) {
        return Some(key.trim().to_string());
    }
    if let Some(auth) = headers
        .get(http::header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
    {
        let (scheme, rest) = auth.trim().split_once(' ')?;
        if scheme.eq_ignore_ascii_case("bearer") {
            return Some(rest.trim().to_string());
        }
    }
    request.uri().query().and_then(|query| {
        url::form_urlencoded::parse(query.as_bytes())
            .find(|(k, _)| k == "apikey")
            .map(|(_, v)| v.into_owned())
    })
}

/// Equality that takes the same time wherever the first difference is.
fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// `Ok` when `request` presents the key in force for `core`, else why not (for a 401).
pub fn check_key(core: &crate::core::Core, request: &Request) -> Result<(), &'static str> {
    let expected = effective_api_key(core.config().api_key.as_deref());
    let presented = presented_key(request);
    let accepted = match (&expected, &presented) {
        (Some(expected), Some(presented)) => {
            constant_time_eq(expected.as_bytes(), presented.as_bytes())
        }
        _ => false,
    };
    if accepted {
        Ok(())
    } else if presented.is_some() {
        Err("invalid API key; use `api_key` from mcp_config.json (or MCPPROXY_API_KEY)")
    } else {
        Err("missing API key; send it as `X-API-Key: <key>`, `Authorization: Bearer <key>` or `?apikey=<key>` (the key is `api_key` in mcp_config.json)")
    }
}

/// Middleware: 401 unless the request presents the API key.
pub async fn require_api_key(
    State(state): State<ApiState>,
    request: Request,
    next: Next,
) -> Response {
    match check_key(&state.core, &request) {
        Ok(()) => next.run(request).await,
        Err(message) => ApiError::new(StatusCode::UNAUTHORIZED, message).into_response(),
    }
}

/// Middleware of `/mcp*`: with `require_mcp_auth` on, 401 (JSON) unless the request presents
/// the API key; otherwise MCP clients need no key.
pub async fn require_mcp_key(
    State(core): State<std::sync::Arc<crate::core::Core>>,
    request: Request,
    next: Next,
) -> Response {
    if !core.config().require_mcp_auth {
        return next.run(request).await;
    }
    match check_key(&core, &request) {
        Ok(()) => next.run(request).await,
        Err(message) => ApiError::new(
            StatusCode::UNAUTHORIZED,
            format!("require_mcp_auth is on: {message}"),
        )
        .into_response(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request(uri: &str, headers: &[(&str, &str)]) -> Request {
        let mut builder = http::Request::builder().uri(uri);
        for (k, v) in headers {
            builder = builder.header(*k, *v);
        }
        builder.body(axum::body::Body::empty()).unwrap()
    }

    #[test]
    fn key_sources() {
        assert_eq!(
            presented_key(&request("/x", &[("X-API-Key", "k1")])).as_deref(),
            Some("k1")
        );
        assert_eq!(
            presented_key(&request("/x", &[("Authorization", "Bearer k2")])).as_deref(),
            Some("k2")
        );
        assert_eq!(
            presented_key(&request("/x?a=1&apikey=k%203", &[])).as_deref(),
            Some("k 3")
        );
        assert_eq!(
            presented_key(&request("/x", &[("Authorization", "Basic zz")])),
            None
        );
        assert_eq!(presented_key(&request("/x", &[])), None);
        assert!(constant_time_eq(b"abc", b"abc"));
        assert!(!constant_time_eq(b"abc", b"abd"));
        assert!(!constant_time_eq(b"abc", b"ab"));
    }
}
