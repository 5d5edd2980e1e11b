//! Who decides (issue 16 items 1, 2, 8, 9): an AI client on `/mcp*` never gets something run
//! or reached that a person did not approve; hand edits of the file are quarantined while the
//! core runs; every decision and change is audited with its surface; the reference's security
//! settings work. Real binary, real MCP client (rmcp), real upstream (server-everything).

mod common;
mod rest_support;

use common::*;
use rest_support::{Api, Events, KEY, READY};
use serde_json::{json, Value};
use std::path::{Path, PathBuf};
use std::time::Duration;

/// server-everything over stdio, trusted (as a person would write it).
fn everything(name: &str) -> Value {
    json!({
        "name": name,
        "protocol": "stdio",
        "command": "node",
        "args": [everything_js(), "stdio"],
    })
}

/// A shell command that leaves `marker` behind, then runs server-everything.
fn marking_shell(marker: &Path) -> String {
    format!(
        "touch '{}'; exec node '{}' stdio",
        marker.display(),
        everything_js().display()
    )
}

fn on_disk(proxy: &Proxy) -> Value {
    serde_json::from_str(&std::fs::read_to_string(&proxy.config_path).unwrap()).unwrap()
}

fn disk_server(proxy: &Proxy, name: &str) -> Option<Value> {
    on_disk(proxy)["mcpServers"]
        .as_array()?
        .iter()
        .find(|s| s["name"] == name)
        .cloned()
}

async fn wait_file(path: &Path) {
    let what = format!("{} to appear", path.display());
    wait_for(&what, READY, || async { path.exists().then_some(()) }).await;
}

async fn approve(api: &Api, name: &str) {
    let answer = api
        .post(&format!("/servers/{name}/unquarantine"), json!({}))
        .await;
    assert_eq!(answer.status, 200, "{}", answer.text);
}

async fn activity(api: &Api, query: &str) -> Vec<Value> {
    let answer = api.get(&format!("/activity?limit=1000&{query}")).await;
    answer.data()["records"].as_array().unwrap().clone()
}

/// Assert that `name` is quarantined everywhere a person looks (REST, the file) and that its
/// command did not run (`marker` absent).
async fn assert_held(api: &Api, proxy: &Proxy, name: &str, marker: Option<&Path>, why: &str) {
    let server = api.server(name).await;
    assert_eq!(server["quarantined"], true, "{why}: {server}");
    assert_eq!(server["status"], "quarantined", "{why}: {server}");
    let stored = disk_server(proxy, name).unwrap();
    assert_eq!(stored["quarantined"], true, "{why}: {stored}");
    if let Some(marker) = marker {
        assert!(
            !marker.exists(),
            "{why}: the new command ran before approval"
        );
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn mcp_changes_to_what_runs_or_where_it_connects_requarantine_before_anything_runs() {
    let fixture = HttpFixture::start("web");
    let web = json!({"name": "web", "protocol": "http", "url": fixture.url});
    let proxy = Proxy::start(json!([everything("ev"), web]), json!({}));
    let api = Api::new(&proxy.base);
    api.wait_ready("ev").await;
    api.wait_ready("web").await;
    let (client, _rx) = connect(&proxy.mcp_url()).await;
    let marks = tempfile::tempdir().unwrap();
    let mark = |n: &str| marks.path().join(n);
    let hook = marks.path().join("hook.js");
    std::fs::write(
        &hook,
        format!(
            "require('fs').writeFileSync({:?}, 'x');",
            mark("env").display().to_string()
        ),
    )
    .unwrap();
    let cases: Vec<(&str, &str, Value, Option<PathBuf>)> = vec![
        (
            "ev",
            "command",
            json!({"command": "/bin/sh", "args": ["-c", marking_shell(&mark("command"))]}),
            Some(mark("command")),
        ),
        (
            "ev",
            "env",
            json!({"env": {"NODE_OPTIONS": format!("--require {}", hook.display())}}),
            Some(mark("env")),
        ),
        (
            "ev",
            "args",
            json!({"args": ["-c", marking_shell(&mark("args"))]}),
            Some(mark("args")),
        ),
        ("ev", "working_dir", json!({"working_dir": "/tmp"}), None),
        ("ev", "protocol", json!({"protocol": "auto"}), None),
        (
            "ev",
            "isolation",
            json!({"isolation": {"enabled": false}}),
            None,
        ),
        (
            "ev",
            "disabled_tools",
            json!({"disabled_tools": ["echo"]}),
            None,
        ),
        (
            "web",
            "headers",
            json!({"headers": {"X-Injected": "1"}}),
            None,
        ),
        (
            "web",
            "oauth",
            json!({"oauth": {"client_id": "from-the-model"}}),
            None,
        ),
        ("web", "url", json!({"url": "http://127.0.0.1:9/mcp"}), None),
    ];
    let total = cases.len();
    for (name, field, patch, marker) in cases {
        let operation = if field == "args" { "update" } else { "patch" };
        let answer = call(
            &client,
            "upstream_servers",
            json!({"operation": operation, "name": name, "patch": patch}),
        )
        .await;
        let said = text(&answer);
        assert_ne!(answer.is_error, Some(true), "{field}: {said}");
        assert!(
            said.contains(&format!("mcpproxy upstream approve {name}")),
            "{field}: the answer must say a person approves it: {said}"
        );
        assert_held(&api, &proxy, name, marker.as_deref(), field).await;
        // A person approves: only now does the new command run (proves the marker works).
        approve(&api, name).await;
        if let Some(marker) = &marker {
            wait_file(marker).await;
        }
        if name == "ev" {
            api.wait_ready("ev").await;
        }
    }
    // Changes that touch nothing that runs or connects do not need approval.
    let answer = call(
        &client,
        "upstream_servers",
        json!({"operation": "disable", "name": "ev"}),
    )
    .await;
    assert_ne!(answer.is_error, Some(true), "{}", text(&answer));
    assert_eq!(api.server("ev").await["quarantined"], false);
    // The re-quarantines are audited as MCP decisions.
    let records = activity(&api, "type=quarantine").await;
    let by_mcp = records
        .iter()
        .filter(|r| r["source"] == "mcp" && r["status"] == "quarantined")
        .count();
    assert_eq!(by_mcp, total, "{records:?}");
    client.cancel().await.unwrap();
}

#[tokio::test(flavor = "multi_thread")]
async fn mcp_remove_then_add_under_the_same_name_ends_quarantined() {
    let proxy = Proxy::start(json!([everything("ev")]), json!({}));
    let api = Api::new(&proxy.base);
    api.wait_ready("ev").await;
    let (client, _rx) = connect(&proxy.mcp_url()).await;
    let marks = tempfile::tempdir().unwrap();
    let marker = marks.path().join("readded");
    let server =
        json!({"name": "ev", "command": "/bin/sh", "args": ["-c", marking_shell(&marker)]});

    // Adding over the existing name is refused.
    let over = call(
        &client,
        "upstream_servers",
        json!({"operation": "add", "server": server}),
    )
    .await;
    assert_eq!(over.is_error, Some(true), "{}", text(&over));
    let removed = call(
        &client,
        "upstream_servers",
        json!({"operation": "remove", "name": "ev"}),
    )
    .await;
    assert_ne!(removed.is_error, Some(true), "{}", text(&removed));
    // An explicit "quarantined": false from an AI client is refused, not stored.
    let mut opt_out = server.clone();
    opt_out["quarantined"] = json!(false);
    let refused = call(
        &client,
        "upstream_servers",
        json!({"operation": "add", "server": opt_out}),
    )
    .await;
    assert_eq!(refused.is_error, Some(true), "{}", text(&refused));
    assert!(disk_server(&proxy, "ev").is_none());
    let added = call(
        &client,
        "upstream_servers",
        json!({"operation": "add", "server": server}),
    )
    .await;
    assert_ne!(added.is_error, Some(true), "{}", text(&added));
    assert_held(&api, &proxy, "ev", Some(&marker), "re-added").await;
    approve(&api, "ev").await;
    wait_file(&marker).await;
    client.cancel().await.unwrap();
}

#[tokio::test(flavor = "multi_thread")]
async fn with_quarantine_off_mcp_cannot_change_what_runs_or_add_servers() {
    let proxy = Proxy::start(
        json!([everything("ev")]),
        json!({"quarantine_enabled": false}),
    );
    let api = Api::new(&proxy.base);
    api.wait_ready("ev").await;
    let (client, _rx) = connect(&proxy.mcp_url()).await;
    let marks = tempfile::tempdir().unwrap();
    let marker = marks.path().join("off");
    let before = std::fs::read_to_string(&proxy.config_path).unwrap();
    let patch = call(
        &client,
        "upstream_servers",
        json!({"operation": "patch", "name": "ev", "patch": {"command": "/bin/sh", "args": ["-c", marking_shell(&marker)]}}),
    )
    .await;
    assert_eq!(patch.is_error, Some(true), "{}", text(&patch));
    assert!(
        text(&patch).contains("quarantine_enabled"),
        "{}",
        text(&patch)
    );
    let add = call(
        &client,
        "upstream_servers",
        json!({"operation": "add", "server": {"name": "new", "command": "/bin/sh", "args": ["-c", marking_shell(&marker)]}}),
    )
    .await;
    assert_eq!(add.is_error, Some(true), "{}", text(&add));
    assert_eq!(std::fs::read_to_string(&proxy.config_path).unwrap(), before);
    assert!(!marker.exists());
    // A person still can.
    let answer = api
        .patch("/servers/ev", json!({"env": {"MODE": "person"}}))
        .await;
    assert_eq!(answer.status, 200, "{}", answer.text);
    assert_eq!(answer.data()["quarantined"], false);
    client.cancel().await.unwrap();
}

#[tokio::test(flavor = "multi_thread")]
async fn a_server_appended_to_the_file_while_running_is_quarantined_before_it_runs() {
    let proxy = Proxy::start(json!([]), json!({}));
    let api = Api::new(&proxy.base);
    let events = Events::subscribe(&proxy.base).await;
    events.wait("status", |_| true).await;
    let marks = tempfile::tempdir().unwrap();
    let marker = marks.path().join("hand");
    let mut config = on_disk(&proxy);
    config["mcpServers"] = json!([{
        "name": "hand", "command": "/bin/sh", "args": ["-c", marking_shell(&marker)]
    }]);
    let tmp = proxy.dir.path().join("edit.tmp");
    std::fs::write(&tmp, serde_json::to_string_pretty(&config).unwrap()).unwrap();
    std::fs::rename(&tmp, &proxy.config_path).unwrap();
    events.wait("config.reloaded", |_| true).await;
    // Written back to the file, held on every surface, and its command never ran.
    wait_for("the quarantine to be written back", READY, || async {
        disk_server(&proxy, "hand")
            .filter(|s| s["quarantined"] == true)
            .map(|_| ())
    })
    .await;
    assert_held(&api, &proxy, "hand", Some(&marker), "hand-added").await;
    let records = activity(&api, "type=quarantine&server=hand").await;
    assert!(
        records
            .iter()
            .any(|r| r["source"] == "file" && r["status"] == "quarantined"),
        "{records:?}"
    );
    // A person approves it: now it runs.
    approve(&api, "hand").await;
    wait_file(&marker).await;
    // A server the person marks trusted in the file runs at once.
    let trusted_marker = marks.path().join("trusted");
    let mut config = on_disk(&proxy);
    config["mcpServers"].as_array_mut().unwrap().push(json!({
        "name": "trusted", "command": "/bin/sh", "args": ["-c", marking_shell(&trusted_marker)],
        "quarantined": false
    }));
    std::fs::write(&tmp, serde_json::to_string_pretty(&config).unwrap()).unwrap();
    std::fs::rename(&tmp, &proxy.config_path).unwrap();
    wait_file(&trusted_marker).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn every_decision_and_change_is_audited_with_its_surface_and_masked() {
    let secret = "Bearer audit-secret-value-123456";
    let proxy = Proxy::start(json!([]), json!({}));
    let api = Api::new(&proxy.base);
    let http = reqwest::Client::new();
    let send = |method: reqwest::Method, path: &str, source: Option<&str>, body: Value| {
        let mut request = http
            .request(method, format!("{}/api/v1{path}", proxy.base))
            .header("X-API-Key", KEY)
            .json(&body);
        if let Some(source) = source {
            request = request.header("X-MCPProxy-Source", source);
        }
        let path = path.to_string();
        async move {
            let response = request.send().await.unwrap();
            let status = response.status().as_u16();
            assert!(status < 300, "{path}: {}", response.text().await.unwrap());
        }
    };
    use reqwest::Method;
    send(
        Method::POST,
        "/servers",
        Some("ui"),
        json!({"name": "a", "protocol": "http", "url": "http://127.0.0.1:9/mcp", "enabled": false,
               "headers": {"Authorization": secret}}),
    )
    .await;
    send(
        Method::PATCH,
        "/servers/a",
        Some("cli"),
        json!({"headers": {"X-Trace": "on"}, "env": {"API_TOKEN": "tok-audit-987654321"}}),
    )
    .await;
    send(Method::POST, "/servers/a/enable", Some("tray"), json!({})).await;
    send(Method::POST, "/servers/a/disable", None, json!({})).await;
    send(
        Method::PATCH,
        "/servers/a",
        None,
        json!({"quarantined": false}),
    )
    .await;
    send(
        Method::POST,
        "/servers/a/quarantine",
        Some("cli"),
        json!({}),
    )
    .await;
    send(
        Method::POST,
        "/servers/a/unquarantine",
        Some("ui"),
        json!({}),
    )
    .await;
    let (client, _rx) = connect(&proxy.mcp_url()).await;
    for args in [
        json!({"operation": "add", "server": {"name": "b", "url": "http://127.0.0.1:9/mcp", "protocol": "http"}}),
        json!({"operation": "patch", "name": "b", "patch": {"headers": {"Authorization": "Bearer from-model-5555"}}}),
        json!({"operation": "remove", "name": "b"}),
    ] {
        let answer = call(&client, "upstream_servers", args).await;
        assert_ne!(answer.is_error, Some(true), "{}", text(&answer));
    }
    send(Method::DELETE, "/servers/a", Some("cli"), json!({})).await;

    let config = activity(&api, "type=config").await;
    let has = |records: &[Value], server: &str, source: &str, status: &str| {
        records
            .iter()
            .any(|r| r["server"] == server && r["source"] == source && r["status"] == status)
    };
    for (server, source, status) in [
        ("a", "ui", "add"),
        ("a", "cli", "patch"),
        ("a", "tray", "enable"),
        ("a", "api", "disable"),
        ("a", "cli", "remove"),
        ("b", "mcp", "add"),
        ("b", "mcp", "patch"),
        ("b", "mcp", "remove"),
    ] {
        assert!(
            has(&config, server, source, status),
            "no config record {server}/{source}/{status}: {config:#?}"
        );
    }
    let decisions = activity(&api, "type=quarantine").await;
    for (server, source, status) in [
        ("a", "ui", "quarantined"),
        ("a", "api", "approved"),
        ("a", "cli", "quarantined"),
        ("a", "ui", "approved"),
        ("b", "mcp", "quarantined"),
    ] {
        assert!(
            has(&decisions, server, source, status),
            "no quarantine record {server}/{source}/{status}: {decisions:#?}"
        );
    }
    let everything = api.get("/activity?limit=1000").await.text;
    for leaked in [
        "audit-secret-value-123456",
        "tok-audit-987654321",
        "from-model-5555",
    ] {
        assert!(!everything.contains(leaked), "{leaked} in the activity log");
    }
    let patch = config
        .iter()
        .find(|r| r["server"] == "a" && r["status"] == "patch" && r["source"] == "cli")
        .unwrap();
    assert!(
        patch["arguments"].to_string().contains("X-Trace"),
        "the record says what changed: {patch}"
    );
    client.cancel().await.unwrap();
}

async fn tool_names(client: &Client) -> Vec<String> {
    client
        .peer()
        .list_all_tools()
        .await
        .unwrap()
        .into_iter()
        .map(|t| t.name.to_string())
        .collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn read_only_mode_refuses_every_config_change_from_mcp_and_rest() {
    let proxy = Proxy::start(
        json!([{"name": "a", "protocol": "http", "url": "http://127.0.0.1:9/mcp", "enabled": false}]),
        json!({"read_only_mode": true}),
    );
    let api = Api::new(&proxy.base);
    let before = std::fs::read_to_string(&proxy.config_path).unwrap();
    let (client, _rx) = connect(&proxy.mcp_url()).await;
    for args in [
        json!({"operation": "add", "server": {"name": "b", "url": "http://127.0.0.1:9/mcp"}}),
        json!({"operation": "patch", "name": "a", "patch": {"url": "http://127.0.0.1:8/mcp"}}),
        json!({"operation": "enable", "name": "a"}),
        json!({"operation": "remove", "name": "a"}),
    ] {
        let answer = call(&client, "upstream_servers", args.clone()).await;
        assert_eq!(answer.is_error, Some(true), "{args}: {}", text(&answer));
        assert!(
            text(&answer).contains("read_only_mode"),
            "{}",
            text(&answer)
        );
    }
    let list = call(&client, "upstream_servers", json!({"operation": "list"})).await;
    assert_ne!(list.is_error, Some(true));
    let refused = [
        api.post(
            "/servers",
            json!({"name": "b", "url": "http://127.0.0.1:9/mcp"}),
        )
        .await,
        api.patch("/servers/a", json!({"url": "http://127.0.0.1:8/mcp"}))
            .await,
        api.post("/servers/a/enable", json!({})).await,
        api.send(reqwest::Method::DELETE, "/servers/a", None).await,
    ];
    for answer in refused {
        assert_eq!(answer.status, 403, "{}", answer.text);
        assert!(answer.error().contains("read_only_mode"), "{}", answer.text);
    }
    assert_eq!(std::fs::read_to_string(&proxy.config_path).unwrap(), before);
    client.cancel().await.unwrap();
}

#[tokio::test(flavor = "multi_thread")]
async fn disable_management_hides_the_management_tool_and_allow_flags_refuse_add_and_remove() {
    let proxy = Proxy::start(
        json!([{"name": "a", "protocol": "http", "url": "http://127.0.0.1:9/mcp", "enabled": false}]),
        json!({"disable_management": true}),
    );
    let (client, _rx) = connect(&proxy.mcp_url()).await;
    assert!(!tool_names(&client)
        .await
        .contains(&"upstream_servers".to_string()));
    let answer = call(&client, "upstream_servers", json!({"operation": "list"})).await;
    assert_eq!(answer.is_error, Some(true));
    assert!(
        text(&answer).contains("disable_management"),
        "{}",
        text(&answer)
    );
    client.cancel().await.unwrap();
    drop(proxy);

    let proxy = Proxy::start(
        json!([{"name": "a", "protocol": "http", "url": "http://127.0.0.1:9/mcp", "enabled": false}]),
        json!({"allow_server_add": false, "allow_server_remove": false}),
    );
    let api = Api::new(&proxy.base);
    let (client, _rx) = connect(&proxy.mcp_url()).await;
    let add = call(
        &client,
        "upstream_servers",
        json!({"operation": "add", "server": {"name": "b", "url": "http://127.0.0.1:9/mcp"}}),
    )
    .await;
    assert_eq!(add.is_error, Some(true));
    assert!(text(&add).contains("allow_server_add"), "{}", text(&add));
    let remove = call(
        &client,
        "upstream_servers",
        json!({"operation": "remove", "name": "a"}),
    )
    .await;
    assert_eq!(remove.is_error, Some(true));
    assert!(
        text(&remove).contains("allow_server_remove"),
        "{}",
        text(&remove)
    );
    assert!(disk_server(&proxy, "a").is_some());
    assert!(disk_server(&proxy, "b").is_none());
    // These settings limit AI clients; a person still adds and removes.
    let added = api
        .post(
            "/servers",
            json!({"name": "c", "url": "http://127.0.0.1:9/mcp", "enabled": false}),
        )
        .await;
    assert_eq!(added.status, 201, "{}", added.text);
    client.cancel().await.unwrap();
}

async fn initialize_status(url: &str, auth: Option<(&str, String)>) -> (u16, String) {
    let mut request = reqwest::Client::new()
        .post(url)
        .header("Accept", "application/json, text/event-stream")
        .json(
            &json!({"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {
            "protocolVersion": "2025-06-18", "capabilities": {},
            "clientInfo": {"name": "t", "version": "0"}}}),
        );
    if let Some((header, value)) = auth {
        request = request.header(header, value);
    }
    let response = request.send().await.unwrap();
    let status = response.status().as_u16();
    (status, response.text().await.unwrap_or_default())
}

#[tokio::test(flavor = "multi_thread")]
async fn require_mcp_auth_needs_the_api_key_on_every_mcp_path() {
    let proxy = Proxy::start(json!([everything("ev")]), json!({"require_mcp_auth": true}));
    let api = Api::new(&proxy.base);
    api.wait_ready("ev").await;
    for path in ["/mcp", "/mcp/all", "/mcp/server/ev"] {
        let url = format!("{}{path}", proxy.base);
        let (status, body) = initialize_status(&url, None).await;
        assert_eq!(status, 401, "{path} without key: {body}");
        let error: Value = serde_json::from_str(&body).expect("a JSON error");
        assert!(
            error.to_string().contains("X-API-Key"),
            "says how to authenticate: {body}"
        );
        let (status, _) = initialize_status(&url, Some(("X-API-Key", "wrong".into()))).await;
        assert_eq!(status, 401, "{path} with a wrong key");
        let (status, body) = initialize_status(&url, Some(("X-API-Key", KEY.into()))).await;
        assert_eq!(status, 200, "{path} with X-API-Key: {body}");
        let (status, _) =
            initialize_status(&url, Some(("Authorization", format!("Bearer {KEY}")))).await;
        assert_eq!(status, 200, "{path} with Bearer");
        let (status, _) = initialize_status(&format!("{url}?apikey={KEY}"), None).await;
        assert_eq!(status, 200, "{path} with ?apikey=");
    }
    // Off by default: the same request without a key works.
    let open = Proxy::start(json!([]), json!({}));
    let (status, _) = initialize_status(&open.mcp_url(), None).await;
    assert_eq!(status, 200);
}

#[tokio::test(flavor = "multi_thread")]
async fn disabled_and_not_enabled_tools_are_absent_from_every_surface_and_refused() {
    let mut deny = everything("deny");
    deny["disabled_tools"] = json!(["echo"]);
    let mut allow = everything("allow");
    allow["enabled_tools"] = json!(["echo"]);
    let proxy = Proxy::start(json!([deny, allow]), json!({}));
    let api = Api::new(&proxy.base);
    api.wait_ready("deny").await;
    api.wait_ready("allow").await;
    let (client, _rx) = connect(&proxy.mcp_url()).await;
    wait_for_tool(&client, "echo message", "allow:echo").await;
    wait_for_tool(&client, "add two numbers sum", "deny:get-sum").await;
    let found = json_of(
        &call(
            &client,
            "retrieve_tools",
            json!({"query": "echo message back sum numbers env", "limit": 100}),
        )
        .await,
    );
    let names: Vec<&str> = found["tools"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["name"].as_str().unwrap())
        .collect();
    assert!(!names.contains(&"deny:echo"), "{names:?}");
    assert!(
        names
            .iter()
            .all(|n| !n.starts_with("allow:") || *n == "allow:echo"),
        "{names:?}"
    );
    for name in ["deny:echo", "allow:get-sum"] {
        // Refused either as a tool error or as the spec's unknown-tool error (-32602): the
        // client sees no such tool.
        let answer = client
            .peer()
            .call_tool(
                rmcp::model::CallToolRequestParams::new("call_tool_destructive").with_arguments(
                    obj(json!({"name": name, "args": {"message": "x", "a": 1, "b": 2}})),
                ),
            )
            .await;
        match answer {
            Ok(result) => assert_eq!(result.is_error, Some(true), "{name}: {}", text(&result)),
            Err(err) => assert!(err.to_string().contains("-32602"), "{name}: {err}"),
        }
    }
    let (all, _rx2) = connect(&proxy.all_url()).await;
    let listed = tool_names(&all).await;
    assert!(!listed.contains(&"deny__echo".to_string()), "{listed:?}");
    assert!(listed.contains(&"allow__echo".to_string()), "{listed:?}");
    assert!(
        !listed.contains(&"allow__get-sum".to_string()),
        "{listed:?}"
    );
    let refused = all
        .peer()
        .call_tool(
            rmcp::model::CallToolRequestParams::new("deny__echo")
                .with_arguments(obj(json!({"message": "x"}))),
        )
        .await;
    assert!(
        refused.is_err() || refused.as_ref().unwrap().is_error == Some(true),
        "{refused:?}"
    );
    let (one, _rx3) = connect(&format!("{}/mcp/server/deny", proxy.base)).await;
    let listed = tool_names(&one).await;
    assert!(!listed.contains(&"echo".to_string()), "{listed:?}");
    assert!(listed.contains(&"get-sum".to_string()), "{listed:?}");
    let refused = one
        .peer()
        .call_tool(
            rmcp::model::CallToolRequestParams::new("echo")
                .with_arguments(obj(json!({"message": "x"}))),
        )
        .await;
    assert!(
        refused.is_err() || refused.as_ref().unwrap().is_error == Some(true),
        "{refused:?}"
    );
    let rest = api.get("/tools").await;
    let rest_names: Vec<String> = rest.data()["tools"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["name"].as_str().unwrap().to_string())
        .collect();
    assert!(
        !rest_names.contains(&"deny:echo".to_string()),
        "{rest_names:?}"
    );
    for c in [client, all, one] {
        c.cancel().await.unwrap();
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_reference_security_key_we_do_not_implement_is_named_in_a_start_up_warning() {
    let proxy = Proxy::start(json!([]), json!({"enable_code_execution": true}));
    let api = Api::new(&proxy.base);
    assert_eq!(api.get("/servers").await.status, 200);
    wait_for("the warning", Duration::from_secs(10), || async {
        let log = std::fs::read_to_string(&proxy.stderr_log).unwrap_or_default();
        log.lines()
            .any(|l| l.contains("WARN") && l.contains("enable_code_execution"))
            .then_some(())
    })
    .await;
}

/// False (after saying why) when no Secret Service is reachable outside CI (scripts/test.sh
/// runs the suite inside a private dbus session with an unlocked gnome-keyring).
fn keyring_ready() -> bool {
    match mcpproxy::secrets::keyring::Keyring::probe() {
        Ok(()) => true,
        Err(err) => {
            let ci = std::env::var("CI").is_ok_and(|v| !v.is_empty() && v != "false" && v != "0");
            assert!(!ci, "CI must provide a Secret Service: {err}");
            eprintln!("skipping keyring test: {err}");
            false
        }
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn secret_changes_are_audited_by_name_with_their_surface_and_never_their_value() {
    if !keyring_ready() {
        return;
    }
    let suffix = uuid::Uuid::new_v4().simple().to_string();
    let (stored, converted) = (format!("aud_set_{suffix}"), format!("aud_conv_{suffix}"));
    let value = "audit-keyring-value-24680";
    let literal = "literal-header-value-13579";
    let proxy = Proxy::start(
        json!([{"name": "a", "protocol": "http", "url": "http://127.0.0.1:9/mcp", "enabled": false,
                "headers": {"X-Api-Key": literal}}]),
        json!({}),
    );
    let api = Api::new(&proxy.base);
    let http = reqwest::Client::new();
    let url = |path: &str| format!("{}/api/v1{path}", proxy.base);
    let response = http
        .post(url("/secrets"))
        .header("X-API-Key", KEY)
        .header("X-MCPProxy-Source", "cli")
        .json(&json!({"name": stored, "value": value}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200, "{}", response.text().await.unwrap());
    let response = http
        .post(url("/servers/a/config-to-secret"))
        .header("X-API-Key", KEY)
        .header("X-MCPProxy-Source", "ui")
        .json(&json!({"scope": "header", "key": "X-Api-Key", "secret_name": converted}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200, "{}", response.text().await.unwrap());
    for name in [&stored, &converted] {
        let answer = api
            .send(reqwest::Method::DELETE, &format!("/secrets/{name}"), None)
            .await;
        assert_eq!(answer.status, 200, "{}", answer.text);
    }
    let records = activity(&api, "type=config").await;
    let has = |source: &str, status: &str, name: &str| {
        records.iter().any(|r| {
            r["source"] == source
                && r["status"] == status
                && r["detail"].as_str().unwrap_or_default().contains(name)
        })
    };
    assert!(has("cli", "secret_set", &stored), "{records:#?}");
    assert!(has("ui", "convert_to_secret", &converted), "{records:#?}");
    assert!(has("api", "secret_delete", &stored), "{records:#?}");
    let everything = api.get("/activity?limit=1000").await.text;
    for leaked in [value, literal] {
        assert!(!everything.contains(leaked), "{leaked} in the activity log");
    }
}
