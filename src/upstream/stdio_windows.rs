//! stdio upstreams on Windows: each server runs in its own Job Object.
//!
//! The job is created with `JOB_OBJECT_LIMIT_KILL_ON_JOB_CLOSE` (process-wrap's `JobObject` +
//! `KillOnDrop`): when the core exits or is killed, Windows closes the core's handle to the job
//! and ends every process in it — the server and whatever it started (`npx` → `node`, `uvx` →
//! `python`). That is the guarantee the shim (`PR_SET_PDEATHSIG`) and process groups give on
//! Linux. Children start with `CREATE_NO_WINDOW`, so the tray app never flashes console windows.
//!
//! Graceful stop: closing the MCP connection closes the server's stdin (the stdio transport's
//! end-of-input); [`terminate_group`] then waits up to its grace period for the server to exit and
//! terminates the job, which also ends helpers the server left behind.

use super::logfile::ServerLog;
use super::stdio::{capture_stderr, program_of, SpawnedStdio, StdioSpec};
use process_wrap::tokio::{ChildWrapper, CommandWrap, CreationFlags, JobObject, KillOnDrop};
use std::process::Stdio;
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// Bound on reaping the server after its job was terminated.
const REAP_TIMEOUT: Duration = Duration::from_secs(2);

/// Spawn the server in a new Job Object without a console window; stderr lines go to `log`.
pub fn spawn(spec: &StdioSpec, log: ServerLog) -> std::io::Result<SpawnedStdio> {
    let program = program_of(spec)?;
    let mut command = CommandWrap::with_new(&program, |command| {
        command
            .args(&spec.args)
            // Only the allow-listed environment (child_env.rs), never the core's own.
            .env_clear()
            .envs(spec.env.iter().map(|(k, v)| (k.as_str(), v.as_str())))
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        if let Some(dir) = &spec.working_dir {
            command.current_dir(dir);
        }
    });
    command
        .wrap(CreationFlags(
            windows::Win32::System::Threading::CREATE_NO_WINDOW,
        ))
        .wrap(JobObject)
        .wrap(KillOnDrop);
    let mut child = command.spawn().map_err(|err| {
        std::io::Error::new(
            err.kind(),
            format!("cannot start `{}`: {err}", spec.command),
        )
    })?;
    let pid = child.id().unwrap_or_default();
    let (Some(stdout), Some(stdin)) = (child.stdout().take(), child.stdin().take()) else {
        return Err(std::io::Error::other("child stdio was not piped"));
    };
    let stderr_task = child
        .stderr()
        .take()
        .map(|stderr| capture_stderr(stderr, log));
    Ok(SpawnedStdio {
        transport: (stdout, stdin),
        group: ProcessGroup {
            job: Arc::new(Job {
                pid,
                child: Mutex::new(Some(child)),
            }),
        },
        stderr_task,
    })
}

/// A stdio server's Job Object. Dropping the last reference closes the job handle, which ends
/// every process in it at once (kill on job close).
pub struct ProcessGroup {
    job: GroupRef,
}

/// Shared reference to a server's job (what [`ProcessGroup::pgid`] returns on Windows).
pub type GroupRef = Arc<Job>;

/// The server process and the job holding it and its descendants.
pub struct Job {
    pid: u32,
    child: Mutex<Option<Box<dyn ChildWrapper>>>,
}

impl Job {
    /// Process id of the server (the job's first process).
    pub fn pid(&self) -> u32 {
        self.pid
    }

    /// Poll the server: true once it has exited (or the job was already ended).
    fn server_exited(&self) -> bool {
        let mut guard = self.child.lock().unwrap_or_else(|e| e.into_inner());
        match guard.as_mut() {
            Some(child) => exited(child),
            None => true,
        }
    }
}

impl ProcessGroup {
    /// The job, for [`terminate_group`] (the name matches the Unix process-group id).
    pub fn pgid(&self) -> GroupRef {
        self.job.clone()
    }

    /// Unix tells its shim here to watch the server; the job needs no telling.
    pub fn server_ready(&self) {}

    /// Unix marks a graceful close for its shim here; nothing to do for a job.
    pub fn closing(&self) {}

    /// Wait up to `timeout` for the server to exit; true when it did.
    pub async fn wait_exit(&mut self, timeout: Duration) -> bool {
        let deadline = tokio::time::Instant::now() + timeout;
        while !self.job.server_exited() {
            if tokio::time::Instant::now() >= deadline {
                return false;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        true
    }

    /// The seed's shutdown after the connection (so the server's stdin) was closed: wait up
    /// to `close_timeout` for the server to exit, then end the job and everything in it.
    /// (Windows has no SIGTERM to send first, so `kill_grace` has nothing to wait for.)
    pub async fn shut_down(self, close_timeout: Duration, _kill_grace: Duration) {
        terminate_group(self.job, close_timeout).await;
    }
}

/// Wait up to `grace` for the server to exit (its stdin is closed by then), then terminate the
/// job so nothing it started survives, and reap the server.
pub async fn terminate_group(job: GroupRef, grace: Duration) {
    let deadline = tokio::time::Instant::now() + grace;
    while !job.server_exited() && tokio::time::Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let child = job.child.lock().unwrap_or_else(|e| e.into_inner()).take();
    let Some(mut child) = child else {
        return;
    };
    if !exited(&mut child) {
        tracing::warn!(
            pid = job.pid,
            "server did not exit after its input closed; terminating its job"
        );
    }
    // Always: helpers of a server that exited on its own must not outlive it either.
    let _ = child.start_kill();
    let reap_deadline = tokio::time::Instant::now() + REAP_TIMEOUT;
    while !exited(&mut child) && tokio::time::Instant::now() < reap_deadline {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    // Dropping `child` closes the job handle (kill on job close) — the last word.
}

/// True once the server process has exited (or cannot be queried any more).
fn exited(child: &mut Box<dyn ChildWrapper>) -> bool {
    !matches!(child.try_wait(), Ok(None))
}
