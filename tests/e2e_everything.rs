//! End-to-end with a real third-party upstream: `@modelcontextprotocol/server-everything`
//! over stdio and over Streamable HTTP, through the real `mcpproxy` binary.

mod common;

use common::*;
use serde_json::json;

async fn assert_everything_works(client: &Client, server: &str) {
    let key = format!("{server}:echo");
    wait_for_tool(client, "echo back the input string", &key).await;
    let found = json_of(
        &call(
            client,
            "retrieve_tools",
            json!({"query": "add two numbers sum"}),
        )
        .await,
    );
    assert_eq!(
        found["tools"][0]["name"],
        format!("{server}:get-sum"),
        "{found}"
    );
    let described = json_of(&call(client, "describe_tool", json!({"name": key})).await);
    assert_eq!(described["call_with"], "call_tool_read");
    let echoed = call(
        client,
        "call_tool_read",
        json!({"name": key, "args": {"message": "from proxy"}}),
    )
    .await;
    assert!(text(&echoed).contains("from proxy"), "{echoed:?}");
    let sum = call(
        client,
        "call_tool_read",
        json!({"name": format!("{server}:get-sum"), "args": {"a": 2, "b": 40}}),
    )
    .await;
    assert!(text(&sum).contains("42"), "{sum:?}");
}

#[tokio::test(flavor = "multi_thread")]
async fn server_everything_over_stdio() {
    let proxy = Proxy::start(
        json!([{
            "name": "everything",
            "protocol": "stdio",
            "command": "node",
            "args": [everything_js(), "stdio"],
        }]),
        json!({}),
    );
    let (client, _rx) = connect(&proxy.mcp_url()).await;
    assert_everything_works(&client, "everything").await;

    // /mcp/all exposes the same tools directly.
    let (all, _rx2) = connect(&proxy.all_url()).await;
    let tools = all.peer().list_all_tools().await.unwrap();
    assert!(
        tools.iter().any(|t| t.name == "everything__echo"),
        "{tools:?}"
    );
    let echoed = call(&all, "everything__echo", json!({"message": "direct"})).await;
    assert!(text(&echoed).contains("direct"));
    all.cancel().await.unwrap();
    client.cancel().await.unwrap();
}

#[tokio::test(flavor = "multi_thread")]
async fn server_everything_over_streamable_http() {
    let node = EverythingServer::start("streamableHttp").await;
    let port = node.port;
    let proxy = Proxy::start(
        json!([{"name": "evhttp", "protocol": "streamable-http", "url": format!("http://127.0.0.1:{port}/mcp")}]),
        json!({}),
    );
    let (client, _rx) = connect(&proxy.mcp_url()).await;
    assert_everything_works(&client, "evhttp").await;
    client.cancel().await.unwrap();
    drop(node);
}

#[tokio::test(flavor = "multi_thread")]
async fn auto_protocol_falls_back_to_legacy_sse() {
    let node = EverythingServer::start("sse").await;
    let port = node.port;
    let proxy = Proxy::start(
        json!([{"name": "legacy", "url": format!("http://127.0.0.1:{port}/sse")}]),
        json!({}),
    );
    let (client, _rx) = connect(&proxy.mcp_url()).await;
    assert_everything_works(&client, "legacy").await;
    let listed = json_of(&call(&client, "upstream_servers", json!({"operation": "list"})).await);
    assert_eq!(listed["servers"][0]["transport"], "sse", "{listed}");
    client.cancel().await.unwrap();
    drop(node);
}
