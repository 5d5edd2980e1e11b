//! A tiny supervisor process between the core and each stdio upstream (Linux).
//!
//! The core starts `<mcpproxy> __upstream-shim [--grace-ms N] -- COMMAND ARGS…`. The shim makes
//! sure the server's whole process tree ends with it, whatever the core does:
//! * it asks the kernel for SIGTERM when the core dies (`PR_SET_PDEATHSIG`) and becomes a child
//!   subreaper (`PR_SET_CHILD_SUBREAPER`), so every descendant — including helpers that left the
//!   process group with `setsid` or double-forked — stays under it and can be ended;
//! * on SIGTERM/SIGINT/SIGHUP (the core's shutdown, or the core's death) it sends SIGTERM to the
//!   server's process group and every descendant, waits up to the grace period (9 s by default)
//!   and SIGKILLs what is left;
//! * when the server exits, it ends what the server left running and exits, which closes the
//!   pipes the core reads. After the core's SIGUSR1 (sent once `initialize` succeeded) it also
//!   finds the server process behind wrapper shells (`sh -c "helper & server; wait"`) and treats
//!   that process's exit the same way, so the core notices a dead server at once instead of
//!   waiting on a shell that keeps the pipes open. The core's SIGUSR2 (sent before it closes
//!   the server's stdin) turns that watch off, so a graceful stop lets the wrapper finish.
//!
//! The platform-specific parts live in `linux.rs` and `tree.rs`; other platforms run servers
//! without the shim (a Windows Job Object variant is planned).

use std::ffi::OsString;
use std::time::Duration;

#[cfg(target_os = "linux")]
mod linux;
#[cfg(target_os = "linux")]
pub mod tree;

/// Hidden first argument that turns the binary into the shim.
pub const SHIM_ARG: &str = "__upstream-shim";
/// Option before `--`: milliseconds between SIGTERM and SIGKILL of the server's tree.
pub const GRACE_ARG: &str = "--grace-ms";
/// Environment variable carrying the core's pid (detects a core that died before prctl).
pub const PARENT_ENV: &str = "MCPPROXY_SHIM_PARENT";
/// Default grace period between SIGTERM and SIGKILL of the server's tree.
pub const GRACE: Duration = Duration::from_secs(9);

/// Run the shim and exit if this process was started as one; otherwise return.
/// Call this first thing in `main` of every binary that hosts the core.
pub fn run_if_requested() {
    let args: Vec<OsString> = std::env::args_os().collect();
    if args.get(1).is_some_and(|a| a == SHIM_ARG) {
        let (grace, command) = parse(&args[2..]);
        std::process::exit(run(grace, command));
    }
}

/// `[--grace-ms N] [--] COMMAND ARGS…` → (grace, command).
fn parse(args: &[OsString]) -> (Duration, &[OsString]) {
    let mut grace = GRACE;
    let mut rest = args;
    if rest.first().is_some_and(|a| a == GRACE_ARG) {
        if let Some(ms) = rest
            .get(1)
            .and_then(|v| v.to_str())
            .and_then(|v| v.parse::<u64>().ok())
        {
            grace = Duration::from_millis(ms);
        }
        rest = rest.get(2..).unwrap_or(&[]);
    }
    if rest.first().is_some_and(|a| a == "--") {
        rest = &rest[1..];
    }
    (grace, rest)
}

#[cfg(target_os = "linux")]
fn run(grace: Duration, command: &[OsString]) -> i32 {
    linux::run(grace, command)
}

#[cfg(not(target_os = "linux"))]
fn run(_grace: Duration, _command: &[OsString]) -> i32 {
    eprintln!("mcpproxy shim: only supported on Linux");
    127
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_the_grace_and_the_command() {
        let args: Vec<OsString> = ["--grace-ms", "2500", "--", "node", "x"]
            .iter()
            .map(OsString::from)
            .collect();
        let (grace, command) = parse(&args);
        assert_eq!(grace, Duration::from_millis(2500));
        assert_eq!(command, &args[3..]);
        let plain: Vec<OsString> = ["--", "node"].iter().map(OsString::from).collect();
        assert_eq!(parse(&plain), (GRACE, &plain[1..]));
    }
}
