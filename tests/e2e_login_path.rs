//! stdio commands found through the login shell's `PATH` (issue 18: a macOS tray app started
//! from Finder gets a bare `PATH`, so `npx`/`uvx` are "not found"; the core asks `$SHELL -l -c`
//! once at start). Linux stand-in for macOS: a fake login shell as `SHELL` whose login run adds
//! a directory holding the server's command; `MCPPROXY_LOGIN_SHELL_PATH=1` turns on what macOS
//! does by itself when not started from a terminal. The real binary, the real fixture server.

mod common;
mod rest_support;

use common::*;
use rest_support::*;
use serde_json::json;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// A temp dir with `bin/login-only-fixture` (the fixture server under a name no `PATH` has)
/// and `login-shell`, a fake login shell that runs `-c SCRIPT` after `body`.
fn setup(body: &str) -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let bin = dir.path().join("bin");
    std::fs::create_dir(&bin).unwrap();
    std::os::unix::fs::symlink(fixture_bin(), bin.join("login-only-fixture")).unwrap();
    let shell = dir.path().join("login-shell");
    std::fs::write(
        &shell,
        format!("#!/bin/sh\n[ \"$1\" = -l ] && [ \"$2\" = -c ] || exit 64\n{body}\neval \"$3\"\n",)
            .replace("BIN", &bin.display().to_string()),
    )
    .unwrap();
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&shell, std::fs::Permissions::from_mode(0o755)).unwrap();
    (dir, shell)
}

/// The proxy with one stdio server whose command is `login-only-fixture`.
fn start(shell: &Path, switch: &str) -> Proxy {
    let dir = tempfile::tempdir().unwrap();
    let config = json!({
        "listen": "127.0.0.1:0",
        "api_key": KEY,
        "mcpServers": [{
            "name": "lp",
            "protocol": "stdio",
            "command": "login-only-fixture",
            "args": ["stdio", "--name", "lp"],
            "quarantined": false,
        }],
    });
    let path = dir.path().join("mcp_config.json");
    std::fs::write(&path, config.to_string()).unwrap();
    let shell = shell.display().to_string();
    Proxy::start_with_config_env(
        dir,
        path,
        &[("SHELL", &shell), ("MCPPROXY_LOGIN_SHELL_PATH", switch)],
    )
}

async fn wait_not_found(api: &Api) -> String {
    wait_for("the command-not-found error", READY, || async {
        let server = api.server("lp").await;
        let error = server["last_error"]
            .as_str()
            .unwrap_or_default()
            .to_string();
        error.contains("not found in PATH").then_some(error)
    })
    .await
}

#[tokio::test]
async fn a_command_only_the_login_shell_path_has_is_found() {
    // A chatty rc file (banner on stdout) must not spoil the answer.
    let (_bin, shell) =
        setup("echo 'Welcome to your login shell'\nPATH=\"BIN:$PATH\"; export PATH");
    let proxy = start(&shell, "1");
    let api = Api::new(&proxy.base);
    api.wait_ready("lp").await;
    assert_eq!(
        api.call_text("lp:echo", json!({"message": "via login PATH"}))
            .await,
        "via login PATH"
    );
}

#[tokio::test]
async fn without_the_login_shell_lookup_the_command_is_not_found() {
    let (_bin, shell) = setup("PATH=\"BIN:$PATH\"; export PATH");
    let proxy = start(&shell, "0");
    let error = wait_not_found(&Api::new(&proxy.base)).await;
    assert!(error.contains("login-only-fixture"), "{error}");
}

#[tokio::test]
async fn a_login_shell_that_hangs_delays_the_start_by_the_timeout_only() {
    let (_bin, shell) = setup("sleep 60\nPATH=\"BIN:$PATH\"; export PATH");
    let started = Instant::now();
    let proxy = start(&shell, "1");
    let took = started.elapsed();
    assert!(
        took < Duration::from_secs(15),
        "start took {took:?} (bound: 5 s timeout)"
    );
    wait_not_found(&Api::new(&proxy.base)).await;
    let log = std::fs::read_to_string(&proxy.stderr_log).unwrap_or_default();
    assert!(log.contains("login shell"), "the fallback is logged: {log}");
}
