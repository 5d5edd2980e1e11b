//! `/mcp/all` (and `/mcp` in direct mode): every upstream tool as `server__tool`.

use super::call::call_upstream;
use super::peers::Surface;
use super::refusal;
use super::resolve::{resolve, Naming};
use crate::core::Core;
use crate::events::CallSource;
use rmcp::model::SubscriptionFilter;
use rmcp::model::{
    CallToolRequestParams, CallToolResponse, ListToolsResult, PaginatedRequestParams, ServerConfig,
    Tool,
};
use rmcp::service::{NotificationContext, RequestContext, SubscriptionContext};
use rmcp::{ErrorData as McpError, RoleServer, ServerHandler};
use std::sync::Arc;

/// The catalog as an MCP tool list with exposed names.
pub fn list(core: &Core) -> ListToolsResult {
    let snapshot = core.catalog.snapshot();
    let tools: Vec<Tool> = snapshot
        .tools()
        .iter()
        .map(|t| {
            let mut tool = t.tool.clone();
            tool.name = t.exposed_name.clone().into();
            tool
        })
        .collect();
    ListToolsResult::with_all_items(tools)
}

/// Call a tool by its exposed name.
pub async fn call(
    core: &Core,
    request: CallToolRequestParams,
    context: RequestContext<RoleServer>,
) -> Result<CallToolResponse, McpError> {
    let tool = match resolve(core, &request.name, Naming::Exposed).await {
        Ok(tool) => tool,
        Err(refusal) => return refusal::answer_call(core, &request.name, &refusal),
    };
    let args = request.arguments.unwrap_or_default();
    Ok(
        call_upstream(core, &tool, args, Some(&context), CallSource::Mcp)
            .await
            .into(),
    )
}

/// Handler of one `/mcp/all` session.
#[derive(Clone)]
pub struct DirectHandler {
    core: Arc<Core>,
}

impl DirectHandler {
    /// Handler bound to `core`.
    pub fn new(core: Arc<Core>) -> Self {
        Self { core }
    }
}

impl ServerHandler for DirectHandler {
    fn get_info(&self) -> ServerConfig {
        super::server_info(
            "MCPProxy: every tool of every connected MCP server, named server__tool.",
        )
    }

    async fn on_initialized(&self, context: NotificationContext<RoleServer>) {
        self.core.peers.add(Surface::Direct, context.peer);
    }

    fn accepted_subscription_filter(
        &self,
        requested: &SubscriptionFilter,
    ) -> Option<SubscriptionFilter> {
        Some(requested.supported_by(&self.get_info().capabilities))
    }

    async fn listen(&self, context: SubscriptionContext) -> Result<(), McpError> {
        self.core.peers.listen(Surface::Direct, context).await;
        Ok(())
    }

    async fn list_tools(
        &self,
        _request: Option<PaginatedRequestParams>,
        _context: RequestContext<RoleServer>,
    ) -> Result<ListToolsResult, McpError> {
        Ok(list(&self.core))
    }

    async fn call_tool(
        &self,
        request: CallToolRequestParams,
        context: RequestContext<RoleServer>,
    ) -> Result<CallToolResponse, McpError> {
        call(&self.core, request, context).await
    }
}
