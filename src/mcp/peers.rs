//! Connected downstream MCP clients, so catalog changes reach every one of them.
//!
//! Classic (session-based) clients are notified through their session peer; 2026-07-28
//! clients through the `subscriptions/listen` stream they opened for tool-list changes.

use crate::events::{CoreEvent, EventBus};
use rmcp::service::{SubscriptionContext, SubscriptionSink};
use rmcp::{Peer, RoleServer};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

/// Which surface a client is connected to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Surface {
    /// `/mcp` with built-in tools (tool list does not follow the catalog).
    Proxy,
    /// `/mcp` in direct mode or `/mcp/all` (tool list is the catalog).
    Direct,
}

/// Where a tool-list change is delivered.
#[derive(Clone)]
enum Target {
    /// A classic session.
    Session(Peer<RoleServer>),
    /// A 2026-07-28 `subscriptions/listen` stream.
    Subscription(SubscriptionSink),
}

impl Target {
    fn is_closed(&self) -> bool {
        match self {
            Target::Session(peer) => peer.is_transport_closed(),
            Target::Subscription(_) => false,
        }
    }

    async fn notify_tools_changed(&self) -> Result<(), String> {
        match self {
            Target::Session(peer) => peer
                .notify_tool_list_changed()
                .await
                .map_err(|e| e.to_string()),
            Target::Subscription(sink) => sink
                .notify_tool_list_changed()
                .await
                .map_err(|e| e.to_string()),
        }
    }
}

type TargetList = Vec<(u64, Surface, Target)>;

/// Registry of live downstream clients.
#[derive(Default, Clone)]
pub struct DownstreamPeers {
    targets: Arc<Mutex<TargetList>>,
    next_id: Arc<AtomicU64>,
}

impl DownstreamPeers {
    fn lock(&self) -> std::sync::MutexGuard<'_, TargetList> {
        self.targets.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn insert(&self, surface: Surface, target: Target) -> u64 {
        let id = self.next_id.fetch_add(1, Ordering::Relaxed);
        let mut targets = self.lock();
        targets.retain(|(_, _, t)| !t.is_closed());
        targets.push((id, surface, target));
        id
    }

    /// Remember a newly initialized classic session.
    pub fn add(&self, surface: Surface, peer: Peer<RoleServer>) {
        self.insert(surface, Target::Session(peer));
    }

    /// Serve a `subscriptions/listen` stream until the client closes it.
    pub async fn listen(&self, surface: Surface, context: SubscriptionContext) {
        let id = (context.accepted().tools_list_changed == Some(true))
            .then(|| self.insert(surface, Target::Subscription(context.sink().clone())));
        context.cancelled().await;
        if let Some(id) = id {
            self.lock().retain(|(i, _, _)| *i != id);
        }
    }

    /// Number of live clients on `surface`.
    pub fn count(&self, surface: Surface) -> usize {
        self.lock()
            .iter()
            .filter(|(_, s, t)| *s == surface && !t.is_closed())
            .count()
    }

    /// Send a tool-list-changed notification to every client on `surface`.
    pub async fn notify_tools_changed(&self, surface: Surface) {
        let targets: Vec<Target> = {
            let mut targets = self.lock();
            targets.retain(|(_, _, t)| !t.is_closed());
            targets
                .iter()
                .filter(|(_, s, _)| *s == surface)
                .map(|(_, _, t)| t.clone())
                .collect()
        };
        for target in targets {
            if let Err(err) = target.notify_tools_changed().await {
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
