//! Reliability: crash safety of config writes. The real `mcpproxy serve` takes a burst of
//! concurrent REST merge-patches and is SIGKILLed at a random point while they run; the
//! config file must still load with our own loader and hold every PATCH that was answered
//! 200. The next round restarts the core on the same data directory (recovery after a
//! crash: leftover temp files are swept, the store reopens).
//!
//! Replay a failure with the seed it printed:
//! `MCPPROXY_CRASH_SEED=<seed> cargo test --test reliability_crash -- --include-ignored --nocapture`.

mod common;
mod rest_support;

use common::*;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use rest_support::{Api, KEY};
use serde_json::{json, Value};
use std::path::Path;
use std::process::Command;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// Concurrent PATCH requests per round.
const BURST: usize = 50;
/// Bound on one round's requests after the kill (they fail fast once the socket closes).
const ROUND_TIMEOUT: Duration = Duration::from_secs(60);

/// Servers the patches spread over: (name, map field the patch writes).
const TARGETS: &[(&str, &str)] = &[("h1", "headers"), ("h2", "headers"), ("s1", "env")];

/// One PATCH answered 200: this key must be in the file.
#[derive(Debug, Clone)]
struct Acked {
    server: &'static str,
    field: &'static str,
    key: String,
    value: String,
}

/// Figures of a run.
#[derive(Debug, Default)]
struct Tally {
    rounds: usize,
    acked: usize,
    written_unacked: usize,
    lost_in_flight: usize,
}

fn base_config(fixture_url: &str) -> Value {
    let mut stdio = fixture_stdio("s1");
    stdio["enabled"] = json!(false); // patched only: no process per round
    stdio["quarantined"] = json!(false);
    json!({
        "listen": "127.0.0.1:0",
        "api_key": KEY,
        "mcpServers": [
            {"name": "h1", "protocol": "http", "url": fixture_url, "quarantined": false},
            {"name": "h2", "protocol": "http", "url": fixture_url, "quarantined": false},
            stdio,
        ],
    })
}

fn seed() -> u64 {
    std::env::var("MCPPROXY_CRASH_SEED")
        .ok()
        .map(|s| s.parse().expect("MCPPROXY_CRASH_SEED must be a u64"))
        .unwrap_or_else(rand::random)
}

/// Temp files an interrupted save left next to the config.
fn temp_files(dir: &Path) -> Vec<String> {
    std::fs::read_dir(dir)
        .unwrap()
        .flatten()
        .map(|e| e.file_name().to_string_lossy().to_string())
        .filter(|n| n.starts_with(".mcp_config.json.tmp-"))
        .collect()
}

/// Start the core on the shared config and data directory (a fresh dir for its log).
fn start_core(root: &Path) -> Proxy {
    let config_path = root.join("mcp_config.json");
    let mut command = Command::new(proxy_bin());
    command
        .args(["serve", "--config"])
        .arg(&config_path)
        .arg("--data-dir")
        .arg(root)
        .env("MCPPROXY_LOG", "warn,rmcp=error,tantivy=warn");
    Proxy::start_command(tempfile::tempdir().unwrap(), config_path, command)
}

/// One round: start, clear the maps, fire the burst, SIGKILL after `kill_after` acks plus
/// `extra` delay, then check the file.
async fn round(root: &Path, round: usize, rng: &mut StdRng, tally: &mut Tally) {
    let mut proxy = start_core(root);
    let leftovers = temp_files(root);
    assert!(
        leftovers.is_empty(),
        "round {round}: temp files of a crashed save survived the restart: {leftovers:?}"
    );
    let api = Api::new(&proxy.base);
    for (server, field) in TARGETS {
        let answer = api
            .patch(&format!("/servers/{server}"), json!({ *field: null }))
            .await;
        assert_eq!(
            answer.status, 200,
            "round {round}: clear {server}: {}",
            answer.text
        );
    }

    let kill_after = rng.random_range(0..BURST);
    let extra = Duration::from_micros(rng.random_range(0..3000));
    let plan: Vec<(usize, usize)> = (0..BURST)
        .map(|i| (i, rng.random_range(0..TARGETS.len())))
        .collect();
    let acked = Arc::new(Mutex::new(Vec::<Acked>::new()));
    let refused = Arc::new(Mutex::new(Vec::<String>::new()));
    // (answered 200, finished either way)
    let (count_tx, mut count_rx) = tokio::sync::watch::channel((0usize, 0usize));
    let count_tx = Arc::new(count_tx);
    let tasks: Vec<_> = plan
        .into_iter()
        .map(|(i, target)| {
            let (server, field) = TARGETS[target];
            let key = format!("K_{round}_{i}");
            let value = format!("v_{round}_{i}");
            let url = format!("{}/api/v1/servers/{server}", api.base);
            let http = api.http.clone();
            let (acked, refused, count_tx) = (acked.clone(), refused.clone(), count_tx.clone());
            tokio::spawn(async move {
                let sent = http
                    .patch(url)
                    .header("X-API-Key", KEY)
                    .json(&json!({ field: { &key: &value } }))
                    .send()
                    .await;
                let answer = match sent {
                    // The ack is the whole answer: a status line alone is not a confirmation.
                    Ok(response) => {
                        let status = response.status().as_u16();
                        response.text().await.ok().map(|body| (status, body))
                    }
                    Err(_) => None,
                };
                let Some((status, body)) = answer else {
                    count_tx.send_modify(|(_, done)| *done += 1);
                    return false;
                };
                if status == 200 {
                    acked.lock().unwrap().push(Acked {
                        server,
                        field,
                        key,
                        value,
                    });
                    count_tx.send_modify(|(ok, done)| (*ok, *done) = (*ok + 1, *done + 1));
                } else {
                    refused.lock().unwrap().push(format!("{status} {body}"));
                    count_tx.send_modify(|(_, done)| *done += 1);
                }
                true
            })
        })
        .collect();

    // Kill at the chosen point (or when the burst ends first).
    let reached = count_rx.wait_for(|(ok, done)| *ok >= kill_after || *done == BURST);
    tokio::time::timeout(ROUND_TIMEOUT, reached)
        .await
        .expect("the burst neither reached the kill point nor finished")
        .unwrap();
    tokio::time::sleep(extra).await;
    let mut child = proxy.child.take().unwrap();
    child.kill().unwrap(); // SIGKILL
    child.wait().unwrap();

    let mut answered = 0;
    for task in tasks {
        if tokio::time::timeout(ROUND_TIMEOUT, task)
            .await
            .expect("a PATCH hung after the core died")
            .unwrap()
        {
            answered += 1;
        }
    }
    let refused = refused.lock().unwrap().clone();
    assert!(
        refused.is_empty(),
        "round {round}: the core refused PATCHes before it was killed: {refused:?}"
    );

    let config = mcpproxy::config::load_file(&proxy.config_path).unwrap_or_else(|err| {
        panic!("round {round}: the config no longer loads after SIGKILL: {err}")
    });
    let acked = acked.lock().unwrap().clone();
    for ack in &acked {
        let server = config
            .mcp_servers
            .iter()
            .find(|s| s.name == ack.server)
            .unwrap_or_else(|| panic!("round {round}: server {} vanished", ack.server));
        let map = if ack.field == "headers" {
            &server.headers
        } else {
            &server.env
        };
        assert_eq!(
            map.get(&ack.key),
            Some(&ack.value),
            "round {round}: PATCH {}.{}.{} was answered 200 but is not in the file",
            ack.server,
            ack.field,
            ack.key
        );
    }
    let written: usize = config
        .mcp_servers
        .iter()
        .flat_map(|s| s.headers.keys().chain(s.env.keys()))
        .filter(|k| k.starts_with(&format!("K_{round}_")))
        .count();
    assert!(written >= acked.len());
    tally.rounds += 1;
    tally.acked += acked.len();
    tally.written_unacked += written - acked.len();
    tally.lost_in_flight += BURST - answered;
}

async fn run(rounds: usize) -> Tally {
    let seed = seed();
    println!("reliability_crash: seed {seed} (replay with MCPPROXY_CRASH_SEED={seed})");
    let mut rng = StdRng::seed_from_u64(seed);
    let fixture = HttpFixture::start("crash");
    let root = tempfile::tempdir().unwrap();
    std::fs::write(
        root.path().join("mcp_config.json"),
        serde_json::to_string_pretty(&base_config(&fixture.url)).unwrap(),
    )
    .unwrap();
    let started = Instant::now();
    let mut tally = Tally::default();
    for n in 0..rounds {
        round(root.path(), n, &mut rng, &mut tally).await;
    }
    println!(
        "reliability_crash: seed {seed}: {} rounds, {} PATCHes answered 200 (all on disk), \
         {} written but unanswered, {} cut off by the kill, {:.1} s",
        tally.rounds,
        tally.acked,
        tally.written_unacked,
        tally.lost_in_flight,
        started.elapsed().as_secs_f64()
    );
    tally
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigkill_during_concurrent_patches_keeps_every_acknowledged_write() {
    let tally = run(10).await;
    assert_eq!(tally.rounds, 10);
    assert!(
        tally.acked > 0,
        "no PATCH was acknowledged in 10 rounds: the test checked nothing"
    );
}

/// Soak: `cargo test --test reliability_crash -- --ignored --nocapture`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "soak test (200 rounds, a few minutes); run explicitly"]
async fn soak_200_rounds_of_sigkill_during_concurrent_patches() {
    let tally = run(200).await;
    assert_eq!(tally.rounds, 200);
    assert!(tally.acked > 0);
}
