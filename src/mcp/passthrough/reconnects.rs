//! Tells `/mcp/server/{name}` clients when their upstream came back after a disconnect:
//! its tools, prompts and resources may have changed and its resource subscriptions are
//! gone, so clients get the three `list_changed` notifications and can re-list and
//! re-subscribe.

use crate::core::Core;
use crate::events::CoreEvent;
use crate::upstream::ConnectionState;
use std::collections::HashSet;
use std::sync::Arc;
use tokio::sync::broadcast::error::RecvError;
use tokio_util::sync::CancellationToken;

/// Run until `stop` is cancelled or the event bus closes.
pub async fn announce(core: Arc<Core>, stop: CancellationToken) {
    let mut events = core.events.subscribe();
    let mut ready: HashSet<String> = core
        .upstreams
        .all()
        .iter()
        .filter(|u| u.status().state == ConnectionState::Ready)
        .map(|u| u.name.clone())
        .collect();
    loop {
        let event = tokio::select! {
            event = events.recv() => event,
            _ = stop.cancelled() => break,
        };
        let name = match event {
            Ok(CoreEvent::ServerChanged { name }) => name,
            Ok(_) | Err(RecvError::Lagged(_)) => continue,
            Err(RecvError::Closed) => break,
        };
        let is_ready = core
            .upstreams
            .get(&name)
            .is_some_and(|u| u.status().state == ConnectionState::Ready);
        if !is_ready {
            ready.remove(&name);
            continue;
        }
        if !ready.insert(name.clone()) {
            continue;
        }
        for peer in core.upstreams.context().relay.sessions.peers(&name) {
            let _ = peer.notify_tool_list_changed().await;
            let _ = peer.notify_prompt_list_changed().await;
            let _ = peer.notify_resource_list_changed().await;
        }
    }
}
