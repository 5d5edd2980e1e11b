//! The shim's main loop on Linux: spawn the server, wait for signals, end the whole tree.

use super::tree::{self, FileId};
use super::PARENT_ENV;
use nix::sys::signal::{kill, killpg, SigSet, Signal};
use nix::sys::wait::{waitpid, WaitPidFlag, WaitStatus};
use nix::unistd::{getpid, getppid, Pid};
use std::ffi::OsString;
use std::os::unix::process::CommandExt;
use std::time::{Duration, Instant};

/// Run `command` under the shim; returns the shim's exit code.
pub fn run(grace: Duration, command: &[OsString]) -> i32 {
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
        Signal::SIGUSR1,
        Signal::SIGUSR2,
        Signal::SIGURG,
    ] {
        signals.add(signal);
    }
    if let Err(err) = signals.thread_block() {
        eprintln!("mcpproxy shim: cannot block signals: {err}");
        return 127;
    }
    let _ = nix::sys::prctl::set_pdeathsig(Signal::SIGTERM);
    // Orphaned descendants (double forks, `setsid` helpers whose parent exited) become ours.
    if let Err(err) = nix::sys::prctl::set_child_subreaper(true) {
        eprintln!("mcpproxy shim: cannot become a child subreaper: {err}");
    }
    if let Some(parent) = std::env::var(PARENT_ENV)
        .ok()
        .and_then(|p| p.parse::<i32>().ok())
    {
        if getppid().as_raw() != parent {
            // The core died before the death signal was armed.
            return 143;
        }
    }
    // The server's stdin/stdout, to recognise the server process later.
    let pipes = (FileId::of_fd(0), FileId::of_fd(1));
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
    let mut shim = Shim {
        me: getpid(),
        child: Pid::from_raw(child.id() as i32),
        child_status: None,
    };
    let mut watched: Option<i32> = None;
    // Set by the core's SIGUSR2 before it closes the server's stdin: from then on the server
    // exiting is the expected end of a graceful stop, and its wrapper may take its time.
    let mut closing = false;
    loop {
        let Ok(signal) = signals.wait() else { continue };
        match signal {
            Signal::SIGCHLD => {
                if let Some(status) = shim.reap() {
                    // The server is gone: nothing it started may outlive it.
                    shim.end_tree(Duration::ZERO);
                    return exit_code(status);
                }
            }
            Signal::SIGUSR1 if watched.is_none() => {
                // The core completed `initialize`: find the server process behind wrappers.
                if let (Some(stdin), Some(stdout)) = pipes {
                    let server = tree::find_server(shim.me.as_raw(), stdin, stdout);
                    if let Some(server) = server.filter(|&s| s != shim.child.as_raw()) {
                        let me = shim.me;
                        if tree::on_exit(server, move || {
                            let _ = kill(me, Signal::SIGURG);
                        })
                        .is_ok()
                        {
                            watched = Some(server);
                        }
                    }
                }
            }
            Signal::SIGUSR2 => closing = true,
            Signal::SIGURG if !closing => {
                if let Some(server) = watched {
                    eprintln!(
                        "mcpproxy: the server process (pid {server}) exited; ending the processes its wrapper left running"
                    );
                    shim.end_tree(Duration::ZERO);
                    return 1;
                }
            }
            Signal::SIGTERM | Signal::SIGINT | Signal::SIGHUP => {
                // Stop request (core shutdown or core death).
                shim.end_tree(grace);
                return shim.child_status.map(exit_code).unwrap_or(143);
            }
            _ => {}
        }
    }
}

struct Shim {
    me: Pid,
    /// The direct child (leader of the server's process group).
    child: Pid,
    child_status: Option<WaitStatus>,
}

impl Shim {
    /// Reap every exited child (ours and adopted orphans); the direct child's status once it
    /// has exited.
    fn reap(&mut self) -> Option<WaitStatus> {
        loop {
            match waitpid(None, Some(WaitPidFlag::WNOHANG)) {
                Ok(WaitStatus::StillAlive) | Err(_) => break,
                Ok(status) => {
                    if status.pid() == Some(self.child) {
                        self.child_status = Some(status);
                    }
                }
            }
        }
        self.child_status
    }

    /// End every descendant: SIGTERM to the server's group and to each descendant (also those
    /// in other groups or sessions), up to `grace` for them to exit, then SIGKILL until none is
    /// left.
    fn end_tree(&mut self, grace: Duration) {
        let me = self.me.as_raw();
        if !grace.is_zero() {
            let _ = killpg(self.child, Signal::SIGTERM);
            for pid in tree::descendants(me) {
                let _ = kill(Pid::from_raw(pid), Signal::SIGTERM);
            }
            let deadline = Instant::now() + grace;
            loop {
                self.reap();
                if tree::descendants(me).is_empty() || Instant::now() >= deadline {
                    break;
                }
                std::thread::sleep(Duration::from_millis(20));
            }
        }
        // Bounded: a fork bomb could outpace us, but each round kills everything seen.
        for _ in 0..200 {
            let _ = killpg(self.child, Signal::SIGKILL);
            let left = tree::descendants(me);
            for &pid in &left {
                let _ = kill(Pid::from_raw(pid), Signal::SIGKILL);
            }
            self.reap();
            if left.is_empty() {
                break;
            }
            std::thread::sleep(Duration::from_millis(5));
        }
        self.reap();
    }
}

fn exit_code(status: WaitStatus) -> i32 {
    match status {
        WaitStatus::Exited(_, code) => code,
        WaitStatus::Signaled(_, signal, _) => 128 + signal as i32,
        _ => 1,
    }
}

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
