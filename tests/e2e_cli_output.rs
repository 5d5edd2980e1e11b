//! End-to-end: what the CLI and the core print when nobody is at a terminal — a pipe closed by
//! `head`, logs captured to a file — and the `activity export` flags (issue 19, traps 1, 4, 5).

mod common;

use common::*;
use serde_json::json;
use std::process::{Command, Stdio};

fn proxy_with_fixed_port() -> Proxy {
    let port = free_port();
    Proxy::start(json!([]), json!({"listen": format!("127.0.0.1:{port}")}))
}

fn cli(proxy: &Proxy, args: &[&str]) -> Command {
    let mut command = Command::new(proxy_bin());
    command
        .arg("--config")
        .arg(&proxy.config_path)
        .args(args)
        .env_remove("MCPPROXY_API_KEY")
        .env_remove("MCPPROXY_LISTEN");
    command
}

#[tokio::test(flavor = "multi_thread")]
async fn activity_export_writes_to_stdout_and_to_a_file() {
    let proxy = proxy_with_fixed_port();
    let out = cli(&proxy, &["activity", "export"]).output().unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "stderr: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let file = proxy.dir.path().join("export.jsonl");
    let out = cli(&proxy, &["activity", "export", "--file"])
        .arg(&file)
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "stderr: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(file.exists(), "export file not written");
    // The global format flag still works next to the command's own flags.
    let out = cli(
        &proxy,
        &["-o", "json", "activity", "export", "--format", "csv"],
    )
    .output()
    .unwrap();
    assert_eq!(out.status.code(), Some(0));
}

#[tokio::test(flavor = "multi_thread")]
async fn a_closed_stdout_ends_the_cli_quietly_instead_of_panicking() {
    let proxy = proxy_with_fixed_port();
    // The reading end is gone before the CLI writes: what `mcpproxy … | head` does once head
    // has read enough.
    let (reader, writer) = std::io::pipe().unwrap();
    drop(reader);
    let out = cli(&proxy, &["-o", "json", "status"])
        .stdout(Stdio::from(writer))
        .stderr(Stdio::piped())
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!stderr.contains("panicked"), "stderr: {stderr}");
    assert_ne!(out.status.code(), Some(101), "stderr: {stderr}");
}

#[tokio::test(flavor = "multi_thread")]
async fn logs_carry_no_colour_codes_when_stderr_is_not_a_terminal() {
    let mut proxy = proxy_with_fixed_port();
    proxy.terminate();
    let log = std::fs::read_to_string(&proxy.stderr_log).unwrap();
    assert!(log.contains("INFO"), "no log lines captured: {log}");
    assert!(
        !log.contains('\u{1b}'),
        "ANSI escape in captured log: {log:?}"
    );
}
