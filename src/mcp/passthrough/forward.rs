//! Forwarding one client request to the upstream unchanged, with its progress,
//! cancellation and timeout, and the in-flight record that lets the upstream's own
//! requests (sampling, elicitation, roots) find their way back to this client.

use crate::core::Core;
use crate::mcp::call::PROGRESS_DRAIN_TIMEOUT;
use crate::upstream::oauth::server_auth::CallRecovery;
use rmcp::model::{CancelledNotificationParam, ClientRequest, RequestMetaObject, ServerResult};
use rmcp::service::{PeerRequestOptions, RequestContext, ServiceError};
use rmcp::{ErrorData as McpError, Peer, RoleClient, RoleServer};
use serde::de::DeserializeOwned;

/// The client's `_meta` as the upstream should see it: without the progress token (the
/// upstream request gets its own, mapped back by the progress router) and without the
/// 2026-07-28 per-request session keys, which describe the client's connection to us.
fn upstream_meta(meta: &RequestMetaObject) -> RequestMetaObject {
    let mut meta = meta.clone();
    meta.retain(|key, _| key != "progressToken" && !key.starts_with("io.modelcontextprotocol/"));
    meta
}

fn upstream_error(server: &str, method: &str, err: ServiceError) -> McpError {
    match err {
        ServiceError::McpError(data) => data,
        ServiceError::Timeout { timeout } => McpError::internal_error(
            format!(
                "server `{server}` did not answer {method} within {}s (call_tool_timeout); the request was cancelled",
                timeout.as_secs()
            ),
            None,
        ),
        ServiceError::TransportClosed => McpError::internal_error(
            format!(
                "the connection to server `{server}` was lost during {method}; it reconnects automatically, retry shortly"
            ),
            None,
        ),
        other => McpError::internal_error(
            format!("forwarding {method} to server `{server}` failed: {other}"),
            None,
        ),
    }
}

/// Send `request` to `upstream` (server `server`) for the client of `context` and return
/// the upstream's result unchanged; upstream errors come back as they were sent. A request
/// the upstream refused with an OAuth 401 is sent once more after a successful token refresh.
pub async fn forward(
    core: &Core,
    server: &str,
    upstream: &Peer<RoleClient>,
    request: ClientRequest,
    context: &RequestContext<RoleServer>,
) -> Result<ServerResult, McpError> {
    let method = request.method().to_string();
    let err = match forward_once(core, server, upstream, request.clone(), context).await {
        Ok(outcome) => return outcome,
        Err(err) => err,
    };
    match core.oauth_recover_call(server, &err).await {
        Some(CallRecovery::Retry) => forward_once(core, server, upstream, request, context)
            .await
            .unwrap_or_else(|err| Err(upstream_error(server, &method, err))),
        Some(CallRecovery::Fail(message)) => Err(McpError::internal_error(message, None)),
        None => Err(upstream_error(server, &method, err)),
    }
}

/// One attempt; the outer Err is a request failure (the inner result is the answer to relay).
async fn forward_once(
    core: &Core,
    server: &str,
    upstream: &Peer<RoleClient>,
    request: ClientRequest,
    context: &RequestContext<RoleServer>,
) -> Result<Result<ServerResult, McpError>, ServiceError> {
    let method = request.method().to_string();
    let mut options = PeerRequestOptions::with_timeout(core.call_timeout());
    options.meta = Some(upstream_meta(&context.meta));
    let shared = core.upstreams.context();
    let registering = shared.relay.gate.registering().await;
    let inflight = shared
        .relay
        .inflight
        .begin(server, context.peer.clone(), context.id.clone());
    let handle = upstream.send_cancellable_request(request, options).await?;
    inflight.sent_as(handle.id.clone());
    let route = context.meta.get_progress_token().map(|downstream| {
        shared.progress.register(
            server,
            handle.progress_token.clone(),
            context.peer.clone(),
            downstream,
        )
    });
    drop(registering);
    let upstream_id = handle.id.clone();
    tokio::select! {
        response = handle.await_response() => {
            if let Some(route) = &route {
                route.drain(PROGRESS_DRAIN_TIMEOUT).await;
            }
            response.map(Ok)
        }
        _ = context.ct.cancelled() => {
            let reason = "cancelled by the client".to_string();
            let _ = upstream
                .notify_cancelled(CancelledNotificationParam::new(Some(upstream_id), Some(reason)))
                .await;
            Ok(Err(McpError::internal_error(format!("{method} was cancelled by the client"), None)))
        }
    }
}

/// Read an upstream result as the type the method returns.
pub fn expect<T: DeserializeOwned>(
    server: &str,
    method: &str,
    result: ServerResult,
) -> Result<T, McpError> {
    let value = serde_json::to_value(&result)
        .map_err(|e| McpError::internal_error(format!("{method}: {e}"), None))?;
    serde_json::from_value(value).map_err(|e| {
        McpError::internal_error(
            format!("server `{server}` answered {method} with an unexpected result: {e}"),
            None,
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn upstream_meta_drops_progress_token_and_session_keys_only() {
        let meta: RequestMetaObject = serde_json::from_value(json!({
            "progressToken": 7,
            "io.modelcontextprotocol/protocolVersion": "2026-07-28",
            "io.modelcontextprotocol/clientInfo": {"name": "c", "version": "1"},
            "traceparent": "00-abc-def-01",
            "vendor/key": {"x": 1}
        }))
        .unwrap();
        let forwarded = serde_json::to_value(upstream_meta(&meta)).unwrap();
        assert_eq!(
            forwarded,
            json!({"traceparent": "00-abc-def-01", "vendor/key": {"x": 1}})
        );
    }

    #[test]
    fn upstream_errors_keep_the_upstream_code_and_explain_transport_failures() {
        let own = McpError::invalid_params("bad uri", None);
        let passed = upstream_error("fx", "resources/read", ServiceError::McpError(own.clone()));
        assert_eq!(passed, own);
        let lost = upstream_error("fx", "tools/call", ServiceError::TransportClosed);
        assert!(lost
            .message
            .contains("connection to server `fx` was lost during tools/call"));
    }
}
