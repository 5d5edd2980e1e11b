//! The `mcp_config.json` schema (compatible with the reference MCPProxy format).
//!
//! Unknown keys are kept in `extra` maps so that a load/save round trip never
//! drops fields written by another version of the tool.

use indexmap::IndexMap;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use std::path::PathBuf;

/// Default listen address: loopback only.
pub const DEFAULT_LISTEN: &str = "127.0.0.1:8080";

/// The whole configuration file.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Config {
    /// Address of the MCP endpoint and REST API.
    #[serde(default = "default_listen")]
    pub listen: String,
    /// Data directory (logs, state). Defaults to the directory holding the config.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub data_dir: Option<PathBuf>,
    /// REST API key; generated when absent. `MCPPROXY_API_KEY` wins.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub api_key: Option<String>,
    /// Upstream MCP servers.
    #[serde(rename = "mcpServers", default)]
    pub mcp_servers: Vec<ServerConfig>,
    /// Maximum number of results `retrieve_tools` returns.
    #[serde(default = "default_tools_limit")]
    pub tools_limit: usize,
    /// Characters of a tool result returned before truncation (0 = unlimited).
    #[serde(default = "default_tool_response_limit")]
    pub tool_response_limit: usize,
    /// Activity records older than this many days are deleted.
    #[serde(default = "default_activity_retention_days")]
    pub activity_retention_days: u32,
    /// At most this many activity records are kept (oldest deleted first).
    #[serde(default = "default_activity_max_records")]
    pub activity_max_records: usize,
    /// At most this many MCP client sessions are kept open (all surfaces together); the least
    /// recently used one is closed when a new client would exceed it.
    #[serde(default = "default_mcp_max_sessions")]
    pub mcp_max_sessions: usize,
    /// Timeout for one upstream tool call, e.g. "2m", "30s".
    #[serde(default = "default_call_tool_timeout")]
    pub call_tool_timeout: String,
    /// Show secret header/env values unmasked on read surfaces.
    #[serde(default)]
    pub reveal_secret_headers: bool,
    /// Quarantine newly added servers.
    #[serde(default = "default_true")]
    pub quarantine_enabled: bool,
    /// Refuse every config change from MCP and the REST API (the file stays the only way).
    #[serde(default, skip_serializing_if = "is_false")]
    pub read_only_mode: bool,
    /// Turn off the MCP `upstream_servers` management tool.
    #[serde(default, skip_serializing_if = "is_false")]
    pub disable_management: bool,
    /// Whether MCP clients may add servers (`upstream_servers add`).
    #[serde(default = "default_true", skip_serializing_if = "is_true")]
    pub allow_server_add: bool,
    /// Whether MCP clients may remove servers (`upstream_servers remove`).
    #[serde(default = "default_true", skip_serializing_if = "is_true")]
    pub allow_server_remove: bool,
    /// `/mcp`, `/mcp/all` and `/mcp/server/*` need the API key too.
    #[serde(default, skip_serializing_if = "is_false")]
    pub require_mcp_auth: bool,
    /// Global Docker isolation settings.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub docker_isolation: Option<super::isolation::DockerIsolationConfig>,
    /// How `/mcp` exposes tools.
    #[serde(default)]
    pub routing_mode: RoutingMode,
    /// Extra Host/Origin names accepted by the MCP endpoint besides loopback.
    #[serde(default)]
    pub trusted_hosts: Vec<String>,
    /// Logging settings.
    #[serde(default)]
    pub logging: LoggingConfig,
    /// Fields this version does not know; preserved on save.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// How the `/mcp` endpoint exposes upstream tools.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq, Default)]
#[serde(rename_all = "snake_case")]
pub enum RoutingMode {
    /// Built-in `retrieve_tools` + `call_tool_*` tools (default).
    #[default]
    RetrieveTools,
    /// Every upstream tool listed directly (like `/mcp/all`).
    Direct,
}

/// Logging settings.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct LoggingConfig {
    /// Log level filter for the core ("error", "warn", "info", "debug", "trace").
    #[serde(default = "default_log_level")]
    pub level: String,
    /// Unknown logging fields, preserved.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

impl Default for LoggingConfig {
    fn default() -> Self {
        Self {
            level: default_log_level(),
            extra: Map::new(),
        }
    }
}

/// Transport used to reach an upstream server.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq, Default)]
#[serde(rename_all = "kebab-case")]
pub enum Protocol {
    /// Child process speaking MCP over stdin/stdout.
    Stdio,
    /// Streamable HTTP (alias of `streamable-http`).
    Http,
    /// Legacy HTTP+SSE transport (protocol 2024-11-05).
    Sse,
    /// Streamable HTTP.
    StreamableHttp,
    /// stdio when `command` is set; otherwise Streamable HTTP, then legacy SSE.
    #[default]
    Auto,
}

impl Protocol {
    /// Lower-case name as written in the config.
    pub fn as_str(self) -> &'static str {
        match self {
            Protocol::Stdio => "stdio",
            Protocol::Http => "http",
            Protocol::Sse => "sse",
            Protocol::StreamableHttp => "streamable-http",
            Protocol::Auto => "auto",
        }
    }
}

/// One upstream MCP server.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct ServerConfig {
    /// Unique name; used as the `server` part of `server:tool`.
    pub name: String,
    /// Transport.
    #[serde(default)]
    pub protocol: Protocol,
    /// Executable for stdio servers.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub command: Option<String>,
    /// Arguments for stdio servers.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub args: Vec<String>,
    /// Working directory for stdio servers.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub working_dir: Option<PathBuf>,
    /// Extra environment variables for stdio servers.
    #[serde(default, skip_serializing_if = "IndexMap::is_empty")]
    pub env: IndexMap<String, String>,
    /// URL for HTTP/SSE servers.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    /// Extra HTTP headers for HTTP/SSE servers.
    #[serde(default, skip_serializing_if = "IndexMap::is_empty")]
    pub headers: IndexMap<String, String>,
    /// Whether the proxy connects to this server.
    #[serde(default = "default_true")]
    pub enabled: bool,
    /// Quarantined servers are never used until a human approves them.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub quarantined: Option<bool>,
    /// OAuth 2.1 settings for HTTP/SSE servers (optional: discovery works without them).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub oauth: Option<OAuthConfig>,
    /// Docker isolation settings of this server.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub isolation: Option<super::isolation::IsolationConfig>,
    /// When not empty, only these tools (upstream names) are exposed.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub enabled_tools: Vec<String>,
    /// These tools (upstream names) are never exposed nor callable.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub disabled_tools: Vec<String>,
    /// Creation time (RFC 3339), informational.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub created: Option<String>,
    /// Last update time (RFC 3339), informational.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub updated: Option<String>,
    /// Fields this version does not know; preserved on save.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// Per-server OAuth settings. Every field is optional: without them the proxy discovers the
/// authorization server and registers itself dynamically.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Default)]
pub struct OAuthConfig {
    /// Pre-registered client ID (skips dynamic registration).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_id: Option<String>,
    /// Secret of the pre-registered client (confidential clients only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_secret: Option<String>,
    /// Scopes to request; empty = from the server's challenge or metadata.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub scopes: Vec<String>,
    /// Loopback redirect URI, e.g. `http://127.0.0.1:8765/oauth/callback` (fixes the port).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub redirect_uri: Option<String>,
    /// Extra query parameters added to the authorization request (e.g. `audience`).
    #[serde(default, skip_serializing_if = "IndexMap::is_empty")]
    pub extra_params: IndexMap<String, String>,
    /// HTTPS URL of a Client ID Metadata Document used as client ID when the server supports it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_metadata_url: Option<String>,
    /// Fields this version does not know; preserved on save.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

impl ServerConfig {
    /// A server is used only when enabled and not quarantined.
    pub fn is_active(&self) -> bool {
        self.enabled && !self.quarantined.unwrap_or(false)
    }

    /// Whether tool `name` may be exposed and called (`disabled_tools` wins over
    /// `enabled_tools`; an empty `enabled_tools` allows every tool).
    pub fn tool_allowed(&self, name: &str) -> bool {
        !self.disabled_tools.iter().any(|t| t == name)
            && (self.enabled_tools.is_empty() || self.enabled_tools.iter().any(|t| t == name))
    }
}

impl Default for Config {
    fn default() -> Self {
        serde_json::from_value(serde_json::json!({})).expect("empty config deserializes")
    }
}

fn default_listen() -> String {
    DEFAULT_LISTEN.to_string()
}
fn default_mcp_max_sessions() -> usize {
    crate::mcp::sessions::DEFAULT_MAX_SESSIONS
}
fn default_tools_limit() -> usize {
    15
}
fn default_activity_retention_days() -> u32 {
    30
}
fn default_activity_max_records() -> usize {
    100_000
}
fn default_tool_response_limit() -> usize {
    20_000
}
fn default_call_tool_timeout() -> String {
    "2m".to_string()
}
fn default_true() -> bool {
    true
}
fn is_false(value: &bool) -> bool {
    !value
}
fn is_true(value: &bool) -> bool {
    *value
}
fn default_log_level() -> String {
    "info".to_string()
}
