//! The shim's view of the processes under it, read from Linux `/proc`.
//!
//! Descendants are found through parent links (not process groups or sessions), so helpers that
//! called `setsid` are still found; with the shim as child subreaper, orphans are re-parented to
//! it and stay found. [`find_server`] picks the MCP server out of a wrapper's tree.

use std::collections::{HashMap, HashSet};

/// Identity of an open pipe (or any file): device and inode.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FileId {
    dev: u64,
    ino: u64,
}

impl FileId {
    /// What this process's descriptor `fd` refers to.
    pub fn of_fd(fd: i32) -> Option<Self> {
        Self::of_path(&format!("/proc/self/fd/{fd}"))
    }

    fn of_path(path: &str) -> Option<Self> {
        use std::os::unix::fs::MetadataExt;
        let meta = std::fs::metadata(path).ok()?;
        Some(Self {
            dev: meta.dev(),
            ino: meta.ino(),
        })
    }
}

struct Proc {
    pid: i32,
    ppid: i32,
    zombie: bool,
}

fn table() -> Vec<Proc> {
    let Ok(entries) = std::fs::read_dir("/proc") else {
        return Vec::new();
    };
    entries
        .flatten()
        .filter_map(|entry| {
            let pid: i32 = entry.file_name().to_str()?.parse().ok()?;
            let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
            // Fields after "(comm)": state ppid …
            let mut fields = stat.rsplit_once(')')?.1.split_whitespace();
            let state = fields.next()?;
            let ppid = fields.next()?.parse().ok()?;
            Some(Proc {
                pid,
                ppid,
                zombie: state == "Z" || state == "X",
            })
        })
        .collect()
}

fn descends_from(pid: i32, root: i32, parent: &HashMap<i32, i32>) -> bool {
    let mut current = pid;
    for _ in 0..4096 {
        match parent.get(&current) {
            Some(&ppid) if ppid == root => return true,
            Some(&ppid) if ppid > 1 => current = ppid,
            _ => return false,
        }
    }
    false
}

/// Live (non-zombie) descendants of `root`, at any depth, in any session.
pub fn descendants(root: i32) -> Vec<i32> {
    let procs = table();
    let parent: HashMap<i32, i32> = procs.iter().map(|p| (p.pid, p.ppid)).collect();
    procs
        .iter()
        .filter(|p| !p.zombie && p.pid != root && descends_from(p.pid, root, &parent))
        .map(|p| p.pid)
        .collect()
}

/// True while `pid` is blocked waiting for a child (`wait4`/`waitid`): a wrapper shell, not a
/// server. Needs ptrace read access to `pid`, which the shim has as its ancestor.
fn waiting_for_children(pid: i32) -> bool {
    let Ok(syscall) = std::fs::read_to_string(format!("/proc/{pid}/syscall")) else {
        return false;
    };
    let number: Option<i64> = syscall
        .split_whitespace()
        .next()
        .and_then(|n| n.parse().ok());
    number.is_some_and(|n| n == libc::SYS_wait4 || n == libc::SYS_waitid)
}

/// The MCP server among `root`'s descendants: of the processes that have the server's stdin on
/// fd 0 and its stdout on fd 1 and are not waiting for a child (wrapper shells are), the
/// deepest one; when several such leaves exist (a server with workers), their nearest common
/// ancestor among those processes. `None` when nothing qualifies.
pub fn find_server(root: i32, stdin: FileId, stdout: FileId) -> Option<i32> {
    let procs = table();
    let parent: HashMap<i32, i32> = procs.iter().map(|p| (p.pid, p.ppid)).collect();
    let candidates: HashSet<i32> = procs
        .iter()
        .filter(|p| !p.zombie && descends_from(p.pid, root, &parent))
        .filter(|p| {
            FileId::of_path(&format!("/proc/{}/fd/0", p.pid)) == Some(stdin)
                && FileId::of_path(&format!("/proc/{}/fd/1", p.pid)) == Some(stdout)
        })
        .filter(|p| !waiting_for_children(p.pid))
        .map(|p| p.pid)
        .collect();
    let leaves: Vec<i32> = candidates
        .iter()
        .copied()
        .filter(|&c| {
            !candidates
                .iter()
                .any(|&other| other != c && descends_from(other, c, &parent))
        })
        .collect();
    let first = *leaves.first()?;
    // Walk up from one leaf: the first candidate that is (or is an ancestor of) every leaf.
    let mut current = first;
    for _ in 0..4096 {
        let covers_all = leaves
            .iter()
            .all(|&leaf| leaf == current || descends_from(leaf, current, &parent));
        if candidates.contains(&current) && covers_all {
            return Some(current);
        }
        match parent.get(&current) {
            Some(&ppid) if ppid != root && ppid > 1 => current = ppid,
            _ => return None,
        }
    }
    None
}

/// Call `notify` (on a helper thread) when process `pid` exits. Uses a pidfd, so it works for
/// processes that are not our children; `pid` must be alive when this is called.
pub fn on_exit(pid: i32, notify: impl FnOnce() + Send + 'static) -> std::io::Result<()> {
    // SAFETY: pidfd_open takes a pid and flags and returns a new descriptor or -1.
    let fd = unsafe { libc::syscall(libc::SYS_pidfd_open, pid, 0) };
    if fd < 0 {
        return Err(std::io::Error::last_os_error());
    }
    let fd = fd as i32;
    std::thread::spawn(move || {
        let mut poll = libc::pollfd {
            fd,
            events: libc::POLLIN,
            revents: 0,
        };
        loop {
            // SAFETY: one valid pollfd; a pidfd becomes readable when the process exits.
            let ready = unsafe { libc::poll(&mut poll, 1, -1) };
            if ready > 0 {
                break;
            }
            if ready < 0
                && std::io::Error::last_os_error().kind() != std::io::ErrorKind::Interrupted
            {
                break;
            }
        }
        // SAFETY: `fd` is ours and closed once.
        unsafe { libc::close(fd) };
        notify();
    });
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn descendants_include_a_setsid_grandchild() {
        let mut child = std::process::Command::new("sh")
            .args(["-c", "setsid sleep 30 & echo $!; wait"])
            .stdout(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        let mut line = String::new();
        std::io::BufRead::read_line(
            &mut std::io::BufReader::new(child.stdout.as_mut().unwrap()),
            &mut line,
        )
        .unwrap();
        let grandchild: i32 = line.trim().parse().unwrap();
        let me = std::process::id() as i32;
        let found = descendants(me);
        assert!(found.contains(&(child.id() as i32)), "{found:?}");
        assert!(found.contains(&grandchild), "{found:?}");
        // SAFETY: plain kill of our own test processes.
        unsafe { libc::kill(grandchild, libc::SIGKILL) };
        let _ = child.wait();
    }
}
