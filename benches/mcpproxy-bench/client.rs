//! The benchmark client: rmcp sessions (Streamable HTTP or stdio) and a bounded call loop.

use rmcp::model::{
    CallToolRequestParams, ClientCapabilities, ClientConfig, Implementation, JsonObject,
    ProtocolVersion,
};
use rmcp::service::RunningService;
use rmcp::transport::{StreamableHttpClientTransport, TokioChildProcess};
use rmcp::{ClientHandler, Peer, RoleClient, ServiceExt};
use serde_json::Value;
use std::path::Path;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// Client identity; classic (session-based) protocol so every target speaks it.
#[derive(Clone, Default)]
pub struct BenchClient;

impl ClientHandler for BenchClient {
    fn get_info(&self) -> ClientConfig {
        ClientConfig::new(
            ClientCapabilities::default(),
            Implementation::new("mcpproxy-bench", env!("CARGO_PKG_VERSION")),
        )
        .with_protocol_version(ProtocolVersion::LATEST_WITH_INITIALIZE)
    }
}

/// A connected session.
pub type Session = RunningService<RoleClient, BenchClient>;

/// Initialize a session with the Streamable HTTP endpoint `url`.
pub async fn connect_http(url: &str) -> anyhow::Result<Session> {
    let transport = StreamableHttpClientTransport::from_uri(url.to_string());
    BenchClient
        .serve(transport)
        .await
        .map_err(|e| anyhow::anyhow!("connect to {url}: {e}"))
}

/// Spawn `program args` and initialize a stdio session with it.
pub async fn connect_stdio(program: &Path, args: &[&str]) -> anyhow::Result<Session> {
    let mut command = tokio::process::Command::new(program);
    command.args(args);
    let (transport, _stderr) = TokioChildProcess::builder(command)
        .stderr(std::process::Stdio::null())
        .spawn()?;
    BenchClient
        .serve(transport)
        .await
        .map_err(|e| anyhow::anyhow!("connect to {}: {e}", program.display()))
}

/// Initialize a session over the legacy HTTP+SSE transport (`GET url` event stream), with
/// mcpproxy's own legacy client (rmcp no longer ships one).
pub async fn connect_legacy_sse(url: &str) -> anyhow::Result<Session> {
    let config = mcpproxy::upstream::sse::SseClientConfig {
        url: url.to_string(),
        headers: Default::default(),
        connect_timeout: Duration::from_secs(10),
    };
    let transport = mcpproxy::upstream::sse::connect(reqwest::Client::new(), config)
        .await
        .map_err(|e| anyhow::anyhow!("connect to {url}: {e}"))?;
    BenchClient
        .serve(transport)
        .await
        .map_err(|e| anyhow::anyhow!("initialize with {url}: {e}"))
}

/// Streamable HTTP, or the legacy HTTP+SSE transport when `legacy_sse`.
pub async fn connect_url(url: &str, legacy_sse: bool) -> anyhow::Result<Session> {
    if legacy_sse {
        connect_legacy_sse(url).await
    } else {
        connect_http(url).await
    }
}

/// `n` sessions with `url` (see [`connect_url`]).
pub async fn connect_many_with(
    url: &str,
    n: usize,
    legacy_sse: bool,
) -> anyhow::Result<Vec<Session>> {
    let mut sessions = Vec::with_capacity(n);
    for _ in 0..n {
        sessions.push(connect_url(url, legacy_sse).await?);
    }
    Ok(sessions)
}

/// `n` Streamable HTTP sessions with `url`.
pub async fn connect_many(url: &str, n: usize) -> anyhow::Result<Vec<Session>> {
    connect_many_with(url, n, false).await
}

/// A `tools/call` and the text its result must carry.
#[derive(Debug, Clone)]
pub struct Call {
    /// Tool name on the target.
    pub tool: String,
    /// Arguments.
    pub args: JsonObject,
    /// Expected text of the first content block.
    pub expect: String,
}

impl Call {
    /// `echo` of `message` under the tool name `tool`.
    pub fn echo(tool: &str, message: &str) -> Self {
        Self {
            tool: tool.to_string(),
            args: obj(serde_json::json!({"message": message})),
            expect: message.to_string(),
        }
    }

    /// `call_tool_read` on `/mcp` for `key` (server:tool) with `echo` arguments.
    pub fn via_call_tool_read(key: &str, message: &str) -> Self {
        Self {
            tool: "call_tool_read".to_string(),
            args: obj(serde_json::json!({"name": key, "args": {"message": message}})),
            expect: message.to_string(),
        }
    }
}

/// JSON object from a `json!` literal.
pub fn obj(value: Value) -> JsonObject {
    match value {
        Value::Object(map) => map,
        other => panic!("not an object: {other}"),
    }
}

/// Call once; `Err` when the call fails or the text differs from `call.expect`.
pub async fn call_once(peer: &Peer<RoleClient>, call: &Call) -> anyhow::Result<()> {
    let params = CallToolRequestParams::new(call.tool.clone()).with_arguments(call.args.clone());
    let result = peer.call_tool(params).await?;
    let text = result
        .content
        .first()
        .and_then(|c| c.as_text())
        .map(|t| t.text.as_str())
        .unwrap_or_default();
    anyhow::ensure!(
        result.is_error != Some(true) && text == call.expect,
        "{} answered {:?} (isError {:?}), expected {:?}",
        call.tool,
        text,
        result.is_error,
        call.expect
    );
    Ok(())
}

/// What a load run measured.
#[derive(Debug, Default)]
pub struct LoadResult {
    /// Latency of each successful call.
    pub latencies: Vec<Duration>,
    /// Wall time of the whole run.
    pub wall: Duration,
    /// Failed calls (with the first error).
    pub errors: usize,
    /// The first error, if any.
    pub first_error: Option<String>,
}

/// Make `total` calls with `concurrency` workers; worker `i` uses `peers[i % peers.len()]`.
pub async fn run_load(
    peers: &[Peer<RoleClient>],
    call: &Call,
    concurrency: usize,
    total: usize,
) -> LoadResult {
    let remaining = Arc::new(AtomicUsize::new(total));
    let started = Instant::now();
    let workers: Vec<_> = (0..concurrency.max(1))
        .map(|i| {
            let peer = peers[i % peers.len()].clone();
            let call = call.clone();
            let remaining = remaining.clone();
            tokio::spawn(async move {
                let mut latencies = Vec::new();
                let mut errors = 0usize;
                let mut first_error = None;
                while remaining
                    .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |n| n.checked_sub(1))
                    .is_ok()
                {
                    let t0 = Instant::now();
                    match call_once(&peer, &call).await {
                        Ok(()) => latencies.push(t0.elapsed()),
                        Err(err) => {
                            errors += 1;
                            first_error.get_or_insert_with(|| err.to_string());
                        }
                    }
                }
                (latencies, errors, first_error)
            })
        })
        .collect();
    let mut result = LoadResult::default();
    for worker in workers {
        if let Ok((latencies, errors, first_error)) = worker.await {
            result.latencies.extend(latencies);
            result.errors += errors;
            if result.first_error.is_none() {
                result.first_error = first_error;
            }
        }
    }
    result.wall = started.elapsed();
    result
}

/// Poll `check` every `every` until it yields `Some` or `timeout` passes.
pub async fn wait_for<T, F, Fut>(
    what: &str,
    timeout: Duration,
    every: Duration,
    mut check: F,
) -> anyhow::Result<T>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Option<T>>,
{
    let deadline = Instant::now() + timeout;
    loop {
        if let Some(value) = check().await {
            return Ok(value);
        }
        anyhow::ensure!(
            Instant::now() < deadline,
            "timed out after {timeout:?} waiting for {what}"
        );
        tokio::time::sleep(every).await;
    }
}

/// Wait until a tool named `name` (or ending in `__name`/`_name`) is listed; returns its name.
pub async fn wait_for_tool(
    peer: &Peer<RoleClient>,
    name: &str,
    timeout: Duration,
) -> anyhow::Result<String> {
    wait_for(
        &format!("tool {name}"),
        timeout,
        Duration::from_millis(50),
        || async {
            let tools = peer.list_all_tools().await.ok()?;
            tools
                .iter()
                .map(|t| t.name.to_string())
                .find(|n| n == name || n.ends_with(&format!("_{name}")))
        },
    )
    .await
}
