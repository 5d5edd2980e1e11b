//! End-to-end: `mcpproxy upstream logs NAME --follow` against a live core streams lines the
//! upstream writes after it started, stops cleanly on SIGTERM and fails when the core goes.

mod common;
mod rest_support;

use common::*;
use futures::StreamExt;
use rest_support::{Api, KEY};
use serde_json::json;
use std::io::{BufRead, BufReader, Read};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

const WAIT: Duration = Duration::from_secs(60);

/// A running follower: its stdout lines arrive on `lines`.
struct Follower {
    child: Child,
    lines: mpsc::Receiver<String>,
}

impl Follower {
    fn start(config: &std::path::Path, name: &str) -> Self {
        let mut child = Command::new(proxy_bin())
            .arg("--config")
            .arg(config)
            .args(["upstream", "logs", name, "--follow", "--tail", "5"])
            .env_remove("MCPPROXY_API_KEY")
            .env_remove("MCPPROXY_LISTEN")
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn mcpproxy upstream logs --follow");
        let stdout = child.stdout.take().unwrap();
        let (tx, lines) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        Self { child, lines }
    }

    /// The first line containing `needle` (bounded by `WAIT`).
    fn wait_line(&self, needle: &str) -> String {
        let deadline = std::time::Instant::now() + WAIT;
        loop {
            let left = deadline.saturating_duration_since(std::time::Instant::now());
            match self.lines.recv_timeout(left) {
                Ok(line) if line.contains(needle) => return line,
                Ok(_) => {}
                Err(err) => panic!("no line with {needle:?} from the follower: {err}"),
            }
        }
    }

    /// Exit code and stderr once it ended (bounded by `WAIT`).
    fn wait_exit(mut self) -> (Option<i32>, String) {
        let deadline = std::time::Instant::now() + WAIT;
        let status = loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                break status;
            }
            assert!(
                std::time::Instant::now() < deadline,
                "the follower did not exit"
            );
            std::thread::sleep(Duration::from_millis(50));
        };
        let mut stderr = String::new();
        self.child
            .stderr
            .take()
            .unwrap()
            .read_to_string(&mut stderr)
            .unwrap();
        (status.code(), stderr)
    }

    fn signal(&self, signal: nix::sys::signal::Signal) {
        nix::sys::signal::kill(nix::unistd::Pid::from_raw(self.child.id() as i32), signal).unwrap();
    }
}

fn call_sleep(config: &std::path::Path, server: &str, ms: u64) -> bool {
    let out = Command::new(proxy_bin())
        .arg("--config")
        .arg(config)
        .args(["tools", "call", &format!("{server}:sleep"), "--args"])
        .arg(json!({ "ms": ms }).to_string())
        .env_remove("MCPPROXY_API_KEY")
        .env_remove("MCPPROXY_LISTEN")
        .output()
        .unwrap();
    out.status.success()
}

#[tokio::test(flavor = "multi_thread")]
async fn follow_streams_new_lines_until_terminated_or_the_core_goes() {
    let port = free_port();
    let mut proxy = Proxy::start(
        json!([fixture_stdio("lf")]),
        json!({"listen": format!("127.0.0.1:{port}")}),
    );
    let cfg = proxy.config_path.clone();
    proxy
        .wait_for_server_log("lf", "fixture_server lf starting")
        .await;

    // The tail comes first; a line written after it is streamed without polling.
    let follower = Follower::start(&cfg, "lf");
    follower.wait_line("fixture_server lf starting");
    // Bounded retry: the tool may not be in the catalog yet right after the server started.
    wait_for("lf:sleep to answer", WAIT, || async {
        call_sleep(&cfg, "lf", 7).then_some(())
    })
    .await;
    let line = follower.wait_line("sleep started (7 ms)");
    assert!(
        line.contains("[stderr] fixture_server lf: sleep started"),
        "{line}"
    );
    follower.signal(nix::sys::signal::Signal::SIGTERM);
    let (code, stderr) = follower.wait_exit();
    assert_eq!(code, Some(0), "SIGTERM ends a follow cleanly: {stderr}");

    // When the core stops, the follower says so and fails.
    let follower = Follower::start(&cfg, "lf");
    follower.wait_line("sleep started (7 ms)");
    proxy.terminate();
    let (code, stderr) = follower.wait_exit();
    assert_eq!(code, Some(3), "{stderr}");
    assert!(stderr.contains("ended the log stream"), "{stderr}");

    // An unknown server is refused with the core's message.
    let mut proxy = Proxy::start(json!([]), json!({"listen": format!("127.0.0.1:{port}")}));
    let cfg = proxy.config_path.clone();
    let follower = Follower::start(&cfg, "nope");
    let (code, stderr) = follower.wait_exit();
    assert_eq!(code, Some(1), "{stderr}");
    assert!(stderr.contains("nope"), "{stderr}");
    proxy.terminate();
}

/// Resident memory of `pid` in KiB (Linux `/proc`).
fn rss_kib(pid: i32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .expect("VmRSS in /proc/PID/status")
}

#[tokio::test(flavor = "multi_thread")]
async fn a_stderr_flood_never_waits_for_a_stalled_log_reader() {
    const FLOOD: usize = 400_000;
    let script = format!(
        "yes flood-line-0123456789abcdef | head -n {FLOOD} >&2; exec '{}' stdio --name fl",
        fixture_bin().display()
    );
    let proxy = Proxy::start(
        json!([{"name": "fl", "protocol": "stdio", "command": "sh", "args": ["-c", script], "enabled": false}]),
        json!({}),
    );
    let api = Api::new(&proxy.base);
    // A reader that subscribes and then does not read while the server floods its stderr.
    let stalled = reqwest::Client::new()
        .get(format!(
            "{}/api/v1/servers/fl/logs/stream?tail=0&apikey={KEY}",
            proxy.base
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(stalled.status(), 200);
    let before = rss_kib(proxy.pid());
    assert_eq!(api.post("/servers/fl/enable", json!({})).await.status, 200);
    // The server gets past its flood and up although nobody reads the stream.
    api.wait_ready("fl").await;
    let log = proxy.server_log("fl");
    wait_for("the whole flood in the log file", WAIT, || async {
        let text = std::fs::read_to_string(&log).unwrap_or_default();
        (text.matches("flood-line").count() == FLOOD).then_some(())
    })
    .await;
    let after = rss_kib(proxy.pid());
    assert!(
        after < before + 48 * 1024,
        "memory grew from {before} KiB to {after} KiB during the flood"
    );
    // The stalled reader learns that it missed lines instead of getting all of them.
    let mut events = sse_stream::SseStream::from_bytes_stream(stalled.bytes_stream());
    let (mut lines, mut dropped) = (0usize, 0u64);
    while dropped == 0 {
        let item = tokio::time::timeout(WAIT, events.next())
            .await
            .expect("an event in time")
            .expect("the stream is open")
            .unwrap();
        let data: serde_json::Value =
            serde_json::from_str(item.data.as_deref().unwrap_or("null")).unwrap();
        match item.event.as_deref() {
            Some("server.log") => {
                assert_eq!(data["server"], "fl");
                lines += 1;
            }
            Some("server.log.dropped") => dropped = data["dropped"].as_u64().unwrap(),
            _ => {}
        }
        assert!(lines <= FLOOD, "more lines than were written");
    }
    eprintln!("flood of {FLOOD} lines: core RSS {before} -> {after} KiB; the stalled reader got {lines} lines, then dropped={dropped}");
    assert!(
        dropped > 0 && lines < FLOOD,
        "lines {lines}, dropped {dropped}"
    );
}
