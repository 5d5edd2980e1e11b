//! Opening one MCP client connection to an upstream, whatever its transport.

use super::client::UpstreamClient;
use super::logfile::ServerLog;
use super::stdio::{self, StdioSpec};
use crate::config::{Protocol, ServerConfig};
use rmcp::service::RunningService;
use rmcp::transport::streamable_http_client::StreamableHttpClientTransportConfig;
use rmcp::transport::StreamableHttpClientTransport;
use rmcp::{Peer, RoleClient, ServiceExt};
use std::collections::HashMap;
use std::time::Duration;

/// How long the `initialize` handshake may take.
pub const INITIALIZE_TIMEOUT: Duration = Duration::from_secs(30);

/// A live connection to an upstream.
pub struct Connection {
    /// Handle for requests.
    pub peer: Peer<RoleClient>,
    /// The running rmcp service (owned here so it can be closed).
    pub service: RunningService<RoleClient, UpstreamClient>,
    /// Process group of a stdio server.
    pub pgid: Option<i32>,
    /// Transport in use: "stdio", "streamable-http" or "sse".
    pub transport: &'static str,
    /// Container of a Docker-isolated stdio server.
    pub container: Option<crate::docker::container::Container>,
}

/// A server definition with every secret reference already resolved.
#[derive(Debug, Clone)]
pub struct ResolvedServer {
    /// The definition as configured (references intact; for display).
    pub config: ServerConfig,
    /// Resolved environment.
    pub env: Vec<(String, String)>,
    /// Resolved headers.
    pub headers: Vec<(String, String)>,
    /// Resolved args.
    pub args: Vec<String>,
}

impl ResolvedServer {
    /// Resolution for a config without secret references.
    pub fn plain(config: &ServerConfig) -> Self {
        Self {
            env: config
                .env
                .iter()
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect(),
            headers: config
                .headers
                .iter()
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect(),
            args: config.args.clone(),
            config: config.clone(),
        }
    }
}

/// Connect and complete the MCP handshake (bounded by [`INITIALIZE_TIMEOUT`]).
/// A stdio server with Docker isolation on runs in its container (never on the host).
pub async fn connect(
    server: ResolvedServer,
    handler: std::sync::Arc<dyn Fn() -> UpstreamClient + Send + Sync>,
    http: reqwest::Client,
    log: ServerLog,
    shim: Option<std::path::PathBuf>,
    isolator: crate::docker::Isolator,
) -> Result<Connection, String> {
    let (server, log, http) = (&server, &log, &http);
    let cfg = &server.config;
    let has_command = cfg.command.as_deref().is_some_and(|c| !c.trim().is_empty());
    if isolator.is_isolated() {
        return crate::docker::transport::connect_isolated(isolator, server, handler(), log).await;
    }
    match cfg.protocol {
        Protocol::Stdio => connect_stdio(server, handler(), log, shim.clone()).await,
        Protocol::Auto if has_command => connect_stdio(server, handler(), log, shim.clone()).await,
        Protocol::Http | Protocol::StreamableHttp => {
            connect_streamable(server, handler(), http).await
        }
        Protocol::Sse => connect_sse(server, handler(), http).await,
        Protocol::Auto => match connect_streamable(server, handler(), http).await {
            Ok(conn) => Ok(conn),
            Err(streamable_err) => {
                log.event(&format!(
                    "streamable HTTP failed ({streamable_err}); trying legacy SSE"
                ));
                connect_sse(server, handler(), http)
                    .await
                    .map_err(|sse_err| {
                        format!("streamable HTTP: {streamable_err}; legacy SSE: {sse_err}")
                    })
            }
        },
    }
}

pub(crate) async fn handshake<T, E, A>(
    handler: UpstreamClient,
    transport: T,
) -> Result<RunningService<RoleClient, UpstreamClient>, String>
where
    T: rmcp::transport::IntoTransport<RoleClient, E, A>,
    E: std::error::Error + Send + Sync + 'static,
{
    let transport = handler.observe(rmcp::transport::IntoTransport::into_transport(transport));
    match tokio::time::timeout(INITIALIZE_TIMEOUT, handler.serve(transport)).await {
        Ok(Ok(service)) => Ok(service),
        Ok(Err(err)) => Err(format!("initialize failed: {err}")),
        Err(_) => Err(format!(
            "no answer to initialize within {}s",
            INITIALIZE_TIMEOUT.as_secs()
        )),
    }
}

async fn connect_stdio(
    server: &ResolvedServer,
    handler: UpstreamClient,
    log: &ServerLog,
    shim: Option<std::path::PathBuf>,
) -> Result<Connection, String> {
    let cfg = &server.config;
    let spec = StdioSpec {
        command: cfg.command.clone().unwrap_or_default(),
        args: server.args.clone(),
        env: server.env.clone(),
        working_dir: cfg.working_dir.clone(),
        shim,
    };
    let spawned = stdio::spawn(&spec, log.clone()).map_err(|e| e.to_string())?;
    let pgid = spawned.pgid;
    let stderr_task = spawned.stderr_task;
    match handshake(handler, spawned.transport).await {
        Ok(service) => Ok(Connection {
            peer: service.peer().clone(),
            service,
            pgid: Some(pgid),
            transport: "stdio",
            container: None,
        }),
        Err(err) => {
            stdio::terminate_group(pgid, Duration::from_secs(2)).await;
            // The process is gone: let the stderr copy reach EOF so its last line can be shown.
            if let Some(task) = stderr_task {
                let _ = tokio::time::timeout(Duration::from_secs(1), task).await;
            }
            let detail = log
                .last_stderr()
                .map(|line| format!(" (stderr: {line})"))
                .unwrap_or_default();
            Err(format!("{err}{detail}"))
        }
    }
}

fn header_map(
    headers: &[(String, String)],
) -> Result<HashMap<http::HeaderName, http::HeaderValue>, String> {
    headers
        .iter()
        .map(|(k, v)| {
            let name = http::HeaderName::from_bytes(k.as_bytes())
                .map_err(|_| format!("invalid header name `{k}`"))?;
            let value = http::HeaderValue::from_str(v)
                .map_err(|_| format!("header `{k}` has a value that is not valid in HTTP"))?;
            Ok((name, value))
        })
        .collect()
}

async fn connect_streamable(
    server: &ResolvedServer,
    handler: UpstreamClient,
    http: &reqwest::Client,
) -> Result<Connection, String> {
    let url = server.config.url.clone().unwrap_or_default();
    let config = StreamableHttpClientTransportConfig::with_uri(url.as_str())
        .custom_headers(header_map(&server.headers)?)
        .reinit_on_expired_session(true);
    let transport = StreamableHttpClientTransport::with_client(http.clone(), config);
    let service = handshake(handler, transport).await?;
    Ok(Connection {
        peer: service.peer().clone(),
        service,
        pgid: None,
        transport: "streamable-http",
        container: None,
    })
}

async fn connect_sse(
    server: &ResolvedServer,
    handler: UpstreamClient,
    http: &reqwest::Client,
) -> Result<Connection, String> {
    let url = server.config.url.clone().unwrap_or_default();
    let mut headers = http::HeaderMap::new();
    for (name, value) in header_map(&server.headers)? {
        headers.insert(name, value);
    }
    let transport = super::sse::connect(
        http.clone(),
        super::sse::SseClientConfig {
            url,
            headers,
            connect_timeout: Duration::from_secs(10),
        },
    )
    .await
    .map_err(|e| e.to_string())?;
    let service = handshake(handler, transport).await?;
    Ok(Connection {
        peer: service.peer().clone(),
        service,
        pgid: None,
        transport: "sse",
        container: None,
    })
}
