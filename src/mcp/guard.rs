//! Host and Origin validation (DNS-rebinding and cross-site protection) for the MCP endpoint.

use crate::core::Core;
use axum::body::Body;
use axum::extract::{Request, State};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use http::StatusCode;
use std::net::IpAddr;
use std::sync::Arc;

/// Which hosts may appear in `Host` and `Origin`.
#[derive(Clone, Debug)]
pub struct HostPolicy {
    trusted: Arc<Vec<String>>,
}

impl HostPolicy {
    /// Loopback plus `trusted_hosts` from the config (and a non-loopback listen IP).
    pub fn from_core(core: &Core) -> Self {
        let config = core.config();
        let mut trusted: Vec<String> = config
            .trusted_hosts
            .iter()
            .map(|h| h.trim().to_ascii_lowercase())
            .collect();
        if let Ok(addr) = config.listen.parse::<std::net::SocketAddr>() {
            if !addr.ip().is_unspecified() {
                trusted.push(addr.ip().to_string());
            }
        }
        Self::new(trusted)
    }

    /// Policy with these extra trusted host names.
    pub fn new(trusted: Vec<String>) -> Self {
        Self {
            trusted: Arc::new(trusted),
        }
    }

    /// Whether `host` (no port, brackets removed) is allowed.
    pub fn allows(&self, host: &str) -> bool {
        let host = host.trim_end_matches('.').to_ascii_lowercase();
        if host == "localhost" || host.ends_with(".localhost") {
            return true;
        }
        if let Ok(ip) = host.parse::<IpAddr>() {
            if ip.is_loopback() {
                return true;
            }
        }
        self.trusted.contains(&host)
    }
}

/// Strip the port and IPv6 brackets from an authority.
fn host_of_authority(authority: &str) -> &str {
    if let Some(rest) = authority.strip_prefix('[') {
        return rest.split(']').next().unwrap_or(rest);
    }
    match authority.rsplit_once(':') {
        Some((host, port)) if port.chars().all(|c| c.is_ascii_digit()) => host,
        _ => authority,
    }
}

fn forbidden(message: String) -> Response {
    let body = serde_json::json!({
        "jsonrpc": "2.0",
        "id": null,
        "error": {"code": -32600, "message": message},
    });
    (
        StatusCode::FORBIDDEN,
        [(http::header::CONTENT_TYPE, "application/json")],
        body.to_string(),
    )
        .into_response()
}

/// Why a request's `Host` or `Origin` is refused, if it is.
pub fn check(policy: &HostPolicy, headers: &http::HeaderMap) -> Result<(), String> {
    if let Some(host) = headers.get(http::header::HOST) {
        let host = host.to_str().unwrap_or("");
        if !policy.allows(host_of_authority(host)) {
            return Err(format!(
                "Host `{host}` is not allowed (DNS rebinding protection); add it to trusted_hosts in mcp_config.json if you really serve MCPProxy under that name"
            ));
        }
    }
    if let Some(origin) = headers.get(http::header::ORIGIN) {
        let origin = origin.to_str().unwrap_or("");
        let allowed = url::Url::parse(origin)
            .ok()
            .and_then(|u| {
                u.host_str()
                    .map(|h| policy.allows(h.trim_matches(['[', ']'])))
            })
            .unwrap_or(false);
        if !allowed {
            return Err(format!(
                "Origin `{origin}` is not allowed; only local origins (and trusted_hosts) may use this endpoint"
            ));
        }
    }
    Ok(())
}

/// Middleware: 403 (JSON-RPC error) for a non-local `Host` or a foreign `Origin`.
pub async fn validate_host_and_origin(
    State(policy): State<HostPolicy>,
    request: Request<Body>,
    next: Next,
) -> Response {
    match check(&policy, request.headers()) {
        Ok(()) => next.run(request).await,
        Err(message) => forbidden(message),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn loopback_and_trusted_hosts_allowed() {
        let policy = HostPolicy::new(vec!["proxy.internal".into()]);
        for host in [
            "localhost",
            "127.0.0.1",
            "127.8.9.1",
            "::1",
            "proxy.internal",
            "app.localhost",
        ] {
            assert!(policy.allows(host), "{host}");
        }
        for host in ["evil.com", "192.168.1.10", "localhost.evil.com", ""] {
            assert!(!policy.allows(host), "{host}");
        }
    }

    #[test]
    fn authority_parsing() {
        assert_eq!(host_of_authority("localhost:8080"), "localhost");
        assert_eq!(host_of_authority("[::1]:8080"), "::1");
        assert_eq!(host_of_authority("example.com"), "example.com");
    }
}
