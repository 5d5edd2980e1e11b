//! Whether `/mcp/server/{name}` may use an upstream right now. This is the one place
//! where the passthrough asks about a server's state, quarantine and tool approval, so
//! those checks plug in here.

use crate::catalog::approval::ToolStatus;
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

/// Whether the server's config lets clients see and call `tool` (`enabled_tools` /
/// `disabled_tools`).
fn tool_allowed(core: &Core, server: &str, tool: &str) -> bool {
    core.upstreams
        .get(server)
        .is_none_or(|u| u.config().tool_allowed(tool))
}

/// The tools of `server` a client may see: with tool approval on (`quarantine_enabled`),
/// only tools whose definition matches the approved one (new and changed tools are hidden).
pub fn visible_tools(core: &Core, server: &str, mut tools: Vec<Tool>) -> Vec<Tool> {
    tools.retain(|t| tool_allowed(core, server, &t.name));
    let statuses = core.catalog.evaluate(server, &tools);
    tools
        .into_iter()
        .zip(statuses)
        .filter(|(_, status)| *status == ToolStatus::Approved)
        .map(|(tool, _)| tool)
        .collect()
}

/// Whether a client may call `tool` of `server`: refused, with the reason and how to
/// approve, while the tool is new or changed since approval.
pub fn check_tool_call(core: &Core, server: &str, tool: &str) -> Result<(), McpError> {
    if !tool_allowed(core, server, tool) {
        return Err(McpError::invalid_request(
            format!(
                "tool `{tool}` of server `{server}` is turned off in mcp_config.json (`disabled_tools` / `enabled_tools` of the server); a person can change that"
            ),
            None,
        ));
    }
    if !core.catalog.approvals_enabled() {
        return Ok(());
    }
    // Judge against the upstream's current tool list (the catalog may not have caught up
    // with a connection that just came up); this also takes the baseline if still due.
    let tools = core
        .upstreams
        .get(server)
        .map(|u| u.status().tools)
        .unwrap_or_default();
    let status = match tools.iter().position(|t| t.name == tool) {
        Some(index) => core.catalog.evaluate(server, &tools)[index],
        None => ToolStatus::Pending,
    };
    if status == ToolStatus::Approved {
        return Ok(());
    }
    let explanation = crate::quarantine::unapproved_explanation(server, tool, status);
    crate::quarantine::record_blocked(core, "mcp", &format!("{server}:{tool}"), &explanation);
    Err(McpError::invalid_request(
        explanation["message"]
            .as_str()
            .unwrap_or_default()
            .to_string(),
        Some(explanation),
    ))
}
