//! Server operations for every surface; all writes go through [`Core::mutate_config`].

use super::patch;
use super::view::{find_view, ServerView};
use crate::core::{ChangeError, Core};
use serde_json::{Map, Value};
use std::io::{Read, Seek, SeekFrom};
use std::path::Path;

/// Who asks for a change. AI clients (MCP) can never lift a quarantine.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Actor {
    /// A person via REST, CLI, UI or tray.
    Human,
    /// An AI client via MCP `upstream_servers`.
    AiClient,
}

/// Most log lines one request may return.
pub const MAX_LOG_LINES: usize = 5000;

fn now() -> String {
    humantime::format_rfc3339_seconds(std::time::SystemTime::now()).to_string()
}

fn not_found(name: &str) -> ChangeError {
    ChangeError::NotFound(format!(
        "no server named `{name}`; list servers with GET /api/v1/servers or `mcpproxy upstream list`"
    ))
}

fn view_of(core: &Core, name: &str) -> Result<ServerView, ChangeError> {
    find_view(core, name).ok_or_else(|| not_found(name))
}

fn object(body: Value, what: &str) -> Result<Map<String, Value>, ChangeError> {
    match body {
        Value::Object(map) => Ok(map),
        _ => Err(ChangeError::BadRequest(format!(
            "{what} must be a JSON object"
        ))),
    }
}

/// Add a server. Unless a human explicitly sends `quarantined: false`, it starts
/// quarantined when `quarantine_enabled` is on.
pub async fn add(core: &Core, body: Value, actor: Actor) -> Result<ServerView, ChangeError> {
    let mut body = object(body, "the server")?;
    patch::check_fields(&body)?;
    for field in patch::READ_ONLY_FIELDS {
        body.remove(*field);
    }
    let explicit = body.get("quarantined").and_then(Value::as_bool);
    if actor == Actor::AiClient && explicit == Some(false) {
        return Err(ChangeError::BadRequest(
            "AI clients cannot add servers outside quarantine; a person approves them in the UI or CLI".into(),
        ));
    }
    if !body.contains_key("name") {
        return Err(ChangeError::BadRequest(
            "missing `name`; give the server a unique name such as \"github\"".into(),
        ));
    }
    let mut server = patch::server_from_object(body)?;
    patch::reject_masks(&server)?;
    let name = server.name.clone();
    core.mutate_config(move |cfg| {
        if cfg.mcp_servers.iter().any(|s| s.name == server.name) {
            return Err(ChangeError::Conflict(format!(
                "a server named `{}` already exists; choose another name or PATCH the existing one",
                server.name
            )));
        }
        server.quarantined = match explicit {
            Some(flag) => Some(flag),
            None if cfg.quarantine_enabled => Some(true),
            None => None,
        };
        let stamp = now();
        server.created = Some(stamp.clone());
        server.updated = Some(stamp);
        cfg.mcp_servers.push(server);
        Ok(())
    })
    .await?;
    view_of(core, &name)
}

/// Apply a JSON Merge Patch to server `name` (see [`patch::apply`]).
pub async fn patch(
    core: &Core,
    name: &str,
    body: Value,
    actor: Actor,
) -> Result<ServerView, ChangeError> {
    let body = object(body, "the patch")?;
    core.mutate_config(|cfg| {
        let server = cfg
            .mcp_servers
            .iter_mut()
            .find(|s| s.name == name)
            .ok_or_else(|| not_found(name))?;
        let mut next = patch::apply(server, &body)?;
        if actor == Actor::AiClient
            && server.quarantined == Some(true)
            && next.quarantined != Some(true)
        {
            return Err(ChangeError::BadRequest(
                "AI clients cannot lift a quarantine; a person approves servers in the UI or CLI"
                    .into(),
            ));
        }
        next.updated = Some(now());
        *server = next;
        Ok(())
    })
    .await?;
    view_of(core, name)
}

/// Remove server `name` (its connection and processes are stopped).
pub async fn remove(core: &Core, name: &str) -> Result<(), ChangeError> {
    core.mutate_config(|cfg| {
        let before = cfg.mcp_servers.len();
        cfg.mcp_servers.retain(|s| s.name != name);
        if cfg.mcp_servers.len() == before {
            return Err(not_found(name));
        }
        Ok(())
    })
    .await
}

/// Enable or disable server `name`.
pub async fn set_enabled(
    core: &Core,
    name: &str,
    enabled: bool,
) -> Result<ServerView, ChangeError> {
    core.mutate_config(|cfg| {
        let server = cfg
            .mcp_servers
            .iter_mut()
            .find(|s| s.name == name)
            .ok_or_else(|| not_found(name))?;
        if server.enabled != enabled {
            server.enabled = enabled;
            server.updated = Some(now());
        }
        Ok(())
    })
    .await?;
    view_of(core, name)
}

/// Reconnect server `name` (new process or session).
pub async fn restart(core: &Core, name: &str) -> Result<ServerView, ChangeError> {
    if !core.restart_server(name).await {
        return Err(not_found(name));
    }
    view_of(core, name)
}

/// The tools server `name` currently offers (empty unless ready).
pub fn tools(core: &Core, name: &str) -> Result<Vec<rmcp::model::Tool>, ChangeError> {
    view_of(core, name)?;
    Ok(core
        .upstreams
        .get(name)
        .map(|u| u.status().tools.to_vec())
        .unwrap_or_default())
}

/// The last `n` lines (≤ [`MAX_LOG_LINES`]) of server `name`'s log file, oldest first.
pub fn tail_log(core: &Core, name: &str, n: usize) -> Result<Vec<String>, ChangeError> {
    view_of(core, name)?;
    let Some(upstream) = core.upstreams.get(name) else {
        return Ok(Vec::new());
    };
    let path = upstream.log.path();
    read_last_lines(&path, n.min(MAX_LOG_LINES)).map_err(|err| ChangeError::Io {
        path: path.display().to_string(),
        message: err.to_string(),
    })
}

/// The last `n` lines of a text file (reads at most the last 4 MiB).
pub fn read_last_lines(path: &Path, n: usize) -> std::io::Result<Vec<String>> {
    const WINDOW: u64 = 4 * 1024 * 1024;
    let mut file = match std::fs::File::open(path) {
        Ok(file) => file,
        Err(err) if err.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(err) => return Err(err),
    };
    let len = file.metadata()?.len();
    let start = len.saturating_sub(WINDOW);
    file.seek(SeekFrom::Start(start))?;
    let mut bytes = Vec::new();
    file.read_to_end(&mut bytes)?;
    let text = String::from_utf8_lossy(&bytes);
    let mut lines: Vec<&str> = text.lines().collect();
    if start > 0 && !lines.is_empty() {
        lines.remove(0); // probably cut in the middle
    }
    let skip = lines.len().saturating_sub(n);
    Ok(lines[skip..].iter().map(|l| l.to_string()).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn last_lines_of_a_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("x.log");
        assert!(read_last_lines(&path, 3).unwrap().is_empty());
        std::fs::write(&path, "a\nb\nc\nd\n").unwrap();
        assert_eq!(read_last_lines(&path, 2).unwrap(), vec!["c", "d"]);
        assert_eq!(read_last_lines(&path, 10).unwrap().len(), 4);
    }
}
