//! Client side of the legacy MCP "HTTP with SSE" transport (protocol 2024-11-05).
//!
//! The client keeps a `GET` event stream open. The server's first `endpoint` event names the URL
//! that every client message is `POST`ed to; server messages arrive as `message` events.

use std::{collections::VecDeque, error::Error as StdError, fmt, future::Future, time::Duration};

use futures::{stream::BoxStream, StreamExt};
use http::{header, HeaderMap, HeaderValue, StatusCode};
use rmcp::{
    model::{ClientJsonRpcMessage, ServerJsonRpcMessage},
    service::RoleClient,
    transport::Transport,
};
use sse_stream::{Sse, SseStream};
use tokio::time::{timeout_at, Instant};
use url::Url;

/// Settings for [`connect`].
#[derive(Clone)]
pub struct SseClientConfig {
    /// The SSE URL, e.g. `http://127.0.0.1:3001/sse`.
    pub url: String,
    /// Extra headers sent with the `GET` and with every `POST` (e.g. `Authorization`).
    pub headers: HeaderMap,
    /// Deadline for receiving both the response headers and the `endpoint` event.
    pub connect_timeout: Duration,
}

impl fmt::Debug for SseClientConfig {
    /// Shows header names only: values may be secrets.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SseClientConfig")
            .field("url", &self.url)
            .field("headers", &self.headers.keys().collect::<Vec<_>>())
            .field("connect_timeout", &self.connect_timeout)
            .finish()
    }
}

/// Errors of the legacy SSE transport. URLs are shown without credentials or query.
#[derive(Debug, thiserror::Error)]
pub enum SseError {
    /// The configured URL does not parse.
    #[error("invalid SSE URL: {0}")]
    InvalidUrl(#[source] url::ParseError),
    /// The HTTP request failed before a response arrived.
    #[error("{method} {url} failed: {}", chain(.source))]
    Request {
        method: &'static str,
        url: String,
        source: reqwest::Error,
    },
    /// The server answered with a non-2xx status.
    #[error("{method} {url} returned {status}")]
    Status {
        method: &'static str,
        url: String,
        status: StatusCode,
    },
    /// The server demands (other) OAuth credentials: HTTP 401, or 403 with a challenge.
    #[error("{method} {url} returned {status}")]
    Unauthorized {
        method: &'static str,
        url: String,
        status: StatusCode,
        /// The `WWW-Authenticate` header (empty when absent).
        www_authenticate: String,
    },
    /// The `GET` response is not an event stream.
    #[error("GET {url} returned content type {content_type:?}, expected text/event-stream")]
    NotEventStream { url: String, content_type: String },
    /// Nothing arrived within [`SseClientConfig::connect_timeout`].
    #[error("GET {url}: no {waiting_for} within {timeout:?}")]
    Timeout {
        url: String,
        waiting_for: &'static str,
        timeout: Duration,
    },
    /// The event stream ended before the `endpoint` event.
    #[error("GET {url}: event stream ended before the endpoint event")]
    EndedBeforeEndpoint { url: String },
    /// Reading the event stream failed before the `endpoint` event.
    #[error("GET {url}: reading the event stream failed: {}", chain(.source))]
    Stream {
        url: String,
        source: sse_stream::Error,
    },
    /// The `endpoint` event's data is not a valid URI reference.
    #[error("GET {url}: invalid endpoint event URI: {source}")]
    InvalidEndpoint {
        url: String,
        source: url::ParseError,
    },
    /// The `endpoint` event points to a different scheme, host or port than the SSE URL.
    #[error("GET {url}: endpoint event URI points to another origin ({endpoint})")]
    CrossOrigin { url: String, endpoint: String },
}

type EventStream = BoxStream<'static, Result<Sse, sse_stream::Error>>;

/// Supplies a current bearer token for each `POST` (e.g. the OAuth client's, which refreshes it).
pub type BearerSource =
    std::sync::Arc<dyn Fn() -> futures::future::BoxFuture<'static, Option<String>> + Send + Sync>;

/// A connected legacy SSE session, usable as an rmcp client transport.
///
/// Sending `POST`s one message; receiving yields `message` events and returns `None` once the
/// event stream ends or fails.
pub struct SseClientTransport {
    client: reqwest::Client,
    headers: HeaderMap,
    endpoint: Url,
    events: Option<EventStream>,
    queued: VecDeque<ServerJsonRpcMessage>,
    bearer: Option<BearerSource>,
}

impl fmt::Debug for SseClientTransport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SseClientTransport")
            .field("endpoint", &redact(&self.endpoint))
            .field("open", &self.events.is_some())
            .finish_non_exhaustive()
    }
}

/// Opens the event stream and waits for the server's `endpoint` event.
///
/// Use the result with rmcp, e.g. `().serve(transport).await`. The `client` must not have a
/// total request timeout, as it would also cut the long-lived event stream.
pub async fn connect(
    client: reqwest::Client,
    config: SseClientConfig,
) -> Result<SseClientTransport, SseError> {
    let SseClientConfig {
        url,
        headers,
        connect_timeout,
    } = config;
    let sse_url = Url::parse(&url).map_err(SseError::InvalidUrl)?;
    let shown = redact(&sse_url);
    let deadline = Instant::now() + connect_timeout;
    let timeout = |waiting_for| SseError::Timeout {
        url: shown.clone(),
        waiting_for,
        timeout: connect_timeout,
    };

    let mut get_headers = headers.clone();
    get_headers.insert(
        header::ACCEPT,
        HeaderValue::from_static("text/event-stream"),
    );
    let request = client.get(sse_url.clone()).headers(get_headers).send();
    let response = timeout_at(deadline, request)
        .await
        .map_err(|_| timeout("response"))?
        .map_err(|source| SseError::Request {
            method: "GET",
            url: shown.clone(),
            source: source.without_url(),
        })?;
    if let Some(err) = unauthorized("GET", &shown, &response) {
        return Err(err);
    }
    if !response.status().is_success() {
        return Err(SseError::Status {
            method: "GET",
            url: shown,
            status: response.status(),
        });
    }
    if let Some(content_type) = response.headers().get(header::CONTENT_TYPE) {
        let content_type = String::from_utf8_lossy(content_type.as_bytes());
        if !content_type
            .trim_start()
            .to_ascii_lowercase()
            .starts_with("text/event-stream")
        {
            return Err(SseError::NotEventStream {
                url: shown,
                content_type: content_type.into_owned(),
            });
        }
    }

    let mut events: EventStream = SseStream::from_bytes_stream(response.bytes_stream()).boxed();
    let endpoint = timeout_at(deadline, wait_for_endpoint(&mut events, &sse_url, &shown))
        .await
        .map_err(|_| timeout("endpoint event"))??;
    tracing::debug!(sse = %shown, endpoint = %redact(&endpoint), "legacy SSE session open");

    Ok(SseClientTransport {
        client,
        headers,
        endpoint,
        events: Some(events),
        queued: VecDeque::new(),
        bearer: None,
    })
}

/// Skips events until `endpoint`, then resolves its URI against the SSE URL (same origin only).
async fn wait_for_endpoint(
    events: &mut EventStream,
    sse_url: &Url,
    shown: &str,
) -> Result<Url, SseError> {
    while let Some(event) = events.next().await {
        let event = match event {
            Ok(event) => event,
            Err(source @ sse_stream::Error::Body(_)) => {
                return Err(SseError::Stream {
                    url: shown.to_owned(),
                    source,
                })
            }
            Err(error) => {
                tracing::warn!(sse = %shown, %error, "skipping malformed SSE data");
                continue;
            }
        };
        let data = event.data.as_deref().map(str::trim).unwrap_or_default();
        if event.event.as_deref() != Some("endpoint") || data.is_empty() {
            tracing::debug!(sse = %shown, event = ?event.event, "ignoring event before endpoint");
            continue;
        }
        return endpoint_from_event(sse_url, shown, data);
    }
    Err(SseError::EndedBeforeEndpoint {
        url: shown.to_owned(),
    })
}

/// Resolves the (trimmed, non-empty) data of an `endpoint` event against the SSE URL;
/// only an endpoint of the same origin is accepted. `shown` is the SSE URL for messages.
pub fn endpoint_from_event(sse_url: &Url, shown: &str, data: &str) -> Result<Url, SseError> {
    let endpoint = sse_url
        .join(data)
        .map_err(|source| SseError::InvalidEndpoint {
            url: shown.to_owned(),
            source,
        })?;
    if endpoint.origin() != sse_url.origin() {
        return Err(SseError::CrossOrigin {
            url: shown.to_owned(),
            endpoint: endpoint.origin().ascii_serialization(),
        });
    }
    Ok(endpoint)
}

/// The JSON-RPC message, or batch, in the data of one `message` event.
pub fn parse_message_data(data: &str) -> Result<Vec<ServerJsonRpcMessage>, serde_json::Error> {
    if data.trim_start().starts_with('[') {
        serde_json::from_str::<Vec<ServerJsonRpcMessage>>(data)
    } else {
        serde_json::from_str(data).map(|message| vec![message])
    }
}

impl SseClientTransport {
    /// The URL messages are `POST`ed to, taken from the `endpoint` event.
    pub fn endpoint(&self) -> &Url {
        &self.endpoint
    }

    /// Take the `Authorization` of every `POST` from `source` (a token refreshed after the
    /// session opened is used by the next message; the event stream keeps its original one).
    pub fn with_bearer(mut self, source: BearerSource) -> Self {
        self.bearer = Some(source);
        self
    }

    /// Queues the JSON-RPC message (or batch) of one `message` event.
    fn parse_message(&mut self, data: &str) {
        match parse_message_data(data) {
            Ok(messages) => self.queued.extend(messages),
            Err(error) => tracing::warn!(%error, "skipping invalid JSON-RPC message event"),
        }
    }
}

impl Transport<RoleClient> for SseClientTransport {
    type Error = SseError;

    fn name() -> std::borrow::Cow<'static, str> {
        "legacy-sse".into()
    }

    fn send(
        &mut self,
        item: ClientJsonRpcMessage,
    ) -> impl Future<Output = Result<(), SseError>> + Send + 'static {
        let client = self.client.clone();
        let endpoint = self.endpoint.clone();
        let mut headers = self.headers.clone();
        let url = redact(&self.endpoint);
        let bearer = self.bearer.clone();
        async move {
            if let Some(bearer) = bearer {
                if let Some(value) = bearer()
                    .await
                    .and_then(|t| HeaderValue::from_str(&format!("Bearer {t}")).ok())
                {
                    headers.insert(header::AUTHORIZATION, value);
                }
            }
            let request = client.post(endpoint).headers(headers).json(&item);
            let response = request.send().await.map_err(|source| SseError::Request {
                method: "POST",
                url: url.clone(),
                source: source.without_url(),
            })?;
            if let Some(err) = unauthorized("POST", &url, &response) {
                return Err(err);
            }
            let status = response.status();
            // Drain the (tiny) body so the connection can be reused.
            let _ = response.bytes().await;
            if !status.is_success() {
                return Err(SseError::Status {
                    method: "POST",
                    url,
                    status,
                });
            }
            Ok(())
        }
    }

    async fn receive(&mut self) -> Option<ServerJsonRpcMessage> {
        loop {
            if let Some(message) = self.queued.pop_front() {
                return Some(message);
            }
            let event = match self.events.as_mut()?.next().await {
                Some(Ok(event)) => event,
                Some(Err(error @ sse_stream::Error::Body(_))) => {
                    tracing::warn!(error = %chain(&error), "SSE stream failed");
                    self.events = None;
                    return None;
                }
                Some(Err(error)) => {
                    tracing::warn!(%error, "skipping malformed SSE data");
                    continue;
                }
                None => {
                    tracing::debug!("SSE stream ended");
                    self.events = None;
                    return None;
                }
            };
            match (event.event.as_deref(), event.data) {
                (None | Some("message"), Some(data)) => self.parse_message(&data),
                (kind, _) => tracing::debug!(event = ?kind, "ignoring SSE event"),
            }
        }
    }

    async fn close(&mut self) -> Result<(), SseError> {
        // Dropping the response closes the event stream, which ends the server-side session.
        self.events = None;
        self.queued.clear();
        Ok(())
    }
}

/// An [`SseError::Unauthorized`] for a 401, or a 403 carrying a `WWW-Authenticate` challenge.
fn unauthorized(method: &'static str, url: &str, response: &reqwest::Response) -> Option<SseError> {
    let status = response.status();
    let challenge = response
        .headers()
        .get(header::WWW_AUTHENTICATE)
        .and_then(|v| v.to_str().ok())
        .map(str::to_string);
    let applies = status == StatusCode::UNAUTHORIZED
        || (status == StatusCode::FORBIDDEN && challenge.is_some());
    applies.then(|| SseError::Unauthorized {
        method,
        url: url.to_string(),
        status,
        www_authenticate: challenge.unwrap_or_default(),
    })
}

/// `url` without credentials, query or fragment, for messages and logs.
fn redact(url: &Url) -> String {
    let mut url = url.clone();
    let _ = url.set_username("");
    let _ = url.set_password(None);
    url.set_query(None);
    url.set_fragment(None);
    url.to_string()
}

/// An error and its sources, joined by `": "`.
fn chain(error: &dyn StdError) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(error) = source {
        text.push_str(": ");
        text.push_str(&error.to_string());
        source = error.source();
    }
    text
}
