//! Observable state of one upstream server.

use rmcp::model::Tool;
use serde::Serialize;
use std::sync::Arc;

/// Connection state of an upstream server.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ConnectionState {
    /// Connecting or reconnecting (handshake in progress).
    Connecting,
    /// Initialized; tools listed.
    Ready,
    /// Last attempt failed; waiting for the next retry.
    Error,
    /// Disabled in the config.
    Disabled,
    /// Quarantined: never connected until approved.
    Quarantined,
    /// Stopped (core shutting down or server removed).
    Stopped,
}

impl ConnectionState {
    /// Lower-case name as shown to users.
    pub fn as_str(self) -> &'static str {
        match self {
            ConnectionState::Connecting => "connecting",
            ConnectionState::Ready => "ready",
            ConnectionState::Error => "error",
            ConnectionState::Disabled => "disabled",
            ConnectionState::Quarantined => "quarantined",
            ConnectionState::Stopped => "stopped",
        }
    }
}

/// Snapshot of an upstream's status.
#[derive(Debug, Clone, Serialize)]
pub struct ServerStatus {
    /// Current state.
    pub state: ConnectionState,
    /// Last error (already free of secret values).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_error: Option<String>,
    /// Transport actually in use ("stdio", "streamable-http", "sse").
    #[serde(skip_serializing_if = "Option::is_none")]
    pub transport: Option<&'static str>,
    /// Failed attempts since the last success.
    pub retry_count: u32,
    /// Upstream server name/version from `initialize`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub server_info: Option<String>,
    /// OAuth state for servers that use OAuth (filled in by [`super::Upstream::status`]).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub oauth: Option<super::oauth::OAuthStatus>,
    /// Docker isolation of a stdio server (image, container id/state), if applicable.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub isolation: Option<crate::docker::IsolationStatus>,
    /// Tools currently offered (empty unless ready).
    #[serde(skip)]
    pub tools: Arc<Vec<Tool>>,
}

impl ServerStatus {
    /// Initial status for a server in `state`.
    pub fn new(state: ConnectionState) -> Self {
        Self {
            state,
            last_error: None,
            transport: None,
            retry_count: 0,
            server_info: None,
            oauth: None,
            isolation: None,
            tools: Arc::new(Vec::new()),
        }
    }
}
