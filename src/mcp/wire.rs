//! HTTP details of the MCP endpoints that clients check and rmcp's Streamable HTTP server
//! answers differently: malformed JSON is `400` with JSON-RPC `-32700` (rmcp: `415` with
//! text), a request of a known method with unusable params is JSON-RPC `-32602` (rmcp
//! takes it for an unknown method: `-32601`), and ending a session with `DELETE` is
//! `204` (rmcp: `202`, which the python SDK logs as a failed termination).

use axum::body::{Body, Bytes};
use axum::extract::Request;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use http::{Method, StatusCode};
use rmcp::model::{ClientJsonRpcMessage, ClientRequest};
use serde_json::{json, Value};

/// Largest request body read (rmcp's own limit).
const MAX_BODY: usize = 4 * 1024 * 1024;

/// Methods of the MCP spec whose params rmcp types; a request of one of these that rmcp
/// cannot read has invalid params.
const TYPED_METHODS: &[&str] = &[
    "initialize",
    "ping",
    "tools/list",
    "tools/call",
    "resources/list",
    "resources/read",
    "resources/templates/list",
    "resources/subscribe",
    "resources/unsubscribe",
    "prompts/list",
    "prompts/get",
    "completion/complete",
    "logging/setLevel",
];

fn json_rpc_error(status: StatusCode, id: Value, code: i64, message: String) -> Response {
    let body = json!({"jsonrpc": "2.0", "id": id, "error": {"code": code, "message": message}});
    (
        status,
        [(http::header::CONTENT_TYPE, "application/json")],
        body.to_string(),
    )
        .into_response()
}

fn is_json(request: &Request) -> bool {
    request
        .headers()
        .get(http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .is_some_and(|essence| essence.trim().eq_ignore_ascii_case("application/json"))
}

/// What is wrong with the `params` of a `tools/call` request, naming the field.
fn tool_call_params_problem(params: Option<&Value>) -> Option<String> {
    let Some(Value::Object(params)) = params else {
        return Some("`params` must be an object with `name` and `arguments`".into());
    };
    if !params.get("name").is_some_and(Value::is_string) {
        return Some("`params.name` must be the tool's name as a string".into());
    }
    match params.get("arguments") {
        None | Some(Value::Null) | Some(Value::Object(_)) => None,
        Some(_) => Some("`params.arguments` must be an object of the tool's arguments".into()),
    }
}

/// The answer to a POSTed body rmcp would misjudge, or `None` to pass it on.
pub fn check_body(body: &[u8]) -> Option<Response> {
    let value: Value = match serde_json::from_slice(body) {
        Ok(value) => value,
        Err(err) => {
            return Some(json_rpc_error(
                StatusCode::BAD_REQUEST,
                Value::Null,
                -32700,
                format!("Parse error: the request body is not valid JSON ({err})"),
            ))
        }
    };
    let id = value.get("id").cloned().unwrap_or(Value::Null);
    let message = match serde_json::from_value::<ClientJsonRpcMessage>(value.clone()) {
        Ok(message) => message,
        Err(err) => {
            return Some(json_rpc_error(
                StatusCode::BAD_REQUEST,
                id,
                -32600,
                format!("Invalid Request: not a JSON-RPC 2.0 request, notification or response MCP accepts ({err})"),
            ))
        }
    };
    let ClientJsonRpcMessage::Request(request) = message else {
        return None;
    };
    let ClientRequest::CustomRequest(custom) = &request.request else {
        return None;
    };
    let method = custom.method.as_str();
    if !TYPED_METHODS.contains(&method) {
        return None;
    }
    let problem = match method {
        "tools/call" => tool_call_params_problem(value.get("params")),
        _ => None,
    }
    .unwrap_or_else(|| "`params` do not have the form the MCP specification gives".into());
    Some(json_rpc_error(
        StatusCode::OK,
        id,
        -32602,
        format!("Invalid params for {method}: {problem}"),
    ))
}

/// Middleware for every MCP route (see the module doc).
pub async fn http_details(request: Request, next: Next) -> Response {
    if request.method() == Method::DELETE {
        let response = next.run(request).await;
        if response.status() == StatusCode::ACCEPTED {
            let mut ended = StatusCode::NO_CONTENT.into_response();
            for (name, value) in response.headers() {
                if name != http::header::CONTENT_TYPE && name != http::header::CONTENT_LENGTH {
                    ended.headers_mut().insert(name.clone(), value.clone());
                }
            }
            return ended;
        }
        return response;
    }
    if request.method() != Method::POST || !is_json(&request) {
        return next.run(request).await;
    }
    let (parts, body) = request.into_parts();
    let bytes: Bytes = match axum::body::to_bytes(body, MAX_BODY).await {
        Ok(bytes) => bytes,
        Err(_) => {
            return (
                StatusCode::PAYLOAD_TOO_LARGE,
                format!("Payload Too Large: request body exceeds {MAX_BODY} bytes"),
            )
                .into_response()
        }
    };
    if let Some(answer) = check_body(&bytes) {
        return answer;
    }
    next.run(Request::from_parts(parts, Body::from(bytes)))
        .await
}

#[cfg(test)]
mod tests {
    use super::*;

    fn error_of(body: &str) -> Option<(StatusCode, i64)> {
        let response = check_body(body.as_bytes())?;
        let status = response.status();
        let bytes =
            futures::executor::block_on(axum::body::to_bytes(response.into_body(), usize::MAX))
                .unwrap();
        let value: Value = serde_json::from_slice(&bytes).unwrap();
        Some((status, value["error"]["code"].as_i64().unwrap()))
    }

    #[test]
    fn malformed_json_is_a_parse_error_with_400() {
        assert_eq!(
            error_of("{not json"),
            Some((StatusCode::BAD_REQUEST, -32700))
        );
    }

    #[test]
    fn unusable_tool_call_params_are_invalid_params() {
        let call = |params: &str| {
            error_of(&format!(
                r#"{{"jsonrpc":"2.0","id":3,"method":"tools/call","params":{params}}}"#
            ))
        };
        assert_eq!(
            call(r#"{"name":"echo","arguments":"x"}"#),
            Some((StatusCode::OK, -32602))
        );
        assert_eq!(call(r#"{"name":"echo","arguments":{"a":1}}"#), None);
        assert_eq!(call(r#"{"name":"echo"}"#), None);
    }

    #[test]
    fn other_methods_and_notifications_pass() {
        assert_eq!(
            error_of(r#"{"jsonrpc":"2.0","id":1,"method":"vendor/thing","params":{"x":1}}"#),
            None
        );
        assert_eq!(
            error_of(r#"{"jsonrpc":"2.0","method":"notifications/initialized"}"#),
            None
        );
    }
}
