//! The proxy core: config, upstreams, catalog and shared state behind every surface.

use crate::catalog::Catalog;
use crate::config::{self, Config};
use crate::events::EventBus;
use crate::mcp::peers::DownstreamPeers;
use crate::mcp::read_cache::ReadCache;
use crate::store::Store;
use crate::upstream::{UpstreamContext, UpstreamManager};
use std::path::PathBuf;
use std::sync::{Arc, RwLock};
use std::time::Duration;

/// Why a config change was refused; the previous config stays in force and on disk.
#[derive(Debug, thiserror::Error)]
pub enum ChangeError {
    /// The change would make the config invalid.
    #[error("field `{field}`: {message}. Fix: {fix}")]
    Invalid {
        /// Offending field (e.g. `mcpServers[2].url`).
        field: String,
        /// What is wrong.
        message: String,
        /// How to fix it.
        fix: String,
    },
    /// The thing to change does not exist.
    #[error("{0}")]
    NotFound(String),
    /// The change conflicts with the current state (e.g. a duplicate name).
    #[error("{0}")]
    Conflict(String),
    /// The request itself is malformed.
    #[error("{0}")]
    BadRequest(String),
    /// A setting or the caller's surface does not allow the change (e.g. `read_only_mode`).
    #[error("{0}")]
    Forbidden(String),
    /// An upstream could not be reached for the operation.
    #[error("{0}")]
    Upstream(String),
    /// Writing the config file failed.
    #[error("cannot save {path}: {message}")]
    Io {
        /// Config file path.
        path: String,
        /// OS error.
        message: String,
    },
}

/// Why a change is refused while `read_only_mode` is on.
pub const READ_ONLY_MESSAGE: &str = "read_only_mode is on in mcp_config.json: configuration changes through MCP, the REST API, the CLI, the web UI and the tray are refused; edit mcp_config.json to change the configuration (or set \"read_only_mode\": false there)";

/// Everything a surface (MCP, REST, CLI, tray) needs.
pub struct Core {
    config: RwLock<Config>,
    /// Path of `mcp_config.json`.
    pub config_path: PathBuf,
    /// Data directory (logs, state).
    pub data_dir: PathBuf,
    /// Event bus.
    pub events: EventBus,
    /// Running upstreams.
    pub upstreams: Arc<UpstreamManager>,
    /// Merged tool catalog.
    pub catalog: Arc<Catalog>,
    /// Truncated results.
    pub read_cache: ReadCache,
    /// Connected MCP clients (for list_changed fan-out).
    pub peers: DownstreamPeers,
    /// Serializes config writes so concurrent changes never lose an update.
    write_lock: tokio::sync::Mutex<()>,
    /// Persistent state (approvals, activity, …).
    pub store: Store,
}

/// Apply activity retention and expire read-cache entries, now and every 10 minutes.
async fn prune_store(core: Arc<Core>) {
    let mut tick = tokio::time::interval(Duration::from_secs(600));
    loop {
        tick.tick().await;
        let config = core.config();
        let store = core.store.clone();
        let max_age_ms = i64::from(config.activity_retention_days) * 24 * 3600 * 1000;
        let max_records = config.activity_max_records;
        let _ = tokio::task::spawn_blocking(move || {
            if let Err(err) = store.prune_activity(max_age_ms, max_records) {
                tracing::warn!(%err, "activity retention failed");
            }
            let _ = store.cache_prune(
                crate::mcp::read_cache::ENTRY_TTL.as_millis() as i64,
                crate::mcp::read_cache::MAX_ENTRIES,
            );
        })
        .await;
    }
}

/// Open the state database in `data_dir`; falls back to memory (loudly) when it cannot.
fn open_store(data_dir: &std::path::Path) -> Store {
    let path = data_dir.join(crate::store::DB_FILE_NAME);
    Store::open(&path).unwrap_or_else(|err| {
        tracing::error!(%err, "cannot open the state database; approvals and activity will not persist");
        Store::in_memory()
    })
}

/// Start-up options of the core that do not come from the config file.
#[derive(Debug, Clone, Default)]
pub struct CoreOptions {
    /// Executable that handles `__upstream-shim` (normally the running binary); stdio servers
    /// run under it so they die with the core even on SIGKILL. `None` spawns them directly.
    pub shim_program: Option<PathBuf>,
}

impl Core {
    /// Build the core and start connecting to every enabled upstream in the background.
    /// Returns immediately; upstreams come up on their own.
    pub async fn start(config: Config, config_path: PathBuf, data_dir: PathBuf) -> Arc<Self> {
        Self::start_with(config, config_path, data_dir, CoreOptions::default()).await
    }

    /// [`Core::start`] with explicit [`CoreOptions`].
    pub async fn start_with(
        config: Config,
        config_path: PathBuf,
        data_dir: PathBuf,
        options: CoreOptions,
    ) -> Arc<Self> {
        let events = EventBus::new();
        let logs_dir = data_dir.join("logs");
        let _ = config::ensure_private_dir(&logs_dir);
        let store = open_store(&data_dir);
        config::unsupported::warn_unimplemented(&config);
        let config = crate::quarantine::quarantine_unseen_servers(config, &store, &config_path);
        let mut ctx = UpstreamContext::new(events.clone(), logs_dir);
        ctx.shim = options.shim_program;
        ctx.set_quarantine_enabled(config.quarantine_enabled);
        ctx.docker.set_config(config.docker_isolation.clone());
        ctx.docker.start_sweep();
        let upstreams = Arc::new(UpstreamManager::new(ctx));
        let catalog = Arc::new(Catalog::new(store.clone(), config.quarantine_enabled));
        let core = Arc::new(Self {
            config: RwLock::new(config.clone()),
            config_path,
            data_dir,
            events: events.clone(),
            upstreams: upstreams.clone(),
            catalog: catalog.clone(),
            read_cache: ReadCache::new(store.clone()),
            peers: DownstreamPeers::default(),
            write_lock: tokio::sync::Mutex::new(()),
            store,
        });
        tokio::spawn(catalog.maintain(upstreams.clone(), events.clone()));
        tokio::spawn(prune_store(core.clone()));
        tokio::spawn(core.peers.clone().fan_out(events.clone()));
        for server in config.mcp_servers {
            upstreams.start(server).await;
        }
        config::watch::spawn(&core);
        core
    }

    /// Current config (clone).
    pub fn config(&self) -> Config {
        self.config
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    /// Per-call timeout from `call_tool_timeout`.
    pub fn call_timeout(&self) -> Duration {
        config::parse_duration(&self.config().call_tool_timeout).unwrap_or(Duration::from_secs(120))
    }

    /// Apply `change` to a copy of the config, validate it, save it atomically, then make
    /// the running upstreams match. On any error nothing changes (memory or disk).
    pub async fn mutate_config<T>(
        &self,
        change: impl FnOnce(&mut Config) -> Result<T, ChangeError>,
    ) -> Result<T, ChangeError> {
        let _guard = self.write_lock.lock().await;
        let previous = self.config();
        if previous.read_only_mode {
            return Err(ChangeError::Forbidden(READ_ONLY_MESSAGE.into()));
        }
        let mut next = previous.clone();
        let output = change(&mut next)?;
        config::load::validate(&next).map_err(|(field, message, fix)| ChangeError::Invalid {
            field,
            message,
            fix,
        })?;
        config::save_atomic(&self.config_path, &next).map_err(|err| ChangeError::Io {
            path: self.config_path.display().to_string(),
            message: config::save::explain_save_error(&err, &self.config_path),
        })?;
        *self.config.write().unwrap_or_else(|e| e.into_inner()) = next.clone();
        for server in &next.mcp_servers {
            let _ = self.store.mark_server_seen(&server.name);
        }
        self.upstreams
            .context()
            .set_quarantine_enabled(next.quarantine_enabled);
        self.catalog.set_approvals_enabled(next.quarantine_enabled);
        self.apply_servers(&previous, &next).await;
        self.events.publish(crate::events::CoreEvent::ConfigSaved);
        Ok(output)
    }

    /// Replace the running config with `load(current)` (an external edit of the file, already
    /// validated) without saving, and make the upstreams match. Returns false when nothing
    /// changed (e.g. the core's own save read back).
    pub async fn reload_config<E>(
        &self,
        load: impl FnOnce(&Config) -> Result<Config, E>,
    ) -> Result<bool, E> {
        let _guard = self.write_lock.lock().await;
        let previous = self.config();
        let next = load(&previous)?;
        if next == previous {
            return Ok(false);
        }
        *self.config.write().unwrap_or_else(|e| e.into_inner()) = next.clone();
        self.upstreams
            .context()
            .set_quarantine_enabled(next.quarantine_enabled);
        self.catalog.set_approvals_enabled(next.quarantine_enabled);
        self.apply_servers(&previous, &next).await;
        self.events
            .publish(crate::events::CoreEvent::ConfigReloaded);
        Ok(true)
    }

    /// Start, restart or stop upstreams so they match `next`.
    async fn apply_servers(&self, previous: &Config, next: &Config) {
        for old in &previous.mcp_servers {
            if !next.mcp_servers.iter().any(|s| s.name == old.name) {
                self.upstreams.remove(&old.name).await;
            }
        }
        for server in &next.mcp_servers {
            let unchanged = previous.mcp_servers.iter().any(|old| old == server)
                && previous.quarantine_enabled == next.quarantine_enabled
                && self.upstreams.get(&server.name).is_some();
            if !unchanged {
                self.upstreams.start(server.clone()).await;
            }
        }
    }

    /// Reconnect one server (new process / session). Returns false when unknown.
    pub async fn restart_server(&self, name: &str) -> bool {
        let Some(server) = self
            .config()
            .mcp_servers
            .into_iter()
            .find(|s| s.name == name)
        else {
            return false;
        };
        self.upstreams.start(server).await;
        true
    }

    /// Docker daemon and isolation status (`GET /api/v1/docker/status`).
    pub async fn docker_status(&self) -> crate::docker::DockerStatus {
        self.upstreams.context().docker.status().await
    }

    /// Graceful shutdown of every upstream (close, then process-group signals).
    pub async fn shutdown(&self) {
        self.upstreams.shutdown().await;
    }
}
