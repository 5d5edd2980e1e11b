//! Server operations for every surface; all writes go through [`Core::mutate_config`].

pub use super::actor::Actor;
use super::audit;
use super::patch;
use super::view::{find_view, ServerView};
use crate::core::{ChangeError, Core};
use serde_json::{Map, Value};
use std::io::{Read, Seek, SeekFrom};
use std::path::Path;

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

/// An AI client may not add servers while `allow_server_add` is off, nor while
/// `quarantine_enabled` is off (nothing could hold its server back for a person's review).
fn check_ai_add(core: &Core) -> Result<(), ChangeError> {
    let config = core.config();
    if !config.allow_server_add {
        return Err(ChangeError::Forbidden(
            "adding servers from MCP is turned off (allow_server_add: false in mcp_config.json); a person adds servers with `mcpproxy upstream add`, the web UI or the REST API".into(),
        ));
    }
    if !config.quarantine_enabled {
        return Err(ChangeError::Forbidden(quarantine_off_message(
            "add a server",
        )));
    }
    Ok(())
}

fn quarantine_off_message(what: &str) -> String {
    format!(
        "an AI client cannot {what} while quarantine_enabled is false in mcp_config.json: nothing could hold it back for a person's approval; a person makes this change with the `mcpproxy upstream` commands, the web UI or the REST API"
    )
}

/// What an AI client is told when its change waits for a person.
pub fn approval_message(name: &str, fields: &[String]) -> String {
    format!(
        "The change to {} of server `{name}` waits for a person's approval: the server is quarantined and nothing of it runs until a person reviews it and runs `mcpproxy upstream approve {name}` (or approves it in the MCPProxy web UI or tray).",
        fields.join(", ")
    )
}

/// Add a server. Unless a person explicitly sends `quarantined: false`, it starts
/// quarantined when `quarantine_enabled` is on; an AI client's server always does.
pub async fn add(core: &Core, body: Value, actor: Actor) -> Result<ServerView, ChangeError> {
    let mut body = object(body, "the server")?;
    patch::check_fields(&body)?;
    for field in patch::READ_ONLY_FIELDS {
        body.remove(*field);
    }
    let explicit = body.get("quarantined").and_then(Value::as_bool);
    if actor.is_ai_client() {
        if explicit == Some(false) {
            return Err(ChangeError::BadRequest(
                "AI clients cannot add servers outside quarantine; a person approves them in the UI or CLI".into(),
            ));
        }
        check_ai_add(core)?;
    }
    if !body.contains_key("name") {
        return Err(ChangeError::BadRequest(
            "missing `name`; give the server a unique name such as \"github\"".into(),
        ));
    }
    let mut server = patch::server_from_object(body)?;
    patch::reject_masks(&server)?;
    let name = server.name.clone();
    let added = core
        .mutate_config(move |cfg| {
            if cfg.mcp_servers.iter().any(|s| s.name == server.name) {
                return Err(ChangeError::Conflict(format!(
                    "a server named `{}` already exists; choose another name or PATCH the existing one",
                    server.name
                )));
            }
            server.quarantined = match explicit {
                _ if actor.is_ai_client() => Some(true),
                Some(flag) => Some(flag),
                None if cfg.quarantine_enabled => Some(true),
                None => None,
            };
            let stamp = now();
            server.created = Some(stamp.clone());
            server.updated = Some(stamp);
            cfg.mcp_servers.push(server.clone());
            Ok(server)
        })
        .await?;
    audit::server_change(core, actor, "add", None, Some(&added), &[]);
    if added.quarantined == Some(true) {
        let why = format!("new server added through {}", actor.as_str());
        audit::quarantine_decision(core, actor, &name, true, Some(why));
    }
    view_of(core, &name)
}

/// The result of a patch.
#[derive(Debug)]
pub struct Patched {
    /// The server after the change.
    pub view: ServerView,
    /// Set when an AI client's change put the server (back) into quarantine: what to tell it.
    pub approval_required: Option<String>,
}

/// Apply a JSON Merge Patch to server `name` (see [`patch::apply`]). An AI client's change
/// to what the server executes or where and how it connects ([`patch::REACH_FIELDS`]) puts
/// it back into quarantine in the same atomic write, so nothing new runs before a person
/// approves it; with `quarantine_enabled` off such a change is refused.
pub async fn patch(
    core: &Core,
    name: &str,
    body: Value,
    actor: Actor,
) -> Result<Patched, ChangeError> {
    let body = object(body, "the patch")?;
    let (before, after, changed, reach) = core
        .mutate_config(|cfg| {
            let quarantine_on = cfg.quarantine_enabled;
            let server = cfg
                .mcp_servers
                .iter_mut()
                .find(|s| s.name == name)
                .ok_or_else(|| not_found(name))?;
            let mut next = patch::apply(server, &body)?;
            if actor.is_ai_client()
                && server.quarantined == Some(true)
                && next.quarantined != Some(true)
            {
                return Err(ChangeError::BadRequest(
                    "AI clients cannot lift a quarantine; a person approves servers in the UI or CLI"
                        .into(),
                ));
            }
            let changed = patch::changed_fields(server, &next);
            let reach: Vec<String> = changed
                .iter()
                .filter(|f| patch::REACH_FIELDS.contains(&f.as_str()))
                .cloned()
                .collect();
            if actor.is_ai_client() && !reach.is_empty() {
                if !quarantine_on {
                    return Err(ChangeError::Forbidden(quarantine_off_message(&format!(
                        "change {} of a server",
                        reach.join(", ")
                    ))));
                }
                next.quarantined = Some(true);
            }
            next.updated = Some(now());
            let before = std::mem::replace(server, next.clone());
            Ok((before, next, changed, reach))
        })
        .await?;
    audit::server_change(core, actor, "patch", Some(&before), Some(&after), &changed);
    let was = before.quarantined == Some(true);
    let is = after.quarantined == Some(true);
    if is && !was {
        let why = if actor.is_ai_client() && !reach.is_empty() {
            format!(
                "AI client changed {}; waits for a person's approval",
                reach.join(", ")
            )
        } else {
            "quarantined by a patch".to_string()
        };
        audit::quarantine_decision(core, actor, name, true, Some(why));
    }
    if was && !is {
        // Released by a person: its next tool list becomes the approval baseline, as with
        // the unquarantine endpoint.
        let _ = core.store.clear_approvals(name);
        audit::quarantine_decision(core, actor, name, false, Some("released by a patch".into()));
        core.events
            .publish(crate::events::CoreEvent::ApprovalsChanged {
                server: name.to_string(),
            });
    }
    let approval_required =
        (actor.is_ai_client() && !reach.is_empty()).then(|| approval_message(name, &reach));
    Ok(Patched {
        view: view_of(core, name)?,
        approval_required,
    })
}

/// Remove server `name` (its connection and processes are stopped).
pub async fn remove(core: &Core, name: &str, actor: Actor) -> Result<(), ChangeError> {
    if actor.is_ai_client() && !core.config().allow_server_remove {
        return Err(ChangeError::Forbidden(
            "removing servers from MCP is turned off (allow_server_remove: false in mcp_config.json); a person removes servers with `mcpproxy upstream remove`, the web UI or the REST API".into(),
        ));
    }
    let removed = core
        .mutate_config(|cfg| {
            let index = cfg
                .mcp_servers
                .iter()
                .position(|s| s.name == name)
                .ok_or_else(|| not_found(name))?;
            Ok(cfg.mcp_servers.remove(index))
        })
        .await?;
    audit::server_change(core, actor, "remove", Some(&removed), None, &[]);
    Ok(())
}

/// Enable or disable server `name`.
pub async fn set_enabled(
    core: &Core,
    name: &str,
    enabled: bool,
    actor: Actor,
) -> Result<ServerView, ChangeError> {
    let server = core
        .mutate_config(|cfg| {
            let server = cfg
                .mcp_servers
                .iter_mut()
                .find(|s| s.name == name)
                .ok_or_else(|| not_found(name))?;
            if server.enabled != enabled {
                server.enabled = enabled;
                server.updated = Some(now());
            }
            Ok(server.clone())
        })
        .await?;
    let action = if enabled { "enable" } else { "disable" };
    audit::server_change(
        core,
        actor,
        action,
        None,
        Some(&server),
        &["enabled".into()],
    );
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
