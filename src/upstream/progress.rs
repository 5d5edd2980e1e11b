//! Routes upstream progress notifications back to the downstream client that asked,
//! without letting a request's response overtake its last progress notifications.
//!
//! rmcp gives every outgoing upstream request its own progress token; the call path
//! registers `(server, upstream token) → (downstream peer, downstream token)` for the
//! duration of the call.
//!
//! rmcp hands each notification to its handler on a task of its own, so a response can
//! reach the caller before the progress notifications that preceded it on the wire.
//! [`CountingTransport`] counts progress notifications in wire order as they arrive;
//! [`ProgressRoute::drain`] then waits until as many have been forwarded, so the caller
//! answers its client only after relaying every notification sent before the response.

use rmcp::model::{ProgressNotificationParam, ProgressToken, ServerNotification};
use rmcp::service::{RxJsonRpcMessage, TxJsonRpcMessage};
use rmcp::transport::Transport;
use rmcp::{Peer, RoleClient, RoleServer};
use std::collections::HashMap;
use std::future::Future;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::Notify;

type Key = (String, ProgressToken);

#[derive(Clone)]
struct Target {
    peer: Peer<RoleServer>,
    token: ProgressToken,
    /// Notifications seen on the wire for this route.
    received: u64,
    /// Notifications forwarded (or given up on) for this route.
    delivered: u64,
}

#[derive(Default)]
struct Shared {
    routes: Mutex<HashMap<Key, Target>>,
    delivered: Notify,
}

/// Shared table of in-flight progress mappings.
#[derive(Default, Clone)]
pub struct ProgressRouter {
    shared: Arc<Shared>,
}

/// Removes its mapping when dropped.
pub struct ProgressRoute {
    router: ProgressRouter,
    key: Key,
}

impl Drop for ProgressRoute {
    fn drop(&mut self) {
        self.router.lock().remove(&self.key);
    }
}

impl ProgressRoute {
    /// Wait (at most `timeout`) until every progress notification that arrived for this
    /// route has been forwarded. Call after the response arrived, before answering.
    pub async fn drain(&self, timeout: Duration) {
        let deadline = tokio::time::Instant::now() + timeout;
        loop {
            let notified = self.router.shared.delivered.notified();
            tokio::pin!(notified);
            notified.as_mut().enable();
            let pending = self
                .router
                .lock()
                .get(&self.key)
                .is_some_and(|t| t.delivered < t.received);
            if !pending {
                return;
            }
            if tokio::time::timeout_at(deadline, notified).await.is_err() {
                tracing::debug!(server = %self.key.0, "progress notifications still pending after the response");
                return;
            }
        }
    }
}

impl ProgressRouter {
    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<Key, Target>> {
        self.shared.routes.lock().unwrap_or_else(|e| e.into_inner())
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
        self.lock().insert(
            key.clone(),
            Target {
                peer,
                token: downstream_token,
                received: 0,
                delivered: 0,
            },
        );
        ProgressRoute {
            router: self.clone(),
            key,
        }
    }

    /// Count a progress notification of `server` as it arrives on the wire.
    pub fn note_received(&self, server: &str, token: &ProgressToken) {
        let key = (server.to_string(), token.clone());
        if let Some(target) = self.lock().get_mut(&key) {
            target.received += 1;
        }
    }

    /// Deliver an upstream progress notification if someone is waiting for it.
    pub async fn forward(&self, server: &str, mut params: ProgressNotificationParam) {
        let key = (server.to_string(), params.progress_token.clone());
        let target = self.lock().get(&key).cloned();
        if let Some(target) = target {
            params.progress_token = target.token;
            if let Err(err) = target.peer.notify_progress(params).await {
                tracing::debug!(server, %err, "could not forward progress downstream");
            }
            if let Some(target) = self.lock().get_mut(&key) {
                target.delivered += 1;
            }
            self.shared.delivered.notify_waiters();
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

/// An upstream transport that counts progress notifications in arrival order
/// (see [`ProgressRoute::drain`]). Everything else passes through untouched.
pub struct CountingTransport<T> {
    inner: T,
    server: String,
    router: ProgressRouter,
}

impl<T> CountingTransport<T> {
    /// Wrap `inner`, the transport of `server`.
    pub fn new(inner: T, server: &str, router: ProgressRouter) -> Self {
        Self {
            inner,
            server: server.to_string(),
            router,
        }
    }
}

impl<T: Transport<RoleClient>> Transport<RoleClient> for CountingTransport<T> {
    type Error = T::Error;

    fn send(
        &mut self,
        item: TxJsonRpcMessage<RoleClient>,
    ) -> impl Future<Output = Result<(), Self::Error>> + Send + 'static {
        self.inner.send(item)
    }

    fn receive(&mut self) -> impl Future<Output = Option<RxJsonRpcMessage<RoleClient>>> + Send {
        // Written as a plain future over split borrows (not `async fn`): rustc cannot prove an
        // `async fn` body Send for every lifetime when the inner transport's future is opaque.
        let Self {
            inner,
            server,
            router,
        } = self;
        let next = inner.receive();
        async move {
            let message = next.await;
            // Counted synchronously after the await, so a cancelled receive loses nothing.
            if let Some(rmcp::model::JsonRpcMessage::Notification(notification)) = &message {
                if let ServerNotification::ProgressNotification(progress) =
                    &notification.notification
                {
                    router.note_received(server, &progress.params.progress_token);
                }
            }
            message
        }
    }

    fn close(&mut self) -> impl Future<Output = Result<(), Self::Error>> + Send {
        self.inner.close()
    }
}
