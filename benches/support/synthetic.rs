//! Deterministic synthetic tool catalogs (100 … 10k tools) for search and memory benchmarks.

use serde_json::{json, Value};

const VERBS: [&str; 12] = [
    "get", "list", "create", "update", "delete", "search", "read", "write", "sync", "fetch",
    "archive", "export",
];
const NOUNS: [&str; 25] = [
    "file",
    "issue",
    "user",
    "repo",
    "message",
    "channel",
    "event",
    "ticket",
    "invoice",
    "order",
    "record",
    "table",
    "bucket",
    "object",
    "page",
    "comment",
    "label",
    "branch",
    "commit",
    "task",
    "contact",
    "deal",
    "report",
    "dashboard",
    "alert",
];
const DOMAINS: [&str; 10] = [
    "billing",
    "crm",
    "storage",
    "chat",
    "tracker",
    "analytics",
    "monitoring",
    "docs",
    "calendar",
    "inventory",
];

/// Tools per synthetic server.
pub const TOOLS_PER_SERVER: usize = 50;

/// Tool `i` of a synthetic catalog as MCP tool JSON: `(server, tool)`.
pub fn tool(i: usize) -> (String, Value) {
    let verb = VERBS[i % VERBS.len()];
    let noun = NOUNS[(i / VERBS.len()) % NOUNS.len()];
    let domain = DOMAINS[(i / TOOLS_PER_SERVER) % DOMAINS.len()];
    let server = format!("{domain}{}", i / TOOLS_PER_SERVER);
    let name = format!("{verb}_{noun}_{i}");
    let description = format!(
        "{verb} a {noun} in the {domain} service. Returns the {noun} as JSON; supports \
         pagination, filtering by owner and date, and sorting by any field."
    );
    let tool = json!({
        "name": name,
        "description": description,
        "inputSchema": {
            "type": "object",
            "properties": {
                format!("{noun}Id"): {"type": "string", "description": format!("Identifier of the {noun}.")},
                "limit": {"type": "integer", "description": "Maximum number of results."},
                "cursor": {"type": "string", "description": "Pagination cursor."}
            }
        },
        "annotations": {"readOnlyHint": matches!(verb, "get" | "list" | "search" | "read" | "fetch" | "export")}
    });
    (server, tool)
}

/// The first `n` tools of the catalog.
pub fn tools(n: usize) -> Vec<(String, Value)> {
    (0..n).map(tool).collect()
}

/// A query that names tool `i` in plain words, and that tool's name.
pub fn query_for(i: usize) -> (String, String) {
    let (_, t) = tool(i);
    let name = t["name"].as_str().unwrap_or_default().to_string();
    (name.replace('_', " "), name)
}
