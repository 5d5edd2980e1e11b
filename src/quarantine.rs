//! Server quarantine and tool approval operations (for humans: REST, CLI, UI, tray — never MCP).

use crate::catalog::approval::{self, ToolStatus};
use crate::config::{self, Config};
use crate::core::{ChangeError, Core};
use crate::events::CoreEvent;
use crate::store::activity::ActivityRecord;
use crate::store::Store;
use serde::Serialize;
use serde_json::{json, Value};
use std::path::Path;

/// Status string of a call refused because its server is quarantined.
pub const QUARANTINED_SERVER_BLOCKED: &str = "QUARANTINED_SERVER_BLOCKED";
/// Status string of a call refused because the tool awaits approval.
pub const TOOL_APPROVAL_REQUIRED: &str = "TOOL_APPROVAL_REQUIRED";

/// The start-up rule, shared with hot reload: quarantine (in `config`) every server that has
/// no `quarantined` key and whose name `known` does not recognise (a hand-edited addition).
/// Returns the names quarantined. Does nothing when `quarantine_enabled` is off.
pub fn quarantine_unknown(config: &mut Config, known: impl Fn(&str) -> bool) -> Vec<String> {
    let mut changed = Vec::new();
    if config.quarantine_enabled {
        for server in config.mcp_servers.iter_mut() {
            if server.quarantined.is_none() && !known(&server.name) {
                server.quarantined = Some(true);
                changed.push(server.name.clone());
            }
        }
    }
    changed
}

/// The activity record of a server quarantined because it appeared in the file.
fn file_quarantine_record(name: &str) -> ActivityRecord {
    ActivityRecord {
        kind: "quarantine".into(),
        source: Some("file".into()),
        server: Some(name.to_string()),
        status: Some("quarantined".into()),
        detail: Some("new server found in the config file; waits for a person's approval".into()),
        ..Default::default()
    }
}

/// Record the quarantine of `names` in `path` and the activity log, loudly.
pub fn record_file_quarantine(names: &[String], config: &Config, store: &Store, path: &Path) {
    if names.is_empty() {
        return;
    }
    tracing::warn!(servers = ?names, "new servers found in the config were quarantined; approve them with `mcpproxy upstream approve NAME`");
    if let Err(err) = config::save_atomic(path, config) {
        tracing::error!(%err, "cannot record the quarantine in the config file");
    }
    for name in names {
        let _ = store.record_activity(&file_quarantine_record(name));
    }
}

/// At start-up: quarantine servers that appear in the config without a `quarantined` key and
/// were never seen before (hand-edited additions), then remember every server as seen.
pub fn quarantine_unseen_servers(mut config: Config, store: &Store, path: &Path) -> Config {
    let changed = quarantine_unknown(&mut config, |name| store.server_seen(name).unwrap_or(false));
    record_file_quarantine(&changed, &config, store, path);
    for server in &config.mcp_servers {
        let _ = store.mark_server_seen(&server.name);
    }
    config
}

/// Quarantine (`true`) or release (`false`) a server. Releasing makes its next tool list the
/// new approval baseline.
pub async fn set_quarantined(
    core: &Core,
    name: &str,
    quarantined: bool,
    actor: crate::manage::Actor,
) -> Result<(), ChangeError> {
    core.mutate_config(|cfg| {
        let server = cfg
            .mcp_servers
            .iter_mut()
            .find(|s| s.name == name)
            .ok_or_else(|| ChangeError::NotFound(format!("no server named `{name}`")))?;
        server.quarantined = Some(quarantined);
        Ok(())
    })
    .await?;
    if !quarantined {
        core.store.clear_approvals(name).map_err(store_error)?;
    }
    crate::manage::audit::quarantine_decision(core, actor, name, quarantined, None);
    core.events.publish(CoreEvent::ApprovalsChanged {
        server: name.to_string(),
    });
    Ok(())
}

fn store_error(err: crate::store::StoreError) -> ChangeError {
    ChangeError::Io {
        path: err.path,
        message: err.message,
    }
}

/// Append an activity record without blocking the async caller. Every secret the core
/// knows and every detected credential is masked in it first.
pub fn record(core: &Core, mut record: ActivityRecord) {
    crate::store::recording::scrub_record(&mut record, &crate::secrets::known::scrubber(core));
    let store = core.store.clone();
    tokio::task::spawn_blocking(move || {
        if let Err(err) = store.record_activity(&record) {
            tracing::warn!(%err, "could not record activity");
        }
    });
}

/// One tool of a server with its approval state (REST `GET /servers/{name}/tools`).
#[derive(Debug, Clone, Serialize)]
pub struct ToolView {
    /// Upstream tool name.
    pub name: String,
    /// `server:tool`.
    pub key: String,
    /// Name on `/mcp/all`.
    pub exposed_name: String,
    /// Description.
    pub description: Option<String>,
    /// Input schema.
    pub input_schema: Value,
    /// Annotations.
    pub annotations: Option<Value>,
    /// `approved`, `pending` or `changed`.
    pub status: ToolStatus,
    /// SHA-256 of the current definition.
    pub hash: String,
    /// The `/mcp` call variant.
    pub call_with: &'static str,
}

/// Tools of a ready server with their approval state.
pub fn server_tools(core: &Core, server: &str) -> Vec<ToolView> {
    core.catalog
        .snapshot()
        .entries()
        .iter()
        .filter(|e| e.tool.server == server)
        .map(|e| ToolView {
            name: e.tool.tool.name.to_string(),
            key: e.tool.key.clone(),
            exposed_name: e.tool.exposed_name.clone(),
            description: e.tool.tool.description.as_ref().map(|d| d.to_string()),
            input_schema: Value::Object((*e.tool.tool.input_schema).clone()),
            annotations: e.tool.tool.annotations.as_ref().map(|a| json!(a)),
            status: e.status,
            hash: e.hash.clone(),
            call_with: e.tool.class.call_tool_name(),
        })
        .collect()
}

/// Approve `tools` of `server` (all pending/changed ones when `None`) as they are now.
/// Returns the names approved.
pub async fn approve_tools(
    core: &Core,
    server: &str,
    tools: Option<Vec<String>>,
    source: &str,
) -> Result<Vec<String>, ChangeError> {
    if !core.config().mcp_servers.iter().any(|s| s.name == server) {
        return Err(ChangeError::NotFound(format!("no server named `{server}`")));
    }
    // Judge and approve the definitions the upstream offers right now (the catalog may lag).
    let current = core
        .upstreams
        .get(server)
        .map(|u| u.status().tools)
        .unwrap_or_default();
    let statuses = core.catalog.evaluate(server, &current);
    if let Some(names) = &tools {
        if names.is_empty() {
            return Err(ChangeError::BadRequest(
                "`tools` is empty; list tool names or use approve_all".into(),
            ));
        }
        for name in names {
            if !current.iter().any(|t| t.name == name.as_str()) {
                return Err(ChangeError::NotFound(format!(
                    "server `{server}` has no tool `{name}` right now (is the server connected?)"
                )));
            }
        }
    }
    let chosen: Vec<(String, String, Value)> = current
        .iter()
        .zip(statuses)
        .filter(|(t, status)| match &tools {
            Some(names) => names.iter().any(|n| t.name == n.as_str()),
            None => *status != ToolStatus::Approved,
        })
        .map(|(t, _)| {
            (
                t.name.to_string(),
                approval::tool_hash(t),
                approval::approved_definition(t),
            )
        })
        .collect();
    let store = core.store.clone();
    let (server_name, by, rows) = (server.to_string(), source.to_string(), chosen.clone());
    tokio::task::spawn_blocking(move || store.approve(&server_name, &rows, &by))
        .await
        .map_err(|e| ChangeError::Io {
            path: core.store.path().display().to_string(),
            message: e.to_string(),
        })?
        .map_err(store_error)?;
    let names: Vec<String> = chosen.into_iter().map(|(name, _, _)| name).collect();
    if !names.is_empty() {
        record(
            core,
            ActivityRecord {
                kind: "tool_approval".into(),
                source: Some(source.into()),
                server: Some(server.into()),
                status: Some("approved".into()),
                detail: Some(names.join(", ")),
                ..Default::default()
            },
        );
        core.events.publish(CoreEvent::ApprovalsChanged {
            server: server.to_string(),
        });
    }
    Ok(names)
}

/// The approved and the current definition of a tool and a line diff between them.
pub fn tool_diff(core: &Core, server: &str, tool: &str) -> Result<Value, ChangeError> {
    let snapshot = core.catalog.snapshot();
    let entry = snapshot
        .entries()
        .iter()
        .find(|e| e.tool.server == server && e.tool.tool.name == tool)
        .ok_or_else(|| {
            ChangeError::NotFound(format!(
                "server `{server}` has no tool `{tool}` right now (is the server connected?)"
            ))
        })?;
    let approvals = core.store.approvals(server).map_err(store_error)?;
    let current = approval::approved_definition(&entry.tool.tool);
    let approved = approvals.get(tool).map(|a| a.definition.clone());
    let diff = approval::definition_diff(approved.as_ref().unwrap_or(&Value::Null), &current);
    Ok(json!({
        "server": server,
        "tool": tool,
        "status": entry.status,
        "approved": approved,
        "current": current,
        "diff": diff,
    }))
}

/// Explanation returned (as a non-error result) for a call to a quarantined server.
pub fn quarantined_explanation(server: &str) -> Value {
    crate::mcp::refusal::Refusal::Quarantined {
        server: server.to_string(),
    }
    .explanation()
}

/// Explanation returned for a call to a tool that awaits (re-)approval.
pub fn unapproved_explanation(server: &str, tool: &str, status: ToolStatus) -> Value {
    crate::mcp::refusal::Refusal::NotApproved {
        server: server.to_string(),
        tool: tool.to_string(),
        status,
    }
    .explanation()
}

/// If `name` (`server:tool` or an exposed `server__tool`) is held back by quarantine or tool
/// approval, the explanation to return instead of calling it.
pub fn blocked_call(core: &Core, name: &str) -> Option<Value> {
    let config = core.config();
    if !config.quarantine_enabled {
        return None;
    }
    // An exposed `server__tool` name maps to its tool through the catalog; `server:tool`
    // names are split directly.
    let snapshot = core.catalog.snapshot();
    let mapped = snapshot
        .blocked(name)
        .map(|e| (e.tool.server.clone(), e.tool.tool.name.to_string()));
    let (server, rest) = match &mapped {
        Some((server, tool)) => (
            config.mcp_servers.iter().find(|s| &s.name == server)?,
            tool.as_str(),
        ),
        None => config.mcp_servers.iter().find_map(|s| {
            let rest = name.strip_prefix(s.name.as_str())?;
            rest.strip_prefix(':')
                .or_else(|| rest.strip_prefix("__"))
                .map(|tool| (s, tool))
        })?,
    };
    if server.quarantined.unwrap_or(false) {
        return Some(quarantined_explanation(&server.name));
    }
    // Judge against the upstream's current tool list (the catalog may lag a fresh
    // tools/list_changed).
    let tools = core.upstreams.get(&server.name)?.status().tools;
    let index = tools.iter().position(|t| t.name == rest)?;
    let status = core.catalog.evaluate(&server.name, &tools)[index];
    (status != ToolStatus::Approved).then(|| unapproved_explanation(&server.name, rest, status))
}

/// Record a call that was refused by [`blocked_call`].
pub fn record_blocked(core: &Core, source: &str, name: &str, explanation: &Value) {
    record(
        core,
        ActivityRecord {
            kind: "tool_call".into(),
            source: Some(source.into()),
            server: explanation["server"].as_str().map(str::to_string),
            tool: explanation["tool"]
                .as_str()
                .map(str::to_string)
                .or_else(|| Some(name.to_string())),
            status: Some("blocked".into()),
            detail: explanation["status"].as_str().map(str::to_string),
            ..Default::default()
        },
    );
}

/// Review mode for a person: connect to server `name` once (even while quarantined), list
/// its tools with their descriptions and disconnect. Nothing becomes usable.
pub async fn inspect_server(core: &Core, name: &str) -> Result<Vec<Value>, ChangeError> {
    let server = core
        .config()
        .mcp_servers
        .into_iter()
        .find(|s| s.name == name)
        .ok_or_else(|| ChangeError::NotFound(format!("no server named `{name}`")))?;
    let tools = core
        .upstreams
        .inspect(&server)
        .await
        .map_err(|e| ChangeError::Upstream(format!("reviewing `{name}` failed: {e}")))?;
    Ok(tools
        .iter()
        .map(|t| {
            json!({
                "name": t.name,
                "description": t.description,
                "inputSchema": t.input_schema,
                "annotations": t.annotations,
                "hash": approval::tool_hash(t),
            })
        })
        .collect())
}

/// Re-check a catalog tool against the upstream's current definition right before a call:
/// closes the window between an upstream's `tools/list_changed` and the catalog rebuild.
pub fn current_block(core: &Core, tool: &crate::catalog::CatalogTool) -> Option<Value> {
    if !core.catalog.approvals_enabled() {
        return None;
    }
    let tools = core.upstreams.get(&tool.server)?.status().tools;
    let index = tools.iter().position(|t| t.name == tool.tool.name)?;
    if approval::tool_hash(&tools[index]) == approval::tool_hash(&tool.tool) {
        return None;
    }
    let status = core.catalog.evaluate(&tool.server, &tools)[index];
    (status != ToolStatus::Approved)
        .then(|| unapproved_explanation(&tool.server, &tool.tool.name, status))
}
