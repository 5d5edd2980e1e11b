//! One core per data directory.
//!
//! Two cores on the same data directory would start every upstream twice and write the same
//! config and SQLite files. The first core holds an OS file lock on `mcpproxy.lock` in the data
//! directory (`flock` on Unix, `LockFileEx` on Windows, through std's `File::try_lock`). The
//! kernel releases it when the process ends in any way, so a core killed with SIGKILL leaves no
//! stale lock. Next to it, `mcpproxy.instance.json` records the holder's pid and address so a
//! second core can say which one is running (a separate file, because Windows locks are
//! mandatory and would keep the lock file itself from being read).

use std::fs::{File, OpenOptions, TryLockError};
use std::path::{Path, PathBuf};

/// Name of the lock file inside the data directory.
pub const LOCK_FILE_NAME: &str = "mcpproxy.lock";
/// Name of the file naming the running core (pid, address).
pub const INFO_FILE_NAME: &str = "mcpproxy.instance.json";

/// The held lock; released when dropped or when the process ends.
#[derive(Debug)]
pub struct InstanceLock {
    _file: File,
    info_path: PathBuf,
}

/// Why the lock could not be taken.
#[derive(Debug)]
pub enum LockError {
    /// Another core holds it.
    AlreadyRunning {
        /// The contested data directory.
        data_dir: PathBuf,
        /// The running core's pid, when it recorded one.
        pid: Option<u32>,
        /// The running core's address, when it recorded one.
        address: Option<String>,
    },
    /// The lock file could not be created or locked.
    Io(String),
}

impl std::fmt::Display for LockError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            LockError::AlreadyRunning {
                data_dir,
                pid,
                address,
            } => {
                let pid = pid.map(|p| format!(" (pid {p})")).unwrap_or_default();
                let address = address
                    .as_deref()
                    .map(|a| format!(", listening on http://{a}"))
                    .unwrap_or_default();
                write!(
                    f,
                    "another mcpproxy core{pid} is already running on the data directory {}{address}; \
                     use that one, stop it first, or start this one with another --data-dir",
                    data_dir.display()
                )
            }
            LockError::Io(message) => f.write_str(message),
        }
    }
}

impl std::error::Error for LockError {}

impl InstanceLock {
    /// Take the data directory's lock and record this process with `address` (the address
    /// it is about to listen on; [`Self::record_address`] replaces it once bound).
    pub fn acquire(data_dir: &Path, address: &str) -> Result<Self, LockError> {
        let path = data_dir.join(LOCK_FILE_NAME);
        let file = OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(&path)
            .map_err(|err| {
                LockError::Io(format!(
                    "cannot open the lock file {}: {err}; check the permissions of the data directory",
                    path.display()
                ))
            })?;
        let info_path = data_dir.join(INFO_FILE_NAME);
        match file.try_lock() {
            Ok(()) => {}
            Err(TryLockError::WouldBlock) => {
                let info = read_info(&info_path);
                return Err(LockError::AlreadyRunning {
                    data_dir: data_dir.to_path_buf(),
                    pid: info
                        .get("pid")
                        .and_then(|p| p.as_u64())
                        .and_then(|p| u32::try_from(p).ok()),
                    address: info
                        .get("address")
                        .and_then(|a| a.as_str())
                        .map(String::from),
                });
            }
            Err(TryLockError::Error(err)) => {
                return Err(LockError::Io(format!(
                    "cannot lock {}: {err}",
                    path.display()
                )))
            }
        }
        let lock = Self {
            _file: file,
            info_path,
        };
        lock.record_address(address);
        Ok(lock)
    }

    /// Record the address this core listens on (shown to a second core).
    pub fn record_address(&self, address: &str) {
        let info = serde_json::json!({ "pid": std::process::id(), "address": address });
        if let Err(err) =
            crate::config::save::write_atomic(&self.info_path, info.to_string().as_bytes())
        {
            tracing::warn!(path = %self.info_path.display(), %err, "cannot record the running core");
        }
    }
}

fn read_info(path: &Path) -> serde_json::Value {
    std::fs::read_to_string(path)
        .ok()
        .and_then(|text| serde_json::from_str(&text).ok())
        .unwrap_or(serde_json::Value::Null)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn second_lock_names_the_first_and_a_released_lock_can_be_taken_again() {
        let dir = tempfile::tempdir().unwrap();
        let first = InstanceLock::acquire(dir.path(), "127.0.0.1:1").unwrap();
        first.record_address("127.0.0.1:4242");
        let err = InstanceLock::acquire(dir.path(), "127.0.0.1:2").unwrap_err();
        let message = err.to_string();
        assert!(message.contains("127.0.0.1:4242"), "{message}");
        assert!(
            message.contains(&format!("pid {}", std::process::id())),
            "{message}"
        );
        drop(first);
        InstanceLock::acquire(dir.path(), "127.0.0.1:3").unwrap();
    }
}
