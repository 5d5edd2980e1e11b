//! One supervisor task per upstream: connect, list tools, watch health, reconnect with backoff.

use super::client::{UpstreamClient, UpstreamSignal};
use super::connect::{self, Connection, ResolvedServer};
use super::oauth::ServerAuth;
use super::state::ConnectionState;
use super::Upstream;
use crate::events::CoreEvent;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::mpsc;

/// Reconnect delays.
#[derive(Debug, Clone, Copy)]
pub struct Backoff {
    /// First delay after a failed attempt.
    pub initial: Duration,
    /// Upper bound.
    pub max: Duration,
    /// Delay before reconnecting after a working connection dropped.
    pub after_drop: Duration,
}

impl Default for Backoff {
    fn default() -> Self {
        Self {
            initial: Duration::from_secs(1),
            max: Duration::from_secs(30),
            after_drop: Duration::from_millis(200),
        }
    }
}

impl Backoff {
    /// Delay before attempt number `failures` (1-based) after consecutive failures.
    pub fn delay(&self, failures: u32) -> Duration {
        let factor = 2u32.saturating_pow(failures.saturating_sub(1).min(16));
        self.initial.saturating_mul(factor).min(self.max)
    }
}

/// Interval between health pings of a ready upstream.
pub const HEALTH_INTERVAL: Duration = Duration::from_secs(30);
/// A ping that takes longer than this marks the connection dead.
pub const HEALTH_TIMEOUT: Duration = Duration::from_secs(10);
/// Graceful close budget before the process group is signalled.
pub const CLOSE_TIMEOUT: Duration = Duration::from_secs(10);
/// Time between SIGTERM and SIGKILL for a process group.
pub const KILL_GRACE: Duration = Duration::from_secs(9);

enum ReadyOutcome {
    Stopped,
    Dropped(String),
}

/// Resolve `${keyring:…}`/`${env:…}` references for this attempt (so a secret set later is
/// picked up on the next try) and teach the log to scrub the resolved values.
async fn resolve_references(
    upstream: &Arc<Upstream>,
    server: &ResolvedServer,
) -> Result<ResolvedServer, String> {
    let config = server.config.clone();
    if crate::secrets::resolve::server_references(&config).is_empty() {
        return Ok(server.clone());
    }
    let resolved =
        tokio::task::spawn_blocking(move || crate::secrets::resolve::resolve_server(&config))
            .await
            .map_err(|e| format!("resolving secrets failed: {e}"))?
            .map_err(|e| e.to_string())?;
    let mut secrets = crate::secrets::secret_values(&server.config);
    secrets.extend(crate::secrets::resolve::resolved_secret_values(
        &server.config,
        &resolved,
    ));
    upstream.log.set_secrets(secrets);
    Ok(resolved)
}

/// Run until `upstream.cancel` fires. Never returns early on errors.
pub async fn run(upstream: Arc<Upstream>, server: ResolvedServer) {
    let mut failures: u32 = 0;
    let auth = upstream.ctx.oauth.for_server(&server.config);
    loop {
        if upstream.cancel.is_cancelled() {
            break;
        }
        if let Some(auth) = auth.as_ref().filter(|a| a.login_blocking()) {
            // No reconnect attempts while a login is needed: wait for it (or for the stop).
            upstream.set_status(|s| {
                s.state = ConnectionState::Error;
                s.last_error = Some(format!(
                    "OAuth login required; run `mcpproxy auth login --server {}`",
                    upstream.name
                ));
                s.tools = Arc::new(Vec::new());
            });
            tokio::select! {
                _ = auth.wait_until_connectable() => { failures = 0; }
                _ = upstream.cancel.cancelled() => break,
            }
            continue;
        }
        upstream.set_status(|s| {
            s.state = ConnectionState::Connecting;
        });
        let (signal_tx, signal_rx) = mpsc::unbounded_channel();
        let make_handler: Arc<dyn Fn() -> UpstreamClient + Send + Sync> = {
            let upstream = upstream.clone();
            Arc::new(move || {
                UpstreamClient::new(
                    &upstream.name,
                    signal_tx.clone(),
                    upstream.ctx.progress.clone(),
                    upstream.log.clone(),
                )
                .with_relay(upstream.ctx.relay.clone())
            })
        };
        let attempt = tokio::select! {
            result = async {
                let resolved = resolve_references(&upstream, &server).await?;
                connect::connect(
                resolved,
                make_handler.clone(),
                upstream.ctx.http.clone(),
                upstream.log.clone(),
                upstream.ctx.shim.clone(),
                upstream.isolation.clone(),
                auth.clone(),
                )
                .await
            } => result,
            _ = upstream.cancel.cancelled() => break,
        };
        drop(make_handler);
        let delay = match attempt {
            Ok(conn) => {
                upstream
                    .log
                    .event(&format!("connected via {}", conn.transport));
                match ready_loop(&upstream, conn, signal_rx, auth.as_deref()).await {
                    ReadyOutcome::Stopped => break,
                    ReadyOutcome::Dropped(reason) => {
                        failures = 0;
                        upstream.log.event(&format!("connection lost: {reason}"));
                        upstream.set_status(|s| {
                            s.state = ConnectionState::Error;
                            s.last_error = Some(reason.clone());
                            s.tools = Arc::new(Vec::new());
                        });
                        upstream.ctx.backoff.after_drop
                    }
                }
            }
            Err(err) if auth.as_ref().is_some_and(|a| a.login_blocking()) => {
                upstream
                    .log
                    .event(&format!("connect needs an OAuth login: {err}"));
                Duration::ZERO
            }
            Err(err) => {
                failures += 1;
                let delay = upstream.ctx.backoff.delay(failures);
                upstream.log.event(&format!(
                    "connect failed (attempt {failures}): {err}; retrying in {}ms",
                    delay.as_millis()
                ));
                tracing::warn!(server = %upstream.name, error = %err, "upstream connect failed");
                upstream.set_status(|s| {
                    s.state = ConnectionState::Error;
                    s.last_error = Some(err.clone());
                    s.retry_count = failures;
                    s.tools = Arc::new(Vec::new());
                });
                delay
            }
        };
        tokio::select! {
            _ = tokio::time::sleep(delay) => {}
            _ = upstream.cancel.cancelled() => break,
        }
    }
    upstream.set_status(|s| {
        if !matches!(
            s.state,
            ConnectionState::Disabled | ConnectionState::Quarantined
        ) {
            s.state = ConnectionState::Stopped;
        }
        s.tools = Arc::new(Vec::new());
    });
}

async fn list_tools(
    conn: &Connection,
    auth: Option<&ServerAuth>,
) -> Result<Vec<rmcp::model::Tool>, String> {
    match tokio::time::timeout(Duration::from_secs(30), conn.peer.list_all_tools()).await {
        Ok(Ok(tools)) => Ok(tools),
        Ok(Err(err)) => {
            if let Some(auth) = auth {
                if let Some(found) = super::oauth::challenge::from_service(&err, auth.url()) {
                    auth.on_challenge(found).await;
                }
            }
            Err(format!("tools/list failed: {err}"))
        }
        Err(_) => Err("tools/list timed out after 30s".into()),
    }
}

/// Resolves when the held OAuth token is due for refresh (never without OAuth).
async fn refresh_due(auth: Option<&ServerAuth>) {
    match auth.and_then(|a| a.refresh_due()) {
        Some(due) => tokio::time::sleep_until(due).await,
        None => std::future::pending().await,
    }
}

/// Resolves when the server needs an OAuth login (never without OAuth).
async fn login_needed(auth: Option<&ServerAuth>) {
    match auth {
        Some(auth) => {
            let mut rx = auth.subscribe();
            let _ = rx
                .wait_for(|s| s.state == super::oauth::OAuthState::LoginRequired)
                .await;
        }
        None => std::future::pending().await,
    }
}

/// The upstream's tools minus those its config hides (`enabled_tools` / `disabled_tools`):
/// what is not here is on no surface and cannot be called.
fn allowed_tools(upstream: &Upstream, mut tools: Vec<rmcp::model::Tool>) -> Vec<rmcp::model::Tool> {
    tools.retain(|t| upstream.config.tool_allowed(&t.name));
    tools
}

async fn ready_loop(
    upstream: &Arc<Upstream>,
    conn: Connection,
    mut signals: mpsc::UnboundedReceiver<UpstreamSignal>,
    auth: Option<&ServerAuth>,
) -> ReadyOutcome {
    let tools = match list_tools(&conn, auth).await {
        Ok(tools) => tools,
        Err(err) => {
            close(upstream, conn).await;
            return ReadyOutcome::Dropped(err);
        }
    };
    let server_info = conn.peer.peer_info().and_then(|info| {
        info.server_info
            .as_ref()
            .map(|i| format!("{} {}", i.name, i.version))
    });
    upstream.set_peer(Some(conn.peer.clone()));
    upstream.set_status(|s| {
        s.state = ConnectionState::Ready;
        s.last_error = None;
        s.retry_count = 0;
        s.transport = Some(conn.transport);
        s.server_info = server_info.clone();
        s.tools = Arc::new(allowed_tools(upstream, tools));
    });
    let Connection {
        peer,
        service,
        group,
        transport: _,
        container,
    } = conn;
    let cancel = service.cancellation_token();
    // Closing the connection closes the server's stdin; the shim must know that first.
    let stop = CloseSignal {
        group: group.as_ref(),
        cancel,
    };
    let mut ended = tokio::spawn(service.waiting());
    let mut health = tokio::time::interval_at(
        tokio::time::Instant::now() + HEALTH_INTERVAL,
        HEALTH_INTERVAL,
    );
    let outcome = loop {
        tokio::select! {
            _ = upstream.cancel.cancelled() => {
                upstream.log.event("stopping: closing the connection");
                stop.cancel();
                if tokio::time::timeout(CLOSE_TIMEOUT, &mut ended).await.is_err() {
                    upstream.log.event("connection did not close in time");
                    ended.abort();
                }
                break ReadyOutcome::Stopped;
            }
            _ = refresh_due(auth) => {
                if let Some(auth) = auth {
                    let _ = auth.refresh_now().await;
                }
            }
            _ = login_needed(auth) => {
                stop.cancel();
                let _ = tokio::time::timeout(CLOSE_TIMEOUT, &mut ended).await;
                break ReadyOutcome::Dropped("OAuth login required".into());
            }
            result = &mut ended => {
                let reason = match result {
                    Ok(reason) => format!("upstream closed the connection ({reason:?})"),
                    Err(err) => format!("connection task failed: {err}"),
                };
                break ReadyOutcome::Dropped(reason);
            }
            Some(signal) = signals.recv() => match signal {
                UpstreamSignal::ToolsChanged => {
                    match tokio::time::timeout(Duration::from_secs(30), peer.list_all_tools()).await {
                        Ok(Ok(tools)) => {
                            upstream.log.event(&format!("tool list changed: {} tools", tools.len()));
                            let tools = allowed_tools(upstream, tools);
                            upstream.set_status(|s| s.tools = Arc::new(tools));
                        }
                        Ok(Err(err)) => upstream.log.event(&format!("re-listing tools failed: {err}")),
                        Err(_) => upstream.log.event("re-listing tools timed out"),
                    }
                }
            },
            _ = health.tick() => {
                match tokio::time::timeout(HEALTH_TIMEOUT, peer.send_request(ping_request())).await {
                    Ok(Ok(_)) => {}
                    Ok(Err(err)) => {
                        stop.cancel();
                        let _ = tokio::time::timeout(CLOSE_TIMEOUT, &mut ended).await;
                        break ReadyOutcome::Dropped(format!("health ping failed: {err}"));
                    }
                    Err(_) => {
                        stop.cancel();
                        let _ = tokio::time::timeout(CLOSE_TIMEOUT, &mut ended).await;
                        break ReadyOutcome::Dropped(format!(
                            "health ping got no answer within {}s", HEALTH_TIMEOUT.as_secs()
                        ));
                    }
                }
            }
        }
    };
    upstream.set_peer(None);
    if let Some(group) = group {
        upstream.log.event(&format!(
            "connection closed; waiting up to {}s for the server to exit",
            CLOSE_TIMEOUT.as_secs()
        ));
        group.shut_down(CLOSE_TIMEOUT, KILL_GRACE).await;
        upstream.log.event("server process ended");
    }
    if let Some(container) = container {
        upstream.isolation.discard(&container, KILL_GRACE).await;
    }
    outcome
}

fn ping_request() -> rmcp::model::ClientRequest {
    rmcp::model::ClientRequest::PingRequest(rmcp::model::PingRequest::default())
}

async fn close(upstream: &Arc<Upstream>, conn: Connection) {
    close_connection(conn, &upstream.isolation).await;
    upstream.set_peer(None);
}

/// Close `conn` gracefully, then end its process group or container.
pub(crate) async fn close_connection(conn: Connection, isolation: &crate::docker::Isolator) {
    let Connection {
        service,
        group,
        container,
        ..
    } = conn;
    let mut service = service;
    if let Some(group) = &group {
        group.closing();
    }
    let _ = service.close_with_timeout(CLOSE_TIMEOUT).await;
    if let Some(group) = group {
        group.shut_down(CLOSE_TIMEOUT, KILL_GRACE).await;
    }
    if let Some(container) = container {
        isolation.discard(&container, KILL_GRACE).await;
    }
}

/// Closes a ready connection, telling the shim first (see [`super::stdio::ProcessGroup::closing`]).
struct CloseSignal<'a> {
    group: Option<&'a super::stdio::ProcessGroup>,
    cancel: rmcp::service::RunningServiceCancellationToken,
}

impl CloseSignal<'_> {
    fn cancel(self) {
        if let Some(group) = self.group {
            group.closing();
        }
        self.cancel.cancel();
    }
}

/// Publish a status change for `name`.
pub(crate) fn announce(upstream: &Upstream) {
    upstream.ctx.events.publish(CoreEvent::ServerChanged {
        name: upstream.name.clone(),
    });
}
