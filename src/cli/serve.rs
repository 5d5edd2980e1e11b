//! `mcpproxy serve`: load (or create) the config and run the core until SIGINT/SIGTERM.

use crate::core::CoreOptions;
use crate::runner::{Running, Setup};
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

pub use crate::runner::resolve_paths;

/// Log to stderr at `level` (`MCPPROXY_LOG` wins); rmcp, tantivy and bollard stay quiet.
pub fn init_tracing(level: &str) {
    let filter = tracing_subscriber::EnvFilter::try_from_env("MCPPROXY_LOG").unwrap_or_else(|_| {
        tracing_subscriber::EnvFilter::new(format!("{level},rmcp=warn,tantivy=warn"))
    });
    // bollard logs request bodies (container env = resolved secrets) and stdio at debug.
    let filter = filter.add_directive("bollard=warn".parse().expect("static directive"));
    // Colour codes only for a person at a terminal, never into a file or a pipe.
    let ansi = std::io::IsTerminal::is_terminal(&std::io::stderr());
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(ansi)
        .with_writer(std::io::stderr)
        .try_init();
}

/// Run the core; returns the exit code.
pub fn run(config: Option<PathBuf>, data_dir: Option<PathBuf>, args: ServeArgs) -> i32 {
    let setup = match Setup::load(config, data_dir) {
        Ok(setup) => setup,
        Err(err) => {
            eprintln!("error: {err:#}");
            return 2;
        }
    };
    // The override is not written into the config (saves keep the file's `listen`).
    let listen = args.listen;
    // One core per data directory; held until this function returns (or the process dies).
    let instance = match crate::instance_lock::InstanceLock::acquire(
        &setup.data_dir,
        listen.as_deref().unwrap_or(&setup.config.listen),
    ) {
        Ok(lock) => lock,
        Err(err) => {
            eprintln!("error: {err}");
            return 2;
        }
    };
    init_tracing(
        args.log_level
            .as_deref()
            .unwrap_or(&setup.config.logging.level),
    );
    if setup.created {
        tracing::info!(path = %setup.config_path.display(), "created a default config");
    }
    let runtime = match tokio::runtime::Runtime::new() {
        Ok(rt) => rt,
        Err(err) => {
            eprintln!("error: cannot start the async runtime: {err}");
            return 1;
        }
    };
    runtime.block_on(async move {
        let listener = match setup.bind(listen.as_deref()).await {
            Ok(listener) => listener,
            Err(err) => {
                eprintln!("error: {err:#}");
                return 2;
            }
        };
        let stop = server::termination_signal();
        let config_path = setup.config_path.clone();
        let options = CoreOptions {
            shim_program: std::env::current_exe().ok(),
        };
        let running = Running::start(setup, listener, options).await;
        instance.record_address(&running.addr.to_string());
        println!(
            "mcpproxy listening on {}/mcp (config: {})",
            running.base_url(),
            config_path.display()
        );
        use std::io::Write;
        let _ = std::io::stdout().flush();
        stop.await;
        match running.stop().await {
            Ok(()) => 0,
            Err(err) => {
                eprintln!("error: {err:#}");
                1
            }
        }
    })
}
