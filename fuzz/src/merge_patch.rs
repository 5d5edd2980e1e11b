//! JSON Merge Patch of a stored server (`PATCH /api/v1/servers/{name}`, MCP
//! `upstream_servers` patch).
//!
//! Input: the first byte picks a stored server; the rest is the patch as JSON text when it
//! is a JSON object (the committed seeds are real patches), otherwise it drives an
//! [`arbitrary`] patch built from the server fields and values that matter.
//!
//! Properties: never panics; a refusal is a non-empty message that echoes no stored
//! secret; an accepted patch either fails config validation with a field, message and fix
//! (as `Core::mutate_config` does) or gives a config that saves and loads back unchanged.
//! A masked value sent back keeps the stored secret.

use arbitrary::{Arbitrary, Unstructured};
use mcpproxy::config::{self, Config, ServerConfig};
use mcpproxy::manage::patch::{self, READ_ONLY_FIELDS, WRITABLE_FIELDS};
use serde_json::{json, Map, Value};
use std::path::Path;

/// Secret values of the stored servers; no error message may contain them.
const SECRETS: &[&str] = &["Bearer s3cr3t-token-value", "tok-0123456789abcdef"];

/// Real server definitions the patches apply to.
fn bases() -> Vec<ServerConfig> {
    [
        json!({"name": "gh", "protocol": "http", "url": "http://127.0.0.1:3000/mcp",
               "headers": {"Authorization": SECRETS[0], "X-Trace": "on"},
               "env": {"API_TOKEN": SECRETS[1], "MODE": "a"}}),
        json!({"name": "fs", "command": "npx", "args": ["-y", "@modelcontextprotocol/server-filesystem", "/tmp"],
               "env": {"API_TOKEN": SECRETS[1]}, "working_dir": "/tmp", "quarantined": true}),
        json!({"name": "legacy", "protocol": "sse", "url": "http://127.0.0.1:3001/sse", "enabled": false}),
        json!({"name": "oauth-srv", "protocol": "streamable-http", "url": "https://api.example.com/mcp",
               "oauth": {"client_id": "abc", "scopes": ["repo"], "pkce_enabled": true}}),
        json!({"name": "py", "protocol": "stdio", "command": "uvx", "args": ["mcp-server-time"],
               "isolation": {"enabled": true, "image": "python:3.12-slim"}}),
    ]
    .into_iter()
    .map(|value| serde_json::from_value(value).expect("base servers are valid"))
    .collect()
}

/// One input: selector byte + patch.
pub fn run(data: &[u8]) {
    let Some((&selector, rest)) = data.split_first() else {
        return;
    };
    let bases = bases();
    let stored = &bases[usize::from(selector) % bases.len()];
    let body = match serde_json::from_slice::<Value>(rest) {
        Ok(Value::Object(object)) => object,
        _ => match FuzzPatch::arbitrary_take_rest(Unstructured::new(rest)) {
            Ok(generated) => generated.to_object(stored),
            Err(_) => return,
        },
    };
    check(&bases, stored, &body);
}

fn check(bases: &[ServerConfig], stored: &ServerConfig, body: &Map<String, Value>) {
    let next = match patch::apply(stored, body) {
        Ok(next) => next,
        Err(err) => {
            let message = err.to_string();
            assert!(!message.trim().is_empty(), "empty refusal");
            for secret in SECRETS {
                assert!(
                    !message.contains(secret),
                    "refusal echoes a secret: {message}"
                );
            }
            return;
        }
    };
    assert_eq!(next.name, stored.name, "the name changed");
    for field in ["headers", "env"] {
        check_masked_echo(stored, body, &next, field);
    }
    let mut cfg = Config {
        mcp_servers: bases.to_vec(),
        ..Config::default()
    };
    let slot = cfg
        .mcp_servers
        .iter_mut()
        .find(|s| s.name == stored.name)
        .expect("stored server is a base");
    *slot = next;
    if let Err((field, message, fix)) = config::load::validate(&cfg) {
        assert!(
            !field.is_empty() && !message.is_empty() && !fix.is_empty(),
            "unclear validation error: {field:?} {message:?} {fix:?}"
        );
        return;
    }
    let path = Path::new("/fuzz/mcp_config.json");
    let text = config::save::to_text(&cfg).expect("a patched config serialises");
    let loaded = match config::parse_str(&text, path) {
        Ok(loaded) => loaded,
        Err(err) => panic!("patched config does not load: {err}\n{text}"),
    };
    assert_eq!(loaded, cfg, "patched config changed on save → load");
}

/// A masked value sent back for a stored key keeps the stored value.
fn check_masked_echo(
    stored: &ServerConfig,
    body: &Map<String, Value>,
    next: &ServerConfig,
    field: &str,
) {
    let (before, after) = match field {
        "headers" => (&stored.headers, &next.headers),
        _ => (&stored.env, &next.env),
    };
    let Some(Value::Object(entries)) = body.get(field) else {
        return;
    };
    for (key, value) in entries {
        let Some(stored_value) = before.get(key) else {
            continue;
        };
        // Another entry for the same header (names match case-insensitively) wins if later.
        let same = |other: &String| {
            other == key || (field == "headers" && other.eq_ignore_ascii_case(key))
        };
        if entries.keys().filter(|other| same(other)).count() > 1 {
            continue;
        }
        if value.as_str() == Some(mcpproxy::secrets::mask_value(stored_value).as_str()) {
            assert_eq!(
                after.get(key),
                Some(stored_value),
                "masked echo of {field}.{key} lost the secret"
            );
        }
    }
}

/// A structured patch: fields the server accepts (or not) with values of varied shapes.
#[derive(Debug, Arbitrary)]
pub struct FuzzPatch {
    entries: Vec<(FieldName, FuzzValue)>,
}

#[derive(Debug, Arbitrary)]
enum FieldName {
    Writable(u8),
    ReadOnly(u8),
    Other(String),
}

#[derive(Debug, Arbitrary)]
enum FuzzValue {
    Null,
    Bool(bool),
    Int(i64),
    Float(f64),
    Text(FuzzText),
    List(Vec<FuzzText>),
    Map(Vec<(FuzzKey, Option<FuzzText>)>),
    Json(String),
}

#[derive(Debug, Arbitrary)]
enum FuzzKey {
    /// A key the stored headers/env have, in another case.
    Stored(u8, bool),
    Any(String),
}

#[derive(Debug, Arbitrary)]
enum FuzzText {
    Plain(String),
    /// The mask of a stored secret (a correct echo).
    Mask(u8),
    /// Something that looks like a mask but is not one.
    FakeMask(String),
    Url(bool, u16, String),
    Protocol(u8),
}

impl FuzzPatch {
    fn to_object(&self, stored: &ServerConfig) -> Map<String, Value> {
        self.entries
            .iter()
            .map(|(name, value)| (name.text(), value.to_json(stored)))
            .collect()
    }
}

fn pick<'a>(list: &[&'a str], index: u8) -> &'a str {
    list[usize::from(index) % list.len()]
}

impl FieldName {
    fn text(&self) -> String {
        match self {
            Self::Writable(i) => pick(WRITABLE_FIELDS, *i).to_string(),
            Self::ReadOnly(i) => pick(READ_ONLY_FIELDS, *i).to_string(),
            Self::Other(name) => name.clone(),
        }
    }
}

impl FuzzValue {
    fn to_json(&self, stored: &ServerConfig) -> Value {
        match self {
            Self::Null => Value::Null,
            Self::Bool(b) => json!(b),
            Self::Int(n) => json!(n),
            Self::Float(f) => json!(f),
            Self::Text(text) => json!(text.to_text(stored)),
            Self::List(items) => json!(items.iter().map(|t| t.to_text(stored)).collect::<Vec<_>>()),
            Self::Map(entries) => Value::Object(
                entries
                    .iter()
                    .map(|(key, value)| {
                        let value = value
                            .as_ref()
                            .map_or(Value::Null, |t| json!(t.to_text(stored)));
                        (key.to_text(stored), value)
                    })
                    .collect(),
            ),
            Self::Json(text) => serde_json::from_str(text).unwrap_or_else(|_| json!(text)),
        }
    }
}

fn stored_keys(stored: &ServerConfig) -> Vec<&String> {
    stored.headers.keys().chain(stored.env.keys()).collect()
}

impl FuzzKey {
    fn to_text(&self, stored: &ServerConfig) -> String {
        match self {
            Self::Stored(i, upper) => {
                let keys = stored_keys(stored);
                match keys.get(usize::from(*i) % keys.len().max(1)) {
                    Some(key) if *upper => key.to_ascii_uppercase(),
                    Some(key) => key.to_string(),
                    None => String::new(),
                }
            }
            Self::Any(key) => key.clone(),
        }
    }
}

impl FuzzText {
    fn to_text(&self, stored: &ServerConfig) -> String {
        match self {
            Self::Plain(text) => text.clone(),
            Self::Mask(i) => {
                let values: Vec<&String> =
                    stored.headers.values().chain(stored.env.values()).collect();
                values
                    .get(usize::from(*i) % values.len().max(1))
                    .map(|v| mcpproxy::secrets::mask_value(v))
                    .unwrap_or_default()
            }
            Self::FakeMask(tail) => format!("••••{tail}"),
            Self::Url(https, port, path) => format!(
                "{}://127.0.0.1:{port}/{path}",
                if *https { "https" } else { "http" }
            ),
            Self::Protocol(i) => pick(
                &["stdio", "http", "sse", "streamable-http", "auto", "grpc"],
                *i,
            )
            .to_string(),
        }
    }
}
