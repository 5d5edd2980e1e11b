//! `${keyring:NAME}` / `${env:VAR}` references, the secrets REST API, config-to-secret and the
//! `mcpproxy secrets` CLI against a real OS keyring (Secret Service; scripts/test.sh runs the
//! suite inside a private dbus session with an unlocked gnome-keyring).

mod common;
mod rest_support;

use common::*;
use mcpproxy::secrets::keyring::Keyring;
use rest_support::{Api, KEY};
use serde_json::{json, Value};
use std::io::Write;
use std::time::Duration;

const READY: Duration = Duration::from_secs(60);

fn in_ci() -> bool {
    std::env::var("CI").is_ok_and(|v| !v.is_empty() && v != "false" && v != "0")
}

/// False (after saying why) when no Secret Service is reachable outside CI.
fn keyring_ready() -> bool {
    match Keyring::probe() {
        Ok(()) => true,
        Err(err) => {
            assert!(!in_ci(), "CI must provide a Secret Service: {err}");
            eprintln!("skipping keyring test: {err}");
            false
        }
    }
}

fn unique(prefix: &str) -> String {
    format!("{prefix}_{}", uuid::Uuid::new_v4().simple())
}

fn cli(proxy: &Proxy, args: &[&str], stdin: Option<&str>) -> std::process::Output {
    let mut child = std::process::Command::new(proxy_bin())
        .arg("--config")
        .arg(&proxy.config_path)
        .args(args)
        .env("MCPPROXY_API_KEY", KEY)
        .env("MCPPROXY_LISTEN", proxy.base.trim_start_matches("http://"))
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    if let Some(input) = stdin {
        child
            .stdin
            .take()
            .unwrap()
            .write_all(input.as_bytes())
            .unwrap();
    }
    drop(child.stdin.take());
    child.wait_with_output().unwrap()
}

async fn header_seen(client: &Client, server: &str, header: &str) -> String {
    text(
        &call(
            client,
            "call_tool_read",
            json!({"name": format!("{server}:get_header"), "args": {"name": header}}),
        )
        .await,
    )
}

#[tokio::test(flavor = "multi_thread")]
async fn keyring_reference_missing_then_set_then_deleted() {
    if !keyring_ready() {
        return;
    }
    let secret = unique("fx_key");
    let fixture = HttpFixture::start("web");
    let proxy = Proxy::start(
        json!([{"name": "web", "protocol": "http", "url": fixture.url,
                "headers": {"X-Api-Key": format!("${{keyring:{secret}}}")}}]),
        json!({}),
    );
    let api = Api::new(&proxy.base);

    // Missing secret: a health problem naming the secret and the command.
    let view = wait_for("missing-secret error", READY, || async {
        let view = api.server("web").await;
        (view["status"] == "error").then_some(view)
    })
    .await;
    let error = view["last_error"].as_str().unwrap();
    assert!(
        error.contains(&secret) && error.contains("mcpproxy secrets set"),
        "{error}"
    );

    // The CLI stores it from stdin; the server reconnects and receives the value.
    let value = "kr-value-7f3e9a1c55";
    let out = cli(&proxy, &["secrets", "set", &secret], Some(value));
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    api.wait_ready("web").await;
    let (client, _rx) = connect(&proxy.mcp_url()).await;
    wait_for_tool(&client, "header", "web:get_header").await;
    assert_eq!(header_seen(&client, "web", "x-api-key").await, value);

    // Read surfaces show the reference, never the value.
    let view = api.server("web").await;
    assert_eq!(
        view["headers"]["X-Api-Key"],
        format!("${{keyring:{secret}}}")
    );
    let listed = api.get("/secrets").await;
    let entry = listed.data()["secrets"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["name"] == secret.as_str())
        .unwrap()
        .clone();
    assert_eq!(entry["set"], true);
    assert_eq!(entry["referenced_by"][0]["server"], "web");
    assert!(!listed.text.contains(value));
    let masked = cli(&proxy, &["secrets", "get", &secret], None);
    let shown = String::from_utf8_lossy(&masked.stdout);
    assert!(
        shown.contains("••••55 (19 chars)") && !shown.contains(value),
        "{shown}"
    );
    let list = cli(&proxy, &["secrets", "list"], None);
    assert!(String::from_utf8_lossy(&list.stdout).contains(&secret));

    // Deleting it takes the server back to the missing-secret error.
    let out = cli(&proxy, &["secrets", "del", &secret], None);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    wait_for("missing again", READY, || async {
        let view = api.server("web").await;
        (view["status"] == "error" && view["last_error"].as_str().unwrap_or("").contains(&secret))
            .then_some(())
    })
    .await;
    assert_eq!(Keyring::get(&secret).unwrap(), None);
    client.cancel().await.unwrap();
}

#[tokio::test(flavor = "multi_thread")]
async fn config_to_secret_moves_a_masked_header_into_the_keyring() {
    if !keyring_ready() {
        return;
    }
    let secret = unique("fx_auth");
    let token = "Bearer tok-c2s-0123456789abcdef";
    let fixture = HttpFixture::start("c2s");
    let proxy = Proxy::start(
        json!([{"name": "c2s", "protocol": "http", "url": fixture.url,
                "headers": {"Authorization": token, "X-Plain": "visible"}}]),
        json!({}),
    );
    let api = Api::new(&proxy.base);
    api.wait_ready("c2s").await;
    assert_eq!(
        api.server("c2s").await["headers"]["Authorization"],
        "••••ef (31 chars)"
    );

    for (body, status) in [
        (
            json!({"scope": "cookie", "key": "Authorization", "secret_name": secret}),
            400,
        ),
        (
            json!({"scope": "header", "key": "X-Missing", "secret_name": secret}),
            404,
        ),
        (
            json!({"scope": "header", "key": "Authorization", "secret_name": "bad name!"}),
            400,
        ),
    ] {
        let answer = api
            .post("/servers/c2s/config-to-secret", body.clone())
            .await;
        assert_eq!(answer.status, status, "{body}: {}", answer.text);
    }
    let converted = api
        .post(
            "/servers/c2s/config-to-secret",
            json!({"scope": "header", "key": "Authorization", "secret_name": secret}),
        )
        .await;
    assert_eq!(
        converted.data()["headers"]["Authorization"],
        format!("${{keyring:{secret}}}")
    );
    assert_eq!(Keyring::get(&secret).unwrap().as_deref(), Some(token));
    let on_disk = std::fs::read_to_string(&proxy.config_path).unwrap();
    assert!(!on_disk.contains("tok-c2s-0123456789abcdef"), "{on_disk}");
    assert!(on_disk.contains(&format!("${{keyring:{secret}}}")));
    let again = api
        .post(
            "/servers/c2s/config-to-secret",
            json!({"scope": "header", "key": "Authorization", "secret_name": secret}),
        )
        .await;
    assert_eq!(again.status, 400, "already a reference: {}", again.text);

    // The upstream still receives the real value after the reconnect.
    api.wait_ready("c2s").await;
    let (client, _rx) = connect(&proxy.mcp_url()).await;
    wait_for_tool(&client, "header", "c2s:get_header").await;
    let seen = wait_for("the header through the keyring", READY, || async {
        let seen = header_seen(&client, "c2s", "authorization").await;
        (seen == token).then_some(seen)
    })
    .await;
    assert_eq!(seen, token);
    Keyring::delete(&secret).unwrap();
    client.cancel().await.unwrap();
}

#[tokio::test(flavor = "multi_thread")]
async fn env_references_come_from_the_core_environment() {
    let dir = tempfile::tempdir().unwrap();
    let mut server = fixture_stdio("envy");
    server["env"] = json!({"API_TOKEN": "${env:MCPPROXY_E2E_TOKEN}"});
    server["quarantined"] = json!(false);
    let config = json!({"listen": "127.0.0.1:0", "api_key": KEY, "mcpServers": [server]});
    let path = dir.path().join("mcp_config.json");
    std::fs::write(&path, config.to_string()).unwrap();
    let proxy =
        Proxy::start_with_config_env(dir, path, &[("MCPPROXY_E2E_TOKEN", "env-token-4242")]);
    let (client, _rx) = connect(&proxy.mcp_url()).await;
    wait_for_tool(&client, "echo", "envy:echo").await;
    let seen = call(
        &client,
        "call_tool_read",
        json!({"name": "envy:get_env", "args": {"name": "API_TOKEN"}}),
    )
    .await;
    assert_eq!(text(&seen), "env-token-4242");
    let listed: Value =
        json_of(&call(&client, "upstream_servers", json!({"operation": "list"})).await);
    assert_eq!(
        listed["servers"][0]["env"]["API_TOKEN"],
        "${env:MCPPROXY_E2E_TOKEN}"
    );
    client.cancel().await.unwrap();
}
