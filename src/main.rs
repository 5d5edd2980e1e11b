//! `mcpproxy` binary: CLI and headless core.

use clap::Parser;

fn main() {
    mcpproxy::upstream::shim::run_if_requested();
    let cli = mcpproxy::cli::Cli::parse();
    if !matches!(cli.command, mcpproxy::cli::Command::Serve(_)) {
        end_quietly_on_closed_stdout();
    }
    std::process::exit(mcpproxy::cli::run(cli));
}

/// A client command piped into `head` ends quietly when the reader goes away, as Unix tools do,
/// instead of panicking on a broken pipe. The core (`serve`) keeps Rust's default (SIGPIPE
/// ignored), so a client that disconnects can never end it; sockets never raise SIGPIPE anyway
/// (std sends with MSG_NOSIGNAL on Linux and sets SO_NOSIGPIPE on macOS).
fn end_quietly_on_closed_stdout() {
    #[cfg(unix)]
    // SAFETY: called once at start-up, before any thread exists; SIG_DFL is a valid disposition.
    unsafe {
        libc::signal(libc::SIGPIPE, libc::SIG_DFL);
    }
}
