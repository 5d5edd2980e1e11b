//! The server object every read surface shows, with secrets masked in exactly one place.

use crate::config::{Config, OAuthConfig, ServerConfig};
use crate::core::Core;
use crate::secrets;
use crate::upstream::ConnectionState;
use indexmap::IndexMap;
use serde::Serialize;
use serde_json::Value;

/// One upstream server as shown by REST, SSE and MCP `upstream_servers list`:
/// its configuration (secret header/env values masked) and its live status.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ServerView {
    /// Unique server name.
    pub name: String,
    /// Configured transport: stdio, http, sse, streamable-http or auto.
    pub protocol: String,
    /// Executable (stdio servers).
    pub command: Option<String>,
    /// Arguments (stdio servers).
    pub args: Vec<String>,
    /// Working directory (stdio servers).
    pub working_dir: Option<String>,
    /// URL (HTTP/SSE servers).
    pub url: Option<String>,
    /// Environment; sensitive values masked as `••••<last2> (<N> chars)`.
    pub env: IndexMap<String, String>,
    /// HTTP headers; sensitive values masked as `••••<last2> (<N> chars)`.
    pub headers: IndexMap<String, String>,
    /// Whether the proxy uses this server.
    pub enabled: bool,
    /// Quarantined servers are not connected until a human approves them.
    pub quarantined: bool,
    /// Connection state: connecting, ready, error, disabled, quarantined or stopped.
    pub status: String,
    /// Last connection error (free of secret values).
    pub last_error: Option<String>,
    /// Transport in use once connected ("stdio", "streamable-http", "sse").
    pub transport: Option<String>,
    /// Failed attempts since the last success.
    pub retry_count: u32,
    /// Upstream `serverInfo` as "name version".
    pub server_info: Option<String>,
    /// Number of tools the server offers (0 unless ready).
    pub tool_count: usize,
    /// OAuth settings (`client_secret` masked).
    #[schema(value_type = Option<Object>)]
    pub oauth: Option<Value>,
    /// OAuth state: authenticated, expired, login_required or login_in_progress, with
    /// issuer, token expiry, scopes and the last error (never a token).
    #[schema(value_type = Option<Object>)]
    pub oauth_status: Option<Value>,
    /// Only these tools are exposed when not empty.
    pub enabled_tools: Vec<String>,
    /// Tools never exposed nor callable.
    pub disabled_tools: Vec<String>,
    /// Docker isolation: the live status (image, container id/state, limits) once the server
    /// was started with isolation, else the configured settings.
    #[schema(value_type = Option<Object>)]
    pub isolation: Option<Value>,
    /// Creation time (RFC 3339).
    pub created: Option<String>,
    /// Last update time (RFC 3339).
    pub updated: Option<String>,
}

/// Whether read surfaces show secrets unmasked (`reveal_secret_headers`).
fn reveal(core: &Core) -> bool {
    core.config().reveal_secret_headers
}

/// Mask `client_secret` (and any sensitive-looking unknown key) of an OAuth config.
fn redact_oauth(oauth: &OAuthConfig, reveal: bool) -> OAuthConfig {
    let mut copy = oauth.clone();
    if reveal {
        return copy;
    }
    copy.client_secret = oauth.client_secret.as_deref().map(secrets::mask_value);
    for (key, value) in copy.extra.iter_mut() {
        let masked = match value {
            Value::String(s) if secrets::is_sensitive_env(key) => Some(secrets::mask_value(s)),
            _ => None,
        };
        if let Some(masked) = masked {
            *value = Value::String(masked);
        }
    }
    copy
}

/// A copy of `server` with every secret value masked (unless `reveal`).
pub fn redact_server(server: &ServerConfig, reveal: bool) -> ServerConfig {
    let mut copy = server.clone();
    copy.env = secrets::redact_env(&server.env, reveal);
    copy.headers = secrets::redact_headers(&server.headers, reveal);
    copy.oauth = server.oauth.as_ref().map(|o| redact_oauth(o, reveal));
    copy
}

/// The whole config as read surfaces may show it: servers redacted, `api_key` always masked.
pub fn redacted_config(config: &Config) -> Config {
    let reveal = config.reveal_secret_headers;
    let mut copy = config.clone();
    copy.api_key = config.api_key.as_deref().map(secrets::mask_value);
    copy.mcp_servers = config
        .mcp_servers
        .iter()
        .map(|s| redact_server(s, reveal))
        .collect();
    copy
}

/// The server object for `server` (its configuration joined with its live status).
pub fn server_view(core: &Core, server: &ServerConfig) -> ServerView {
    let shown = redact_server(server, reveal(core));
    let status = core.upstreams.get(&server.name).map(|u| u.status());
    let fallback_state = if !server.enabled {
        ConnectionState::Disabled
    } else if server.quarantined.unwrap_or(false) {
        ConnectionState::Quarantined
    } else {
        ConnectionState::Stopped
    };
    ServerView {
        name: shown.name,
        protocol: shown.protocol.as_str().to_string(),
        command: shown.command,
        args: shown.args,
        working_dir: shown.working_dir.map(|d| d.display().to_string()),
        url: shown.url,
        env: shown.env,
        headers: shown.headers,
        enabled: shown.enabled,
        quarantined: shown.quarantined.unwrap_or(false),
        status: status
            .as_ref()
            .map_or(fallback_state, |s| s.state)
            .as_str()
            .to_string(),
        last_error: status.as_ref().and_then(|s| s.last_error.clone()),
        transport: status
            .as_ref()
            .and_then(|s| s.transport.map(str::to_string)),
        retry_count: status.as_ref().map_or(0, |s| s.retry_count),
        server_info: status.as_ref().and_then(|s| s.server_info.clone()),
        tool_count: status.as_ref().map_or(0, |s| s.tools.len()),
        oauth: shown
            .oauth
            .as_ref()
            .and_then(|o| serde_json::to_value(o).ok()),
        oauth_status: status
            .as_ref()
            .and_then(|s| s.oauth.as_ref())
            .and_then(|o| serde_json::to_value(o).ok()),
        enabled_tools: shown.enabled_tools.clone(),
        disabled_tools: shown.disabled_tools.clone(),
        isolation: status
            .as_ref()
            .and_then(|s| s.isolation.as_ref())
            .and_then(|i| serde_json::to_value(i).ok())
            .or_else(|| {
                shown
                    .isolation
                    .as_ref()
                    .and_then(|i| serde_json::to_value(i).ok())
            }),
        created: shown.created,
        updated: shown.updated,
    }
}

/// Every configured server, in config order.
pub fn server_views(core: &Core) -> Vec<ServerView> {
    core.config()
        .mcp_servers
        .iter()
        .map(|s| server_view(core, s))
        .collect()
}

/// The server object of `name`, if configured.
pub fn find_view(core: &Core, name: &str) -> Option<ServerView> {
    core.config()
        .mcp_servers
        .iter()
        .find(|s| s.name == name)
        .map(|s| server_view(core, s))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn config_redaction_masks_api_key_headers_env_and_oauth_secret() {
        let config: Config = serde_json::from_value(serde_json::json!({
            "api_key": "0123456789abcdef",
            "mcpServers": [{
                "name": "s", "url": "http://127.0.0.1:1/mcp",
                "headers": {"Authorization": "Bearer abcdefgh", "Accept": "x", "X-Ref": "${keyring:t}"},
                "env": {"GITHUB_TOKEN": "ghp_123456", "HOME_DIR": "/home/u"},
                "oauth": {"client_id": "cid", "client_secret": "very-secret-value"}
            }]
        }))
        .unwrap();
        let shown = redacted_config(&config);
        let text = serde_json::to_string(&shown).unwrap();
        for secret in [
            "0123456789abcdef",
            "Bearer abcdefgh",
            "ghp_123456",
            "very-secret-value",
        ] {
            assert!(!text.contains(secret), "{secret} leaked: {text}");
        }
        let server = &shown.mcp_servers[0];
        assert_eq!(server.headers["Authorization"], "••••gh (15 chars)");
        assert_eq!(server.headers["Accept"], "x");
        assert_eq!(server.env["HOME_DIR"], "/home/u");
        assert_eq!(
            server.oauth.as_ref().unwrap().client_id.as_deref(),
            Some("cid")
        );
        assert_eq!(shown.api_key.as_deref(), Some("••••ef (16 chars)"));
        let mut revealed = config.clone();
        revealed.reveal_secret_headers = true;
        let shown = redacted_config(&revealed);
        assert_eq!(
            shown.mcp_servers[0].headers["Authorization"],
            "Bearer abcdefgh"
        );
        assert_ne!(
            shown.api_key, revealed.api_key,
            "the API key is never revealed"
        );
    }
}
