//! Waiting on the proxy's view of its upstreams (`upstream_servers list` on `/mcp`).

use crate::client::{self, obj};
use rmcp::model::CallToolRequestParams;
use rmcp::{Peer, RoleClient};
use std::time::Duration;

/// Number of upstreams the proxy reports as `ready`.
pub async fn ready_count(peer: &Peer<RoleClient>) -> Option<usize> {
    let result = peer
        .call_tool(
            CallToolRequestParams::new("upstream_servers")
                .with_arguments(obj(serde_json::json!({"operation": "list"}))),
        )
        .await
        .ok()?;
    let listed = result.structured_content?;
    Some(
        listed["servers"]
            .as_array()?
            .iter()
            .filter(|s| s["status"] == "ready")
            .count(),
    )
}

/// Poll (every 10 ms) until at least `n` upstreams are ready.
pub async fn wait_ready(
    peer: &Peer<RoleClient>,
    n: usize,
    timeout: Duration,
) -> anyhow::Result<()> {
    client::wait_for(
        &format!("{n} upstreams ready"),
        timeout,
        Duration::from_millis(10),
        || async { ready_count(peer).await.filter(|&c| c >= n).map(|_| ()) },
    )
    .await
}
