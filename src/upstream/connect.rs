//! Opening one MCP client connection to an upstream, whatever its transport.

use super::client::UpstreamClient;
use super::logfile::ServerLog;
use super::oauth::server_auth::{AuthorizedClient, ChallengeOutcome, ConnectAuth};
use super::oauth::{challenge, ServerAuth};
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
    /// Process group of a stdio server (ended when dropped).
    pub group: Option<stdio::ProcessGroup>,
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
/// `auth` is the OAuth state of an HTTP/SSE server: it supplies bearer tokens and learns about
/// 401/403 challenges.
#[allow(clippy::too_many_arguments)]
pub async fn connect(
    server: ResolvedServer,
    handler: std::sync::Arc<dyn Fn() -> UpstreamClient + Send + Sync>,
    http: reqwest::Client,
    log: ServerLog,
    shim: Option<std::path::PathBuf>,
    isolator: crate::docker::Isolator,
    auth: Option<std::sync::Arc<ServerAuth>>,
) -> Result<Connection, String> {
    let (server, log, http) = (&server, &log, &http);
    let auth = auth.as_deref();
    let handler = &*handler;
    let cfg = &server.config;
    let has_command = cfg.command.as_deref().is_some_and(|c| !c.trim().is_empty());
    if isolator.is_isolated() {
        return crate::docker::transport::connect_isolated(isolator, server, handler(), log).await;
    }
    match cfg.protocol {
        Protocol::Stdio => connect_stdio(server, handler(), log, shim.clone()).await,
        Protocol::Auto if has_command => connect_stdio(server, handler(), log, shim.clone()).await,
        Protocol::Http | Protocol::StreamableHttp => {
            with_oauth(auth, || connect_streamable(server, handler, http, auth)).await
        }
        Protocol::Sse => with_oauth(auth, || connect_sse(server, handler, http, auth)).await,
        Protocol::Auto => {
            match with_oauth(auth, || connect_streamable(server, handler, http, auth)).await {
                Ok(conn) => Ok(conn),
                Err(streamable_err) if auth.is_some_and(|a| a.login_blocking()) => {
                    Err(streamable_err)
                }
                Err(streamable_err) => {
                    log.event(&format!(
                        "streamable HTTP failed ({streamable_err}); trying legacy SSE"
                    ));
                    with_oauth(auth, || connect_sse(server, handler, http, auth))
                        .await
                        .map_err(|sse_err| {
                            format!("streamable HTTP: {streamable_err}; legacy SSE: {sse_err}")
                        })
                }
            }
        }
    }
}

/// Outcome of one HTTP connection attempt.
enum Attempt {
    Done(Box<Result<Connection, String>>),
    /// The server sent an OAuth challenge; `ChallengeOutcome` says what the auth state made of it.
    Challenged(String, ChallengeOutcome),
}

impl Attempt {
    fn done(result: Result<Connection, String>) -> Self {
        Attempt::Done(Box::new(result))
    }
}

/// Run `attempt`, connecting once more when a challenge was answered from stored credentials.
async fn with_oauth<F, Fut>(auth: Option<&ServerAuth>, attempt: F) -> Result<Connection, String>
where
    F: Fn() -> Fut,
    Fut: std::future::Future<Output = Attempt>,
{
    for _ in 0..2 {
        match attempt().await {
            Attempt::Done(result) => return *result,
            Attempt::Challenged(_, ChallengeOutcome::Retry) => continue,
            Attempt::Challenged(message, ChallengeOutcome::LoginRequired) => {
                return Err(login_message(auth, &message))
            }
        }
    }
    Err(login_message(
        auth,
        "the server keeps asking for authorization",
    ))
}

fn login_message(auth: Option<&ServerAuth>, detail: &str) -> String {
    match auth {
        Some(auth) => format!(
            "OAuth login required ({detail}); run `mcpproxy auth login --server {}`",
            auth.name()
        ),
        None => detail.to_string(),
    }
}

/// Report a challenge found in an initialize error to the server's OAuth state.
async fn challenged(
    auth: Option<&ServerAuth>,
    err: &rmcp::service::ClientInitializeError,
    url: &str,
) -> Option<Attempt> {
    let auth = auth?;
    let found = challenge::from_initialize(err, url)?;
    let outcome = auth.on_challenge(found).await;
    Some(Attempt::Challenged(
        format!("initialize failed: {err}"),
        outcome,
    ))
}

pub(crate) async fn handshake<T, E, A>(
    handler: UpstreamClient,
    transport: T,
) -> Result<RunningService<RoleClient, UpstreamClient>, String>
where
    T: rmcp::transport::IntoTransport<RoleClient, E, A>,
    E: std::error::Error + Send + Sync + 'static,
{
    handshake_raw(handler, transport)
        .await
        .map_err(|err| match err {
            Some(err) => format!("initialize failed: {err}"),
            None => timeout_message(),
        })
}

fn timeout_message() -> String {
    format!(
        "no answer to initialize within {}s",
        INITIALIZE_TIMEOUT.as_secs()
    )
}

/// The handshake; `Err(None)` is a timeout.
async fn handshake_raw<T, E, A>(
    handler: UpstreamClient,
    transport: T,
) -> Result<RunningService<RoleClient, UpstreamClient>, Option<rmcp::service::ClientInitializeError>>
where
    T: rmcp::transport::IntoTransport<RoleClient, E, A>,
    E: std::error::Error + Send + Sync + 'static,
{
    let transport = handler.observe(rmcp::transport::IntoTransport::into_transport(transport));
    match tokio::time::timeout(INITIALIZE_TIMEOUT, handler.serve(transport)).await {
        Ok(Ok(service)) => Ok(service),
        Ok(Err(err)) => Err(Some(err)),
        Err(_) => Err(None),
    }
}

/// Handshake over an HTTP transport, turning an OAuth challenge into [`Attempt::Challenged`].
async fn http_handshake<T, E, A>(
    handler: UpstreamClient,
    transport: T,
    auth: Option<&ServerAuth>,
    url: &str,
    kind: &'static str,
) -> Attempt
where
    T: rmcp::transport::IntoTransport<RoleClient, E, A>,
    E: std::error::Error + Send + Sync + 'static,
{
    match handshake_raw(handler, transport).await {
        Ok(service) => Attempt::done(Ok(Connection {
            peer: service.peer().clone(),
            service,
            group: None,
            transport: kind,
            container: None,
        })),
        Err(Some(err)) => match challenged(auth, &err, url).await {
            Some(attempt) => attempt,
            None => Attempt::done(Err(format!("initialize failed: {err}"))),
        },
        Err(None) => Attempt::done(Err(timeout_message())),
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
    let group = spawned.group;
    let stderr_task = spawned.stderr_task;
    match handshake(handler, spawned.transport).await {
        Ok(service) => {
            group.server_ready();
            Ok(Connection {
                peer: service.peer().clone(),
                service,
                group: Some(group),
                transport: "stdio",
                container: None,
            })
        }
        Err(err) => {
            // The failed handshake dropped the transport (stdin is closed): a short wait for a
            // server that is exiting anyway, then the usual SIGTERM/SIGKILL of its tree.
            group
                .shut_down(Duration::from_secs(2), super::supervisor::KILL_GRACE)
                .await;
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

async fn connect_auth(auth: Option<&ServerAuth>) -> Result<Option<AuthorizedClient>, String> {
    match auth {
        None => Ok(None),
        Some(auth) => match auth.before_connect().await {
            ConnectAuth::Plain => Ok(None),
            ConnectAuth::Authorized(client) => Ok(Some(client)),
            ConnectAuth::MustLogin => Err(login_message(Some(auth), "no valid token")),
        },
    }
}

async fn connect_streamable(
    server: &ResolvedServer,
    handler: &(dyn Fn() -> UpstreamClient + Send + Sync),
    http: &reqwest::Client,
    auth: Option<&ServerAuth>,
) -> Attempt {
    let url = server.config.url.clone().unwrap_or_default();
    let headers = match header_map(&server.headers) {
        Ok(headers) => headers,
        Err(err) => return Attempt::done(Err(err)),
    };
    let config = StreamableHttpClientTransportConfig::with_uri(url.as_str())
        .custom_headers(headers)
        .reinit_on_expired_session(true);
    let authorized = match connect_auth(auth).await {
        Ok(authorized) => authorized,
        Err(err) => return Attempt::done(Err(err)),
    };
    match authorized {
        Some(client) => {
            let transport = StreamableHttpClientTransport::with_client(client, config);
            http_handshake(handler(), transport, auth, &url, "streamable-http").await
        }
        None => {
            let transport = StreamableHttpClientTransport::with_client(http.clone(), config);
            http_handshake(handler(), transport, auth, &url, "streamable-http").await
        }
    }
}

async fn connect_sse(
    server: &ResolvedServer,
    handler: &(dyn Fn() -> UpstreamClient + Send + Sync),
    http: &reqwest::Client,
    auth: Option<&ServerAuth>,
) -> Attempt {
    let url = server.config.url.clone().unwrap_or_default();
    let mut headers = http::HeaderMap::new();
    match header_map(&server.headers) {
        Ok(map) => headers.extend(map),
        Err(err) => return Attempt::done(Err(err)),
    }
    let mut bearer = None;
    match connect_auth(auth).await {
        Ok(Some(client)) => {
            match client.get_access_token().await {
                Ok(token) => {
                    if let Ok(value) = http::HeaderValue::from_str(&format!("Bearer {token}")) {
                        headers.insert(http::header::AUTHORIZATION, value);
                    }
                }
                Err(err) => tracing::debug!(error = %err, "no OAuth token for the SSE connection"),
            }
            bearer = Some(super::oauth::server_auth::bearer_source(client));
        }
        Ok(None) => {}
        Err(err) => return Attempt::done(Err(err)),
    }
    let connected = super::sse::connect(
        http.clone(),
        super::sse::SseClientConfig {
            url: url.clone(),
            headers,
            connect_timeout: Duration::from_secs(10),
        },
    )
    .await;
    let transport = match connected {
        Ok(transport) => match bearer {
            Some(bearer) => transport.with_bearer(bearer),
            None => transport,
        },
        Err(err) => {
            if let Some(auth) = auth {
                if let Some(found) = challenge::from_sse(&err, &url) {
                    let outcome = auth.on_challenge(found).await;
                    return Attempt::Challenged(err.to_string(), outcome);
                }
            }
            return Attempt::done(Err(err.to_string()));
        }
    };
    http_handshake(handler(), transport, auth, &url, "sse").await
}
