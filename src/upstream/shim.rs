//! A tiny supervisor process between the core and each stdio upstream (Linux).
//!
//! The core starts `<mcpproxy> __upstream-shim -- COMMAND ARGS…`. The shim asks the kernel to
//! send it SIGTERM when the core dies (`PR_SET_PDEATHSIG`) and starts the real server as the
//! leader of a new process group with the same stdin/stdout/stderr. When the shim gets
//! SIGTERM/SIGINT/SIGHUP — from the core's shutdown or the core's death — it signals the server's
//! whole group, so `npx`/`uvx` grandchildren die too, escalating to SIGKILL after a short grace
//! period. When the server exits on its own, the shim kills what is left of its group and exits
//! with the server's status.

use std::ffi::OsString;
use std::time::Duration;
#[cfg(target_os = "linux")]
use std::time::Instant;

/// Hidden first argument that turns the binary into the shim.
pub const SHIM_ARG: &str = "__upstream-shim";
/// Environment variable carrying the core's pid (detects a core that died before prctl).
pub const PARENT_ENV: &str = "MCPPROXY_SHIM_PARENT";
/// Grace period between SIGTERM and SIGKILL of the group after a stop request.
pub const GRACE: Duration = Duration::from_millis(1500);

/// Run the shim and exit if this process was started as one; otherwise return.
/// Call this first thing in `main` of every binary that hosts the core.
pub fn run_if_requested() {
    let args: Vec<OsString> = std::env::args_os().collect();
    if args.get(1).is_some_and(|a| a == SHIM_ARG) {
        let rest = match args.get(2) {
            Some(sep) if sep == "--" => &args[3..],
            _ => &args[2..],
        };
        std::process::exit(run(rest));
    }
}

#[cfg(target_os = "linux")]
fn run(command: &[OsString]) -> i32 {
    use nix::sys::signal::{killpg, SigSet, Signal};
    use nix::sys::wait::{waitpid, WaitPidFlag, WaitStatus};
    use nix::unistd::{getppid, Pid};
    use std::os::unix::process::CommandExt;

    let Some((program, args)) = command.split_first() else {
        eprintln!("mcpproxy shim: no command given");
        return 127;
    };
    let mut signals = SigSet::empty();
    for signal in [
        Signal::SIGTERM,
        Signal::SIGINT,
        Signal::SIGHUP,
        Signal::SIGCHLD,
    ] {
        signals.add(signal);
    }
    if let Err(err) = signals.thread_block() {
        eprintln!("mcpproxy shim: cannot block signals: {err}");
        return 127;
    }
    let _ = nix::sys::prctl::set_pdeathsig(Signal::SIGTERM);
    if let Some(parent) = std::env::var(PARENT_ENV)
        .ok()
        .and_then(|p| p.parse::<i32>().ok())
    {
        if getppid().as_raw() != parent {
            // The core died before the death signal was armed.
            return 143;
        }
    }
    let mut cmd = std::process::Command::new(program);
    cmd.args(args).env_remove(PARENT_ENV).process_group(0);
    let unblock = signals;
    // SAFETY: only async-signal-safe calls (sigprocmask) run between fork and exec.
    unsafe {
        cmd.pre_exec(move || {
            unblock
                .thread_unblock()
                .map_err(|e| std::io::Error::from_raw_os_error(e as i32))
        });
    }
    let child = match cmd.spawn() {
        Ok(child) => child,
        Err(err) => {
            eprintln!("cannot start `{}`: {err}", program.to_string_lossy());
            return 127;
        }
    };
    // The server owns stdin/stdout now; drop our copies so EOF propagates.
    release_stdio();
    let child_pid = Pid::from_raw(child.id() as i32);
    let group = child_pid;
    let exit_code = |status: WaitStatus| match status {
        WaitStatus::Exited(_, code) => code,
        WaitStatus::Signaled(_, signal, _) => 128 + signal as i32,
        _ => 1,
    };
    loop {
        let Ok(signal) = signals.wait() else { continue };
        if signal == Signal::SIGCHLD {
            match waitpid(child_pid, Some(WaitPidFlag::WNOHANG)) {
                Ok(WaitStatus::StillAlive) | Err(_) => continue,
                Ok(status) => {
                    // The server is gone: nothing of its group may outlive it.
                    let _ = killpg(group, Signal::SIGKILL);
                    return exit_code(status);
                }
            }
        }
        // Stop request (core shutdown or core death): signal the whole group.
        let _ = killpg(group, Signal::SIGTERM);
        let deadline = Instant::now() + GRACE;
        let status = loop {
            match waitpid(child_pid, Some(WaitPidFlag::WNOHANG)) {
                Ok(WaitStatus::StillAlive) if Instant::now() < deadline => {
                    std::thread::sleep(Duration::from_millis(20))
                }
                Ok(WaitStatus::StillAlive) => break None,
                Ok(status) => break Some(status),
                Err(_) => break None,
            }
        };
        let _ = killpg(group, Signal::SIGKILL);
        return status.map(exit_code).unwrap_or(137);
    }
}

#[cfg(target_os = "linux")]
fn release_stdio() {
    if let Ok(null) = std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .open("/dev/null")
    {
        use std::os::fd::AsRawFd;
        // SAFETY: dup2 onto the standard descriptors of this single-threaded process.
        unsafe {
            libc::dup2(null.as_raw_fd(), 0);
            libc::dup2(null.as_raw_fd(), 1);
        }
    }
}

#[cfg(not(target_os = "linux"))]
fn run(_command: &[OsString]) -> i32 {
    eprintln!("mcpproxy shim: only supported on Linux");
    127
}
