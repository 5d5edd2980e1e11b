//! Persistent state in SQLite (WAL): tool approvals, servers seen, activity records and the
//! read cache. Server definitions are NOT stored here: the config file is their only source.

pub mod activity;
pub mod approvals;
mod migrations;
pub mod recording;

use rusqlite::Connection;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard};

/// File name of the database inside the data directory.
pub const DB_FILE_NAME: &str = "mcpproxy.db";

/// A store error with the database path for context.
#[derive(Debug, thiserror::Error)]
#[error("state database {path}: {message}")]
pub struct StoreError {
    /// Database file.
    pub path: String,
    /// What failed.
    pub message: String,
}

/// Handle to the state database; cheap to clone.
#[derive(Clone)]
pub struct Store {
    conn: Arc<Mutex<Connection>>,
    path: PathBuf,
}

impl std::fmt::Debug for Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Store").field("path", &self.path).finish()
    }
}

impl Store {
    /// Open (creating and migrating) the database at `path`.
    pub fn open(path: &Path) -> Result<Self, StoreError> {
        let err = |e: rusqlite::Error| StoreError {
            path: path.display().to_string(),
            message: e.to_string(),
        };
        let conn = Connection::open(path).map_err(err)?;
        conn.pragma_update(None, "journal_mode", "WAL")
            .map_err(err)?;
        conn.pragma_update(None, "synchronous", "NORMAL")
            .map_err(err)?;
        conn.busy_timeout(std::time::Duration::from_secs(5))
            .map_err(err)?;
        migrations::apply(&conn).map_err(err)?;
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let _ = std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600));
        }
        Ok(Self {
            conn: Arc::new(Mutex::new(conn)),
            path: path.to_path_buf(),
        })
    }

    /// An in-memory store (tests, or when the data dir is unusable).
    pub fn in_memory() -> Self {
        let conn = Connection::open_in_memory().expect("in-memory SQLite");
        migrations::apply(&conn).expect("migrations apply to an empty database");
        Self {
            conn: Arc::new(Mutex::new(conn)),
            path: PathBuf::from(":memory:"),
        }
    }

    /// Database path.
    pub fn path(&self) -> &Path {
        &self.path
    }

    fn lock(&self) -> MutexGuard<'_, Connection> {
        self.conn.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn error(&self, err: rusqlite::Error) -> StoreError {
        StoreError {
            path: self.path.display().to_string(),
            message: err.to_string(),
        }
    }

    /// Current schema version.
    pub fn schema_version(&self) -> Result<i64, StoreError> {
        self.lock()
            .query_row("SELECT MAX(version) FROM schema_version", [], |r| r.get(0))
            .map_err(|e| self.error(e))
    }

    /// Record that server `name` has been seen; returns true when it was new.
    pub fn mark_server_seen(&self, name: &str) -> Result<bool, StoreError> {
        let changed = self
            .lock()
            .execute(
                "INSERT OR IGNORE INTO seen_servers (name, first_seen_ms) VALUES (?1, ?2)",
                rusqlite::params![name, now_ms()],
            )
            .map_err(|e| self.error(e))?;
        Ok(changed == 1)
    }

    /// Whether server `name` was ever seen.
    pub fn server_seen(&self, name: &str) -> Result<bool, StoreError> {
        self.lock()
            .query_row(
                "SELECT COUNT(*) FROM seen_servers WHERE name = ?1",
                [name],
                |r| r.get::<_, i64>(0),
            )
            .map(|n| n > 0)
            .map_err(|e| self.error(e))
    }

    /// Whether the first tool list of `server` was already taken as its approval baseline.
    pub fn baseline_taken(&self, server: &str) -> Result<bool, StoreError> {
        self.lock()
            .query_row(
                "SELECT COUNT(*) FROM approval_baselines WHERE server = ?1",
                [server],
                |r| r.get::<_, i64>(0),
            )
            .map(|n| n > 0)
            .map_err(|e| self.error(e))
    }

    /// Record that `server`'s baseline has been taken.
    pub fn mark_baseline(&self, server: &str) -> Result<(), StoreError> {
        self.lock()
            .execute(
                "INSERT OR REPLACE INTO approval_baselines (server, taken_ms) VALUES (?1, ?2)",
                rusqlite::params![server, now_ms()],
            )
            .map(|_| ())
            .map_err(|e| self.error(e))
    }

    /// Remember that a keyring secret named `name` was set through MCPProxy (name only).
    pub fn add_secret_name(&self, name: &str) -> Result<(), StoreError> {
        self.lock()
            .execute(
                "INSERT OR IGNORE INTO secret_names (name, created_ms) VALUES (?1, ?2)",
                rusqlite::params![name, now_ms()],
            )
            .map(|_| ())
            .map_err(|e| self.error(e))
    }

    /// Forget a secret name.
    pub fn remove_secret_name(&self, name: &str) -> Result<(), StoreError> {
        self.lock()
            .execute("DELETE FROM secret_names WHERE name = ?1", [name])
            .map(|_| ())
            .map_err(|e| self.error(e))
    }

    /// Names of secrets set through MCPProxy.
    pub fn secret_names(&self) -> Result<Vec<String>, StoreError> {
        let conn = self.lock();
        let mut stmt = conn
            .prepare_cached("SELECT name FROM secret_names ORDER BY name")
            .map_err(|e| self.error(e))?;
        let rows = stmt
            .query_map([], |r| r.get::<_, String>(0))
            .map_err(|e| self.error(e))?
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| self.error(e));
        rows
    }

    /// Store a read-cache entry.
    pub fn cache_put(&self, key: &str, tool: &str, text: &str) -> Result<(), StoreError> {
        self.lock()
            .execute(
                "INSERT OR REPLACE INTO read_cache (key, tool, text, created_ms) VALUES (?1, ?2, ?3, ?4)",
                rusqlite::params![key, tool, text, now_ms()],
            )
            .map(|_| ())
            .map_err(|e| self.error(e))
    }

    /// A read-cache entry younger than `ttl_ms`: (tool, text).
    pub fn cache_get(
        &self,
        key: &str,
        ttl_ms: i64,
    ) -> Result<Option<(String, String)>, StoreError> {
        let conn = self.lock();
        let mut stmt = conn
            .prepare_cached("SELECT tool, text FROM read_cache WHERE key = ?1 AND created_ms >= ?2")
            .map_err(|e| self.error(e))?;
        let mut rows = stmt
            .query(rusqlite::params![key, now_ms() - ttl_ms])
            .map_err(|e| self.error(e))?;
        match rows.next().map_err(|e| self.error(e))? {
            Some(row) => Ok(Some((
                row.get(0).map_err(|e| self.error(e))?,
                row.get(1).map_err(|e| self.error(e))?,
            ))),
            None => Ok(None),
        }
    }

    /// Drop read-cache entries older than `ttl_ms` and keep at most `max_entries`.
    pub fn cache_prune(&self, ttl_ms: i64, max_entries: usize) -> Result<(), StoreError> {
        let conn = self.lock();
        conn.execute(
            "DELETE FROM read_cache WHERE created_ms < ?1",
            [now_ms() - ttl_ms],
        )
        .map_err(|e| self.error(e))?;
        conn.execute(
            "DELETE FROM read_cache WHERE key NOT IN (SELECT key FROM read_cache ORDER BY created_ms DESC LIMIT ?1)",
            [max_entries as i64],
        )
        .map_err(|e| self.error(e))?;
        Ok(())
    }
}

/// Milliseconds since the Unix epoch.
pub fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reopening_keeps_state_and_schema_version() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(DB_FILE_NAME);
        let store = Store::open(&path).unwrap();
        assert!(store.mark_server_seen("a").unwrap());
        assert!(!store.mark_server_seen("a").unwrap());
        store.cache_put("k", "s:t", "text").unwrap();
        let version = store.schema_version().unwrap();
        drop(store);
        let store = Store::open(&path).unwrap();
        assert!(store.server_seen("a").unwrap());
        assert!(!store.server_seen("b").unwrap());
        assert_eq!(store.schema_version().unwrap(), version);
        assert_eq!(
            store.cache_get("k", 60_000).unwrap(),
            Some(("s:t".into(), "text".into()))
        );
        let journal: String = store
            .lock()
            .query_row("PRAGMA journal_mode", [], |r| r.get(0))
            .unwrap();
        assert_eq!(journal, "wal");
    }

    #[test]
    fn cache_entries_expire() {
        let store = Store::in_memory();
        store.cache_put("k", "s:t", "text").unwrap();
        assert!(store.cache_get("k", -1).unwrap().is_none());
        store.cache_prune(-1, 10).unwrap();
        assert!(store.cache_get("k", 60_000).unwrap().is_none());
    }
}
