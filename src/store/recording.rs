//! Turning a finished tool call into an activity record, with secrets redacted.

use super::activity::ActivityRecord;
use crate::secrets;
use rmcp::model::{CallToolResult, JsonObject};
use serde_json::Value;

/// Characters of a response kept in the activity log.
pub const RESPONSE_EXCERPT_CHARS: usize = 2_000;

/// Replace secret material in `args`: values under sensitive-looking keys and any
/// occurrence of a known secret value (the server's own headers/env secrets).
pub fn redact_arguments(args: &JsonObject, known_secrets: &[String]) -> Value {
    fn walk(value: &Value, key: Option<&str>, known: &[String]) -> Value {
        match value {
            Value::String(s) if key.is_some_and(secrets::is_sensitive_env) => {
                Value::String(secrets::mask_value(s))
            }
            Value::String(s) => {
                let mut out = s.clone();
                for secret in known.iter().filter(|k| k.len() >= 4) {
                    if out.contains(secret.as_str()) {
                        out = out.replace(secret.as_str(), &secrets::mask_value(secret));
                    }
                }
                Value::String(out)
            }
            Value::Object(map) => Value::Object(
                map.iter()
                    .map(|(k, v)| (k.clone(), walk(v, Some(k), known)))
                    .collect(),
            ),
            Value::Array(items) => {
                Value::Array(items.iter().map(|v| walk(v, key, known)).collect())
            }
            other => other.clone(),
        }
    }
    walk(&Value::Object(args.clone()), None, known_secrets)
}

/// Text of a result for the log: (total characters, excerpt).
pub fn response_excerpt(result: &CallToolResult, known_secrets: &[String]) -> (i64, String) {
    let text: String = result
        .content
        .iter()
        .filter_map(|c| c.as_text().map(|t| t.text.as_str()))
        .collect::<Vec<_>>()
        .join("\n");
    let total = text.chars().count() as i64;
    let mut excerpt: String = text.chars().take(RESPONSE_EXCERPT_CHARS).collect();
    for secret in known_secrets.iter().filter(|k| k.len() >= 4) {
        if excerpt.contains(secret.as_str()) {
            excerpt = excerpt.replace(secret.as_str(), &secrets::mask_value(secret));
        }
    }
    (total, excerpt)
}

/// Everything known about one finished call.
pub struct FinishedCall<'a> {
    /// `mcp`, `api`, `cli`, …
    pub source: &'a str,
    /// Upstream server.
    pub server: &'a str,
    /// Upstream tool name.
    pub tool: &'a str,
    /// Arguments as sent.
    pub args: &'a JsonObject,
    /// The result returned to the caller.
    pub result: &'a CallToolResult,
    /// Wall time.
    pub duration_ms: i64,
    /// MCP request id or REST request id.
    pub request_id: Option<String>,
    /// MCP session id.
    pub session_id: Option<String>,
    /// Secret values of the server's config.
    pub known_secrets: &'a [String],
}

/// The activity record of a finished call.
pub fn call_record(call: FinishedCall<'_>) -> ActivityRecord {
    let (size, excerpt) = response_excerpt(call.result, call.known_secrets);
    let is_error = call.result.is_error == Some(true);
    ActivityRecord {
        kind: "tool_call".into(),
        source: Some(call.source.into()),
        server: Some(call.server.into()),
        tool: Some(call.tool.into()),
        status: Some(if is_error { "error" } else { "success" }.into()),
        duration_ms: Some(call.duration_ms),
        request_id: call.request_id,
        session_id: call.session_id,
        arguments: Some(redact_arguments(call.args, call.known_secrets)),
        response_size: Some(size),
        response: Some(excerpt),
        ..Default::default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn sensitive_keys_and_known_secrets_are_masked() {
        let args = json!({
            "api_token": "tok-1234567890",
            "query": "use sk-live-abcdef for this",
            "nested": {"password": "hunter2hunter2", "list": ["sk-live-abcdef"]},
            "n": 3
        });
        let out = redact_arguments(args.as_object().unwrap(), &["sk-live-abcdef".to_string()]);
        let text = out.to_string();
        assert!(!text.contains("tok-1234567890"), "{text}");
        assert!(!text.contains("hunter2hunter2"), "{text}");
        assert!(!text.contains("sk-live-abcdef"), "{text}");
        assert_eq!(out["n"], 3);
        assert!(out["query"].as_str().unwrap().starts_with("use ••••ef"));
    }
}
