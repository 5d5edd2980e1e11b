//! `mcpproxy auth login|status|logout`: OAuth for upstream servers, through the running core.

use super::client::{ApiClient, CliError};
use clap::{Args, Subcommand};
use reqwest::Method;
use serde_json::{json, Value};
use std::io::Write;
use std::path::PathBuf;
use std::time::{Duration, Instant};

/// Options of `auth`.
#[derive(Debug, Args)]
pub struct AuthArgs {
    /// Base URL of the running mcpproxy (default: from `listen` in the config).
    #[arg(long, global = true, env = "MCPPROXY_URL")]
    pub url: Option<String>,
    /// What to do.
    #[command(subcommand)]
    pub command: AuthCommand,
}

/// `auth` subcommands.
#[derive(Debug, Subcommand)]
pub enum AuthCommand {
    /// Log in to an upstream server (opens the browser) and wait until it completes.
    Login {
        /// Server name.
        #[arg(long)]
        server: String,
        /// How long to wait for the browser login (e.g. 5m, 90s).
        #[arg(long, default_value = "5m")]
        timeout: String,
    },
    /// Show the OAuth state of every server that uses OAuth (or of one).
    Status {
        /// Only this server.
        #[arg(long)]
        server: Option<String>,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Forget the stored tokens of a server.
    Logout {
        /// Server name.
        #[arg(long)]
        server: String,
    },
}

/// Run `auth`; returns the exit code.
pub fn run(config: Option<PathBuf>, data_dir: Option<PathBuf>, args: AuthArgs) -> i32 {
    let (config_path, _) = super::serve::resolve_paths(config, data_dir);
    let client = match ApiClient::from_config(&config_path) {
        Ok(client) => match &args.url {
            Some(url) => client.with_base(url),
            None => client,
        },
        Err(err) => {
            eprintln!("error: {}", err.message);
            return err.code;
        }
    };
    let runtime = match tokio::runtime::Runtime::new() {
        Ok(rt) => rt,
        Err(err) => {
            eprintln!("error: cannot start the async runtime: {err}");
            return 1;
        }
    };
    let result = runtime.block_on(async {
        match args.command {
            AuthCommand::Login { server, timeout } => login(&client, &server, &timeout).await,
            AuthCommand::Status { server, json } => status(&client, server.as_deref(), json).await,
            AuthCommand::Logout { server } => logout(&client, &server).await,
        }
    });
    match result {
        Ok(()) => 0,
        Err(err) => {
            eprintln!("error: {}", err.message);
            err.code
        }
    }
}

/// How long one REST request may take.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(30);

async fn get(client: &ApiClient, path: &str) -> Result<Value, CliError> {
    client
        .request(Method::GET, path, None, REQUEST_TIMEOUT)
        .await
}

async fn post(client: &ApiClient, path: &str) -> Result<Value, CliError> {
    client
        .request(Method::POST, path, Some(json!({})), REQUEST_TIMEOUT)
        .await
}

fn encode(name: &str) -> String {
    url::form_urlencoded::byte_serialize(name.as_bytes()).collect()
}

/// The servers array of `GET /api/v1/servers` (`{"servers":[…]}`, `{"data":{"servers":[…]}}`
/// or a bare array).
pub fn servers_of(body: &Value) -> Vec<Value> {
    let list = body
        .get("servers")
        .or_else(|| body.get("data").and_then(|d| d.get("servers")))
        .unwrap_or(body);
    list.as_array().cloned().unwrap_or_default()
}

/// The `oauth` object of one server entry (top level or under `status`).
pub fn oauth_of(server: &Value) -> Option<&Value> {
    server
        .get("oauth_status")
        .or_else(|| server.get("status").and_then(|s| s.get("oauth")))
        .or_else(|| server.get("oauth"))
        .filter(|o| o.is_object())
}

async fn oauth_state(client: &ApiClient, server: &str) -> Result<Option<Value>, CliError> {
    let body = get(client, "/servers").await?;
    let entry = servers_of(&body)
        .into_iter()
        .find(|s| s.get("name").and_then(Value::as_str) == Some(server))
        .ok_or_else(|| CliError::api(format!("no server named `{server}`")))?;
    Ok(oauth_of(&entry).cloned())
}

async fn login(client: &ApiClient, server: &str, timeout: &str) -> Result<(), CliError> {
    let timeout = crate::config::parse_duration(timeout)
        .map_err(|err| CliError::usage(format!("--timeout: {err}")))?;
    let started = post(client, &format!("/servers/{}/login", encode(server))).await?;
    let url = started
        .get("auth_url")
        .or_else(|| started.get("data").and_then(|d| d.get("auth_url")))
        .and_then(Value::as_str)
        .unwrap_or_default();
    let opened = started
        .get("opened")
        .or_else(|| started.get("data").and_then(|d| d.get("opened")))
        .and_then(Value::as_str)
        .unwrap_or_default();
    if opened == "launched" {
        eprintln!("Opened the browser to log in to `{server}`.");
        eprintln!("If no browser appeared, open: {url}");
    } else {
        eprintln!("Open this URL in a browser to log in to `{server}`:\n  {url}");
    }
    let begin = Instant::now();
    let mut stderr = std::io::stderr();
    loop {
        let oauth = oauth_state(client, server).await?;
        let state = oauth
            .as_ref()
            .and_then(|o| o.get("state"))
            .and_then(Value::as_str)
            .unwrap_or("unknown");
        match state {
            "authenticated" => {
                let _ = writeln!(stderr);
                let expires = oauth
                    .as_ref()
                    .and_then(|o| o.get("token_expires_at"))
                    .and_then(Value::as_str)
                    .map(|e| format!(" (token valid until {e})"))
                    .unwrap_or_default();
                println!("Logged in to `{server}`{expires}.");
                return Ok(());
            }
            "login_required" if begin.elapsed() > Duration::from_secs(1) => {
                let _ = writeln!(stderr);
                let why = oauth
                    .as_ref()
                    .and_then(|o| o.get("last_error"))
                    .and_then(Value::as_str)
                    .unwrap_or("the login did not complete");
                return Err(CliError::api(why));
            }
            _ => {}
        }
        if begin.elapsed() >= timeout {
            let _ = writeln!(stderr);
            return Err(CliError::api(format!(
                "no login within {}; run the command again",
                humantime::format_duration(timeout)
            )));
        }
        let _ = write!(
            stderr,
            "\rWaiting for the authorization in the browser… {}s ",
            begin.elapsed().as_secs()
        );
        let _ = stderr.flush();
        tokio::time::sleep(Duration::from_secs(1)).await;
    }
}

async fn status(client: &ApiClient, only: Option<&str>, json: bool) -> Result<(), CliError> {
    let body = get(client, "/servers").await?;
    let rows: Vec<(String, Value)> = servers_of(&body)
        .into_iter()
        .filter_map(|s| {
            let name = s.get("name")?.as_str()?.to_string();
            let oauth = oauth_of(&s)?.clone();
            Some((name, oauth))
        })
        .filter(|(name, _)| only.is_none_or(|o| o == name))
        .collect();
    if json {
        let map: serde_json::Map<String, Value> = rows.into_iter().collect();
        println!("{}", serde_json::to_string_pretty(&map).unwrap_or_default());
        return Ok(());
    }
    if rows.is_empty() {
        println!(
            "No server uses OAuth{}.",
            only.map(|o| format!(" named `{o}`")).unwrap_or_default()
        );
        return Ok(());
    }
    println!("{:<24} {:<18} {:<22} SCOPES", "SERVER", "STATE", "EXPIRES");
    for (name, oauth) in rows {
        let text = |k: &str| {
            oauth
                .get(k)
                .and_then(Value::as_str)
                .unwrap_or("-")
                .to_string()
        };
        let scopes = oauth
            .get("scopes")
            .and_then(Value::as_array)
            .map(|a| {
                a.iter()
                    .filter_map(Value::as_str)
                    .collect::<Vec<_>>()
                    .join(" ")
            })
            .filter(|s| !s.is_empty())
            .unwrap_or_else(|| "-".into());
        println!(
            "{:<24} {:<18} {:<22} {}",
            name,
            text("state"),
            text("token_expires_at"),
            scopes
        );
        if let Some(err) = oauth.get("last_error").and_then(Value::as_str) {
            println!("  {err}");
        }
    }
    Ok(())
}

async fn logout(client: &ApiClient, server: &str) -> Result<(), CliError> {
    let body = post(client, &format!("/servers/{}/logout", encode(server))).await?;
    let data = body.get("data").unwrap_or(&body);
    let removed = data.get("removed").and_then(Value::as_u64).unwrap_or(0);
    println!("Logged out of `{server}` ({removed} stored credentials removed).");
    if data.get("revoked").and_then(Value::as_bool) == Some(true) {
        println!("The tokens were revoked at the authorization server.");
    } else if let Some(err) = data.get("revocation_error").and_then(Value::as_str) {
        println!("Warning: the tokens could not be revoked at the authorization server: {err}");
    } else if let Some(why) = data.get("revocation_skipped").and_then(Value::as_str) {
        println!("Tokens not revoked at the authorization server: {why}.");
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_servers_and_oauth_in_common_shapes() {
        let flat = json!({"servers":[{"name":"a","oauth":{"state":"authenticated"}}]});
        let nested =
            json!({"data":{"servers":[{"name":"a","status":{"oauth":{"state":"expired"}}}]}});
        let bare = json!([{"name":"a"}]);
        assert_eq!(
            oauth_of(&servers_of(&flat)[0]).unwrap()["state"],
            "authenticated"
        );
        assert_eq!(
            oauth_of(&servers_of(&nested)[0]).unwrap()["state"],
            "expired"
        );
        assert!(oauth_of(&servers_of(&bare)[0]).is_none());
    }
}
