//! The shared path of every proxied tool call: validation, timeout, progress, cancellation.

use crate::catalog::CatalogTool;
use crate::core::Core;
use crate::events::{CallOutcome, CallSource, CoreEvent, ToolCallEvent};
use crate::mcp::read_cache;
use crate::upstream::oauth::server_auth::CallRecovery;
use rmcp::model::{
    CallToolRequest, CallToolRequestParams, CallToolResult, CancelledNotificationParam,
    ClientRequest, ContentBlock, JsonObject, ServerResult,
};
use rmcp::service::{PeerRequestOptions, RequestContext, ServiceError};
use rmcp::RoleServer;
use std::time::Instant;

/// Longest wait, after a response, for progress notifications that preceded it to be relayed.
pub const PROGRESS_DRAIN_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(2);

/// An error result the calling model can read.
pub fn error_result(message: impl Into<String>) -> CallToolResult {
    CallToolResult::error(vec![ContentBlock::text(message.into())])
}

/// Check `args` against the tool's input schema; `Err` lists every problem with its path.
pub fn validate_arguments(tool: &CatalogTool, args: &JsonObject) -> Result<(), String> {
    let validator = tool.validator.get_or_compile(|| {
        let schema = serde_json::Value::Object((*tool.tool.input_schema).clone());
        match jsonschema::validator_for(&schema) {
            Ok(v) => Some(v),
            Err(err) => {
                // A broken upstream schema must not block calls; the upstream validates itself.
                tracing::debug!(tool = %tool.key, %err, "upstream input schema does not compile");
                None
            }
        }
    });
    let Some(validator) = validator else {
        return Ok(());
    };
    let instance = serde_json::Value::Object(args.clone());
    if validator.is_valid(&instance) {
        return Ok(());
    }
    let problems: Vec<String> = validator
        .iter_errors(&instance)
        .map(|e| {
            let path = e.instance_path.to_string();
            if path.is_empty() {
                e.to_string()
            } else {
                format!("{path}: {e}")
            }
        })
        .collect();
    if problems.is_empty() {
        Ok(())
    } else {
        Err(format!(
            "Invalid arguments for {}: {}. The tool's input schema is available from describe_tool.",
            tool.key,
            problems.join("; ")
        ))
    }
}

/// Call `tool` on its upstream with `args`. With an MCP `context`, progress and
/// cancellation are relayed; without one (REST) they are simply absent.
/// Errors become `isError` results with an explanation; large results are truncated.
/// Publishes [`CoreEvent::ToolCall`] when the call starts and when it ends.
pub async fn call_upstream(
    core: &Core,
    tool: &CatalogTool,
    args: JsonObject,
    context: Option<&RequestContext<RoleServer>>,
    source: CallSource,
) -> CallToolResult {
    let mut event = ToolCallEvent {
        id: uuid::Uuid::new_v4().simple().to_string(),
        server: tool.server.clone(),
        tool: tool.tool.name.to_string(),
        source,
        finished: None,
    };
    if let Some(explanation) = crate::quarantine::current_block(core, tool) {
        crate::quarantine::record_blocked(core, "mcp", &tool.key, &explanation);
        return crate::mcp::proxy::json_result(explanation);
    }
    core.events.publish(CoreEvent::ToolCall(event.clone()));
    let started = Instant::now();
    let recorded_args = args.clone();
    let result = call_inner(core, tool, args, context).await;
    let duration_ms = started.elapsed().as_millis() as u64;
    event.finished = Some(CallOutcome {
        is_error: result.is_error == Some(true),
        duration_ms,
    });
    core.events.publish(CoreEvent::ToolCall(event));
    // Every secret the core knows (any server's literals and resolved references, OAuth
    // tokens, the API key): a tool may echo another server's credentials too. Masking and
    // detection run off the async path, on a copy: the caller's result is never touched.
    let scrubber = crate::secrets::known::scrubber(core);
    let store = core.store.clone();
    let recorded_result = result.clone();
    let server = tool.server.clone();
    let tool_name = tool.tool.name.to_string();
    let request_id = context.map(|c| c.id.to_string());
    let session_id = context.and_then(session_id);
    tokio::task::spawn_blocking(move || {
        let record = crate::store::recording::call_record(crate::store::recording::FinishedCall {
            source: match source {
                CallSource::Mcp => "mcp",
                CallSource::Rest => "api",
            },
            server: &server,
            tool: &tool_name,
            args: &recorded_args,
            result: &recorded_result,
            duration_ms: duration_ms as i64,
            request_id,
            session_id,
            scrubber: &scrubber,
        });
        if let Err(err) = store.record_activity(&record) {
            tracing::warn!(%err, "could not record activity");
        }
    });
    result
}

/// The MCP session id of a Streamable HTTP request, if any.
fn session_id(context: &RequestContext<RoleServer>) -> Option<String> {
    context
        .extensions
        .get::<http::request::Parts>()
        .and_then(|parts| parts.headers.get("mcp-session-id"))
        .and_then(|v| v.to_str().ok())
        .map(str::to_string)
}

async fn call_inner(
    core: &Core,
    tool: &CatalogTool,
    args: JsonObject,
    context: Option<&RequestContext<RoleServer>>,
) -> CallToolResult {
    if let Err(message) = validate_arguments(tool, &args) {
        return error_result(message);
    }
    let Some(upstream) = core.upstreams.get(&tool.server) else {
        return error_result(format!("server `{}` no longer exists", tool.server));
    };
    // Disconnected since the tool was found: wait (bounded) for it to come back.
    let peer = match upstream.peer() {
        Some(peer) => peer,
        None => match crate::mcp::resolve::wait_for_peer(
            core,
            &tool.server,
            crate::mcp::resolve::RECONNECT_WAIT,
        )
        .await
        {
            Ok(peer) => peer,
            Err(refusal) => return refusal.to_tool_result(),
        },
    };
    let err = match send_call(core, tool, &peer, args.clone(), context).await {
        Ok(result) => return result,
        Err(err) => err,
    };
    // A 401 means the upstream refused the request before the tool ran: after a successful
    // token refresh the call is sent once more (safe for non-idempotent tools).
    match core.oauth_recover_call(&tool.server, &err).await {
        Some(CallRecovery::Retry) => match send_call(core, tool, &peer, args, context).await {
            Ok(result) => result,
            Err(err) => error_result(describe_call_error(core, &tool.server, &err)),
        },
        Some(CallRecovery::Fail(message)) => error_result(message),
        None => error_result(describe_error(&tool.server, &err)),
    }
}

/// Send one `tools/call` to the upstream; Err carries a request failure (upstream answers,
/// including tool errors, are Ok).
async fn send_call(
    core: &Core,
    tool: &CatalogTool,
    peer: &rmcp::service::Peer<rmcp::service::RoleClient>,
    args: JsonObject,
    context: Option<&RequestContext<RoleServer>>,
) -> Result<CallToolResult, ServiceError> {
    let timeout = core.call_timeout();
    let params = CallToolRequestParams::new(tool.tool.name.clone()).with_arguments(args);
    let request = ClientRequest::CallToolRequest(CallToolRequest::new(params));
    let options = PeerRequestOptions::with_timeout(timeout);
    let shared = core.upstreams.context();
    let registering = shared.relay.gate.registering().await;
    // Requests the upstream sends during the call are relayed to the MCP caller (none for REST).
    let inflight = context.map(|context| {
        shared
            .relay
            .inflight
            .begin(&tool.server, context.peer.clone(), context.id.clone())
    });
    let handle = peer.send_cancellable_request(request, options).await?;
    if let Some(inflight) = &inflight {
        inflight.sent_as(handle.id.clone());
    }
    let route = context.and_then(|context| {
        context.meta.get_progress_token().map(|downstream| {
            shared.progress.register(
                &tool.server,
                handle.progress_token.clone(),
                context.peer.clone(),
                downstream,
            )
        })
    });
    drop(registering);
    let cancelled = context.map(|c| c.ct.clone()).unwrap_or_default();
    let request_id = handle.id.clone();
    let outcome = tokio::select! {
        response = handle.await_response() => {
            if let Some(route) = &route {
                route.drain(PROGRESS_DRAIN_TIMEOUT).await;
            }
            response
        }
        _ = cancelled.cancelled() => {
            let reason = "cancelled by the client".to_string();
            let _ = peer
                .notify_cancelled(CancelledNotificationParam::new(Some(request_id), Some(reason)))
                .await;
            return Ok(error_result(format!("call to {} was cancelled", tool.key)));
        }
    };
    let result = match outcome? {
        ServerResult::CallToolResult(result) => result,
        other => {
            return Ok(error_result(format!(
                "server `{}` answered tools/call with an unexpected result: {}",
                tool.server,
                serde_json::to_string(&other).unwrap_or_default()
            )))
        }
    };
    let limit = core.config().tool_response_limit;
    Ok(read_cache::truncate(
        &core.read_cache,
        &tool.key,
        result,
        limit,
    ))
}

/// Like [`describe_error`], but an OAuth challenge is recorded and explained (login / scopes).
fn describe_call_error(core: &Core, server: &str, err: &ServiceError) -> String {
    core.oauth_call_error(server, err)
        .unwrap_or_else(|| describe_error(server, err))
}

/// A message for the model explaining an upstream failure.
fn describe_error(server: &str, err: &ServiceError) -> String {
    match err {
        ServiceError::Timeout { timeout } => format!(
            "server `{server}` did not answer within {}s (call_tool_timeout); the call was cancelled",
            timeout.as_secs()
        ),
        ServiceError::TransportClosed => format!(
            "the connection to server `{server}` was lost during the call; it reconnects automatically, retry shortly"
        ),
        ServiceError::McpError(data) => format!("server `{server}` returned an error: {}", data.message),
        other => format!("calling server `{server}` failed: {other}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalog::CatalogSnapshot;
    use rmcp::model::Tool;
    use std::sync::Arc;

    fn snapshot(schema: serde_json::Value) -> CatalogSnapshot {
        let serde_json::Value::Object(schema) = schema else {
            panic!("object")
        };
        CatalogSnapshot::build(&[(
            "fx".to_string(),
            Arc::new(vec![Tool::new("echo", "Echo.", schema)]),
        )])
    }

    fn args(value: serde_json::Value) -> JsonObject {
        match value {
            serde_json::Value::Object(map) => map,
            _ => panic!("object"),
        }
    }

    #[test]
    fn arguments_are_checked_against_the_schema_compiled_once() {
        let snap = snapshot(serde_json::json!({
            "type": "object",
            "properties": {"message": {"type": "string"}},
            "required": ["message"]
        }));
        let tool = snap.by_key("fx:echo").unwrap();
        assert!(validate_arguments(tool, &args(serde_json::json!({"message": "hi"}))).is_ok());
        let first = tool.validator.get_or_compile(|| panic!("compiled twice"));
        let err = validate_arguments(tool, &args(serde_json::json!({"message": 3}))).unwrap_err();
        assert!(err.contains("/message"), "{err}");
        let err = validate_arguments(tool, &args(serde_json::json!({}))).unwrap_err();
        assert!(err.contains("message"), "{err}");
        // Clones (e.g. the snapshot's copies) share the compiled validator.
        let again = tool
            .clone()
            .validator
            .get_or_compile(|| panic!("compiled twice"));
        assert!(Arc::ptr_eq(&first.unwrap(), &again.unwrap()));
    }

    #[test]
    fn a_schema_that_does_not_compile_lets_calls_through() {
        let snap =
            snapshot(serde_json::json!({"type": "object", "properties": {"x": {"type": 12}}}));
        let tool = snap.by_key("fx:echo").unwrap();
        assert!(validate_arguments(tool, &args(serde_json::json!({"x": 1}))).is_ok());
        assert!(tool
            .validator
            .get_or_compile(|| panic!("compiled twice"))
            .is_none());
    }
}
