//! Loading and validating `mcp_config.json` with errors that name the place and the fix.

use super::schema::{Config, OAuthConfig, Protocol, ServerConfig};
use std::collections::HashSet;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// A config file that cannot be used, with where and how to fix it.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// The file could not be read.
    #[error("cannot read config file {path}: {source}")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    /// JSON syntax or type error at a position.
    #[error("invalid config {path} at line {line}, column {column}{field}: {message}. Fix: {fix}")]
    Parse {
        path: PathBuf,
        line: usize,
        column: usize,
        /// ` (field mcpServers[0].enabled)` or empty.
        field: String,
        message: String,
        fix: String,
    },
    /// A field has a value that parses but makes no sense.
    #[error("invalid config {path}: field `{field}`: {message}. Fix: {fix}")]
    Invalid {
        path: PathBuf,
        field: String,
        message: String,
        fix: String,
    },
}

/// Read and validate a config file.
pub fn load_file(path: &Path) -> Result<Config, ConfigError> {
    let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
        path: path.to_path_buf(),
        source,
    })?;
    parse_str(&text, path)
}

/// Parse and validate config text; `path` is only used in messages.
pub fn parse_str(text: &str, path: &Path) -> Result<Config, ConfigError> {
    let mut de = serde_json::Deserializer::from_str(text);
    let config: Config = serde_path_to_error::deserialize(&mut de).map_err(|err| {
        let field = err.path().to_string();
        let inner = err.into_inner();
        parse_error(path, &field, &inner)
    })?;
    de.end().map_err(|err| parse_error(path, "", &err))?;
    validate(&config).map_err(|(field, message, fix)| ConfigError::Invalid {
        path: path.to_path_buf(),
        field,
        message,
        fix,
    })?;
    Ok(config)
}

fn parse_error(path: &Path, field: &str, err: &serde_json::Error) -> ConfigError {
    // Values are never echoed: the file may hold secrets.
    let raw = strip_position(&err.to_string());
    let message = crate::secrets::strip_quoted(&raw);
    let fix = match err.classify() {
        _ if expected_variants(&raw).is_some() => format!(
            "set `{field}` to one of: {}",
            expected_variants(&raw).unwrap_or_default()
        ),
        serde_json::error::Category::Syntax | serde_json::error::Category::Eof => {
            "correct the JSON syntax (missing comma, quote or bracket?)".to_string()
        }
        _ if field.is_empty() || field == "." => "correct the value's type".to_string(),
        _ => format!("give `{field}` a value of the expected type"),
    };
    ConfigError::Parse {
        path: path.to_path_buf(),
        line: err.line(),
        column: err.column(),
        field: if field.is_empty() || field == "." {
            String::new()
        } else {
            format!(" (field `{field}`)")
        },
        message,
        fix,
    }
}

/// The valid values serde lists after "unknown variant `x`, expected …" (our schema's names,
/// never the user's value), as "a, b, c"; `None` for any other message.
fn expected_variants(message: &str) -> Option<String> {
    let (_, expected) = message
        .split_once("unknown variant")?
        .1
        .split_once("expected")?;
    let names: Vec<&str> = expected
        .split('`')
        .skip(1)
        .step_by(2)
        .filter(|name| !name.is_empty())
        .collect();
    (!names.is_empty()).then(|| names.join(", "))
}

/// serde_json appends " at line L column C"; the error reports those separately.
fn strip_position(message: &str) -> String {
    match message.rfind(" at line ") {
        Some(idx) => message[..idx].to_string(),
        None => message.to_string(),
    }
}

type Problem = (String, String, String);

fn problem(
    field: impl Into<String>,
    message: impl Into<String>,
    fix: impl Into<String>,
) -> Problem {
    (field.into(), message.into(), fix.into())
}

/// Semantic checks that serde cannot express.
pub fn validate(config: &Config) -> Result<(), Problem> {
    config.listen.parse::<SocketAddr>().map_err(|_| {
        problem(
            "listen",
            format!("`{}` is not an address:port", config.listen),
            "use a value like \"127.0.0.1:8080\"",
        )
    })?;
    parse_duration(&config.call_tool_timeout).map_err(|message| {
        problem(
            "call_tool_timeout",
            message,
            "use a duration like \"2m\", \"90s\" or \"1m30s\"",
        )
    })?;
    if config.tools_limit == 0 {
        return Err(problem(
            "tools_limit",
            "must be at least 1",
            "set it to a positive number such as 15",
        ));
    }
    if let Some(docker) = &config.docker_isolation {
        super::isolation::validate_global(docker)?;
    }
    let mut names = HashSet::new();
    for (index, server) in config.mcp_servers.iter().enumerate() {
        validate_server(server, index)?;
        if !names.insert(server.name.as_str()) {
            return Err(problem(
                format!("mcpServers[{index}].name"),
                format!("duplicate server name `{}`", server.name),
                "give every server a unique name",
            ));
        }
    }
    Ok(())
}

/// Checks for one server definition; `index` is its position in `mcpServers`.
pub fn validate_server(server: &ServerConfig, index: usize) -> Result<(), Problem> {
    let at = |field: &str| format!("mcpServers[{index}].{field}");
    validate_server_name(&server.name)
        .map_err(|(message, fix)| problem(at("name"), message, fix))?;
    let has_command = server
        .command
        .as_deref()
        .is_some_and(|c| !c.trim().is_empty());
    match server.protocol {
        Protocol::Stdio if !has_command => {
            return Err(problem(
                at("command"),
                format!("stdio server `{}` has no command", server.name),
                "set \"command\" (e.g. \"npx\") and \"args\"",
            ))
        }
        Protocol::Http | Protocol::Sse | Protocol::StreamableHttp => {
            validate_url(server.url.as_deref()).map_err(|(m, f)| problem(at("url"), m, f))?
        }
        Protocol::Auto if !has_command => {
            validate_url(server.url.as_deref()).map_err(|(m, f)| {
                problem(
                    at("url"),
                    m,
                    format!("{f}, or set \"command\" for a stdio server"),
                )
            })?
        }
        _ => {}
    }
    for key in server.env.keys() {
        if key.is_empty() || key.contains('=') || key.contains('\0') {
            return Err(problem(
                at("env"),
                format!("`{key}` is not a valid environment variable name"),
                "use names without '=' such as \"API_TOKEN\"",
            ));
        }
    }
    if let Some(isolation) = &server.isolation {
        super::isolation::validate_server_isolation(isolation, &at)?;
    }
    for (key, value) in &server.headers {
        if http::HeaderName::from_bytes(key.as_bytes()).is_err() {
            return Err(problem(
                at("headers"),
                format!("`{key}` is not a valid HTTP header name"),
                "use a token such as \"Authorization\" or \"X-Api-Key\"",
            ));
        }
        // The value itself is never echoed: it is usually a secret.
        if http::HeaderValue::from_str(value).is_err() {
            return Err(problem(
                at(&format!("headers.{key}")),
                "the value is not valid in an HTTP header (control characters such as a newline, or non-ASCII text)",
                "remove line breaks and control characters from the value",
            ));
        }
    }
    if let Some(oauth) = &server.oauth {
        let is_stdio = server.protocol == Protocol::Stdio
            || (server.protocol == Protocol::Auto && has_command);
        if is_stdio {
            return Err(problem(
                at("oauth"),
                format!("stdio server `{}` cannot use OAuth", server.name),
                "remove \"oauth\" or give the server a \"url\" (http/sse)",
            ));
        }
        validate_oauth(oauth)
            .map_err(|(field, m, f)| problem(at(&format!("oauth.{field}")), m, f))?;
    }
    Ok(())
}

/// Checks for a server's `oauth` block; the field is relative to `oauth`.
fn validate_oauth(oauth: &OAuthConfig) -> Result<(), Problem> {
    let blank = |v: &Option<String>| v.as_deref().is_some_and(|v| v.trim().is_empty());
    if blank(&oauth.client_id) {
        return Err(problem(
            "client_id",
            "is empty",
            "remove it to use dynamic registration, or set the client ID issued by the provider",
        ));
    }
    if oauth.client_secret.is_some() && oauth.client_id.is_none() {
        return Err(problem(
            "client_secret",
            "is set without a client_id",
            "add the matching \"client_id\" or remove \"client_secret\"",
        ));
    }
    for (index, scope) in oauth.scopes.iter().enumerate() {
        if scope.is_empty()
            || scope
                .chars()
                .any(|c| c.is_whitespace() || c == '"' || c == '\\')
        {
            return Err(problem(
                format!("scopes[{index}]"),
                format!("`{scope}` is not a valid scope"),
                "list each scope as its own string without spaces, e.g. [\"repo\", \"user\"]",
            ));
        }
    }
    if let Some(uri) = &oauth.redirect_uri {
        validate_redirect_uri(uri).map_err(|(m, f)| problem("redirect_uri", m, f))?;
    }
    if let Some(url) = &oauth.client_metadata_url {
        let ok = url::Url::parse(url)
            .map(|u| u.scheme() == "https" && u.host_str().is_some() && u.path() != "/")
            .unwrap_or(false);
        if !ok {
            return Err(problem(
                "client_metadata_url",
                format!("`{url}` is not an https URL with a path"),
                "use the https URL of your client metadata document, e.g. \"https://example.com/mcpproxy/client.json\"",
            ));
        }
    }
    const RESERVED: [&str; 8] = [
        "response_type",
        "client_id",
        "redirect_uri",
        "state",
        "code_challenge",
        "code_challenge_method",
        "scope",
        "resource",
    ];
    for key in oauth.extra_params.keys() {
        if key.trim().is_empty() || RESERVED.contains(&key.as_str()) {
            return Err(problem(
                format!("extra_params.{key}"),
                "is empty or a parameter the proxy sets itself",
                format!(
                    "remove it; use \"scopes\" for scopes; reserved: {}",
                    RESERVED.join(", ")
                ),
            ));
        }
    }
    Ok(())
}

/// A redirect URI must be a loopback `http` URL with an explicit port.
fn validate_redirect_uri(uri: &str) -> Result<(), (String, String)> {
    let fix =
        "use a loopback URL with a port, e.g. \"http://127.0.0.1:8765/oauth/callback\"".to_string();
    let parsed = url::Url::parse(uri)
        .map_err(|err| (format!("`{uri}` is not a URL ({err})"), fix.clone()))?;
    let loopback = matches!(parsed.host_str(), Some("127.0.0.1" | "localhost" | "[::1]"));
    if parsed.scheme() != "http" || !loopback || parsed.port().is_none() {
        return Err((
            format!("`{uri}` is not an http loopback URL with an explicit port"),
            fix,
        ));
    }
    Ok(())
}

/// Server names: non-empty, at most 64 chars, no ':' and no whitespace/control chars.
pub fn validate_server_name(name: &str) -> Result<(), (String, String)> {
    let fix = "use letters, digits, '-', '_' or '.' (e.g. \"github\")".to_string();
    if name.trim().is_empty() {
        return Err(("server name is empty".into(), fix));
    }
    if name.len() > 64 {
        return Err((format!("server name `{name}` is longer than 64 chars"), fix));
    }
    if name.contains(':')
        || name.chars().any(|c| c.is_whitespace() || c.is_control())
        || name.contains('/')
    {
        return Err((
            format!("server name `{name}` contains ':', '/', whitespace or control characters"),
            fix,
        ));
    }
    Ok(())
}

fn validate_url(url: Option<&str>) -> Result<(), (String, String)> {
    let Some(url) = url.filter(|u| !u.trim().is_empty()) else {
        return Err((
            "no url set".into(),
            "set \"url\" to the server's http(s) endpoint".into(),
        ));
    };
    match url::Url::parse(url) {
        Ok(parsed) if matches!(parsed.scheme(), "http" | "https") => Ok(()),
        Ok(parsed) => Err((
            format!("unsupported URL scheme `{}`", parsed.scheme()),
            "use an http:// or https:// URL".into(),
        )),
        Err(err) => Err((
            format!("`{url}` is not a valid URL ({err})"),
            "use a full URL like \"http://127.0.0.1:3000/mcp\"".into(),
        )),
    }
}

/// Parse "2m", "30s", "1m30s", "500ms".
pub fn parse_duration(text: &str) -> Result<Duration, String> {
    humantime::parse_duration(text.trim())
        .map_err(|err| format!("`{text}` is not a duration ({err})"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<Config, ConfigError> {
        parse_str(text, Path::new("/tmp/cfg.json"))
    }

    #[test]
    fn defaults_apply_to_empty_object() {
        let c = parse("{}").unwrap();
        assert_eq!(c.listen, "127.0.0.1:8080");
        assert_eq!(c.tools_limit, 15);
        assert_eq!(c.tool_response_limit, 20_000);
        assert!(c.quarantine_enabled);
        assert_eq!(
            parse_duration(&c.call_tool_timeout).unwrap(),
            Duration::from_secs(120)
        );
    }

    #[test]
    fn syntax_error_names_line_and_column() {
        let err = parse("{\n  \"listen\": \"127.0.0.1:1\"\n  \"x\": 1\n}").unwrap_err();
        let text = err.to_string();
        assert!(text.contains("line 3"), "{text}");
        assert!(text.contains("/tmp/cfg.json"), "{text}");
        assert!(text.contains("Fix:"), "{text}");
    }

    #[test]
    fn type_error_names_field_path() {
        let err =
            parse(r#"{"mcpServers":[{"name":"a","command":"x","enabled":"yes"}]}"#).unwrap_err();
        let text = err.to_string();
        assert!(text.contains("mcpServers[0].enabled"), "{text}");
        assert!(text.contains("boolean"), "{text}");
    }

    #[test]
    fn semantic_errors_name_field_and_fix() {
        let cases = [
            (
                r#"{"mcpServers":[{"name":"a:b","command":"x"}]}"#,
                "mcpServers[0].name",
            ),
            (
                r#"{"mcpServers":[{"name":"a","protocol":"stdio"}]}"#,
                "mcpServers[0].command",
            ),
            (
                r#"{"mcpServers":[{"name":"a","protocol":"http","url":"ftp://x"}]}"#,
                "mcpServers[0].url",
            ),
            (
                r#"{"mcpServers":[{"name":"a","command":"x"},{"name":"a","command":"y"}]}"#,
                "mcpServers[1].name",
            ),
            (r#"{"listen":"nope"}"#, "listen"),
            (
                r#"{"mcpServers":[{"name":"a","command":"x","oauth":{}}]}"#,
                "mcpServers[0].oauth",
            ),
            (
                r#"{"mcpServers":[{"name":"a","url":"http://x","oauth":{"client_secret":"s"}}]}"#,
                "mcpServers[0].oauth.client_secret",
            ),
            (
                r#"{"mcpServers":[{"name":"a","url":"http://x","oauth":{"scopes":["repo","a b"]}}]}"#,
                "mcpServers[0].oauth.scopes[1]",
            ),
            (
                r#"{"mcpServers":[{"name":"a","url":"http://x","oauth":{"redirect_uri":"https://example.com/cb"}}]}"#,
                "mcpServers[0].oauth.redirect_uri",
            ),
            (
                r#"{"mcpServers":[{"name":"a","url":"http://x","oauth":{"extra_params":{"state":"x"}}}]}"#,
                "mcpServers[0].oauth.extra_params.state",
            ),
            (
                r#"{"mcpServers":[{"name":"a","url":"http://x","oauth":{"client_metadata_url":"http://x/c.json"}}]}"#,
                "mcpServers[0].oauth.client_metadata_url",
            ),
            (r#"{"call_tool_timeout":"soon"}"#, "call_tool_timeout"),
            (
                r#"{"docker_isolation":{"enabled":true,"memory_limit":"lots"}}"#,
                "docker_isolation.memory_limit",
            ),
            (
                r#"{"docker_isolation":{"enabled":"yes"}}"#,
                "docker_isolation.enabled",
            ),
            (
                r#"{"docker_isolation":{"extra_args":["--privileged"]}}"#,
                "docker_isolation.extra_args[0]",
            ),
            (
                r#"{"mcpServers":[{"name":"a","command":"x","isolation":{"working_dir":"rel"}}]}"#,
                "mcpServers[0].isolation.working_dir",
            ),
            (
                r#"{"mcpServers":[{"name":"a","command":"x","isolation":{"enabled":1}}]}"#,
                "mcpServers[0].isolation.enabled",
            ),
            (
                r#"{"mcpServers":[{"name":"a","url":"http://x","headers":{"bad header":"v"}}]}"#,
                "mcpServers[0].headers",
            ),
            (
                r#"{"mcpServers":[{"name":"a","url":"http://x","headers":{"X-T":"s3cr3t\nvalue"}}]}"#,
                "mcpServers[0].headers.X-T",
            ),
        ];
        for (text, field) in cases {
            let err = parse(text).unwrap_err().to_string();
            assert!(err.contains(&format!("`{field}`")), "{text} -> {err}");
            assert!(err.contains("Fix:"), "{err}");
        }
    }

    #[test]
    fn oauth_block_is_typed_and_keeps_unknown_fields() {
        let text = r#"{"mcpServers":[{"name":"github-server","url":"https://api.example.com/mcp","protocol":"http","oauth":{"client_id":"abc","scopes":["repo","user"],"pkce_enabled":true,"extra_params":{"audience":"api"}}}]}"#;
        let c = parse(text).unwrap();
        let oauth = c.mcp_servers[0].oauth.as_ref().unwrap();
        assert_eq!(oauth.client_id.as_deref(), Some("abc"));
        assert_eq!(oauth.scopes, ["repo", "user"]);
        assert_eq!(oauth.extra_params["audience"], "api");
        let back = serde_json::to_value(&c).unwrap();
        assert_eq!(back["mcpServers"][0]["oauth"]["pkce_enabled"], true);
        assert_eq!(back["mcpServers"][0]["oauth"]["client_id"], "abc");
        let err =
            parse(r#"{"mcpServers":[{"name":"a","url":"http://x","oauth":{"scopes":"repo"}}]}"#)
                .unwrap_err()
                .to_string();
        assert!(err.contains("mcpServers[0].oauth.scopes"), "{err}");
    }

    #[test]
    fn unknown_protocol_is_rejected_with_field() {
        let err =
            parse(r#"{"mcpServers":[{"name":"a","protocol":"carrier-pigeon","command":"x"}]}"#)
                .unwrap_err()
                .to_string();
        assert!(err.contains("mcpServers[0].protocol"), "{err}");
        // The fix lists the valid values (the user's own value is never echoed).
        assert!(
            err.contains("stdio, http, sse, streamable-http, auto"),
            "{err}"
        );
        assert!(!err.contains("carrier-pigeon"), "{err}");
    }

    #[test]
    fn unknown_fields_survive_round_trip() {
        let text = r#"{"future_flag":{"a":1},"mcpServers":[{"name":"s","url":"http://127.0.0.1:1/mcp","protocol":"http","custom":true}]}"#;
        let c = parse(text).unwrap();
        let back = serde_json::to_value(&c).unwrap();
        assert_eq!(back["future_flag"]["a"], 1);
        assert_eq!(back["mcpServers"][0]["custom"], true);
    }
}
