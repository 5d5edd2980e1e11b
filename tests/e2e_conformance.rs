//! The official MCP conformance suite (`@modelcontextprotocol/conformance`, pinned in
//! tests/conformance/package-lock.json, run with Node 22) against mcpproxy:
//!
//! * server mode, every scenario, through `/mcp/server/<fixture>` with the conformance
//!   fixture as a stdio upstream and as a Streamable HTTP upstream;
//! * server mode against `/mcp` for the scenarios about the proxy itself;
//! * client mode against the upstream client stack (example `client_conformance`);
//! * server mode against `@modelcontextprotocol/server-everything` directly and through
//!   `/mcp/server/<name>` (stdio and Streamable HTTP upstream): every check that passes
//!   directly must pass through the proxy, except those listed with their reason in
//!   docs/conformance.md.
//!
//! Failures are judged by the suite against tests/conformance/expected-failures.yml.
//! Each run's per-scenario results are saved under `<target>/tmp/conformance/`.
//! Node 22 and the suite are installed on first use by scripts/conformance-setup.sh.

mod common;
mod conformance_fixture;

use common::{everything_js, EverythingServer, Proxy};
use conformance_fixture::{conformance_stdio, example_bin, HttpConformance};
use serde_json::json;
use std::collections::BTreeSet;
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

/// The scenario of a results directory `server-<scenario>-<YYYY-MM-DDTHH-MM-SS-mmmZ>`.
fn scenario_of(dir: &str) -> String {
    let rest = dir.strip_prefix("server-").unwrap_or(dir);
    let bytes = rest.as_bytes();
    let stamp = (0..rest.len()).find(|&i| {
        let d = |j: usize| bytes.get(i + j).is_some_and(u8::is_ascii_digit);
        bytes[i] == b'-'
            && (1..=4).all(d)
            && bytes.get(i + 5) == Some(&b'-')
            && bytes.get(i + 11) == Some(&b'T')
    });
    rest[..stamp.unwrap_or(rest.len())].to_string()
}

/// A run's checks: `(scenario, check id)` → `None` when it passed, else its error message.
type Checks = std::collections::BTreeMap<(String, String), Option<String>>;

/// Every check of a run's saved results.
fn run_checks(out_dir: &Path) -> Checks {
    let mut all = Checks::new();
    for entry in std::fs::read_dir(out_dir).unwrap().flatten() {
        let checks = entry.path().join("checks.json");
        let Ok(text) = std::fs::read_to_string(&checks) else {
            continue;
        };
        // Directory: `server-<scenario>-<timestamp>`.
        let dir = entry.file_name().to_string_lossy().to_string();
        let scenario = scenario_of(&dir);
        let checks: Vec<serde_json::Value> = serde_json::from_str(&text).unwrap();
        for check in checks.iter().filter(|c| c["status"] != "INFO") {
            let key = (scenario.clone(), check["id"].as_str().unwrap().to_string());
            let outcome = (check["status"] != "SUCCESS").then(|| {
                check["errorMessage"]
                    .as_str()
                    .unwrap_or_default()
                    .to_string()
            });
            all.insert(key, outcome);
        }
    }
    all
}

/// The checks of `checks` that passed.
fn passed(checks: &Checks) -> BTreeSet<(String, String)> {
    checks
        .iter()
        .filter(|(_, outcome)| outcome.is_none())
        .map(|(key, _)| key.clone())
        .collect()
}

/// Every server scenario against `url`, judged by nobody: every check with its outcome.
async fn server_checks(run: &str, url: &str) -> Checks {
    let out_dir = results_dir(run);
    let _ = std::fs::remove_dir_all(&out_dir);
    std::fs::create_dir_all(&out_dir).unwrap();
    let started = std::time::Instant::now();
    let output = tokio::time::timeout(
        SUITE_TIMEOUT,
        tokio::process::Command::new(node())
            .arg(suite_js())
            .args(["server", "--url", url, "--suite", "all", "-o"])
            .arg(&out_dir)
            .env("NO_COLOR", "1")
            .kill_on_drop(true)
            .output(),
    )
    .await
    .unwrap_or_else(|_| panic!("conformance run `{run}` took longer than {SUITE_TIMEOUT:?}"))
    .expect("run the conformance suite");
    let text = format!(
        "{}\n{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    std::fs::write(out_dir.join("output.txt"), &text).unwrap();
    let checks = run_checks(&out_dir);
    eprintln!(
        "conformance `{run}`: {} of {} checks passed in {:.1}s",
        passed(&checks).len(),
        checks.len(),
        started.elapsed().as_secs_f64()
    );
    checks
}

/// One row of the differences docs/conformance.md allows.
struct Allowed {
    scenario: String,
    check: String,
    /// Text the check's failure message through the proxy contains.
    answer: String,
}

/// The rows of docs/conformance.md's table between the `everything-differences` markers:
/// `| scenario | check | answer through the proxy contains | why |`.
fn allowed_differences() -> Vec<Allowed> {
    let doc = std::fs::read_to_string(root().join("docs/conformance.md")).unwrap();
    let start = doc
        .find("<!-- everything-differences:start -->")
        .expect("docs/conformance.md has the everything-differences table");
    let end = doc.find("<!-- everything-differences:end -->").unwrap();
    let cell = |c: &str| c.trim().trim_matches('`').to_string();
    doc[start..end]
        .lines()
        .filter_map(|line| {
            let cells: Vec<&str> = line.trim().trim_matches('|').split('|').collect();
            let [scenario, check, answer, reason] = cells.as_slice() else {
                return None;
            };
            let scenario = cell(scenario);
            if scenario.is_empty() || scenario == "Scenario" || scenario.starts_with("---") {
                return None;
            }
            assert!(
                reason.trim().len() > 10 && !cell(answer).is_empty(),
                "docs/conformance.md lists {scenario} without the proxy's answer and a reason"
            );
            Some(Allowed {
                scenario,
                check: cell(check),
                answer: cell(answer),
            })
        })
        .collect()
}

/// Fails on checks that pass directly but not through the proxy unless allowed, on allowed
/// ones that pass again (stale), and on allowed ones whose answer is not the one documented.
fn judge(run: &str, direct: &Checks, proxied: &Checks) {
    let allowed = allowed_differences();
    let is_allowed = |key: &(String, String)| {
        allowed
            .iter()
            .any(|a| a.scenario == key.0 && a.check == key.1)
    };
    let proxied_passed = passed(proxied);
    let lost: Vec<_> = passed(direct)
        .into_iter()
        .filter(|key| !proxied_passed.contains(key) && !is_allowed(key))
        .collect();
    let mut wrong = Vec::new();
    for entry in &allowed {
        let key = (entry.scenario.clone(), entry.check.clone());
        match proxied.get(&key) {
            Some(Some(message)) if message.contains(&entry.answer) => {}
            outcome => wrong.push(format!(
                "{}/{}: documented answer `{}`, got {outcome:?}",
                entry.scenario, entry.check, entry.answer
            )),
        }
    }
    assert!(
        lost.is_empty() && wrong.is_empty(),
        "`{run}`: checks that pass against server-everything directly but not through \
         /mcp/server/NAME: {lost:?}; docs/conformance.md entries that do not match: {wrong:?} \
         (results under {})",
        results_dir(run).display()
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn everything_through_passthrough_passes_what_it_passes_directly() {
    let everything = EverythingServer::start("streamableHttp").await;
    let url = format!("http://127.0.0.1:{}/mcp", everything.port);
    let direct = server_checks("everything-direct", &url).await;
    assert!(
        passed(&direct).len() >= 10,
        "the direct run found too few passing checks: {direct:?}"
    );

    let stdio = Proxy::start(
        json!([{"name": "everything", "command": "node",
                "args": [everything_js().to_str().unwrap(), "stdio"]}]),
        json!({}),
    );
    let http = Proxy::start(
        json!([{"name": "everything", "url": url, "protocol": "streamable-http"}]),
        json!({}),
    );
    let stdio_url = format!("{}/mcp/server/everything", stdio.base);
    let http_url = format!("{}/mcp/server/everything", http.base);
    let (through_stdio, through_http) = tokio::join!(
        server_checks("everything-stdio", &stdio_url),
        server_checks("everything-http", &http_url),
    );
    judge("everything-stdio", &direct, &through_stdio);
    judge("everything-http", &direct, &through_http);
}
