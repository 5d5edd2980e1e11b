//! Connected downstream MCP sessions, so catalog changes reach every client.

use crate::events::{CoreEvent, EventBus};
use rmcp::{Peer, RoleServer};
use std::sync::{Arc, Mutex};

/// Which surface a client is connected to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Surface {
    /// `/mcp` with built-in tools (tool list does not follow the catalog).
    Proxy,
    /// `/mcp` in direct mode or `/mcp/all` (tool list is the catalog).
    Direct,
}

type PeerList = Vec<(Surface, Peer<RoleServer>)>;

/// Registry of live downstream peers.
#[derive(Default, Clone)]
pub struct DownstreamPeers {
    peers: Arc<Mutex<PeerList>>,
}

impl DownstreamPeers {
    /// Remember a newly initialized client.
    pub fn add(&self, surface: Surface, peer: Peer<RoleServer>) {
        let mut peers = self.peers.lock().unwrap_or_else(|e| e.into_inner());
        peers.retain(|(_, p)| !p.is_transport_closed());
        peers.push((surface, peer));
    }

    /// Number of live peers on `surface`.
    pub fn count(&self, surface: Surface) -> usize {
        let peers = self.peers.lock().unwrap_or_else(|e| e.into_inner());
        peers
            .iter()
            .filter(|(s, p)| *s == surface && !p.is_transport_closed())
            .count()
    }

    /// Send `notifications/tools/list_changed` to every client whose tool list follows the catalog.
    pub async fn notify_tools_changed(&self, surface: Surface) {
        let targets: Vec<Peer<RoleServer>> = {
            let mut peers = self.peers.lock().unwrap_or_else(|e| e.into_inner());
            peers.retain(|(_, p)| !p.is_transport_closed());
            peers
                .iter()
                .filter(|(s, _)| *s == surface)
                .map(|(_, p)| p.clone())
                .collect()
        };
        for peer in targets {
            if let Err(err) = peer.notify_tool_list_changed().await {
                tracing::debug!(%err, "could not notify a client of a tool list change");
            }
        }
    }

    /// Forward catalog changes until the bus closes.
    pub async fn fan_out(self, events: EventBus) {
        let mut rx = events.subscribe();
        loop {
            match rx.recv().await {
                Ok(CoreEvent::CatalogChanged) => self.notify_tools_changed(Surface::Direct).await,
                Ok(_) => {}
                Err(tokio::sync::broadcast::error::RecvError::Lagged(_)) => {
                    self.notify_tools_changed(Surface::Direct).await
                }
                Err(tokio::sync::broadcast::error::RecvError::Closed) => break,
            }
        }
    }
}
