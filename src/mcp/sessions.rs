//! A cap on classic (session-based) MCP sessions across every surface.
//!
//! rmcp's `LocalSessionManager` keeps a session until the client sends DELETE, and its map
//! keeps even sessions whose worker timed out. Clients that `initialize` and walk away (crashed
//! agents, scripts, scanners) would make the core grow by ~60–70 KiB per session without bound.
//! [`BoundedSessionManager`] wraps rmcp's manager and, through a [`SessionBudget`] shared by
//! `/mcp`, `/mcp/all` and every `/mcp/server/{name}`, closes the least recently used session
//! when a new one would exceed `mcp_max_sessions`. A closed session's id then gets rmcp's
//! 404 "Session not found", which tells a well-behaved client to initialize again.

use futures::Stream;
use rmcp::model::{ClientJsonRpcMessage, ServerJsonRpcMessage};
use rmcp::transport::streamable_http_server::session::local::{
    LocalSessionManager, LocalSessionManagerError, LocalSessionWorker,
};
use rmcp::transport::streamable_http_server::session::{
    ServerSseMessage, SessionId, SessionManager,
};
use rmcp::transport::WorkerTransport;
use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex};

/// Default for `mcp_max_sessions`.
pub const DEFAULT_MAX_SESSIONS: usize = 1000;

/// Least-recently-used order of the open sessions of every surface.
pub struct SessionBudget {
    cap: usize,
    lru: Mutex<Lru>,
}

#[derive(Default)]
struct Lru {
    tick: u64,
    by_id: HashMap<SessionId, (u64, Arc<LocalSessionManager>)>,
    by_age: BTreeMap<u64, SessionId>,
}

impl Lru {
    fn touch(&mut self, id: &SessionId) {
        self.tick += 1;
        let tick = self.tick;
        if let Some((last, _)) = self.by_id.get_mut(id) {
            self.by_age.remove(last);
            *last = tick;
            self.by_age.insert(tick, id.clone());
        }
    }

    fn forget(&mut self, id: &SessionId) {
        if let Some((last, _)) = self.by_id.remove(id) {
            self.by_age.remove(&last);
        }
    }
}

impl SessionBudget {
    /// A budget of `cap` sessions (at least 1).
    pub fn new(cap: usize) -> Arc<Self> {
        Arc::new(Self {
            cap: cap.max(1),
            lru: Mutex::new(Lru::default()),
        })
    }

    /// The cap.
    pub fn cap(&self) -> usize {
        self.cap
    }

    /// Sessions currently counted.
    pub fn len(&self) -> usize {
        self.lock().by_id.len()
    }

    /// True when no session is counted.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Lru> {
        self.lru.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Count a new session; returns the sessions to close to stay within the cap.
    fn admit(
        &self,
        id: &SessionId,
        owner: &Arc<LocalSessionManager>,
    ) -> Vec<(SessionId, Arc<LocalSessionManager>)> {
        let mut lru = self.lock();
        let mut evicted = Vec::new();
        while lru.by_id.len() >= self.cap {
            let Some((_, oldest)) = lru.by_age.pop_first() else {
                break;
            };
            if let Some((_, manager)) = lru.by_id.remove(&oldest) {
                evicted.push((oldest, manager));
            }
        }
        lru.tick += 1;
        let tick = lru.tick;
        lru.by_id.insert(id.clone(), (tick, owner.clone()));
        lru.by_age.insert(tick, id.clone());
        evicted
    }
}

/// rmcp's local session manager under a shared [`SessionBudget`].
pub struct BoundedSessionManager {
    inner: Arc<LocalSessionManager>,
    budget: Arc<SessionBudget>,
}

impl BoundedSessionManager {
    /// Wrap `inner`, counting its sessions against `budget`.
    pub fn new(inner: LocalSessionManager, budget: Arc<SessionBudget>) -> Self {
        Self {
            inner: Arc::new(inner),
            budget,
        }
    }

    fn touch(&self, id: &SessionId) {
        self.budget.lock().touch(id);
    }
}

impl SessionManager for BoundedSessionManager {
    type Error = LocalSessionManagerError;
    type Transport = WorkerTransport<LocalSessionWorker>;

    async fn create_session(&self) -> Result<(SessionId, Self::Transport), Self::Error> {
        let (id, transport) = self.inner.create_session().await?;
        let evicted = self.budget.admit(&id, &self.inner);
        if !evicted.is_empty() {
            tracing::info!(
                count = evicted.len(),
                cap = self.budget.cap(),
                "closing the least recently used MCP sessions (mcp_max_sessions reached)"
            );
        }
        for (old, manager) in evicted {
            if let Err(err) = manager.close_session(&old).await {
                tracing::debug!(session = %old, %err, "closing an evicted session failed");
            }
        }
        Ok((id, transport))
    }

    async fn initialize_session(
        &self,
        id: &SessionId,
        message: ClientJsonRpcMessage,
    ) -> Result<ServerJsonRpcMessage, Self::Error> {
        self.touch(id);
        self.inner.initialize_session(id, message).await
    }

    async fn has_session(&self, id: &SessionId) -> Result<bool, Self::Error> {
        self.inner.has_session(id).await
    }

    async fn close_session(&self, id: &SessionId) -> Result<(), Self::Error> {
        self.budget.lock().forget(id);
        self.inner.close_session(id).await
    }

    async fn create_stream(
        &self,
        id: &SessionId,
        message: ClientJsonRpcMessage,
    ) -> Result<impl Stream<Item = ServerSseMessage> + Send + Sync + 'static, Self::Error> {
        self.touch(id);
        self.inner.create_stream(id, message).await
    }

    async fn accept_message(
        &self,
        id: &SessionId,
        message: ClientJsonRpcMessage,
    ) -> Result<(), Self::Error> {
        self.touch(id);
        self.inner.accept_message(id, message).await
    }

    async fn create_standalone_stream(
        &self,
        id: &SessionId,
    ) -> Result<impl Stream<Item = ServerSseMessage> + Send + Sync + 'static, Self::Error> {
        self.touch(id);
        self.inner.create_standalone_stream(id).await
    }

    async fn resume(
        &self,
        id: &SessionId,
        last_event_id: String,
    ) -> Result<impl Stream<Item = ServerSseMessage> + Send + Sync + 'static, Self::Error> {
        self.touch(id);
        self.inner.resume(id, last_event_id).await
    }
}
