//! Command-line interface (`mcpproxy …`).

pub mod api;
pub mod auth;
pub mod serve;

use clap::{Parser, Subcommand};
use std::path::PathBuf;

/// MCPProxy: one local MCP endpoint in front of all your MCP servers.
#[derive(Debug, Parser)]
#[command(name = "mcpproxy", version, about)]
pub struct Cli {
    /// Config file (default: <data-dir>/mcp_config.json).
    #[arg(long, global = true, env = "MCPPROXY_CONFIG")]
    pub config: Option<PathBuf>,
    /// Data directory (default: ~/.mcpproxy).
    #[arg(long, global = true, env = "MCPPROXY_DATA_DIR")]
    pub data_dir: Option<PathBuf>,
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// Subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the proxy core headless (MCP endpoint on `listen`).
    Serve(serve::ServeArgs),
    /// OAuth for upstream servers: login, status, logout (talks to the running core).
    Auth(auth::AuthArgs),
}

/// Run the parsed command; returns the process exit code.
pub fn run(cli: Cli) -> i32 {
    match cli.command {
        Command::Serve(args) => serve::run(cli.config, cli.data_dir, args),
        Command::Auth(args) => auth::run(cli.config, cli.data_dir, args),
    }
}
