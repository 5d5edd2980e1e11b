//! `/mcp`: the built-in tools (retrieve_tools, call_tool_*, …) or, in direct mode, the catalog.

use super::builtin;
use super::call::{self, error_result};
use super::direct;
use super::peers::Surface;
use super::refusal::{self, Refusal};
use super::resolve::{resolve, Naming};
use crate::catalog::{CatalogTool, ToolClass};
use crate::config::RoutingMode;
use crate::core::{ChangeError, Core};
use crate::events::CallSource;
use crate::manage::{self, ops, Actor};
use rmcp::model::SubscriptionFilter;
use rmcp::model::{
    CallToolRequestParams, CallToolResponse, CallToolResult, ContentBlock, JsonObject,
    ListToolsResult, PaginatedRequestParams, ServerCapabilities, ServerConfig,
};
use rmcp::service::{NotificationContext, RequestContext, SubscriptionContext};
use rmcp::{ErrorData as McpError, RoleServer, ServerHandler};
use serde_json::{json, Value};
use std::sync::Arc;

/// Handler of one `/mcp` session.
#[derive(Clone)]
pub struct ProxyHandler {
    core: Arc<Core>,
}

impl ProxyHandler {
    /// Handler bound to `core`.
    pub fn new(core: Arc<Core>) -> Self {
        Self { core }
    }

    fn direct_mode(&self) -> bool {
        self.core.config().routing_mode == RoutingMode::Direct
    }
}

/// A successful result carrying `value` as JSON text and structured content.
pub fn json_result(value: Value) -> CallToolResult {
    let text = serde_json::to_string_pretty(&value).unwrap_or_default();
    let mut result = CallToolResult::success(vec![ContentBlock::text(text)]);
    result.structured_content = Some(value);
    result
}

fn str_arg<'a>(args: &'a JsonObject, field: &str) -> Result<&'a str, String> {
    match args.get(field) {
        Some(Value::String(s)) if !s.trim().is_empty() => Ok(s),
        Some(_) => Err(format!("`{field}` must be a non-empty string")),
        None => Err(format!("missing required argument `{field}`")),
    }
}

fn usize_arg(args: &JsonObject, field: &str) -> Result<Option<usize>, String> {
    match args.get(field) {
        None | Some(Value::Null) => Ok(None),
        Some(v) => v
            .as_u64()
            .map(|n| Some(n as usize))
            .ok_or_else(|| format!("`{field}` must be a non-negative integer")),
    }
}

/// The `name` and `args` of a `call_tool_*` call; `args` may also be an object as JSON text.
pub fn call_arguments(args: &JsonObject) -> Result<(&str, JsonObject), String> {
    let name = str_arg(args, "name")?;
    let tool_args = match args.get("args") {
        None | Some(Value::Null) => JsonObject::new(),
        Some(Value::Object(map)) => map.clone(),
        Some(Value::String(text)) => match serde_json::from_str::<Value>(text) {
            Ok(Value::Object(map)) => map,
            _ => return Err("`args` must be a JSON object".into()),
        },
        Some(_) => return Err("`args` must be a JSON object".into()),
    };
    Ok((name, tool_args))
}

/// JSON description of a catalog tool for retrieve_tools/describe_tool.
fn describe(tool: &CatalogTool, score: Option<f32>) -> Value {
    let mut entry = json!({
        "name": tool.key,
        "server": tool.server,
        "tool": tool.tool.name,
        "description": tool.tool.description,
        "inputSchema": tool.tool.input_schema,
        "call_with": tool.class.call_tool_name(),
    });
    if let Some(score) = score {
        entry["score"] = json!(score);
    }
    if let Some(annotations) = &tool.tool.annotations {
        entry["annotations"] = json!(annotations);
    }
    if let Some(output) = &tool.tool.output_schema {
        entry["outputSchema"] = json!(output);
    }
    if let Some(title) = &tool.tool.title {
        entry["title"] = json!(title);
    }
    entry
}

impl ProxyHandler {
    fn retrieve_tools(&self, args: &JsonObject) -> Result<CallToolResult, String> {
        let query = str_arg(args, "query")?;
        let limit = usize_arg(args, "limit")?
            .unwrap_or(self.core.config().tools_limit)
            .clamp(1, 100);
        let snapshot = self.core.catalog.snapshot();
        let hits = snapshot.search(query, limit);
        let tools: Vec<Value> = hits
            .iter()
            .map(|(hit, tool)| describe(tool, Some(hit.score)))
            .collect();
        let pending = self
            .core
            .upstreams
            .all()
            .iter()
            .filter(|u| u.status().state == crate::upstream::ConnectionState::Connecting)
            .count();
        let mut body = json!({
            "query": query,
            "total": tools.len(),
            "tools": tools,
            "usage": "Call a tool with the call_tool_* variant named in its call_with, e.g. {\"name\": \"server:tool\", \"args\": {...}}",
        });
        if pending > 0 {
            body["note"] = json!(format!(
                "{pending} server(s) are still connecting; their tools are not searchable yet"
            ));
        }
        Ok(json_result(body))
    }

    fn describe_tool(&self, args: &JsonObject) -> Result<CallToolResult, String> {
        let name = str_arg(args, "name")?;
        let snapshot = self.core.catalog.snapshot();
        match snapshot.by_key(name) {
            Some(tool) => Ok(json_result(describe(tool, None))),
            None => match crate::quarantine::blocked_call(&self.core, name) {
                Some(explanation) => Ok(json_result(explanation)),
                None => Err(unknown_tool_message(&self.core, name)),
            },
        }
    }

    async fn call_variant(
        &self,
        variant: ToolClass,
        args: &JsonObject,
        context: &RequestContext<RoleServer>,
    ) -> Result<CallToolResponse, McpError> {
        let (name, tool_args) = match call_arguments(args) {
            Ok(found) => found,
            Err(message) => return Ok(error_result(message).into()),
        };
        let tool = match resolve(&self.core, name, Naming::Key).await {
            Ok(tool) => tool,
            Err(refusal) => return refusal::answer_call(&self.core, name, &refusal),
        };
        if tool.class > variant {
            return Ok(error_result(format!(
                "{} is a {} tool and cannot be called with {}; use {} instead",
                tool.key,
                match tool.class {
                    ToolClass::Read => "read-only",
                    ToolClass::Write => "write (not read-only)",
                    ToolClass::Destructive => "destructive",
                },
                variant.call_tool_name(),
                tool.class.call_tool_name()
            ))
            .into());
        }
        let result =
            call::call_upstream(&self.core, &tool, tool_args, Some(context), CallSource::Mcp).await;
        Ok(result.into())
    }

    fn read_cache(&self, args: &JsonObject) -> Result<CallToolResult, String> {
        let key = str_arg(args, "key")?;
        let offset = usize_arg(args, "offset")?.unwrap_or(0);
        let default_limit = self.core.config().tool_response_limit.max(1);
        let limit = usize_arg(args, "limit")?.unwrap_or(default_limit).max(1);
        match self.core.read_cache.read(key, offset, limit) {
            Ok(page) => Ok(json_result(json!(page))),
            Err(message) => Err(message),
        }
    }

    async fn upstream_servers(&self, args: &JsonObject) -> Result<CallToolResult, String> {
        let operation = str_arg(args, "operation")?;
        let core = &self.core;
        let rest_of = |skip: &[&str]| -> Value {
            Value::Object(
                args.iter()
                    .filter(|(k, _)| !skip.contains(&k.as_str()))
                    .map(|(k, v)| (k.clone(), v.clone()))
                    .collect(),
            )
        };
        let failed = |err: ChangeError| err.to_string();
        let config = core.config();
        if config.disable_management {
            return Err(MANAGEMENT_DISABLED.into());
        }
        if config.read_only_mode && !matches!(operation, "list" | "tail_log") {
            return Err(crate::core::READ_ONLY_MESSAGE.into());
        }
        let value = match operation {
            "list" => {
                let servers = manage::server_views(core);
                let mut body = json!({"total": servers.len(), "servers": servers});
                let isolation_on = core.config().docker_isolation.is_some_and(|d| d.enabled);
                if isolation_on {
                    body["docker_status"] = json!(core.docker_status().await);
                }
                body
            }
            "add" => {
                let server = match args.get("server") {
                    Some(server) => server.clone(),
                    None => rest_of(&["operation"]),
                };
                let view = ops::add(core, server, Actor::Mcp).await.map_err(failed)?;
                let name = view.name.clone();
                let message = format!(
                    "Server `{name}` was added in quarantine: nothing of it runs until a person reviews it and runs `mcpproxy upstream approve {name}` (or approves it in the MCPProxy web UI or tray)."
                );
                json!({"added": view, "approval_required": message})
            }
            "patch" | "update" => {
                let name = str_arg(args, "name")?;
                let patch = match args.get("patch") {
                    Some(patch) => patch.clone(),
                    None => rest_of(&["operation", "name"]),
                };
                let patched = ops::patch(core, name, patch, Actor::Mcp)
                    .await
                    .map_err(failed)?;
                let mut body = json!({"updated": patched.view});
                if let Some(message) = patched.approval_required {
                    body["approval_required"] = json!(message);
                }
                body
            }
            "remove" => {
                let name = str_arg(args, "name")?;
                ops::remove(core, name, Actor::Mcp).await.map_err(failed)?;
                json!({"removed": name})
            }
            "enable" | "disable" => {
                let name = str_arg(args, "name")?;
                let view = ops::set_enabled(core, name, operation == "enable", Actor::Mcp)
                    .await
                    .map_err(failed)?;
                json!({"server": view})
            }
            "restart" => {
                let name = str_arg(args, "name")?;
                let view = ops::restart(core, name).await.map_err(failed)?;
                json!({"server": view})
            }
            "tail_log" => {
                let name = str_arg(args, "name")?;
                let lines = usize_arg(args, "lines")?.unwrap_or(50);
                let lines = ops::tail_log(core, name, lines).map_err(failed)?;
                json!({"name": name, "lines": lines})
            }
            other => {
                return Err(format!(
                    "unknown operation `{other}`; use one of: list, add, remove, update, patch, enable, disable, restart, tail_log"
                ))
            }
        };
        Ok(json_result(value))
    }
}

impl ProxyHandler {
    fn quarantine_security(&self, args: &JsonObject) -> Result<CallToolResult, String> {
        let operation = str_arg(args, "operation")?;
        let config = self.core.config();
        match operation {
            "list_quarantined" => {
                let servers: Vec<Value> = config
                    .mcp_servers
                    .iter()
                    .filter(|s| s.quarantined.unwrap_or(false))
                    .map(|s| json!({"name": s.name, "protocol": s.protocol.as_str(), "command": s.command, "url": s.url}))
                    .collect();
                Ok(json_result(json!({
                    "quarantine_enabled": config.quarantine_enabled,
                    "total": servers.len(),
                    "servers": servers,
                    "how_to_approve": "A person approves servers in the MCPProxy web UI or tray, or with `mcpproxy upstream approve NAME`.",
                })))
            }
            "list_pending" => {
                let snapshot = self.core.catalog.snapshot();
                let tools: Vec<Value> = snapshot
                    .entries()
                    .iter()
                    .filter(|e| e.status != crate::catalog::approval::ToolStatus::Approved)
                    .map(|e| json!({"name": e.tool.key, "status": e.status, "description": e.tool.tool.description}))
                    .collect();
                Ok(json_result(json!({"total": tools.len(), "tools": tools})))
            }
            "inspect_tool" => {
                let name = str_arg(args, "name")?;
                let (server, tool) = name
                    .split_once(':')
                    .ok_or_else(|| "`name` must be \"server:tool\"".to_string())?;
                crate::quarantine::tool_diff(&self.core, server, tool)
                    .map(json_result)
                    .map_err(|e| e.to_string())
            }
            other => Err(format!(
                "operation `{other}` is not available; use list_quarantined, list_pending or inspect_tool (approval is not possible from MCP)"
            )),
        }
    }
}

/// Why `upstream_servers` is refused while `disable_management` is on.
pub const MANAGEMENT_DISABLED: &str = "server management from MCP is turned off (disable_management: true in mcp_config.json); a person manages servers in the MCPProxy web UI, tray, CLI or REST API";

/// Message for a `server:tool` that is not in the catalog (the same text as a call gets).
pub fn unknown_tool_message(core: &Core, name: &str) -> String {
    let server = name
        .split_once(':')
        .map(|(server, _)| server.to_string())
        .filter(|server| core.upstreams.get(server).is_some());
    Refusal::UnknownTool {
        name: name.to_string(),
        server,
    }
    .message()
}

impl ServerHandler for ProxyHandler {
    fn get_info(&self) -> ServerConfig {
        super::server_info(
            "MCPProxy: use retrieve_tools to find tools across all connected MCP servers, then call them with call_tool_read / call_tool_write / call_tool_destructive as its call_with says.",
        )
    }

    async fn on_initialized(&self, context: NotificationContext<RoleServer>) {
        let surface = if self.direct_mode() {
            Surface::Direct
        } else {
            Surface::Proxy
        };
        self.core.peers.add(surface, context.peer);
    }

    fn accepted_subscription_filter(
        &self,
        requested: &SubscriptionFilter,
    ) -> Option<SubscriptionFilter> {
        Some(requested.supported_by(&self.get_info().capabilities))
    }

    async fn listen(&self, context: SubscriptionContext) -> Result<(), McpError> {
        let surface = if self.direct_mode() {
            Surface::Direct
        } else {
            Surface::Proxy
        };
        self.core.peers.listen(surface, context).await;
        Ok(())
    }

    async fn list_tools(
        &self,
        _request: Option<PaginatedRequestParams>,
        _context: RequestContext<RoleServer>,
    ) -> Result<ListToolsResult, McpError> {
        if self.direct_mode() {
            return Ok(direct::list(&self.core));
        }
        let mut tools = builtin::tools();
        if self.core.config().disable_management {
            tools.retain(|t| t.name != "upstream_servers");
        }
        Ok(ListToolsResult::with_all_items(tools))
    }

    async fn call_tool(
        &self,
        request: CallToolRequestParams,
        context: RequestContext<RoleServer>,
    ) -> Result<CallToolResponse, McpError> {
        if self.direct_mode() {
            return direct::call(&self.core, request, context).await;
        }
        let args = request.arguments.clone().unwrap_or_default();
        let outcome = match request.name.as_ref() {
            "retrieve_tools" => self.retrieve_tools(&args),
            "describe_tool" => self.describe_tool(&args),
            "call_tool_read" => {
                return self.call_variant(ToolClass::Read, &args, &context).await
            }
            "call_tool_write" => {
                return self.call_variant(ToolClass::Write, &args, &context).await
            }
            "call_tool_destructive" => {
                return self
                    .call_variant(ToolClass::Destructive, &args, &context)
                    .await
            }
            "read_cache" => self.read_cache(&args),
            "upstream_servers" => self.upstream_servers(&args).await,
            "quarantine_security" => self.quarantine_security(&args),
            other => {
                return Err(McpError::invalid_params(
                    format!("unknown tool `{other}`; this endpoint offers: retrieve_tools, describe_tool, call_tool_read, call_tool_write, call_tool_destructive, read_cache, upstream_servers, quarantine_security"),
                    None,
                ))
            }
        };
        Ok(outcome.unwrap_or_else(error_result).into())
    }
}

/// Capabilities shared by the proxy's MCP surfaces.
pub fn capabilities() -> ServerCapabilities {
    ServerCapabilities::builder()
        .enable_tools()
        .enable_tool_list_changed()
        .build()
}
