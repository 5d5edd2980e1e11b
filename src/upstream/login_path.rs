//! The login shell's `PATH` for stdio upstreams (macOS apps started from Finder or at login).
//!
//! An app launched by launchd gets a bare `PATH` (`/usr/bin:/bin:/usr/sbin:/sbin`): `npx`,
//! `uvx` and `node` from Homebrew, nvm or `~/.local/bin` are "not found". Like the reference,
//! the core asks the user's login shell once at start — `$SHELL -l -c 'printf …"$PATH"'`,
//! bounded by [`TIMEOUT`] — and puts its entries in front of the inherited `PATH`, so
//! commands are found and the servers' own children (`node` for `npx`) find theirs.
//!
//! When: on macOS when stdin is not a terminal (started from a terminal, the shell's `PATH` is
//! already there). `MCPPROXY_LOGIN_SHELL_PATH=1` forces it on any Unix, `=0` turns it off.

use std::ffi::OsString;
use std::io::Read;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// Environment switch: `1` always ask the login shell, `0` never.
pub const SWITCH_ENV: &str = "MCPPROXY_LOGIN_SHELL_PATH";
/// Bound on the login shell's answer (a slow rc file must not stall the start).
pub const TIMEOUT: Duration = Duration::from_secs(5);

const START: &str = "__MCPPROXY_PATH_START__";
const END: &str = "__MCPPROXY_PATH_END__";

/// Put the login shell's `PATH` in front of this process's `PATH` when [`wanted`]. Call at start,
/// before other threads exist (it changes the process environment).
pub fn apply_at_start() {
    if !wanted() {
        return;
    }
    let Some(shell) = std::env::var_os("SHELL").filter(|s| !s.is_empty()) else {
        tracing::debug!("SHELL is not set; keeping the inherited PATH");
        return;
    };
    match ask_login_shell(Path::new(&shell), TIMEOUT) {
        Ok(login) => {
            let current = std::env::var_os("PATH").unwrap_or_default();
            let merged = merge(&login, &current);
            tracing::info!(shell = %Path::new(&shell).display(), "using the login shell's PATH for stdio servers");
            // SAFETY (edition-2024 rule): called at start, before the runtime's threads exist.
            std::env::set_var("PATH", merged);
        }
        Err(why) => tracing::warn!(
            shell = %Path::new(&shell).display(),
            "could not read the login shell's PATH ({why}); stdio servers use the inherited PATH"
        ),
    }
}

/// Whether to ask the login shell (see the module docs).
fn wanted() -> bool {
    match std::env::var(SWITCH_ENV).as_deref() {
        Ok("1") => cfg!(unix),
        Ok("0") => false,
        _ => {
            use std::io::IsTerminal;
            cfg!(target_os = "macos") && !std::io::stdin().is_terminal()
        }
    }
}

/// Run `shell -l -c` printing `PATH` between markers (rc files may print banners); kill it
/// after `timeout`.
pub fn ask_login_shell(shell: &Path, timeout: Duration) -> Result<String, String> {
    let script = format!("printf '%s%s%s' '{START}' \"$PATH\" '{END}'");
    let mut command = Command::new(shell);
    command
        .args(["-l", "-c", &script])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null());
    // Own process group, so a timeout also ends whatever the rc files started.
    #[cfg(unix)]
    std::os::unix::process::CommandExt::process_group(&mut command, 0);
    let mut child = command
        .spawn()
        .map_err(|e| format!("cannot start it: {e}"))?;
    let mut stdout = child.stdout.take().expect("piped stdout");
    let reader = std::thread::spawn(move || {
        let mut out = String::new();
        let _ = stdout.read_to_string(&mut out);
        out
    });
    let deadline = Instant::now() + timeout;
    loop {
        match child.try_wait() {
            Ok(Some(_)) => break,
            Ok(None) if Instant::now() < deadline => std::thread::sleep(Duration::from_millis(10)),
            _ => {
                #[cfg(unix)]
                if let Ok(pgid) = i32::try_from(child.id()) {
                    // SAFETY: plain syscall on the group this function created.
                    unsafe { libc::killpg(pgid, libc::SIGKILL) };
                }
                let _ = child.kill();
                let _ = child.wait();
                return Err(format!("no answer within {}s", timeout.as_secs()));
            }
        }
    }
    // The shell exited; a background job it left may still hold stdout, so bound the read too.
    let out = wait_thread(reader, Duration::from_secs(1)).unwrap_or_default();
    let path = out
        .split_once(START)
        .and_then(|(_, rest)| rest.split_once(END))
        .map(|(path, _)| path.to_string())
        .ok_or_else(|| "it printed no PATH".to_string())?;
    if path.trim().is_empty() {
        return Err("its PATH is empty".into());
    }
    Ok(path)
}

fn wait_thread(handle: std::thread::JoinHandle<String>, within: Duration) -> Option<String> {
    let deadline = Instant::now() + within;
    while !handle.is_finished() && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(5));
    }
    handle.is_finished().then(|| handle.join().ok()).flatten()
}

/// `login` entries first, then `current` entries not already present.
fn merge(login: &str, current: &std::ffi::OsStr) -> OsString {
    let mut entries: Vec<std::path::PathBuf> = std::env::split_paths(login).collect();
    for entry in std::env::split_paths(current) {
        if !entries.contains(&entry) {
            entries.push(entry);
        }
    }
    std::env::join_paths(entries).unwrap_or_else(|_| current.to_os_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[cfg(unix)]
    #[test]
    fn login_entries_come_first_without_duplicates() {
        let merged = merge("/opt/homebrew/bin:/usr/bin", "/usr/bin:/bin".as_ref());
        assert_eq!(merged, OsString::from("/opt/homebrew/bin:/usr/bin:/bin"));
    }
}
