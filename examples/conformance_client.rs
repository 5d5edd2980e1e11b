//! MCP client for the conformance suite's client mode (`--suite auth`): connects to the URL
//! given as the last argument with MCPProxy's upstream client stack (Streamable HTTP + OAuth),
//! performs any authorization headlessly (it follows the authorization redirect itself),
//! lists the tools and calls each of them.
//!
//! The suite passes `MCP_CONFORMANCE_CONTEXT` (JSON) with `client_id` / `client_secret` for
//! scenarios that use a pre-registered client. Secrets are never printed.
//!
//! Exit status: 0 when tools were listed and called, 1 otherwise.

use mcpproxy::config::{OAuthConfig, Protocol, ServerConfig};
use mcpproxy::docker::{DockerRuntime, Isolator};
use mcpproxy::events::EventBus;
use mcpproxy::upstream::client::UpstreamClient;
use mcpproxy::upstream::connect::{self, Connection, ResolvedServer};
use mcpproxy::upstream::logfile::ServerLog;
use mcpproxy::upstream::oauth::store::SecretBackend;
use mcpproxy::upstream::oauth::{challenge, Browser, OAuthRegistry, ServerAuth};
use mcpproxy::upstream::progress::ProgressRouter;
use rmcp::model::CallToolRequestParams;
use std::sync::Arc;
use std::time::Duration;

/// The client ID metadata document URL the suite's CIMD scenario expects.
const CLIENT_METADATA_URL: &str = "https://conformance-test.local/client-metadata.json";
/// Authorizations (initial + step-ups) one run may perform.
const MAX_AUTHORIZATIONS: u32 = 3;
const LOGIN_WAIT: Duration = Duration::from_secs(30);

fn oauth_config() -> OAuthConfig {
    let context: serde_json::Value = std::env::var("MCP_CONFORMANCE_CONTEXT")
        .ok()
        .and_then(|c| serde_json::from_str(&c).ok())
        .unwrap_or_default();
    let text = |k: &str| context.get(k).and_then(|v| v.as_str()).map(str::to_string);
    OAuthConfig {
        client_id: text("client_id"),
        client_secret: text("client_secret"),
        client_metadata_url: Some(CLIENT_METADATA_URL.to_string()),
        ..OAuthConfig::default()
    }
}

struct Client {
    auth: Arc<ServerAuth>,
    dir: std::path::PathBuf,
    server: ResolvedServer,
    http: reqwest::Client,
    log: ServerLog,
    authorizations: u32,
}

impl Client {
    /// Run a login when the auth state asks for one, within the authorization budget.
    async fn login_if_needed(&mut self) -> Result<(), String> {
        if !self.auth.login_blocking() {
            return Ok(());
        }
        if self.authorizations >= MAX_AUTHORIZATIONS {
            return Err(format!(
                "giving up after {MAX_AUTHORIZATIONS} authorizations"
            ));
        }
        self.authorizations += 1;
        eprintln!("authorizing (attempt {})", self.authorizations);
        self.auth
            .login_and_wait(LOGIN_WAIT)
            .await
            .map_err(|e| e.to_string())
    }

    async fn connect(&mut self) -> Result<Connection, String> {
        loop {
            self.login_if_needed().await?;
            let (tx, _rx) = tokio::sync::mpsc::unbounded_channel();
            let log = self.log.clone();
            let handler: Arc<dyn Fn() -> UpstreamClient + Send + Sync> = Arc::new(move || {
                UpstreamClient::new(
                    "conformance",
                    tx.clone(),
                    ProgressRouter::default(),
                    log.clone(),
                )
            });
            let isolator = Isolator::new(
                Arc::new(DockerRuntime::new(&self.dir, EventBus::new())),
                &self.server.config,
                self.log.clone(),
            );
            match connect::connect(
                self.server.clone(),
                handler,
                self.http.clone(),
                self.log.clone(),
                Default::default(),
                isolator,
                Some(self.auth.clone()),
            )
            .await
            {
                Ok(conn) => return Ok(conn),
                Err(err) if self.auth.login_blocking() => eprintln!("connect: {err}"),
                Err(err) => return Err(err),
            }
        }
    }

    /// Handle a request error: a challenge leads to a (step-up) login, anything else fails.
    async fn recover(&mut self, err: rmcp::service::ServiceError) -> Result<(), String> {
        let Some(found) = challenge::from_service(&err, self.auth.url()) else {
            return Err(err.to_string());
        };
        eprintln!(
            "challenge: insufficient_scope={} scopes={:?}",
            found.insufficient_scope, found.scopes
        );
        self.auth.on_challenge(found).await;
        self.login_if_needed().await
    }
}

async fn run(url: String) -> Result<(), String> {
    let events = EventBus::new();
    let http = reqwest::Client::new();
    let registry = OAuthRegistry::new(
        events,
        http.clone(),
        SecretBackend::memory(),
        Browser::FollowRedirects,
        false,
    );
    let mut config: ServerConfig = serde_json::from_value(serde_json::json!({
        "name": "conformance",
        "url": url,
    }))
    .map_err(|e| e.to_string())?;
    config.protocol = Protocol::Http;
    config.oauth = Some(oauth_config());
    let auth = registry
        .for_server(&config)
        .ok_or("the URL is not an HTTP endpoint")?;
    let log_dir = std::env::temp_dir().join(format!("mcpproxy-conformance-{}", std::process::id()));
    let _ = std::fs::create_dir_all(&log_dir);
    let mut client = Client {
        auth,
        dir: log_dir.clone(),
        server: ResolvedServer::plain(&config),
        http,
        log: ServerLog::open(&log_dir.join("conformance.log")),
        authorizations: 0,
    };
    let conn = client.connect().await?;
    let tools = loop {
        match conn.peer.list_all_tools().await {
            Ok(tools) => break tools,
            Err(err) => client.recover(err).await?,
        }
    };
    eprintln!(
        "tools: {:?}",
        tools.iter().map(|t| t.name.as_ref()).collect::<Vec<_>>()
    );
    for tool in &tools {
        loop {
            let params = CallToolRequestParams::new(tool.name.clone());
            match conn.peer.call_tool(params).await {
                Ok(result) => {
                    eprintln!("called {}: is_error={:?}", tool.name, result.is_error);
                    break;
                }
                Err(err) => client.recover(err).await?,
            }
        }
    }
    let mut service = conn.service;
    let _ = service.close_with_timeout(Duration::from_secs(5)).await;
    Ok(())
}

#[tokio::main]
async fn main() {
    let _ = tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("MCPPROXY_LOG")
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn,rmcp=warn")),
        )
        .with_writer(std::io::stderr)
        .try_init();
    let Some(url) = std::env::args().skip(1).last() else {
        eprintln!("usage: conformance_client <server-url>");
        std::process::exit(2);
    };
    match run(url).await {
        Ok(()) => {}
        Err(err) => {
            eprintln!("error: {err}");
            std::process::exit(1);
        }
    }
}
