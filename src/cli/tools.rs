//! `mcpproxy tools …` and `mcpproxy status`: the catalog, tool calls and core status.

use super::client::{ApiClient, CliError};
use super::output::{cell, clip, json, table, Format};
use super::upstream::urlencode;
use clap::{Args, Subcommand};
use reqwest::Method;
use serde_json::{json, Value};
use std::time::Duration;

const TIMEOUT: Duration = Duration::from_secs(60);

/// `tools` subcommands.
#[derive(Debug, Subcommand)]
pub enum ToolsCommand {
    /// List every tool (optionally of one server).
    List(ListArgs),
    /// Search tools (hybrid keyword + semantic, like retrieve_tools).
    Search(SearchArgs),
    /// Call a tool: `tools call server:tool --args '{"k":"v"}'`.
    Call(CallArgs),
}

/// Options of `tools list`.
#[derive(Debug, Args)]
pub struct ListArgs {
    /// Only this server's tools.
    #[arg(long)]
    pub server: Option<String>,
}

/// Options of `tools search`.
#[derive(Debug, Args)]
pub struct SearchArgs {
    /// What to look for.
    pub query: String,
    /// Maximum results.
    #[arg(long, short = 'l')]
    pub limit: Option<usize>,
}

/// Options of `tools call`.
#[derive(Debug, Args)]
pub struct CallArgs {
    /// Tool as server:tool.
    pub name: String,
    /// Arguments as a JSON object.
    #[arg(long, short = 'a', default_value = "{}")]
    pub args: String,
}

fn tool_rows(tools: &[Value], with_score: bool) -> String {
    let rows: Vec<Vec<String>> = tools
        .iter()
        .map(|t| {
            let mut row = vec![cell(&t["name"]), cell(&t["call_with"])];
            if with_score {
                row.push(
                    t["score"]
                        .as_f64()
                        .map(|s| format!("{s:.2}"))
                        .unwrap_or_default(),
                );
            }
            row.push(clip(t["description"].as_str().unwrap_or(""), 80));
            row
        })
        .collect();
    let headers: &[&str] = if with_score {
        &["TOOL", "CALL WITH", "SCORE", "DESCRIPTION"]
    } else {
        &["TOOL", "CALL WITH", "DESCRIPTION"]
    };
    table(headers, &rows)
}

fn tools_of(data: &Value) -> &[Value] {
    data["tools"].as_array().map(Vec::as_slice).unwrap_or(&[])
}

/// Text content of a tool result, one block per line.
fn result_text(result: &Value) -> String {
    let blocks = result["content"]
        .as_array()
        .map(Vec::as_slice)
        .unwrap_or(&[]);
    let texts: Vec<String> = blocks
        .iter()
        .map(|b| match b["text"].as_str() {
            Some(text) => text.to_string(),
            None => b.to_string(),
        })
        .collect();
    if texts.is_empty() {
        result["structuredContent"].to_string()
    } else {
        texts.join("\n")
    }
}

/// Run a `tools` subcommand; returns what to print.
pub async fn run(
    client: &ApiClient,
    command: ToolsCommand,
    format: Format,
    call_timeout: Duration,
) -> Result<String, CliError> {
    match command {
        ToolsCommand::List(args) => {
            let path = match &args.server {
                Some(server) => format!("/servers/{}/tools", urlencode(server)),
                None => "/tools".to_string(),
            };
            let data = client.request(Method::GET, &path, None, TIMEOUT).await?;
            Ok(match format {
                Format::Json => json(&data),
                Format::Table => tool_rows(tools_of(&data), false),
            })
        }
        ToolsCommand::Search(args) => {
            let mut path = format!("/index/search?q={}", urlencode(&args.query));
            if let Some(limit) = args.limit {
                path.push_str(&format!("&limit={limit}"));
            }
            let data = client.request(Method::GET, &path, None, TIMEOUT).await?;
            Ok(match format {
                Format::Json => json(&data),
                Format::Table => tool_rows(tools_of(&data), true),
            })
        }
        ToolsCommand::Call(args) => {
            let parsed: Value = serde_json::from_str(&args.args).map_err(|e| {
                CliError::usage(format!(
                    "--args is not valid JSON ({e}); pass an object like '{{\"message\":\"hi\"}}'"
                ))
            })?;
            if !parsed.is_object() {
                return Err(CliError::usage("--args must be a JSON object"));
            }
            let body = json!({"name": args.name, "args": parsed});
            let data = client
                .request(Method::POST, "/tools/call", Some(body), call_timeout)
                .await?;
            let failed = data["isError"] == true;
            let out = match format {
                Format::Json => json(&data),
                Format::Table => result_text(&data),
            };
            if failed {
                return Err(CliError::api(format!("the tool reported an error:\n{out}")));
            }
            Ok(out)
        }
    }
}

/// `mcpproxy status`.
pub async fn status(client: &ApiClient, format: Format) -> Result<String, CliError> {
    let data = client
        .request(Method::GET, "/status", None, TIMEOUT)
        .await?;
    if format == Format::Json {
        return Ok(json(&data));
    }
    let s = &data["servers"];
    Ok(format!(
        "mcpproxy {} at {}\nconfig:  {}\nrouting: {}\nservers: {} total, {} ready, {} connecting, {} error, {} disabled, {} quarantined\ntools:   {}",
        cell(&data["version"]),
        client.base(),
        cell(&data["config_path"]),
        cell(&data["routing_mode"]),
        cell(&s["total"]),
        cell(&s["ready"]),
        cell(&s["connecting"]),
        cell(&s["error"]),
        cell(&s["disabled"]),
        cell(&s["quarantined"]),
        cell(&data["tools"]),
    ))
}
