//! Whether `/mcp/server/{name}` may use an upstream right now. This is the one place
//! where the passthrough asks about a server's state, quarantine and tool approval, so
//! those checks plug in here.

use crate::catalog::approval::ToolStatus;
use crate::core::Core;
use crate::mcp::refusal::{self, Refusal};
use crate::mcp::resolve::{server_block, tool_block, wait_for_peer};
use crate::upstream::ConnectionState;
use rmcp::model::Tool;
use rmcp::{ErrorData as McpError, Peer, RoleClient};
use std::time::Duration;

/// Why `server` cannot be used now, as the JSON-RPC error the client gets.
fn unavailable(core: &Core, server: &str) -> McpError {
    match server_block(core, server) {
        Some(block) => block.refusal.to_mcp_error(),
        None if core.upstreams.get(server).is_none() => McpError::invalid_request(
            format!("no server named `{server}` is configured in mcpproxy"),
            None,
        ),
        // Connected again between the caller's check and this one.
        None => Refusal::Unavailable {
            server: server.to_string(),
            state: ConnectionState::Connecting,
            last_error: None,
        }
        .to_mcp_error(),
    }
}

/// The upstream's client handle if it may be used now, or an error explaining why not.
pub fn connected(core: &Core, server: &str) -> Result<Peer<RoleClient>, McpError> {
    if server_block(core, server).is_some() {
        return Err(unavailable(core, server));
    }
    core.upstreams
        .get(server)
        .and_then(|u| u.peer())
        .ok_or_else(|| unavailable(core, server))
}

/// Like [`connected`], but waits up to `timeout` for a server that is (re)connecting.
/// A server that waits for a login, is disabled or quarantined is refused at once.
pub async fn wait_connected(
    core: &Core,
    server: &str,
    timeout: Duration,
) -> Result<Peer<RoleClient>, McpError> {
    if core.upstreams.get(server).is_none() {
        return Err(unavailable(core, server));
    }
    wait_for_peer(core, server, timeout)
        .await
        .map_err(|refusal| refusal.to_mcp_error())
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

/// Whether a client may call `tool` of `server`: refused as an unknown tool (JSON-RPC
/// -32602, the spec's form) when the upstream does not list it, and with the reason and how
/// to approve while it is new or changed since approval. An unlisted tool is never forwarded.
pub fn check_tool_call(core: &Core, server: &str, tool: &str) -> Result<(), McpError> {
    if !tool_allowed(core, server, tool) {
        return Err(McpError::invalid_request(
            format!(
                "tool `{tool}` of server `{server}` is turned off in mcp_config.json (`disabled_tools` / `enabled_tools` of the server); a person can change that"
            ),
            None,
        ));
    }
    match tool_block(core, server, tool, tool) {
        None => Ok(()),
        Some(refusal) => {
            refusal::record(core, "mcp", &format!("{server}:{tool}"), &refusal);
            Err(refusal.to_mcp_error())
        }
    }
}
