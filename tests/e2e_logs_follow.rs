//! End-to-end: `mcpproxy upstream logs NAME --follow` against a live core streams lines the
//! upstream writes after it started, stops cleanly on SIGTERM and fails when the core goes.

mod common;

use common::*;
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
