//! Recognising an upstream's `401`/`403` OAuth challenge in transport and request errors.

use rmcp::service::{ClientInitializeError, ServiceError};
use rmcp::transport::auth::WWWAuthenticateParams;

/// A `WWW-Authenticate` challenge from an upstream.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Challenge {
    /// The raw header value (may be empty when the server sent none).
    pub header: String,
    /// `error="insufficient_scope"` (HTTP 403): the token lacks scopes.
    pub insufficient_scope: bool,
    /// Scopes named by the challenge.
    pub scopes: Vec<String>,
}

impl Challenge {
    /// Parse a `WWW-Authenticate` header received from `url`.
    pub fn parse(header: &str, url: &str) -> Self {
        let base =
            url::Url::parse(url).unwrap_or_else(|_| url::Url::parse("http://invalid/").unwrap());
        let params = WWWAuthenticateParams::parse(header, &base);
        Self {
            header: header.to_string(),
            insufficient_scope: params.is_insufficient_scope(),
            scopes: params
                .scope
                .as_deref()
                .unwrap_or_default()
                .split_whitespace()
                .map(str::to_string)
                .collect(),
        }
    }

    /// The header for rmcp discovery, when there is one.
    pub fn header(&self) -> Option<&str> {
        Some(self.header.as_str()).filter(|h| !h.trim().is_empty())
    }
}

/// The challenge behind a failed `initialize`, if authorization is why it failed.
pub fn from_initialize(err: &ClientInitializeError, url: &str) -> Option<Challenge> {
    if let Some(header) = err.auth_challenge() {
        return Some(Challenge::parse(header, url));
    }
    if let ClientInitializeError::TransportError { error, .. } = err {
        if let Some(c) = from_sse(error.error.as_ref(), url) {
            return Some(c);
        }
    }
    err.is_authorization_required()
        .then(|| Challenge::parse("", url))
}

/// The challenge behind a failed request on a live session.
pub fn from_service(err: &ServiceError, url: &str) -> Option<Challenge> {
    if let Some(header) = err.auth_challenge() {
        return Some(Challenge::parse(header, url));
    }
    if let ServiceError::TransportSend(error) = err {
        if let Some(c) = from_sse(error.error.as_ref(), url) {
            return Some(c);
        }
    }
    err.is_authorization_required()
        .then(|| Challenge::parse("", url))
}

/// The challenge in a legacy SSE transport error chain.
pub fn from_sse(err: &(dyn std::error::Error + 'static), url: &str) -> Option<Challenge> {
    let mut current = Some(err);
    while let Some(e) = current {
        if let Some(crate::upstream::sse::SseError::Unauthorized {
            www_authenticate, ..
        }) = e.downcast_ref::<crate::upstream::sse::SseError>()
        {
            return Some(Challenge::parse(www_authenticate, url));
        }
        current = e.source();
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_scope_and_insufficient_scope() {
        let c = Challenge::parse(
            r#"Bearer error="insufficient_scope", scope="a b", resource_metadata="http://h/.well-known/oauth-protected-resource""#,
            "http://h/mcp",
        );
        assert!(c.insufficient_scope);
        assert_eq!(c.scopes, ["a", "b"]);
        let plain = Challenge::parse("Bearer", "http://h/mcp");
        assert!(!plain.insufficient_scope && plain.scopes.is_empty());
        assert_eq!(Challenge::parse("", "http://h").header(), None);
    }
}
