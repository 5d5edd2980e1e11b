//! 2025-03-26 back-compat for authorization server metadata whose `issuer` differs from the
//! one its URL implies.
//!
//! Under the 2025-03-26 MCP spec a server without protected-resource metadata publishes its
//! authorization server metadata at `<origin of the MCP URL>/.well-known/oauth-authorization-server`.
//! Such servers (and the conformance scenario `2025-03-26-oauth-metadata-backcompat`) may name
//! an issuer with a path there, e.g. `https://mcp.example/oauth`. RFC 8414 §3.3 says that
//! metadata must not be used (rmcp rejects it); it guards against an authorization server
//! impersonating another one. When the issuer, the endpoints and the MCP server share one
//! origin, the same party controls all of them, so nothing is impersonated: this module
//! accepts that case (and only that case).

use rmcp::transport::auth::AuthorizationMetadata;
use std::time::Duration;
use url::Url;

const FETCH_TIMEOUT: Duration = Duration::from_secs(10);

/// Whether a rejected issuer may be accepted: the metadata was looked up at the root of the
/// MCP server's origin and names an issuer on that same origin.
pub fn same_origin_mismatch(mcp_url: &str, expected: &str, received: &str) -> bool {
    let (Ok(mcp), Ok(expected), Ok(received)) = (
        Url::parse(mcp_url),
        Url::parse(expected),
        Url::parse(received),
    ) else {
        return false;
    };
    let root = matches!(expected.path(), "" | "/");
    root && mcp.origin() == expected.origin() && mcp.origin() == received.origin()
}

/// Fetch the root metadata of the MCP server's origin and return it when its issuer is
/// `received` and every endpoint it names is on that origin.
pub async fn same_origin_metadata(
    http: &reqwest::Client,
    mcp_url: &str,
    expected: &str,
    received: &str,
) -> Option<AuthorizationMetadata> {
    if !same_origin_mismatch(mcp_url, expected, received) {
        return None;
    }
    let origin = Url::parse(mcp_url).ok()?.origin();
    let url = format!(
        "{}/.well-known/oauth-authorization-server",
        origin.ascii_serialization()
    );
    let response = http.get(&url).timeout(FETCH_TIMEOUT).send().await.ok()?;
    if !response.status().is_success() {
        return None;
    }
    let metadata: AuthorizationMetadata = response.json().await.ok()?;
    let same_origin = |u: &str| Url::parse(u).is_ok_and(|u| u.origin() == origin);
    let endpoints_ok = same_origin(&metadata.authorization_endpoint)
        && same_origin(&metadata.token_endpoint)
        && metadata
            .registration_endpoint
            .as_deref()
            .is_none_or(same_origin);
    (metadata.issuer.as_deref() == Some(received) && endpoints_ok).then_some(metadata)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_a_same_origin_issuer_under_root_metadata_qualifies() {
        let mcp = "http://127.0.0.1:9/mcp";
        assert!(same_origin_mismatch(
            mcp,
            "http://127.0.0.1:9/",
            "http://127.0.0.1:9/oauth"
        ));
        // Another origin named as issuer: a possible mix-up, refused.
        assert!(!same_origin_mismatch(
            mcp,
            "http://127.0.0.1:9/",
            "http://evil.example/oauth"
        ));
        // Path-inserted metadata (an issuer with a path was asked for): refused.
        assert!(!same_origin_mismatch(
            mcp,
            "http://127.0.0.1:9/tenant",
            "http://127.0.0.1:9/other"
        ));
        // Metadata of another origin than the MCP server: refused.
        assert!(!same_origin_mismatch(
            mcp,
            "http://as.example/",
            "http://as.example/oauth"
        ));
    }
}
