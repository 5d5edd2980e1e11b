//! The OAuth state of every HTTP/SSE upstream, kept across reconnects and restarts of a server.

use super::browser::Browser;
use super::server_auth::ServerAuth;
use super::store::SecretBackend;
use super::OAuthStatus;
use crate::config::{Protocol, ServerConfig};
use crate::events::EventBus;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};

/// Per-server [`ServerAuth`]s plus the settings they share.
pub struct OAuthRegistry {
    backend: SecretBackend,
    browser: Browser,
    events: EventBus,
    http: reqwest::Client,
    auto_login: bool,
    servers: Mutex<HashMap<String, Arc<ServerAuth>>>,
}

impl OAuthRegistry {
    /// Registry storing secrets in `backend`; `auto_login` starts a login on the first
    /// challenge of each server (once per run).
    pub fn new(
        events: EventBus,
        http: reqwest::Client,
        backend: SecretBackend,
        browser: Browser,
        auto_login: bool,
    ) -> Self {
        Self {
            backend,
            browser,
            events,
            http,
            auto_login,
            servers: Mutex::new(HashMap::new()),
        }
    }

    /// The default for the proxy: OS keyring, system browser (or printed URL), auto login.
    pub fn for_proxy(events: EventBus, http: reqwest::Client) -> Self {
        Self::new(
            events,
            http,
            SecretBackend::Keyring,
            Browser::from_env(),
            true,
        )
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, Arc<ServerAuth>>> {
        self.servers.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// State for `config` (created or replaced when its URL or `oauth` block changed);
    /// `None` for stdio servers.
    pub fn for_server(&self, config: &ServerConfig) -> Option<Arc<ServerAuth>> {
        let has_command = config
            .command
            .as_deref()
            .is_some_and(|c| !c.trim().is_empty());
        let stdio = config.protocol == Protocol::Stdio
            || (config.protocol == Protocol::Auto && has_command);
        let url = config.url.as_deref().filter(|u| !u.trim().is_empty())?;
        if stdio {
            return None;
        }
        let mut servers = self.lock();
        if let Some(existing) = servers.get(&config.name) {
            if existing.url() == url && existing.config() == config.oauth.as_ref() {
                return Some(existing.clone());
            }
        }
        let auth = ServerAuth::new(
            &config.name,
            url,
            config.oauth.clone(),
            self.backend.clone(),
            self.browser.clone(),
            self.events.clone(),
            self.http.clone(),
            self.auto_login,
        );
        servers.insert(config.name.clone(), auth.clone());
        Some(auth)
    }

    /// State of `name`, if it has any.
    pub fn get(&self, name: &str) -> Option<Arc<ServerAuth>> {
        self.lock().get(name).cloned()
    }

    /// Status of `name` when OAuth applies to it.
    pub fn status_of(&self, name: &str) -> Option<OAuthStatus> {
        self.get(name).filter(|a| a.is_active()).map(|a| a.status())
    }

    /// Every OAuth token value held this run, over all servers (for masking records).
    pub fn token_values(&self) -> Vec<String> {
        self.lock()
            .values()
            .flat_map(|a| a.token_values())
            .collect()
    }

    /// Forget `name` (server removed from the config).
    pub fn remove(&self, name: &str) {
        self.lock().remove(name);
    }
}
