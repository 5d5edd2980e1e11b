//! Activity records of every config change (`type: config`) and quarantine decision
//! (`type: quarantine`), with the surface that made it and secret values masked. One place
//! builds them so that every surface (MCP, REST, CLI, UI, tray, the file) records alike.

use super::actor::Actor;
use crate::config::ServerConfig;
use crate::core::Core;
use crate::store::activity::ActivityRecord;
use serde_json::{json, Map, Value};

/// `server` as JSON with secrets masked: values under sensitive keys (headers, env, OAuth
/// secret) and every literal secret value of `known` wherever it appears (e.g. in `args`).
pub fn masked_server(server: &ServerConfig, known: &[String]) -> Value {
    match serde_json::to_value(server) {
        Ok(Value::Object(map)) => {
            let scrubber = crate::secrets::scrub::Scrubber::new(known.iter().cloned());
            let mut detected = std::collections::BTreeSet::new();
            crate::store::recording::redact_arguments(&map, &scrubber, &mut detected)
        }
        _ => Value::Null,
    }
}

fn known_secrets(servers: &[Option<&ServerConfig>]) -> Vec<String> {
    servers
        .iter()
        .flatten()
        .flat_map(|s| crate::secrets::secret_values(s))
        .collect()
}

/// Record a config change of one server. `action` is `add`, `patch`, `remove`, `enable` or
/// `disable`; `changed` names the fields that differ (patch).
pub fn server_change(
    core: &Core,
    actor: Actor,
    action: &str,
    before: Option<&ServerConfig>,
    after: Option<&ServerConfig>,
    changed: &[String],
) {
    let known = known_secrets(&[before, after]);
    let Some(server) = after.or(before) else {
        return;
    };
    let arguments = match action {
        "add" | "remove" => json!({"server": masked_server(server, &known)}),
        _ => {
            let full = masked_server(server, &known);
            let values: Map<String, Value> = changed
                .iter()
                .map(|f| (f.clone(), full.get(f).cloned().unwrap_or(Value::Null)))
                .collect();
            json!({"changed": changed, "after": values})
        }
    };
    let detail = (!changed.is_empty()).then(|| format!("changed: {}", changed.join(", ")));
    record(
        core,
        ActivityRecord {
            kind: "config".into(),
            source: Some(actor.as_str().into()),
            server: Some(server.name.clone()),
            status: Some(action.into()),
            arguments: Some(arguments),
            detail,
            ..Default::default()
        },
    );
}

/// Record a config change that concerns a secret (`convert_to_secret`, `secret_set`,
/// `secret_delete`): names only, never a value.
pub fn secret_change(
    core: &Core,
    actor: Actor,
    action: &str,
    server: Option<&str>,
    detail: String,
) {
    record(
        core,
        ActivityRecord {
            kind: "config".into(),
            source: Some(actor.as_str().into()),
            server: server.map(str::to_string),
            status: Some(action.into()),
            detail: Some(detail),
            ..Default::default()
        },
    );
}

/// Record a quarantine decision: `quarantined` (held back) or `approved` (released).
pub fn quarantine_decision(
    core: &Core,
    actor: Actor,
    server: &str,
    quarantined: bool,
    why: Option<String>,
) {
    record(
        core,
        ActivityRecord {
            kind: "quarantine".into(),
            source: Some(actor.as_str().into()),
            server: Some(server.into()),
            status: Some(
                if quarantined {
                    "quarantined"
                } else {
                    "approved"
                }
                .into(),
            ),
            detail: why,
            ..Default::default()
        },
    );
}

/// Written before the caller answers, so a record exists once the change is confirmed.
fn record(core: &Core, record: ActivityRecord) {
    if let Err(err) = core.store.record_activity(&record) {
        tracing::warn!(%err, "could not record activity");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn masked_server_hides_header_env_oauth_and_known_values_in_args() {
        let server: ServerConfig = serde_json::from_value(json!({
            "name": "s", "command": "tool", "args": ["--token", "tok-abcdefgh123"],
            "headers": {"Authorization": "Bearer abcdefgh123", "X-Trace": "on"},
            "env": {"API_TOKEN": "tok-abcdefgh123", "MODE": "a"},
            "oauth": {"client_secret": "very-secret-value"}
        }))
        .unwrap();
        let text = masked_server(&server, &crate::secrets::secret_values(&server)).to_string();
        for secret in ["abcdefgh123", "very-secret-value"] {
            assert!(!text.contains(secret), "{secret}: {text}");
        }
        assert!(text.contains("X-Trace") && text.contains("MODE"), "{text}");
    }
}
