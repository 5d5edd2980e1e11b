//! The legacy SSE transport against a small axum server that requires an `X-Test-Token` header.
//!
//! The server writes `\r\n` line endings, a comment and an unknown `ping` event before the
//! endpoint event, so those paths are exercised on every connection.

use std::{
    collections::HashMap,
    convert::Infallible,
    sync::{
        atomic::{AtomicBool, AtomicU64, Ordering},
        Arc, Mutex,
    },
    time::Duration,
};

use axum::{
    body::Body,
    extract::{Query, State},
    http::{header::CONTENT_TYPE, HeaderMap, StatusCode},
    response::{IntoResponse, Response},
    routing::{get, post},
    Json, Router,
};
use futures::StreamExt;
use mcpproxy::upstream::sse::{connect, SseClientConfig, SseClientTransport, SseError};
use rmcp::ServiceExt;
use serde_json::{json, Value};
use tokio::sync::mpsc;

const TOKEN: &str = "s3cret";

#[derive(Clone, Default)]
struct AppState {
    sessions: Arc<Mutex<HashMap<String, mpsc::UnboundedSender<String>>>>,
    next_id: Arc<AtomicU64>,
    reject_posts: Arc<AtomicBool>,
}

fn authorized(headers: &HeaderMap) -> bool {
    headers.get("x-test-token").is_some_and(|v| v == TOKEN)
}

async fn open_stream(
    State(state): State<AppState>,
    Query(query): Query<HashMap<String, String>>,
    headers: HeaderMap,
) -> Response {
    if !authorized(&headers) {
        return StatusCode::UNAUTHORIZED.into_response();
    }
    let id = state.next_id.fetch_add(1, Ordering::SeqCst).to_string();
    let mut prelude = vec![
        ": keep-alive comment\r\n\r\n".to_owned(),
        "event: ping\r\ndata: {}\r\n\r\n".to_owned(),
    ];
    match query.get("endpoint").map(String::as_str) {
        Some("never" | "close") => {}
        Some("cross") => prelude.push(format!(
            "event: endpoint\r\ndata: http://localhost:1/message?sessionId={id}\r\n\r\n"
        )),
        _ => prelude.push(format!(
            "event: endpoint\r\ndata: /message?sessionId={id}\r\n\r\n"
        )),
    }
    let (tx, rx) = mpsc::unbounded_channel::<String>();
    if query.get("endpoint").is_none_or(|e| e != "close") {
        state.sessions.lock().unwrap().insert(id, tx);
    }
    let messages = futures::stream::unfold(rx, |mut rx| async move {
        let message = rx.recv().await?;
        Some((
            format!(": tick\r\nevent: message\r\ndata: {message}\r\n\r\n"),
            rx,
        ))
    });
    let body = futures::stream::iter(prelude)
        .chain(messages)
        .map(Ok::<_, Infallible>);
    (
        [(CONTENT_TYPE, "text/event-stream")],
        Body::from_stream(body),
    )
        .into_response()
}

async fn post_message(
    State(state): State<AppState>,
    Query(query): Query<HashMap<String, String>>,
    headers: HeaderMap,
    Json(message): Json<Value>,
) -> StatusCode {
    if !authorized(&headers) {
        return StatusCode::UNAUTHORIZED;
    }
    if state.reject_posts.load(Ordering::SeqCst) {
        return StatusCode::SERVICE_UNAVAILABLE;
    }
    let session = query.get("sessionId");
    let Some(tx) = session.and_then(|id| state.sessions.lock().unwrap().get(id).cloned()) else {
        return StatusCode::NOT_FOUND;
    };
    let (Some(id), Some(method)) = (message.get("id"), message["method"].as_str()) else {
        return StatusCode::ACCEPTED; // notification or response
    };
    let reply = match method {
        "initialize" => json!({"jsonrpc": "2.0", "id": id, "result": {
            "protocolVersion": "2024-11-05",
            "capabilities": {"tools": {}},
            "serverInfo": {"name": "legacy-test", "version": "1.0.0"},
        }}),
        "tools/list" => json!({"jsonrpc": "2.0", "id": id, "result": {
            "tools": [{"name": "noop", "inputSchema": {"type": "object"}}],
        }}),
        _ => json!({"jsonrpc": "2.0", "id": id,
            "error": {"code": -32601, "message": "method not found"}}),
    };
    let _ = tx.send(reply.to_string());
    StatusCode::ACCEPTED
}

async fn start_server() -> (String, AppState) {
    let state = AppState::default();
    let app = Router::new()
        .route("/sse", get(open_stream))
        .route("/message", post(post_message))
        .route("/json", get(|| async { Json(json!({"not": "sse"})) }))
        .with_state(state.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/sse", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (url, state)
}

async fn connect_to(url: String, token: Option<&str>) -> Result<SseClientTransport, SseError> {
    let mut headers = http::HeaderMap::new();
    if let Some(token) = token {
        headers.insert("x-test-token", token.parse().unwrap());
    }
    let client = reqwest::Client::builder().no_proxy().build().unwrap();
    let config = SseClientConfig {
        url,
        headers,
        connect_timeout: Duration::from_millis(500),
    };
    connect(client, config).await
}

#[tokio::test]
async fn custom_header_is_sent_on_get_and_post() {
    let (url, state) = start_server().await;

    let error = connect_to(url.clone(), None).await.unwrap_err();
    assert!(error.to_string().contains("401"), "{error}");
    assert_eq!(
        error.to_string(),
        format!("GET {url} returned 401 Unauthorized")
    );
    let error = connect_to(url.clone(), Some("wrong")).await.unwrap_err();
    assert!(error.to_string().contains("401"), "{error}");

    let transport = connect_to(url, Some(TOKEN)).await.expect("connect");
    let running = ().serve(transport).await.expect("initialize");
    let peer = running.peer().clone();
    assert_eq!(
        peer.peer_info().unwrap().server_info.as_ref().unwrap().name,
        "legacy-test"
    );
    let tools = peer.list_all_tools().await.expect("tools/list");
    assert_eq!(tools[0].name, "noop");

    // A rejected POST surfaces as an error of that request.
    state.reject_posts.store(true, Ordering::SeqCst);
    let error = peer.list_all_tools().await.unwrap_err();
    assert!(error.to_string().contains("503"), "{error}");

    // Closing the event stream ends the service.
    state.sessions.lock().unwrap().clear();
    tokio::time::timeout(Duration::from_secs(5), running.waiting())
        .await
        .expect("service should end with the event stream")
        .unwrap();
}

#[tokio::test]
async fn cross_origin_endpoint_is_refused() {
    let (url, _state) = start_server().await;
    let error = connect_to(format!("{url}?endpoint=cross"), Some(TOKEN))
        .await
        .unwrap_err();
    assert!(matches!(error, SseError::CrossOrigin { .. }), "{error}");
    assert!(error.to_string().contains("another origin"), "{error}");
}

#[tokio::test]
async fn missing_endpoint_event_times_out() {
    let (url, _state) = start_server().await;
    let error = connect_to(format!("{url}?endpoint=never"), Some(TOKEN))
        .await
        .unwrap_err();
    assert!(
        error
            .to_string()
            .ends_with("no endpoint event within 500ms"),
        "{error}"
    );
}

#[tokio::test]
async fn unreachable_server_is_a_request_error() {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let error = connect_to(format!("http://127.0.0.1:{port}/sse"), None)
        .await
        .unwrap_err();
    assert!(matches!(error, SseError::Request { .. }), "{error}");
    eprintln!("{error}");
}

#[tokio::test]
async fn stream_closing_before_endpoint_is_an_error() {
    let (url, _state) = start_server().await;
    let error = connect_to(format!("{url}?endpoint=close"), Some(TOKEN))
        .await
        .unwrap_err();
    assert!(
        matches!(error, SseError::EndedBeforeEndpoint { .. }),
        "{error}"
    );
}

#[tokio::test]
async fn non_event_stream_response_is_refused() {
    let (url, _state) = start_server().await;
    let url = url.replace("/sse", "/json");
    let error = connect_to(url, None).await.unwrap_err();
    assert!(
        error.to_string().contains("expected text/event-stream"),
        "{error}"
    );
}
