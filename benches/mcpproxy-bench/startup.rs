//! (4) Startup: process start → `initialize` answered (with 0 and N upstreams configured),
//! and start → all N stdio fixture upstreams ready, against spawning them directly.

use crate::client;
use crate::procs::{Bins, Proxy};
use crate::readiness;
use crate::stats::Summary;
use serde::Serialize;
use serde_json::{json, Value};
use std::time::{Duration, Instant};

/// Section result.
#[derive(Debug, Clone, Serialize)]
pub struct Report {
    /// Upstreams in the "many" configuration.
    pub upstreams: usize,
    /// Spawn → "listening" line, no upstreams.
    pub listening_empty: Summary,
    /// Spawn → `initialize` answered on `/mcp`, no upstreams.
    pub initialize_empty: Summary,
    /// Spawn → `initialize` answered, with `upstreams` stdio upstreams configured.
    pub initialize_many: Summary,
    /// Spawn → every upstream ready (parallel connect).
    pub all_ready_many: Summary,
    /// One fixture spawned directly by the client → its `initialize` answered.
    pub direct_one: Summary,
    /// `upstreams` fixtures spawned and initialized one after another by the client.
    pub direct_serial_all: Summary,
}

fn servers(bins: &Bins, n: usize) -> Value {
    Value::Array(
        (0..n)
            .map(|i| bins.stdio_server(&format!("up{i}"), &[]))
            .collect(),
    )
}

/// Run the section.
pub async fn run(bins: &Bins, upstreams: usize, repeats: usize) -> anyhow::Result<Report> {
    let (mut listening, mut init_empty, mut init_many, mut ready_many) =
        (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    let (mut direct_one, mut direct_all) = (Vec::new(), Vec::new());
    for _ in 0..repeats {
        let proxy = Proxy::start(bins, json!([]), json!({}))?;
        let session = client::connect_http(&proxy.mcp_url()).await?;
        init_empty.push(proxy.spawned_at.elapsed());
        listening.push(proxy.listening_after);
        drop(session);
        drop(proxy);

        let proxy = Proxy::start(bins, servers(bins, upstreams), json!({}))?;
        let session = client::connect_http(&proxy.mcp_url()).await?;
        init_many.push(proxy.spawned_at.elapsed());
        readiness::wait_ready(session.peer(), upstreams, Duration::from_secs(120)).await?;
        ready_many.push(proxy.spawned_at.elapsed());
        drop(session);
        drop(proxy);

        let t = Instant::now();
        let one = client::connect_stdio(&bins.fixture, &["stdio", "--name", "one"]).await?;
        direct_one.push(t.elapsed());
        drop(one);
        let t = Instant::now();
        let mut all = Vec::with_capacity(upstreams);
        for i in 0..upstreams {
            let name = format!("d{i}");
            all.push(client::connect_stdio(&bins.fixture, &["stdio", "--name", &name]).await?);
        }
        direct_all.push(t.elapsed());
        for session in all {
            let _ = session.cancel().await;
        }
    }
    Ok(Report {
        upstreams,
        listening_empty: Summary::of(&listening),
        initialize_empty: Summary::of(&init_empty),
        initialize_many: Summary::of(&init_many),
        all_ready_many: Summary::of(&ready_many),
        direct_one: Summary::of(&direct_one),
        direct_serial_all: Summary::of(&direct_all),
    })
}
