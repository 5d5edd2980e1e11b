//! End-to-end: the real `mcpproxy` binary in front of the Rust fixture server (stdio and
//! Streamable HTTP), driven by a real rmcp client.

mod common;

use common::*;
use rmcp::model::{CallToolRequest, CallToolRequestParams, ClientRequest};
use rmcp::service::PeerRequestOptions;
use serde_json::json;
use std::time::Duration;

const READY: Duration = Duration::from_secs(60);

#[tokio::test(flavor = "multi_thread")]
async fn retrieve_tools_ranks_and_call_variants_are_enforced() {
    let proxy = Proxy::start(json!([fixture_stdio("fx")]), json!({}));
    let (client, _rx) = connect(&proxy.mcp_url()).await;
    wait_for_tool(&client, "echo", "fx:echo").await;

    // Ranking: the exact tool name wins, and each hit says how to call it.
    let found = json_of(
        &call(
            &client,
            "retrieve_tools",
            json!({"query": "echo a message back"}),
        )
        .await,
    );
    assert_eq!(found["tools"][0]["name"], "fx:echo", "{found}");
    assert_eq!(found["tools"][0]["call_with"], "call_tool_read");
    assert!(found["tools"][0]["inputSchema"]["properties"]["message"].is_object());
    let found = json_of(
        &call(
            &client,
            "retrieve_tools",
            json!({"query": "delete item", "limit": 3}),
        )
        .await,
    );
    assert_eq!(found["tools"][0]["name"], "fx:delete_item", "{found}");
    assert_eq!(found["tools"][0]["call_with"], "call_tool_destructive");
    assert!(found["tools"].as_array().unwrap().len() <= 3);

    // Each variant reaches the tools it may.
    let echoed = call(
        &client,
        "call_tool_read",
        json!({"name": "fx:echo", "args": {"message": "hi there"}}),
    )
    .await;
    assert_eq!(text(&echoed), "hi there");
    assert_ne!(echoed.is_error, Some(true));
    let noted = call(
        &client,
        "call_tool_write",
        json!({"name": "fx:write_note", "args": {"text": "n1"}}),
    )
    .await;
    assert_eq!(text(&noted), "noted: n1");
    let deleted = call(
        &client,
        "call_tool_destructive",
        json!({"name": "fx:delete_item", "args": {"id": "7"}}),
    )
    .await;
    assert_eq!(text(&deleted), "deleted 7");

    // A weaker variant is refused with the right one named.
    let refused = call(
        &client,
        "call_tool_read",
        json!({"name": "fx:write_note", "args": {"text": "x"}}),
    )
    .await;
    assert_eq!(refused.is_error, Some(true));
    assert!(
        text(&refused).contains("call_tool_write"),
        "{}",
        text(&refused)
    );
    for variant in ["call_tool_read", "call_tool_write"] {
        let refused = call(
            &client,
            variant,
            json!({"name": "fx:delete_item", "args": {"id": "1"}}),
        )
        .await;
        assert_eq!(refused.is_error, Some(true));
        assert!(
            text(&refused).contains("use call_tool_destructive"),
            "{}",
            text(&refused)
        );
    }

    // Arguments are checked against the schema before the upstream is contacted.
    let bad = call(
        &client,
        "call_tool_read",
        json!({"name": "fx:echo", "args": {"message": 5}}),
    )
    .await;
    assert_eq!(bad.is_error, Some(true));
    let message = text(&bad);
    assert!(
        message.contains("Invalid arguments for fx:echo"),
        "{message}"
    );
    assert!(message.contains("/message"), "{message}");
    let missing = call(
        &client,
        "call_tool_read",
        json!({"name": "fx:echo", "args": {}}),
    )
    .await;
    assert!(text(&missing).contains("message"), "{}", text(&missing));

    // Unknown tools get the spec's answer (JSON-RPC -32602) with a hint, not a crash.
    let unknown = client
        .peer()
        .call_tool(
            rmcp::model::CallToolRequestParams::new("call_tool_read")
                .with_arguments(obj(json!({"name": "fx:nope", "args": {}}))),
        )
        .await
        .expect_err("an unknown tool is a protocol error");
    let unknown = unknown.to_string();
    assert!(unknown.contains("-32602"), "{unknown}");
    assert!(unknown.contains("Unknown tool: fx:nope"), "{unknown}");
    assert!(unknown.contains("retrieve_tools"), "{unknown}");

    // describe_tool returns the full definition.
    let described =
        json_of(&call(&client, "describe_tool", json!({"name": "fx:delete_item"})).await);
    assert_eq!(described["annotations"]["destructiveHint"], true);
    client.cancel().await.unwrap();
}

#[tokio::test(flavor = "multi_thread")]
async fn large_results_are_truncated_and_paged_with_read_cache() {
    let proxy = Proxy::start(
        json!([fixture_stdio("fx")]),
        json!({"tool_response_limit": 1000}),
    );
    let (client, _rx) = connect(&proxy.mcp_url()).await;
    wait_for_tool(&client, "large output", "fx:large_output").await;
    let found = json_of(&call(&client, "describe_tool", json!({"name": "fx:large_output"})).await);
    let variant = found["call_with"].as_str().unwrap().to_string();
    let result = call(
        &client,
        &variant,
        json!({"name": "fx:large_output", "args": {"size": 2500}}),
    )
    .await;
    let shown = text(&result);
    assert!(shown.contains("truncated to 1000 of 2500"), "{shown}");
    let key = shown
        .split("\"key\": \"")
        .nth(1)
        .unwrap()
        .split('"')
        .next()
        .unwrap()
        .to_string();
    let mut full: String = shown.chars().take(1000).collect();
    let mut offset = 1000;
    for _ in 0..10 {
        let page = json_of(
            &call(
                &client,
                "read_cache",
                json!({"key": key, "offset": offset, "limit": 700}),
            )
            .await,
        );
        assert_eq!(page["total"], 2500);
        full.push_str(page["content"].as_str().unwrap());
        match page["next_offset"].as_u64() {
            Some(next) => offset = next as usize,
            None => break,
        }
    }
    assert_eq!(full.len(), 2500);
    let expected: String = "0123456789".repeat(250);
    assert_eq!(full, expected);
    let expired = call(&client, "read_cache", json!({"key": "missing"})).await;
    assert_eq!(expired.is_error, Some(true));
    client.cancel().await.unwrap();
}

#[tokio::test(flavor = "multi_thread")]
async fn mcp_all_names_tools_and_propagates_list_changed() {
    // Tool approval is off here: this is about list_changed propagation (approval has its own tests).
    let proxy = Proxy::start(
        json!([fixture_stdio("fx")]),
        json!({"quarantine_enabled": false}),
    );
    let (client, mut rx) = connect(&proxy.all_url()).await;
    let tools = wait_for("fx tools on /mcp/all", READY, || async {
        let tools = client.peer().list_all_tools().await.ok()?;
        tools.iter().any(|t| t.name == "fx__echo").then_some(tools)
    })
    .await;
    let delete = tools.iter().find(|t| t.name == "fx__delete_item").unwrap();
    assert_eq!(
        delete.annotations.as_ref().unwrap().destructive_hint,
        Some(true)
    );
    assert!(delete.description.as_deref().unwrap().contains("Delete"));
    assert!(tools.iter().all(|t| t.name.len() <= 64));

    let echoed = call(&client, "fx__echo", json!({"message": "direct"})).await;
    assert_eq!(text(&echoed), "direct");

    // Drain notifications from the initial connect, then change the upstream's tool list.
    while rx.try_recv().is_ok() {}
    call(
        &client,
        "fx__add_tool",
        json!({"name": "dyn_one", "description": "A dynamic tool"}),
    )
    .await;
    let seen = tokio::time::timeout(Duration::from_secs(30), async {
        loop {
            match rx.recv().await {
                Some(Seen::ToolsChanged) => break true,
                Some(_) => continue,
                None => break false,
            }
        }
    })
    .await
    .expect("no tools/list_changed within 30s");
    assert!(seen);
    let tools = client.peer().list_all_tools().await.unwrap();
    assert!(tools.iter().any(|t| t.name == "fx__dyn_one"), "{tools:?}");
    let dynamic = call(&client, "fx__dyn_one", json!({})).await;
    assert_eq!(text(&dynamic), "dynamic dyn_one");
    client.cancel().await.unwrap();
}

#[tokio::test(flavor = "multi_thread")]
async fn progress_and_cancellation_are_forwarded() {
    let proxy = Proxy::start(json!([fixture_stdio("fx")]), json!({}));
    let (client, mut rx) = connect(&proxy.all_url()).await;
    wait_for("fx tools", READY, || async {
        let tools = client.peer().list_all_tools().await.ok()?;
        tools.iter().any(|t| t.name == "fx__progress").then_some(())
    })
    .await;
    while rx.try_recv().is_ok() {}
    let done = call(&client, "fx__progress", json!({"steps": 3, "delay_ms": 10})).await;
    assert_eq!(text(&done), "done 3");
    let mut progress = Vec::new();
    while progress.len() < 3 {
        match tokio::time::timeout(Duration::from_secs(5), rx.recv()).await {
            Ok(Some(Seen::Progress(p, total))) => progress.push((p, total)),
            Ok(Some(_)) => {}
            _ => break,
        }
    }
    assert_eq!(
        progress,
        vec![(1.0, Some(3.0)), (2.0, Some(3.0)), (3.0, Some(3.0))]
    );

    // Cancel a long call: the upstream must see the cancellation (it logs it to stderr,
    // which the proxy captures in the server's log file).
    let request = ClientRequest::CallToolRequest(CallToolRequest::new(
        CallToolRequestParams::new("fx__sleep").with_arguments(obj(json!({"ms": 60000}))),
    ));
    let handle = client
        .peer()
        .send_cancellable_request(request, PeerRequestOptions::no_options())
        .await
        .unwrap();
    // The call must have reached the upstream before it is cancelled.
    proxy.wait_for_server_log("fx", "sleep started").await;
    handle.cancel(Some("test".into())).await.unwrap();
    proxy.wait_for_server_log("fx", "sleep cancelled").await;
    client.cancel().await.unwrap();
}

#[tokio::test(flavor = "multi_thread")]
async fn upstream_killed_mid_call_gives_clear_error_then_reconnects() {
    let proxy = Proxy::start(json!([fixture_stdio("fx")]), json!({}));
    let (client, _rx) = connect(&proxy.all_url()).await;
    wait_for("fx tools", READY, || async {
        let tools = client.peer().list_all_tools().await.ok()?;
        tools.iter().any(|t| t.name == "fx__sleep").then_some(())
    })
    .await;
    let slow = {
        let peer = client.peer().clone();
        tokio::spawn(async move {
            peer.call_tool(
                CallToolRequestParams::new("fx__sleep").with_arguments(obj(json!({"ms": 30000}))),
            )
            .await
        })
    };
    proxy.wait_for_server_log("fx", "sleep started").await;
    // The fixture exits without answering; the in-flight sleep call loses its connection.
    let killer = client.peer().clone();
    let _ = tokio::time::timeout(
        Duration::from_secs(5),
        killer.call_tool(
            CallToolRequestParams::new("fx__exit").with_arguments(obj(json!({"code": 3}))),
        ),
    )
    .await;
    let result = tokio::time::timeout(Duration::from_secs(20), slow)
        .await
        .expect("in-flight call must end promptly")
        .unwrap()
        .unwrap();
    assert_eq!(result.is_error, Some(true));
    let message = text(&result);
    assert!(
        message.contains("connection to server `fx` was lost"),
        "{message}"
    );

    // The supervisor reconnects and the next call succeeds.
    let echoed = wait_for("fx to reconnect", Duration::from_secs(30), || async {
        let r = client
            .peer()
            .call_tool(
                CallToolRequestParams::new("fx__echo")
                    .with_arguments(obj(json!({"message": "back"}))),
            )
            .await
            .ok()?;
        (r.is_error != Some(true)).then_some(r)
    })
    .await;
    assert_eq!(text(&echoed), "back");
    client.cancel().await.unwrap();
}

#[tokio::test(flavor = "multi_thread")]
async fn http_upstream_with_headers_and_session_reinit_after_restart() {
    let fixture = HttpFixture::start("web");
    let port = fixture.port();
    let proxy = Proxy::start(
        json!([{
            "name": "web",
            "protocol": "http",
            "url": fixture.url,
            "headers": {"X-Custom-Tag": "tag-value-1"}
        }]),
        json!({}),
    );
    let (client, _rx) = connect(&proxy.mcp_url()).await;
    wait_for_tool(&client, "echo", "web:echo").await;
    let header = call(
        &client,
        "call_tool_read",
        json!({"name": "web:get_header", "args": {"name": "x-custom-tag"}}),
    )
    .await;
    assert_eq!(text(&header), "tag-value-1");

    // Restart the upstream on the same port: its old session is gone (404) and the proxy
    // must re-initialize transparently.
    drop(fixture);
    let _restarted = HttpFixture::start_on("web", port);
    let echoed = wait_for("web to answer again", Duration::from_secs(30), || async {
        let r = call(
            &client,
            "call_tool_read",
            json!({"name": "web:echo", "args": {"message": "again"}}),
        )
        .await;
        (r.is_error != Some(true)).then_some(r)
    })
    .await;
    assert_eq!(text(&echoed), "again");
    client.cancel().await.unwrap();
}

#[tokio::test(flavor = "multi_thread")]
async fn foreign_origin_and_host_are_rejected() {
    let proxy = Proxy::start(json!([]), json!({}));
    let http = reqwest::Client::new();
    let init = json!({
        "jsonrpc": "2.0", "id": 1, "method": "initialize",
        "params": {"protocolVersion": "2025-11-25", "capabilities": {}, "clientInfo": {"name": "t", "version": "0"}}
    });
    let post = |origin: Option<&str>, host: Option<&str>| {
        let mut req = http
            .post(proxy.mcp_url())
            .header("Accept", "application/json, text/event-stream")
            .header("Content-Type", "application/json")
            .body(init.to_string());
        if let Some(origin) = origin {
            req = req.header("Origin", origin);
        }
        if let Some(host) = host {
            req = req.header("Host", host);
        }
        req.send()
    };
    let evil = post(Some("http://evil.example"), None).await.unwrap();
    assert_eq!(evil.status(), 403);
    assert!(evil.text().await.unwrap().contains("evil.example"));
    let rebinding = post(None, Some("attacker.example:8080")).await.unwrap();
    assert_eq!(rebinding.status(), 403);
    let local = post(Some("http://localhost:3000"), None).await.unwrap();
    assert_eq!(local.status(), 200);
    let plain = post(None, None).await.unwrap();
    assert_eq!(plain.status(), 200);
    let all = http
        .post(proxy.all_url())
        .header("Origin", "https://evil.example")
        .body(init.to_string())
        .send()
        .await
        .unwrap();
    assert_eq!(all.status(), 403);
}

#[tokio::test(flavor = "multi_thread")]
async fn upstream_servers_list_masks_secrets_and_reports_status() {
    let mut server = fixture_stdio("fx");
    server["env"] = json!({"API_TOKEN": "supersecretvalue", "LOG_LEVEL": "debug"});
    let broken = json!({"name": "broken", "protocol": "stdio", "command": "/nonexistent/binary"});
    let proxy = Proxy::start(json!([server, broken]), json!({}));
    let (client, _rx) = connect(&proxy.mcp_url()).await;
    wait_for_tool(&client, "echo", "fx:echo").await;
    // The env really reaches the upstream…
    let env = call(
        &client,
        "call_tool_read",
        json!({"name": "fx:get_env", "args": {"name": "API_TOKEN"}}),
    )
    .await;
    assert_eq!(text(&env), "supersecretvalue");
    // …but the listing masks it.
    let listed = wait_for("broken server to report its error", READY, || async {
        let listed =
            json_of(&call(&client, "upstream_servers", json!({"operation": "list"})).await);
        let broken = listed["servers"]
            .as_array()?
            .iter()
            .find(|s| s["name"] == "broken")?
            .clone();
        (broken["status"] == "error").then_some(listed)
    })
    .await;
    let raw = listed.to_string();
    assert!(!raw.contains("supersecretvalue"), "{raw}");
    let fx = listed["servers"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["name"] == "fx")
        .unwrap();
    assert_eq!(fx["env"]["API_TOKEN"], "••••ue (16 chars)");
    assert_eq!(fx["env"]["LOG_LEVEL"], "debug");
    assert_eq!(fx["status"], "ready");
    assert!(fx["tool_count"].as_u64().unwrap() >= 10);
    let broken = listed["servers"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["name"] == "broken")
        .unwrap();
    assert!(
        broken["last_error"]
            .as_str()
            .unwrap()
            .contains("/nonexistent/binary"),
        "{broken}"
    );
    let refused = call(&client, "upstream_servers", json!({"operation": "remove"})).await;
    assert_eq!(refused.is_error, Some(true));
    client.cancel().await.unwrap();
}
