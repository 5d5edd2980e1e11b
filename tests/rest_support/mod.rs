//! Helpers for the REST/SSE/CLI end-to-end tests: an API client, an SSE recorder and
//! bounded waits on server state.
#![allow(dead_code)]

use futures::StreamExt;
use serde_json::Value;
use std::sync::{Arc, Mutex};
use std::time::Duration;

pub const KEY: &str = "test-key-0123456789";
pub const READY: Duration = Duration::from_secs(60);

/// One answer of the REST API.
#[derive(Debug, Clone)]
pub struct Answer {
    pub status: u16,
    pub request_id: Option<String>,
    pub body: Value,
    pub text: String,
}

impl Answer {
    pub fn data(&self) -> &Value {
        assert_eq!(self.body["success"], true, "{}", self.text);
        &self.body["data"]
    }

    pub fn error(&self) -> String {
        assert_eq!(self.body["success"], false, "{}", self.text);
        self.body["error"].as_str().unwrap_or_default().to_string()
    }
}

/// REST client of one proxy; records every answer's text for secret scans.
#[derive(Clone)]
pub struct Api {
    pub base: String,
    pub key: String,
    pub http: reqwest::Client,
    pub transcript: Arc<Mutex<Vec<String>>>,
}

impl Api {
    pub fn new(base: &str) -> Self {
        Self {
            base: base.to_string(),
            key: KEY.to_string(),
            http: reqwest::Client::new(),
            transcript: Arc::default(),
        }
    }

    pub async fn send(&self, method: reqwest::Method, path: &str, body: Option<Value>) -> Answer {
        let mut request = self
            .http
            .request(method, format!("{}/api/v1{path}", self.base))
            .header("X-API-Key", &self.key);
        if let Some(body) = body {
            request = request.json(&body);
        }
        let response = request.send().await.expect("REST request");
        let status = response.status().as_u16();
        let request_id = response
            .headers()
            .get("x-request-id")
            .map(|v| v.to_str().unwrap().to_string());
        let text = response.text().await.unwrap();
        self.transcript.lock().unwrap().push(text.clone());
        let body = serde_json::from_str(&text).unwrap_or(Value::Null);
        Answer {
            status,
            request_id,
            body,
            text,
        }
    }

    pub async fn get(&self, path: &str) -> Answer {
        self.send(reqwest::Method::GET, path, None).await
    }

    pub async fn post(&self, path: &str, body: Value) -> Answer {
        self.send(reqwest::Method::POST, path, Some(body)).await
    }

    pub async fn patch(&self, path: &str, body: Value) -> Answer {
        self.send(reqwest::Method::PATCH, path, Some(body)).await
    }

    /// The server object of `name` from `GET /servers`.
    pub async fn server(&self, name: &str) -> Value {
        let answer = self.get("/servers").await;
        answer.data()["servers"]
            .as_array()
            .unwrap()
            .iter()
            .find(|s| s["name"] == name)
            .unwrap_or_else(|| panic!("no server {name}: {}", answer.text))
            .clone()
    }

    /// Wait until server `name` is ready.
    pub async fn wait_ready(&self, name: &str) -> Value {
        crate::common::wait_for(&format!("{name} to be ready"), READY, || async {
            let server = self.server(name).await;
            (server["status"] == "ready").then_some(server)
        })
        .await
    }

    /// Call `server:tool` over REST until the call reaches a connected upstream; returns
    /// the result's first text block.
    pub async fn call_text(&self, tool: &str, args: Value) -> String {
        crate::common::wait_for(&format!("{tool} to answer"), READY, || async {
            let answer = self
                .post(
                    "/tools/call",
                    serde_json::json!({"name": tool, "args": args}),
                )
                .await;
            if answer.status != 200 || answer.body["data"]["isError"] == true {
                return None;
            }
            answer.body["data"]["content"][0]["text"]
                .as_str()
                .map(str::to_string)
        })
        .await
    }

    pub fn transcript(&self) -> String {
        self.transcript.lock().unwrap().join("\n")
    }
}

/// Events received on `/events`: (event name, data JSON).
#[derive(Clone, Default)]
pub struct Events {
    pub seen: Arc<Mutex<Vec<(String, Value)>>>,
}

impl Events {
    /// Subscribe to `/events` with `?apikey=` and record everything in the background.
    pub async fn subscribe(base: &str) -> Self {
        Self::subscribe_to(base, "/events").await
    }

    /// Subscribe to the event stream at `path` (may carry a query) with `?apikey=`.
    pub async fn subscribe_to(base: &str, path: &str) -> Self {
        let events = Events::default();
        let sep = if path.contains('?') { '&' } else { '?' };
        let response = reqwest::Client::new()
            .get(format!("{base}{path}{sep}apikey={KEY}"))
            .send()
            .await
            .expect("GET event stream");
        assert_eq!(response.status(), 200);
        assert!(response.headers().contains_key("x-request-id"));
        let seen = events.seen.clone();
        let mut stream = sse_stream::SseStream::from_bytes_stream(response.bytes_stream());
        tokio::spawn(async move {
            while let Some(Ok(item)) = stream.next().await {
                let name = item.event.unwrap_or_default();
                let data = item
                    .data
                    .map(|d| serde_json::from_str(&d).unwrap_or(Value::String(d)))
                    .unwrap_or(Value::Null);
                seen.lock().unwrap().push((name, data));
            }
        });
        events
    }

    /// Wait for an event named `name` whose data satisfies `matches`.
    pub async fn wait(&self, name: &str, matches: impl Fn(&Value) -> bool) -> Value {
        crate::common::wait_for(&format!("SSE event {name}"), READY, || async {
            self.seen
                .lock()
                .unwrap()
                .iter()
                .find(|(n, d)| n == name && matches(d))
                .map(|(_, d)| d.clone())
        })
        .await
    }

    pub fn transcript(&self) -> String {
        self.seen
            .lock()
            .unwrap()
            .iter()
            .map(|(n, d)| format!("{n} {d}"))
            .collect::<Vec<_>>()
            .join("\n")
    }
}
