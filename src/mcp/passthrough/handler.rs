//! The MCP server side of one `/mcp/server/{name}` session: every client request is
//! forwarded to the upstream under its original names and answered with the upstream's
//! result; the session is registered with the relay so the upstream's notifications and
//! server→client requests reach it.

#![allow(deprecated)] // logging and resources/subscribe are SEP-2577-deprecated but current in 2025-11-25

use super::{forward, gate};
use crate::core::Core;
use crate::mcp::resolve::RECONNECT_WAIT;
use crate::upstream::relay::SessionGuard;
use rmcp::model::{
    CallToolRequest, CallToolRequestParams, CallToolResponse, CallToolResult, ClientRequest,
    CompleteRequest, CompleteRequestParams, CompleteResult, CustomRequest, CustomResult,
    GetPromptRequest, GetPromptRequestParams, GetPromptResponse, GetPromptResult, Implementation,
    InitializeRequestParams, InitializeResult, ListPromptsRequest, ListPromptsResult,
    ListResourceTemplatesRequest, ListResourceTemplatesResult, ListResourcesRequest,
    ListResourcesResult, ListToolsRequest, ListToolsResult, PaginatedRequestParams,
    ReadResourceRequest, ReadResourceRequestParams, ReadResourceResponse, ReadResourceResult,
    ServerCapabilities, ServerConfig, ServerPeerInfo, ServerResult, SetLevelRequest,
    SetLevelRequestParams, SubscribeRequest, SubscribeRequestParams, UnsubscribeRequest,
    UnsubscribeRequestParams,
};
use rmcp::service::{NotificationContext, RequestContext};
use rmcp::{ErrorData as McpError, RoleServer, ServerHandler};
use serde::de::DeserializeOwned;
use std::sync::{Arc, Mutex, RwLock};
use std::time::Duration;

/// How long `initialize` waits for an upstream that is still connecting.
pub const INITIALIZE_WAIT: Duration = Duration::from_secs(15);

/// Handler of one `/mcp/server/{name}` session.
pub struct PassthroughHandler {
    core: Arc<Core>,
    server: String,
    /// The upstream's `initialize` answer as mirrored to this client.
    info: RwLock<Option<ServerConfig>>,
    session: Mutex<Option<SessionGuard>>,
}

/// The upstream's capabilities and identity, minus what the passthrough does not relay
/// (experimental capabilities and extensions such as tasks and skills).
pub fn mirror(upstream: &ServerPeerInfo, server: &str) -> ServerConfig {
    let mut capabilities = upstream.capabilities.clone();
    capabilities.experimental = None;
    capabilities.extensions = None;
    let identity = upstream
        .server_info
        .clone()
        .unwrap_or_else(|| own_identity(server));
    let mut info = ServerConfig::new(capabilities).with_server_info(identity);
    info.instructions = upstream.instructions.clone();
    info
}

/// `mcpproxy/<server>` for upstreams that did not name themselves.
fn own_identity(server: &str) -> Implementation {
    Implementation::new(format!("mcpproxy/{server}"), env!("CARGO_PKG_VERSION"))
}

impl PassthroughHandler {
    /// Handler for a session on server `server`.
    pub fn new(core: Arc<Core>, server: String) -> Self {
        Self {
            core,
            server,
            info: RwLock::new(None),
            session: Mutex::new(None),
        }
    }

    fn session_id(&self) -> Option<u64> {
        self.session
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .as_ref()
            .map(|s| s.id)
    }

    async fn send(
        &self,
        request: ClientRequest,
        context: &RequestContext<RoleServer>,
    ) -> Result<ServerResult, McpError> {
        let upstream = gate::wait_connected(&self.core, &self.server, RECONNECT_WAIT).await?;
        forward::forward(&self.core, &self.server, &upstream, request, context).await
    }

    async fn ask<T: DeserializeOwned>(
        &self,
        request: ClientRequest,
        context: &RequestContext<RoleServer>,
    ) -> Result<T, McpError> {
        let method = request.method().to_string();
        let result = self.send(request, context).await?;
        forward::expect(&self.server, &method, result)
    }
}

impl ServerHandler for PassthroughHandler {
    fn get_info(&self) -> ServerConfig {
        if let Some(info) = self.info.read().unwrap_or_else(|e| e.into_inner()).clone() {
            return info;
        }
        let upstream = gate::connected(&self.core, &self.server)
            .ok()
            .and_then(|peer| peer.peer_info());
        match upstream {
            Some(upstream) => mirror(&upstream, &self.server),
            None => ServerConfig::new(ServerCapabilities::builder().enable_tools().build())
                .with_server_info(own_identity(&self.server)),
        }
    }

    async fn initialize(
        &self,
        request: InitializeRequestParams,
        context: RequestContext<RoleServer>,
    ) -> Result<InitializeResult, McpError> {
        context.peer.set_peer_info(request.clone());
        let upstream = gate::wait_connected(&self.core, &self.server, INITIALIZE_WAIT).await?;
        if let Some(upstream) = upstream.peer_info() {
            *self.info.write().unwrap_or_else(|e| e.into_inner()) =
                Some(mirror(&upstream, &self.server));
        }
        let result = self.negotiate_initialize(&request)?;
        // Registered here rather than on `initialized`: rmcp handles that notification on
        // a task of its own, and the client's first request may overtake it.
        let sessions = &self.core.upstreams.context().relay.sessions;
        let guard = sessions.add(&self.server, context.peer.clone());
        *self.session.lock().unwrap_or_else(|e| e.into_inner()) = Some(guard);
        Ok(result)
    }

    async fn on_roots_list_changed(&self, _context: NotificationContext<RoleServer>) {
        if let Ok(upstream) = gate::connected(&self.core, &self.server) {
            let _ = upstream.notify_roots_list_changed().await;
        }
    }

    async fn list_tools(
        &self,
        request: Option<PaginatedRequestParams>,
        context: RequestContext<RoleServer>,
    ) -> Result<ListToolsResult, McpError> {
        let list = ListToolsRequest {
            params: request,
            ..Default::default()
        };
        let mut result: ListToolsResult = self
            .ask(ClientRequest::ListToolsRequest(list), &context)
            .await?;
        result.tools = gate::visible_tools(&self.core, &self.server, result.tools);
        Ok(result)
    }

    async fn call_tool(
        &self,
        request: CallToolRequestParams,
        context: RequestContext<RoleServer>,
    ) -> Result<CallToolResponse, McpError> {
        let upstream = gate::wait_connected(&self.core, &self.server, RECONNECT_WAIT).await?;
        gate::check_tool_call(&self.core, &self.server, &request.name)?;
        let call = ClientRequest::CallToolRequest(CallToolRequest::new(request));
        let result = forward::forward(&self.core, &self.server, &upstream, call, &context).await?;
        let result: CallToolResult = forward::expect(&self.server, "tools/call", result)?;
        Ok(result.into())
    }

    async fn list_prompts(
        &self,
        request: Option<PaginatedRequestParams>,
        context: RequestContext<RoleServer>,
    ) -> Result<ListPromptsResult, McpError> {
        let list = ListPromptsRequest {
            params: request,
            ..Default::default()
        };
        self.ask(ClientRequest::ListPromptsRequest(list), &context)
            .await
    }

    async fn get_prompt(
        &self,
        request: GetPromptRequestParams,
        context: RequestContext<RoleServer>,
    ) -> Result<GetPromptResponse, McpError> {
        let get = ClientRequest::GetPromptRequest(GetPromptRequest::new(request));
        let result: GetPromptResult = self.ask(get, &context).await?;
        Ok(result.into())
    }

    async fn list_resources(
        &self,
        request: Option<PaginatedRequestParams>,
        context: RequestContext<RoleServer>,
    ) -> Result<ListResourcesResult, McpError> {
        let list = ListResourcesRequest {
            params: request,
            ..Default::default()
        };
        self.ask(ClientRequest::ListResourcesRequest(list), &context)
            .await
    }

    async fn list_resource_templates(
        &self,
        request: Option<PaginatedRequestParams>,
        context: RequestContext<RoleServer>,
    ) -> Result<ListResourceTemplatesResult, McpError> {
        let list = ListResourceTemplatesRequest {
            params: request,
            ..Default::default()
        };
        self.ask(ClientRequest::ListResourceTemplatesRequest(list), &context)
            .await
    }

    async fn read_resource(
        &self,
        request: ReadResourceRequestParams,
        context: RequestContext<RoleServer>,
    ) -> Result<ReadResourceResponse, McpError> {
        let read = ClientRequest::ReadResourceRequest(ReadResourceRequest::new(request));
        let result: ReadResourceResult = self.ask(read, &context).await?;
        Ok(result.into())
    }

    async fn subscribe(
        &self,
        request: SubscribeRequestParams,
        context: RequestContext<RoleServer>,
    ) -> Result<(), McpError> {
        let uri = request.uri.clone();
        // Always forwarded (servers treat it as idempotent), so a subscription survives
        // an upstream reconnect once any client subscribes again.
        self.send(
            ClientRequest::SubscribeRequest(SubscribeRequest::new(request)),
            &context,
        )
        .await?;
        if let Some(id) = self.session_id() {
            let sessions = &self.core.upstreams.context().relay.sessions;
            sessions.subscribe(&self.server, id, &uri);
        }
        Ok(())
    }

    async fn unsubscribe(
        &self,
        request: UnsubscribeRequestParams,
        context: RequestContext<RoleServer>,
    ) -> Result<(), McpError> {
        let last = match self.session_id() {
            Some(id) => {
                let sessions = &self.core.upstreams.context().relay.sessions;
                sessions.unsubscribe(&self.server, id, &request.uri)
            }
            None => true,
        };
        if last {
            let unsubscribe = UnsubscribeRequest::new(request);
            self.send(ClientRequest::UnsubscribeRequest(unsubscribe), &context)
                .await?;
        }
        Ok(())
    }

    async fn complete(
        &self,
        request: CompleteRequestParams,
        context: RequestContext<RoleServer>,
    ) -> Result<CompleteResult, McpError> {
        let complete = ClientRequest::CompleteRequest(CompleteRequest::new(request));
        self.ask(complete, &context).await
    }

    async fn set_level(
        &self,
        request: SetLevelRequestParams,
        context: RequestContext<RoleServer>,
    ) -> Result<(), McpError> {
        let set = ClientRequest::SetLevelRequest(SetLevelRequest::new(request));
        self.send(set, &context).await.map(|_| ())
    }

    async fn on_custom_request(
        &self,
        request: CustomRequest,
        context: RequestContext<RoleServer>,
    ) -> Result<CustomResult, McpError> {
        self.ask(ClientRequest::CustomRequest(request), &context)
            .await
            .map(CustomResult)
    }
}
