//! The proxy's per-call CPU work without sockets or tasks: parse the downstream
//! `tools/call`, route it through a real catalog snapshot (lookup + argument
//! validation), build and serialize the upstream request, parse the upstream
//! answer, apply the result limit and serialize the downstream response.
//! Shared by the criterion `hotpath` bench and the callgrind instruction count.

use mcpproxy::catalog::CatalogSnapshot;
use mcpproxy::mcp::{call, read_cache};
use rmcp::model::{
    CallToolRequest, CallToolRequestParams, ClientJsonRpcMessage, ClientRequest, NumberOrString,
    ServerJsonRpcMessage, ServerResult, Tool, ToolAnnotations,
};
use serde_json::json;
use std::sync::Arc;

/// A downstream `tools/call` on `/mcp/all`, as bytes on the wire.
pub const DOWNSTREAM_REQUEST: &[u8] = br#"{"jsonrpc":"2.0","id":17,"method":"tools/call","params":{"name":"fx__echo","arguments":{"message":"hello from the benchmark"}}}"#;

/// The upstream's answer, as bytes on the wire.
pub const UPSTREAM_RESPONSE: &[u8] = br#"{"jsonrpc":"2.0","id":4242,"result":{"content":[{"type":"text","text":"hello from the benchmark"}],"isError":false}}"#;

/// Everything the pipeline needs that lives for the whole process.
pub struct HotPath {
    snapshot: CatalogSnapshot,
    cache: read_cache::ReadCache,
}

fn echo_tool(name: &str) -> Tool {
    let schema = json!({
        "type": "object",
        "properties": {"message": {"type": "string", "description": "Text to echo back."}},
        "required": ["message"]
    });
    let serde_json::Value::Object(schema) = schema else {
        unreachable!("object literal")
    };
    Tool::new(name.to_string(), "Echo the given message back.", schema)
        .with_annotations(ToolAnnotations::new().read_only(true))
}

impl HotPath {
    /// A catalog of `servers` upstreams with `tools_per_server` tools each (one is `fx:echo`).
    pub fn new(servers: usize, tools_per_server: usize) -> Self {
        let mut list: Vec<(String, Arc<Vec<Tool>>)> = (0..servers.saturating_sub(1))
            .map(|s| {
                let tools = (0..tools_per_server)
                    .map(|t| echo_tool(&format!("tool_{t}")))
                    .collect();
                (format!("server{s}"), Arc::new(tools))
            })
            .collect();
        let mut fx: Vec<Tool> = (1..tools_per_server)
            .map(|t| echo_tool(&format!("tool_{t}")))
            .collect();
        fx.push(echo_tool("echo"));
        list.push(("fx".to_string(), Arc::new(fx)));
        Self {
            snapshot: CatalogSnapshot::build(&list),
            cache: read_cache::ReadCache::default(),
        }
    }

    /// One proxied call's CPU work; returns the downstream response bytes.
    pub fn run_once(&self, upstream_id: i64) -> Vec<u8> {
        // parse
        let message: ClientJsonRpcMessage =
            serde_json::from_slice(DOWNSTREAM_REQUEST).expect("valid request");
        let ClientJsonRpcMessage::Request(request) = message else {
            panic!("not a request")
        };
        let ClientRequest::CallToolRequest(call_request) = request.request else {
            panic!("not tools/call")
        };
        // route
        let params = call_request.params;
        let tool = self
            .snapshot
            .by_exposed_name(&params.name)
            .expect("routed tool");
        let args = params.arguments.unwrap_or_default();
        call::validate_arguments(tool, &args).expect("valid arguments");
        // forward
        let upstream = ClientJsonRpcMessage::request(
            ClientRequest::CallToolRequest(CallToolRequest::new(
                CallToolRequestParams::new(tool.tool.name.clone()).with_arguments(args),
            )),
            NumberOrString::Number(upstream_id),
        );
        let wire = serde_json::to_vec(&upstream).expect("serializable");
        std::hint::black_box(&wire);
        let answer: ServerJsonRpcMessage =
            serde_json::from_slice(UPSTREAM_RESPONSE).expect("valid response");
        let ServerJsonRpcMessage::Response(answer) = answer else {
            panic!("not a response")
        };
        let ServerResult::CallToolResult(result) = answer.result else {
            panic!("not a tools/call result")
        };
        // serialize
        let result = read_cache::truncate(&self.cache, &tool.key, result, 20_000);
        let downstream =
            ServerJsonRpcMessage::response(ServerResult::CallToolResult(result), request.id);
        serde_json::to_vec(&downstream).expect("serializable")
    }
}

/// The text of the first content block of a serialized downstream response.
pub fn response_text(bytes: &[u8]) -> String {
    let value: serde_json::Value = serde_json::from_slice(bytes).expect("json");
    value["result"]["content"][0]["text"]
        .as_str()
        .unwrap_or_default()
        .to_string()
}
