//! Upstream MCP servers: transports, supervision and the set of running upstreams.

pub mod client;
pub mod connect;
pub mod logfile;
pub mod logstream;
pub mod oauth;
pub mod progress;
pub mod relay;
pub mod shim;
pub mod sse;
pub mod state;
pub mod stderr_lines;
pub mod stdio;
pub mod supervisor;

use crate::config::ServerConfig;
use crate::events::EventBus;
use connect::ResolvedServer;
use indexmap::IndexMap;
use logfile::ServerLog;
use progress::ProgressRouter;
use relay::Relay;
use rmcp::{Peer, RoleClient};
pub use state::{ConnectionState, ServerStatus};
use std::path::PathBuf;
use std::sync::{Arc, Mutex, RwLock};
use supervisor::Backoff;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

/// Shared services every supervisor needs.
#[derive(Clone)]
pub struct UpstreamContext {
    /// HTTP client for Streamable HTTP and SSE upstreams.
    pub http: reqwest::Client,
    /// Progress forwarding table.
    pub progress: ProgressRouter,
    /// Server→client requests and notifications to downstream clients.
    pub relay: Relay,
    /// Event bus.
    pub events: EventBus,
    /// Directory of per-server logs.
    pub logs_dir: PathBuf,
    /// Live feed of every server's log lines.
    pub log_bus: logstream::LogBus,
    /// Reconnect delays.
    pub backoff: Backoff,
    /// OAuth state of HTTP/SSE upstreams.
    pub oauth: Arc<oauth::OAuthRegistry>,
    /// Executable that understands [`shim::SHIM_ARG`]; stdio servers run under it when set.
    pub shim: Option<PathBuf>,
    /// How stdio servers are stopped.
    pub stop: supervisor::StopTimes,
    /// `quarantine_enabled` from the config: quarantined servers are only held back when on.
    quarantine_enabled: Arc<std::sync::atomic::AtomicBool>,
    /// Docker isolation (global settings, instance labels, sweep).
    pub docker: Arc<crate::docker::DockerRuntime>,
}

impl UpstreamContext {
    /// Follow `quarantine_enabled` from the config.
    pub fn set_quarantine_enabled(&self, enabled: bool) {
        self.quarantine_enabled
            .store(enabled, std::sync::atomic::Ordering::Relaxed);
    }

    /// The shim to run stdio servers under (with the configured grace), if any.
    pub fn shim_spec(&self) -> Option<stdio::Shim> {
        self.shim.clone().map(|program| stdio::Shim {
            program,
            grace: self.stop.kill_grace,
        })
    }

    /// Whether quarantined servers are held back.
    pub fn quarantine_enabled(&self) -> bool {
        self.quarantine_enabled
            .load(std::sync::atomic::Ordering::Relaxed)
    }

    /// Context with a default HTTP client.
    pub fn new(events: EventBus, logs_dir: PathBuf) -> Self {
        let http = reqwest::Client::builder()
            .connect_timeout(std::time::Duration::from_secs(10))
            .user_agent(concat!("mcpproxy/", env!("CARGO_PKG_VERSION")))
            .build()
            .expect("TLS backend available");
        let oauth = Arc::new(oauth::OAuthRegistry::for_proxy(
            events.clone(),
            http.clone(),
        ));
        let data_dir = logs_dir.parent().unwrap_or(&logs_dir).to_path_buf();
        Self {
            http,
            progress: ProgressRouter::default(),
            docker: Arc::new(crate::docker::DockerRuntime::new(&data_dir, events.clone())),
            relay: Relay::default(),
            events,
            logs_dir,
            log_bus: logstream::LogBus::default(),
            backoff: Backoff::default(),
            oauth,
            shim: None,
            stop: supervisor::StopTimes::default(),
            quarantine_enabled: Arc::new(std::sync::atomic::AtomicBool::new(true)),
        }
    }
}

/// One configured upstream and its supervisor.
pub struct Upstream {
    /// Server name.
    pub name: String,
    config: ServerConfig,
    status: RwLock<ServerStatus>,
    peer: RwLock<Option<Peer<RoleClient>>>,
    /// The server's log.
    pub log: ServerLog,
    /// Docker isolation of this server.
    pub isolation: crate::docker::Isolator,
    cancel: CancellationToken,
    task: Mutex<Option<JoinHandle<()>>>,
    ctx: UpstreamContext,
}

impl Upstream {
    /// Status snapshot (including the OAuth state of servers that use OAuth).
    pub fn status(&self) -> ServerStatus {
        let mut status = self
            .status
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .clone();
        status.oauth = self.ctx.oauth.status_of(&self.name);
        status.isolation = self.isolation.status();
        status
    }

    /// The configuration this upstream was started with.
    pub fn config(&self) -> &ServerConfig {
        &self.config
    }

    /// Client handle when ready.
    pub fn peer(&self) -> Option<Peer<RoleClient>> {
        self.peer.read().unwrap_or_else(|e| e.into_inner()).clone()
    }

    fn set_peer(&self, peer: Option<Peer<RoleClient>>) {
        *self.peer.write().unwrap_or_else(|e| e.into_inner()) = peer;
    }

    fn set_status(&self, change: impl FnOnce(&mut ServerStatus)) {
        {
            let mut status = self.status.write().unwrap_or_else(|e| e.into_inner());
            change(&mut status);
        }
        supervisor::announce(self);
    }

    /// Stop the supervisor and wait for the connection and processes to be gone.
    pub async fn stop(&self) {
        self.cancel.cancel();
        let task = self.task.lock().unwrap_or_else(|e| e.into_inner()).take();
        if let Some(task) = task {
            let _ = task.await;
        }
        if self.isolation.is_isolated() {
            self.isolation.cleanup().await;
        }
    }
}

/// The set of upstreams, keyed by name in config order.
pub struct UpstreamManager {
    ctx: UpstreamContext,
    upstreams: RwLock<IndexMap<String, Arc<Upstream>>>,
}

impl UpstreamManager {
    /// Empty manager.
    pub fn new(ctx: UpstreamContext) -> Self {
        Self {
            ctx,
            upstreams: RwLock::new(IndexMap::new()),
        }
    }

    /// Shared context (progress router etc.).
    pub fn context(&self) -> &UpstreamContext {
        &self.ctx
    }

    /// Start (or register as disabled/quarantined) one upstream. Replaces one of the same name.
    pub async fn start(&self, config: ServerConfig) {
        let previous = self.remove_entry(&config.name);
        if let Some(previous) = previous {
            previous.stop().await;
        }
        let initial = if !config.enabled {
            ConnectionState::Disabled
        } else if config.quarantined.unwrap_or(false) && self.ctx.quarantine_enabled() {
            ConnectionState::Quarantined
        } else {
            ConnectionState::Connecting
        };
        let log = ServerLog::open(&stdio::log_path(&self.ctx.logs_dir, &config.name))
            .publish_to(&self.ctx.log_bus, &config.name);
        log.set_secrets(crate::secrets::secret_values(&config));
        let isolation = crate::docker::Isolator::new(self.ctx.docker.clone(), &config, log.clone());
        let upstream = Arc::new(Upstream {
            name: config.name.clone(),
            config: config.clone(),
            status: RwLock::new(ServerStatus::new(initial)),
            peer: RwLock::new(None),
            log,
            isolation,
            cancel: CancellationToken::new(),
            task: Mutex::new(None),
            ctx: self.ctx.clone(),
        });
        if initial == ConnectionState::Connecting {
            let resolved = ResolvedServer::plain(&config);
            let task = tokio::spawn(supervisor::run(upstream.clone(), resolved));
            *upstream.task.lock().unwrap_or_else(|e| e.into_inner()) = Some(task);
        }
        self.upstreams
            .write()
            .unwrap_or_else(|e| e.into_inner())
            .insert(config.name.clone(), upstream.clone());
        supervisor::announce(&upstream);
    }

    fn remove_entry(&self, name: &str) -> Option<Arc<Upstream>> {
        self.upstreams
            .write()
            .unwrap_or_else(|e| e.into_inner())
            .shift_remove(name)
    }

    /// Review mode: connect to `config`'s server once, list its tools and disconnect.
    /// Nothing is registered, indexed or exposed; used by a person to review a quarantined
    /// server before approving it.
    pub async fn inspect(&self, config: &ServerConfig) -> Result<Vec<rmcp::model::Tool>, String> {
        let log = ServerLog::open(&stdio::log_path(&self.ctx.logs_dir, &config.name))
            .publish_to(&self.ctx.log_bus, &config.name);
        log.set_secrets(crate::secrets::secret_values(config));
        log.event("review: connecting once to list tools (quarantine stays in force)");
        let isolation = crate::docker::Isolator::new(self.ctx.docker.clone(), config, log.clone());
        let (signals, _ignored) = tokio::sync::mpsc::unbounded_channel();
        let handler: Arc<dyn Fn() -> client::UpstreamClient + Send + Sync> = {
            let (name, progress, log) =
                (config.name.clone(), self.ctx.progress.clone(), log.clone());
            Arc::new(move || {
                client::UpstreamClient::new(&name, signals.clone(), progress.clone(), log.clone())
            })
        };
        let to_resolve = config.clone();
        let resolved = tokio::task::spawn_blocking(move || {
            crate::secrets::resolve::resolve_server(&to_resolve)
        })
        .await
        .map_err(|e| e.to_string())?
        .map_err(|e| e.to_string())?;
        let conn = connect::connect(
            resolved,
            handler,
            self.ctx.http.clone(),
            log.clone(),
            self.ctx.shim_spec(),
            isolation.clone(),
            self.ctx.oauth.for_server(config),
        )
        .await?;
        let tools = tokio::time::timeout(
            std::time::Duration::from_secs(30),
            conn.peer.list_all_tools(),
        )
        .await
        .map_err(|_| "tools/list timed out after 30s".to_string())
        .and_then(|r| r.map_err(|e| format!("tools/list failed: {e}")));
        supervisor::close_connection(conn, &isolation, self.ctx.stop).await;
        log.event("review: disconnected");
        tools
    }

    /// Stop and forget an upstream.
    pub async fn remove(&self, name: &str) -> bool {
        match self.remove_entry(name) {
            Some(upstream) => {
                upstream.stop().await;
                self.ctx.oauth.remove(name);
                supervisor::announce(&upstream);
                true
            }
            None => false,
        }
    }

    /// Upstream by name.
    pub fn get(&self, name: &str) -> Option<Arc<Upstream>> {
        self.upstreams
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .get(name)
            .cloned()
    }

    /// All upstreams in config order.
    pub fn all(&self) -> Vec<Arc<Upstream>> {
        self.upstreams
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .values()
            .cloned()
            .collect()
    }

    /// Stop every upstream in parallel (graceful close, then process-group signals).
    pub async fn shutdown(&self) {
        let all: Vec<_> = self
            .upstreams
            .write()
            .unwrap_or_else(|e| e.into_inner())
            .drain(..)
            .map(|(_, u)| u)
            .collect();
        futures::future::join_all(all.iter().map(|u| u.stop())).await;
    }
}
