//! `/mcp/server/{name}` end to end: the real proxy binary in front of the conformance
//! fixture (stdio and Streamable HTTP) and the regular fixture, driven by real rmcp
//! clients that answer sampling, elicitation and roots themselves.

#![allow(deprecated)] // sampling, roots, logging and resources/subscribe are current in 2025-11-25

mod common;
mod conformance_fixture;

use common::{fixture_stdio, obj, wait_for, Proxy};
use conformance_fixture::{conformance_stdio, HttpConformance};
use rmcp::model::{
    CallToolRequest, CallToolRequestParams, CallToolResult, ClientCapabilities, ClientConfig,
    ClientRequest, CompleteRequestParams, CreateMessageRequestParams, CreateMessageResult,
    ElicitRequestParams, ElicitResult, GetPromptRequestParams, Implementation, ListRootsResult,
    LoggingLevel, LoggingMessageNotificationParam, ProgressNotificationParam, ProtocolVersion,
    ReadResourceRequestParams, ResourceUpdatedNotificationParam, SetLevelRequestParams,
    SubscribeRequestParams, UnsubscribeRequestParams,
};
use rmcp::service::{NotificationContext, PeerRequestOptions, RequestContext, RunningService};
use rmcp::transport::StreamableHttpClientTransport;
use rmcp::{ClientHandler, ErrorData as McpError, RoleClient, ServiceExt};
use serde_json::{json, Value};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::{mpsc, Barrier};

const WAIT: Duration = Duration::from_secs(20);

/// What a test client observed.
#[derive(Debug, Clone, PartialEq)]
enum Event {
    Log(String),
    Progress(f64),
    ResourceUpdated(String),
    ToolsChanged,
}

/// A client that answers server→client requests with its own name.
struct TestClient {
    name: String,
    events: mpsc::UnboundedSender<Event>,
    /// Sampling waits here when set (to hold two requests in flight at once).
    barrier: Option<Arc<Barrier>>,
}

impl ClientHandler for TestClient {
    fn get_info(&self) -> ClientConfig {
        let capabilities: ClientCapabilities = serde_json::from_value(
            json!({"sampling": {}, "elicitation": {"form": {}}, "roots": {"listChanged": true}}),
        )
        .unwrap();
        ClientConfig::new(capabilities, Implementation::new(self.name.clone(), "0"))
            .with_protocol_version(ProtocolVersion::LATEST_WITH_INITIALIZE)
    }

    async fn create_message(
        &self,
        _params: CreateMessageRequestParams,
        _context: RequestContext<RoleClient>,
    ) -> Result<CreateMessageResult, McpError> {
        if let Some(barrier) = &self.barrier {
            let _ = tokio::time::timeout(Duration::from_secs(10), barrier.wait()).await;
        }
        Ok(serde_json::from_value(json!({
            "role": "assistant",
            "content": {"type": "text", "text": format!("answer from {}", self.name)},
            "model": "test-model",
            "stopReason": "endTurn"
        }))
        .unwrap())
    }

    async fn create_elicitation(
        &self,
        _request: ElicitRequestParams,
        _context: RequestContext<RoleClient>,
    ) -> Result<ElicitResult, McpError> {
        Ok(serde_json::from_value(json!({
            "action": "accept",
            "content": {"username": self.name, "email": "user@example.com"}
        }))
        .unwrap())
    }

    async fn list_roots(
        &self,
        _context: RequestContext<RoleClient>,
    ) -> Result<ListRootsResult, McpError> {
        Ok(serde_json::from_value(json!({
            "roots": [{"uri": format!("file:///work/{}", self.name), "name": self.name}]
        }))
        .unwrap())
    }

    async fn on_logging_message(
        &self,
        params: LoggingMessageNotificationParam,
        _context: NotificationContext<RoleClient>,
    ) {
        let text = params.data.as_str().unwrap_or_default().to_string();
        let _ = self.events.send(Event::Log(text));
    }

    async fn on_progress(
        &self,
        params: ProgressNotificationParam,
        _context: NotificationContext<RoleClient>,
    ) {
        let _ = self.events.send(Event::Progress(params.progress));
    }

    async fn on_resource_updated(
        &self,
        params: ResourceUpdatedNotificationParam,
        _context: NotificationContext<RoleClient>,
    ) {
        let _ = self.events.send(Event::ResourceUpdated(params.uri));
    }

    async fn on_tool_list_changed(&self, _context: NotificationContext<RoleClient>) {
        let _ = self.events.send(Event::ToolsChanged);
    }
}

type Client = RunningService<RoleClient, TestClient>;

async fn connect_as(
    url: &str,
    name: &str,
    barrier: Option<Arc<Barrier>>,
) -> (Client, mpsc::UnboundedReceiver<Event>) {
    let (events, rx) = mpsc::unbounded_channel();
    let client = TestClient {
        name: name.to_string(),
        events,
        barrier,
    }
    .serve(StreamableHttpClientTransport::from_uri(url.to_string()))
    .await
    .unwrap_or_else(|e| panic!("connect {name} to {url}: {e}"));
    (client, rx)
}

async fn call(client: &Client, tool: &str, args: Value) -> CallToolResult {
    client
        .peer()
        .call_tool(CallToolRequestParams::new(tool.to_string()).with_arguments(obj(args)))
        .await
        .unwrap_or_else(|e| panic!("call {tool}: {e}"))
}

fn text(result: &CallToolResult) -> String {
    result
        .content
        .iter()
        .filter_map(|c| c.as_text().map(|t| t.text.clone()))
        .collect::<Vec<_>>()
        .join("\n")
}

/// Collect events until `done` accepts the list (bounded by [`WAIT`]).
async fn collect(
    rx: &mut mpsc::UnboundedReceiver<Event>,
    done: impl Fn(&[Event]) -> bool,
) -> Vec<Event> {
    let mut seen = Vec::new();
    let deadline = tokio::time::Instant::now() + WAIT;
    while !done(&seen) {
        match tokio::time::timeout_at(deadline, rx.recv()).await {
            Ok(Some(event)) => seen.push(event),
            _ => panic!("timed out waiting for events; saw {seen:?}"),
        }
    }
    seen
}

fn server_url(proxy: &Proxy, name: &str) -> String {
    format!("{}/mcp/server/{name}", proxy.base)
}

#[tokio::test(flavor = "multi_thread")]
async fn forwards_tools_resources_prompts_and_completion_under_original_names() {
    let proxy = Proxy::start(json!([conformance_stdio("conf")]), json!({}));
    let (client, _rx) = connect_as(&server_url(&proxy, "conf"), "alice", None).await;

    let info = client.peer().peer_info().expect("initialize result");
    assert_eq!(
        info.server_info.as_ref().map(|i| i.name.as_str()),
        Some("conformance-fixture")
    );
    let caps = &info.capabilities;
    assert!(caps.resources.as_ref().and_then(|r| r.subscribe) == Some(true));
    assert!(caps.prompts.is_some() && caps.completions.is_some() && caps.logging.is_some());

    let tools = client.peer().list_all_tools().await.unwrap();
    assert!(tools.iter().any(|t| t.name == "test_simple_text"));
    assert!(
        tools.iter().all(|t| !t.name.contains("__")),
        "names must be the upstream's own"
    );
    let schema_tool = tools
        .iter()
        .find(|t| t.name == "json_schema_2020_12_tool")
        .unwrap();
    assert_eq!(
        schema_tool.input_schema.get("$schema"),
        Some(&json!("https://json-schema.org/draft/2020-12/schema"))
    );

    let simple = call(&client, "test_simple_text", json!({})).await;
    assert_eq!(text(&simple), "This is a simple text response for testing.");
    let failed = call(&client, "test_error_handling", json!({})).await;
    assert_eq!(failed.is_error, Some(true));

    let resources = client.peer().list_all_resources().await.unwrap();
    assert!(resources.iter().any(|r| r.uri == "test://static-binary"));
    let templates = client.peer().list_all_resource_templates().await.unwrap();
    assert_eq!(templates[0].uri_template, "test://template/{id}/data");
    let read = client
        .peer()
        .read_resource(ReadResourceRequestParams::new("test://template/42/data"))
        .await
        .unwrap();
    let contents = serde_json::to_value(&read.contents).unwrap();
    assert!(contents[0]["text"]
        .as_str()
        .unwrap()
        .contains("Data for ID: 42"));
    let binary = client
        .peer()
        .read_resource(ReadResourceRequestParams::new("test://static-binary"))
        .await
        .unwrap();
    assert!(serde_json::to_value(&binary.contents).unwrap()[0]["blob"].is_string());

    let prompts = client.peer().list_all_prompts().await.unwrap();
    assert_eq!(prompts.len(), 4);
    let prompt = client
        .peer()
        .get_prompt(
            GetPromptRequestParams::new("test_prompt_with_arguments")
                .with_arguments(obj(json!({"arg1": "hello", "arg2": "world"}))),
        )
        .await
        .unwrap();
    assert!(serde_json::to_string(&prompt.messages)
        .unwrap()
        .contains("arg1='hello', arg2='world'"));

    let completion = client
        .peer()
        .complete(
            serde_json::from_value::<CompleteRequestParams>(json!({
                "ref": {"type": "ref/prompt", "name": "test_prompt_with_arguments"},
                "argument": {"name": "arg1", "value": "par"}
            }))
            .unwrap(),
        )
        .await
        .unwrap();
    assert_eq!(completion.completion.values, vec!["paris", "park", "party"]);

    // Upstream protocol errors come back unchanged (code and message).
    let err = client
        .peer()
        .read_resource(ReadResourceRequestParams::new("test://missing"))
        .await
        .unwrap_err();
    assert!(
        err.to_string().contains("no resource test://missing"),
        "{err}"
    );
    client.cancel().await.unwrap();
}

/// Two clients on one upstream: each server→client request reaches the client whose
/// call caused it. Over HTTP both calls are in flight at once.
async fn server_requests_reach_the_calling_client(url: &str, concurrent: bool) {
    let barrier = concurrent.then(|| Arc::new(Barrier::new(2)));
    let (alice, _a) = connect_as(url, "alice", barrier.clone()).await;
    let (bob, _b) = connect_as(url, "bob", barrier).await;

    let (for_alice, for_bob) = if concurrent {
        tokio::join!(
            call(&alice, "test_sampling", json!({"prompt": "hi"})),
            call(&bob, "test_sampling", json!({"prompt": "hi"})),
        )
    } else {
        (
            call(&alice, "test_sampling", json!({"prompt": "hi"})).await,
            call(&bob, "test_sampling", json!({"prompt": "hi"})).await,
        )
    };
    assert_eq!(text(&for_alice), "LLM response: answer from alice");
    assert_eq!(text(&for_bob), "LLM response: answer from bob");

    let elicited = call(&bob, "test_elicitation", json!({"message": "who?"})).await;
    assert!(
        text(&elicited).contains("action=accept"),
        "{}",
        text(&elicited)
    );
    assert!(
        text(&elicited).contains("\"username\":\"bob\""),
        "{}",
        text(&elicited)
    );

    let roots = call(&alice, "test_list_roots", json!({})).await;
    assert!(
        text(&roots).contains("file:///work/alice"),
        "{}",
        text(&roots)
    );

    // The SEP-1034 schema reaches the client intact and the answer comes back.
    let defaults = call(&alice, "test_elicitation_sep1034_defaults", json!({})).await;
    assert!(text(&defaults).starts_with("Elicitation completed: action=accept"));
    alice.cancel().await.unwrap();
    bob.cancel().await.unwrap();
}

#[tokio::test(flavor = "multi_thread")]
async fn sampling_elicitation_and_roots_reach_the_calling_client_stdio() {
    let proxy = Proxy::start(json!([conformance_stdio("conf")]), json!({}));
    server_requests_reach_the_calling_client(&server_url(&proxy, "conf"), false).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn sampling_elicitation_and_roots_reach_the_calling_client_http() {
    let upstream = HttpConformance::start();
    let proxy = Proxy::start(json!([upstream.config("conf")]), json!({}));
    server_requests_reach_the_calling_client(&server_url(&proxy, "conf"), true).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_client_without_sampling_gets_a_clear_error() {
    let proxy = Proxy::start(json!([conformance_stdio("conf")]), json!({}));
    // The harness client declares no capabilities.
    let (client, _rx) = common::connect(&server_url(&proxy, "conf")).await;
    let result = common::call(&client, "test_sampling", json!({"prompt": "hi"})).await;
    assert_eq!(result.is_error, Some(true));
    assert!(
        common::text(&result).contains("did not declare the `sampling` capability"),
        "{}",
        common::text(&result)
    );
    client.cancel().await.unwrap();
}

#[tokio::test(flavor = "multi_thread")]
async fn logging_progress_and_resource_updates_reach_the_session() {
    let proxy = Proxy::start(json!([conformance_stdio("conf")]), json!({}));
    let url = server_url(&proxy, "conf");
    let (client, mut rx) = connect_as(&url, "alice", None).await;
    let (other, mut other_rx) = connect_as(&url, "bob", None).await;

    client
        .peer()
        .set_level(SetLevelRequestParams::new(LoggingLevel::Debug))
        .await
        .unwrap();
    call(&client, "test_tool_with_logging", json!({})).await;
    let logs = collect(&mut rx, |seen| {
        seen.iter().filter(|e| matches!(e, Event::Log(_))).count() >= 3
    })
    .await;
    let logs: Vec<_> = logs
        .into_iter()
        .filter_map(|e| match e {
            Event::Log(text) => Some(text),
            _ => None,
        })
        .collect();
    assert_eq!(
        logs,
        vec![
            "Tool execution started",
            "Tool processing data",
            "Tool execution completed"
        ]
    );

    // Every progress notification arrives, in order; the last one is sent right before
    // the response and must not be lost when the response overtakes it inside the proxy.
    call(&client, "test_tool_with_progress", json!({})).await;
    let progress: Vec<f64> = collect(&mut rx, |seen| {
        seen.iter()
            .filter(|e| matches!(e, Event::Progress(_)))
            .count()
            >= 3
    })
    .await
    .into_iter()
    .filter_map(|e| match e {
        Event::Progress(p) => Some(p),
        _ => None,
    })
    .collect();
    assert_eq!(progress, vec![0.0, 50.0, 100.0]);

    // Resource updates go to subscribed sessions only.
    client
        .peer()
        .subscribe(SubscribeRequestParams::new("test://watched-resource"))
        .await
        .unwrap();
    let triggered = call(&client, "test_trigger_resource_update", json!({})).await;
    assert_eq!(text(&triggered), "updated");
    collect(&mut rx, |seen| {
        seen.contains(&Event::ResourceUpdated("test://watched-resource".into()))
    })
    .await;
    // bob never subscribed: he must not get the update (checked after another round trip).
    client
        .peer()
        .unsubscribe(UnsubscribeRequestParams::new("test://watched-resource"))
        .await
        .unwrap();
    let after = call(&client, "test_trigger_resource_update", json!({})).await;
    assert_eq!(
        text(&after),
        "not subscribed",
        "last unsubscribe reaches the upstream"
    );
    while let Ok(event) = other_rx.try_recv() {
        assert!(
            !matches!(event, Event::ResourceUpdated(_)),
            "unsubscribed session got {event:?}"
        );
    }
    client.cancel().await.unwrap();
    other.cancel().await.unwrap();
}

#[tokio::test(flavor = "multi_thread")]
async fn cancellation_reaches_the_upstream() {
    let proxy = Proxy::start(json!([conformance_stdio("conf")]), json!({}));
    let (client, mut rx) = connect_as(&server_url(&proxy, "conf"), "alice", None).await;
    let request = ClientRequest::CallToolRequest(CallToolRequest::new(CallToolRequestParams::new(
        "test_cancellable",
    )));
    let handle = client
        .peer()
        .send_cancellable_request(request, PeerRequestOptions::no_options())
        .await
        .unwrap();
    // The upstream reports progress once it runs the tool.
    collect(&mut rx, |seen| seen.contains(&Event::Progress(0.0))).await;
    handle.cancel(Some("test".into())).await.unwrap();
    proxy
        .wait_for_server_log("conf", "test_cancellable cancelled")
        .await;
    client.cancel().await.unwrap();
}

#[tokio::test(flavor = "multi_thread")]
async fn tool_list_changes_reach_passthrough_sessions() {
    // Tool approval off: this is about list_changed relaying (approval has its own tests).
    let proxy = Proxy::start(
        json!([fixture_stdio("fx")]),
        json!({"quarantine_enabled": false}),
    );
    let (client, mut rx) = connect_as(&server_url(&proxy, "fx"), "alice", None).await;
    let added = call(&client, "add_tool", json!({"name": "brand_new"})).await;
    assert_eq!(text(&added), "added brand_new");
    collect(&mut rx, |seen| seen.contains(&Event::ToolsChanged)).await;
    let tools = client.peer().list_all_tools().await.unwrap();
    assert!(tools.iter().any(|t| t.name == "brand_new"));
    assert_eq!(
        text(&call(&client, "brand_new", json!({})).await),
        "dynamic brand_new"
    );
    client.cancel().await.unwrap();
}

#[tokio::test(flavor = "multi_thread")]
async fn clients_hear_when_their_upstream_came_back() {
    let proxy = Proxy::start(json!([fixture_stdio("fx")]), json!({}));
    let (client, mut rx) = connect_as(&server_url(&proxy, "fx"), "alice", None).await;
    // The fixture exits without answering; the supervisor restarts it.
    let crash = client
        .peer()
        .call_tool(CallToolRequestParams::new("exit").with_arguments(obj(json!({"code": 3}))));
    let _ = tokio::time::timeout(WAIT, crash).await;
    collect(&mut rx, |seen| seen.contains(&Event::ToolsChanged)).await;
    let echoed = wait_for("fx to answer again", WAIT, || async {
        let result = client
            .peer()
            .call_tool(
                CallToolRequestParams::new("echo").with_arguments(obj(json!({"message": "back"}))),
            )
            .await
            .ok()?;
        (result.is_error != Some(true)).then(|| text(&result))
    })
    .await;
    assert_eq!(echoed, "back");
    client.cancel().await.unwrap();
}

#[tokio::test(flavor = "multi_thread")]
async fn unknown_disabled_and_foreign_requests_are_refused_with_reasons() {
    let mut disabled = fixture_stdio("off");
    disabled["enabled"] = json!(false);
    let proxy = Proxy::start(json!([fixture_stdio("fx"), disabled]), json!({}));
    let http = reqwest::Client::new();
    let initialize = json!({"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {
        "protocolVersion": "2025-11-25", "capabilities": {},
        "clientInfo": {"name": "t", "version": "0"}}});
    let post = |url: String| {
        http.post(url)
            .header("accept", "application/json, text/event-stream")
            .json(&initialize)
    };

    let unknown = post(server_url(&proxy, "nope")).send().await.unwrap();
    assert_eq!(unknown.status(), 404);
    let body = unknown.text().await.unwrap();
    assert!(body.contains("no server named `nope`"), "{body}");

    let off = post(server_url(&proxy, "off")).send().await.unwrap();
    let body = off.text().await.unwrap();
    assert!(body.contains("Server `off` is disabled"), "{body}");
    assert!(body.contains("mcpproxy upstream enable off"), "{body}");

    let foreign = post(server_url(&proxy, "fx"))
        .header("host", "evil.example.com")
        .send()
        .await
        .unwrap();
    assert_eq!(foreign.status(), 403);
}
