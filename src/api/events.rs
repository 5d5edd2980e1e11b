//! `GET /events`: server-sent events for the UI, tray and CLI.
//!
//! Events: `status` (on connect and after a missed burst), `servers.changed` (one server's
//! redacted object, or `server: null` once removed), `tools.changed`, `config.saved`,
//! `config.reloaded`, `config.invalid`, `approvals.changed`, `docker.pull`,
//! `tool_call.started` / `tool_call.finished`, and `ping` every 30 s.
//! Server log lines have their own stream (`server.log`, see [`super::log_stream`]).

use super::system::status_view;
use super::ApiState;
use crate::core::Core;
use crate::events::CoreEvent;
use crate::manage::view::find_view;
use axum::extract::State;
use axum::response::sse::{Event, Sse};
use futures::Stream;
use serde_json::json;
use std::convert::Infallible;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::broadcast::error::RecvError;
use tokio::time::{interval_at, Instant, Interval};
use tokio_util::sync::CancellationToken;

/// Interval of `ping` events.
pub const PING_INTERVAL: Duration = Duration::from_secs(30);

/// An SSE event named `name` carrying `data` as JSON.
pub(crate) fn event(name: &str, data: serde_json::Value) -> Event {
    Event::default().event(name).data(data.to_string())
}

/// The keep-alive `ping` event (sent every [`PING_INTERVAL`] by every event stream).
pub(crate) fn ping_event() -> Event {
    let now = humantime::format_rfc3339_seconds(std::time::SystemTime::now());
    event("ping", json!({"time": now.to_string()}))
}

fn status_event(core: &Core) -> Event {
    event("status", json!(status_view(core)))
}

/// The SSE event for a core event, if it is shown to clients.
pub fn to_sse(core: &Core, core_event: &CoreEvent) -> Option<Event> {
    Some(match core_event {
        CoreEvent::ServerChanged { name } => event(
            "servers.changed",
            json!({"name": name, "server": find_view(core, name)}),
        ),
        CoreEvent::CatalogChanged => event(
            "tools.changed",
            json!({"tools": core.catalog.snapshot().tools().len()}),
        ),
        CoreEvent::ConfigSaved => event(
            "config.saved",
            json!({"path": core.config_path.display().to_string()}),
        ),
        CoreEvent::ApprovalsChanged { server } => {
            event("approvals.changed", json!({"server": server}))
        }
        CoreEvent::DockerPull(pull) => event("docker.pull", json!(pull)),
        CoreEvent::ConfigReloaded => event(
            "config.reloaded",
            json!({"path": core.config_path.display().to_string()}),
        ),
        CoreEvent::ConfigInvalid { error } => event(
            "config.invalid",
            json!({"path": core.config_path.display().to_string(), "error": error}),
        ),
        CoreEvent::OAuthTokenRefreshed { name, expires_at } => event(
            "oauth.token_refreshed",
            json!({"server": name, "expires_at": expires_at}),
        ),
        CoreEvent::OAuthLoginSucceeded { name } => {
            event("oauth.login_succeeded", json!({"server": name}))
        }
        CoreEvent::OAuthFailed {
            name,
            message,
            login_required,
        } => event(
            "oauth.failed",
            json!({"server": name, "message": message, "login_required": login_required}),
        ),
        CoreEvent::SecretsChanged { name } => event("secrets.changed", json!({"name": name})),
        CoreEvent::ToolCall(call) => {
            let name = if call.finished.is_some() {
                "tool_call.finished"
            } else {
                "tool_call.started"
            };
            event(name, json!(call))
        }
    })
}

struct Feed {
    core: Arc<Core>,
    events: tokio::sync::broadcast::Receiver<CoreEvent>,
    ping: Interval,
    stop: CancellationToken,
    greeted: bool,
}

impl Feed {
    async fn next(&mut self) -> Option<Event> {
        if !self.greeted {
            self.greeted = true;
            return Some(status_event(&self.core));
        }
        loop {
            tokio::select! {
                _ = self.stop.cancelled() => return None,
                _ = self.ping.tick() => return Some(ping_event()),
                received = self.events.recv() => match received {
                    Ok(core_event) => {
                        if let Some(sse) = to_sse(&self.core, &core_event) {
                            return Some(sse);
                        }
                    }
                    // Too slow a reader: resynchronise with a fresh status.
                    Err(RecvError::Lagged(_)) => return Some(status_event(&self.core)),
                    Err(RecvError::Closed) => return None,
                },
            }
        }
    }
}

/// The event stream for one client, pinging every `ping_every`.
pub fn stream(
    core: Arc<Core>,
    stop: CancellationToken,
    ping_every: Duration,
) -> impl Stream<Item = Result<Event, Infallible>> {
    let feed = Feed {
        events: core.events.subscribe(),
        core,
        ping: interval_at(Instant::now() + ping_every, ping_every),
        stop,
        greeted: false,
    };
    futures::stream::unfold(feed, |mut feed| async move {
        feed.next().await.map(|e| (Ok(e), feed))
    })
}

/// Server-sent events (`text/event-stream`); browsers pass the key as `?apikey=`.
#[utoipa::path(get, path = "/events", tag = "events",
    responses((status = 200, description = "Event stream: status, servers.changed, tools.changed, config.saved, config.reloaded, config.invalid, approvals.changed, docker.pull, tool_call.started, tool_call.finished, ping", content_type = "text/event-stream", body = String)))]
pub async fn events(
    State(state): State<ApiState>,
) -> Sse<impl Stream<Item = Result<Event, Infallible>>> {
    Sse::new(stream(state.core, state.shutdown, PING_INTERVAL))
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::response::IntoResponse;
    use futures::StreamExt;

    #[tokio::test]
    async fn status_first_then_events_and_pings_until_shutdown() {
        let dir = tempfile::tempdir().unwrap();
        let core = Core::start(
            crate::config::Config::default(),
            dir.path().join("mcp_config.json"),
            dir.path().to_path_buf(),
        )
        .await;
        let stop = CancellationToken::new();
        let sse = Sse::new(stream(
            core.clone(),
            stop.clone(),
            Duration::from_millis(50),
        ));
        let mut body = sse.into_response().into_body().into_data_stream();
        async fn next_text(body: &mut axum::body::BodyDataStream) -> Option<String> {
            let chunk = tokio::time::timeout(Duration::from_secs(10), body.next())
                .await
                .expect("an SSE chunk in time");
            chunk.map(|c| String::from_utf8(c.unwrap().to_vec()).unwrap())
        }
        let first = next_text(&mut body).await.unwrap();
        assert!(first.starts_with("event: status\n"), "{first}");
        assert!(first.contains("\"servers\""), "{first}");
        core.events.publish(CoreEvent::ConfigSaved);
        let mut seen = Vec::new();
        // Bounded: a config.saved and a ping must both arrive within a few chunks.
        for _ in 0..10 {
            let text = next_text(&mut body).await.unwrap();
            seen.push(text.lines().next().unwrap_or_default().to_string());
            if seen.iter().any(|l| l == "event: config.saved")
                && seen.iter().any(|l| l == "event: ping")
            {
                break;
            }
        }
        assert!(
            seen.contains(&"event: config.saved".to_string()),
            "{seen:?}"
        );
        assert!(seen.contains(&"event: ping".to_string()), "{seen:?}");
        stop.cancel();
        assert!(
            next_text(&mut body).await.is_none(),
            "the stream ends on shutdown"
        );
    }
}
