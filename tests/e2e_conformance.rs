//! The official MCP conformance suite (`@modelcontextprotocol/conformance`, pinned in
//! tests/conformance/package-lock.json, run with Node 22) against mcpproxy:
//!
//! * server mode, every scenario, through `/mcp/server/<fixture>` with the conformance
//!   fixture as a stdio upstream and as a Streamable HTTP upstream;
//! * server mode against `/mcp` for the scenarios about the proxy itself;
//! * client mode against the upstream client stack (example `client_conformance`).
//!
//! Failures are judged by the suite against tests/conformance/expected-failures.yml.
//! Each run's per-scenario results are saved under `<target>/tmp/conformance/`.
//! Node 22 and the suite are installed on first use by scripts/conformance-setup.sh.

mod common;
mod conformance_fixture;

use common::Proxy;
use conformance_fixture::{conformance_stdio, example_bin, HttpConformance};
use serde_json::json;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::OnceLock;
use std::time::Duration;

/// Upper bound for one suite invocation.
const SUITE_TIMEOUT: Duration = Duration::from_secs(600);

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// Node 22, installing it and the suite first if needed.
fn node() -> &'static Path {
    static NODE: OnceLock<PathBuf> = OnceLock::new();
    NODE.get_or_init(|| {
        let output = Command::new("bash")
            .arg(root().join("scripts/conformance-setup.sh"))
            .stderr(Stdio::inherit())
            .output()
            .expect("run scripts/conformance-setup.sh");
        assert!(
            output.status.success(),
            "scripts/conformance-setup.sh failed (it installs Node 22 from PyPI and the suite from npm)"
        );
        let stdout = String::from_utf8_lossy(&output.stdout);
        let node = PathBuf::from(stdout.lines().last().unwrap_or_default().trim());
        assert!(node.exists(), "setup printed no Node path: {stdout}");
        node
    })
}

fn suite_js() -> PathBuf {
    root().join("tests/conformance/node_modules/@modelcontextprotocol/conformance/dist/index.js")
}

fn baseline() -> PathBuf {
    root().join("tests/conformance/expected-failures.yml")
}

fn results_dir(run: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_TARGET_TMPDIR"))
        .join("conformance")
        .join(run)
}

/// Run the suite with `args`; panics with its output unless it passes.
async fn run_suite(run: &str, args: &[&str]) {
    let out_dir = results_dir(run);
    let _ = std::fs::remove_dir_all(&out_dir);
    std::fs::create_dir_all(&out_dir).unwrap();
    let mut command = tokio::process::Command::new(node());
    command
        .arg(suite_js())
        .args(args)
        .arg("--expected-failures")
        .arg(baseline())
        .arg("-o")
        .arg(&out_dir)
        .env("NO_COLOR", "1")
        .kill_on_drop(true);
    let output = tokio::time::timeout(SUITE_TIMEOUT, command.output())
        .await
        .unwrap_or_else(|_| panic!("conformance run `{run}` took longer than {SUITE_TIMEOUT:?}"))
        .expect("run the conformance suite");
    let text = format!(
        "{}\n{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    std::fs::write(out_dir.join("output.txt"), &text).unwrap();
    assert!(
        output.status.success(),
        "conformance run `{run}` has unexpected failures (results in {}):\n{text}",
        out_dir.display()
    );
    let summary: Vec<&str> = text
        .lines()
        .filter(|l| l.contains("passed") || l.contains("Baseline"))
        .collect();
    eprintln!("conformance `{run}`:\n{}", summary.join("\n"));
}

async fn server_suite_through_passthrough(run: &str, upstream: serde_json::Value) {
    let proxy = Proxy::start(json!([upstream]), json!({}));
    let url = format!("{}/mcp/server/conformance", proxy.base);
    run_suite(run, &["server", "--url", &url, "--suite", "all"]).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn server_suite_passes_through_passthrough_with_stdio_upstream() {
    server_suite_through_passthrough("server-stdio", conformance_stdio("conformance")).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn server_suite_passes_through_passthrough_with_http_upstream() {
    let upstream = HttpConformance::start();
    server_suite_through_passthrough("server-http", upstream.config("conformance")).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn proxy_endpoint_passes_its_scenarios() {
    let proxy = Proxy::start(json!([conformance_stdio("conformance")]), json!({}));
    let url = proxy.mcp_url();
    for scenario in [
        "server-initialize",
        "ping",
        "tools-list",
        "dns-rebinding-protection",
    ] {
        run_suite(
            &format!("mcp-{scenario}"),
            &["server", "--url", &url, "--scenario", scenario],
        )
        .await;
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn upstream_client_passes_client_scenarios() {
    let client = example_bin("client_conformance");
    let client = client.to_str().unwrap();
    for scenario in ["initialize", "tools_call", "sse-retry"] {
        run_suite(
            &format!("client-{scenario}"),
            &["client", "--command", client, "--scenario", scenario],
        )
        .await;
    }
}
