//! stdio upstreams: child process in its own process group, stderr captured to a log file.

use crate::upstream::logfile::ServerLog;
use process_wrap::tokio::{CommandWrap, ProcessGroup};
use rmcp::transport::TokioChildProcess;
use std::path::Path;
use std::process::Stdio;
use std::time::Duration;
use tokio::io::{AsyncBufReadExt, BufReader};

/// What is needed to start a stdio server (secrets already resolved).
#[derive(Debug, Clone)]
pub struct StdioSpec {
    /// Executable.
    pub command: String,
    /// Arguments.
    pub args: Vec<String>,
    /// Extra environment (added to the core's environment).
    pub env: Vec<(String, String)>,
    /// Working directory.
    pub working_dir: Option<std::path::PathBuf>,
}

/// A spawned stdio server: the MCP transport plus the process group to clean up.
pub struct SpawnedStdio {
    /// rmcp transport over the child's stdin/stdout.
    pub transport: TokioChildProcess,
    /// Process group id (== pid of the direct child).
    pub pgid: i32,
}

/// Spawn the server in a new process group; stderr lines go to `log`.
pub fn spawn(spec: &StdioSpec, log: ServerLog) -> std::io::Result<SpawnedStdio> {
    if let Some(dir) = &spec.working_dir {
        if !dir.is_dir() {
            return Err(std::io::Error::new(
                std::io::ErrorKind::NotFound,
                format!("working_dir {} does not exist", dir.display()),
            ));
        }
    }
    let mut command = tokio::process::Command::new(&spec.command);
    command.args(&spec.args);
    command.envs(spec.env.iter().map(|(k, v)| (k.as_str(), v.as_str())));
    if let Some(dir) = &spec.working_dir {
        command.current_dir(dir);
    }
    let mut wrapped = CommandWrap::from(command);
    wrapped.wrap(ProcessGroup::leader());
    let (transport, stderr) = TokioChildProcess::builder(wrapped)
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|err| {
            std::io::Error::new(
                err.kind(),
                format!("cannot start `{}`: {err}", spec.command),
            )
        })?;
    let pgid = transport
        .id()
        .map(|pid| pid as i32)
        .ok_or_else(|| std::io::Error::other("child exited before its pid was read"))?;
    if let Some(stderr) = stderr {
        tokio::spawn(async move {
            let mut lines = BufReader::new(stderr).lines();
            while let Ok(Some(line)) = lines.next_line().await {
                log.stderr_line(&line);
            }
        });
    }
    Ok(SpawnedStdio { transport, pgid })
}

/// True while any process of group `pgid` exists.
pub fn group_alive(pgid: i32) -> bool {
    use nix::sys::signal::killpg;
    use nix::unistd::Pid;
    pgid > 0 && killpg(Pid::from_raw(pgid), None).is_ok()
}

/// Make sure nothing of group `pgid` survives: SIGTERM, wait up to `grace`, then SIGKILL.
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
