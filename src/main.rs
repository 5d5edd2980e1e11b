//! `mcpproxy` binary: CLI and headless core.

use clap::Parser;

fn main() {
    let cli = mcpproxy::cli::Cli::parse();
    std::process::exit(mcpproxy::cli::run(cli));
}
