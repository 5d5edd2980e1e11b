//! From the name a call uses to the tool it may run, or the [`Refusal`] that says why not.
//!
//! Every surface that calls tools by name (`/mcp` call_tool_*, `/mcp/all`, REST) asks here,
//! so a call to a tool of a server that is reconnecting waits for it (bounded by
//! [`RECONNECT_WAIT`]) and every other case gets the same explanation everywhere: unknown
//! tool, quarantine, tool approval, OAuth login, disabled server. `/mcp/server/{name}` uses
//! [`server_block`] and [`tool_block`] for the same decisions under the upstream's own names.

use super::refusal::Refusal;
use crate::catalog::approval::ToolStatus;
use crate::catalog::CatalogTool;
use crate::core::Core;
use crate::upstream::ConnectionState;
use rmcp::{Peer, RoleClient};
use std::time::Duration;

/// Longest wait, within one call, for a server that is (re)connecting.
pub const RECONNECT_WAIT: Duration = Duration::from_secs(10);

/// Re-check interval while waiting (events wake the wait earlier).
const RECHECK: Duration = Duration::from_millis(200);

/// How a surface names tools.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Naming {
    /// `server:tool` (`/mcp` call_tool_*, REST).
    Key,
    /// `server__tool` (`/mcp/all`).
    Exposed,
}

/// Why a server cannot take calls right now.
#[derive(Debug, Clone, PartialEq)]
pub struct ServerBlock {
    /// The explanation.
    pub refusal: Refusal,
    /// Whether the server is on its way back (connecting or between attempts), so a call
    /// may wait for it.
    pub transient: bool,
}

/// Why `server` cannot take calls now, or `None` when it is connected (or unknown).
pub fn server_block(core: &Core, server: &str) -> Option<ServerBlock> {
    let upstream = core.upstreams.get(server)?;
    let status = upstream.status();
    let login_needed = core
        .upstreams
        .context()
        .oauth
        .get(server)
        .is_some_and(|auth| auth.login_blocking());
    let block = |refusal, transient| Some(ServerBlock { refusal, transient });
    let server = server.to_string();
    match status.state {
        ConnectionState::Disabled => block(Refusal::Disabled { server }, false),
        ConnectionState::Quarantined => block(Refusal::Quarantined { server }, false),
        _ if login_needed => block(Refusal::LoginRequired { server }, false),
        ConnectionState::Ready if upstream.peer().is_some() => None,
        state => block(
            Refusal::Unavailable {
                server,
                state,
                last_error: status.last_error,
            },
            state != ConnectionState::Stopped,
        ),
    }
}

/// The connected upstream `server`, waiting up to `wait` while it is (re)connecting; a
/// server that waits for a login, is disabled or quarantined is refused at once.
pub async fn wait_for_peer(
    core: &Core,
    server: &str,
    wait: Duration,
) -> Result<Peer<RoleClient>, Refusal> {
    let mut events = core.events.subscribe();
    let deadline = tokio::time::Instant::now() + wait;
    loop {
        let block = server_block(core, server);
        if block.is_none() {
            // A peer whose transport already closed (the server just exited and the
            // supervisor has not noticed yet) is a reconnect in progress: wait for the next.
            let peer = core.upstreams.get(server).and_then(|u| u.peer());
            if let Some(peer) = peer.filter(|p| !p.is_transport_closed()) {
                return Ok(peer);
            }
        }
        let block = block.unwrap_or_else(|| ServerBlock {
            refusal: Refusal::Unavailable {
                server: server.to_string(),
                state: ConnectionState::Connecting,
                last_error: None,
            },
            transient: core.upstreams.get(server).is_some(),
        });
        let now = tokio::time::Instant::now();
        if !block.transient || now >= deadline {
            return Err(block.refusal);
        }
        let _ = tokio::time::timeout((deadline - now).min(RECHECK), events.recv()).await;
    }
}

/// Whether a client may call `tool` of the connected `server`: `None` when it is listed and
/// approved (or approval is off), else the refusal (unknown, or new/changed since approval).
pub fn tool_block(core: &Core, server: &str, tool: &str, called_as: &str) -> Option<Refusal> {
    let tools = core
        .upstreams
        .get(server)
        .map(|u| u.status().tools)
        .unwrap_or_default();
    let Some(index) = tools.iter().position(|t| t.name == tool) else {
        return Some(Refusal::UnknownTool {
            name: called_as.to_string(),
            server: Some(server.to_string()),
        });
    };
    if !core.catalog.approvals_enabled() {
        return None;
    }
    // Judged against the upstream's current list (the catalog may not have caught up).
    let status = core.catalog.evaluate(server, &tools)[index];
    (status != ToolStatus::Approved).then(|| Refusal::NotApproved {
        server: server.to_string(),
        tool: tool.to_string(),
        status,
    })
}

/// The configured server and upstream tool name `name` points at, if any.
fn split(core: &Core, name: &str, naming: Naming) -> Option<(String, String)> {
    match naming {
        Naming::Key => {
            let (server, tool) = name.split_once(':')?;
            core.upstreams
                .get(server)
                .map(|_| (server.to_string(), tool.to_string()))
        }
        Naming::Exposed => {
            if let Some(entry) = core.catalog.snapshot().blocked(name) {
                return Some((entry.tool.server.clone(), entry.tool.tool.name.to_string()));
            }
            // The longest configured server name that prefixes `server__tool`.
            core.upstreams
                .all()
                .iter()
                .filter_map(|u| {
                    let tool = name.strip_prefix(u.name.as_str())?.strip_prefix("__")?;
                    Some((u.name.clone(), tool.to_string()))
                })
                .max_by_key(|(server, _)| server.len())
        }
    }
}

enum Step {
    Found(Box<CatalogTool>),
    Refused(Refusal),
    Wait(Refusal),
}

fn step(core: &Core, name: &str, naming: Naming) -> Step {
    let snapshot = core.catalog.snapshot();
    let found = match naming {
        Naming::Key => snapshot.by_key(name),
        Naming::Exposed => snapshot.by_exposed_name(name),
    };
    if let Some(tool) = found {
        // The catalog may still list the tools of a server that just disconnected.
        return match server_block(core, &tool.server) {
            None => Step::Found(Box::new(tool.clone())),
            Some(block) if block.transient => Step::Wait(block.refusal),
            Some(block) => Step::Refused(block.refusal),
        };
    }
    let Some((server, tool)) = split(core, name, naming) else {
        return Step::Refused(Refusal::UnknownTool {
            name: name.to_string(),
            server: None,
        });
    };
    if let Some(block) = server_block(core, &server) {
        return match block.transient {
            true => Step::Wait(block.refusal),
            false => Step::Refused(block.refusal),
        };
    }
    match tool_block(core, &server, &tool, name) {
        Some(refusal) => Step::Refused(refusal),
        // Listed and approved but not in the catalog yet: it is being rebuilt.
        None => Step::Wait(Refusal::Unavailable {
            server,
            state: ConnectionState::Connecting,
            last_error: None,
        }),
    }
}

/// The catalog tool `name` refers to. A server that is (re)connecting is waited for up to
/// [`RECONNECT_WAIT`]; every other reason not to run the call is returned at once.
pub async fn resolve(core: &Core, name: &str, naming: Naming) -> Result<CatalogTool, Refusal> {
    resolve_within(core, name, naming, RECONNECT_WAIT).await
}

/// [`resolve`] with an explicit bound on the wait.
pub async fn resolve_within(
    core: &Core,
    name: &str,
    naming: Naming,
    wait: Duration,
) -> Result<CatalogTool, Refusal> {
    let mut events = core.events.subscribe();
    let deadline = tokio::time::Instant::now() + wait;
    loop {
        match step(core, name, naming) {
            Step::Found(tool) => return Ok(*tool),
            Step::Refused(refusal) => return Err(refusal),
            Step::Wait(refusal) => {
                let now = tokio::time::Instant::now();
                if now >= deadline {
                    return Err(refusal);
                }
                let _ = tokio::time::timeout((deadline - now).min(RECHECK), events.recv()).await;
            }
        }
    }
}
