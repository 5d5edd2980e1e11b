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
    server: String,
    /// Set once the request has been sent (rmcp assigns the id while sending).
    upstream_id: Option<RequestId>,
    target: DownstreamTarget,
    seq: u64,
}

#[derive(Default)]
struct State {
    entries: HashMap<u64, Entry>,
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
    seq: u64,
}

impl Drop for InflightGuard {
    fn drop(&mut self) {
        self.table.lock().entries.remove(&self.seq);
    }
}

impl InflightGuard {
    /// Record the upstream request id once the request has been sent.
    pub fn sent_as(&self, upstream_id: RequestId) {
        if let Some(entry) = self.table.lock().entries.get_mut(&self.seq) {
            entry.upstream_id = Some(upstream_id);
        }
        self.table.shared.registered.notify_waiters();
    }
}

impl InflightRequests {
    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.shared.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Record, *before* sending it, that a request to `server` is made for request
    /// `downstream_id` of `peer`; call [`InflightGuard::sent_as`] once it is sent. Registering
    /// first means an upstream that asks back instantly still finds the request.
    pub fn begin(
        &self,
        server: &str,
        peer: Peer<RoleServer>,
        downstream_id: RequestId,
    ) -> InflightGuard {
        let mut state = self.lock();
        state.next_seq += 1;
        let seq = state.next_seq;
        let target = DownstreamTarget {
            peer,
            request_id: Some(downstream_id),
        };
        state.entries.insert(
            seq,
            Entry {
                server: server.to_string(),
                upstream_id: None,
                target,
                seq,
            },
        );
        InflightGuard {
            table: self.clone(),
            seq,
        }
    }

    /// The target of upstream request `upstream_id`, waiting up to `wait` for its id to be
    /// recorded (the upstream can ask before the forwarding task learned the id).
    pub async fn find(
        &self,
        server: &str,
        upstream_id: &RequestId,
        wait: Duration,
    ) -> Option<DownstreamTarget> {
        let deadline = tokio::time::Instant::now() + wait;
        loop {
            let notified = self.shared.registered.notified();
            tokio::pin!(notified);
            notified.as_mut().enable();
            let found = self
                .lock()
                .entries
                .values()
                .find(|e| e.server == server && e.upstream_id.as_ref() == Some(upstream_id))
                .map(|e| e.target.clone());
            if found.is_some() {
                return found;
            }
            let unsent = self
                .lock()
                .entries
                .values()
                .any(|e| e.server == server && e.upstream_id.is_none());
            if !unsent {
                return None;
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
            .values()
            .filter(|e| e.server == server && !e.target.peer.is_transport_closed())
            .max_by_key(|e| e.seq)
            .map(|e| e.target.clone())
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
