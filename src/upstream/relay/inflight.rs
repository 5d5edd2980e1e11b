//! Which downstream request each in-flight upstream request was made for.
//!
//! Every request the proxy forwards to an upstream on behalf of a client registers
//! `(server, upstream request id) → (downstream peer, downstream request id)` while it
//! runs, so a server→client request the upstream sends in the middle of it (sampling,
//! elicitation, roots) can be relayed to that client, on that request's stream.

use rmcp::model::RequestId;
use rmcp::{Peer, RoleServer};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::Notify;

/// A downstream client that can answer a server→client request.
#[derive(Clone)]
pub struct DownstreamTarget {
    /// The client's session.
    pub peer: Peer<RoleServer>,
    /// The client's request that caused the upstream to ask, when known: the relayed
    /// request then rides that request's response stream.
    pub request_id: Option<RequestId>,
}

struct Entry {
    target: DownstreamTarget,
    seq: u64,
}

#[derive(Default)]
struct State {
    entries: HashMap<(String, RequestId), Entry>,
    next_seq: u64,
}

#[derive(Default)]
struct Shared {
    state: Mutex<State>,
    registered: Notify,
}

/// Shared table of in-flight forwarded requests.
#[derive(Default, Clone)]
pub struct InflightRequests {
    shared: Arc<Shared>,
}

/// Removes its entry when dropped (when the forwarded request ends).
pub struct InflightGuard {
    table: InflightRequests,
    key: (String, RequestId),
}

impl Drop for InflightGuard {
    fn drop(&mut self) {
        self.table.lock().entries.remove(&self.key);
    }
}

impl InflightRequests {
    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.shared.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Record that upstream request `upstream_id` of `server` serves `downstream_id` of `peer`.
    pub fn register(
        &self,
        server: &str,
        upstream_id: RequestId,
        peer: Peer<RoleServer>,
        downstream_id: RequestId,
    ) -> InflightGuard {
        let key = (server.to_string(), upstream_id);
        {
            let mut state = self.lock();
            state.next_seq += 1;
            let seq = state.next_seq;
            let target = DownstreamTarget {
                peer,
                request_id: Some(downstream_id),
            };
            state.entries.insert(key.clone(), Entry { target, seq });
        }
        self.shared.registered.notify_waiters();
        InflightGuard {
            table: self.clone(),
            key,
        }
    }

    /// The target of upstream request `upstream_id`, waiting up to `wait` for it to be
    /// registered (the upstream can ask before the forwarding task recorded the request).
    pub async fn find(
        &self,
        server: &str,
        upstream_id: &RequestId,
        wait: Duration,
    ) -> Option<DownstreamTarget> {
        let key = (server.to_string(), upstream_id.clone());
        let deadline = tokio::time::Instant::now() + wait;
        loop {
            let notified = self.shared.registered.notified();
            tokio::pin!(notified);
            notified.as_mut().enable();
            if let Some(entry) = self.lock().entries.get(&key) {
                return Some(entry.target.clone());
            }
            if tokio::time::timeout_at(deadline, notified).await.is_err() {
                return None;
            }
        }
    }

    /// The most recently started in-flight request to `server` whose client is still connected.
    pub fn latest(&self, server: &str) -> Option<DownstreamTarget> {
        self.lock()
            .entries
            .iter()
            .filter(|((s, _), e)| s == server && !e.target.peer.is_transport_closed())
            .max_by_key(|(_, e)| e.seq)
            .map(|(_, e)| e.target.clone())
    }

    /// Number of in-flight entries (for tests and diagnostics).
    pub fn len(&self) -> usize {
        self.lock().entries.len()
    }

    /// True when nothing is in flight.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}
