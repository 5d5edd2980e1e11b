//! Downstream sessions of `/mcp/server/{name}` and their resource subscriptions,
//! so what an upstream announces (logs, list changes, resource updates) reaches them.

use rmcp::{Peer, RoleServer};
use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex};

struct Session {
    id: u64,
    peer: Peer<RoleServer>,
    subscriptions: HashSet<String>,
}

#[derive(Default)]
struct State {
    by_server: HashMap<String, Vec<Session>>,
    next_id: u64,
}

/// Registry of passthrough sessions per upstream server.
#[derive(Default, Clone)]
pub struct PassthroughSessions {
    state: Arc<Mutex<State>>,
}

/// Unregisters its session when dropped (the session's handler is gone).
pub struct SessionGuard {
    sessions: PassthroughSessions,
    server: String,
    /// Session id within the registry.
    pub id: u64,
}

impl Drop for SessionGuard {
    fn drop(&mut self) {
        let mut state = self.sessions.lock();
        if let Some(list) = state.by_server.get_mut(&self.server) {
            list.retain(|s| s.id != self.id);
        }
    }
}

impl PassthroughSessions {
    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Live sessions of `server`, dropping those whose client went away.
    fn live<'a>(state: &'a mut State, server: &str) -> Option<&'a mut Vec<Session>> {
        let list = state.by_server.get_mut(server)?;
        list.retain(|s| !s.peer.is_transport_closed());
        Some(list)
    }

    /// Register an initialized client session of `server`.
    pub fn add(&self, server: &str, peer: Peer<RoleServer>) -> SessionGuard {
        let mut state = self.lock();
        state.next_id += 1;
        let id = state.next_id;
        state
            .by_server
            .entry(server.to_string())
            .or_default()
            .push(Session {
                id,
                peer,
                subscriptions: HashSet::new(),
            });
        SessionGuard {
            sessions: self.clone(),
            server: server.to_string(),
            id,
        }
    }

    /// Every live session of `server`.
    pub fn peers(&self, server: &str) -> Vec<Peer<RoleServer>> {
        let mut state = self.lock();
        Self::live(&mut state, server)
            .map(|list| list.iter().map(|s| s.peer.clone()).collect())
            .unwrap_or_default()
    }

    /// The most recently connected live session of `server`.
    pub fn latest(&self, server: &str) -> Option<Peer<RoleServer>> {
        let mut state = self.lock();
        Self::live(&mut state, server).and_then(|list| list.last().map(|s| s.peer.clone()))
    }

    /// Number of live sessions of `server`.
    pub fn count(&self, server: &str) -> usize {
        self.peers(server).len()
    }

    /// Record that session `id` subscribed to `uri` of `server`.
    pub fn subscribe(&self, server: &str, id: u64, uri: &str) {
        let mut state = self.lock();
        if let Some(session) =
            Self::live(&mut state, server).and_then(|list| list.iter_mut().find(|s| s.id == id))
        {
            session.subscriptions.insert(uri.to_string());
        }
    }

    /// Drop session `id`'s subscription to `uri`; true when no live session of `server`
    /// is subscribed to it any more (the upstream subscription can go).
    pub fn unsubscribe(&self, server: &str, id: u64, uri: &str) -> bool {
        let mut state = self.lock();
        let Some(list) = Self::live(&mut state, server) else {
            return true;
        };
        if let Some(session) = list.iter_mut().find(|s| s.id == id) {
            session.subscriptions.remove(uri);
        }
        !list.iter().any(|s| s.subscriptions.contains(uri))
    }

    /// Live sessions of `server` subscribed to `uri`.
    pub fn subscribers(&self, server: &str, uri: &str) -> Vec<Peer<RoleServer>> {
        let mut state = self.lock();
        Self::live(&mut state, server)
            .map(|list| {
                list.iter()
                    .filter(|s| s.subscriptions.contains(uri))
                    .map(|s| s.peer.clone())
                    .collect()
            })
            .unwrap_or_default()
    }
}
