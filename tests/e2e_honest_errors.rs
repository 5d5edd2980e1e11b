//! One honest answer for a call that does not run, on every surface (`/mcp`, `/mcp/all`,
//! `/mcp/server/{name}`, REST), and the HTTP details MCP clients check. Real `mcpproxy`,
//! the repo's fixture server and server-everything as upstreams; the MCP requests are sent
//! as raw JSON-RPC over HTTP so the test sees exactly the code, message and status a client
//! gets.

mod common;
mod rest_support;

use common::*;
use rest_support::{Api, READY};
use serde_json::{json, Value};
use std::time::Duration;

/// A raw Streamable HTTP session (classic era) on one MCP endpoint.
struct Raw {
    http: reqwest::Client,
    url: String,
    session: std::sync::Mutex<Option<String>>,
    next_id: std::sync::atomic::AtomicI64,
}

/// The JSON-RPC message answering request `id` in a JSON or SSE response body.
fn answer_in(body: &str, id: i64) -> Value {
    let candidates: Vec<Value> = if body.trim_start().starts_with('{') {
        vec![serde_json::from_str(body).unwrap_or(Value::Null)]
    } else {
        body.lines()
            .filter_map(|l| l.strip_prefix("data:"))
            .filter_map(|d| serde_json::from_str(d.trim()).ok())
            .collect()
    };
    candidates
        .into_iter()
        .find(|m: &Value| m["id"] == json!(id))
        .unwrap_or_else(|| panic!("no answer to request {id} in: {body}"))
}

impl Raw {
    fn new(url: String) -> Self {
        Self {
            http: reqwest::Client::new(),
            url,
            session: Default::default(),
            next_id: Default::default(),
        }
    }

    fn post(&self, body: String) -> reqwest::RequestBuilder {
        let mut request = self
            .http
            .post(&self.url)
            .header("content-type", "application/json")
            .header("accept", "application/json, text/event-stream")
            .header("mcp-protocol-version", "2025-11-25")
            .body(body);
        if let Some(session) = self.session() {
            request = request.header("mcp-session-id", session);
        }
        request
    }

    fn session(&self) -> Option<String> {
        self.session.lock().unwrap().clone()
    }

    fn next_id(&self) -> i64 {
        self.next_id
            .fetch_add(1, std::sync::atomic::Ordering::SeqCst)
            + 1
    }

    /// Send request `method` and return the JSON-RPC answer (result or error).
    async fn request(&self, method: &str, params: Value) -> Value {
        let id = self.next_id();
        let body = json!({"jsonrpc": "2.0", "id": id, "method": method, "params": params});
        let response = self.post(body.to_string()).send().await.unwrap();
        if let Some(session) = response.headers().get("mcp-session-id") {
            *self.session.lock().unwrap() = Some(session.to_str().unwrap().to_string());
        }
        let status = response.status();
        let text = response.text().await.unwrap();
        assert!(status.is_success(), "{method}: HTTP {status}: {text}");
        answer_in(&text, id)
    }

    /// `initialize` (its answer) and, when it succeeded, `notifications/initialized`.
    async fn initialize(&self) -> Value {
        let answer = self
            .request(
                "initialize",
                json!({"protocolVersion": "2025-11-25", "capabilities": {},
                       "clientInfo": {"name": "honest-errors", "version": "0"}}),
            )
            .await;
        if answer.get("result").is_some() {
            let note = json!({"jsonrpc": "2.0", "method": "notifications/initialized"});
            let sent = self.post(note.to_string()).send().await.unwrap();
            assert!(sent.status().is_success(), "{}", sent.status());
        }
        answer
    }

    async fn open(url: String) -> Self {
        let raw = Self::new(url);
        let answer = raw.initialize().await;
        assert!(answer.get("result").is_some(), "initialize: {answer}");
        raw
    }

    async fn call(&self, tool: &str, arguments: Value) -> Value {
        self.request("tools/call", json!({"name": tool, "arguments": arguments}))
            .await
    }
}

fn passthrough(proxy: &Proxy, name: &str) -> String {
    format!("{}/mcp/server/{name}", proxy.base)
}

/// The JSON-RPC error of an answer (panics on a result).
fn error_of(answer: &Value) -> &Value {
    answer
        .get("error")
        .unwrap_or_else(|| panic!("expected a JSON-RPC error, got {answer}"))
}

/// The structured content of a tool result (panics on a JSON-RPC error).
fn explained(answer: &Value) -> &Value {
    let result = answer
        .get("result")
        .unwrap_or_else(|| panic!("expected a tool result, got {answer}"));
    &result["structuredContent"]
}

async fn wait_listed(all: &Raw, tool: &str) {
    wait_for(&format!("{tool} on /mcp/all"), READY, || async {
        let listed = all.request("tools/list", json!({})).await;
        listed["result"]["tools"]
            .as_array()?
            .iter()
            .any(|t| t["name"] == tool)
            .then_some(())
    })
    .await;
}

#[tokio::test(flavor = "multi_thread")]
async fn an_unknown_tool_gets_the_specs_answer_on_every_surface() {
    let proxy = Proxy::start(json!([fixture_stdio("fx")]), json!({}));
    let api = Api::new(&proxy.base);
    let all = Raw::open(proxy.all_url()).await;
    wait_listed(&all, "fx__echo").await;
    let mcp = Raw::open(proxy.mcp_url()).await;
    let server = Raw::open(passthrough(&proxy, "fx")).await;

    let answers = [
        (
            "/mcp/server/fx",
            "nope",
            server.call("nope", json!({})).await,
        ),
        (
            "/mcp/all",
            "fx__nope",
            all.call("fx__nope", json!({})).await,
        ),
        (
            "/mcp",
            "fx:nope",
            mcp.call("call_tool_read", json!({"name": "fx:nope", "args": {}}))
                .await,
        ),
    ];
    for (surface, name, answer) in &answers {
        let error = error_of(answer);
        assert_eq!(error["code"], -32602, "{surface}: {answer}");
        let message = error["message"].as_str().unwrap();
        assert!(
            message.starts_with(&format!("Unknown tool: {name}")),
            "{surface}: {message}"
        );
        assert!(!message.contains("approve"), "{surface}: {message}");
        // Answered by the proxy: the fixture's own answer would be "tool not found: nope".
        assert!(!message.contains("tool not found"), "{surface}: {message}");
        assert_eq!(error["data"]["status"], "UNKNOWN_TOOL", "{surface}");
    }
    let rest = api
        .post("/tools/call", json!({"name": "fx:nope", "args": {}}))
        .await;
    assert_eq!(rest.status, 404, "{}", rest.text);
    assert!(
        rest.error().starts_with("Unknown tool: fx:nope"),
        "{}",
        rest.text
    );
    assert_eq!(rest.body["code"], "UNKNOWN_TOOL");

    // No call was recorded as blocked (nothing awaits a person's approval). A real call
    // afterwards shows the activity log has caught up.
    let echoed = mcp
        .call(
            "call_tool_read",
            json!({"name": "fx:echo", "args": {"message": "hi"}}),
        )
        .await;
    assert!(echoed.get("result").is_some(), "{echoed}");
    let records = wait_for("the echo call record", READY, || async {
        let page = api.get("/activity?type=tool_call&server=fx").await;
        let records = page.body["data"]["records"].as_array()?.clone();
        records
            .iter()
            .any(|r| r["tool"] == "echo")
            .then_some(records)
    })
    .await;
    assert!(
        !records.iter().any(|r| r["status"] == "blocked"),
        "{records:?}"
    );
}

/// The explanation a refused call carries on each surface, as (status, message, fix).
fn parts(explanation: &Value) -> (String, String, String) {
    let field = |k: &str| explanation[k].as_str().unwrap_or_default().to_string();
    (field("status"), field("message"), field("fix"))
}

#[tokio::test(flavor = "multi_thread")]
async fn a_blocked_call_is_explained_the_same_on_every_surface() {
    let mut quarantined = fixture_stdio("q");
    quarantined["quarantined"] = json!(true);
    let proxy = Proxy::start(json!([fixture_stdio("fx"), quarantined]), json!({}));
    let api = Api::new(&proxy.base);
    let all = Raw::open(proxy.all_url()).await;
    wait_listed(&all, "fx__add_tool").await;
    let mcp = Raw::open(proxy.mcp_url()).await;
    let server = Raw::open(passthrough(&proxy, "fx")).await;

    // A tool that appears after approval waits for a person.
    let added = all.call("fx__add_tool", json!({"name": "fresh"})).await;
    assert!(added.get("result").is_some(), "{added}");
    wait_for("fresh to be pending", READY, || async {
        let tools = api.get("/servers/fx/tools").await;
        tools.body["data"]["tools"]
            .as_array()?
            .iter()
            .any(|t| t["tool"] == "fresh" && t["status"] == "pending")
            .then_some(())
    })
    .await;
    let via_mcp = mcp
        .call("call_tool_write", json!({"name": "fx:fresh", "args": {}}))
        .await;
    let via_all = all.call("fx__fresh", json!({})).await;
    let via_server = server.call("fresh", json!({})).await;
    let via_rest = api
        .post("/tools/call", json!({"name": "fx:fresh", "args": {}}))
        .await;
    let expected = parts(explained(&via_mcp));
    assert_eq!(expected.0, "TOOL_APPROVAL_REQUIRED", "{via_mcp}");
    assert!(
        expected
            .1
            .contains("mcpproxy upstream approve-tools fx fresh")
            && expected.1.contains("POST /api/v1/servers/fx/tools/approve"),
        "{}",
        expected.1
    );
    assert_eq!(parts(explained(&via_all)), expected, "/mcp/all");
    let error = error_of(&via_server);
    assert_eq!(parts(&error["data"]), expected, "/mcp/server/fx");
    assert_eq!(error["message"], expected.1.as_str());
    assert_eq!(via_rest.status, 403, "{}", via_rest.text);
    assert_eq!(via_rest.error(), expected.1);
    assert_eq!(via_rest.body["code"], expected.0.as_str());

    // A quarantined server: the same on every surface, naming the command and the route.
    let via_mcp = mcp
        .call(
            "call_tool_read",
            json!({"name": "q:echo", "args": {"message": "x"}}),
        )
        .await;
    let via_all = all.call("q__echo", json!({"message": "x"})).await;
    let via_server = Raw::new(passthrough(&proxy, "q")).initialize().await;
    let via_rest = api
        .post(
            "/tools/call",
            json!({"name": "q:echo", "args": {"message": "x"}}),
        )
        .await;
    let expected = parts(explained(&via_mcp));
    assert_eq!(expected.0, "QUARANTINED_SERVER_BLOCKED", "{via_mcp}");
    assert!(
        expected.1.contains("mcpproxy upstream approve q")
            && expected.1.contains("POST /api/v1/servers/q/unquarantine"),
        "{}",
        expected.1
    );
    assert_eq!(parts(explained(&via_all)), expected, "/mcp/all");
    let error = error_of(&via_server);
    assert_eq!(error["message"], expected.1.as_str(), "/mcp/server/q");
    assert_eq!(parts(&error["data"]), expected, "/mcp/server/q");
    assert_eq!(via_rest.status, 403, "{}", via_rest.text);
    assert_eq!(via_rest.error(), expected.1);
    assert_eq!(via_rest.body["code"], expected.0.as_str());
}

#[tokio::test(flavor = "multi_thread")]
async fn http_details_that_clients_check() {
    let proxy = Proxy::start(json!([fixture_stdio("fx")]), json!({}));
    let all = Raw::open(proxy.all_url()).await;
    wait_listed(&all, "fx__echo").await;
    for url in [proxy.mcp_url(), proxy.all_url(), passthrough(&proxy, "fx")] {
        let raw = Raw::open(url.clone()).await;

        // Malformed JSON: 400 with a JSON-RPC parse error.
        let response = raw
            .post("{\"jsonrpc\": \"2.0\", \"id\": 1,".into())
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 400, "{url}");
        let body: Value = response.json().await.unwrap();
        assert_eq!(body["error"]["code"], -32700, "{url}: {body}");

        // `arguments` that are not an object: invalid params, not an unknown method.
        let answer = raw
            .request("tools/call", json!({"name": "echo", "arguments": "x"}))
            .await;
        assert_eq!(error_of(&answer)["code"], -32602, "{url}: {answer}");
        assert!(
            error_of(&answer)["message"]
                .as_str()
                .unwrap()
                .contains("arguments"),
            "{answer}"
        );

        // Ending the session: 200 or 204 (the python SDK logs anything else as a failure).
        let ended = raw
            .http
            .delete(&url)
            .header("mcp-session-id", raw.session().unwrap())
            .header("mcp-protocol-version", "2025-11-25")
            .send()
            .await
            .unwrap();
        assert!(
            matches!(ended.status().as_u16(), 200 | 204),
            "{url}: DELETE answered {}",
            ended.status()
        );
        let gone = raw.request_status("ping").await;
        assert_eq!(gone, 404, "{url}: the session must be gone");
    }
}

impl Raw {
    /// The HTTP status of request `method` (for sessions that may be gone).
    async fn request_status(&self, method: &str) -> u16 {
        let body = json!({"jsonrpc": "2.0", "id": self.next_id(), "method": method});
        self.post(body.to_string())
            .send()
            .await
            .unwrap()
            .status()
            .as_u16()
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_call_during_a_reconnect_waits_for_the_server() {
    let proxy = Proxy::start(json!([fixture_stdio("fx")]), json!({}));
    let all = Raw::open(proxy.all_url()).await;
    wait_listed(&all, "fx__echo").await;
    let mcp = Raw::open(proxy.mcp_url()).await;
    let server = Raw::open(passthrough(&proxy, "fx")).await;
    for surface in ["/mcp/all", "/mcp", "/mcp/server/fx"] {
        // The upstream exits; the supervisor starts it again.
        let _ = all.call("fx__exit", json!({"code": 3})).await;
        let answer = match surface {
            "/mcp/all" => all.call("fx__echo", json!({"message": "back"})).await,
            "/mcp" => {
                mcp.call(
                    "call_tool_read",
                    json!({"name": "fx:echo", "args": {"message": "back"}}),
                )
                .await
            }
            _ => server.call("echo", json!({"message": "back"})).await,
        };
        // A call sent in the instant before the exit was noticed cannot be retried safely
        // (the server may have run it): then the honest answer is "reconnecting, retry".
        if let Some(error) = answer.get("error") {
            let message = error["message"].as_str().unwrap_or_default();
            assert!(
                message.contains("reconnects automatically, retry shortly"),
                "{surface}: {answer}"
            );
            continue;
        }
        let result = answer
            .get("result")
            .unwrap_or_else(|| panic!("{surface}: {answer}"));
        if result["isError"] == true {
            let text = result["content"][0]["text"].as_str().unwrap_or_default();
            assert!(
                text.contains("reconnects automatically, retry shortly"),
                "{surface}: {answer}"
            );
            continue;
        }
        assert_eq!(result["content"][0]["text"], "back", "{surface}: {answer}");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_server_that_stays_down_is_said_to_be_reconnecting() {
    let mut everything = EverythingServer::start("streamableHttp").await;
    let url = format!("http://127.0.0.1:{}/mcp", everything.port);
    let proxy = Proxy::start(
        json!([{"name": "ev", "url": url, "protocol": "streamable-http"}]),
        json!({}),
    );
    let all = Raw::open(proxy.all_url()).await;
    wait_listed(&all, "ev__echo").await;
    let mcp = Raw::open(proxy.mcp_url()).await;
    let server = Raw::open(passthrough(&proxy, "ev")).await;
    everything.kill().await;
    let api = Api::new(&proxy.base);
    wait_for("ev to notice", Duration::from_secs(60), || async {
        (api.server("ev").await["status"] != "ready").then_some(())
    })
    .await;

    let started = std::time::Instant::now();
    let (via_all, via_mcp, via_server, via_rest) = tokio::join!(
        all.call("ev__echo", json!({"message": "x"})),
        mcp.call(
            "call_tool_read",
            json!({"name": "ev:echo", "args": {"message": "x"}})
        ),
        server.call("echo", json!({"message": "x"})),
        api.post(
            "/tools/call",
            json!({"name": "ev:echo", "args": {"message": "x"}})
        ),
    );
    let waited = started.elapsed();
    assert!(
        waited >= Duration::from_secs(5) && waited < Duration::from_secs(60),
        "a call waits (bounded) for a reconnecting server: {waited:?}"
    );
    let expected = explained(&via_all).clone();
    assert_eq!(expected["status"], "SERVER_UNAVAILABLE", "{via_all}");
    assert_eq!(via_all["result"]["isError"], true, "{via_all}");
    let message = expected["message"].as_str().unwrap();
    assert!(message.contains("`ev` is reconnecting"), "{message}");
    assert!(message.contains("mcpproxy upstream list"), "{message}");
    assert!(
        !message.to_lowercase().contains("unknown tool"),
        "{message}"
    );
    for (surface, explanation) in [
        ("/mcp", explained(&via_mcp).clone()),
        ("/mcp/server/ev", error_of(&via_server)["data"].clone()),
    ] {
        assert_eq!(
            explanation["status"], "SERVER_UNAVAILABLE",
            "{surface}: {explanation}"
        );
        assert_eq!(explanation["fix"], expected["fix"], "{surface}");
    }
    assert_eq!(via_rest.status, 503, "{}", via_rest.text);
    assert_eq!(via_rest.body["code"], "SERVER_UNAVAILABLE");
}
