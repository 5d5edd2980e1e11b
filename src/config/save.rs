//! Atomic config writes: temp file in the same directory, fsync, rename, mode 0600.

use super::schema::Config;
use std::io::Write;
use std::path::Path;

/// Write `config` to `path` atomically. On any error the previous file is untouched.
pub fn save_atomic(path: &Path, config: &Config) -> std::io::Result<()> {
    let text = to_text(config).map_err(std::io::Error::other)?;
    write_atomic(path, text.as_bytes())
}

/// The file text [`save_atomic`] writes for `config` (pretty JSON and a final newline).
pub fn to_text(config: &Config) -> serde_json::Result<String> {
    let mut text = serde_json::to_string_pretty(config)?;
    text.push('\n');
    Ok(text)
}

/// Replace `path` with `bytes` atomically (same-directory temp file + fsync + rename).
pub fn write_atomic(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let dir = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let file_name = path
        .file_name()
        .ok_or_else(|| std::io::Error::other(format!("{} has no file name", path.display())))?;
    let tmp = dir.join(format!(
        "{}{}-{}",
        temp_prefix(file_name),
        std::process::id(),
        uuid::Uuid::new_v4().simple()
    ));
    let result = (|| {
        let mut file = open_private(&tmp)?;
        file.write_all(bytes)?;
        file.sync_all()?;
        drop(file);
        std::fs::rename(&tmp, path)?;
        // Persist the rename itself: until the directory is synced, a power loss can
        // bring back the old file, so a failure here is reported, not ignored.
        sync_dir(dir)
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result
}

/// `err` (from saving `path`) with what to do about it, for the user-facing error.
pub fn explain_save_error(err: &std::io::Error, path: &Path) -> String {
    let dir = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let fix = match err.raw_os_error() {
        #[cfg(unix)]
        Some(libc::ENOSPC) | Some(libc::EDQUOT) => {
            format!(
                "free disk space on the file system holding {}",
                dir.display()
            )
        }
        #[cfg(unix)]
        Some(libc::EROFS) | Some(libc::EACCES) | Some(libc::EPERM) => {
            format!("make {} writable", dir.display())
        }
        _ => format!(
            "check that {} is writable and has free space",
            dir.display()
        ),
    };
    format!("{err}. The change was not applied; {fix}, then retry")
}

#[cfg(unix)]
fn sync_dir(dir: &Path) -> std::io::Result<()> {
    std::fs::File::open(dir)?.sync_all()
}

#[cfg(not(unix))]
fn sync_dir(_dir: &Path) -> std::io::Result<()> {
    Ok(()) // directories cannot be opened for syncing; rename is durable on NTFS
}

/// Temp file prefix [`write_atomic`] uses for `path`'s file name.
fn temp_prefix(file_name: &std::ffi::OsStr) -> String {
    format!(".{}.tmp-", file_name.to_string_lossy())
}

/// Remove temp files that [`write_atomic`] left next to `path` when its process died
/// mid-write (kill -9, power loss). Files of live processes are kept. Returns how many
/// were removed.
pub fn sweep_stale_temps(path: &Path) -> usize {
    let Some(file_name) = path.file_name() else {
        return 0;
    };
    let dir = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let prefix = temp_prefix(file_name);
    let Ok(entries) = std::fs::read_dir(dir) else {
        return 0;
    };
    let mut removed = 0;
    for entry in entries.flatten() {
        let name = entry.file_name().to_string_lossy().to_string();
        let Some(rest) = name.strip_prefix(&prefix) else {
            continue;
        };
        let Some(pid) = rest.split('-').next().and_then(|p| p.parse::<u32>().ok()) else {
            continue;
        };
        if !process_alive(pid) && std::fs::remove_file(entry.path()).is_ok() {
            removed += 1;
        }
    }
    removed
}

#[cfg(unix)]
fn process_alive(pid: u32) -> bool {
    if pid == std::process::id() {
        return true;
    }
    let Ok(pid) = libc::pid_t::try_from(pid) else {
        return false;
    };
    // Signal 0 checks existence; EPERM means it exists but belongs to someone else.
    let rc = unsafe { libc::kill(pid, 0) };
    rc == 0 || std::io::Error::last_os_error().raw_os_error() == Some(libc::EPERM)
}

#[cfg(not(unix))]
fn process_alive(pid: u32) -> bool {
    pid == std::process::id()
}

#[cfg(unix)]
fn open_private(path: &Path) -> std::io::Result<std::fs::File> {
    use std::os::unix::fs::OpenOptionsExt;
    std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)
}

#[cfg(not(unix))]
fn open_private(path: &Path) -> std::io::Result<std::fs::File> {
    std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(path)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn writes_pretty_json_with_private_mode() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("mcp_config.json");
        save_atomic(&path, &Config::default()).unwrap();
        let text = std::fs::read_to_string(&path).unwrap();
        assert!(
            text.contains("\n  \"listen\": \"127.0.0.1:8080\""),
            "{text}"
        );
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&path).unwrap().permissions().mode() & 0o777;
            assert_eq!(mode, 0o600);
        }
        let leftovers: Vec<_> = std::fs::read_dir(dir.path()).unwrap().collect();
        assert_eq!(leftovers.len(), 1, "temp file left behind");
    }

    #[test]
    fn stale_temps_of_dead_processes_are_swept() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("mcp_config.json");
        save_atomic(&path, &Config::default()).unwrap();
        let mut dead = std::process::Command::new("true").spawn().unwrap();
        let dead_pid = dead.id();
        dead.wait().unwrap(); // reaped: the pid no longer exists
        let stale = dir
            .path()
            .join(format!(".mcp_config.json.tmp-{dead_pid}-abc"));
        let own = dir
            .path()
            .join(format!(".mcp_config.json.tmp-{}-def", std::process::id()));
        let other = dir.path().join(format!(".other.json.tmp-{dead_pid}-abc"));
        for file in [&stale, &own, &other] {
            std::fs::write(file, "{}").unwrap();
        }
        assert_eq!(sweep_stale_temps(&path), 1);
        assert!(!stale.exists(), "a dead writer's temp file must go");
        assert!(own.exists(), "a live writer's temp file must stay");
        assert!(other.exists(), "another file's temp file must stay");
        assert!(path.exists());
    }

    #[cfg(unix)]
    #[test]
    fn failed_write_keeps_previous_file() {
        use std::os::unix::fs::PermissionsExt;
        if unsafe { libc::geteuid() } == 0 {
            // root ignores directory permissions; the read-only case is covered by the
            // missing-directory case below.
        } else {
            let dir = tempfile::tempdir().unwrap();
            let path = dir.path().join("c.json");
            std::fs::write(&path, "{\"old\":true}").unwrap();
            std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o500)).unwrap();
            assert!(save_atomic(&path, &Config::default()).is_err());
            std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o700)).unwrap();
            assert_eq!(std::fs::read_to_string(&path).unwrap(), "{\"old\":true}");
        }
        let missing = std::path::Path::new("/nonexistent-dir-for-test/c.json");
        assert!(save_atomic(missing, &Config::default()).is_err());
    }
}
