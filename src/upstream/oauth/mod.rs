//! OAuth 2.1 for HTTP/SSE upstreams (client side of the MCP authorization spec).
//!
//! rmcp's auth module does discovery (RFC 9728 protected-resource metadata, RFC 8414 / OIDC),
//! registration, PKCE S256, RFC 8707 `resource` and refresh. This module adds what a proxy
//! needs around it: per-server state ([`ServerAuth`]), the keyring credential store
//! ([`store`]), the loopback callback ([`callback`]), the browser launch ([`browser`]) and the
//! login flow ([`login`]).

pub mod browser;
pub mod callback;
pub mod challenge;
pub mod legacy;
pub mod login;
pub mod ops;
pub mod register;
pub mod registry;
pub mod revoke;
pub mod server_auth;
pub mod store;

pub use browser::{Browser, Opened};
pub use challenge::Challenge;
pub use registry::OAuthRegistry;
pub use server_auth::ServerAuth;

use serde::Serialize;
use std::time::SystemTime;

/// How long a started login waits for the browser redirect.
pub const LOGIN_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(300);

/// Where a server stands with OAuth.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum OAuthState {
    /// Not determined yet (discovery pending).
    Unknown,
    /// A valid access token is held.
    Authenticated,
    /// The access token has expired; it is refreshed on the next use.
    Expired,
    /// The user must log in (`mcpproxy auth login --server NAME`).
    LoginRequired,
    /// A login was started and waits for the browser.
    LoginInProgress,
}

impl OAuthState {
    /// Lower-case name as shown to users.
    pub fn as_str(self) -> &'static str {
        match self {
            OAuthState::Unknown => "unknown",
            OAuthState::Authenticated => "authenticated",
            OAuthState::Expired => "expired",
            OAuthState::LoginRequired => "login_required",
            OAuthState::LoginInProgress => "login_in_progress",
        }
    }
}

/// Snapshot of a server's OAuth state (no secrets).
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct OAuthStatus {
    /// Current state.
    pub state: OAuthState,
    /// Authorization server issuer in use.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub issuer: Option<String>,
    /// Access token expiry (RFC 3339).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub token_expires_at: Option<String>,
    /// Whether a refresh token is held.
    pub has_refresh_token: bool,
    /// Granted scopes.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub scopes: Vec<String>,
    /// Scopes a tool call asked for that the current grant lacks (step-up needed).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub missing_scopes: Vec<String>,
    /// URL of the login in progress (open it when no browser appeared).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub auth_url: Option<String>,
    /// Why the last login or refresh failed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_error: Option<String>,
    #[serde(skip)]
    expires: Option<SystemTime>,
}

impl Default for OAuthStatus {
    fn default() -> Self {
        Self {
            state: OAuthState::Unknown,
            issuer: None,
            token_expires_at: None,
            has_refresh_token: false,
            scopes: Vec::new(),
            missing_scopes: Vec::new(),
            auth_url: None,
            last_error: None,
            expires: None,
        }
    }
}

impl OAuthStatus {
    /// Set the token expiry (and its RFC 3339 form).
    pub fn set_expiry(&mut self, expires: Option<SystemTime>) {
        self.expires = expires;
        self.token_expires_at = expires.map(|t| humantime::format_rfc3339_seconds(t).to_string());
    }

    /// Token expiry.
    pub fn expires(&self) -> Option<SystemTime> {
        self.expires
    }

    /// The snapshot with `Authenticated` shown as `Expired` once the token's time has passed.
    pub fn observed(mut self) -> Self {
        if self.state == OAuthState::Authenticated
            && self.expires.is_some_and(|t| t <= SystemTime::now())
        {
            self.state = OAuthState::Expired;
        }
        self
    }
}

/// Why an OAuth operation failed (free of secrets).
#[derive(Debug, Clone, thiserror::Error)]
pub enum OAuthError {
    /// No server of that name.
    #[error("{0}")]
    UnknownServer(String),
    /// The server does not use HTTP.
    #[error("{0}")]
    NotApplicable(String),
    /// Discovery, registration, authorization or token exchange failed.
    #[error("{0}")]
    Flow(String),
    /// The keyring failed.
    #[error("{0}")]
    Storage(String),
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn authenticated_shows_as_expired_after_expiry() {
        let mut status = OAuthStatus {
            state: OAuthState::Authenticated,
            ..Default::default()
        };
        status.set_expiry(Some(SystemTime::now() - Duration::from_secs(5)));
        assert_eq!(status.clone().observed().state, OAuthState::Expired);
        status.set_expiry(Some(SystemTime::now() + Duration::from_secs(60)));
        assert_eq!(status.clone().observed().state, OAuthState::Authenticated);
        assert!(status.token_expires_at.unwrap().ends_with('Z'));
    }
}
