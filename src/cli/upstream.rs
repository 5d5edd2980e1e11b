//! `mcpproxy upstream …`: manage upstream servers of a running core.

use super::client::{ApiClient, CliError};
use super::output::{cell, clip, json, table, Format};
use clap::{Args, Subcommand};
use reqwest::Method;
use serde_json::{json, Map, Value};
use std::time::Duration;

const TIMEOUT: Duration = Duration::from_secs(120);

/// `upstream` subcommands.
#[derive(Debug, Subcommand)]
pub enum UpstreamCommand {
    /// List servers with their status (secrets masked).
    List,
    /// Add a server: `add NAME URL` or `add NAME -- COMMAND ARGS…`.
    Add(AddArgs),
    /// Change headers/env of a server in one request (JSON Merge Patch).
    Patch(PatchArgs),
    /// Remove a server.
    Remove(NameArg),
    /// Enable a server.
    Enable(NameArg),
    /// Disable a server.
    Disable(NameArg),
    /// Reconnect a server.
    Restart(NameArg),
    /// Show the end of a server's log.
    Logs(LogsArgs),
    /// Approve a quarantined server (its current tools become the approval baseline).
    Approve(NameArg),
    /// Put a server into quarantine (disconnect it until approved).
    Quarantine(NameArg),
    /// Review a server's tools without approving it (connects once, even when quarantined).
    Inspect(NameArg),
    /// List a server's tools with their approval state (approved, pending, changed).
    Tools(NameArg),
    /// Approve new or changed tools of a server: `approve-tools NAME TOOL…` or `--all`.
    ApproveTools(ApproveToolsArgs),
    /// Show how a tool changed since it was approved.
    Diff(DiffArgs),
}

/// Options of `upstream approve-tools`.
#[derive(Debug, Args)]
pub struct ApproveToolsArgs {
    /// Server name.
    pub name: String,
    /// Tools to approve (upstream names).
    pub tools: Vec<String>,
    /// Approve every pending and changed tool.
    #[arg(long, conflicts_with = "tools")]
    pub all: bool,
}

/// Options of `upstream diff`.
#[derive(Debug, Args)]
pub struct DiffArgs {
    /// Server name.
    pub name: String,
    /// Tool name.
    pub tool: String,
}

/// A server name.
#[derive(Debug, Args)]
pub struct NameArg {
    /// Server name.
    pub name: String,
}

/// Options of `upstream add`.
#[derive(Debug, Args)]
pub struct AddArgs {
    /// Unique server name.
    pub name: String,
    /// URL of an HTTP/SSE server.
    pub url: Option<String>,
    /// Transport: stdio, http, sse, streamable-http or auto.
    #[arg(long)]
    pub protocol: Option<String>,
    /// HTTP header as "Name: value" (repeatable).
    #[arg(long = "header", value_name = "NAME: VALUE")]
    pub headers: Vec<String>,
    /// Environment variable as KEY=VALUE (repeatable).
    #[arg(long = "env", value_name = "KEY=VALUE")]
    pub env: Vec<String>,
    /// Working directory of a stdio server.
    #[arg(long)]
    pub working_dir: Option<String>,
    /// Add the server disabled.
    #[arg(long)]
    pub disabled: bool,
    /// Do not quarantine the server (by default new servers wait for approval).
    #[arg(long)]
    pub no_quarantine: bool,
    /// Command and arguments of a stdio server, after `--`.
    #[arg(last = true, value_name = "COMMAND")]
    pub command: Vec<String>,
}

/// Options of `upstream patch`.
#[derive(Debug, Args)]
pub struct PatchArgs {
    /// Server name.
    pub name: String,
    /// Set a header, "Name: value" (repeatable).
    #[arg(long = "header", value_name = "NAME: VALUE")]
    pub headers: Vec<String>,
    /// Remove a header (repeatable).
    #[arg(long = "header-remove", value_name = "NAME")]
    pub header_removes: Vec<String>,
    /// Set an environment variable, KEY=VALUE (repeatable).
    #[arg(long = "env", value_name = "KEY=VALUE")]
    pub env: Vec<String>,
    /// Remove an environment variable (repeatable).
    #[arg(long = "env-remove", value_name = "KEY")]
    pub env_removes: Vec<String>,
}

/// Options of `upstream logs`.
#[derive(Debug, Args)]
pub struct LogsArgs {
    /// Server name.
    pub name: String,
    /// Number of lines.
    #[arg(long, short = 'n', default_value_t = 50)]
    pub tail: usize,
    /// Keep printing new lines as the server writes them (until Ctrl-C).
    #[arg(long, short = 'f')]
    pub follow: bool,
}

/// `"Name: value"` → (name, value). The value is never echoed in errors.
pub fn parse_header(text: &str) -> Result<(String, String), CliError> {
    let (name, value) = text.split_once(':').ok_or_else(|| {
        CliError::usage("--header needs \"Name: value\" (no ':' found)".to_string())
    })?;
    let name = name.trim();
    if name.is_empty() {
        return Err(CliError::usage(
            "--header has an empty name; use \"Name: value\"",
        ));
    }
    Ok((name.to_string(), value.trim_start().to_string()))
}

/// `KEY=VALUE` → (key, value). The value is never echoed in errors.
pub fn parse_env(text: &str) -> Result<(String, String), CliError> {
    let (key, value) = text
        .split_once('=')
        .ok_or_else(|| CliError::usage("--env needs KEY=VALUE (no '=' found)".to_string()))?;
    if key.is_empty() {
        return Err(CliError::usage("--env has an empty name; use KEY=VALUE"));
    }
    Ok((key.to_string(), value.to_string()))
}

/// The merge patch for `upstream patch`; refuses setting and removing the same key.
pub fn build_patch(args: &PatchArgs) -> Result<Value, CliError> {
    let mut headers = Map::new();
    for text in &args.headers {
        let (name, value) = parse_header(text)?;
        headers.insert(name, Value::String(value));
    }
    for name in &args.header_removes {
        if headers.keys().any(|k| k.eq_ignore_ascii_case(name)) {
            return Err(CliError::usage(format!(
                "header `{name}` is both set (--header) and removed (--header-remove); choose one"
            )));
        }
        headers.insert(name.clone(), Value::Null);
    }
    let mut env = Map::new();
    for text in &args.env {
        let (key, value) = parse_env(text)?;
        env.insert(key, Value::String(value));
    }
    for key in &args.env_removes {
        if env.contains_key(key) {
            return Err(CliError::usage(format!(
                "env `{key}` is both set (--env) and removed (--env-remove); choose one"
            )));
        }
        env.insert(key.clone(), Value::Null);
    }
    if headers.is_empty() && env.is_empty() {
        return Err(CliError::usage(
            "nothing to change; use --header, --header-remove, --env or --env-remove",
        ));
    }
    let mut patch = Map::new();
    if !headers.is_empty() {
        patch.insert("headers".into(), Value::Object(headers));
    }
    if !env.is_empty() {
        patch.insert("env".into(), Value::Object(env));
    }
    Ok(Value::Object(patch))
}

fn build_add(args: &AddArgs) -> Result<Value, CliError> {
    let mut server = Map::new();
    server.insert("name".into(), json!(args.name));
    match (&args.url, args.command.split_first()) {
        (Some(_), Some(_)) => {
            return Err(CliError::usage(
                "give either a URL or `-- COMMAND ARGS…`, not both",
            ))
        }
        (None, None) => {
            return Err(CliError::usage(
                "give the server's URL (`upstream add NAME URL`) or its command (`upstream add NAME -- npx -y pkg`)",
            ))
        }
        (Some(url), None) => {
            server.insert("url".into(), json!(url));
        }
        (None, Some((command, rest))) => {
            server.insert("command".into(), json!(command));
            server.insert("args".into(), json!(rest));
        }
    }
    if let Some(protocol) = &args.protocol {
        server.insert("protocol".into(), json!(protocol));
    }
    if let Some(dir) = &args.working_dir {
        server.insert("working_dir".into(), json!(dir));
    }
    let mut headers = Map::new();
    for text in &args.headers {
        let (name, value) = parse_header(text)?;
        headers.insert(name, json!(value));
    }
    let mut env = Map::new();
    for text in &args.env {
        let (key, value) = parse_env(text)?;
        env.insert(key, json!(value));
    }
    if !headers.is_empty() {
        server.insert("headers".into(), Value::Object(headers));
    }
    if !env.is_empty() {
        server.insert("env".into(), Value::Object(env));
    }
    if args.disabled {
        server.insert("enabled".into(), json!(false));
    }
    if args.no_quarantine {
        server.insert("quarantined".into(), json!(false));
    }
    Ok(Value::Object(server))
}

fn server_rows(servers: &[Value]) -> String {
    let rows: Vec<Vec<String>> = servers
        .iter()
        .map(|s| {
            let target = s["url"]
                .as_str()
                .map(str::to_string)
                .or_else(|| s["command"].as_str().map(str::to_string))
                .unwrap_or_default();
            vec![
                cell(&s["name"]),
                cell(&s["status"]),
                cell(&s["protocol"]),
                cell(&s["tool_count"]),
                if s["enabled"] == true { "yes" } else { "no" }.into(),
                if s["quarantined"] == true {
                    "yes"
                } else {
                    "no"
                }
                .into(),
                clip(&target, 40),
                clip(s["last_error"].as_str().unwrap_or(""), 60),
            ]
        })
        .collect();
    table(
        &[
            "NAME",
            "STATUS",
            "PROTOCOL",
            "TOOLS",
            "ENABLED",
            "QUARANTINED",
            "TARGET",
            "LAST ERROR",
        ],
        &rows,
    )
}

fn server_detail(server: &Value) -> String {
    let mut out = server_rows(std::slice::from_ref(server));
    for (title, field) in [("headers", "headers"), ("env", "env")] {
        if let Some(map) = server[field].as_object().filter(|m| !m.is_empty()) {
            out.push_str(&format!("\n{title}:"));
            for (k, v) in map {
                out.push_str(&format!("\n  {k}: {}", cell(v)));
            }
        }
    }
    out
}

fn path_of(name: &str) -> String {
    format!("/servers/{}", urlencode(name))
}

/// Percent-encode one path segment.
pub fn urlencode(segment: &str) -> String {
    url::form_urlencoded::byte_serialize(segment.as_bytes())
        .collect::<String>()
        .replace('+', "%20")
}

/// Run an `upstream` subcommand; returns what to print.
pub async fn run(
    client: &ApiClient,
    command: UpstreamCommand,
    format: Format,
) -> Result<String, CliError> {
    let (data, render): (Value, fn(&Value) -> String) = match command {
        UpstreamCommand::List => (
            client
                .request(Method::GET, "/servers", None, TIMEOUT)
                .await?,
            |d| server_rows(d["servers"].as_array().map(Vec::as_slice).unwrap_or(&[])),
        ),
        UpstreamCommand::Add(args) => {
            let body = build_add(&args)?;
            let data = client
                .request(Method::POST, "/servers", Some(body), TIMEOUT)
                .await?;
            (data, |d| {
                let mut out = format!("added server {}\n{}", cell(&d["name"]), server_detail(d));
                if d["quarantined"] == true {
                    out.push_str("\nnote: the server is quarantined and not used until it is approved (add it with --no-quarantine to skip this)");
                }
                out
            })
        }
        UpstreamCommand::Patch(args) => {
            let body = build_patch(&args)?;
            let data = client
                .request(Method::PATCH, &path_of(&args.name), Some(body), TIMEOUT)
                .await?;
            (data, |d| {
                format!("updated server {}\n{}", cell(&d["name"]), server_detail(d))
            })
        }
        UpstreamCommand::Remove(arg) => (
            client
                .request(Method::DELETE, &path_of(&arg.name), None, TIMEOUT)
                .await?,
            |d| format!("removed server {}", cell(&d["removed"])),
        ),
        UpstreamCommand::Enable(arg) => (
            post_action(client, &arg.name, "enable", TIMEOUT).await?,
            |d| {
                format!(
                    "enabled server {} (status: {})",
                    cell(&d["name"]),
                    cell(&d["status"])
                )
            },
        ),
        UpstreamCommand::Disable(arg) => (
            post_action(client, &arg.name, "disable", TIMEOUT).await?,
            |d| format!("disabled server {}", cell(&d["name"])),
        ),
        UpstreamCommand::Restart(arg) => (
            post_action(client, &arg.name, "restart", TIMEOUT).await?,
            |d| {
                format!(
                    "restarting server {} (status: {})",
                    cell(&d["name"]),
                    cell(&d["status"])
                )
            },
        ),
        UpstreamCommand::Logs(args) if args.follow => {
            super::follow::follow(client, &args.name, args.tail, format).await?;
            return Ok(String::new());
        }
        UpstreamCommand::Logs(args) => (
            client
                .request(
                    Method::GET,
                    &format!("{}/logs?tail={}", path_of(&args.name), args.tail),
                    None,
                    TIMEOUT,
                )
                .await?,
            |d| {
                d["lines"]
                    .as_array()
                    .map(|lines| lines.iter().map(cell).collect::<Vec<_>>().join("\n"))
                    .unwrap_or_default()
            },
        ),
        UpstreamCommand::Approve(arg) => (
            post_action(client, &arg.name, "unquarantine", TIMEOUT).await?,
            |d| {
                format!(
                    "approved server {} (status: {})",
                    cell(&d["name"]),
                    cell(&d["status"])
                )
            },
        ),
        UpstreamCommand::Quarantine(arg) => (
            post_action(client, &arg.name, "quarantine", TIMEOUT).await?,
            |d| format!("quarantined server {}", cell(&d["name"])),
        ),
        UpstreamCommand::Inspect(arg) => (
            post_action(client, &arg.name, "inspect", INSPECT_TIMEOUT).await?,
            |d| {
                let rows: Vec<Vec<String>> = d["tools"]
                    .as_array()
                    .map(|tools| {
                        tools
                            .iter()
                            .map(|t| vec![cell(&t["name"]), cell(&t["description"])])
                            .collect()
                    })
                    .unwrap_or_default();
                table(&["TOOL", "DESCRIPTION"], &rows)
            },
        ),
        UpstreamCommand::Tools(arg) => (
            client
                .request(
                    Method::GET,
                    &format!("{}/tools", path_of(&arg.name)),
                    None,
                    TIMEOUT,
                )
                .await?,
            |d| {
                let rows: Vec<Vec<String>> = d["tools"]
                    .as_array()
                    .map(|tools| {
                        tools
                            .iter()
                            .map(|t| {
                                vec![cell(&t["tool"]), cell(&t["status"]), cell(&t["call_with"])]
                            })
                            .collect()
                    })
                    .unwrap_or_default();
                table(&["TOOL", "APPROVAL", "CALL WITH"], &rows)
            },
        ),
        UpstreamCommand::ApproveTools(args) => {
            if args.tools.is_empty() && !args.all {
                return Err(CliError::usage(
                    "name the tools to approve, or pass --all to approve every pending and changed tool",
                ));
            }
            let body = if args.all {
                serde_json::json!({"approve_all": true})
            } else {
                serde_json::json!({"tools": args.tools})
            };
            (
                client
                    .request(
                        Method::POST,
                        &format!("{}/tools/approve", path_of(&args.name)),
                        Some(body),
                        TIMEOUT,
                    )
                    .await?,
                |d| {
                    let names: Vec<String> = d["approved"]
                        .as_array()
                        .map(|a| a.iter().map(cell).collect())
                        .unwrap_or_default();
                    if names.is_empty() {
                        "nothing needed approval".to_string()
                    } else {
                        format!("approved: {}", names.join(", "))
                    }
                },
            )
        }
        UpstreamCommand::Diff(args) => (
            client
                .request(
                    Method::GET,
                    &format!(
                        "{}/tools/{}/diff",
                        path_of(&args.name),
                        urlencode(&args.tool)
                    ),
                    None,
                    TIMEOUT,
                )
                .await?,
            |d| {
                let mut out = format!(
                    "{}:{} ({})\n",
                    cell(&d["server"]),
                    cell(&d["tool"]),
                    cell(&d["status"])
                );
                for line in d["diff"].as_array().map(Vec::as_slice).unwrap_or(&[]) {
                    out.push_str(&format!("{}{}\n", cell(&line["op"]), cell(&line["text"])));
                }
                out.trim_end().to_string()
            },
        ),
    };
    Ok(match format {
        Format::Json => json(&data),
        Format::Table => render(&data),
    })
}

/// `POST /servers/{name}/{action}` (enable, disable, restart, quarantine, …).
async fn post_action(
    client: &ApiClient,
    name: &str,
    action: &str,
    timeout: Duration,
) -> Result<Value, CliError> {
    client
        .request(
            Method::POST,
            &format!("{}/{action}", path_of(name)),
            None,
            timeout,
        )
        .await
}

/// Timeout of `upstream inspect` (it connects to the server).
const INSPECT_TIMEOUT: Duration = Duration::from_secs(90);

#[cfg(test)]
mod tests {
    use super::*;

    fn patch_args(headers: &[&str], hr: &[&str], env: &[&str], er: &[&str]) -> PatchArgs {
        let v = |x: &[&str]| x.iter().map(|s| s.to_string()).collect();
        PatchArgs {
            name: "s".into(),
            headers: v(headers),
            header_removes: v(hr),
            env: v(env),
            env_removes: v(er),
        }
    }

    #[test]
    fn patch_body_from_flags() {
        let body = build_patch(&patch_args(
            &["Authorization: Bearer x y", "X-Empty:"],
            &["X-Old"],
            &["A=1=2"],
            &["B"],
        ))
        .unwrap();
        assert_eq!(
            body,
            json!({"headers": {"Authorization": "Bearer x y", "X-Empty": "", "X-Old": null},
                   "env": {"A": "1=2", "B": null}})
        );
    }

    #[test]
    fn conflicting_or_empty_patches_are_refused_without_echoing_values() {
        let err = build_patch(&patch_args(&["X-K: secret-1"], &["x-k"], &[], &[])).unwrap_err();
        assert!(err.message.contains("both set"), "{}", err.message);
        assert!(!err.message.contains("secret-1"));
        let err = build_patch(&patch_args(&[], &[], &["K=v"], &["K"])).unwrap_err();
        assert!(err.message.contains("env `K`"), "{}", err.message);
        assert!(build_patch(&patch_args(&[], &[], &[], &[])).is_err());
        let err = build_patch(&patch_args(&["no-colon-secret"], &[], &[], &[])).unwrap_err();
        assert!(!err.message.contains("no-colon-secret"), "{}", err.message);
    }
}
