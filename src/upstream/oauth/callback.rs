//! The loopback listener receiving the authorization redirect
//! (`http://127.0.0.1:<port>/oauth/callback?code=…&state=…`).
//!
//! The port is stable per server (see [`stable_port`]) so a registered redirect URI keeps
//! working across logins. Each request is handed to the login flow, whose verdict decides the
//! page the browser shows.

use axum::extract::{Query, State};
use axum::response::{Html, IntoResponse};
use std::collections::HashMap;
use std::net::SocketAddr;
use std::time::Duration;
use tokio::sync::{mpsc, oneshot};
use tokio_util::sync::CancellationToken;

/// Default callback path.
pub const CALLBACK_PATH: &str = "/oauth/callback";
/// First port of the range stable callback ports are drawn from.
pub const PORT_BASE: u16 = 20_000;
/// Size of that range (20000–29999: below the usual ephemeral ranges).
pub const PORT_SPAN: u16 = 10_000;
/// How many consecutive ports are tried when the preferred one is busy.
pub const PORT_ATTEMPTS: u16 = 20;

/// Parameters of one redirect to the callback.
#[derive(Debug, Clone)]
pub enum CallbackParams {
    /// Success: an authorization code.
    Code {
        /// The authorization code (secret; never logged).
        code: String,
        /// The `state` echoed by the server.
        state: String,
        /// RFC 9207 issuer, when sent.
        iss: Option<String>,
    },
    /// The authorization server refused.
    Error {
        /// OAuth error code.
        error: String,
        /// Human-readable description.
        description: Option<String>,
        /// The `state` echoed by the server.
        state: Option<String>,
    },
    /// Neither code nor error: not a redirect from the authorization server.
    Invalid,
}

/// One redirect waiting for the flow's verdict (`Ok` = login complete).
pub struct CallbackRequest {
    /// What the browser brought.
    pub params: CallbackParams,
    reply: oneshot::Sender<Result<(), String>>,
}

impl CallbackRequest {
    /// Tell the browser how it went.
    pub fn reply(self, verdict: Result<(), String>) {
        let _ = self.reply.send(verdict);
    }
}

/// A bound callback listener; stops when dropped.
pub struct CallbackServer {
    /// Port bound on 127.0.0.1.
    pub port: u16,
    requests: mpsc::Receiver<CallbackRequest>,
    stop: CancellationToken,
}

impl Drop for CallbackServer {
    fn drop(&mut self) {
        self.stop.cancel();
    }
}

/// The preferred port of `server`: derived from its name so it stays the same across runs.
pub fn stable_port(server: &str) -> u16 {
    use sha2::{Digest, Sha256};
    let digest = Sha256::digest(server.as_bytes());
    PORT_BASE + u16::from_be_bytes([digest[0], digest[1]]) % PORT_SPAN
}

#[derive(Clone)]
struct Shared {
    server: String,
    requests: mpsc::Sender<CallbackRequest>,
}

impl CallbackServer {
    /// Bind the first free port of `ports` on 127.0.0.1 and serve `path`.
    pub async fn bind(
        server: &str,
        ports: impl IntoIterator<Item = u16>,
        path: &str,
    ) -> Result<Self, String> {
        let mut last_error = None;
        let mut listener = None;
        for port in ports {
            match tokio::net::TcpListener::bind(SocketAddr::from(([127, 0, 0, 1], port))).await {
                Ok(bound) => {
                    listener = Some(bound);
                    break;
                }
                Err(err) => last_error = Some(format!("port {port}: {err}")),
            }
        }
        let listener = listener.ok_or_else(|| {
            format!(
                "cannot listen for the OAuth callback on 127.0.0.1 ({}); free the port or set \
                 oauth.redirect_uri to a free loopback port",
                last_error.unwrap_or_else(|| "no port to try".into())
            )
        })?;
        let port = listener.local_addr().map_err(|e| e.to_string())?.port();
        let (tx, rx) = mpsc::channel(8);
        let shared = Shared {
            server: server.to_string(),
            requests: tx,
        };
        let app = axum::Router::new()
            .route(path, axum::routing::get(handle))
            .with_state(shared);
        let stop = CancellationToken::new();
        let token = stop.clone();
        tokio::spawn(async move {
            let served = axum::serve(listener, app)
                .with_graceful_shutdown(async move { token.cancelled().await });
            if let Err(err) = served.await {
                tracing::warn!(error = %err, "OAuth callback listener failed");
            }
        });
        Ok(Self {
            port,
            requests: rx,
            stop,
        })
    }

    /// The next redirect, or `None` when `deadline` passes first.
    pub async fn next(&mut self, deadline: tokio::time::Instant) -> Option<CallbackRequest> {
        tokio::time::timeout_at(deadline, self.requests.recv())
            .await
            .ok()
            .flatten()
    }
}

async fn handle(
    State(shared): State<Shared>,
    Query(query): Query<HashMap<String, String>>,
) -> impl IntoResponse {
    let params = parse(&query);
    let (reply, verdict) = oneshot::channel();
    let request = CallbackRequest { params, reply };
    if shared.requests.send(request).await.is_err() {
        return page(
            &shared.server,
            Err(
                "this login is no longer waiting; start it again with `mcpproxy auth login`".into(),
            ),
        );
    }
    let verdict = tokio::time::timeout(Duration::from_secs(60), verdict)
        .await
        .ok()
        .and_then(Result::ok)
        .unwrap_or_else(|| Err("the proxy did not finish the login in time".into()));
    page(&shared.server, verdict)
}

fn parse(query: &HashMap<String, String>) -> CallbackParams {
    let get = |k: &str| query.get(k).cloned();
    if let Some(error) = get("error") {
        return CallbackParams::Error {
            error,
            description: get("error_description"),
            state: get("state"),
        };
    }
    match (get("code"), get("state")) {
        (Some(code), Some(state)) => CallbackParams::Code {
            code,
            state,
            iss: get("iss"),
        },
        _ => CallbackParams::Invalid,
    }
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

fn page(server: &str, verdict: Result<(), String>) -> (http::StatusCode, Html<String>) {
    let server = escape(server);
    let (status, title, body) = match verdict {
        Ok(()) => (
            http::StatusCode::OK,
            "Login complete",
            format!("MCPProxy is now authorized for <b>{server}</b>. You can close this tab."),
        ),
        Err(message) => (
            http::StatusCode::BAD_REQUEST,
            "Login failed",
            format!(
                "MCPProxy could not complete the login for <b>{server}</b>: {}. You can close this tab.",
                escape(&message)
            ),
        ),
    };
    (
        status,
        Html(format!(
            "<!doctype html><html><head><meta charset=\"utf-8\"><title>MCPProxy: {title}</title></head>\
             <body style=\"font-family:sans-serif;margin:3em\"><h1>{title}</h1><p>{body}</p></body></html>"
        )),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stable_port_is_deterministic_and_in_range() {
        let a = stable_port("github");
        assert_eq!(a, stable_port("github"));
        assert!((PORT_BASE..PORT_BASE + PORT_SPAN).contains(&a));
        assert_ne!(stable_port("github"), stable_port("gitlab"));
    }

    #[tokio::test]
    async fn redirect_is_delivered_and_the_page_reflects_the_verdict() {
        let mut server = CallbackServer::bind("demo", [0], CALLBACK_PATH)
            .await
            .unwrap();
        let url = format!(
            "http://127.0.0.1:{}{CALLBACK_PATH}?code=abc&state=xyz&iss=https%3A%2F%2Fas",
            server.port
        );
        let get = tokio::spawn(async move { reqwest::get(url).await.unwrap() });
        let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
        let request = server.next(deadline).await.expect("callback delivered");
        match &request.params {
            CallbackParams::Code { code, state, iss } => {
                assert_eq!((code.as_str(), state.as_str()), ("abc", "xyz"));
                assert_eq!(iss.as_deref(), Some("https://as"));
            }
            other => panic!("unexpected {other:?}"),
        }
        request.reply(Ok(()));
        let response = get.await.unwrap();
        assert_eq!(response.status(), 200);
        assert!(response
            .text()
            .await
            .unwrap()
            .contains("You can close this tab"));
    }

    #[tokio::test]
    async fn error_redirect_shows_failure_page() {
        let mut server = CallbackServer::bind("demo", [0], CALLBACK_PATH)
            .await
            .unwrap();
        let url = format!(
            "http://127.0.0.1:{}{CALLBACK_PATH}?error=access_denied&error_description=no%3Cb%3E",
            server.port
        );
        let get = tokio::spawn(async move { reqwest::get(url).await.unwrap() });
        let request = server
            .next(tokio::time::Instant::now() + Duration::from_secs(10))
            .await
            .unwrap();
        assert!(
            matches!(request.params, CallbackParams::Error { ref error, .. } if error == "access_denied")
        );
        request.reply(Err("access_denied: no<b>".into()));
        let response = get.await.unwrap();
        assert_eq!(response.status(), 400);
        let text = response.text().await.unwrap();
        assert!(text.contains("no&lt;b&gt;"), "{text}");
    }
}
