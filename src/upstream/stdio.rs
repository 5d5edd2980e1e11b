//! stdio upstreams: the child process, its cleanup and stderr captured to a log file.
//!
//! Unix (this file): the child leads its own process group (under the Linux shim), ended with
//! SIGTERM then SIGKILL. Windows: [`super::stdio_windows`] puts it in a Job Object instead
//! (its parity with the shutdown steps here — `server_ready`, `closing`, `shut_down` — is
//! still to come; the Windows build is not checked in CI yet, see docs/platforms.md).

use crate::upstream::logfile::ServerLog;
use std::path::Path;
#[cfg(unix)]
use std::process::Stdio;
use std::time::Duration;

/// What is needed to start a stdio server (secrets already resolved).
#[derive(Debug, Clone)]
pub struct StdioSpec {
    /// Executable.
    pub command: String,
    /// Arguments.
    pub args: Vec<String>,
    /// The child's whole environment (see [`super::child_env`]); nothing else is inherited.
    pub env: Vec<(String, String)>,
    /// Working directory.
    pub working_dir: Option<std::path::PathBuf>,
    /// Program to run as [`super::shim`] between us and the server (Linux), if any.
    pub shim: Option<Shim>,
}

/// The [`super::shim`] program and its SIGTERM→SIGKILL grace period.
#[derive(Debug, Clone)]
pub struct Shim {
    /// Executable that understands [`super::shim::SHIM_ARG`].
    pub program: std::path::PathBuf,
    /// Time between SIGTERM and SIGKILL of the server's tree.
    pub grace: Duration,
}

pub use super::command_path::resolve_command;

#[cfg(windows)]
pub use super::stdio_windows::{spawn, terminate_group, GroupRef, ProcessGroup};

/// A spawned stdio server: the MCP transport plus the process group to clean up.
pub struct SpawnedStdio {
    /// The child's stdout and stdin (an rmcp transport as a pair).
    pub transport: (tokio::process::ChildStdout, tokio::process::ChildStdin),
    /// The direct child's process group; ends the group when dropped.
    pub group: ProcessGroup,
    /// The task copying stderr to the log; ends at EOF.
    pub stderr_task: Option<tokio::task::JoinHandle<()>>,
}

/// The program to start for `spec`, after checking its `working_dir` exists.
pub(crate) fn program_of(spec: &StdioSpec) -> std::io::Result<std::path::PathBuf> {
    if let Some(dir) = &spec.working_dir {
        if !dir.is_dir() {
            return Err(std::io::Error::new(
                std::io::ErrorKind::NotFound,
                format!("working_dir {} does not exist", dir.display()),
            ));
        }
    }
    resolve_command(&spec.command, &spec.env)
        .map_err(|msg| std::io::Error::new(std::io::ErrorKind::NotFound, msg))
}

/// Copy the server's stderr, line by line, into its log until end of input.
pub(crate) fn capture_stderr(
    stderr: impl tokio::io::AsyncRead + Unpin + Send + 'static,
    log: ServerLog,
) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        super::stderr_lines::for_each_line(stderr, |line, cut| {
            if cut {
                log.stderr_line_cut(line)
            } else {
                log.stderr_line(line)
            }
        })
        .await;
    })
}

/// Spawn the server in a new process group; stderr lines go to `log`.
#[cfg(unix)]
pub fn spawn(spec: &StdioSpec, log: ServerLog) -> std::io::Result<SpawnedStdio> {
    let program = program_of(spec)?;
    let shimmed = spec.shim.is_some() && cfg!(target_os = "linux");
    let mut command = match &spec.shim {
        Some(shim) if cfg!(target_os = "linux") => {
            let mut command = tokio::process::Command::new(&shim.program);
            command
                .arg(super::shim::SHIM_ARG)
                .arg(super::shim::GRACE_ARG)
                .arg(shim.grace.as_millis().to_string())
                .arg("--")
                .arg(&program);
            command
        }
        _ => tokio::process::Command::new(&program),
    };
    command.args(&spec.args);
    command
        .env_clear()
        .envs(spec.env.iter().map(|(k, v)| (k.as_str(), v.as_str())));
    if shimmed {
        // Read (and removed) by the shim before it starts the server.
        command.env(super::shim::PARENT_ENV, std::process::id().to_string());
    }
    if let Some(dir) = &spec.working_dir {
        command.current_dir(dir);
    }
    // Own process group, so the whole tree can be signalled. (Not process-wrap's
    // ProcessGroup wrapper: its wait() waits for every group member, which would stall a
    // graceful close until a timeout whenever a server leaves helpers running.)
    command.process_group(0);
    // The child is owned here rather than by rmcp's child-process transport: that transport
    // SIGKILLs the direct child when dropped, which would leave the shim no chance to end the
    // server's own group (e.g. a stop during the `initialize` handshake).
    command
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = command.spawn().map_err(|err| {
        std::io::Error::new(
            err.kind(),
            format!("cannot start `{}`: {err}", spec.command),
        )
    })?;
    let pgid = child
        .id()
        .map(|pid| pid as i32)
        .ok_or_else(|| std::io::Error::other("child exited before its pid was read"))?;
    let (Some(stdout), Some(stdin)) = (child.stdout.take(), child.stdin.take()) else {
        return Err(std::io::Error::other("child stdio was not piped"));
    };
    let stderr_task = child
        .stderr
        .take()
        .map(|stderr| capture_stderr(stderr, log));
    Ok(SpawnedStdio {
        transport: (stdout, stdin),
        group: ProcessGroup {
            pgid,
            child: Some(child),
            shimmed,
        },
        stderr_task,
    })
}

/// A stdio server's process group, led by our direct child (the shim on Linux).
///
/// Dropping it while the group is still alive sends SIGTERM to the group — synchronously, so
/// a cancelled connect or a runtime shutting down still asks the shim to end the server's tree
/// (the shim escalates to SIGKILL after its grace period). Orderly paths call
/// [`ProcessGroup::shut_down`] first, which leaves nothing to do here.
#[cfg(unix)]
pub struct ProcessGroup {
    pgid: i32,
    child: Option<tokio::process::Child>,
    /// The direct child is the shim (which ends the server's tree itself).
    shimmed: bool,
}

/// Extra time the core gives the shim beyond its own grace period before SIGKILLing it (the
/// shim needs it to SIGKILL the server's tree; a SIGKILLed shim would orphan it).
#[cfg(unix)]
const SHIM_MARGIN: Duration = Duration::from_secs(2);

#[cfg(unix)]
impl ProcessGroup {
    /// Process group id (== pid of the direct child).
    pub fn pgid(&self) -> i32 {
        self.pgid
    }

    /// Tell the shim that `initialize` succeeded, so it can find the server process behind a
    /// wrapper and report its exit (see [`super::shim`]). No-op without the shim.
    pub fn server_ready(&self) {
        if self.shimmed {
            use nix::sys::signal::{kill, Signal};
            let _ = kill(nix::unistd::Pid::from_raw(self.pgid), Signal::SIGUSR1);
        }
    }

    /// Tell the shim that the core is about to close the connection, so the server exiting
    /// now is a graceful stop rather than a crash. Call before closing stdin; no-op without
    /// the shim.
    pub fn closing(&self) {
        if self.shimmed {
            use nix::sys::signal::{kill, Signal};
            let _ = kill(nix::unistd::Pid::from_raw(self.pgid), Signal::SIGUSR2);
        }
    }

    /// Wait up to `timeout` for the direct child to exit; true when it did.
    pub async fn wait_exit(&mut self, timeout: Duration) -> bool {
        match self.child.as_mut() {
            Some(child) => matches!(tokio::time::timeout(timeout, child.wait()).await, Ok(Ok(_))),
            None => true,
        }
    }

    /// The seed's shutdown, after the connection (and so the server's stdin) was closed: wait
    /// up to `close_timeout` for the server to exit by itself, then SIGTERM its group, and
    /// SIGKILL what is left `kill_grace` later (the shim does both for the server's whole tree,
    /// descendants in other groups included).
    pub async fn shut_down(mut self, close_timeout: Duration, kill_grace: Duration) {
        let exited = self.wait_exit(close_timeout).await;
        if exited && !group_alive(self.pgid) {
            return;
        }
        let grace = if self.shimmed {
            kill_grace + SHIM_MARGIN
        } else {
            kill_grace
        };
        terminate_group(self.pgid, grace).await;
    }
}

#[cfg(unix)]
impl Drop for ProcessGroup {
    fn drop(&mut self) {
        let Some(mut child) = self.child.take() else {
            return;
        };
        // `try_wait` reaps an exited child; otherwise tokio's orphan queue reaps it later.
        if matches!(child.try_wait(), Ok(None)) || group_alive(self.pgid) {
            use nix::sys::signal::{killpg, Signal};
            let _ = killpg(nix::unistd::Pid::from_raw(self.pgid), Signal::SIGTERM);
        }
    }
}

/// True while any live (non-zombie) process of group `pgid` exists.
///
/// Zombies are ignored: once our direct child is gone its helpers are re-parented to init,
/// and an init that reaps slowly would otherwise make a dead group look alive.
#[cfg(unix)]
pub fn group_alive(pgid: i32) -> bool {
    if pgid <= 0 {
        return false;
    }
    #[cfg(target_os = "linux")]
    {
        if let Ok(entries) = std::fs::read_dir("/proc") {
            return entries.flatten().any(|entry| {
                let Some(pid) = entry
                    .file_name()
                    .to_str()
                    .and_then(|n| n.parse::<i32>().ok())
                else {
                    return false;
                };
                std::fs::read_to_string(format!("/proc/{pid}/stat"))
                    .ok()
                    .and_then(|stat| {
                        // Fields after "(comm)": state ppid pgrp …
                        let rest = stat.rsplit_once(')')?.1;
                        let mut fields = rest.split_whitespace();
                        let state = fields.next()?;
                        let _ppid = fields.next()?;
                        let pgrp: i32 = fields.next()?.parse().ok()?;
                        Some(pgrp == pgid && state != "Z" && state != "X")
                    })
                    .unwrap_or(false)
            });
        }
    }
    use nix::sys::signal::killpg;
    use nix::unistd::Pid;
    killpg(Pid::from_raw(pgid), None).is_ok()
}

/// Make sure nothing of group `pgid` survives: SIGTERM, wait up to `grace`, then SIGKILL.
#[cfg(unix)]
pub async fn terminate_group(pgid: i32, grace: Duration) {
    use nix::sys::signal::{killpg, Signal};
    use nix::unistd::Pid;
    if !group_alive(pgid) {
        return;
    }
    let group = Pid::from_raw(pgid);
    let _ = killpg(group, Signal::SIGTERM);
    let deadline = tokio::time::Instant::now() + grace;
    while group_alive(pgid) && tokio::time::Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    if group_alive(pgid) {
        tracing::warn!(pgid, "process group ignored SIGTERM; sending SIGKILL");
        let _ = killpg(group, Signal::SIGKILL);
    }
}

/// Directory-safe file name for a server's log.
pub fn log_file_name(server: &str) -> String {
    let safe: String = server
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '_' || c == '.' {
                c
            } else {
                '_'
            }
        })
        .collect();
    format!("server-{safe}.log")
}

/// Path of a server's log file inside `logs_dir`.
pub fn log_path(logs_dir: &Path, server: &str) -> std::path::PathBuf {
    logs_dir.join(log_file_name(server))
}
