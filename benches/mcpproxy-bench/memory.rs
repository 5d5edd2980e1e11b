//! (5) Memory: proxy RSS idle and with N upstreams (next to one fixture's RSS), and the
//! child-process count before and after restart cycles (crash → automatic reconnect).

use crate::client::{self, Call};
use crate::procs::{self, Bins, Proxy};
use crate::readiness;
use serde::Serialize;
use serde_json::{json, Value};
use std::time::Duration;

/// Section result.
#[derive(Debug, Clone, Serialize)]
pub struct Report {
    /// Proxy RSS with no upstreams, one client initialized (KiB).
    pub idle_rss_kib: u64,
    /// Upstreams in the "many" configuration.
    pub upstreams: usize,
    /// Proxy RSS with them all ready (KiB).
    pub many_rss_kib: u64,
    /// Processes under the proxy then (shims + fixtures).
    pub many_children: usize,
    /// Their summed RSS (KiB).
    pub many_children_rss_kib: u64,
    /// RSS of one fixture started directly (KiB), for scale.
    pub fixture_rss_kib: u64,
    /// Restart cycles run.
    pub restart_cycles: usize,
    /// Processes under the proxy before the cycles.
    pub children_before: usize,
    /// … after the cycles (server ready again).
    pub children_after: usize,
    /// Wall time of all cycles (ms).
    pub cycles_ms: f64,
}

/// Run the section.
pub async fn run(bins: &Bins, upstreams: usize, cycles: usize) -> anyhow::Result<Report> {
    let proxy = Proxy::start(bins, json!([]), json!({}))?;
    let session = client::connect_http(&proxy.mcp_url()).await?;
    let idle_rss_kib = procs::rss_kib(proxy.pid()).unwrap_or(0);
    drop(session);
    drop(proxy);

    let servers: Vec<Value> = (0..upstreams)
        .map(|i| bins.stdio_server(&format!("up{i}"), &[]))
        .collect();
    let proxy = Proxy::start(bins, Value::Array(servers), json!({}))?;
    let session = client::connect_http(&proxy.mcp_url()).await?;
    readiness::wait_ready(session.peer(), upstreams, Duration::from_secs(120)).await?;
    let many_rss_kib = procs::rss_kib(proxy.pid()).unwrap_or(0);
    let children = procs::descendants(proxy.pid());
    let many_children_rss_kib = procs::total_rss_kib(&children);
    drop(session);
    drop(proxy);

    let direct = client::connect_stdio(&bins.fixture, &["stdio", "--name", "solo"]).await?;
    let fixture_rss_kib = fixture_rss(&bins.fixture).unwrap_or(0);
    drop(direct);

    let (children_before, children_after, cycles_ms) = restart_cycles(bins, cycles).await?;
    Ok(Report {
        idle_rss_kib,
        upstreams,
        many_rss_kib,
        many_children: children.len(),
        many_children_rss_kib,
        fixture_rss_kib,
        restart_cycles: cycles,
        children_before,
        children_after,
        cycles_ms,
    })
}

/// RSS of our own child running `fixture` (the direct session's process).
fn fixture_rss(fixture: &std::path::Path) -> Option<u64> {
    let me = std::process::id();
    procs::descendants(me).into_iter().find_map(|pid| {
        let exe = std::fs::read_link(format!("/proc/{pid}/exe")).ok()?;
        (exe == fixture).then(|| procs::rss_kib(pid))?
    })
}

async fn restart_cycles(bins: &Bins, cycles: usize) -> anyhow::Result<(usize, usize, f64)> {
    let proxy = Proxy::start(bins, json!([bins.stdio_server("cyc", &[])]), json!({}))?;
    let session = client::connect_http(&proxy.mcp_url()).await?;
    let peer = session.peer().clone();
    readiness::wait_ready(&peer, 1, Duration::from_secs(60)).await?;
    let before = procs::descendants(proxy.pid()).len();
    let echo = Call::via_call_tool_read("cyc:echo", "alive");
    let started = std::time::Instant::now();
    for cycle in 0..cycles {
        let crash = rmcp::model::CallToolRequestParams::new("call_tool_destructive")
            .with_arguments(client::obj(
                json!({"name": "cyc:exit", "args": {"code": 1}}),
            ));
        let _ = peer.call_tool(crash).await;
        client::wait_for(
            &format!("restart cycle {cycle}"),
            Duration::from_secs(30),
            Duration::from_millis(20),
            || async { client::call_once(&peer, &echo).await.ok() },
        )
        .await?;
    }
    let cycles_ms = started.elapsed().as_secs_f64() * 1e3;
    // Old processes are reaped asynchronously: give them (bounded) time to go.
    let after = client::wait_for(
        "child count to settle",
        Duration::from_secs(10),
        Duration::from_millis(50),
        || async {
            let n = procs::descendants(proxy.pid()).len();
            (n <= before).then_some(n)
        },
    )
    .await
    .unwrap_or_else(|_| procs::descendants(proxy.pid()).len());
    drop(session);
    Ok((before, after, cycles_ms))
}
