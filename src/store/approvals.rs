//! Approved tool definitions (the baseline for rug-pull detection).

use super::{now_ms, Store, StoreError};
use serde::Serialize;
use std::collections::HashMap;

/// One approved tool.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Approval {
    /// Server name.
    pub server: String,
    /// Tool name (upstream's).
    pub tool: String,
    /// SHA-256 of the approved definition.
    pub hash: String,
    /// The approved definition (name, description, schemas) for diffs.
    pub definition: serde_json::Value,
    /// When it was approved (ms since epoch).
    pub approved_at_ms: i64,
    /// Who approved it: "baseline", "rest", "cli", "ui", "tray", "auto".
    pub approved_by: String,
}

impl Store {
    /// Approvals of `server`, keyed by tool name.
    pub fn approvals(&self, server: &str) -> Result<HashMap<String, Approval>, StoreError> {
        let conn = self.lock();
        let mut stmt = conn
            .prepare_cached(
                "SELECT tool, hash, definition, approved_at_ms, approved_by FROM tool_approvals WHERE server = ?1",
            )
            .map_err(|e| self.error(e))?;
        let rows = stmt
            .query_map([server], |row| {
                let definition: String = row.get(2)?;
                Ok(Approval {
                    server: server.to_string(),
                    tool: row.get(0)?,
                    hash: row.get(1)?,
                    definition: serde_json::from_str(&definition).unwrap_or_default(),
                    approved_at_ms: row.get(3)?,
                    approved_by: row.get(4)?,
                })
            })
            .map_err(|e| self.error(e))?;
        let mut out = HashMap::new();
        for row in rows {
            let approval = row.map_err(|e| self.error(e))?;
            out.insert(approval.tool.clone(), approval);
        }
        Ok(out)
    }

    /// Approve `(tool, hash, definition)` entries of `server` in one transaction.
    pub fn approve(
        &self,
        server: &str,
        tools: &[(String, String, serde_json::Value)],
        approved_by: &str,
    ) -> Result<(), StoreError> {
        let mut conn = self.lock();
        let tx = conn.transaction().map_err(|e| self.error(e))?;
        for (tool, hash, definition) in tools {
            tx.execute(
                "INSERT OR REPLACE INTO tool_approvals (server, tool, hash, definition, approved_at_ms, approved_by)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                rusqlite::params![server, tool, hash, definition.to_string(), now_ms(), approved_by],
            )
            .map_err(|e| self.error(e))?;
        }
        tx.commit().map_err(|e| self.error(e))
    }

    /// Forget every approval of `server` (its next tool list becomes the new baseline).
    pub fn clear_approvals(&self, server: &str) -> Result<(), StoreError> {
        let conn = self.lock();
        conn.execute("DELETE FROM tool_approvals WHERE server = ?1", [server])
            .map_err(|e| self.error(e))?;
        conn.execute("DELETE FROM approval_baselines WHERE server = ?1", [server])
            .map(|_| ())
            .map_err(|e| self.error(e))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn approve_replace_and_clear() {
        let store = Store::in_memory();
        assert!(store.approvals("s").unwrap().is_empty());
        store
            .approve(
                "s",
                &[("t".into(), "h1".into(), json!({"name": "t"}))],
                "baseline",
            )
            .unwrap();
        store
            .approve(
                "s",
                &[(
                    "t".into(),
                    "h2".into(),
                    json!({"name": "t", "description": "x"}),
                )],
                "rest",
            )
            .unwrap();
        let approvals = store.approvals("s").unwrap();
        assert_eq!(approvals["t"].hash, "h2");
        assert_eq!(approvals["t"].approved_by, "rest");
        assert_eq!(approvals["t"].definition["description"], "x");
        store.clear_approvals("s").unwrap();
        assert!(store.approvals("s").unwrap().is_empty());
    }
}
