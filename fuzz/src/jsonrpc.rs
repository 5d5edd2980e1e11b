//! JSON-RPC message handling: arbitrary bytes as a message in both directions.
//!
//! * As a client message on `/mcp` (rmcp's `ClientJsonRpcMessage`): a `tools/call` of a
//!   built-in `call_tool_*` goes through our argument decoding
//!   ([`mcpproxy::mcp::proxy::call_arguments`]) and input-schema validation
//!   ([`mcpproxy::mcp::call::validate_arguments`]).
//! * As a legacy-SSE upstream's event stream (`sse-stream` parser, cut into chunks where
//!   the input says): `endpoint` events through [`mcpproxy::upstream::sse::endpoint_from_event`],
//!   `message` events through [`mcpproxy::upstream::sse::parse_message_data`]; a `tools/list`
//!   result builds the catalog (naming, classification, BM25 index) and is searched; a
//!   `tools/call` result goes through truncation and `read_cache` paging.
//!
//! Properties: never panics; a rejected call names the problem; an accepted endpoint has the
//! SSE URL's origin; truncation + paging gives back exactly the full text.

use futures::StreamExt;
use mcpproxy::catalog::{CatalogSnapshot, CatalogTool};
use mcpproxy::mcp::{call, proxy, read_cache};
use mcpproxy::upstream::sse;
use rmcp::model::{
    CallToolResult, ClientJsonRpcMessage, ClientRequest, JsonRpcMessage, ServerJsonRpcMessage,
    ServerResult, Tool,
};
use serde_json::json;
use std::sync::{Arc, OnceLock};

const SSE_URL: &str = "http://127.0.0.1:3001/sse?session=a";

/// One input: the bytes of a message (or an event stream).
pub fn run(data: &[u8]) {
    if let Ok(text) = std::str::from_utf8(data) {
        client_message(text);
        for message in sse::parse_message_data(text).unwrap_or_default() {
            server_message(message, data.len());
        }
    }
    event_stream(data);
}

/// A fixed upstream tool whose schema arguments are validated against.
fn fixture_tool() -> &'static CatalogTool {
    static SNAPSHOT: OnceLock<CatalogSnapshot> = OnceLock::new();
    let snapshot = SNAPSHOT.get_or_init(|| {
        let tool: Tool = serde_json::from_value(json!({
            "name": "echo",
            "description": "Echo the text back",
            "inputSchema": {
                "type": "object",
                "properties": {
                    "text": {"type": "string", "maxLength": 64},
                    "count": {"type": "integer", "minimum": 0},
                    "tags": {"type": "array", "items": {"type": "string", "pattern": "^[a-z]+$"}}
                },
                "required": ["text"],
                "additionalProperties": false
            }
        }))
        .expect("fixture tool");
        CatalogSnapshot::build(&[("fixture".to_string(), Arc::new(vec![tool]))])
    });
    snapshot
        .by_key("fixture:echo")
        .expect("fixture tool in catalog")
}

fn client_message(text: &str) {
    let Ok(message) = serde_json::from_str::<ClientJsonRpcMessage>(text) else {
        return;
    };
    // What rmcp accepted must serialise again (it is what we log and forward).
    serde_json::to_string(&message).expect("a parsed client message serialises");
    let JsonRpcMessage::Request(request) = message else {
        return;
    };
    let ClientRequest::CallToolRequest(call_request) = request.request else {
        return;
    };
    let args = call_request.params.arguments.unwrap_or_default();
    match proxy::call_arguments(&args) {
        Ok((name, tool_args)) => {
            assert!(!name.trim().is_empty());
            if let Err(problem) = call::validate_arguments(fixture_tool(), &tool_args) {
                assert!(problem.contains("fixture:echo"), "{problem}");
            }
        }
        Err(problem) => assert!(problem.contains('`'), "unnamed problem: {problem}"),
    }
}

fn server_message(message: ServerJsonRpcMessage, size: usize) {
    serde_json::to_string(&message).expect("a parsed server message serialises");
    let JsonRpcMessage::Response(response) = message else {
        return;
    };
    match response.result {
        ServerResult::ListToolsResult(list) => catalog(list.tools),
        ServerResult::CallToolResult(result) => truncation(result, size),
        _ => {}
    }
}

fn catalog(tools: Vec<Tool>) {
    let count = tools.len();
    let snapshot = CatalogSnapshot::build(&[
        ("up".to_string(), Arc::new(tools.clone())),
        ("up-2".to_string(), Arc::new(tools)),
    ]);
    assert!(snapshot.tools().len() <= 2 * count);
    let mut exposed = std::collections::HashSet::new();
    for tool in snapshot.tools() {
        assert!(
            exposed.insert(tool.exposed_name.clone()),
            "exposed names collide"
        );
        assert_eq!(snapshot.by_key(&tool.key).map(|t| &t.key), Some(&tool.key));
        let _ = call::validate_arguments(tool, &serde_json::Map::new());
    }
    if let Some(first) = snapshot.tools().first() {
        let query = first
            .tool
            .description
            .as_deref()
            .unwrap_or(&first.tool.name)
            .to_string();
        let hits = snapshot.search(&query, 5);
        assert!(hits.len() <= 5);
    }
}

fn truncation(result: CallToolResult, size: usize) {
    static CACHE: OnceLock<read_cache::ReadCache> = OnceLock::new();
    let cache = CACHE.get_or_init(read_cache::ReadCache::default);
    let limit = 1 + size % 64;
    let out = read_cache::truncate(cache, "up:tool", result.clone(), limit);
    if out == result {
        return;
    }
    let shown = out.content[0]
        .as_text()
        .expect("truncated result is text")
        .text
        .clone();
    let key = shown
        .rsplit("\"key\": \"")
        .next()
        .and_then(|rest| rest.split('"').next())
        .expect("truncation note names the key")
        .to_string();
    let mut rebuilt: String = shown.chars().take(limit).collect();
    let mut offset = limit;
    for _ in 0..10_000 {
        let page = cache.read(&key, offset, 97).expect("cached page");
        rebuilt.push_str(&page.content);
        match page.next_offset {
            Some(next) => offset = next,
            None => {
                let full = cache.read(&key, 0, usize::MAX).expect("cached result");
                assert_eq!(rebuilt, full.content, "paging lost or repeated text");
                return;
            }
        }
    }
    panic!("read_cache paging did not end");
}

/// The bytes as an SSE body: the first byte says where to cut it into chunks.
fn event_stream(data: &[u8]) {
    let Some((&cut, body)) = data.split_first() else {
        return;
    };
    let step = usize::from(cut).max(1);
    let chunks: Vec<Result<bytes::Bytes, std::io::Error>> = body
        .chunks(step)
        .map(|chunk| Ok(bytes::Bytes::copy_from_slice(chunk)))
        .collect();
    let sse_url = url::Url::parse(SSE_URL).expect("fixed URL");
    let mut events = sse_stream::SseStream::from_bytes_stream(futures::stream::iter(chunks));
    futures::executor::block_on(async {
        let mut seen = 0usize;
        while let Some(event) = events.next().await {
            seen += 1;
            assert!(seen <= body.len() + 1, "more events than bytes");
            let Ok(event) = event else { continue };
            let data = event.data.as_deref().unwrap_or_default();
            match event.event.as_deref() {
                Some("endpoint") if !data.trim().is_empty() => {
                    if let Ok(endpoint) =
                        sse::endpoint_from_event(&sse_url, "http://127.0.0.1:3001/sse", data.trim())
                    {
                        assert_eq!(endpoint.origin(), sse_url.origin());
                    }
                }
                None | Some("message") => {
                    for message in sse::parse_message_data(data).unwrap_or_default() {
                        server_message(message, data.len());
                    }
                }
                _ => {}
            }
        }
    });
}
