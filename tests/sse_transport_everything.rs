//! The legacy SSE transport against `@modelcontextprotocol/server-everything` in SSE mode.

use std::{process::Stdio, time::Duration};

use mcpproxy::upstream::sse::{connect, SseClientConfig};
use rmcp::{model::CallToolRequestParams, ServiceExt};
use tokio::{net::TcpStream, process::Command};

const SERVER: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/tests/npm/node_modules/@modelcontextprotocol/server-everything/dist/index.js"
);

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

async fn wait_for_port(port: u16) {
    for _ in 0..300 {
        if TcpStream::connect(("127.0.0.1", port)).await.is_ok() {
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("server-everything did not listen on 127.0.0.1:{port} within 30s");
}

#[tokio::test]
async fn server_everything_over_legacy_sse() {
    let port = free_port();
    let mut server = Command::new("node")
        .arg(SERVER)
        .arg("sse")
        .env("PORT", port.to_string())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .expect("spawn node");
    wait_for_port(port).await;

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

    server.kill().await.expect("kill server");
    tokio::time::timeout(Duration::from_secs(10), running.waiting())
        .await
        .expect("service should end once the SSE stream closes")
        .expect("service task");
    assert!(peer.list_all_tools().await.is_err());
}
