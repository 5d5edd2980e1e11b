//! (1) Added latency per `tools/call` and (2) peers: the fixture's `echo` called directly
//! and through each proxy path, same client and loop, interleaved rounds, warm sessions.

use crate::client::{self, Call, Session};
use crate::peers::{self, PeerProcess, Upstream};
use crate::procs::{self, Bins, HttpFixture, Proxy};
use crate::stats::Summary;
use rmcp::{Peer, RoleClient};
use serde::Serialize;
use serde_json::json;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// How much to measure.
#[derive(Debug, Clone)]
pub struct Options {
    /// Calls per target and concurrency level (split over the rounds).
    pub calls: usize,
    /// Interleaved rounds (direct, proxied, peers, direct, …) to spread machine noise.
    pub rounds: usize,
    /// Concurrency levels.
    pub concurrency: Vec<usize>,
    /// Unmeasured calls per target first.
    pub warmup: usize,
    /// Where `bench/setup-peers.sh` installed the peers; `None` skips peers.
    pub peers_dir: Option<PathBuf>,
}

/// One measured (transport, target, concurrency).
#[derive(Debug, Clone, Serialize)]
pub struct Row {
    /// `http` or `stdio` (the upstream's transport).
    pub transport: String,
    /// `direct`, `mcpproxy /mcp/all`, `mcpproxy call_tool_read`, or a peer.
    pub target: String,
    /// Concurrent workers.
    pub concurrency: usize,
    /// Latencies of successful calls.
    pub latency: Summary,
    /// Successful calls per second.
    pub throughput: f64,
    /// Failed calls.
    pub errors: usize,
    /// First failure.
    pub first_error: Option<String>,
    /// p50 − direct p50 (µs), same transport and concurrency.
    pub added_p50_us: f64,
    /// p99 − direct p99 (µs).
    pub added_p99_us: f64,
    /// p50 / direct p50.
    pub p50_ratio: f64,
    /// throughput / direct throughput.
    pub throughput_ratio: f64,
}

/// A target that could not be measured, and why.
#[derive(Debug, Clone, Serialize)]
pub struct Skipped {
    /// Upstream transport.
    pub transport: String,
    /// Target name.
    pub target: String,
    /// Why (the error).
    pub reason: String,
}

/// Section result.
#[derive(Debug, Clone, Serialize, Default)]
pub struct Report {
    /// Measurements.
    pub rows: Vec<Row>,
    /// Targets not measured.
    pub skipped: Vec<Skipped>,
}

struct Target {
    name: String,
    peers: Vec<Peer<RoleClient>>,
    call: Call,
    _sessions: Vec<Session>,
    _process: Option<PeerProcess>,
    samples: Vec<Vec<Duration>>,
    walls: Vec<Duration>,
    errors: Vec<usize>,
    first_error: Option<String>,
}

impl Target {
    fn new(name: &str, sessions: Vec<Session>, call: Call, process: Option<PeerProcess>) -> Self {
        Self {
            name: name.to_string(),
            peers: sessions.iter().map(|s| s.peer().clone()).collect(),
            call,
            _sessions: sessions,
            _process: process,
            samples: Vec::new(),
            walls: Vec::new(),
            errors: Vec::new(),
            first_error: None,
        }
    }
}

const MESSAGE: &str = "benchmark payload: the quick brown fox jumps over the lazy dog";

/// Run the section.
pub async fn run(bins: &Bins, opts: &Options, work: &Path) -> anyhow::Result<Report> {
    let max_c = opts.concurrency.iter().copied().max().unwrap_or(1);
    let fixture = HttpFixture::start(bins, "fxh")?;
    let proxy = Proxy::start(
        bins,
        json!([
            procs::http_server("fxh", &fixture.url),
            bins.stdio_server("fxs", &[])
        ]),
        json!({}),
    )?;
    let probe = client::connect_http(&proxy.all_url()).await?;
    for name in ["fxh__echo", "fxs__echo"] {
        client::wait_for_tool(probe.peer(), name, Duration::from_secs(60)).await?;
    }
    drop(probe);
    let mut report = Report::default();
    for transport in ["http", "stdio"] {
        let (direct_sessions, key, upstream) = match transport {
            "http" => (
                client::connect_many(&fixture.url, max_c).await?,
                "fxh",
                Upstream::Http(fixture.url.clone()),
            ),
            _ => (
                vec![client::connect_stdio(&bins.fixture, &["stdio", "--name", "fx"]).await?],
                "fxs",
                Upstream::Stdio(bins.fixture.clone()),
            ),
        };
        let mut targets = vec![
            Target::new("direct", direct_sessions, Call::echo("echo", MESSAGE), None),
            Target::new(
                "mcpproxy /mcp/all",
                client::connect_many(&proxy.all_url(), max_c).await?,
                Call::echo(&format!("{key}__echo"), MESSAGE),
                None,
            ),
            Target::new(
                "mcpproxy call_tool_read",
                client::connect_many(&proxy.mcp_url(), max_c).await?,
                Call::via_call_tool_read(&format!("{key}:echo"), MESSAGE),
                None,
            ),
        ];
        if let Some(dir) = &opts.peers_dir {
            for peer in peers::PEERS {
                match start_peer(peer, dir, &upstream, work, max_c).await {
                    Ok(target) => targets.push(target),
                    Err(err) => report.skipped.push(Skipped {
                        transport: transport.into(),
                        target: peer.into(),
                        reason: format!("{err:#}"),
                    }),
                }
            }
        }
        for target in &targets {
            let warm = client::run_load(&target.peers, &target.call, max_c, opts.warmup).await;
            if let Some(err) = warm.first_error {
                warn(&format!("{} warm-up: {err}", target.name));
            }
        }
        for &c in &opts.concurrency {
            for target in targets.iter_mut() {
                target.samples.clear();
                target.walls.clear();
                target.errors.clear();
            }
            let per_round = (opts.calls / opts.rounds.max(1)).max(1);
            for _ in 0..opts.rounds.max(1) {
                for target in targets.iter_mut() {
                    let peers = &target.peers[..c.min(target.peers.len())];
                    let load = client::run_load(peers, &target.call, c, per_round).await;
                    target.samples.push(load.latencies);
                    target.walls.push(load.wall);
                    target.errors.push(load.errors);
                    if target.first_error.is_none() {
                        target.first_error = load.first_error;
                    }
                }
            }
            report.rows.extend(rows(transport, c, &targets));
        }
    }
    Ok(report)
}

fn warn(message: &str) {
    eprintln!("mcpproxy-bench: {message}");
}

async fn start_peer(
    peer: &str,
    dir: &Path,
    upstream: &Upstream,
    work: &Path,
    sessions: usize,
) -> anyhow::Result<Target> {
    let process = peers::start(peer, dir, upstream, work)?;
    let url = process.url.clone();
    let legacy = process.legacy_sse;
    let ready = client::wait_for(
        &format!("{peer} to serve the fixture's echo"),
        Duration::from_secs(90),
        Duration::from_millis(200),
        || async {
            let session = client::connect_url(&url, legacy).await.ok()?;
            let tools = session.peer().list_all_tools().await.ok()?;
            tools
                .iter()
                .map(|t| t.name.to_string())
                .find(|n| n == "echo" || n.ends_with("_echo"))
        },
    )
    .await;
    let tool =
        ready.map_err(|e| anyhow::anyhow!("{e} (log: {})", peers::log_tail(work, peer, &url)))?;
    let call = Call::echo(&tool, MESSAGE);
    let sessions = client::connect_many_with(&url, sessions, legacy).await?;
    client::call_once(sessions[0].peer(), &call)
        .await
        .map_err(|e| anyhow::anyhow!("first call failed: {e}"))?;
    Ok(Target::new(peer, sessions, call, Some(process)))
}

fn rows(transport: &str, c: usize, targets: &[Target]) -> Vec<Row> {
    let measured: Vec<(String, Summary, f64, usize, Option<String>)> = targets
        .iter()
        .map(|t| {
            let all: Vec<Duration> = t.samples.iter().flatten().copied().collect();
            let wall: Duration = t.walls.iter().sum();
            let throughput = all.len() as f64 / wall.as_secs_f64().max(1e-9);
            (
                t.name.clone(),
                Summary::of(&all),
                throughput,
                t.errors.iter().sum(),
                t.first_error.clone(),
            )
        })
        .collect();
    let (_, direct, direct_tp, _, _) = measured[0].clone();
    measured
        .into_iter()
        .map(|(target, latency, throughput, errors, first_error)| Row {
            transport: transport.to_string(),
            target,
            concurrency: c,
            added_p50_us: latency.p50_us - direct.p50_us,
            added_p99_us: latency.p99_us - direct.p99_us,
            p50_ratio: latency.p50_us / direct.p50_us.max(1e-9),
            throughput_ratio: throughput / direct_tp.max(1e-9),
            latency,
            throughput,
            errors,
            first_error,
        })
        .collect()
}
