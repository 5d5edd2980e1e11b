//! `mcpproxy activity list|show|export`: the activity log of the running core.

use super::client::{ApiClient, CliError};
use super::output::{cell, json, table, Format};
use clap::{Args, Subcommand};
use reqwest::Method;
use serde_json::Value;
use std::time::Duration;

const TIMEOUT: Duration = Duration::from_secs(30);

/// `activity` subcommands.
#[derive(Debug, Subcommand)]
pub enum ActivityCommand {
    /// List records, newest first.
    List(ListArgs),
    /// Show one record in full.
    Show {
        /// Record id.
        id: i64,
    },
    /// Export matching records as JSON Lines or CSV.
    Export(ExportArgs),
}

/// Record filters.
#[derive(Debug, Args, Default)]
pub struct Filters {
    /// Record type: tool_call, quarantine, tool_approval, config.
    #[arg(long = "type")]
    pub kind: Option<String>,
    /// Server name.
    #[arg(long)]
    pub server: Option<String>,
    /// Tool name.
    #[arg(long)]
    pub tool: Option<String>,
    /// Status: success, error, blocked, …
    #[arg(long)]
    pub status: Option<String>,
    /// Request id.
    #[arg(long)]
    pub request_id: Option<String>,
    /// Earliest time (RFC 3339 or ms since the epoch).
    #[arg(long)]
    pub since: Option<String>,
    /// Latest time (RFC 3339 or ms since the epoch).
    #[arg(long)]
    pub until: Option<String>,
    /// Only records where sensitive data was detected (and masked).
    #[arg(long, visible_alias = "sensitive-data")]
    pub sensitive: bool,
    /// Only records with this detection type (aws_access_key, github_pat, credit_card,
    /// known_secret, …).
    #[arg(long, visible_alias = "detection")]
    pub detection_type: Option<String>,
}

/// Options of `activity list`.
#[derive(Debug, Args)]
pub struct ListArgs {
    #[command(flatten)]
    filters: Filters,
    /// Page size (at most 1000).
    #[arg(long, default_value_t = 50)]
    limit: usize,
    /// Records to skip.
    #[arg(long, default_value_t = 0)]
    offset: usize,
}

/// Options of `activity export`.
#[derive(Debug, Args)]
pub struct ExportArgs {
    #[command(flatten)]
    filters: Filters,
    /// jsonl or csv.
    #[arg(long, default_value = "jsonl", value_parser = ["jsonl", "csv"])]
    format: String,
    /// Write to this file instead of standard output (`--output` is the global format flag).
    #[arg(long = "file", value_name = "FILE")]
    file: Option<std::path::PathBuf>,
}

impl Filters {
    fn query(&self) -> Vec<(&'static str, String)> {
        [
            ("type", &self.kind),
            ("server", &self.server),
            ("tool", &self.tool),
            ("status", &self.status),
            ("request_id", &self.request_id),
            ("since", &self.since),
            ("until", &self.until),
            ("detection_type", &self.detection_type),
            (
                "sensitive_data",
                &self.sensitive.then(|| "true".to_string()),
            ),
        ]
        .into_iter()
        .filter_map(|(k, v)| v.clone().map(|v| (k, v)))
        .collect()
    }
}

fn query_string(pairs: &[(&str, String)]) -> String {
    let mut serializer = url::form_urlencoded::Serializer::new(String::new());
    for (k, v) in pairs {
        serializer.append_pair(k, v);
    }
    serializer.finish()
}

fn time_of(ms: &Value) -> String {
    ms.as_i64()
        .and_then(|ms| {
            std::time::UNIX_EPOCH.checked_add(Duration::from_millis(u64::try_from(ms).ok()?))
        })
        .map(|t| humantime::format_rfc3339_seconds(t).to_string())
        .unwrap_or_default()
}

/// Run an `activity` subcommand; returns the text to print.
pub async fn run(
    client: &ApiClient,
    command: ActivityCommand,
    format: Format,
) -> Result<String, CliError> {
    match command {
        ActivityCommand::List(args) => {
            let mut pairs = args.filters.query();
            pairs.push(("limit", args.limit.to_string()));
            pairs.push(("offset", args.offset.to_string()));
            let data = client
                .request(
                    Method::GET,
                    &format!("/activity?{}", query_string(&pairs)),
                    None,
                    TIMEOUT,
                )
                .await?;
            if format == Format::Json {
                return Ok(json(&data));
            }
            let rows: Vec<Vec<String>> = data["records"]
                .as_array()
                .map(Vec::as_slice)
                .unwrap_or(&[])
                .iter()
                .map(|r| {
                    vec![
                        cell(&r["id"]),
                        time_of(&r["timestamp_ms"]),
                        cell(&r["type"]),
                        cell(&r["source"]),
                        cell(&r["server"]),
                        cell(&r["tool"]),
                        cell(&r["status"]),
                        cell(&r["duration_ms"]),
                        r["sensitive_data"]
                            .as_array()
                            .map(|types| {
                                types
                                    .iter()
                                    .filter_map(Value::as_str)
                                    .collect::<Vec<_>>()
                                    .join(",")
                            })
                            .unwrap_or_default(),
                    ]
                })
                .collect();
            Ok(format!(
                "{}\n{} of {} records",
                table(
                    &[
                        "ID",
                        "TIME",
                        "TYPE",
                        "SOURCE",
                        "SERVER",
                        "TOOL",
                        "STATUS",
                        "MS",
                        "SENSITIVE"
                    ],
                    &rows
                ),
                rows.len(),
                cell(&data["total"])
            ))
        }
        ActivityCommand::Show { id } => {
            let data = client
                .request(Method::GET, &format!("/activity/{id}"), None, TIMEOUT)
                .await?;
            Ok(json(&data))
        }
        ActivityCommand::Export(args) => {
            let mut pairs = args.filters.query();
            pairs.push(("format", args.format.clone()));
            let text = client
                .get_text(
                    &format!("/activity/export?{}", query_string(&pairs)),
                    Duration::from_secs(300),
                )
                .await?;
            match args.file {
                Some(path) => {
                    crate::config::save::write_atomic(&path, text.as_bytes()).map_err(|e| {
                        CliError::usage(format!("cannot write {}: {e}", path.display()))
                    })?;
                    Ok(format!(
                        "exported {} records to {}",
                        text.lines()
                            .count()
                            .saturating_sub(usize::from(args.format == "csv")),
                        path.display()
                    ))
                }
                None => Ok(text.trim_end().to_string()),
            }
        }
    }
}
