//! Schema migrations, applied in order and recorded in `schema_version`.

use rusqlite::Connection;

/// Each entry upgrades the schema from version `index` to `index + 1`.
const MIGRATIONS: &[&str] = &[
    // 1: approvals, seen servers, activity, read cache.
    "CREATE TABLE tool_approvals (
        server TEXT NOT NULL,
        tool TEXT NOT NULL,
        hash TEXT NOT NULL,
        definition TEXT NOT NULL,
        approved_at_ms INTEGER NOT NULL,
        approved_by TEXT NOT NULL,
        PRIMARY KEY (server, tool)
    );
    CREATE TABLE seen_servers (
        name TEXT PRIMARY KEY,
        first_seen_ms INTEGER NOT NULL
    );
    CREATE TABLE activity (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        ts_ms INTEGER NOT NULL,
        kind TEXT NOT NULL,
        source TEXT,
        server TEXT,
        tool TEXT,
        status TEXT,
        duration_ms INTEGER,
        request_id TEXT,
        session_id TEXT,
        arguments TEXT,
        response_size INTEGER,
        response TEXT,
        detail TEXT
    );
    CREATE INDEX activity_ts ON activity (ts_ms);
    CREATE INDEX activity_server_tool ON activity (server, tool);
    CREATE TABLE read_cache (
        key TEXT PRIMARY KEY,
        tool TEXT NOT NULL,
        text TEXT NOT NULL,
        created_ms INTEGER NOT NULL
    );",
    // 2: servers whose approval baseline was taken.
    "CREATE TABLE approval_baselines (
        server TEXT PRIMARY KEY,
        taken_ms INTEGER NOT NULL
    );",
    // 3: names (never values) of keyring secrets set through MCPProxy.
    "CREATE TABLE secret_names (
        name TEXT PRIMARY KEY,
        created_ms INTEGER NOT NULL
    );",
    // 4: detection types of sensitive data found in a record (JSON array; NULL when none).
    "ALTER TABLE activity ADD COLUMN sensitive_data TEXT;",
];

/// Bring `conn` to the newest schema.
pub fn apply(conn: &Connection) -> rusqlite::Result<()> {
    conn.execute_batch("CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)")?;
    let current: i64 = conn.query_row(
        "SELECT COALESCE(MAX(version), 0) FROM schema_version",
        [],
        |r| r.get(0),
    )?;
    for (index, sql) in MIGRATIONS.iter().enumerate().skip(current as usize) {
        let tx = conn.unchecked_transaction()?;
        tx.execute_batch(sql)?;
        tx.execute(
            "INSERT INTO schema_version (version) VALUES (?1)",
            [index as i64 + 1],
        )?;
        tx.commit()?;
    }
    Ok(())
}
