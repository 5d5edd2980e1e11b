//! `mcpproxy` binary: CLI and headless core.

use clap::Parser;

fn main() {
    mcpproxy::upstream::shim::run_if_requested();
    let cli = mcpproxy::cli::Cli::parse();
    std::process::exit(mcpproxy::cli::run(cli));
}
