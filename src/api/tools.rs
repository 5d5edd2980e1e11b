//! `/api/v1/tools`, `/api/v1/index/search` and `/api/v1/tools/call`.

use super::envelope::{ok, ApiError, ApiResult, Body, Failure, Query, Success};
use super::ApiState;
use crate::catalog::{CatalogTool, ToolClass};
use crate::events::CallSource;
use crate::mcp::call::call_upstream;
use crate::mcp::refusal;
use crate::mcp::resolve::{resolve, Naming};
use axum::extract::State;
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// One upstream tool.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ToolView {
    /// `server:tool`, the name `POST /tools/call` takes.
    pub name: String,
    /// Upstream server.
    pub server: String,
    /// Tool name on the upstream.
    pub tool: String,
    /// Description.
    pub description: Option<String>,
    /// JSON Schema of the arguments.
    #[serde(rename = "inputSchema")]
    #[schema(value_type = Object)]
    pub input_schema: Value,
    /// MCP annotations (readOnlyHint, destructiveHint, …).
    #[schema(value_type = Option<Object>)]
    pub annotations: Option<Value>,
    /// `call_tool_read`, `call_tool_write` or `call_tool_destructive` (MCP variant to use).
    pub call_with: String,
    /// BM25 score (search results only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub score: Option<f32>,
    /// Approval state (`approved`, `pending`, `changed`) in per-server listings.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status: Option<String>,
}

impl ToolView {
    /// A tool not (yet) in the merged catalog.
    pub fn uncatalogued(server: &str, tool: &rmcp::model::Tool) -> Self {
        Self {
            name: format!("{server}:{}", tool.name),
            server: server.to_string(),
            tool: tool.name.to_string(),
            description: tool.description.as_ref().map(|d| d.to_string()),
            input_schema: Value::Object((*tool.input_schema).clone()),
            annotations: tool.annotations.as_ref().map(|a| serde_json::json!(a)),
            call_with: ToolClass::of(tool).call_tool_name().to_string(),
            score: None,
            status: None,
        }
    }
}

/// The view of a catalog entry.
pub fn tool_view(entry: &CatalogTool, score: Option<f32>) -> ToolView {
    ToolView {
        score,
        ..ToolView::uncatalogued(&entry.server, &entry.tool)
    }
}

/// Every tool of every ready server.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ToolList {
    /// Tools in server order.
    pub tools: Vec<ToolView>,
}

/// `?q=…&limit=N`.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
pub struct SearchQuery {
    /// What to search for.
    pub q: String,
    /// Maximum results (default `tools_limit`, at most 100).
    pub limit: Option<usize>,
}

/// Ranked search results.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct SearchResults {
    /// The query.
    pub query: String,
    /// Best first.
    pub tools: Vec<ToolView>,
}

/// A tool call.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
pub struct CallRequest {
    /// `server:tool`.
    pub name: String,
    /// Arguments matching the tool's inputSchema.
    #[serde(default)]
    #[schema(value_type = Option<Object>)]
    pub args: Option<Value>,
}

/// The MCP `CallToolResult` (an upstream failure is `isError: true`, not an HTTP error).
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct CallResult {
    /// Content blocks.
    #[schema(value_type = Vec<Object>)]
    pub content: Vec<Value>,
    /// Structured result, when the tool returns one.
    #[serde(rename = "structuredContent", skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<Object>)]
    pub structured_content: Option<Value>,
    /// True when the call failed.
    #[serde(rename = "isError", skip_serializing_if = "Option::is_none")]
    pub is_error: Option<bool>,
}

/// List every tool of every ready server.
#[utoipa::path(get, path = "/tools", tag = "tools",
    responses((status = 200, description = "The merged catalog", body = Success<ToolList>)))]
pub async fn list_tools(State(state): State<ApiState>) -> ApiResult<ToolList> {
    let snapshot = state.core.catalog.snapshot();
    Ok(ok(ToolList {
        tools: snapshot
            .tools()
            .iter()
            .map(|t| tool_view(t, None))
            .collect(),
    }))
}

/// BM25 search over every tool (the same index as MCP `retrieve_tools`).
#[utoipa::path(get, path = "/index/search", tag = "tools", params(SearchQuery),
    responses(
        (status = 200, description = "Ranked tools", body = Success<SearchResults>),
        (status = 400, description = "Missing query", body = Failure)))]
pub async fn search_tools(
    State(state): State<ApiState>,
    Query(query): Query<SearchQuery>,
) -> ApiResult<SearchResults> {
    if query.q.trim().is_empty() {
        return Err(ApiError::bad_request(
            "`q` is empty; pass what you are looking for, e.g. ?q=create+issue",
        ));
    }
    let limit = query
        .limit
        .unwrap_or(state.core.config().tools_limit)
        .clamp(1, 100);
    let snapshot = state.core.catalog.snapshot();
    let tools = snapshot
        .search(&query.q, limit)
        .into_iter()
        .map(|(hit, tool)| tool_view(tool, Some(hit.score)))
        .collect();
    Ok(ok(SearchResults {
        query: query.q,
        tools,
    }))
}

/// Call an upstream tool through the same path as MCP (validation, timeout, truncation).
#[utoipa::path(post, path = "/tools/call", tag = "tools", request_body = CallRequest,
    responses(
        (status = 200, description = "The tool's result (isError on failure)", body = Success<CallResult>),
        (status = 400, description = "Malformed request", body = Failure),
        (status = 403, description = "Quarantined server or unapproved tool (`code`: QUARANTINED_SERVER_BLOCKED, TOOL_APPROVAL_REQUIRED)", body = Failure),
        (status = 404, description = "Unknown tool (`code`: UNKNOWN_TOOL)", body = Failure),
        (status = 409, description = "Disabled server (`code`: SERVER_DISABLED)", body = Failure),
        (status = 503, description = "Server waits for an OAuth login or is reconnecting (`code`: LOGIN_REQUIRED, SERVER_UNAVAILABLE; a reconnecting server is waited for up to 10 s first)", body = Failure)))]
pub async fn call_tool(
    State(state): State<ApiState>,
    Body(request): Body<CallRequest>,
) -> ApiResult<Value> {
    let args = match request.args {
        None | Some(Value::Null) => serde_json::Map::new(),
        Some(Value::Object(map)) => map,
        Some(_) => return Err(ApiError::bad_request("`args` must be a JSON object")),
    };
    let tool = match resolve(&state.core, &request.name, Naming::Key).await {
        Ok(tool) => tool,
        Err(refusal) => {
            refusal::record(&state.core, "rest", &request.name, &refusal);
            return Err(
                ApiError::new(refusal.http_status(), refusal.message()).with_code(refusal.code())
            );
        }
    };
    let result = call_upstream(&state.core, &tool, args, None, CallSource::Rest).await;
    Ok(ok(serde_json::to_value(result).unwrap_or_default()))
}
