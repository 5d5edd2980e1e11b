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
        ".{}.tmp-{}-{}",
        file_name.to_string_lossy(),
        std::process::id(),
        uuid::Uuid::new_v4().simple()
    ));
    let result = (|| {
        let mut file = open_private(&tmp)?;
        file.write_all(bytes)?;
        file.sync_all()?;
        drop(file);
        std::fs::rename(&tmp, path)?;
        // Persist the rename itself.
        if let Ok(dir_handle) = std::fs::File::open(dir) {
            let _ = dir_handle.sync_all();
        }
        Ok(())
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result
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
