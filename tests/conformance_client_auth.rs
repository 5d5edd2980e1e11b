//! The MCP conformance suite in client mode, `--suite auth`, against our upstream client stack
//! (example `conformance_client`). The suite runs real authorization servers and MCP servers on
//! loopback; every scenario of the suite (spec 2025-11-25) must pass.
//!
//! Needs Node 22 and the suite in tests/conformance (both installed by
//! `scripts/conformance-setup.sh`, which scripts/test.sh runs). Without them the test skips with
//! a message, except in CI (`CI=true`), where it fails.

use std::path::{Path, PathBuf};
use std::process::Command;

fn in_ci() -> bool {
    std::env::var("CI").is_ok_and(|v| !v.is_empty() && v != "false" && v != "0")
}

fn skip_or_fail(message: &str) {
    assert!(!in_ci(), "{message}");
    eprintln!("skipping conformance client suite: {message}");
}

fn node22() -> Result<PathBuf, String> {
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("scripts/conformance-setup.sh");
    let out = Command::new("bash")
        .arg(&script)
        .output()
        .map_err(|e| format!("cannot run {}: {e}", script.display()))?;
    if !out.status.success() {
        return Err(format!(
            "no Node 22 ({}): {}",
            script.display(),
            String::from_utf8_lossy(&out.stderr)
        ));
    }
    let stdout = String::from_utf8_lossy(&out.stdout);
    let node = stdout.lines().last().unwrap_or_default().trim();
    Ok(PathBuf::from(node))
}

fn conformance_client_bin() -> PathBuf {
    let target = PathBuf::from(env!("CARGO_BIN_EXE_mcpproxy"))
        .parent()
        .unwrap()
        .to_path_buf();
    let status = Command::new(env!("CARGO"))
        .args(["build", "--example", "conformance_client"])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .status()
        .expect("cargo build --example conformance_client");
    assert!(status.success(), "building the conformance client failed");
    target.join("examples").join("conformance_client")
}

/// (scenario, clean, passed, failed) from the suite summary lines
/// `✓ auth/x: 13 passed, 0 failed` (`✗` marks failures or warnings).
fn parse_summary(text: &str) -> Vec<(String, bool, u32, u32)> {
    text.lines()
        .filter_map(|line| {
            let line = line.trim();
            let (clean, rest) = match line.strip_prefix("✓ ") {
                Some(rest) => (true, rest),
                None => (false, line.strip_prefix("✗ ")?),
            };
            let (name, counts) = rest.split_once(": ")?;
            let mut numbers = counts
                .split(|c: char| !c.is_ascii_digit())
                .filter(|s| !s.is_empty())
                .map(|n| n.parse::<u32>().unwrap_or(0));
            Some((name.to_string(), clean, numbers.next()?, numbers.next()?))
        })
        .collect()
}

/// Everything our client wrote (the suite saves each scenario's stdout.txt/stderr.txt).
fn client_output(dir: &Path) -> String {
    let mut text = String::new();
    for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        let path = entry.path();
        if path.is_dir() {
            text.push_str(&client_output(&path));
        } else if matches!(
            path.file_name().and_then(|n| n.to_str()),
            Some("stdout.txt" | "stderr.txt")
        ) {
            text.push_str(&std::fs::read_to_string(&path).unwrap_or_default());
        }
    }
    text
}

/// Run the conformance suite's client side against our conformance client, for `selection`
/// (e.g. `["--suite", "auth"]`); returns the exit status, stdout + stderr and the results
/// directory, or `None` when the suite is not installed (skipped outside CI).
fn run_client_suite(
    selection: &[&str],
) -> Option<(std::process::ExitStatus, String, tempfile::TempDir)> {
    let package = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/conformance");
    let suite = package.join("node_modules/@modelcontextprotocol/conformance/dist/index.js");
    let node = match node22() {
        Ok(node) => node,
        Err(message) => {
            skip_or_fail(&message);
            return None;
        }
    };
    if !suite.exists() {
        skip_or_fail(&format!(
            "{} missing: run scripts/conformance-setup.sh",
            suite.display()
        ));
        return None;
    }
    let results = tempfile::tempdir().unwrap();
    let output = Command::new(&node)
        .arg(&suite)
        .arg("client")
        .args(selection)
        .args(["--timeout", "60000", "-o"])
        .arg(results.path())
        .arg("--command")
        .arg(conformance_client_bin())
        .current_dir(&package)
        .env("MCPPROXY_LOG", "warn")
        .output()
        .expect("run the conformance suite");
    let text = format!(
        "{}\n{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    Some((output.status, text, results))
}

#[test]
fn auth_suite_passes_every_scenario() {
    let Some((status, text, results)) = run_client_suite(&["--suite", "auth"]) else {
        return;
    };
    let summary = parse_summary(&text);
    for (name, clean, passed, failed) in &summary {
        eprintln!("{name}: {passed} passed, {failed} failed, clean: {clean}");
    }
    let expected = [
        "auth/metadata-default",
        "auth/metadata-var1",
        "auth/metadata-var2",
        "auth/metadata-var3",
        "auth/basic-cimd",
        "auth/scope-from-www-authenticate",
        "auth/scope-from-scopes-supported",
        "auth/scope-omitted-when-undefined",
        "auth/scope-step-up",
        "auth/scope-retry-limit",
        "auth/token-endpoint-auth-basic",
        "auth/token-endpoint-auth-post",
        "auth/token-endpoint-auth-none",
        "auth/pre-registration",
    ];
    let tail: String = text
        .lines()
        .rev()
        .take(60)
        .collect::<Vec<_>>()
        .into_iter()
        .rev()
        .collect::<Vec<_>>()
        .join("\n");
    for name in expected {
        let found = summary.iter().find(|(n, _, _, _)| n == name);
        assert!(
            matches!(found, Some((_, true, passed, 0)) if *passed > 0),
            "scenario {name} did not pass: {found:?}\n{tail}"
        );
    }
    assert!(status.success(), "suite exit status {status:?}\n{tail}");
    let ours = client_output(results.path());
    assert!(ours.contains("tools:"), "no client output saved:\n{tail}");
    assert!(
        !ours.contains("pre-registered-secret"),
        "a client secret reached our client's output"
    );
}

#[test]
fn summary_parser_reads_pass_and_fail_lines() {
    let parsed = parse_summary(
        "✓ auth/a: 13 passed, 0 failed\n✗ auth/b: 2 passed, 3 failed\n✗ auth/c: 5 passed, 0 failed, 1 warnings\nnoise",
    );
    assert_eq!(
        parsed,
        vec![
            ("auth/a".into(), true, 13, 0),
            ("auth/b".into(), false, 2, 3),
            ("auth/c".into(), false, 5, 0)
        ]
    );
}

/// `2025-03-26-oauth-metadata-backcompat` (not part of `--suite auth`): no protected-resource
/// metadata, and the authorization server metadata at the origin root names the issuer
/// `<origin>/oauth`. Accepted because issuer, endpoints and MCP server share one origin
/// (src/upstream/oauth/legacy.rs).
#[test]
fn metadata_backcompat_2025_03_26_scenario_passes() {
    let Some((status, text, _results)) =
        run_client_suite(&["--scenario", "auth/2025-03-26-oauth-metadata-backcompat"])
    else {
        return;
    };
    let tail: Vec<&str> = text.lines().rev().take(30).collect();
    assert!(
        status.success() && text.contains("OVERALL: PASSED") && text.contains(" 0 failed"),
        "scenario failed ({status:?}):\n{}",
        tail.into_iter().rev().collect::<Vec<_>>().join("\n")
    );
}
