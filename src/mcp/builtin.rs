//! Definitions of the `/mcp` built-in tools.

use rmcp::model::{JsonObject, Tool, ToolAnnotations};
use serde_json::json;
use std::sync::Arc;

fn schema(value: serde_json::Value) -> Arc<JsonObject> {
    match value {
        serde_json::Value::Object(map) => Arc::new(map),
        _ => unreachable!("tool schemas are objects"),
    }
}

fn call_schema(variant: &str) -> Arc<JsonObject> {
    schema(json!({
        "type": "object",
        "properties": {
            "name": {"type": "string", "description": format!("Tool to call as \"server:tool\" (from retrieve_tools; its call_with must be {variant} or lower)")},
            "args": {"type": "object", "description": "Arguments matching the tool's inputSchema", "additionalProperties": true}
        },
        "required": ["name"]
    }))
}

/// Every built-in tool of `/mcp` in retrieve_tools mode.
pub fn tools() -> Vec<Tool> {
    vec![
        Tool::new(
            "retrieve_tools",
            "Search all connected MCP servers' tools (keyword + semantic search: describe the task in your own words). Returns the best matches as \"server:tool\" names with description, inputSchema, annotations, score and call_with (the call_tool_* variant to use). Always use this first to find a tool.",
            schema(json!({
                "type": "object",
                "properties": {
                    "query": {"type": "string", "description": "What you want to do, in natural language or keywords"},
                    "limit": {"type": "integer", "minimum": 1, "maximum": 100, "description": "Maximum results (default: tools_limit from the config)"}
                },
                "required": ["query"]
            })),
        )
        .annotate(ToolAnnotations::new().read_only(true).open_world(false)),
        Tool::new(
            "describe_tool",
            "Full definition (description, inputSchema, outputSchema, annotations, call_with) of one upstream tool given as \"server:tool\".",
            schema(json!({
                "type": "object",
                "properties": {"name": {"type": "string", "description": "\"server:tool\""}},
                "required": ["name"]
            })),
        )
        .annotate(ToolAnnotations::new().read_only(true).open_world(false)),
        Tool::new(
            "call_tool_read",
            "Call a read-only upstream tool (call_with = call_tool_read). Refused for tools that write or destroy.",
            call_schema("call_tool_read"),
        )
        .annotate(ToolAnnotations::new().read_only(true)),
        Tool::new(
            "call_tool_write",
            "Call an upstream tool that may change state but is not destructive (call_with = call_tool_write or call_tool_read).",
            call_schema("call_tool_write"),
        )
        .annotate(ToolAnnotations::new().read_only(false).destructive(false)),
        Tool::new(
            "call_tool_destructive",
            "Call an upstream tool that may delete or overwrite data (call_with = call_tool_destructive). Use only when the user intends it.",
            call_schema("call_tool_destructive"),
        )
        .annotate(ToolAnnotations::new().read_only(false).destructive(true)),
        Tool::new(
            "read_cache",
            "Read more of a tool result that was truncated (the truncation note gives the key and offset).",
            schema(json!({
                "type": "object",
                "properties": {
                    "key": {"type": "string"},
                    "offset": {"type": "integer", "minimum": 0, "default": 0},
                    "limit": {"type": "integer", "minimum": 1, "description": "Characters to return (default: tool_response_limit)"}
                },
                "required": ["key"]
            })),
        )
        .annotate(ToolAnnotations::new().read_only(true).open_world(false)),
        Tool::new(
            "upstream_servers",
            "Manage the upstream MCP servers behind this proxy. list: every server with status, transport, tool count and configuration (secret values masked). add: {server: {name, url | command+args, headers, env, protocol}}; servers added here start quarantined until a person approves them. patch/update: {name, patch} as JSON Merge Patch (headers/env: string = set, null = delete; masked values sent back keep the stored secret). remove/enable/disable/restart: {name}. tail_log: {name, lines}.",
            schema(json!({
                "type": "object",
                "properties": {
                    "operation": {"type": "string", "enum": ["list", "add", "remove", "update", "patch", "enable", "disable", "restart", "tail_log"], "description": "What to do"},
                    "name": {"type": "string", "description": "Server name (all operations except list and add)"},
                    "server": {"type": "object", "description": "add: the server definition (name, protocol, url or command/args, headers, env, working_dir)", "additionalProperties": true},
                    "patch": {"type": "object", "description": "patch/update: JSON Merge Patch of the server", "additionalProperties": true},
                    "lines": {"type": "integer", "minimum": 1, "description": "tail_log: number of lines (default 50)"}
                },
                "required": ["operation"]
            })),
        )
        .annotate(ToolAnnotations::new().read_only(false).destructive(true).open_world(false)),
        Tool::new(
            "quarantine_security",
            "Inspect MCPProxy's security quarantine (read-only; approving is for people in the UI, tray, CLI or REST API). operation \"list_quarantined\": quarantined servers; \"list_pending\": tools blocked until approved (new or changed since approval); \"inspect_tool\" {name: \"server:tool\"}: a blocked tool's approved vs current definition with a diff.",
            schema(json!({
                "type": "object",
                "properties": {
                    "operation": {"type": "string", "enum": ["list_quarantined", "list_pending", "inspect_tool"]},
                    "name": {"type": "string", "description": "\"server:tool\" for inspect_tool"}
                },
                "required": ["operation"]
            })),
        )
        .annotate(ToolAnnotations::new().read_only(true).open_world(false)),
    ]
}
