//! Routes upstream progress notifications back to the downstream client that asked.
//!
//! rmcp gives every outgoing upstream request its own progress token; the call path
//! registers `(server, upstream token) → (downstream peer, downstream token)` for the
//! duration of the call.

use rmcp::model::{ProgressNotificationParam, ProgressToken};
use rmcp::{Peer, RoleServer};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};

type Key = (String, ProgressToken);

#[derive(Clone)]
struct Target {
    peer: Peer<RoleServer>,
    token: ProgressToken,
    /// Forwards started but not finished (rmcp handles notifications in spawned tasks).
    in_flight: Arc<std::sync::atomic::AtomicUsize>,
}

/// Shared table of in-flight progress mappings.
#[derive(Default, Clone)]
pub struct ProgressRouter {
    routes: Arc<Mutex<HashMap<Key, Target>>>,
}

/// Removes its mapping when dropped.
pub struct ProgressRoute {
    router: ProgressRouter,
    key: Key,
    in_flight: Arc<std::sync::atomic::AtomicUsize>,
}

impl ProgressRoute {
    /// Let progress notifications that arrived before the result reach the client first.
    ///
    /// rmcp runs notification handlers in spawned tasks, so the response of a call can
    /// overtake the last progress notification. This yields to those tasks and waits
    /// (bounded) for forwards in flight, which keeps progress ahead of the result.
    pub async fn settle(&self) {
        use std::sync::atomic::Ordering;
        for _ in 0..8 {
            tokio::task::yield_now().await;
        }
        let deadline = tokio::time::Instant::now() + std::time::Duration::from_millis(500);
        while self.in_flight.load(Ordering::SeqCst) > 0 && tokio::time::Instant::now() < deadline {
            tokio::time::sleep(std::time::Duration::from_millis(2)).await;
        }
    }
}

impl Drop for ProgressRoute {
    fn drop(&mut self) {
        self.router.lock().remove(&self.key);
    }
}

impl ProgressRouter {
    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<Key, Target>> {
        self.routes.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Forward progress for `upstream_token` of `server` to `peer` as `downstream_token`.
    pub fn register(
        &self,
        server: &str,
        upstream_token: ProgressToken,
        peer: Peer<RoleServer>,
        downstream_token: ProgressToken,
    ) -> ProgressRoute {
        let key = (server.to_string(), upstream_token);
        let in_flight = Arc::new(std::sync::atomic::AtomicUsize::new(0));
        self.lock().insert(
            key.clone(),
            Target {
                peer,
                token: downstream_token,
                in_flight: in_flight.clone(),
            },
        );
        ProgressRoute {
            router: self.clone(),
            key,
            in_flight,
        }
    }

    /// Deliver an upstream progress notification if someone is waiting for it.
    pub async fn forward(&self, server: &str, mut params: ProgressNotificationParam) {
        let key = (server.to_string(), params.progress_token.clone());
        let target = self.lock().get(&key).cloned();
        if let Some(target) = target {
            use std::sync::atomic::Ordering;
            target.in_flight.fetch_add(1, Ordering::SeqCst);
            params.progress_token = target.token;
            if let Err(err) = target.peer.notify_progress(params).await {
                tracing::debug!(server, %err, "could not forward progress downstream");
            }
            target.in_flight.fetch_sub(1, Ordering::SeqCst);
        }
    }

    /// Number of in-flight routes (for tests and diagnostics).
    pub fn len(&self) -> usize {
        self.lock().len()
    }

    /// True when nothing is routed.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}
