//! End to end through `mcpproxy serve`: an OAuth-protected Streamable HTTP upstream
//! (tests/npm/oauth_fixture.mjs: the TypeScript SDK's authorization-server router with
//! 4-second access tokens). The proxy meets the 401, discovers the authorization server,
//! registers itself, logs in through the "browser" (`BROWSER` = curl following the redirects
//! to our loopback callback), calls a tool, refreshes the token silently before it expires,
//! and ends in `login_required` once the refresh token is revoked.
//!
//! Tokens go to the real OS keyring (Secret Service): scripts/test.sh runs the tests inside a
//! dbus session with gnome-keyring. Without a reachable keyring the test skips with a message,
//! except in CI (`CI=true`), where it fails.

mod common;

use common::{call, connect, json_of, text, wait_for, Proxy};
use mcpproxy::secrets::keyring::Keyring;
use mcpproxy::upstream::oauth::store::{self, SecretBackend};
use serde_json::{json, Value};
use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

fn in_ci() -> bool {
    std::env::var("CI").is_ok_and(|v| !v.is_empty() && v != "false" && v != "0")
}

/// The OAuth fixture server; killed on drop.
struct Fixture {
    child: Child,
    base: String,
}

impl Fixture {
    /// Start it with extra environment (e.g. `AUTH_METHODS`).
    fn start_with(ttl_secs: u32, envs: &[(&str, &str)]) -> Self {
        let script = common::npm_dir().join("oauth_fixture.mjs");
        let mut child = Command::new("node")
            .arg(&script)
            .current_dir(common::npm_dir())
            .envs(envs.iter().copied())
            .env("PORT", "0")
            .env("TOKEN_TTL", ttl_secs.to_string())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("start node oauth_fixture.mjs (run npm ci in tests/npm)");
        let stdout = child.stdout.take().unwrap();
        let mut lines = BufReader::new(stdout).lines();
        let base = loop {
            let line = lines
                .next()
                .expect("fixture exited before READY")
                .expect("read fixture stdout");
            if let Some(base) = line.strip_prefix("READY ") {
                break base.trim().to_string();
            }
        };
        std::thread::spawn(move || for _ in lines.by_ref() {});
        Self { child, base }
    }

    async fn stats(&self) -> Value {
        reqwest::get(format!("{}/admin/stats", self.base))
            .await
            .unwrap()
            .json()
            .await
            .unwrap()
    }
}

impl Drop for Fixture {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A `BROWSER` program that loads the authorization URL and follows its redirects. Written
/// once per test process (the tests share it through the inherited environment).
fn curl_browser() -> std::path::PathBuf {
    static PATH: std::sync::OnceLock<std::path::PathBuf> = std::sync::OnceLock::new();
    PATH.get_or_init(|| {
        let dir = tempfile::tempdir().unwrap().keep();
        let path = dir.join("browser.sh");
        std::fs::write(
            &path,
            "#!/bin/sh\nexec curl -s -L --max-redirs 5 -o /dev/null \"$1\"\n",
        )
        .unwrap();
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).unwrap();
        }
        std::env::set_var("BROWSER", &path);
        std::env::remove_var("NO_BROWSER");
        path
    })
    .clone()
}

async fn server_entry(client: &common::Client, name: &str) -> Value {
    let result = call(client, "upstream_servers", json!({"operation": "list"})).await;
    json_of(&result)["servers"]
        .as_array()
        .and_then(|s| s.iter().find(|s| s["name"] == name).cloned())
        .unwrap_or(Value::Null)
}

fn files_containing(dir: &std::path::Path, needle: &str) -> Vec<String> {
    let mut found = Vec::new();
    for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        let path = entry.path();
        if path.is_dir() {
            found.extend(files_containing(&path, needle));
        } else if std::fs::read(&path)
            .map(|b| String::from_utf8_lossy(&b).contains(needle))
            .unwrap_or(false)
        {
            found.push(path.display().to_string());
        }
    }
    found
}

/// Run `mcpproxy auth ARGS` against `proxy` (`--url`), with the config's API key unless
/// `api_key` overrides it; returns the exit code, stdout and stderr.
async fn auth_cli(
    proxy: &Proxy,
    args: &[&str],
    api_key: Option<&str>,
) -> (Option<i32>, String, String) {
    let mut command = tokio::process::Command::new(common::proxy_bin());
    command
        .arg("--config")
        .arg(&proxy.config_path)
        .args(["auth", "--url", proxy.base.as_str()])
        .args(args)
        .env_remove("MCPPROXY_LISTEN");
    match api_key {
        Some(key) => command.env("MCPPROXY_API_KEY", key),
        None => command.env_remove("MCPPROXY_API_KEY"),
    };
    let out = command.output().await.unwrap();
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// A proxy with one OAuth-protected fixture server that has completed its automatic login
/// (the 401 starts it; `BROWSER` is the curl "browser") and answered a first call.
struct LoggedIn {
    fixture: Fixture,
    proxy: Proxy,
    /// A client of `/mcp/all`.
    all: common::Client,
    name: String,
    /// `<name>__whoami`.
    tool: String,
}

/// [`LoggedIn`] with tokens living `ttl_secs`, the server named `<prefix>-<random>` reached
/// over `protocol` ("http" or "sse"); `None` (test skipped) without a Secret Service outside CI.
async fn logged_in(ttl_secs: u32, prefix: &str, protocol: &str) -> Option<LoggedIn> {
    logged_in_with(ttl_secs, prefix, protocol, &[]).await
}

/// [`logged_in`] with extra environment for the fixture.
async fn logged_in_with(
    ttl_secs: u32,
    prefix: &str,
    protocol: &str,
    fixture_env: &[(&str, &str)],
) -> Option<LoggedIn> {
    if let Err(err) = Keyring::probe() {
        assert!(!in_ci(), "CI must provide a Secret Service: {err}");
        eprintln!("skipping OAuth end-to-end test: {err}");
        return None;
    }
    let fixture = Fixture::start_with(ttl_secs, fixture_env);
    // The proxy (a child process) inherits BROWSER and runs it to "open" the login page.
    curl_browser();
    let name = format!(
        "{prefix}-{}",
        &uuid::Uuid::new_v4().simple().to_string()[..8]
    );
    let path = if protocol == "sse" { "sse" } else { "mcp" };
    let proxy = Proxy::start(
        json!([{"name": name, "url": format!("{}/{path}", fixture.base), "protocol": protocol}]),
        json!({}),
    );
    let (all, _) = connect(&proxy.all_url()).await;
    let tool = format!("{name}__whoami");
    wait_for(
        "the OAuth login and tool listing",
        Duration::from_secs(60),
        || async {
            let tools = all.peer().list_all_tools().await.ok()?;
            tools.iter().any(|t| t.name == tool.as_str()).then_some(())
        },
    )
    .await;
    let first = call(&all, &tool, json!({})).await;
    assert_ne!(first.is_error, Some(true), "{first:?}");
    assert!(text(&first).starts_with("authorized client "), "{first:?}");
    Some(LoggedIn {
        fixture,
        proxy,
        all,
        name,
        tool,
    })
}

/// `mcpproxy auth login --server NAME` must succeed; returns its stdout.
async fn auth_login(proxy: &Proxy, name: &str) -> String {
    let (code, stdout, stderr) = auth_cli(
        proxy,
        &["login", "--server", name, "--timeout", "60s"],
        None,
    )
    .await;
    assert_eq!(code, Some(0), "auth login: {stdout}{stderr}");
    stdout
}

#[tokio::test(flavor = "multi_thread")]
async fn login_call_silent_refresh_then_login_required_after_revocation() {
    let Some(LoggedIn {
        fixture,
        proxy,
        all,
        name,
        tool,
    }) = logged_in(4, "secure", "http").await
    else {
        return;
    };
    // 1. The 401 started the login automatically; the tool is callable.
    let stats = fixture.stats().await;
    assert_eq!(stats["registrations"], 1, "{stats}");
    assert_eq!(stats["code_exchanges"], 1, "{stats}");
    assert_eq!(
        stats["resources"][0],
        format!("{}/mcp", fixture.base),
        "RFC 8707 resource must name the MCP endpoint: {stats}"
    );

    let (mcp, _) = connect(&proxy.mcp_url()).await;
    let entry = server_entry(&mcp, &name).await;
    assert_eq!(entry["oauth_status"]["state"], "authenticated", "{entry}");
    assert!(
        entry["oauth_status"]["token_expires_at"].is_string(),
        "{entry}"
    );
    assert_eq!(entry["oauth_status"]["has_refresh_token"], true, "{entry}");
    let issuer = entry["oauth_status"]["issuer"]
        .as_str()
        .unwrap()
        .to_string();

    // Tokens live in the OS keyring, not in the data directory.
    let stored = Keyring::get(&store::tokens_entry(&name, &issuer))
        .unwrap()
        .expect("tokens stored in the keyring");
    let token: Value = serde_json::from_str(&stored).unwrap();
    let access = token["token_response"]["access_token"].as_str().unwrap();
    assert!(
        files_containing(proxy.dir.path(), access).is_empty(),
        "the access token reached a file"
    );

    // 2. The 4 s token is refreshed before it expires, without any login.
    wait_for(
        "a silent token refresh",
        Duration::from_secs(20),
        || async {
            let stats = fixture.stats().await;
            (stats["refreshes"].as_u64() >= Some(2)).then_some(())
        },
    )
    .await;
    let after = call(&all, &tool, json!({})).await;
    assert_ne!(after.is_error, Some(true), "call after refresh: {after:?}");
    let stats = fixture.stats().await;
    assert_eq!(
        stats["authorizations"], 1,
        "refresh must not log in again: {stats}"
    );

    // 3. Revoked refresh token: the next refresh fails and the server needs a login.
    reqwest::Client::new()
        .post(format!("{}/admin/revoke-refresh-tokens", fixture.base))
        .send()
        .await
        .unwrap();
    let entry = wait_for(
        "login_required and a dropped connection",
        Duration::from_secs(20),
        || async {
            let entry = server_entry(&mcp, &name).await;
            (entry["oauth_status"]["state"] == "login_required" && entry["status"] == "error")
                .then_some(entry)
        },
    )
    .await;
    let message = entry["oauth_status"]["last_error"]
        .as_str()
        .unwrap_or_default();
    assert!(message.contains("mcpproxy auth login --server"), "{entry}");
    // The server's tools are gone while it waits for a login: calls are refused.
    let refused = all
        .peer()
        .call_tool(rmcp::model::CallToolRequestParams::new(tool.clone()))
        .await;
    assert!(
        refused.as_ref().map_or(true, |r| r.is_error == Some(true)),
        "{refused:?}"
    );
    let failures = fixture.stats().await["refresh_failures"].as_u64().unwrap();
    assert!(failures >= 1);
    // No retry loop: observe for a few seconds that no further refresh is attempted.
    tokio::time::sleep(Duration::from_secs(3)).await;
    let stats = fixture.stats().await;
    assert_eq!(
        stats["refresh_failures"].as_u64().unwrap(),
        failures,
        "{stats}"
    );
    assert_eq!(stats["authorizations"], 1, "no automatic re-login: {stats}");

    // 4. The CLI: `auth status` shows that a login is needed, `auth login` starts the browser
    //    login through the core and waits for it, `auth logout` forgets the tokens again.
    let state_via_cli = || async {
        let (code, stdout, stderr) =
            auth_cli(&proxy, &["status", "--server", &name, "--json"], None).await;
        assert_eq!(code, Some(0), "auth status: {stderr}");
        let states: Value = serde_json::from_str(&stdout).unwrap();
        states[&name]["state"]
            .as_str()
            .unwrap_or_default()
            .to_string()
    };
    assert_eq!(state_via_cli().await, "login_required");
    let stdout = auth_login(&proxy, &name).await;
    assert!(
        stdout.contains(&format!("Logged in to `{name}`")),
        "{stdout}"
    );
    assert_eq!(state_via_cli().await, "authenticated");
    assert_eq!(fixture.stats().await["authorizations"], 2);
    let after_login = call(&all, &tool, json!({})).await;
    assert_ne!(after_login.is_error, Some(true), "{after_login:?}");
    let (code, stdout, stderr) = auth_cli(&proxy, &["logout", "--server", &name], None).await;
    assert_eq!(code, Some(0), "auth logout: {stderr}");
    assert!(
        stdout.contains(&format!("Logged out of `{name}`")),
        "{stdout}"
    );
    assert_eq!(state_via_cli().await, "login_required");
    assert!(
        Keyring::get(&store::tokens_entry(&name, &issuer))
            .unwrap()
            .is_none(),
        "logout removes the tokens from the keyring"
    );
    // A wrong key is explained (the CLI's shared REST client).
    let (code, _, stderr) = auth_cli(&proxy, &["status"], Some("wrong-key")).await;
    assert_eq!(code, Some(1));
    assert!(stderr.contains("rejected the API key"), "{stderr}");

    let _ = store::forget_server(&SecretBackend::Keyring, &name).await;
    drop(proxy);
}

/// Revoke the access token at the AS: the next call meets a 401 on the live connection, the
/// token is refreshed once and the call goes through (the tool runs once, no new
/// authorization). Then revoke access and refresh token: the call fails naming the login
/// command and the server shows `login_required`.
async fn call_time_401_recovers_once_then_requires_login(
    fixture: &Fixture,
    proxy: &Proxy,
    all: &common::Client,
    name: &str,
) {
    let tool = format!("{name}__whoami");
    // 1. The access token is revoked server-side before it expires: the call meets a 401 on
    //    the live connection, the token is refreshed once and the call goes through.
    admin(fixture, "revoke-access-tokens").await;
    let before = fixture.stats().await;
    let refreshes = before["refreshes"].as_u64().unwrap();
    let retried = call(all, &tool, json!({})).await;
    assert_ne!(
        retried.is_error,
        Some(true),
        "call after a 401: {retried:?}"
    );
    let stats = fixture.stats().await;
    assert_eq!(
        stats["refreshes"].as_u64(),
        Some(refreshes + 1),
        "exactly one refresh: {stats}"
    );
    assert_eq!(stats["authorizations"], 1, "no new authorization: {stats}");
    assert_eq!(
        stats["tool_calls"].as_u64(),
        before["tool_calls"].as_u64().map(|n| n + 1),
        "the tool ran once: {stats}"
    );
    let next = call(all, &tool, json!({})).await;
    assert_ne!(next.is_error, Some(true), "{next:?}");
    assert_eq!(
        fixture.stats().await["refreshes"].as_u64(),
        Some(refreshes + 1)
    );

    // 2. Access and refresh token revoked: the call fails naming the login command, and the
    //    server needs a login.
    admin(fixture, "revoke-access-tokens").await;
    admin(fixture, "revoke-refresh-tokens").await;
    let refused = call(all, &tool, json!({})).await;
    assert_eq!(refused.is_error, Some(true), "{refused:?}");
    assert!(
        text(&refused).contains(&format!("mcpproxy auth login --server {name}")),
        "{refused:?}"
    );
    let (mcp, _) = connect(&proxy.mcp_url()).await;
    let entry = server_entry(&mcp, name).await;
    assert_eq!(entry["oauth_status"]["state"], "login_required", "{entry}");
}

/// POST to the proxy's REST API with its API key.
async fn rest_post(proxy: &Proxy, path: &str) -> Value {
    reqwest::Client::new()
        .post(format!("{}/api/v1{path}", proxy.base))
        .header("X-API-Key", "test-key-0123456789")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap()
}

async fn admin(fixture: &Fixture, path: &str) {
    let status = reqwest::Client::new()
        .post(format!("{}/admin/{path}", fixture.base))
        .send()
        .await
        .unwrap()
        .status();
    assert!(status.is_success(), "{path}: {status}");
}

/// Whether the authorization server still accepts `refresh_token` of `client_id`.
async fn refresh_accepted(fixture: &Fixture, client_id: &str, refresh_token: &str) -> bool {
    reqwest::Client::new()
        .post(format!("{}/token", fixture.base))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(format!(
            "grant_type=refresh_token&refresh_token={refresh_token}&client_id={client_id}"
        ))
        .send()
        .await
        .unwrap()
        .status()
        .is_success()
}

/// The stored tokens of `name` at `issuer`: (client_id, access token, refresh token).
fn stored_tokens(name: &str, issuer: &str) -> (String, String, String) {
    let stored = Keyring::get(&store::tokens_entry(name, issuer))
        .unwrap()
        .expect("tokens stored in the keyring");
    let token: Value = serde_json::from_str(&stored).unwrap();
    let field = |v: &Value| v.as_str().unwrap().to_string();
    (
        field(&token["client_id"]),
        field(&token["token_response"]["access_token"]),
        field(&token["token_response"]["refresh_token"]),
    )
}

#[tokio::test(flavor = "multi_thread")]
async fn call_time_401_refreshes_and_logout_revokes_at_the_authorization_server() {
    let Some(LoggedIn {
        fixture,
        proxy,
        all,
        name,
        ..
    }) = logged_in(3600, "revoke", "http").await
    else {
        return;
    };

    call_time_401_recovers_once_then_requires_login(&fixture, &proxy, &all, &name).await;
    let (mcp, _) = connect(&proxy.mcp_url()).await;
    auth_login(&proxy, &name).await;
    let entry = server_entry(&mcp, &name).await;
    let issuer = entry["oauth_status"]["issuer"]
        .as_str()
        .unwrap()
        .to_string();

    // 3. Logout revokes refresh and access token at the authorization server (RFC 7009).
    let (client_id, access, refresh) = stored_tokens(&name, &issuer);
    let revocations = fixture.stats().await["revocations"].as_u64().unwrap();
    let (code, stdout, stderr) = auth_cli(&proxy, &["logout", "--server", &name], None).await;
    assert_eq!(code, Some(0), "auth logout: {stderr}");
    assert!(
        stdout.contains("revoked at the authorization server"),
        "{stdout}"
    );
    let stats = fixture.stats().await;
    assert_eq!(
        stats["revocations"].as_u64(),
        Some(revocations + 2),
        "{stats}"
    );
    assert!(!refresh_accepted(&fixture, &client_id, &refresh).await);
    let mcp_status = reqwest::Client::new()
        .post(format!("{}/mcp", fixture.base))
        .bearer_auth(&access)
        .json(&json!({"jsonrpc": "2.0", "id": 1, "method": "ping"}))
        .send()
        .await
        .unwrap()
        .status();
    assert_eq!(mcp_status, reqwest::StatusCode::UNAUTHORIZED);
    assert!(Keyring::get(&store::tokens_entry(&name, &issuer))
        .unwrap()
        .is_none());
    assert!(Keyring::get(&store::index_entry(&name)).unwrap().is_none());

    // 4. A failing revocation endpoint is reported, and the tokens are forgotten anyway.
    auth_login(&proxy, &name).await;
    let (client_id, _, refresh) = stored_tokens(&name, &issuer);
    admin(&fixture, "fail-revocation").await;
    let body = rest_post(&proxy, &format!("/servers/{name}/logout")).await;
    let data = &body["data"];
    assert_eq!(data["revoked"], false, "{body}");
    let error = data["revocation_error"].as_str().unwrap_or_default();
    assert!(error.contains("HTTP 500"), "{body}");
    assert!(!error.contains(&refresh), "no token in the message: {body}");
    assert!(data["removed"].as_u64() >= Some(2), "{body}");
    assert!(Keyring::get(&store::tokens_entry(&name, &issuer))
        .unwrap()
        .is_none());
    // The refresh token is still valid at the AS (revocation failed), the proxy forgot it.
    assert!(refresh_accepted(&fixture, &client_id, &refresh).await);

    let _ = store::forget_server(&SecretBackend::Keyring, &name).await;
    drop(proxy);
}

/// The same over the legacy HTTP+SSE transport, where the proxy's own transport (not rmcp's
/// OAuth client) meets the 401 on `POST /messages`: the call path refreshes and retries.
#[tokio::test(flavor = "multi_thread")]
async fn sse_call_time_401_refreshes_once_and_retries() {
    let Some(LoggedIn {
        fixture,
        proxy,
        all,
        name,
        ..
    }) = logged_in(3600, "sse", "sse").await
    else {
        return;
    };

    // A resource read through the pass-through endpoint recovers the same way.
    let (direct, _) = connect(&format!("{}/mcp/server/{name}", proxy.base)).await;
    admin(&fixture, "revoke-access-tokens").await;
    let read = direct
        .peer()
        .read_resource(rmcp::model::ReadResourceRequestParams::new(
            "fixture://whoami",
        ))
        .await
        .expect("resource read after a 401");
    assert_eq!(read.contents.len(), 1, "{read:?}");
    let stats = fixture.stats().await;
    assert_eq!(stats["refreshes"], 1, "exactly one refresh: {stats}");
    assert_eq!(stats["resource_reads"], 1, "read once: {stats}");
    assert_eq!(stats["authorizations"], 1, "no new authorization: {stats}");

    call_time_401_recovers_once_then_requires_login(&fixture, &proxy, &all, &name).await;
    let _ = store::forget_server(&SecretBackend::Keyring, &name).await;
    drop(proxy);
}

/// The explanation of a refused `/mcp` or `/mcp/all` call (its structured content).
fn refusal_of(result: &rmcp::model::CallToolResult) -> Value {
    assert_eq!(result.is_error, Some(true), "{result:?}");
    json_of(result)
}

/// An authorization server that lists only `client_secret_post` (and refuses public-client
/// registrations) gets a confidential registration, and the login works with its secret.
#[tokio::test(flavor = "multi_thread")]
async fn registers_with_a_method_the_authorization_server_supports() {
    let env = [("AUTH_METHODS", "client_secret_post")];
    let Some(LoggedIn {
        fixture,
        proxy,
        name,
        ..
    }) = logged_in_with(3600, "confidential", "http", &env).await
    else {
        return;
    };
    let stats = fixture.stats().await;
    assert_eq!(stats["registrations"], 1, "{stats}");
    assert_eq!(stats["refused_registrations"], 0, "{stats}");
    assert_eq!(stats["code_exchanges"], 1, "{stats}");
    let _ = store::forget_server(&SecretBackend::Keyring, &name).await;
    drop(proxy);
}

/// After `auth logout` every surface says that the server waits for a login, with the
/// command, instead of "unknown tool" or "retry shortly".
#[tokio::test(flavor = "multi_thread")]
async fn login_required_is_said_as_such_on_every_surface() {
    let Some(LoggedIn {
        fixture: _fixture,
        proxy,
        all,
        name,
        tool,
    }) = logged_in(3600, "loggedout", "http").await
    else {
        return;
    };
    let (code, _, stderr) = auth_cli(&proxy, &["logout", "--server", &name], None).await;
    assert_eq!(code, Some(0), "auth logout: {stderr}");
    let (mcp, _) = connect(&proxy.mcp_url()).await;
    wait_for("login_required", Duration::from_secs(20), || async {
        let entry = server_entry(&mcp, &name).await;
        (entry["oauth_status"]["state"] == "login_required").then_some(())
    })
    .await;
    let command = format!("mcpproxy auth login --server {name}");

    let via_all = refusal_of(&call(&all, &tool, json!({})).await);
    let via_mcp = refusal_of(
        &call(
            &mcp,
            "call_tool_read",
            json!({"name": format!("{name}:whoami"), "args": {}}),
        )
        .await,
    );
    for (surface, explanation) in [("/mcp/all", &via_all), ("/mcp", &via_mcp)] {
        assert_eq!(
            explanation["status"], "LOGIN_REQUIRED",
            "{surface}: {explanation}"
        );
        let message = explanation["message"].as_str().unwrap();
        assert!(message.contains(&command), "{surface}: {message}");
        assert!(!message.contains("retry shortly"), "{surface}: {message}");
    }
    assert_eq!(via_all, via_mcp);

    // `initialize` on /mcp/server/NAME says it waits for a login (not "retry shortly").
    let initialize = json!({"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {
        "protocolVersion": "2025-11-25", "capabilities": {},
        "clientInfo": {"name": "t", "version": "0"}}});
    let started = std::time::Instant::now();
    let body = reqwest::Client::new()
        .post(format!("{}/mcp/server/{name}", proxy.base))
        .header("accept", "application/json, text/event-stream")
        .json(&initialize)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        started.elapsed() < Duration::from_secs(10),
        "a server that waits for a login is refused at once"
    );
    assert!(body.contains("LOGIN_REQUIRED"), "{body}");
    assert!(body.contains(&command), "{body}");
    assert!(!body.contains("retry shortly"), "{body}");

    let rest = reqwest::Client::new()
        .post(format!("{}/api/v1/tools/call", proxy.base))
        .header("X-API-Key", "test-key-0123456789")
        .json(&json!({"name": format!("{name}:whoami"), "args": {}}))
        .send()
        .await
        .unwrap();
    assert_eq!(rest.status(), 503);
    let rest: Value = rest.json().await.unwrap();
    assert_eq!(rest["code"], "LOGIN_REQUIRED", "{rest}");
    assert_eq!(rest["error"], via_all["message"], "{rest}");

    let _ = store::forget_server(&SecretBackend::Keyring, &name).await;
    drop(proxy);
}
