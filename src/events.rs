//! In-process event bus between the upstream supervisors, the catalog and the surfaces.

use tokio::sync::broadcast;

/// Something changed inside the core.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CoreEvent {
    /// An upstream's state or tool list changed.
    ServerChanged {
        /// Server name.
        name: String,
    },
    /// The merged tool catalog was rebuilt.
    CatalogChanged,
    /// Tool approvals of a server changed.
    ApprovalsChanged {
        /// Server name.
        server: String,
    },
    /// The config file was written by the core.
    ConfigSaved,
    /// A keyring secret was set or deleted (the name only).
    SecretsChanged {
        /// Secret name.
        name: String,
    },
    /// An external edit of the config file was applied.
    ConfigReloaded,
    /// An external edit of the config file was invalid; the running config was kept.
    ConfigInvalid {
        /// Why (names the field and the fix; never a secret value).
        error: String,
    },
    /// A proxied tool call started or finished (any surface).
    ToolCall(ToolCallEvent),
    /// An upstream's OAuth access token was refreshed without user interaction.
    OAuthTokenRefreshed {
        /// Server name.
        name: String,
        /// New expiry (RFC 3339), when the server gave one.
        expires_at: Option<String>,
    },
    /// An OAuth login for an upstream completed.
    OAuthLoginSucceeded {
        /// Server name.
        name: String,
    },
    /// An OAuth refresh or login failed (message free of secrets).
    OAuthFailed {
        /// Server name.
        name: String,
        /// What failed and what to do.
        message: String,
        /// True when the user must log in again (`mcpproxy auth login`).
        login_required: bool,
    },
    /// Progress of a Docker image pull for an isolated server.
    DockerPull(crate::docker::ImagePullEvent),
}

/// Where a proxied tool call came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum CallSource {
    /// An MCP client (`/mcp`, `/mcp/all`).
    Mcp,
    /// The REST API (`POST /api/v1/tools/call`, CLI).
    Rest,
}

/// Progress of one proxied tool call. Carries no arguments or results (they may hold secrets).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct ToolCallEvent {
    /// Unique id of this call (same for its start and finish).
    pub id: String,
    /// Upstream server name.
    pub server: String,
    /// Tool name on the upstream.
    pub tool: String,
    /// Surface the call came through.
    pub source: CallSource,
    /// `None` while running; the outcome once finished.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub finished: Option<CallOutcome>,
}

/// How a tool call ended.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct CallOutcome {
    /// True when the result is an error (`isError`, timeout, validation, upstream failure).
    pub is_error: bool,
    /// Wall time in milliseconds.
    pub duration_ms: u64,
}

/// Broadcast channel of [`CoreEvent`]s; cheap to clone.
#[derive(Debug, Clone)]
pub struct EventBus {
    sender: broadcast::Sender<CoreEvent>,
}

impl Default for EventBus {
    fn default() -> Self {
        Self::new()
    }
}

impl EventBus {
    /// A bus with room for 1024 pending events per subscriber.
    pub fn new() -> Self {
        let (sender, _) = broadcast::channel(1024);
        Self { sender }
    }

    /// Publish an event (no-op without subscribers).
    pub fn publish(&self, event: CoreEvent) {
        let _ = self.sender.send(event);
    }

    /// Subscribe to future events.
    pub fn subscribe(&self) -> broadcast::Receiver<CoreEvent> {
        self.sender.subscribe()
    }
}
