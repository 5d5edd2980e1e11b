//! Relays what an upstream sends on its own initiative to downstream clients:
//! server→client requests (sampling, elicitation, roots) to the client that should
//! answer them, and notifications (logs, list changes, resource updates) to the
//! `/mcp/server/{name}` sessions of that upstream.
//!
//! Routing of a server→client request, in order:
//! 1. Streamable HTTP upstreams deliver it on the response stream of one of our
//!    requests (rmcp marks it with that request's id): it goes to the client whose
//!    request we were forwarding, on that client request's stream.
//! 2. Otherwise (stdio and SSE upstreams cannot say which request it belongs to, or the
//!    upstream sent it on its standalone stream): the client of the most recently started
//!    request still in flight to that upstream, on that request's stream.
//! 3. Otherwise the most recently connected `/mcp/server/{name}` session of that upstream,
//!    on its standalone stream.
//!
//! The answer goes back to the upstream unchanged; an upstream cancellation is relayed too.

pub mod inflight;
pub mod sessions;

pub use inflight::{DownstreamTarget, InflightGuard, InflightRequests};
pub use sessions::{PassthroughSessions, SessionGuard};

use rmcp::model::{
    CancelledNotificationParam, ClientResult, ConstString, ElicitRequestParams, GetExtensions,
    GetMeta, RequestMetaObject, ServerRequest,
};
use rmcp::service::{
    InboundStreamOrigin, OriginatingRequestId, PeerRequestOptions, RequestContext, ServiceError,
};
use rmcp::{ErrorData as McpError, Peer, RoleClient, RoleServer};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::{OwnedRwLockWriteGuard, RwLock};

/// How long to wait for the forwarding task to record a request the upstream refers to.
pub const ASSOCIATION_WAIT: Duration = Duration::from_secs(1);

/// In-flight requests and passthrough sessions, shared by every upstream.
#[derive(Default, Clone)]
pub struct Relay {
    /// Forwarded requests in flight.
    pub inflight: InflightRequests,
    /// `/mcp/server/{name}` sessions.
    pub sessions: PassthroughSessions,
    /// Orders request registration before the upstream's replies are looked up.
    pub gate: RegistrationGate,
}

/// Makes "send a request upstream, then record it (in-flight entry, progress route)"
/// atomic with respect to whatever the upstream sends back: forwarding holds
/// [`Self::registering`] across both steps, and handlers of upstream messages pass
/// [`Self::settled`] before looking anything up. Without it a fast upstream's progress
/// notification or sampling request could be handled before the request was recorded.
#[derive(Default, Clone)]
pub struct RegistrationGate(Arc<RwLock<()>>);

impl RegistrationGate {
    /// Hold while sending a request and recording it.
    pub async fn registering(&self) -> OwnedRwLockWriteGuard<()> {
        self.0.clone().write_owned().await
    }

    /// Wait until no request is between being sent and being recorded.
    pub async fn settled(&self) {
        drop(self.0.read().await);
    }
}

/// JSON-RPC method name of a server→client request.
pub fn method_of(request: &ServerRequest) -> &str {
    match request {
        ServerRequest::PingRequest(r) => r.method.as_str(),
        ServerRequest::CreateMessageRequest(r) => r.method.as_str(),
        ServerRequest::ListRootsRequest(r) => r.method.as_str(),
        ServerRequest::ElicitRequest(r) => r.method.as_str(),
        ServerRequest::CustomRequest(r) => r.method.as_str(),
        _ => "request",
    }
}

/// The capability a client must have declared to answer `request`, if any.
fn required_capability(request: &ServerRequest) -> Option<&'static str> {
    match request {
        ServerRequest::CreateMessageRequest(_) => Some("sampling"),
        ServerRequest::ListRootsRequest(_) => Some("roots"),
        ServerRequest::ElicitRequest(r) => match r.params {
            ElicitRequestParams::UrlElicitationParams { .. } => Some("elicitation.url"),
            _ => Some("elicitation"),
        },
        _ => None,
    }
}

#[allow(deprecated)] // roots and sampling capabilities are SEP-2577-deprecated but current in 2025-11-25
fn declared(peer: &Peer<RoleServer>, capability: &str) -> bool {
    let Some(info) = peer.peer_info() else {
        return false;
    };
    let caps = &info.capabilities;
    match capability {
        "sampling" => caps.sampling.is_some(),
        "roots" => caps.roots.is_some(),
        "elicitation" => caps.elicitation.is_some(),
        "elicitation.url" => caps.elicitation.as_ref().is_some_and(|e| e.url.is_some()),
        _ => true,
    }
}

/// The upstream's `_meta`, minus its progress token (the downstream request gets its own).
fn carried_meta(meta: &RequestMetaObject) -> RequestMetaObject {
    let mut meta = meta.clone();
    meta.remove("progressToken");
    meta
}

fn downstream_error(server: &str, method: &str, err: ServiceError) -> McpError {
    match err {
        ServiceError::McpError(data) => data,
        ServiceError::TransportClosed => McpError::internal_error(
            format!("the MCP client answering {method} for server `{server}` disconnected"),
            None,
        ),
        other => McpError::internal_error(
            format!("relaying {method} for server `{server}` to its MCP client failed: {other}"),
            None,
        ),
    }
}

impl Relay {
    /// Pick the downstream client for a server→client request of `server`.
    pub async fn route(
        &self,
        server: &str,
        origin: Option<&InboundStreamOrigin>,
    ) -> Option<DownstreamTarget> {
        if let Some(InboundStreamOrigin::OutboundRequest(id)) = origin {
            if let Some(target) = self.inflight.find(server, id, ASSOCIATION_WAIT).await {
                return Some(target);
            }
        }
        self.inflight.latest(server).or_else(|| {
            self.sessions.latest(server).map(|peer| DownstreamTarget {
                peer,
                request_id: None,
            })
        })
    }

    /// Relay a server→client request of `server` and return the client's answer.
    pub async fn forward_request(
        &self,
        server: &str,
        mut request: ServerRequest,
        context: &RequestContext<RoleClient>,
    ) -> Result<ClientResult, McpError> {
        let method = method_of(&request).to_string();
        self.gate.settled().await;
        let origin = context.extensions.get::<InboundStreamOrigin>();
        let Some(target) = self.route(server, origin).await else {
            return Err(McpError::invalid_request(
                format!(
                    "server `{server}` sent {method}, but no MCP client is connected to answer it; \
                     connect a client to /mcp/server/{server}"
                ),
                None,
            ));
        };
        if let Some(capability) = required_capability(&request) {
            if !declared(&target.peer, capability) {
                return Err(McpError::invalid_request(
                    format!(
                        "server `{server}` sent {method}, but the MCP client connected through mcpproxy \
                         did not declare the `{capability}` capability"
                    ),
                    None,
                ));
            }
        }
        *request.get_meta_mut() = carried_meta(&context.meta);
        if let Some(id) = &target.request_id {
            request
                .extensions_mut()
                .insert(OriginatingRequestId(id.clone()));
        }
        // Sent from a task of its own: inside this handler rmcp would tag the request
        // with the *upstream's* request id and route it to the wrong downstream stream.
        let peer = target.peer.clone();
        let sent = tokio::spawn(async move {
            peer.send_cancellable_request(request, PeerRequestOptions::no_options())
                .await
        })
        .await
        .map_err(|e| McpError::internal_error(format!("relay task failed: {e}"), None))?;
        let handle = sent.map_err(|e| downstream_error(server, &method, e))?;
        let downstream_id = handle.id.clone();
        tokio::select! {
            answer = handle.await_response() => answer.map_err(|e| downstream_error(server, &method, e)),
            _ = context.ct.cancelled() => {
                let reason = format!("cancelled by server `{server}`");
                let _ = target
                    .peer
                    .notify_cancelled(CancelledNotificationParam::new(Some(downstream_id), Some(reason)))
                    .await;
                Err(McpError::internal_error(format!("{method} was cancelled"), None))
            }
        }
    }
}

#[cfg(test)]
#[allow(deprecated)] // sampling and roots are SEP-2577-deprecated but current in 2025-11-25
mod tests {
    use super::*;
    use rmcp::model::{CreateMessageRequest, ElicitRequest, ListRootsRequest};
    use serde_json::json;

    fn elicit(params: serde_json::Value) -> ServerRequest {
        ServerRequest::ElicitRequest(ElicitRequest::new(serde_json::from_value(params).unwrap()))
    }

    #[test]
    fn each_server_request_needs_its_client_capability() {
        let sampling: CreateMessageRequest = CreateMessageRequest::new(
            serde_json::from_value(json!({"messages": [], "maxTokens": 1})).unwrap(),
        );
        let cases = [
            (
                ServerRequest::CreateMessageRequest(sampling),
                Some("sampling"),
            ),
            (
                ServerRequest::ListRootsRequest(ListRootsRequest::default()),
                Some("roots"),
            ),
            (
                elicit(
                    json!({"mode": "form", "message": "m", "requestedSchema": {"type": "object", "properties": {}}}),
                ),
                Some("elicitation"),
            ),
            (
                elicit(
                    json!({"mode": "url", "message": "m", "url": "https://example.com/x", "elicitationId": "e1"}),
                ),
                Some("elicitation.url"),
            ),
        ];
        for (request, expected) in cases {
            assert_eq!(
                required_capability(&request),
                expected,
                "{}",
                method_of(&request)
            );
        }
    }

    #[test]
    fn carried_meta_drops_only_the_progress_token() {
        let meta: RequestMetaObject =
            serde_json::from_value(json!({"progressToken": "p", "traceparent": "t"})).unwrap();
        assert_eq!(
            serde_json::to_value(carried_meta(&meta)).unwrap(),
            json!({"traceparent": "t"})
        );
    }
}
