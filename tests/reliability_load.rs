//! Reliability under load: many concurrent MCP clients (rmcp, Streamable HTTP) calling
//! through every surface of the real `mcpproxy serve` — `/mcp` (retrieve_tools +
//! call_tool_read), `/mcp/all` (`server__tool`) and `/mcp/server/{name}` (passthrough) —
//! in front of a stdio and an HTTP fixture upstream. Every call must succeed and echo its
//! own message, and the core's resident memory must not keep growing.
//!
//! Soak (64 clients × 2,000 calls):
//! `cargo test --test reliability_load -- --ignored --nocapture`.

mod common;

use common::*;
use rmcp::model::CallToolRequestParams;
use serde_json::json;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// The two upstreams: one over stdio, one over Streamable HTTP.
const UPSTREAMS: [&str; 2] = ["ls", "lh"];
/// How often the RSS sampler reads `/proc/<pid>/status`.
const SAMPLE_EVERY: Duration = Duration::from_millis(50);

/// The MCP surface one client uses.
#[derive(Clone, Copy, Debug)]
enum Surface {
    /// `/mcp`: retrieve_tools, then call_tool_read {name: "server:tool"}.
    Routed,
    /// `/mcp/all`: `server__tool`.
    All,
    /// `/mcp/server/{name}`: the upstream's own tool names.
    Direct(&'static str),
}

impl Surface {
    fn of(client: usize) -> Self {
        match client % 3 {
            0 => Surface::Routed,
            1 => Surface::All,
            _ => Surface::Direct(UPSTREAMS[(client / 3) % 2]),
        }
    }

    fn url(self, base: &str) -> String {
        match self {
            Surface::Routed => format!("{base}/mcp"),
            Surface::All => format!("{base}/mcp/all"),
            Surface::Direct(name) => format!("{base}/mcp/server/{name}"),
        }
    }

    /// Tool name and arguments that echo `message` through upstream `server`.
    fn echo(self, server: &str, message: &str) -> (String, serde_json::Value) {
        let args = json!({"message": message});
        match self {
            Surface::Routed => (
                "call_tool_read".into(),
                json!({"name": format!("{server}:echo"), "args": args}),
            ),
            Surface::All => (format!("{server}__echo"), args),
            Surface::Direct(_) => ("echo".into(), args),
        }
    }
}

/// `VmRSS` of `pid` in KiB.
fn rss_kib(pid: i32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
}

/// One client's session: `calls` echo calls; returns the error messages it saw.
async fn client_run(base: String, index: usize, calls: usize) -> Vec<String> {
    let surface = Surface::of(index);
    let (client, _rx) = connect(&surface.url(&base)).await;
    let mut errors = Vec::new();
    for n in 0..calls {
        let server = match surface {
            Surface::Direct(name) => name,
            _ => UPSTREAMS[(index + n) % 2],
        };
        if matches!(surface, Surface::Routed) && n % 100 == 0 {
            // Routed clients discover the tool the way an AI client does.
            let found = call(
                &client,
                "retrieve_tools",
                json!({"query": "echo message", "limit": 10}),
            )
            .await;
            let key = format!("{server}:echo");
            if !json_of(&found)["tools"]
                .as_array()
                .is_some_and(|tools| tools.iter().any(|t| t["name"] == key.as_str()))
            {
                errors.push(format!("client {index}: retrieve_tools did not find {key}"));
            }
        }
        let message = format!("c{index}-n{n}");
        let (tool, args) = surface.echo(server, &message);
        let request = CallToolRequestParams::new(tool.clone()).with_arguments(obj(args));
        match client.peer().call_tool(request).await {
            Ok(result) if result.is_error != Some(true) && text(&result) == message => {}
            Ok(result) => errors.push(format!(
                "client {index} ({surface:?}) {tool}: wrong result {:?}",
                text(&result)
            )),
            Err(err) => errors.push(format!("client {index} ({surface:?}) {tool}: {err}")),
        }
    }
    client.cancel().await.ok();
    errors
}

/// Run `clients` × `calls` and check errors and RSS; prints the figures.
async fn load(clients: usize, calls: usize) {
    let http = HttpFixture::start("lh");
    let proxy = Proxy::start(
        json!([
            fixture_stdio("ls"),
            {"name": "lh", "protocol": "http", "url": http.url},
        ]),
        json!({}),
    );
    let (probe, _rx) = connect(&proxy.mcp_url()).await;
    for name in UPSTREAMS {
        wait_for_tool(&probe, "echo message", &format!("{name}:echo")).await;
    }
    probe.cancel().await.ok();

    let pid = proxy.pid();
    let samples = Arc::new(Mutex::new(Vec::<u64>::new()));
    let running = Arc::new(AtomicBool::new(true));
    let sampler = {
        let (samples, running) = (samples.clone(), running.clone());
        std::thread::spawn(move || {
            while running.load(Ordering::Relaxed) {
                if let Some(kib) = rss_kib(pid) {
                    samples.lock().unwrap().push(kib);
                }
                std::thread::sleep(SAMPLE_EVERY);
            }
        })
    };

    let started = Instant::now();
    let tasks: Vec<_> = (0..clients)
        .map(|i| tokio::spawn(client_run(proxy.base.clone(), i, calls)))
        .collect();
    let mut errors = Vec::new();
    for task in tasks {
        errors.extend(task.await.expect("client task panicked"));
    }
    let elapsed = started.elapsed();
    running.store(false, Ordering::Relaxed);
    sampler.join().unwrap();

    let total = clients * calls;
    let samples = samples.lock().unwrap().clone();
    assert!(
        samples.len() >= 8,
        "too few RSS samples ({}) to judge",
        samples.len()
    );
    let quarter = samples.len() / 4;
    let first_max = *samples[..quarter].iter().max().unwrap();
    let last_max = *samples[samples.len() - quarter..].iter().max().unwrap();
    let peak = *samples.iter().max().unwrap();
    println!(
        "reliability_load: {clients} clients x {calls} calls = {total} calls in {:.1} s \
         ({:.0} calls/s), {} errors; core RSS start {} MiB, first-quarter max {} MiB, \
         peak {} MiB, last-quarter max {} MiB, end {} MiB ({} samples)",
        elapsed.as_secs_f64(),
        total as f64 / elapsed.as_secs_f64(),
        errors.len(),
        samples[0] / 1024,
        first_max / 1024,
        peak / 1024,
        last_max / 1024,
        samples[samples.len() - 1] / 1024,
        samples.len()
    );
    assert!(
        errors.is_empty(),
        "{} of {total} calls failed; first: {:#?}",
        errors.len(),
        &errors[..errors.len().min(10)]
    );
    // Generous: allocator arenas and caches may settle upward, but a leak proportional to
    // the number of calls grows well past this over the run.
    let bound = first_max + first_max / 2 + 32 * 1024;
    assert!(
        last_max <= bound,
        "core RSS kept growing: last-quarter max {last_max} KiB > bound {bound} KiB \
         (first-quarter max {first_max} KiB)"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn sixteen_clients_across_every_surface_see_no_errors() {
    load(16, 100).await;
}

#[tokio::test(flavor = "multi_thread")]
#[ignore = "soak test (64 clients x 2,000 calls); run explicitly"]
async fn soak_64_clients_x_2000_calls_without_errors_or_memory_growth() {
    load(64, 2000).await;
}
