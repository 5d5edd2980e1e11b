//! Start-up shared by `mcpproxy serve` and the tray app: load the config, bind the listener,
//! run the core and its HTTP server, and stop them gracefully.

use crate::config::{self, Config, CONFIG_FILE_NAME};
use crate::core::{Core, CoreOptions};
use crate::server;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use tokio::net::TcpListener;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

/// How many ports after a taken one [`bind_next_free`] tries.
pub const NEXT_PORT_ATTEMPTS: u16 = 50;

/// Where the config and data live, from flags and defaults.
pub fn resolve_paths(config: Option<PathBuf>, data_dir: Option<PathBuf>) -> (PathBuf, PathBuf) {
    match (config, data_dir) {
        (Some(config), Some(data)) => (config, data),
        (Some(config), None) => {
            let data = config
                .parent()
                .filter(|p| !p.as_os_str().is_empty())
                .map(PathBuf::from)
                .unwrap_or_else(config::default_data_dir);
            (config, data)
        }
        (None, Some(data)) => (data.join(CONFIG_FILE_NAME), data),
        (None, None) => {
            let data = config::default_data_dir();
            (data.join(CONFIG_FILE_NAME), data)
        }
    }
}

/// A loaded config with its paths, ready to start a core from.
#[derive(Debug, Clone)]
pub struct Setup {
    /// The config as loaded (the file's `listen`, never a command-line override).
    pub config: Config,
    /// Path of `mcp_config.json`.
    pub config_path: PathBuf,
    /// Data directory (created, private).
    pub data_dir: PathBuf,
    /// True when the config file did not exist and a default one was written.
    pub created: bool,
}

impl Setup {
    /// Load (or create) the config from `--config`/`--data-dir` and create the data directory.
    /// The config's `data_dir` wins over the flag-derived one.
    pub fn load(config: Option<PathBuf>, data_dir: Option<PathBuf>) -> anyhow::Result<Self> {
        let (config_path, data_dir_flag) = resolve_paths(config, data_dir);
        let loaded = config::load_or_create(&config_path)?;
        let data_dir = loaded.config.data_dir.clone().unwrap_or(data_dir_flag);
        config::ensure_private_dir(&data_dir).map_err(|err| {
            anyhow::anyhow!(
                "cannot create data directory {}: {err}; set `data_dir` in {} or pass --data-dir",
                data_dir.display(),
                config_path.display()
            )
        })?;
        Ok(Self {
            config: loaded.config,
            config_path,
            data_dir,
            created: loaded.created,
        })
    }

    /// Directory of the per-server logs.
    pub fn logs_dir(&self) -> PathBuf {
        self.data_dir.join("logs")
    }

    /// Bind `listen` (or the config's `listen` when `None`), explaining failures.
    pub async fn bind(&self, listen: Option<&str>) -> anyhow::Result<TcpListener> {
        server::bind(listen.unwrap_or(&self.config.listen), &self.config_path).await
    }
}

/// True when binding failed because the address is taken.
pub fn is_addr_in_use(err: &anyhow::Error) -> bool {
    err.chain().any(|cause| {
        cause
            .downcast_ref::<std::io::Error>()
            .is_some_and(|io| io.kind() == std::io::ErrorKind::AddrInUse)
    }) || err.to_string().contains("in use")
}

/// Bind the first free port after the one in `listen` (same host), trying
/// [`NEXT_PORT_ATTEMPTS`] ports. `None` when `listen` is not `host:port` or none is free.
pub async fn bind_next_free(listen: &str) -> Option<TcpListener> {
    let addr: SocketAddr = listen.parse().ok()?;
    for offset in 1..=NEXT_PORT_ATTEMPTS {
        let port = addr.port().checked_add(offset)?;
        if let Ok(listener) = TcpListener::bind(SocketAddr::new(addr.ip(), port)).await {
            return Some(listener);
        }
    }
    None
}

/// A core serving HTTP in a background task.
pub struct Running {
    /// The core.
    pub core: Arc<Core>,
    /// Address the HTTP server listens on.
    pub addr: SocketAddr,
    stop: CancellationToken,
    task: JoinHandle<anyhow::Result<()>>,
}

impl Running {
    /// Start the core from `setup` and serve it on `listener` (call inside a tokio runtime).
    pub async fn start(setup: Setup, listener: TcpListener, options: CoreOptions) -> Self {
        let addr = listener
            .local_addr()
            .unwrap_or_else(|_| SocketAddr::from(([127, 0, 0, 1], 0)));
        let core = Core::start_with(setup.config, setup.config_path, setup.data_dir, options).await;
        let stop = CancellationToken::new();
        let stopped = stop.clone().cancelled_owned();
        let task = tokio::spawn(server::run(core.clone(), listener, stopped));
        Self {
            core,
            addr,
            stop,
            task,
        }
    }

    /// `http://ADDR` of the server.
    pub fn base_url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Graceful shutdown: stop accepting, drain HTTP, stop every upstream (process groups
    /// included). Returns when all of that is done.
    pub async fn stop(self) -> anyhow::Result<()> {
        self.stop.cancel();
        self.task
            .await
            .map_err(|err| anyhow::anyhow!("the HTTP server task failed: {err}"))?
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn next_free_port_skips_taken_ones_and_taken_is_recognised() {
        let taken = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = taken.local_addr().unwrap();
        let err = server::bind(
            &addr.to_string(),
            std::path::Path::new("/x/mcp_config.json"),
        )
        .await
        .unwrap_err();
        assert!(is_addr_in_use(&err), "{err:#}");
        let next = bind_next_free(&addr.to_string())
            .await
            .expect("a free port");
        let port = next.local_addr().unwrap().port();
        assert!(port > addr.port() && port <= addr.port() + NEXT_PORT_ATTEMPTS);
        assert!(bind_next_free("not-an-address").await.is_none());
        let bad = server::bind("nonsense", std::path::Path::new("c.json"))
            .await
            .unwrap_err();
        assert!(!is_addr_in_use(&bad), "{bad:#}");
    }

    #[test]
    fn data_dir_defaults_to_the_config_directory() {
        let (config, data) = resolve_paths(Some("/a/b/c.json".into()), None);
        assert_eq!((config, data), ("/a/b/c.json".into(), "/a/b".into()));
        let (config, data) = resolve_paths(None, Some("/d".into()));
        assert_eq!(
            (config, data),
            (PathBuf::from("/d").join(CONFIG_FILE_NAME), "/d".into())
        );
    }
}
