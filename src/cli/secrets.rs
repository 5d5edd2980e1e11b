//! `mcpproxy secrets set|get|del|list`: keyring secrets used as `${keyring:NAME}`.

use super::client::{ApiClient, CliError};
use super::output::{cell, json, table, Format};
use clap::{Args, Subcommand};
use reqwest::Method;
use serde_json::{json as j, Value};
use std::io::Read;
use std::time::Duration;

const TIMEOUT: Duration = Duration::from_secs(60);

/// `secrets` subcommands.
#[derive(Debug, Subcommand)]
pub enum SecretsCommand {
    /// Store a secret (value from standard input by default).
    Set(SetArgs),
    /// Show a secret, masked unless --reveal (reads the OS keyring directly).
    Get(GetArgs),
    /// Delete a secret.
    Del {
        /// Secret name.
        name: String,
    },
    /// List secrets with where they are referenced (never values).
    List,
}

/// Options of `secrets set`.
#[derive(Debug, Args)]
pub struct SetArgs {
    /// Secret name (`${keyring:NAME}`).
    pub name: String,
    /// Read the value from standard input (the default).
    #[arg(long, conflicts_with_all = ["from_env", "value"])]
    pub from_stdin: bool,
    /// Read the value from this environment variable.
    #[arg(long, value_name = "VAR", conflicts_with = "value")]
    pub from_env: Option<String>,
    /// The value itself (visible in shell history and process lists; prefer stdin).
    #[arg(long)]
    pub value: Option<String>,
    /// Replace a secret of that name that is already in the keyring (servers using it reconnect).
    #[arg(long)]
    pub force: bool,
}

/// Options of `secrets get`.
#[derive(Debug, Args)]
pub struct GetArgs {
    /// Secret name.
    pub name: String,
    /// Show the value masked (the default).
    #[arg(long, conflicts_with = "reveal")]
    pub masked: bool,
    /// Print the value in clear.
    #[arg(long)]
    pub reveal: bool,
}

fn read_value(args: &SetArgs) -> Result<String, CliError> {
    if let Some(value) = &args.value {
        eprintln!("warning: a value given on the command line can end up in shell history and process lists; prefer `--from-stdin` or `--from-env VAR`");
        return Ok(value.clone());
    }
    if let Some(var) = &args.from_env {
        return std::env::var(var)
            .map_err(|_| CliError::usage(format!("environment variable `{var}` is not set")));
    }
    let mut value = String::new();
    std::io::stdin()
        .read_to_string(&mut value)
        .map_err(|e| CliError::usage(format!("cannot read the value from standard input: {e}")))?;
    let value = value.trim_end_matches(['\n', '\r']).to_string();
    if value.is_empty() {
        return Err(CliError::usage(
            "no value on standard input; pipe it in (e.g. `printf %s \"$TOKEN\" | mcpproxy secrets set NAME`)",
        ));
    }
    Ok(value)
}

fn uses(info: &Value) -> String {
    info["referenced_by"]
        .as_array()
        .map(|uses| {
            uses.iter()
                .map(|u| {
                    format!(
                        "{}:{} {}",
                        cell(&u["server"]),
                        cell(&u["scope"]),
                        cell(&u["key"])
                    )
                })
                .collect::<Vec<_>>()
                .join(", ")
        })
        .unwrap_or_default()
}

/// Run a `secrets` subcommand; returns the text to print.
pub async fn run(
    client: &ApiClient,
    command: SecretsCommand,
    format: Format,
) -> Result<String, CliError> {
    match command {
        SecretsCommand::Set(args) => {
            let value = read_value(&args)?;
            let data = client
                .request(
                    Method::POST,
                    "/secrets",
                    Some(j!({"name": args.name, "value": value, "overwrite": args.force})),
                    TIMEOUT,
                )
                .await?;
            Ok(match format {
                Format::Json => json(&data),
                Format::Table => format!(
                    "stored secret {} (used by: {})",
                    cell(&data["name"]),
                    uses(&data)
                ),
            })
        }
        SecretsCommand::Get(args) => {
            let value = crate::secrets::keyring::Keyring::get_async(&args.name)
                .await
                .map_err(|e| CliError::api(e.to_string()))?
                .ok_or_else(|| {
                    CliError::api(format!("no secret named `{}` in the OS keyring", args.name))
                })?;
            let shown = if args.reveal {
                value
            } else {
                crate::secrets::mask_value(&value)
            };
            Ok(match format {
                Format::Json => json(&j!({"name": args.name, "value": shown})),
                Format::Table => shown,
            })
        }
        SecretsCommand::Del { name } => {
            let data = client
                .request(
                    Method::DELETE,
                    &format!("/secrets/{}", super::upstream::urlencode(&name)),
                    None,
                    TIMEOUT,
                )
                .await?;
            Ok(match format {
                Format::Json => json(&data),
                Format::Table => format!("deleted secret {}", cell(&data["name"])),
            })
        }
        SecretsCommand::List => {
            let data = client
                .request(Method::GET, "/secrets", None, TIMEOUT)
                .await?;
            if format == Format::Json {
                return Ok(json(&data));
            }
            let rows: Vec<Vec<String>> = data["secrets"]
                .as_array()
                .map(Vec::as_slice)
                .unwrap_or(&[])
                .iter()
                .map(|s| {
                    vec![
                        cell(&s["name"]),
                        if s["set"] == true {
                            "yes".into()
                        } else {
                            "MISSING".into()
                        },
                        uses(s),
                    ]
                })
                .collect();
            Ok(table(&["NAME", "SET", "USED BY"], &rows))
        }
    }
}
