//! The legacy SSE transport against `@modelcontextprotocol/server-everything` in SSE mode.

mod common;

use common::EverythingServer;
use std::time::Duration;

use mcpproxy::upstream::sse::{connect, SseClientConfig};
use rmcp::{model::CallToolRequestParams, ServiceExt};

#[tokio::test]
async fn server_everything_over_legacy_sse() {
    let mut server = EverythingServer::start("sse").await;
    let port = server.port;

    let transport = connect(
        reqwest::Client::builder().no_proxy().build().unwrap(),
        SseClientConfig {
            url: format!("http://127.0.0.1:{port}/sse"),
            headers: Default::default(),
            connect_timeout: Duration::from_secs(10),
        },
    )
    .await
    .expect("connect");
    assert_eq!(transport.endpoint().path(), "/message");

    let running = ().serve(transport).await.expect("initialize");
    let peer = running.peer().clone();

    let tools = peer.list_all_tools().await.expect("tools/list");
    assert!(tools.iter().any(|tool| tool.name == "echo"), "{tools:?}");

    let args = serde_json::json!({ "message": "hello over sse" });
    let result = peer
        .call_tool(
            CallToolRequestParams::new("echo").with_arguments(args.as_object().unwrap().clone()),
        )
        .await
        .expect("tools/call echo");
    let text = result.content[0].as_text().expect("text content");
    assert_eq!(text.text, "Echo: hello over sse");

    server.kill().await;
    tokio::time::timeout(Duration::from_secs(10), running.waiting())
        .await
        .expect("service should end once the SSE stream closes")
        .expect("service task");
    assert!(peer.list_all_tools().await.is_err());
}
