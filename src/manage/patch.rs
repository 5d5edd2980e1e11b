//! JSON Merge Patch (RFC 7396) of server definitions with masked-echo protection.
//!
//! `headers` and `env` merge key by key (string = upsert, null = delete, absent = keep; an
//! empty string is a value). Every other field is replaced (null resets it to its default).
//! A masked value (`••••<last2> (<N> chars)`) sent back unchanged keeps the stored secret.

use crate::config::ServerConfig;
use crate::core::ChangeError;
use crate::secrets;
use indexmap::IndexMap;
use serde_json::{Map, Value};

/// Fields of the server object a client may send back but that are never stored.
pub const READ_ONLY_FIELDS: &[&str] = &[
    "status",
    "last_error",
    "transport",
    "retry_count",
    "server_info",
    "tool_count",
    "created",
    "updated",
];

/// Stored fields a client may set.
pub const WRITABLE_FIELDS: &[&str] = &[
    "name",
    "protocol",
    "command",
    "args",
    "working_dir",
    "env",
    "url",
    "headers",
    "enabled",
    "quarantined",
    "oauth",
    "isolation",
    "enabled_tools",
    "disabled_tools",
];

/// Fields that decide what a server executes or where and how it connects. An AI client's
/// change to any of them puts the server back into quarantine (see `ops::patch`).
pub const REACH_FIELDS: &[&str] = &[
    "protocol",
    "command",
    "args",
    "working_dir",
    "env",
    "url",
    "headers",
    "oauth",
    "isolation",
    "enabled_tools",
    "disabled_tools",
];

/// Top-level fields of a server definition whose value differs between `before` and
/// `after` (informational `created`/`updated` are ignored), in a stable order.
pub fn changed_fields(before: &ServerConfig, after: &ServerConfig) -> Vec<String> {
    let as_map = |s: &ServerConfig| match serde_json::to_value(s) {
        Ok(Value::Object(map)) => map,
        _ => Map::new(),
    };
    let (a, b) = (as_map(before), as_map(after));
    let mut keys: Vec<&String> = a.keys().chain(b.keys()).collect();
    keys.sort();
    keys.dedup();
    keys.into_iter()
        .filter(|k| !matches!(k.as_str(), "created" | "updated"))
        .filter(|k| a.get(*k) != b.get(*k))
        .cloned()
        .collect()
}

/// What masks look like; such a value is never stored as a secret.
const MASK_PREFIX: &str = "••••";

fn bad(message: String) -> ChangeError {
    ChangeError::BadRequest(message)
}

/// Refuse fields that are neither writable nor read-only view fields (typos, wrong object).
pub fn check_fields(body: &Map<String, Value>) -> Result<(), ChangeError> {
    for key in body.keys() {
        if !WRITABLE_FIELDS.contains(&key.as_str()) && !READ_ONLY_FIELDS.contains(&key.as_str()) {
            return Err(bad(format!(
                "unknown field `{key}`; a server accepts: {}",
                WRITABLE_FIELDS.join(", ")
            )));
        }
    }
    Ok(())
}

/// Merge `patch` (an object or null) into the `field` map (`headers` or `env`).
/// Header names match case-insensitively; env names exactly.
pub fn merge_map(
    stored: &IndexMap<String, String>,
    patch: &Value,
    field: &str,
) -> Result<IndexMap<String, String>, ChangeError> {
    let entries = match patch {
        Value::Null => return Ok(IndexMap::new()),
        Value::Object(entries) => entries,
        _ => {
            return Err(bad(format!(
                "`{field}` must be an object of name → string (set) or null (delete)"
            )))
        }
    };
    let same_key = |a: &str, b: &str| {
        if field == "headers" {
            a.eq_ignore_ascii_case(b)
        } else {
            a == b
        }
    };
    let mut merged = stored.clone();
    for (key, value) in entries {
        let existing = merged.keys().position(|k| same_key(k, key));
        match value {
            Value::Null => {
                if let Some(index) = existing {
                    merged.shift_remove_index(index);
                }
            }
            Value::String(text) => {
                let current = existing.and_then(|i| merged.get_index(i)).map(|(_, v)| v);
                let value = keep_masked(current, text, field, key)?;
                match existing {
                    Some(index) => {
                        merged.shift_remove_index(index);
                        merged.shift_insert(index, key.clone(), value);
                    }
                    None => {
                        merged.insert(key.clone(), value);
                    }
                }
            }
            _ => {
                return Err(bad(format!(
                    "`{field}.{key}` must be a string (set) or null (delete)"
                )))
            }
        }
    }
    Ok(merged)
}

/// The value to store for `incoming`: the stored one when `incoming` is its mask.
/// A mask that matches nothing is refused rather than stored as a secret.
pub fn keep_masked(
    stored: Option<&String>,
    incoming: &str,
    field: &str,
    key: &str,
) -> Result<String, ChangeError> {
    if let Some(stored) = stored {
        if incoming == stored || incoming == secrets::mask_value(stored) {
            return Ok(stored.clone());
        }
    }
    if incoming.starts_with(MASK_PREFIX) {
        return Err(bad(format!(
            "`{field}.{key}` is a masked value that does not match the stored one; send the real value, or leave the key out to keep it"
        )));
    }
    Ok(incoming.to_string())
}

/// Deserialize a server object, naming the field on error without echoing values.
pub fn server_from_object(object: Map<String, Value>) -> Result<ServerConfig, ChangeError> {
    let value = Value::Object(object);
    serde_path_to_error::deserialize::<_, ServerConfig>(value).map_err(|err| {
        let path = err.path().to_string();
        let message = crate::secrets::strip_quoted(&err.into_inner().to_string());
        if path.is_empty() || path == "." {
            bad(format!("invalid server object: {message}"))
        } else {
            bad(format!("field `{path}`: {message}"))
        }
    })
}

/// Apply a merge patch to `stored`. `name` must be absent or unchanged; read-only view
/// fields are ignored.
pub fn apply(
    stored: &ServerConfig,
    patch: &Map<String, Value>,
) -> Result<ServerConfig, ChangeError> {
    check_fields(patch)?;
    let mut object = match serde_json::to_value(stored) {
        Ok(Value::Object(object)) => object,
        _ => return Err(bad("stored server cannot be represented as JSON".into())),
    };
    for (key, value) in patch {
        match key.as_str() {
            "name" => {
                if value.as_str() != Some(stored.name.as_str()) {
                    return Err(bad(format!(
                        "`name` cannot be changed (server `{}`); remove the server and add it under the new name",
                        stored.name
                    )));
                }
            }
            "headers" => {
                let merged = merge_map(&stored.headers, value, "headers")?;
                object.insert(key.clone(), serde_json::json!(merged));
            }
            "env" => {
                let merged = merge_map(&stored.env, value, "env")?;
                object.insert(key.clone(), serde_json::json!(merged));
            }
            k if READ_ONLY_FIELDS.contains(&k) => {}
            _ if value.is_null() => {
                object.remove(key);
            }
            _ => {
                object.insert(key.clone(), value.clone());
            }
        }
    }
    server_from_object(object)
}

/// Refuse mask-looking values in a new server (they would be stored as the secret).
pub fn reject_masks(server: &ServerConfig) -> Result<(), ChangeError> {
    for (field, map) in [("headers", &server.headers), ("env", &server.env)] {
        for (key, value) in map {
            keep_masked(None, value, field, key)?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn server() -> ServerConfig {
        serde_json::from_value(json!({
            "name": "gh", "protocol": "http", "url": "http://127.0.0.1:1/mcp",
            "headers": {"Authorization": "Bearer 0123456789", "X-Trace": "on"},
            "env": {"API_TOKEN": "tok-abcdef", "MODE": "a"}
        }))
        .unwrap()
    }

    fn patch(value: Value) -> Map<String, Value> {
        value.as_object().unwrap().clone()
    }

    #[test]
    fn upsert_delete_keep_and_empty_string() {
        let next = apply(
            &server(),
            &patch(json!({"headers": {"X-New": "1", "x-trace": null, "X-Empty": ""}, "env": {"MODE": "b"}})),
        )
        .unwrap();
        assert_eq!(next.headers["Authorization"], "Bearer 0123456789");
        assert_eq!(next.headers["X-New"], "1");
        assert_eq!(next.headers["X-Empty"], "");
        assert!(!next.headers.contains_key("X-Trace"));
        assert_eq!(next.env["MODE"], "b");
        assert_eq!(next.env["API_TOKEN"], "tok-abcdef");
        assert_eq!(next.url, server().url, "absent fields are kept");
    }

    #[test]
    fn masked_echo_keeps_the_secret_and_stray_masks_are_refused() {
        let masked = secrets::mask_value("Bearer 0123456789");
        let next = apply(
            &server(),
            &patch(json!({"headers": {"Authorization": masked}})),
        )
        .unwrap();
        assert_eq!(next.headers["Authorization"], "Bearer 0123456789");
        let err = apply(
            &server(),
            &patch(json!({"headers": {"Authorization": "••••zz (9 chars)"}})),
        )
        .unwrap_err()
        .to_string();
        assert!(err.contains("headers.Authorization"), "{err}");
        let err = apply(&server(), &patch(json!({"env": {"NEW_KEY": "••••"}}))).unwrap_err();
        assert!(err.to_string().contains("env.NEW_KEY"));
    }

    #[test]
    fn null_map_clears_and_other_fields_replace() {
        let next = apply(
            &server(),
            &patch(json!({"headers": null, "url": "http://127.0.0.1:2/mcp", "enabled": false})),
        )
        .unwrap();
        assert!(next.headers.is_empty());
        assert_eq!(next.url.as_deref(), Some("http://127.0.0.1:2/mcp"));
        assert!(!next.enabled);
        let next = apply(&server(), &patch(json!({"enabled": null}))).unwrap();
        assert!(next.enabled, "null resets to the default");
    }

    #[test]
    fn name_is_immutable_and_bad_shapes_are_refused_without_values() {
        assert!(apply(&server(), &patch(json!({"name": "gh"}))).is_ok());
        let err = apply(&server(), &patch(json!({"name": "other"})))
            .unwrap_err()
            .to_string();
        assert!(err.contains("`name` cannot be changed"), "{err}");
        let err = apply(&server(), &patch(json!({"headers": {"A": 5}})))
            .unwrap_err()
            .to_string();
        assert!(err.contains("headers.A"), "{err}");
        let err = apply(&server(), &patch(json!({"headers": "x"})))
            .unwrap_err()
            .to_string();
        assert!(err.contains("`headers`"), "{err}");
        let err = apply(&server(), &patch(json!({"urll": "x"})))
            .unwrap_err()
            .to_string();
        assert!(err.contains("unknown field `urll`"), "{err}");
        let err = apply(&server(), &patch(json!({"enabled": "topsecret-value"})))
            .unwrap_err()
            .to_string();
        assert!(err.contains("enabled"), "{err}");
        assert!(!err.contains("topsecret-value"), "{err}");
    }

    #[test]
    fn changed_fields_name_what_differs_and_a_masked_echo_changes_nothing() {
        let masked = secrets::mask_value("Bearer 0123456789");
        let same = apply(
            &server(),
            &patch(json!({"headers": {"Authorization": masked}, "updated": "x"})),
        )
        .unwrap();
        assert!(changed_fields(&server(), &same).is_empty());
        let next = apply(
            &server(),
            &patch(json!({"env": {"NODE_OPTIONS": "--require /x.js"}, "enabled": false})),
        )
        .unwrap();
        assert_eq!(changed_fields(&server(), &next), vec!["enabled", "env"]);
        assert!(REACH_FIELDS.contains(&"env") && !REACH_FIELDS.contains(&"enabled"));
    }

    #[test]
    fn read_only_view_fields_are_ignored() {
        let next = apply(
            &server(),
            &patch(json!({"status": "ready", "tool_count": 3})),
        )
        .unwrap();
        assert!(next.extra.is_empty());
    }
}
