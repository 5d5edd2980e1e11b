//! Windows runtime smoke test under wine (issue 18, docs/platforms.md).
//!
//! `scripts/wine-smoke.sh` cross-builds `mcpproxy.exe` and the fixture server for
//! x86_64-pc-windows-gnu, prepares a private wine prefix and runs this file with
//! `MCPPROXY_WINE_EXE` / `MCPPROXY_WINE_FIXTURE` set. The real Windows binaries run: `mcpproxy.exe
//! serve` with `fixture_server.exe` as a stdio upstream (a Windows child process in a Job
//! Object). Checked: the endpoint starts, REST answers, a fixture tool is called through
//! `/mcp/all` by an MCP client, disabling the server ends its process (graceful stop: stdin
//! closed, then the job terminated), the config is saved over the existing file (atomic
//! rename on Windows), and killing the core outright ends the fixture too (kill on job close).
//! Without `MCPPROXY_WINE_EXE` (a plain Linux `cargo test`) each test returns at once, saying so.

mod common;
mod rest_support;

use common::*;
use rest_support::*;
use serde_json::json;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

/// The wine loader and the Windows binaries under test.
struct Wine {
    loader: PathBuf,
    exe: PathBuf,
    fixture: PathBuf,
}

fn wine() -> Option<Wine> {
    let Some(exe) = std::env::var_os("MCPPROXY_WINE_EXE") else {
        eprintln!("MCPPROXY_WINE_EXE not set: run scripts/wine-smoke.sh for this test");
        return None;
    };
    let fixture = std::env::var_os("MCPPROXY_WINE_FIXTURE").expect("MCPPROXY_WINE_FIXTURE");
    let loader = std::env::var_os("WINE").unwrap_or_else(|| "/usr/lib/wine/wine64".into());
    Some(Wine {
        loader: loader.into(),
        exe: exe.into(),
        fixture: fixture.into(),
    })
}

/// The Windows spelling of a Linux path (wine maps `/` to drive `Z:`).
fn win_path(path: &Path) -> String {
    format!("Z:{}", path.display()).replace('/', "\\")
}

/// Linux pids of running (non-zombie) `fixture_server.exe` processes started with `--name name`.
fn fixture_pids(name: &str) -> Vec<i32> {
    let needle = format!("--name\0{name}");
    std::fs::read_dir("/proc")
        .unwrap()
        .flatten()
        .filter_map(|entry| entry.file_name().to_str()?.parse::<i32>().ok())
        .filter(|pid| {
            let cmdline = std::fs::read(format!("/proc/{pid}/cmdline")).unwrap_or_default();
            let cmdline = String::from_utf8_lossy(&cmdline);
            let running = std::fs::read_to_string(format!("/proc/{pid}/stat"))
                .ok()
                .and_then(|s| s.rsplit_once(')').map(|(_, r)| r.trim_start().to_string()))
                .is_some_and(|r| !r.starts_with('Z') && !r.starts_with('X'));
            running && cmdline.contains("fixture_server.exe") && cmdline.contains(&needle)
        })
        .collect()
}

/// `mcpproxy.exe serve` with the Windows fixture as stdio server `name`.
fn start(wine: &Wine, name: &str) -> Proxy {
    let dir = tempfile::tempdir().unwrap();
    let config = json!({
        "listen": "127.0.0.1:0",
        "api_key": KEY,
        "mcpServers": [{
            "name": name,
            "protocol": "stdio",
            "command": win_path(&wine.fixture),
            "args": ["stdio", "--name", name],
            "quarantined": false,
        }],
    });
    let config_path = dir.path().join("mcp_config.json");
    std::fs::write(&config_path, serde_json::to_string_pretty(&config).unwrap()).unwrap();
    let mut command = Command::new(&wine.loader);
    command
        .arg(&wine.exe)
        .args(["serve", "--config"])
        .arg(win_path(&config_path))
        .arg("--data-dir")
        .arg(win_path(dir.path()));
    Proxy::start_command(dir, config_path, command)
}

async fn wait_gone(what: &str, name: &str, within: Duration) {
    wait_for(what, within, || async {
        fixture_pids(name).is_empty().then_some(())
    })
    .await;
}

#[tokio::test]
async fn windows_core_serves_a_windows_stdio_upstream_and_stops_it() {
    let Some(wine) = wine() else { return };
    let proxy = start(&wine, "winfix");
    let api = Api::new(&proxy.base);
    let server = api.wait_ready("winfix").await;
    assert_eq!(server["status"], "ready", "{server}");
    assert_eq!(
        fixture_pids("winfix").len(),
        1,
        "one fixture process runs under wine"
    );

    // A real MCP client calls the fixture's tool through /mcp/all.
    let (client, _seen) = connect(&proxy.all_url()).await;
    let tools = client.list_all_tools().await.unwrap();
    assert!(
        tools.iter().any(|t| t.name == "winfix__echo"),
        "winfix__echo listed: {:?}",
        tools.iter().map(|t| &t.name).collect::<Vec<_>>()
    );
    let result = call(
        &client,
        "winfix__echo",
        json!({"message": "hello from wine"}),
    )
    .await;
    assert_eq!(text(&result), "hello from wine");

    // Disabling saves the config over the existing file and stops the server's process.
    let before = std::fs::read_to_string(&proxy.config_path).unwrap();
    let answer = api.post("/servers/winfix/disable", json!({})).await;
    assert_eq!(answer.status, 200, "{}", answer.text);
    let after = std::fs::read_to_string(&proxy.config_path).unwrap();
    assert_ne!(before, after, "the config file was rewritten");
    let saved: serde_json::Value = serde_json::from_str(&after).unwrap();
    assert_eq!(saved["mcpServers"][0]["enabled"], false, "{after}");
    wait_gone(
        "the disabled server's process to end",
        "winfix",
        Duration::from_secs(30),
    )
    .await;
    let leftovers: Vec<_> = std::fs::read_dir(proxy.config_path.parent().unwrap())
        .unwrap()
        .flatten()
        .map(|e| e.file_name().to_string_lossy().to_string())
        .filter(|n| n.contains(".tmp-"))
        .collect();
    assert!(leftovers.is_empty(), "temp files left: {leftovers:?}");
}

#[tokio::test]
async fn killing_the_windows_core_ends_its_upstreams_through_the_job_object() {
    let Some(wine) = wine() else { return };
    let mut proxy = start(&wine, "winkill");
    Api::new(&proxy.base).wait_ready("winkill").await;
    assert_eq!(fixture_pids("winkill").len(), 1);
    // No shutdown code runs: only the Job Object's kill-on-close can end the fixture.
    let mut core = proxy.child.take().unwrap();
    core.kill().unwrap();
    core.wait().unwrap();
    wait_gone(
        "the fixture to end with its killed core",
        "winkill",
        Duration::from_secs(30),
    )
    .await;
}
