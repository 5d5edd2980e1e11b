//! Command-line interface (`mcpproxy …`).

pub mod activity;
pub mod auth;
pub mod client;
pub mod follow;
pub mod output;
pub mod secrets;
pub mod serve;
pub mod tools;
pub mod upstream;

use clap::{Parser, Subcommand};
use std::path::PathBuf;

/// MCPProxy: one local MCP endpoint in front of all your MCP servers.
#[derive(Debug, Parser)]
#[command(name = "mcpproxy", version, about)]
pub struct Cli {
    /// Config file (default: <data-dir>/mcp_config.json).
    #[arg(long, global = true, env = "MCPPROXY_CONFIG")]
    pub config: Option<PathBuf>,
    /// Data directory (default: ~/.mcpproxy).
    #[arg(long, global = true, env = "MCPPROXY_DATA_DIR")]
    pub data_dir: Option<PathBuf>,
    /// Output format of client commands.
    #[arg(short = 'o', long, global = true, value_enum, default_value_t = output::Format::Table)]
    pub output: output::Format,
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// Subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the proxy core headless (MCP endpoint on `listen`).
    Serve(serve::ServeArgs),
    /// Manage the upstream servers of the running core.
    #[command(subcommand)]
    Upstream(upstream::UpstreamCommand),
    /// List, search and call tools through the running core.
    #[command(subcommand)]
    Tools(tools::ToolsCommand),
    /// Show the running core's status.
    Status,
    /// The activity log: tool calls, quarantine and approval decisions, config changes.
    #[command(subcommand)]
    Activity(activity::ActivityCommand),
    /// OS keyring secrets referenced as `${keyring:NAME}` in env, headers, args and oauth.
    #[command(subcommand)]
    Secrets(secrets::SecretsCommand),
    /// OAuth for upstream servers: login, status, logout (talks to the running core).
    Auth(auth::AuthArgs),
}

/// Run the parsed command; returns the process exit code.
pub fn run(cli: Cli) -> i32 {
    match cli.command {
        Command::Serve(args) => serve::run(cli.config, cli.data_dir, args),
        Command::Auth(args) => auth::run(cli.config, cli.data_dir, args),
        command => run_client(cli.config, cli.data_dir, cli.output, command),
    }
}

/// Run a client command against the core named by the config.
fn run_client(
    config: Option<PathBuf>,
    data_dir: Option<PathBuf>,
    format: output::Format,
    command: Command,
) -> i32 {
    let (config_path, _) = serve::resolve_paths(config, data_dir);
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(err) => {
            eprintln!("error: cannot start the async runtime: {err}");
            return client::EXIT_USAGE;
        }
    };
    let outcome = runtime.block_on(async {
        let api = client::ApiClient::from_config(&config_path)?;
        match command {
            Command::Upstream(cmd) => upstream::run(&api, cmd, format).await,
            Command::Tools(cmd) => {
                let timeout = crate::config::load_file(&config_path)
                    .ok()
                    .and_then(|c| crate::config::parse_duration(&c.call_tool_timeout).ok())
                    .unwrap_or(std::time::Duration::from_secs(120))
                    + std::time::Duration::from_secs(30);
                tools::run(&api, cmd, format, timeout).await
            }
            Command::Status => tools::status(&api, format).await,
            Command::Activity(cmd) => activity::run(&api, cmd, format).await,
            Command::Secrets(cmd) => secrets::run(&api, cmd, format).await,
            Command::Serve(_) | Command::Auth(_) => unreachable!("handled by run"),
        }
    });
    match outcome {
        Ok(text) => {
            if !text.is_empty() {
                println!("{text}");
            }
            0
        }
        Err(err) => {
            eprintln!("error: {}", err.message);
            err.code
        }
    }
}

#[cfg(test)]
mod tests {
    use clap::CommandFactory;

    /// clap's own consistency checks over every subcommand.
    #[test]
    fn every_command_definition_is_consistent() {
        super::Cli::command().debug_assert();
    }

    /// No subcommand defines an argument under the name of a global one: clap accepts that
    /// definition and panics only when the command runs (as `activity export --output` once did
    /// next to the global `-o/--output`).
    #[test]
    fn no_subcommand_shadows_a_global_flag() {
        let root = super::Cli::command();
        let globals: Vec<String> = root
            .get_arguments()
            .filter(|a| a.is_global_set())
            .map(|a| a.get_id().to_string())
            .collect();
        let mut clashes = Vec::new();
        let mut stack: Vec<(String, &clap::Command)> = root
            .get_subcommands()
            .map(|c| (c.get_name().to_string(), c))
            .collect();
        while let Some((path, command)) = stack.pop() {
            for arg in command.get_arguments() {
                if globals.iter().any(|g| g == arg.get_id().as_str()) {
                    clashes.push(format!("{path} --{}", arg.get_id()));
                }
            }
            for sub in command.get_subcommands() {
                stack.push((format!("{path} {}", sub.get_name()), sub));
            }
        }
        assert!(
            clashes.is_empty(),
            "flags shadowing a global one: {clashes:?}"
        );
    }
}
