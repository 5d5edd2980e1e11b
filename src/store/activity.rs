//! The activity log: tool calls, quarantine decisions and config changes.

use super::{now_ms, Store, StoreError};
use rusqlite::types::Value as SqlValue;
use serde::{Deserialize, Serialize};

/// A stored activity record.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Default)]
pub struct ActivityRecord {
    /// Record id.
    pub id: i64,
    /// Time (ms since the Unix epoch).
    pub timestamp_ms: i64,
    /// `tool_call`, `quarantine`, `tool_approval` or `config`.
    #[serde(rename = "type")]
    pub kind: String,
    /// Where it came from: `mcp`, `api`, `cli`, `ui`, `tray`, `core`.
    pub source: Option<String>,
    /// Upstream server.
    pub server: Option<String>,
    /// Tool (upstream name).
    pub tool: Option<String>,
    /// `success`, `error` or `blocked` for tool calls.
    pub status: Option<String>,
    /// Call duration.
    pub duration_ms: Option<i64>,
    /// Request id (REST `X-Request-Id` or MCP request id).
    pub request_id: Option<String>,
    /// MCP session id.
    pub session_id: Option<String>,
    /// Arguments with secrets redacted.
    pub arguments: Option<serde_json::Value>,
    /// Size of the full response in characters.
    pub response_size: Option<i64>,
    /// Beginning of the response.
    pub response: Option<String>,
    /// Free-form detail (error message, what changed).
    pub detail: Option<String>,
    /// Detection types of sensitive data found (and masked) in this record, e.g.
    /// `aws_access_key`, `known_secret`; empty when none.
    #[serde(default)]
    pub sensitive_data: Vec<String>,
}

/// Which records to return.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct ActivityFilter {
    /// Record type.
    #[serde(rename = "type")]
    pub kind: Option<String>,
    /// Server name.
    pub server: Option<String>,
    /// Tool name.
    pub tool: Option<String>,
    /// Status.
    pub status: Option<String>,
    /// Earliest time (ms, inclusive).
    pub since_ms: Option<i64>,
    /// Latest time (ms, inclusive).
    pub until_ms: Option<i64>,
    /// Request id.
    pub request_id: Option<String>,
    /// Only records with (`true`) or without (`false`) sensitive data.
    pub sensitive: Option<bool>,
    /// Only records where this detection type was found.
    pub detection_type: Option<String>,
    /// Page size (default 50, max 1000).
    pub limit: Option<usize>,
    /// Records to skip.
    pub offset: Option<usize>,
}

const COLUMNS: &str = "id, ts_ms, kind, source, server, tool, status, duration_ms, request_id, session_id, arguments, response_size, response, detail, sensitive_data";

fn from_row(row: &rusqlite::Row<'_>) -> rusqlite::Result<ActivityRecord> {
    let arguments: Option<String> = row.get(10)?;
    Ok(ActivityRecord {
        id: row.get(0)?,
        timestamp_ms: row.get(1)?,
        kind: row.get(2)?,
        source: row.get(3)?,
        server: row.get(4)?,
        tool: row.get(5)?,
        status: row.get(6)?,
        duration_ms: row.get(7)?,
        request_id: row.get(8)?,
        session_id: row.get(9)?,
        arguments: arguments.and_then(|a| serde_json::from_str(&a).ok()),
        response_size: row.get(11)?,
        response: row.get(12)?,
        detail: row.get(13)?,
        sensitive_data: row
            .get::<_, Option<String>>(14)?
            .and_then(|s| serde_json::from_str(&s).ok())
            .unwrap_or_default(),
    })
}

impl ActivityFilter {
    fn where_clause(&self) -> (String, Vec<SqlValue>) {
        let mut clauses = Vec::new();
        let mut params: Vec<SqlValue> = Vec::new();
        let mut text = |column: &str, value: &Option<String>| {
            if let Some(v) = value {
                params.push(SqlValue::Text(v.clone()));
                clauses.push(format!("{column} = ?{}", params.len()));
            }
        };
        text("kind", &self.kind);
        text("server", &self.server);
        text("tool", &self.tool);
        text("status", &self.status);
        text("request_id", &self.request_id);
        match self.sensitive {
            Some(true) => clauses.push("sensitive_data IS NOT NULL".to_string()),
            Some(false) => clauses.push("sensitive_data IS NULL".to_string()),
            None => {}
        }
        if let Some(kind) = &self.detection_type {
            params.push(SqlValue::Text(kind.clone()));
            clauses.push(format!(
                "EXISTS (SELECT 1 FROM json_each(activity.sensitive_data) WHERE value = ?{})",
                params.len()
            ));
        }
        if let Some(since) = self.since_ms {
            params.push(SqlValue::Integer(since));
            clauses.push(format!("ts_ms >= ?{}", params.len()));
        }
        if let Some(until) = self.until_ms {
            params.push(SqlValue::Integer(until));
            clauses.push(format!("ts_ms <= ?{}", params.len()));
        }
        let clause = if clauses.is_empty() {
            String::new()
        } else {
            format!(" WHERE {}", clauses.join(" AND "))
        };
        (clause, params)
    }
}

impl Store {
    /// Append a record (its `id` and, when 0, `timestamp_ms` are assigned); returns the id.
    pub fn record_activity(&self, record: &ActivityRecord) -> Result<i64, StoreError> {
        let conn = self.lock();
        let ts = if record.timestamp_ms == 0 {
            now_ms()
        } else {
            record.timestamp_ms
        };
        conn.execute(
            "INSERT INTO activity (ts_ms, kind, source, server, tool, status, duration_ms, request_id, session_id, arguments, response_size, response, detail, sensitive_data)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14)",
            rusqlite::params![
                ts,
                record.kind,
                record.source,
                record.server,
                record.tool,
                record.status,
                record.duration_ms,
                record.request_id,
                record.session_id,
                record.arguments.as_ref().map(|a| a.to_string()),
                record.response_size,
                record.response,
                record.detail,
                (!record.sensitive_data.is_empty())
                    .then(|| serde_json::to_string(&record.sensitive_data).unwrap_or_default()),
            ],
        )
        .map_err(|e| self.error(e))?;
        Ok(conn.last_insert_rowid())
    }

    /// Records matching `filter`, newest first, plus the total number of matches.
    pub fn list_activity(
        &self,
        filter: &ActivityFilter,
    ) -> Result<(Vec<ActivityRecord>, usize), StoreError> {
        let (clause, params) = filter.where_clause();
        let limit = filter.limit.unwrap_or(50).clamp(1, 1000) as i64;
        let offset = filter.offset.unwrap_or(0) as i64;
        let conn = self.lock();
        let total: i64 = conn
            .query_row(
                &format!("SELECT COUNT(*) FROM activity{clause}"),
                rusqlite::params_from_iter(params.iter()),
                |r| r.get(0),
            )
            .map_err(|e| self.error(e))?;
        let mut stmt = conn
            .prepare(&format!(
                "SELECT {COLUMNS} FROM activity{clause} ORDER BY id DESC LIMIT {limit} OFFSET {offset}"
            ))
            .map_err(|e| self.error(e))?;
        let rows = stmt
            .query_map(rusqlite::params_from_iter(params.iter()), from_row)
            .map_err(|e| self.error(e))?
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| self.error(e))?;
        Ok((rows, total as usize))
    }

    /// One record by id.
    pub fn get_activity(&self, id: i64) -> Result<Option<ActivityRecord>, StoreError> {
        let conn = self.lock();
        let mut stmt = conn
            .prepare_cached(&format!("SELECT {COLUMNS} FROM activity WHERE id = ?1"))
            .map_err(|e| self.error(e))?;
        let mut rows = stmt.query_map([id], from_row).map_err(|e| self.error(e))?;
        rows.next().transpose().map_err(|e| self.error(e))
    }

    /// Delete records older than `max_age_ms` and beyond the newest `max_records`.
    /// Returns how many were removed.
    pub fn prune_activity(&self, max_age_ms: i64, max_records: usize) -> Result<usize, StoreError> {
        let conn = self.lock();
        let old = conn
            .execute(
                "DELETE FROM activity WHERE ts_ms < ?1",
                [now_ms() - max_age_ms],
            )
            .map_err(|e| self.error(e))?;
        let excess = conn
            .execute(
                "DELETE FROM activity WHERE id <= (SELECT id FROM activity ORDER BY id DESC LIMIT 1 OFFSET ?1)",
                [max_records as i64],
            )
            .map_err(|e| self.error(e))?;
        Ok(old + excess)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn call(server: &str, tool: &str, status: &str) -> ActivityRecord {
        ActivityRecord {
            kind: "tool_call".into(),
            source: Some("mcp".into()),
            server: Some(server.into()),
            tool: Some(tool.into()),
            status: Some(status.into()),
            ..Default::default()
        }
    }

    #[test]
    fn filters_pagination_and_retention() {
        let store = Store::in_memory();
        for i in 0..10 {
            let status = if i % 2 == 0 { "success" } else { "error" };
            store.record_activity(&call("a", "t", status)).unwrap();
        }
        store.record_activity(&call("b", "u", "blocked")).unwrap();
        let (all, total) = store.list_activity(&ActivityFilter::default()).unwrap();
        assert_eq!(total, 11);
        assert_eq!(all[0].server.as_deref(), Some("b"), "newest first");
        let errors = ActivityFilter {
            server: Some("a".into()),
            status: Some("error".into()),
            ..Default::default()
        };
        assert_eq!(store.list_activity(&errors).unwrap().1, 5);
        let page = ActivityFilter {
            limit: Some(3),
            offset: Some(9),
            ..Default::default()
        };
        let (rows, total) = store.list_activity(&page).unwrap();
        assert_eq!((rows.len(), total), (2, 11));
        let one = store.get_activity(all[0].id).unwrap().unwrap();
        assert_eq!(one, all[0]);
        let mut flagged = call("c", "v", "success");
        flagged.sensitive_data = vec!["aws_access_key".into(), "known_secret".into()];
        let id = store.record_activity(&flagged).unwrap();
        let only = |sensitive: Option<bool>, detection_type: Option<&str>| {
            let filter = ActivityFilter {
                sensitive,
                detection_type: detection_type.map(str::to_string),
                ..Default::default()
            };
            store.list_activity(&filter).unwrap()
        };
        let (rows, total) = only(Some(true), None);
        assert_eq!((rows[0].id, total), (id, 1));
        assert_eq!(rows[0].sensitive_data, flagged.sensitive_data);
        assert_eq!(only(Some(false), None).1, 11);
        assert_eq!(only(None, Some("aws_access_key")).1, 1);
        assert_eq!(only(Some(true), Some("github_pat")).1, 0);
        store.prune_activity(i64::MAX / 2, 11).unwrap();
        assert_eq!(store.prune_activity(i64::MAX / 2, 4).unwrap(), 7);
        assert_eq!(
            store.list_activity(&ActivityFilter::default()).unwrap().1,
            4
        );
    }
}
