//! Both protocol eras on our endpoint: classic sessions (initialize, ≤ 2025-11-25) and the
//! stateless 2026-07-28 protocol (server/discover, subscriptions/listen).

mod common;

use common::*;
use rmcp::model::{
    CallToolRequestParams, ClientConfig, ProtocolVersion, ServerNotification, SubscriptionFilter,
};
use rmcp::service::{ClientLifecycleMode, ClientServiceExt};
use rmcp::transport::StreamableHttpClientTransport;
use serde_json::json;
use std::time::Duration;

async fn modern_client(url: &str) -> rmcp::service::RunningService<rmcp::RoleClient, ClientConfig> {
    ClientConfig::default()
        .serve_with_lifecycle(
            StreamableHttpClientTransport::from_uri(url.to_string()),
            ClientLifecycleMode::Discover {
                preferred_versions: vec![ProtocolVersion::V_2026_07_28],
            },
        )
        .await
        .expect("2026-07-28 discover handshake")
}

#[tokio::test(flavor = "multi_thread")]
async fn stateless_2026_client_uses_proxy_tools() {
    let proxy = Proxy::start(json!([fixture_stdio("fx")]), json!({}));
    let (classic, _rx) = connect(&proxy.mcp_url()).await;
    wait_for_tool(&classic, "echo", "fx:echo").await;
    classic.cancel().await.unwrap();

    let modern = modern_client(&proxy.mcp_url()).await;
    let info = modern.peer().peer_info().expect("server info");
    assert_eq!(info.protocol_version, ProtocolVersion::V_2026_07_28);
    let tools = modern.peer().list_all_tools().await.unwrap();
    assert!(tools.iter().any(|t| t.name == "retrieve_tools"));
    let result = modern
        .peer()
        .call_tool(
            CallToolRequestParams::new("call_tool_read").with_arguments(obj(
                json!({"name": "fx:echo", "args": {"message": "modern"}}),
            )),
        )
        .await
        .unwrap();
    assert_eq!(text(&result), "modern");
    modern.cancel().await.unwrap();
}

#[tokio::test(flavor = "multi_thread")]
async fn stateless_2026_client_gets_tool_list_changes_via_listen() {
    // Tool approval is off: new tools are listed at once (approval has its own tests).
    let proxy = Proxy::start(
        json!([fixture_stdio("fx")]),
        json!({"quarantine_enabled": false}),
    );
    let modern = modern_client(&proxy.all_url()).await;
    wait_for("fx tools on /mcp/all", Duration::from_secs(60), || async {
        let tools = modern.peer().list_all_tools().await.ok()?;
        tools.iter().any(|t| t.name == "fx__add_tool").then_some(())
    })
    .await;
    let mut subscription = modern
        .peer()
        .listen(SubscriptionFilter::builder().tools_list_changed().build())
        .await
        .expect("subscriptions/listen accepted");
    assert_eq!(subscription.acknowledged().tools_list_changed, Some(true));
    modern
        .peer()
        .call_tool(
            CallToolRequestParams::new("fx__add_tool")
                .with_arguments(obj(json!({"name": "fresh", "description": "new"}))),
        )
        .await
        .unwrap();
    let notification = tokio::time::timeout(Duration::from_secs(30), subscription.next())
        .await
        .expect("a tool list change within 30s")
        .unwrap()
        .expect("subscription still open");
    assert!(matches!(
        notification,
        ServerNotification::ToolListChangedNotification(_)
    ));
    let tools = modern.peer().list_all_tools().await.unwrap();
    assert!(tools.iter().any(|t| t.name == "fx__fresh"));
    subscription.cancel().await.unwrap();
    modern.cancel().await.unwrap();
}
