//! `mcpproxy serve`: load (or create) the config and run the core until SIGINT/SIGTERM.

use crate::config::{self, CONFIG_FILE_NAME};
use crate::core::{Core, CoreOptions};
use crate::server;
use clap::Args;
use std::path::PathBuf;

/// Options of `serve`.
#[derive(Debug, Args)]
pub struct ServeArgs {
    /// Override `listen` (e.g. 127.0.0.1:8080; port 0 picks a free port).
    #[arg(long, env = "MCPPROXY_LISTEN")]
    pub listen: Option<String>,
    /// Override the log level (error, warn, info, debug, trace).
    #[arg(long)]
    pub log_level: Option<String>,
}

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

fn init_tracing(level: &str) {
    let filter = tracing_subscriber::EnvFilter::try_from_env("MCPPROXY_LOG").unwrap_or_else(|_| {
        tracing_subscriber::EnvFilter::new(format!("{level},rmcp=warn,tantivy=warn"))
    });
    // bollard logs request bodies (container env = resolved secrets) and stdio at debug.
    let filter = filter.add_directive("bollard=warn".parse().expect("static directive"));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .try_init();
}

/// Run the core; returns the exit code.
pub fn run(config: Option<PathBuf>, data_dir: Option<PathBuf>, args: ServeArgs) -> i32 {
    let (config_path, data_dir_flag) = resolve_paths(config, data_dir);
    let loaded = match config::load_or_create(&config_path) {
        Ok(loaded) => loaded,
        Err(err) => {
            eprintln!("error: {err:#}");
            return 2;
        }
    };
    let cfg = loaded.config;
    let data_dir = cfg.data_dir.clone().unwrap_or(data_dir_flag);
    if let Err(err) = config::ensure_private_dir(&data_dir) {
        eprintln!(
            "error: cannot create data directory {}: {err}",
            data_dir.display()
        );
        return 2;
    }
    // The override is not written into the config (saves keep the file's `listen`).
    let listen = args.listen.unwrap_or_else(|| cfg.listen.clone());
    init_tracing(args.log_level.as_deref().unwrap_or(&cfg.logging.level));
    if loaded.created {
        tracing::info!(path = %config_path.display(), "created a default config");
    }
    let runtime = match tokio::runtime::Runtime::new() {
        Ok(rt) => rt,
        Err(err) => {
            eprintln!("error: cannot start the async runtime: {err}");
            return 1;
        }
    };
    runtime.block_on(async move {
        let listener = match server::bind(&listen, &config_path).await {
            Ok(listener) => listener,
            Err(err) => {
                eprintln!("error: {err:#}");
                return 2;
            }
        };
        let addr = listener
            .local_addr()
            .map(|a| a.to_string())
            .unwrap_or_default();
        let stop = server::termination_signal();
        let options = CoreOptions {
            shim_program: std::env::current_exe().ok(),
        };
        let core = Core::start_with(cfg, config_path.clone(), data_dir, options).await;
        println!(
            "mcpproxy listening on http://{addr}/mcp (config: {})",
            config_path.display()
        );
        use std::io::Write;
        let _ = std::io::stdout().flush();
        match server::run(core, listener, stop).await {
            Ok(()) => 0,
            Err(err) => {
                eprintln!("error: {err:#}");
                1
            }
        }
    })
}
