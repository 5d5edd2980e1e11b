//! The proxy's Docker connection: global settings, instance labels, startup sweep and status.

use super::status::{DockerStatus, ManagedContainer};
use crate::config::DockerIsolationConfig;
use crate::events::EventBus;
use bollard::query_parameters::{ListContainersOptionsBuilder, RemoveContainerOptionsBuilder};
use bollard::Docker;
use sha2::{Digest, Sha256};
use std::collections::HashMap;
use std::path::Path;
use std::sync::RwLock;
use std::time::Duration;
use tokio::sync::watch;

/// Label present on every container the proxy creates.
pub const LABEL_MANAGED: &str = "mcpproxy.managed";
/// Label naming the proxy instance (see [`instance_id`]).
pub const LABEL_INSTANCE: &str = "mcpproxy.instance";
/// Label naming the upstream server.
pub const LABEL_SERVER: &str = "mcpproxy.server";

/// Bound on connecting to the daemon and negotiating the API version.
pub const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);
/// Bound on the startup sweep of leftover containers.
pub const SWEEP_TIMEOUT: Duration = Duration::from_secs(30);

/// Stable id of the proxy instance owning `data_dir` (12 hex chars of its canonical path's SHA-256).
/// A restarted proxy with the same data directory recognises its own leftover containers.
pub fn instance_id(data_dir: &Path) -> String {
    let path = data_dir
        .canonicalize()
        .unwrap_or_else(|_| data_dir.to_path_buf());
    let digest = Sha256::digest(path.to_string_lossy().as_bytes());
    hex::encode(&digest[..6])
}

/// Where the daemon is expected: `DOCKER_HOST`, else the platform default socket.
pub fn docker_host() -> String {
    std::env::var("DOCKER_HOST")
        .ok()
        .filter(|h| !h.trim().is_empty())
        .unwrap_or_else(|| DEFAULT_HOST.to_string())
}

/// The daemon's default address on this platform.
#[cfg(unix)]
pub const DEFAULT_HOST: &str = "unix:///var/run/docker.sock";
/// The daemon's default address on this platform.
#[cfg(windows)]
pub const DEFAULT_HOST: &str = "npipe:////./pipe/docker_engine";

/// Connect to the daemon and negotiate the API version (bounded by [`CONNECT_TIMEOUT`]).
pub async fn connect() -> Result<Docker, String> {
    let host = docker_host();
    let docker = Docker::connect_with_defaults().map_err(|e| match e {
        bollard::errors::Error::UnsupportedURISchemeError { .. } => {
            format!("DOCKER_HOST `{host}` is not supported (use unix:// or tcp://): {e}")
        }
        e => format!("Docker daemon not reachable at {host}: {e}"),
    })?;
    match tokio::time::timeout(CONNECT_TIMEOUT, docker.negotiate_version()).await {
        Ok(Ok(docker)) => Ok(docker),
        Ok(Err(err)) => Err(format!("Docker daemon not reachable at {host}: {err}")),
        Err(_) => Err(format!(
            "Docker daemon at {host} did not answer within {}s",
            CONNECT_TIMEOUT.as_secs()
        )),
    }
}

/// Shared Docker state of one proxy instance.
#[derive(Debug)]
pub struct DockerRuntime {
    config: RwLock<Option<DockerIsolationConfig>>,
    instance: String,
    /// Event bus (image pull progress, server changes).
    pub events: EventBus,
    swept: watch::Sender<bool>,
}

impl DockerRuntime {
    /// Runtime for the instance owning `data_dir`; no sweep pending.
    pub fn new(data_dir: &Path, events: EventBus) -> Self {
        Self {
            config: RwLock::new(None),
            instance: instance_id(data_dir),
            events,
            swept: watch::channel(true).0,
        }
    }

    /// Replace the global `docker_isolation` settings (used for servers started afterwards).
    pub fn set_config(&self, config: Option<DockerIsolationConfig>) {
        *self.config.write().unwrap_or_else(|e| e.into_inner()) = config;
    }

    /// Current global settings.
    pub fn config(&self) -> Option<DockerIsolationConfig> {
        self.config
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    /// Label value of this instance.
    pub fn instance_id(&self) -> &str {
        &self.instance
    }

    /// Labels for a container running `server`.
    pub fn labels(&self, server: &str) -> HashMap<String, String> {
        HashMap::from([
            (LABEL_MANAGED.to_string(), "true".to_string()),
            (LABEL_INSTANCE.to_string(), self.instance.clone()),
            (LABEL_SERVER.to_string(), server.to_string()),
        ])
    }

    /// Start removing leftover containers of this instance (from a crashed run) in the
    /// background; isolated servers wait for it before creating containers.
    pub fn start_sweep(self: &std::sync::Arc<Self>) {
        self.swept.send_replace(false);
        let me = self.clone();
        tokio::spawn(async move {
            match tokio::time::timeout(SWEEP_TIMEOUT, me.sweep()).await {
                Ok(Ok(0)) => {}
                Ok(Ok(n)) => tracing::info!(removed = n, "removed leftover mcpproxy containers"),
                Ok(Err(err)) => tracing::debug!(%err, "no container sweep"),
                Err(_) => tracing::warn!("container sweep timed out"),
            }
            me.swept.send_replace(true);
        });
    }

    /// Resolves once no sweep is pending.
    pub async fn wait_swept(&self) {
        let mut rx = self.swept.subscribe();
        let _ = rx.wait_for(|done| *done).await;
    }

    /// Remove every container labelled with this instance; returns how many.
    pub async fn sweep(&self) -> Result<usize, String> {
        let docker = connect().await?;
        self.remove_matching(&docker, None).await
    }

    /// Remove every container of this instance running `server` (leftovers after a stop).
    pub async fn remove_server_containers(&self, server: &str) -> Result<usize, String> {
        let docker = connect().await?;
        self.remove_matching(&docker, Some(server)).await
    }

    async fn remove_matching(
        &self,
        docker: &Docker,
        server: Option<&str>,
    ) -> Result<usize, String> {
        let found = self.list(docker, server).await?;
        let mut removed = 0;
        for c in &found {
            let opts = RemoveContainerOptionsBuilder::default().force(true).build();
            match docker.remove_container(&c.id, Some(opts)).await {
                Ok(()) => removed += 1,
                Err(bollard::errors::Error::DockerResponseServerError {
                    status_code: 404 | 409,
                    ..
                }) => {}
                Err(err) => tracing::warn!(container = %c.id, %err, "cannot remove container"),
            }
        }
        Ok(removed)
    }

    /// Containers of this instance (optionally only those running `server`).
    pub async fn list(
        &self,
        docker: &Docker,
        server: Option<&str>,
    ) -> Result<Vec<ManagedContainer>, String> {
        let mut labels = vec![format!("{LABEL_INSTANCE}={}", self.instance)];
        if let Some(server) = server {
            labels.push(format!("{LABEL_SERVER}={server}"));
        }
        let filters = HashMap::from([("label".to_string(), labels)]);
        let opts = ListContainersOptionsBuilder::default()
            .all(true)
            .filters(&filters)
            .build();
        let list = docker
            .list_containers(Some(opts))
            .await
            .map_err(|e| format!("cannot list containers: {e}"))?;
        Ok(list
            .into_iter()
            .filter_map(|c| {
                let labels = c.labels.unwrap_or_default();
                Some(ManagedContainer {
                    id: c.id?,
                    server: labels.get(LABEL_SERVER).cloned().unwrap_or_default(),
                    image: c.image.unwrap_or_default(),
                    state: c.state.map(|s| s.to_string()).unwrap_or_default(),
                    status: c.status.unwrap_or_default(),
                })
            })
            .collect())
    }

    /// Daemon availability, versions and this instance's containers.
    pub async fn status(&self) -> DockerStatus {
        let mut status = DockerStatus {
            isolation_enabled: self.config().is_some_and(|c| c.enabled),
            available: false,
            host: docker_host(),
            server_version: None,
            api_version: None,
            error: None,
            instance_id: self.instance.clone(),
            containers: Vec::new(),
        };
        let docker = match connect().await {
            Ok(docker) => docker,
            Err(err) => {
                status.error = Some(err);
                return status;
            }
        };
        status.available = true;
        status.api_version = Some(docker.client_version().to_string());
        match tokio::time::timeout(CONNECT_TIMEOUT, docker.version()).await {
            Ok(Ok(v)) => status.server_version = v.version,
            Ok(Err(err)) => status.error = Some(format!("cannot read the daemon version: {err}")),
            Err(_) => status.error = Some("the daemon version request timed out".into()),
        }
        match tokio::time::timeout(CONNECT_TIMEOUT, self.list(&docker, None)).await {
            Ok(Ok(list)) => status.containers = list,
            Ok(Err(err)) => status.error = Some(err),
            Err(_) => status.error = Some("listing containers timed out".into()),
        }
        status
    }
}
