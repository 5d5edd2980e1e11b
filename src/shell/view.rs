//! What the tray shows: a snapshot of the core's servers, tools and problems.

use super::lifecycle::Phase;
use crate::catalog::approval::ToolStatus;
use crate::core::Core;
use crate::upstream::state::ConnectionState;

/// One upstream server as the tray shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServerView {
    /// Server name.
    pub name: String,
    /// Connection state.
    pub state: ConnectionState,
    /// `enabled` in the config.
    pub enabled: bool,
    /// `quarantined` in the config.
    pub quarantined: bool,
    /// Tools the server offers now.
    pub tools: usize,
    /// Tools blocked until approved (new or changed since approval).
    pub blocked_tools: usize,
    /// Last connection error (free of secret values).
    pub last_error: Option<String>,
    /// The server has an `oauth` section.
    pub uses_oauth: bool,
}

impl ServerView {
    /// The server needs the user: it failed, is quarantined or has tools to approve.
    pub fn needs_attention(&self) -> bool {
        self.state == ConnectionState::Error || self.quarantined || self.blocked_tools > 0
    }
}

/// The tray's state: the phase and, while running, every server.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct View {
    /// Lifecycle phase.
    pub phase: Phase,
    /// Servers in config order (empty unless running).
    pub servers: Vec<ServerView>,
    /// Tools exposed to clients (approved tools of ready servers).
    pub tools: usize,
    /// A message for the user (e.g. why the last menu action failed).
    pub notice: Option<String>,
}

impl View {
    /// Snapshot of `core` (when running) in `phase`.
    pub fn of(phase: &Phase, core: Option<&Core>) -> Self {
        let Some(core) = core else {
            return Self {
                phase: phase.clone(),
                servers: Vec::new(),
                tools: 0,
                notice: None,
            };
        };
        let catalog = core.catalog.snapshot();
        let servers = core
            .config()
            .mcp_servers
            .iter()
            .map(|server| {
                let status = core.upstreams.get(&server.name).map(|u| u.status());
                let quarantined = server.quarantined.unwrap_or(false);
                let state = status.as_ref().map(|s| s.state).unwrap_or(if quarantined {
                    ConnectionState::Quarantined
                } else if server.enabled {
                    ConnectionState::Connecting
                } else {
                    ConnectionState::Disabled
                });
                ServerView {
                    name: server.name.clone(),
                    state,
                    enabled: server.enabled,
                    quarantined,
                    tools: status.as_ref().map_or(0, |s| s.tools.len()),
                    blocked_tools: catalog
                        .entries()
                        .iter()
                        .filter(|e| {
                            e.tool.server == server.name && e.status != ToolStatus::Approved
                        })
                        .count(),
                    last_error: status.and_then(|s| s.last_error),
                    uses_oauth: server.oauth.is_some(),
                }
            })
            .collect();
        Self {
            phase: phase.clone(),
            servers,
            tools: catalog.tools().len(),
            notice: None,
        }
    }

    /// Servers that need the user.
    pub fn attention(&self) -> usize {
        self.servers.iter().filter(|s| s.needs_attention()).count()
    }

    /// Servers that are ready.
    pub fn ready(&self) -> usize {
        self.servers
            .iter()
            .filter(|s| s.state == ConnectionState::Ready)
            .count()
    }
}
