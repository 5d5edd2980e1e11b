//! End-to-end: the REST API, SSE events and JSON Merge Patch against the real binary,
//! with the fixture server as the upstream (its `get_header`/`get_env` tools show what
//! the upstream really receives).

mod common;
mod rest_support;

use common::*;
use rest_support::*;
use serde_json::{json, Value};

/// A 71-character `Authorization` value: "Bearer " + 64 characters ending in "d4".
fn token71() -> String {
    format!("Bearer {}", "A1b2C3d4".repeat(8))
}

fn http_server(name: &str, url: &str, headers: Value) -> Value {
    json!({"name": name, "protocol": "http", "url": url, "headers": headers})
}

#[tokio::test(flavor = "multi_thread")]
async fn api_key_envelope_request_ids_and_guards() {
    let proxy = Proxy::start(json!([]), json!({}));
    let http = reqwest::Client::new();
    let url = |path: &str| format!("{}/api/v1{path}", proxy.base);

    // No key, a wrong key: 401 in the envelope, with a request id.
    let response = http.get(url("/servers")).send().await.unwrap();
    assert_eq!(response.status(), 401);
    assert!(response.headers().contains_key("x-request-id"));
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["success"], false);
    assert!(
        body["error"].as_str().unwrap().contains("X-API-Key"),
        "{body}"
    );
    let wrong = http
        .get(url("/servers"))
        .header("X-API-Key", "nope")
        .send()
        .await
        .unwrap();
    assert_eq!(wrong.status(), 401);
    let events = http
        .get(format!("{}/events", proxy.base))
        .send()
        .await
        .unwrap();
    assert_eq!(events.status(), 401, "/events needs the key too");

    // Each of the three ways to pass the key works; a caller's request id is echoed.
    for request in [
        http.get(url("/servers")).header("X-API-Key", KEY),
        http.get(url("/servers"))
            .header("Authorization", format!("Bearer {KEY}")),
        http.get(url(&format!("/servers?apikey={KEY}"))),
    ] {
        let response = request
            .header("X-Request-Id", "req-42")
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200);
        assert_eq!(response.headers()["x-request-id"], "req-42");
        let body: Value = response.json().await.unwrap();
        assert_eq!(body, json!({"success": true, "data": {"servers": []}}));
    }

    // Health needs no key; unknown endpoints and methods answer in the envelope.
    let health: Value = http
        .get(url("/healthz"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(health, json!({"success": true, "data": {"status": "ok"}}));
    let ready = http.get(url("/readyz")).send().await.unwrap();
    assert_eq!(ready.status(), 200);
    let api = Api::new(&proxy.base);
    let unknown = api.get("/nope").await;
    assert_eq!(unknown.status, 404);
    assert!(unknown.error().contains("/api/v1/nope"));
    let wrong_method = api.send(reqwest::Method::PUT, "/servers", None).await;
    assert_eq!(wrong_method.status, 405);
    assert_eq!(wrong_method.body["success"], false);
    let bad_json = http
        .post(url("/servers"))
        .header("X-API-Key", KEY)
        .header("Content-Type", "application/json")
        .body("{not json")
        .send()
        .await
        .unwrap();
    assert_eq!(bad_json.status(), 400);
    assert!(bad_json.headers().contains_key("x-request-id"));

    // A page on a foreign origin cannot use the API even with the key (nor can a rebound Host).
    let foreign = http
        .get(url("/status"))
        .header("X-API-Key", KEY)
        .header("Origin", "http://evil.example")
        .send()
        .await
        .unwrap();
    assert_eq!(foreign.status(), 403);
    let rebound = http
        .get(url("/status"))
        .header("X-API-Key", KEY)
        .header("Host", "evil.example")
        .send()
        .await
        .unwrap();
    assert_eq!(rebound.status(), 403);

    // The served OpenAPI document is the committed one, which the lib test keeps in sync.
    let served: Value = http
        .get(url("/openapi.json"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let committed: Value = serde_json::from_str(
        &std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/docs/openapi.json"))
            .unwrap(),
    )
    .unwrap();
    assert!(
        served == committed,
        "docs/openapi.json differs from the served document; run `MCPPROXY_UPDATE_OPENAPI=1 cargo test --lib openapi`"
    );
}

#[test]
fn env_api_key_wins_over_the_config() {
    let dir = tempfile::tempdir().unwrap();
    let port = free_port();
    let config = dir.path().join("mcp_config.json");
    std::fs::write(
        &config,
        json!({"listen": format!("127.0.0.1:{port}"), "api_key": "file-key-123456"}).to_string(),
    )
    .unwrap();
    let mut child = std::process::Command::new(proxy_bin())
        .args(["serve", "--config"])
        .arg(&config)
        .env("MCPPROXY_API_KEY", "env-key-654321")
        .stdout(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let runtime = tokio::runtime::Runtime::new().unwrap();
    runtime.block_on(async {
        let http = reqwest::Client::new();
        let url = format!("http://127.0.0.1:{port}/api/v1/status");
        let status_with = |key: &'static str| {
            let http = http.clone();
            let url = url.clone();
            async move {
                http.get(&url)
                    .header("X-API-Key", key)
                    .send()
                    .await
                    .ok()
                    .map(|r| r.status().as_u16())
            }
        };
        wait_for("the core to listen", READY, || {
            status_with("env-key-654321")
        })
        .await;
        assert_eq!(status_with("env-key-654321").await, Some(200));
        assert_eq!(status_with("file-key-123456").await, Some(401));
    });
    let _ = nix::sys::signal::kill(
        nix::unistd::Pid::from_raw(child.id() as i32),
        nix::sys::signal::Signal::SIGTERM,
    );
    let _ = child.wait();
}

#[tokio::test(flavor = "multi_thread")]
async fn masking_merge_patch_and_events() {
    let fixture = HttpFixture::start("hx");
    let token = token71();
    let mut sx = fixture_stdio("sx");
    sx["env"] = json!({"API_TOKEN": "stdio-secret-value", "MODE": "m1"});
    let proxy = Proxy::start(
        json!([
            http_server(
                "hx",
                &fixture.url,
                json!({"Authorization": token, "X-Trace": "t1"})
            ),
            sx
        ]),
        json!({}),
    );
    let api = Api::new(&proxy.base);
    let events = Events::subscribe(&proxy.base).await;
    events.wait("status", |d| d["version"].is_string()).await;
    let masked = "••••d4 (71 chars)";

    // REST shows the 71-char token masked; the upstream receives the real one.
    let hx = api.wait_ready("hx").await;
    assert_eq!(hx["headers"]["Authorization"], masked, "{hx}");
    assert_eq!(hx["headers"]["X-Trace"], "t1");
    assert_eq!(
        api.call_text("hx:get_header", json!({"name": "authorization"}))
            .await,
        token
    );
    // MCP `upstream_servers list` shows the same mask.
    let (client, _rx) = connect(&proxy.mcp_url()).await;
    let listed = json_of(&call(&client, "upstream_servers", json!({"operation": "list"})).await);
    let mcp_hx = listed["servers"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["name"] == "hx")
        .unwrap();
    assert_eq!(mcp_hx["headers"]["Authorization"], masked);

    // Upsert + delete; absent keys are kept; the server reconnects with the new headers.
    let patched = api
        .patch(
            "/servers/hx",
            json!({"headers": {"X-New": "n1", "X-Trace": null}}),
        )
        .await;
    let data = patched.data();
    assert_eq!(data["headers"]["X-New"], "n1");
    assert!(data["headers"].get("X-Trace").is_none(), "{data}");
    assert_eq!(data["headers"]["Authorization"], masked);
    events.wait("config.saved", |d| d["path"].is_string()).await;
    // SSE `servers.changed` carries the redacted object as the server reconnects.
    let changed = events
        .wait("servers.changed", |d| {
            d["name"] == "hx"
                && d["server"]["status"] == "ready"
                && d["server"]["headers"]["X-New"] == "n1"
        })
        .await;
    assert_eq!(changed["server"]["headers"]["Authorization"], masked);
    api.wait_ready("hx").await;
    assert_eq!(
        api.call_text("hx:get_header", json!({"name": "x-new"}))
            .await,
        "n1"
    );
    assert_eq!(
        api.call_text("hx:get_header", json!({"name": "x-trace"}))
            .await,
        "<none>"
    );
    assert_eq!(
        api.call_text("hx:get_header", json!({"name": "authorization"}))
            .await,
        token,
        "an absent key keeps its value"
    );

    // The masked value echoed back (as a UI would) keeps the stored secret.
    let echoed = api
        .patch(
            "/servers/hx",
            json!({"headers": {"Authorization": masked, "X-New": "n2", "X-Empty": ""}}),
        )
        .await;
    assert_eq!(echoed.status, 200, "{}", echoed.text);
    api.wait_ready("hx").await;
    wait_for("X-New to be n2 upstream", READY, || async {
        (api.call_text("hx:get_header", json!({"name": "x-new"}))
            .await
            == "n2")
            .then_some(())
    })
    .await;
    assert_eq!(
        api.call_text("hx:get_header", json!({"name": "authorization"}))
            .await,
        token,
        "a masked echo must never overwrite the secret"
    );
    let on_disk: Value =
        serde_json::from_str(&std::fs::read_to_string(&proxy.config_path).unwrap()).unwrap();
    let hx_disk = on_disk["mcpServers"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["name"] == "hx")
        .unwrap();
    assert_eq!(hx_disk["headers"]["Authorization"], token.as_str());
    assert_eq!(
        hx_disk["headers"]["X-Empty"], "",
        "an empty string is a value"
    );

    // env merge on a stdio server: delete one key, replace another.
    api.wait_ready("sx").await;
    assert_eq!(
        api.call_text("sx:get_env", json!({"name": "API_TOKEN"}))
            .await,
        "stdio-secret-value"
    );
    let patched = api
        .patch(
            "/servers/sx",
            json!({"env": {"API_TOKEN": null, "MODE": "m2"}}),
        )
        .await;
    assert_eq!(patched.data()["env"], json!({"MODE": "m2"}));
    api.wait_ready("sx").await;
    wait_for("sx to see MODE=m2", READY, || async {
        (api.call_text("sx:get_env", json!({"name": "MODE"})).await == "m2").then_some(())
    })
    .await;
    assert_eq!(
        api.call_text("sx:get_env", json!({"name": "API_TOKEN"}))
            .await,
        "<unset>"
    );

    // Refusals name the field and never echo values.
    let renamed = api.patch("/servers/hx", json!({"name": "other"})).await;
    assert_eq!(renamed.status, 400);
    assert!(renamed.error().contains("`name` cannot be changed"));
    let missing = api.patch("/servers/ghost", json!({"enabled": false})).await;
    assert_eq!(missing.status, 404);
    let stray = api
        .patch(
            "/servers/hx",
            json!({"headers": {"Authorization": "••••zz (71 chars)"}}),
        )
        .await;
    assert_eq!(stray.status, 400);
    assert!(stray.error().contains("headers.Authorization"));
    let invalid = api
        .patch(
            "/servers/hx",
            json!({"headers": {"X-Bad": "line1-hidden\nline2"}}),
        )
        .await;
    assert_eq!(invalid.status, 400);
    assert!(
        invalid.error().contains("headers.X-Bad"),
        "{}",
        invalid.text
    );
    assert!(!invalid.text.contains("line1-hidden"), "{}", invalid.text);

    // Tool-call activity reaches SSE (REST calls above), with no arguments in it.
    let finished = events
        .wait("tool_call.finished", |d| {
            d["server"] == "hx" && d["source"] == "rest"
        })
        .await;
    assert_eq!(finished["tool"], "get_header");
    assert!(finished.get("args").is_none());
    events
        .wait("tool_call.started", |d| d["id"] == finished["id"])
        .await;
    client.cancel().await.unwrap();
}

#[tokio::test(flavor = "multi_thread")]
async fn concurrent_patches_never_lose_an_update() {
    let fixture = HttpFixture::start("cc");
    let proxy = Proxy::start(
        json!([http_server("cc", &fixture.url, json!({}))]),
        json!({}),
    );
    let api = Api::new(&proxy.base);
    api.wait_ready("cc").await;
    const N: usize = 100;
    // Each request adds its own env key (100 headers would exceed the fixture's header
    // limit) and sets the shared header X-Last; every change restarts the connection.
    let tasks: Vec<_> = (0..N)
        .map(|i| {
            let api = api.clone();
            tokio::spawn(async move {
                api.patch(
                    "/servers/cc",
                    json!({"env": {format!("K_{i}"): format!("v{i}")}, "headers": {"X-Last": format!("v{i}")}}),
                )
                .await
                .status
            })
        })
        .collect();
    for task in tasks {
        assert_eq!(task.await.unwrap(), 200);
    }
    let server = api.server("cc").await;
    assert_eq!(server["env"].as_object().unwrap().len(), N, "{server}");
    let on_disk: Value =
        serde_json::from_str(&std::fs::read_to_string(&proxy.config_path).unwrap()).unwrap();
    let disk_env = on_disk["mcpServers"][0]["env"].as_object().unwrap();
    for i in 0..N {
        assert_eq!(disk_env[&format!("K_{i}")], format!("v{i}"));
    }
    // The running connection uses the final definition.
    let last = on_disk["mcpServers"][0]["headers"]["X-Last"]
        .as_str()
        .unwrap()
        .to_string();
    assert_eq!(server["headers"]["X-Last"], last.as_str());
    api.wait_ready("cc").await;
    assert_eq!(
        api.call_text("cc:get_header", json!({"name": "x-last"}))
            .await,
        last
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn server_lifecycle_tools_logs_and_status_over_rest() {
    let fixture = HttpFixture::start("lx");
    let proxy = Proxy::start(json!([]), json!({}));
    let api = Api::new(&proxy.base);

    // Added servers are quarantined unless the request opts out.
    let held = api
        .post(
            "/servers",
            json!({"name": "held", "url": fixture.url, "protocol": "http"}),
        )
        .await;
    assert_eq!(held.status, 201, "{}", held.text);
    assert_eq!(held.data()["quarantined"], true);
    assert_eq!(held.data()["status"], "quarantined");
    let added = api
        .post(
            "/servers",
            json!({"name": "lx", "url": fixture.url, "protocol": "http", "quarantined": false}),
        )
        .await;
    assert_eq!(added.status, 201);
    assert!(added.data()["created"].is_string());
    let duplicate = api
        .post("/servers", json!({"name": "lx", "url": fixture.url}))
        .await;
    assert_eq!(duplicate.status, 409);
    let nameless = api.post("/servers", json!({"url": fixture.url})).await;
    assert_eq!(nameless.status, 400);
    assert!(nameless.error().contains("name"));
    let typo = api
        .post("/servers", json!({"name": "t", "urll": "x"}))
        .await;
    assert_eq!(typo.status, 400);
    assert!(typo.error().contains("urll"));

    api.wait_ready("lx").await;
    let tools = wait_for("lx tools in the catalog", READY, || async {
        let answer = api.get("/tools").await;
        let tools = answer.data()["tools"].as_array().unwrap().clone();
        tools
            .iter()
            .any(|t| t["name"] == "lx:echo")
            .then_some(tools)
    })
    .await;
    assert!(
        tools.iter().all(|t| t["server"] == "lx"),
        "quarantined servers add no tools"
    );
    let own = api.get("/servers/lx/tools").await;
    let echo = own.data()["tools"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["tool"] == "echo")
        .unwrap()
        .clone();
    assert_eq!(echo["call_with"], "call_tool_read");
    assert!(echo["inputSchema"]["properties"]["message"].is_object());
    let found = api.get("/index/search?q=echo%20message&limit=3").await;
    assert_eq!(found.data()["tools"][0]["name"], "lx:echo");
    assert!(found.data()["tools"][0]["score"].as_f64().unwrap() > 0.0);
    assert_eq!(api.get("/index/search?q=").await.status, 400);

    // Tool calls share the MCP call path: schema validation and isError results.
    let called = api
        .post(
            "/tools/call",
            json!({"name": "lx:echo", "args": {"message": "hello rest"}}),
        )
        .await;
    assert_eq!(called.data()["content"][0]["text"], "hello rest");
    let invalid = api
        .post(
            "/tools/call",
            json!({"name": "lx:echo", "args": {"message": 5}}),
        )
        .await;
    assert_eq!(invalid.data()["isError"], true);
    assert!(
        invalid.text.contains("Invalid arguments"),
        "{}",
        invalid.text
    );
    let unknown = api.post("/tools/call", json!({"name": "lx:nope"})).await;
    assert_eq!(unknown.status, 404);

    // Disable removes the tools; enable and restart bring them back.
    let disabled = api.post("/servers/lx/disable", json!({})).await;
    assert_eq!(disabled.data()["status"], "disabled");
    assert_eq!(disabled.data()["enabled"], false);
    wait_for("lx tools to leave the catalog", READY, || async {
        let answer = api.get("/tools").await;
        answer.data()["tools"]
            .as_array()
            .unwrap()
            .is_empty()
            .then_some(())
    })
    .await;
    let enabled = api.post("/servers/lx/enable", json!({})).await;
    assert_eq!(enabled.data()["enabled"], true);
    api.wait_ready("lx").await;
    let restarted = api.post("/servers/lx/restart", json!({})).await;
    assert_eq!(restarted.status, 200);
    api.wait_ready("lx").await;
    assert_eq!(
        api.post("/servers/ghost/restart", json!({})).await.status,
        404
    );

    // Logs, status and config.
    let logs = api.get("/servers/lx/logs?tail=2").await;
    let lines = logs.data()["lines"].as_array().unwrap();
    assert!(!lines.is_empty() && lines.len() <= 2, "{}", logs.text);
    assert!(
        logs.text.contains("connected via streamable-http"),
        "{}",
        logs.text
    );
    assert_eq!(api.get("/servers/lx/logs?tail=abc").await.status, 400);
    let status = api.get("/status").await;
    assert_eq!(status.data()["servers"]["total"], 2);
    assert_eq!(status.data()["servers"]["quarantined"], 1);
    let config = api.get("/config").await;
    assert_eq!(config.data()["api_key"], "••••89 (19 chars)");
    assert_eq!(config.data()["mcpServers"].as_array().unwrap().len(), 2);

    // Remove stops the server and forgets it.
    let removed = api
        .send(reqwest::Method::DELETE, "/servers/held", None)
        .await;
    assert_eq!(removed.data(), &json!({"removed": "held"}));
    assert_eq!(
        api.send(reqwest::Method::DELETE, "/servers/held", None)
            .await
            .status,
        404
    );
    let on_disk = std::fs::read_to_string(&proxy.config_path).unwrap();
    assert!(!on_disk.contains("\"held\""));
}

#[tokio::test(flavor = "multi_thread")]
async fn reveal_secret_headers_turns_masking_off() {
    let proxy = Proxy::start(
        json!([{"name": "r", "url": "http://127.0.0.1:9/mcp", "protocol": "http",
                "enabled": false, "headers": {"Authorization": "Bearer revealed-value"},
                "env": {"REF_TOKEN": "${keyring:my_token}"}}]),
        json!({"reveal_secret_headers": true}),
    );
    let api = Api::new(&proxy.base);
    let server = api.server("r").await;
    assert_eq!(server["headers"]["Authorization"], "Bearer revealed-value");
    assert_eq!(server["env"]["REF_TOKEN"], "${keyring:my_token}");
}

#[tokio::test(flavor = "multi_thread")]
async fn mcp_upstream_servers_operations_respect_quarantine() {
    let fixture = HttpFixture::start("ai");
    let proxy = Proxy::start(json!([]), json!({}));
    let (client, _rx) = connect(&proxy.mcp_url()).await;
    let added = call(
        &client,
        "upstream_servers",
        json!({"operation": "add", "server": {"name": "ai", "url": fixture.url, "protocol": "http",
               "headers": {"Authorization": "Bearer from-the-model-123"}}}),
    )
    .await;
    assert_ne!(added.is_error, Some(true), "{}", text(&added));
    let added = json_of(&added);
    assert_eq!(added["added"]["quarantined"], true);
    assert_eq!(
        added["added"]["headers"]["Authorization"],
        "••••23 (25 chars)"
    );
    // An AI client can neither skip nor lift the quarantine.
    let lift = call(
        &client,
        "upstream_servers",
        json!({"operation": "patch", "name": "ai", "patch": {"quarantined": false}}),
    )
    .await;
    assert_eq!(lift.is_error, Some(true));
    assert!(text(&lift).contains("quarantine"), "{}", text(&lift));
    let skip = call(
        &client,
        "upstream_servers",
        json!({"operation": "add", "server": {"name": "ai2", "url": fixture.url, "quarantined": false}}),
    )
    .await;
    assert_eq!(skip.is_error, Some(true));
    // Other operations work and stay redacted.
    let patched = json_of(
        &call(
            &client,
            "upstream_servers",
            json!({"operation": "patch", "name": "ai", "patch": {"headers": {"X-Extra": "1"}}}),
        )
        .await,
    );
    assert_eq!(patched["updated"]["headers"]["X-Extra"], "1");
    assert_eq!(
        patched["updated"]["headers"]["Authorization"],
        "••••23 (25 chars)"
    );
    let disabled = json_of(
        &call(
            &client,
            "upstream_servers",
            json!({"operation": "disable", "name": "ai"}),
        )
        .await,
    );
    assert_eq!(disabled["server"]["enabled"], false);
    let log = json_of(
        &call(
            &client,
            "upstream_servers",
            json!({"operation": "tail_log", "name": "ai", "lines": 5}),
        )
        .await,
    );
    assert!(log["lines"].is_array());
    let removed = json_of(
        &call(
            &client,
            "upstream_servers",
            json!({"operation": "remove", "name": "ai"}),
        )
        .await,
    );
    assert_eq!(removed["removed"], "ai");
    let on_disk = std::fs::read_to_string(&proxy.config_path).unwrap();
    assert!(!on_disk.contains("from-the-model"));
    client.cancel().await.unwrap();
}

#[tokio::test(flavor = "multi_thread")]
async fn external_config_edits_are_applied_and_invalid_ones_reported() {
    let fixture = HttpFixture::start("ext");
    let proxy = Proxy::start(json!([]), json!({}));
    let api = Api::new(&proxy.base);
    let events = Events::subscribe(&proxy.base).await;
    events.wait("status", |_| true).await;
    let read = || -> Value {
        serde_json::from_str(&std::fs::read_to_string(&proxy.config_path).unwrap()).unwrap()
    };
    let write_atomically = |value: &Value| {
        let tmp = proxy.dir.path().join("edit.tmp");
        std::fs::write(&tmp, serde_json::to_string_pretty(value).unwrap()).unwrap();
        std::fs::rename(&tmp, &proxy.config_path).unwrap();
    };

    // A valid edit (as an editor saves: write + rename) is applied without a restart.
    let mut config = read();
    // A person trusts the server they add by hand (without this it would be quarantined).
    let mut ext = http_server("ext", &fixture.url, json!({"X-Edit": "1"}));
    ext["quarantined"] = json!(false);
    config["mcpServers"] = json!([ext]);
    write_atomically(&config);
    events
        .wait("config.reloaded", |d| d["path"].is_string())
        .await;
    api.wait_ready("ext").await;
    assert_eq!(
        api.call_text("ext:get_header", json!({"name": "x-edit"}))
            .await,
        "1"
    );

    // An invalid edit is reported (SSE + log) and the running config stays.
    std::fs::write(
        &proxy.config_path,
        r#"{"mcpServers": [{"name": "ext", "protocol": "http", "url": "http://127.0.0.1:1/mcp", "enabled": "secret-ish-value"}]}"#,
    )
    .unwrap();
    let invalid = events.wait("config.invalid", |_| true).await;
    let error = invalid["error"].as_str().unwrap();
    assert!(error.contains("mcpServers[0].enabled"), "{error}");
    assert!(!error.contains("secret-ish-value"), "{error}");
    assert_eq!(api.server("ext").await["status"], "ready");
    wait_for("the invalid edit to be logged", READY, || async {
        let log = std::fs::read_to_string(&proxy.stderr_log).unwrap_or_default();
        log.contains("ignoring an invalid edit").then_some(())
    })
    .await;

    // A fixed file applies again; API writes then build on it.
    config["mcpServers"][0]["headers"]["X-Edit"] = json!("1b");
    write_atomically(&config);
    wait_for("the fixed config to be applied", READY, || async {
        let reloads = events
            .seen
            .lock()
            .unwrap()
            .iter()
            .filter(|(n, _)| n == "config.reloaded")
            .count();
        (reloads >= 2).then_some(())
    })
    .await;
    api.wait_ready("ext").await;
    wait_for("the upstream to get X-Edit 1b", READY, || async {
        (api.call_text("ext:get_header", json!({"name": "x-edit"}))
            .await
            == "1b")
            .then_some(())
    })
    .await;
    let patched = api
        .patch("/servers/ext", json!({"headers": {"X-Edit": "2"}}))
        .await;
    assert_eq!(patched.status, 200);
    api.wait_ready("ext").await;
    assert_eq!(
        api.call_text("ext:get_header", json!({"name": "x-edit"}))
            .await,
        "2"
    );
    config["mcpServers"] = json!([]);
    write_atomically(&config);
    wait_for("the removed server to go", READY, || async {
        let answer = api.get("/servers").await;
        answer.data()["servers"]
            .as_array()
            .unwrap()
            .is_empty()
            .then_some(())
    })
    .await;
}
