//! The official TypeScript MCP SDK client drives `/mcp` (tests/npm/client.mjs).

mod common;

use common::*;
use serde_json::{json, Value};

#[tokio::test(flavor = "multi_thread")]
async fn typescript_sdk_client_uses_retrieve_tools_and_call_tool_read() {
    let proxy = Proxy::start(json!([fixture_stdio("fx")]), json!({}));
    let (client, _rx) = connect(&proxy.mcp_url()).await;
    wait_for_tool(&client, "echo", "fx:echo").await;
    client.cancel().await.unwrap();

    let output = tokio::process::Command::new("node")
        .arg(npm_dir().join("client.mjs"))
        .arg(proxy.mcp_url())
        .arg("fx:echo")
        .arg(r#"{"message":"hello from typescript"}"#)
        .output()
        .await
        .expect("run node");
    assert!(
        output.status.success(),
        "client failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    let line = String::from_utf8(output.stdout).unwrap();
    let report: Value = serde_json::from_str(line.trim()).unwrap_or_else(|e| panic!("{e}: {line}"));
    let tools: Vec<&str> = report["tools"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t.as_str().unwrap())
        .collect();
    for expected in [
        "retrieve_tools",
        "call_tool_read",
        "call_tool_write",
        "call_tool_destructive",
        "read_cache",
        "upstream_servers",
    ] {
        assert!(tools.contains(&expected), "{tools:?}");
    }
    let retrieved = report["retrieve"]["structuredContent"]["tools"][0]["name"].clone();
    assert_eq!(retrieved, "fx:echo", "{report}");
    assert_eq!(
        report["call"]["content"][0]["text"], "hello from typescript",
        "{report}"
    );
}
