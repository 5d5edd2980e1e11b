//! The rmcp client handler used for every upstream connection.
//!
//! Notifications go to the supervisor (tool list changes), the progress router, the
//! server's log and, through the [`Relay`], to the `/mcp/server/{name}` sessions.
//! Server→client requests (sampling, elicitation, roots) are relayed to a downstream
//! client (see [`super::relay`] for how it is chosen).

#![allow(deprecated)] // sampling, roots and logging are SEP-2577-deprecated but current in 2025-11-25

use super::logfile::ServerLog;
use super::progress::{CountingTransport, ProgressRouter};
use super::relay::Relay;
use rmcp::model::{
    ClientCapabilities, ClientConfig, ClientResult, CreateMessageRequest,
    CreateMessageRequestParams, CreateMessageResult, CustomRequest, CustomResult, ElicitRequest,
    ElicitRequestParams, ElicitResult, Implementation, ListRootsRequest, ListRootsResult,
    LoggingMessageNotificationParam, ProgressNotificationParam, ProtocolVersion,
    ResourceUpdatedNotificationParam, ServerRequest,
};
use rmcp::service::{NotificationContext, RequestContext};
use rmcp::transport::Transport;
use rmcp::{ClientHandler, ErrorData as McpError, RoleClient};
use serde::de::DeserializeOwned;
use tokio::sync::mpsc;

/// Things an upstream tells its supervisor between requests.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UpstreamSignal {
    /// `notifications/tools/list_changed` arrived.
    ToolsChanged,
}

/// Client-side handler: forwards notifications and relays server→client requests.
pub struct UpstreamClient {
    server: String,
    signals: mpsc::UnboundedSender<UpstreamSignal>,
    progress: ProgressRouter,
    relay: Relay,
    log: ServerLog,
}

/// Capabilities we declare to upstreams: everything a downstream client may answer.
pub fn relayed_capabilities() -> ClientCapabilities {
    serde_json::from_value(serde_json::json!({
        "sampling": {},
        "roots": {"listChanged": true},
        "elicitation": {"form": {}, "url": {}},
    }))
    .expect("static client capabilities")
}

fn convert<T: DeserializeOwned>(result: ClientResult, method: &str) -> Result<T, McpError> {
    let value = serde_json::to_value(&result)
        .map_err(|e| McpError::internal_error(format!("{method}: {e}"), None))?;
    serde_json::from_value(value).map_err(|e| {
        McpError::internal_error(
            format!("the MCP client's answer to {method} is not valid: {e}"),
            None,
        )
    })
}

impl UpstreamClient {
    /// Handler for server `server` (no relay to downstream sessions until [`Self::with_relay`]).
    pub fn new(
        server: &str,
        signals: mpsc::UnboundedSender<UpstreamSignal>,
        progress: ProgressRouter,
        log: ServerLog,
    ) -> Self {
        Self {
            server: server.to_string(),
            signals,
            progress,
            relay: Relay::default(),
            log,
        }
    }

    /// Relay server→client requests and notifications through `relay`.
    pub fn with_relay(mut self, relay: Relay) -> Self {
        self.relay = relay;
        self
    }

    /// Wrap this server's transport so progress stays ordered before responses.
    pub fn observe<T: Transport<RoleClient>>(&self, transport: T) -> CountingTransport<T> {
        CountingTransport::new(transport, &self.server, self.progress.clone())
    }

    async fn relay_request(
        &self,
        request: ServerRequest,
        context: &RequestContext<RoleClient>,
    ) -> Result<ClientResult, McpError> {
        self.relay
            .forward_request(&self.server, request, context)
            .await
    }
}

impl ClientHandler for UpstreamClient {
    fn get_info(&self) -> ClientConfig {
        ClientConfig::new(
            relayed_capabilities(),
            Implementation::new("mcpproxy", env!("CARGO_PKG_VERSION")),
        )
        .with_protocol_version(ProtocolVersion::LATEST_WITH_INITIALIZE)
    }

    async fn create_message(
        &self,
        params: CreateMessageRequestParams,
        context: RequestContext<RoleClient>,
    ) -> Result<CreateMessageResult, McpError> {
        let request = ServerRequest::CreateMessageRequest(CreateMessageRequest::new(params));
        let answer = self.relay_request(request, &context).await?;
        convert(answer, "sampling/createMessage")
    }

    async fn list_roots(
        &self,
        context: RequestContext<RoleClient>,
    ) -> Result<ListRootsResult, McpError> {
        let request = ServerRequest::ListRootsRequest(ListRootsRequest::default());
        let answer = self.relay_request(request, &context).await?;
        convert(answer, "roots/list")
    }

    async fn create_elicitation(
        &self,
        params: ElicitRequestParams,
        context: RequestContext<RoleClient>,
    ) -> Result<ElicitResult, McpError> {
        let request = ServerRequest::ElicitRequest(ElicitRequest::new(params));
        let answer = self.relay_request(request, &context).await?;
        convert(answer, "elicitation/create")
    }

    async fn on_custom_request(
        &self,
        request: CustomRequest,
        context: RequestContext<RoleClient>,
    ) -> Result<CustomResult, McpError> {
        let method = request.method.clone();
        let answer = self
            .relay_request(ServerRequest::CustomRequest(request), &context)
            .await?;
        convert::<serde_json::Value>(answer, &method).map(CustomResult)
    }

    async fn on_tool_list_changed(&self, _context: NotificationContext<RoleClient>) {
        let _ = self.signals.send(UpstreamSignal::ToolsChanged);
        for peer in self.relay.sessions.peers(&self.server) {
            let _ = peer.notify_tool_list_changed().await;
        }
    }

    async fn on_prompt_list_changed(&self, _context: NotificationContext<RoleClient>) {
        for peer in self.relay.sessions.peers(&self.server) {
            let _ = peer.notify_prompt_list_changed().await;
        }
    }

    async fn on_resource_list_changed(&self, _context: NotificationContext<RoleClient>) {
        for peer in self.relay.sessions.peers(&self.server) {
            let _ = peer.notify_resource_list_changed().await;
        }
    }

    async fn on_resource_updated(
        &self,
        params: ResourceUpdatedNotificationParam,
        _context: NotificationContext<RoleClient>,
    ) {
        for peer in self.relay.sessions.subscribers(&self.server, &params.uri) {
            let _ = peer.notify_resource_updated(params.clone()).await;
        }
    }

    async fn on_progress(
        &self,
        params: ProgressNotificationParam,
        _context: NotificationContext<RoleClient>,
    ) {
        self.relay.gate.settled().await;
        self.progress.forward(&self.server, params).await;
    }

    async fn on_logging_message(
        &self,
        params: LoggingMessageNotificationParam,
        _context: NotificationContext<RoleClient>,
    ) {
        self.log
            .event(&format!("log {:?}: {}", params.level, params.data));
        for peer in self.relay.sessions.peers(&self.server) {
            let _ = peer.notify_logging_message(params.clone()).await;
        }
    }
}
