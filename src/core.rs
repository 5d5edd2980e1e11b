//! The proxy core: config, upstreams, catalog and shared state behind every surface.

use crate::catalog::Catalog;
use crate::config::{self, Config};
use crate::events::EventBus;
use crate::mcp::peers::DownstreamPeers;
use crate::mcp::read_cache::ReadCache;
use crate::upstream::{UpstreamContext, UpstreamManager};
use std::path::PathBuf;
use std::sync::{Arc, RwLock};
use std::time::Duration;

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
}

impl Core {
    /// Build the core and start connecting to every enabled upstream in the background.
    /// Returns immediately; upstreams come up on their own.
    pub async fn start(config: Config, config_path: PathBuf, data_dir: PathBuf) -> Arc<Self> {
        let events = EventBus::new();
        let logs_dir = data_dir.join("logs");
        let _ = config::ensure_private_dir(&logs_dir);
        let ctx = UpstreamContext::new(events.clone(), logs_dir);
        ctx.docker.set_config(config.docker_isolation.clone());
        ctx.docker.start_sweep();
        let upstreams = Arc::new(UpstreamManager::new(ctx));
        let catalog = Arc::new(Catalog::default());
        let core = Arc::new(Self {
            config: RwLock::new(config.clone()),
            config_path,
            data_dir,
            events: events.clone(),
            upstreams: upstreams.clone(),
            catalog: catalog.clone(),
            read_cache: ReadCache::default(),
            peers: DownstreamPeers::default(),
        });
        tokio::spawn(catalog.maintain(upstreams.clone(), events.clone()));
        tokio::spawn(core.peers.clone().fan_out(events.clone()));
        for server in config.mcp_servers {
            upstreams.start(server).await;
        }
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

    /// Docker daemon and isolation status (`GET /api/v1/docker/status`).
    pub async fn docker_status(&self) -> crate::docker::DockerStatus {
        self.upstreams.context().docker.status().await
    }

    /// Graceful shutdown of every upstream (close, then process-group signals).
    pub async fn shutdown(&self) {
        self.upstreams.shutdown().await;
    }
}
