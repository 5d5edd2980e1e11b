//! Turning a finished tool call into an activity record, with secrets redacted: values under
//! sensitive-looking keys, every known secret value and every detected credential are masked
//! (on the whole text, before the response is cut to its excerpt), and the detection types
//! are recorded in `sensitive_data`. Nothing here changes what the caller receives.

use super::activity::ActivityRecord;
use crate::secrets;
use crate::secrets::scrub::Scrubber;
use rmcp::model::{CallToolResult, JsonObject};
use serde_json::Value;
use std::collections::BTreeSet;

/// Characters of a response kept in the activity log.
pub const RESPONSE_EXCERPT_CHARS: usize = 2_000;

/// Marker the read cache puts after a response it truncated (a cut inside the text).
const TRUNCATION_NOTE: &str = "\n\n[mcpproxy: result truncated to ";

/// Replace secret material in `value`: strings under sensitive-looking keys entirely, known
/// secrets and detected credentials inside every other string. Types found go to `types`.
pub fn redact_value(value: &Value, scrubber: &Scrubber, types: &mut BTreeSet<String>) -> Value {
    fn walk(
        value: &Value,
        key: Option<&str>,
        scrubber: &Scrubber,
        types: &mut BTreeSet<String>,
    ) -> Value {
        match value {
            Value::String(s) if key.is_some_and(secrets::is_sensitive_env) => {
                Value::String(secrets::mask_value(s))
            }
            Value::String(s) => Value::String(scrubber.scrub(s, types)),
            Value::Object(map) => Value::Object(
                map.iter()
                    .map(|(k, v)| (scrubber.scrub(k, types), walk(v, Some(k), scrubber, types)))
                    .collect(),
            ),
            Value::Array(items) => Value::Array(
                items
                    .iter()
                    .map(|v| walk(v, key, scrubber, types))
                    .collect(),
            ),
            other => other.clone(),
        }
    }
    walk(value, None, scrubber, types)
}

/// [`redact_value`] for call arguments.
pub fn redact_arguments(
    args: &JsonObject,
    scrubber: &Scrubber,
    types: &mut BTreeSet<String>,
) -> Value {
    redact_value(&Value::Object(args.clone()), scrubber, types)
}

/// Mask secrets in the whole `text`, then keep its first `limit` characters; the beginning
/// of a secret left at a cut (this one, or the read cache's truncation) is masked too.
pub fn scrubbed_excerpt(
    text: &str,
    limit: usize,
    scrubber: &Scrubber,
    types: &mut BTreeSet<String>,
) -> String {
    let mut masked = scrubber.scrub(text, types);
    if let Some(at) = masked.find(TRUNCATION_NOTE) {
        let note = masked[at..].to_string();
        let mut head = masked[..at].to_string();
        scrubber.mask_cut(&mut head);
        masked = format!("{head}{note}");
    }
    if masked.chars().count() <= limit {
        return masked;
    }
    let mut excerpt: String = masked.chars().take(limit).collect();
    scrubber.mask_cut(&mut excerpt);
    excerpt
}

/// Text of a result for the log: (total characters, masked excerpt).
pub fn response_excerpt(
    result: &CallToolResult,
    scrubber: &Scrubber,
    types: &mut BTreeSet<String>,
) -> (i64, String) {
    let text: String = result
        .content
        .iter()
        .filter_map(|c| c.as_text().map(|t| t.text.as_str()))
        .collect::<Vec<_>>()
        .join("\n");
    let total = text.chars().count() as i64;
    (
        total,
        scrubbed_excerpt(&text, RESPONSE_EXCERPT_CHARS, scrubber, types),
    )
}

/// Mask known secrets and detected credentials in every free-text field of `record` (for
/// records not built by [`call_record`], e.g. decisions and config changes) and add the
/// types found to its `sensitive_data`.
pub fn scrub_record(record: &mut ActivityRecord, scrubber: &Scrubber) {
    let mut types: BTreeSet<String> = record.sensitive_data.drain(..).collect();
    for field in [&mut record.detail, &mut record.response] {
        if let Some(text) = field.as_mut() {
            *text = scrubber.scrub(text, &mut types);
        }
    }
    if let Some(arguments) = record.arguments.as_mut() {
        *arguments = redact_value(arguments, scrubber, &mut types);
    }
    record.sensitive_data = types.into_iter().collect();
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
    /// Masks every secret value the core knows and detected credentials.
    pub scrubber: &'a Scrubber,
}

/// The activity record of a finished call.
pub fn call_record(call: FinishedCall<'_>) -> ActivityRecord {
    let mut types = BTreeSet::new();
    let arguments = redact_arguments(call.args, call.scrubber, &mut types);
    let (size, excerpt) = response_excerpt(call.result, call.scrubber, &mut types);
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
        arguments: Some(arguments),
        response_size: Some(size),
        response: Some(excerpt),
        sensitive_data: types.into_iter().collect(),
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
        let scrubber = Scrubber::new(["sk-live-abcdef".to_string()]);
        let mut types = BTreeSet::new();
        let out = redact_arguments(args.as_object().unwrap(), &scrubber, &mut types);
        let text = out.to_string();
        assert!(types.contains("known_secret"), "{types:?}");
        assert!(!text.contains("tok-1234567890"), "{text}");
        assert!(!text.contains("hunter2hunter2"), "{text}");
        assert!(!text.contains("sk-live-abcdef"), "{text}");
        assert_eq!(out["n"], 3);
        assert!(out["query"].as_str().unwrap().starts_with("use ••••ef"));
    }

    #[test]
    fn a_secret_across_the_cut_is_masked_whole() {
        let secret = "S3CRET-abcdefghijklmnopqrstu"; // 27 chars
        let scrubber = Scrubber::new([secret.to_string()]);
        let text = format!("{}{secret} tail", "x".repeat(RESPONSE_EXCERPT_CHARS - 20));
        let mut types = BTreeSet::new();
        let excerpt = scrubbed_excerpt(&text, RESPONSE_EXCERPT_CHARS, &scrubber, &mut types);
        assert!(
            !excerpt.contains("S3CRET-abcd"),
            "{}",
            &excerpt[excerpt.len() - 60..]
        );
        assert!(excerpt.ends_with("••••tu (27 chars) tail") || excerpt.contains("••••"));
        // A cut that leaves only the beginning (e.g. the read cache's truncation) is masked too.
        let cut = format!("data {}", &secret[..12]);
        let excerpt = scrubbed_excerpt(&cut, 10, &scrubber, &mut types);
        assert!(!excerpt.contains("S3CR"), "{excerpt}");
        let truncated = format!(
            "data {}{TRUNCATION_NOTE}20 of 99 characters]",
            &secret[..12]
        );
        let excerpt = scrubbed_excerpt(&truncated, 2000, &scrubber, &mut types);
        assert!(excerpt.starts_with("data ••••\n\n[mcpproxy"), "{excerpt}");
    }

    #[test]
    fn detected_credentials_are_masked_and_typed() {
        let args = json!({"note": "use AKIAIOSFODNN7EXAMPLE", "card": "4111 1111 1111 1111"});
        let mut types = BTreeSet::new();
        let out = redact_arguments(args.as_object().unwrap(), &Scrubber::default(), &mut types);
        assert!(!out.to_string().contains("AKIAIOSFODNN7EXAMPLE"), "{out}");
        assert!(!out.to_string().contains("4111 1111"), "{out}");
        assert_eq!(
            types.into_iter().collect::<Vec<_>>(),
            vec!["aws_access_key", "credit_card"]
        );
    }
}
