//! End-to-end canary test: secret values configured for upstreams never appear in any
//! REST, SSE, MCP or CLI output, nor in any log file, while the upstreams still get them.

mod common;
mod rest_support;

use common::*;
use rest_support::*;
use serde_json::{json, Value};
use std::process::Command;

const HEADER_TOKEN: &str = "cnry-hdr-5f1c9a7e3b2d4c6a8e0f";
const API_KEY_HEADER: &str = "cnry-key-9a8b7c6d5e4f3a2b";
const ENV_TOKEN: &str = "cnry-env-1a2b3c4d5e6f7a8b";
const ENV_PASSWORD: &str = "cnry-pw-0f9e8d7c6b5a";
const OAUTH_SECRET: &str = "cnry-oauth-77aa88bb99cc";
const ADDED_TOKEN: &str = "cnry-add-3c3c4d4d5e5e";
const BAD_VALUE: &str = "cnry-bad-6e6e7f7f8a8a";
const TYPE_VALUE: &str = "cnry-type-1f2e3d4c5b6a";

fn canaries() -> [&'static str; 8] {
    [
        HEADER_TOKEN,
        API_KEY_HEADER,
        ENV_TOKEN,
        ENV_PASSWORD,
        OAUTH_SECRET,
        ADDED_TOKEN,
        BAD_VALUE,
        TYPE_VALUE,
    ]
}

fn all_files_under(dir: &std::path::Path, out: &mut Vec<std::path::PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap().flatten() {
        let path = entry.path();
        if path.is_dir() {
            all_files_under(&path, out);
        } else {
            out.push(path);
        }
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn canary_secrets_never_leave_the_core() {
    let fixture = HttpFixture::start("hc");
    let port = free_port();
    // The stdio server prints its token to stderr (as careless servers do): the per-server
    // log must scrub it.
    let script = format!(
        "echo \"starting with token=$API_TOKEN\" >&2; exec '{}' stdio --name sc",
        fixture_bin().display()
    );
    let mut proxy = Proxy::start(
        json!([
            {"name": "hc", "protocol": "http", "url": fixture.url,
             "headers": {"Authorization": format!("Bearer {HEADER_TOKEN}"), "X-API-Key": API_KEY_HEADER},
             "oauth": {"client_id": "cid", "client_secret": OAUTH_SECRET}},
            {"name": "sc", "protocol": "stdio", "command": "sh", "args": ["-c", script],
             "env": {"API_TOKEN": ENV_TOKEN, "DB_PASSWORD": ENV_PASSWORD}}
        ]),
        json!({"listen": format!("127.0.0.1:{port}")}),
    );
    let api = Api::new(&proxy.base);
    let events = Events::subscribe(&proxy.base).await;
    let hc = api.wait_ready("hc").await;
    api.wait_ready("sc").await;

    // REST read surfaces.
    for path in [
        "/servers",
        "/servers/hc/tools",
        "/servers/sc/logs?tail=200",
        "/servers/hc/logs?tail=200",
        "/tools",
        "/index/search?q=echo",
        "/status",
        "/config",
    ] {
        assert_eq!(api.get(path).await.status, 200, "{path}");
    }
    // Writes echo the redacted object; refusals never echo the value.
    let masked_auth = hc["headers"]["Authorization"].as_str().unwrap().to_string();
    let echoed = api
        .patch(
            "/servers/hc",
            json!({"headers": {"Authorization": masked_auth, "X-More": "1"}}),
        )
        .await;
    assert_eq!(echoed.status, 200, "{}", echoed.text);
    assert_eq!(
        api.patch(
            "/servers/hc",
            json!({"headers": {"X-Bad": format!("{BAD_VALUE}\nx")}})
        )
        .await
        .status,
        400
    );
    assert_eq!(
        api.patch("/servers/hc", json!({"enabled": TYPE_VALUE}))
            .await
            .status,
        400
    );
    let added = api
        .post(
            "/servers",
            json!({"name": "added", "url": "http://127.0.0.1:9/mcp", "enabled": false,
                   "headers": {"Authorization": format!("Bearer {ADDED_TOKEN}")}}),
        )
        .await;
    assert_eq!(added.status, 201);
    // Live log lines (SSE `server.log`) of the restarted stdio server.
    let sc_live = Events::subscribe_to(&proxy.base, "/api/v1/servers/sc/logs/stream?tail=0").await;
    api.post("/servers/sc/restart", json!({})).await;
    api.wait_ready("hc").await;
    api.wait_ready("sc").await;
    // The upstream really got the secret header (checked without printing it anywhere).
    let seen = api
        .call_text("hc:get_header", json!({"name": "x-api-key"}))
        .await;
    assert!(
        seen == API_KEY_HEADER,
        "the upstream did not receive the real header"
    );
    api.transcript.lock().unwrap().pop(); // that tool result legitimately carries it
    api.call_text("sc:echo", json!({"message": "ping"})).await;

    // MCP surfaces.
    let (client, _rx) = connect(&proxy.mcp_url()).await;
    let mut mcp_outputs = Vec::new();
    for args in [
        json!({"operation": "list"}),
        json!({"operation": "tail_log", "name": "sc", "lines": 200}),
        json!({"operation": "patch", "name": "hc", "patch": {"headers": {"Authorization": masked_auth}}}),
    ] {
        let result = call(&client, "upstream_servers", args).await;
        mcp_outputs.push(serde_json::to_string(&result).unwrap());
    }
    client.cancel().await.unwrap();

    // CLI.
    let mut cli_outputs = Vec::new();
    for args in [
        vec!["-o", "json", "upstream", "list"],
        vec!["upstream", "list"],
        vec!["upstream", "logs", "sc", "--tail", "200"],
        vec!["-o", "json", "status"],
        vec!["upstream", "patch", "hc", "--header", "X-Cli: 1"],
    ] {
        let out = Command::new(proxy_bin())
            .arg("--config")
            .arg(&proxy.config_path)
            .args(&args)
            .env_remove("MCPPROXY_API_KEY")
            .env_remove("MCPPROXY_LISTEN")
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        cli_outputs.push(String::from_utf8_lossy(&out.stdout).into_owned());
        cli_outputs.push(String::from_utf8_lossy(&out.stderr).into_owned());
    }

    // The stdio server's stderr reached its log, scrubbed.
    let sc_log = api.get("/servers/sc/logs?tail=200").await;
    let env_mask = mcpproxy::secrets::mask_value(ENV_TOKEN);
    assert!(
        sc_log
            .text
            .contains(&format!("starting with token={env_mask}")),
        "{}",
        sc_log.text
    );
    let live = sc_live
        .wait("server.log", |d| {
            d["line"]
                .as_str()
                .is_some_and(|l| l.contains("starting with token="))
        })
        .await;
    assert!(
        live["line"]
            .as_str()
            .unwrap()
            .ends_with(&format!("starting with token={env_mask}")),
        "{live}"
    );
    assert_eq!(live["server"], "sc");
    events
        .wait("servers.changed", |d| d["name"] == "added")
        .await;
    events
        .wait("tool_call.finished", |d| d["server"] == "sc")
        .await;

    proxy.terminate();
    let mut files = Vec::new();
    all_files_under(&proxy.dir.path().join("logs"), &mut files);
    assert!(!files.is_empty(), "no server logs written");
    files.push(proxy.stderr_log.clone());
    let mut surfaces: Vec<(String, String)> = vec![
        ("REST".into(), api.transcript()),
        ("SSE".into(), events.transcript()),
        ("SSE server.log".into(), sc_live.transcript()),
        ("MCP".into(), mcp_outputs.join("\n")),
        ("CLI".into(), cli_outputs.join("\n")),
    ];
    for file in files {
        surfaces.push((
            file.display().to_string(),
            std::fs::read_to_string(&file).unwrap(),
        ));
    }
    for (surface, text) in &surfaces {
        assert!(
            !text.is_empty() || surface.ends_with(".log"),
            "{surface} recorded nothing"
        );
        for canary in canaries() {
            assert!(!text.contains(canary), "{surface} leaks {canary}");
        }
    }
    // Sanity: the surfaces did show the servers (masked), so the scan was meaningful.
    let rest = &surfaces[0].1;
    assert!(
        rest.contains(&mcpproxy::secrets::mask_value(API_KEY_HEADER)),
        "{rest}"
    );
    let stored: Value =
        serde_json::from_str(&std::fs::read_to_string(&proxy.config_path).unwrap()).unwrap();
    assert_eq!(
        stored["mcpServers"][0]["headers"]["Authorization"],
        format!("Bearer {HEADER_TOKEN}"),
        "the secret itself is kept"
    );
}
