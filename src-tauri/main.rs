//! `mcpproxy-tray`: the desktop app. Runs the proxy core in this process (on Tauri's async
//! runtime), shows its state in a tray menu and opens per-server Headers & Environment
//! editor windows. Same config and data-dir rules as `mcpproxy serve`.
#![cfg_attr(not(debug_assertions), windows_subsystem = "windows")]

mod open;
mod tray;
mod windows;

use clap::Parser;
use mcpproxy::core::CoreOptions;
use mcpproxy::runner::Setup;
use mcpproxy::shell::Shell;
use std::path::PathBuf;
use std::sync::Arc;
use tauri::{Manager, RunEvent};

/// Command-line options of the tray app.
#[derive(Debug, Parser)]
#[command(
    name = "mcpproxy-tray",
    version,
    about = "MCPProxy tray app (runs the proxy core)"
)]
struct Args {
    /// Config file (default: ~/.mcpproxy/mcp_config.json).
    #[arg(long, env = "MCPPROXY_CONFIG")]
    config: Option<PathBuf>,
    /// Data directory (default: the config file's directory).
    #[arg(long, env = "MCPPROXY_DATA_DIR")]
    data_dir: Option<PathBuf>,
    /// Override `listen` for this run (e.g. 127.0.0.1:8081); not saved.
    #[arg(long, env = "MCPPROXY_LISTEN")]
    listen: Option<String>,
    /// Override the log level (error, warn, info, debug, trace).
    #[arg(long)]
    log_level: Option<String>,
    /// Open the Headers & Environment editor of this server once the core is up.
    #[arg(long, value_name = "SERVER")]
    edit: Option<String>,
}

fn main() {
    mcpproxy::upstream::shim::run_if_requested();
    let args = Args::parse();
    let setup = match Setup::load(args.config, args.data_dir) {
        Ok(setup) => setup,
        Err(err) => {
            eprintln!("error: {err:#}");
            std::process::exit(2);
        }
    };
    // One core per data directory: the lock lives as long as this process.
    let _instance = match mcpproxy::instance_lock::InstanceLock::acquire(
        &setup.data_dir,
        args.listen.as_deref().unwrap_or(&setup.config.listen),
    ) {
        Ok(lock) => lock,
        Err(err) => {
            eprintln!("error: {err}");
            std::process::exit(2);
        }
    };
    mcpproxy::cli::serve::init_tracing(
        args.log_level
            .as_deref()
            .unwrap_or(&setup.config.logging.level),
    );
    let options = CoreOptions {
        shim_program: std::env::current_exe().ok(),
    };
    let shell = Shell::new(setup, args.listen, options);
    let edit = args.edit;
    let app = tauri::Builder::default()
        .setup({
            let shell = shell.clone();
            move |app| {
                app.manage(shell.clone());
                tray::install(app.handle(), shell.clone())?;
                start(app.handle().clone(), shell, edit);
                Ok(())
            }
        })
        .build(tauri::generate_context!("tauri.conf.json"))
        .unwrap_or_else(|err| {
            eprintln!("error: cannot start the desktop app: {err}");
            std::process::exit(1);
        });
    app.run(move |_app, event| match event {
        // Closing the last editor window keeps the tray running; only Quit exits.
        RunEvent::ExitRequested {
            code: None, api, ..
        } => api.prevent_exit(),
        // Safety net for any other way out: stop the core (a no-op after Quit).
        RunEvent::Exit => tauri::async_runtime::block_on(shell.quit()),
        _ => {}
    });
}

/// Start the core in the background; stop gracefully on SIGTERM/SIGINT.
fn start(app: tauri::AppHandle, shell: Arc<Shell>, edit: Option<String>) {
    tauri::async_runtime::spawn({
        let shell = shell.clone();
        let app = app.clone();
        async move {
            let phase = shell.start().await;
            tracing::info!(?phase, "core start-up");
            if let (Some(server), mcpproxy::shell::Phase::Running { .. }) = (edit, phase) {
                if let Err(err) = windows::open_editor(&app, &shell, &server) {
                    tracing::warn!("cannot open the editor of `{server}`: {err}");
                }
            }
        }
    });
    tauri::async_runtime::spawn(async move {
        mcpproxy::server::termination_signal().await;
        tracing::info!("signal received; shutting down");
        shell.quit().await;
        app.exit(0);
    });
}
