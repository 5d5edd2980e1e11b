//! Whether `/mcp/server/{name}` may use an upstream right now. This is the one place
//! where the passthrough asks about a server's state, quarantine and tool approval, so
//! those checks plug in here.

use crate::core::Core;
use crate::upstream::ConnectionState;
use rmcp::model::Tool;
use rmcp::{ErrorData as McpError, Peer, RoleClient};
use std::time::Duration;
use tokio::sync::broadcast::error::RecvError;

fn unavailable(core: &Core, server: &str) -> McpError {
    let Some(upstream) = core.upstreams.get(server) else {
        return McpError::invalid_request(
            format!("no server named `{server}` is configured in mcpproxy"),
            None,
        );
    };
    let status = upstream.status();
    let message = match status.state {
        ConnectionState::Disabled => format!(
            "server `{server}` is disabled; enable it (REST API, CLI or mcp_config.json) to use it here"
        ),
        ConnectionState::Quarantined => format!(
            "server `{server}` is quarantined: review it and approve it in mcpproxy before clients can use it"
        ),
        state => format!(
            "server `{server}` is not connected (state: {}{}); it reconnects automatically, retry shortly",
            state.as_str(),
            status
                .last_error
                .map(|e| format!(", last error: {e}"))
                .unwrap_or_default()
        ),
    };
    McpError::invalid_request(message, None)
}

/// The upstream's client handle if it may be used now, or an error explaining why not.
pub fn connected(core: &Core, server: &str) -> Result<Peer<RoleClient>, McpError> {
    let upstream = core.upstreams.get(server);
    let usable = upstream.as_ref().filter(|u| {
        !matches!(
            u.status().state,
            ConnectionState::Disabled | ConnectionState::Quarantined
        )
    });
    usable
        .and_then(|u| u.peer())
        .ok_or_else(|| unavailable(core, server))
}

/// Like [`connected`], but waits up to `timeout` for a server that is (re)connecting.
pub async fn wait_connected(
    core: &Core,
    server: &str,
    timeout: Duration,
) -> Result<Peer<RoleClient>, McpError> {
    let mut events = core.events.subscribe();
    let deadline = tokio::time::Instant::now() + timeout;
    loop {
        if let Ok(peer) = connected(core, server) {
            return Ok(peer);
        }
        let waiting = core.upstreams.get(server).is_some_and(|u| {
            matches!(
                u.status().state,
                ConnectionState::Connecting | ConnectionState::Error
            )
        });
        if !waiting {
            return Err(unavailable(core, server));
        }
        match tokio::time::timeout_at(deadline, events.recv()).await {
            Err(_) | Ok(Err(RecvError::Closed)) => return Err(unavailable(core, server)),
            Ok(Ok(_)) | Ok(Err(RecvError::Lagged(_))) => {}
        }
    }
}

/// The tools of `server` a client may see. Tool approval (hiding changed, unapproved
/// tools) belongs here; today every tool of a usable server is visible.
pub fn visible_tools(_core: &Core, _server: &str, tools: Vec<Tool>) -> Vec<Tool> {
    tools
}

/// Whether a client may call `tool` of `server`. Tool approval belongs here; today every
/// tool of a usable server may be called.
pub fn check_tool_call(_core: &Core, _server: &str, _tool: &str) -> Result<(), McpError> {
    Ok(())
}
