//! `GET /api/v1/servers/{name}/logs/stream`: one server's log as server-sent events.
//!
//! Events: `server.log.tail` first (`{server, path, lines}`, the last `?tail=N` lines), then
//! `server.log` (`{server, line, ts}`) for every line written afterwards, `server.log.dropped`
//! (`{server, dropped}`) when this reader fell behind and lines were skipped, and `ping`
//! every 30 s. Lines are scrubbed of secret values before they are published.

use super::envelope::{ApiError, Failure};
use super::events::{event, ping_event, PING_INTERVAL};
use super::servers::TailQuery;
use super::ApiState;
use crate::manage::ops;
use crate::upstream::logstream::LogLine;
use axum::extract::{Path, Query, State};
use axum::response::sse::{Event, Sse};
use futures::Stream;
use serde_json::json;
use std::collections::HashSet;
use std::convert::Infallible;
use std::time::Duration;
use tokio::sync::broadcast::{error::RecvError, Receiver};
use tokio::time::{interval_at, Instant, Interval};
use tokio_util::sync::CancellationToken;

/// Default `?tail` of the stream.
const DEFAULT_TAIL: usize = 100;

struct Feed {
    server: String,
    lines: Receiver<LogLine>,
    /// The opening `server.log.tail` event, until sent.
    first: Option<Event>,
    /// Tail lines that may also be queued in `lines` (subscribed before reading the tail).
    overlap: HashSet<String>,
    ping: Interval,
    stop: CancellationToken,
}

impl Feed {
    async fn next(&mut self) -> Option<Event> {
        if let Some(first) = self.first.take() {
            return Some(first);
        }
        loop {
            tokio::select! {
                _ = self.stop.cancelled() => return None,
                _ = self.ping.tick() => return Some(ping_event()),
                received = self.lines.recv() => match received {
                    Ok(line) if *line.server == *self.server => {
                        if !self.overlap.is_empty() && self.overlap.remove(&line.line) {
                            continue;
                        }
                        self.overlap.clear();
                        return Some(event("server.log", json!(line)));
                    }
                    Ok(_) => {}
                    Err(RecvError::Lagged(skipped)) => {
                        self.overlap.clear();
                        return Some(event(
                            "server.log.dropped",
                            json!({"server": self.server, "dropped": skipped}),
                        ));
                    }
                    Err(RecvError::Closed) => return None,
                },
            }
        }
    }
}

/// The feed of `name`'s log: its last `tail` lines, then live lines until `stop`.
pub fn stream(
    core: &crate::core::Core,
    name: &str,
    tail: usize,
    stop: CancellationToken,
    ping_every: Duration,
) -> Result<impl Stream<Item = Result<Event, Infallible>>, ApiError> {
    // Subscribe before reading the tail so no line falls between the two.
    let lines = core.upstreams.context().log_bus.subscribe();
    let tail = ops::tail_log(core, name, tail)?;
    let path = core
        .upstreams
        .get(name)
        .map(|u| u.log.path().display().to_string())
        .unwrap_or_default();
    let feed = Feed {
        server: name.to_string(),
        lines,
        first: Some(event(
            "server.log.tail",
            json!({"server": name, "path": path, "lines": tail}),
        )),
        overlap: tail.into_iter().collect(),
        ping: interval_at(Instant::now() + ping_every, ping_every),
        stop,
    };
    Ok(futures::stream::unfold(feed, |mut feed| async move {
        feed.next().await.map(|e| (Ok(e), feed))
    }))
}

/// Follow a server's log live (`text/event-stream`; browsers pass the key as `?apikey=`).
#[utoipa::path(get, path = "/servers/{name}/logs/stream", tag = "servers",
    params(("name" = String, Path, description = "Server name"), TailQuery),
    responses(
        (status = 200, description = "Event stream: server.log.tail {server, path, lines} first, then server.log {server, line, ts} per new line, server.log.dropped {server, dropped} when this reader fell behind, ping every 30 s", content_type = "text/event-stream", body = LogLine),
        (status = 404, description = "Unknown server", body = Failure)))]
pub async fn server_log_stream(
    State(state): State<ApiState>,
    Path(name): Path<String>,
    Query(query): Query<TailQuery>,
) -> Result<Sse<impl Stream<Item = Result<Event, Infallible>>>, ApiError> {
    let tail = query.tail.unwrap_or(DEFAULT_TAIL);
    Ok(Sse::new(stream(
        &state.core,
        &name,
        tail,
        state.shutdown,
        PING_INTERVAL,
    )?))
}

#[cfg(test)]
mod tests {
    use super::*;
    use futures::StreamExt;

    async fn next_event(
        stream: &mut (impl Stream<Item = Result<Event, Infallible>> + Unpin),
    ) -> String {
        let item = tokio::time::timeout(Duration::from_secs(10), stream.next())
            .await
            .expect("an event in time")
            .expect("the stream is open")
            .unwrap();
        // Event's Debug shows the buffered wire text.
        format!("{item:?}")
    }

    #[tokio::test]
    async fn tail_first_then_only_this_servers_new_lines() {
        let dir = tempfile::tempdir().unwrap();
        let config: crate::config::Config = serde_json::from_value(json!({"mcpServers": [
            {"name": "a", "command": "true", "enabled": false},
            {"name": "b", "command": "true", "enabled": false}
        ]}))
        .unwrap();
        let core = crate::core::Core::start(
            config,
            dir.path().join("mcp_config.json"),
            dir.path().to_path_buf(),
        )
        .await;
        let (a, b) = (
            core.upstreams.get("a").unwrap(),
            core.upstreams.get("b").unwrap(),
        );
        a.log.event("before the stream");
        let stop = CancellationToken::new();
        let mut feed =
            Box::pin(stream(&core, "a", 10, stop.clone(), Duration::from_secs(60)).unwrap());
        let first = next_event(&mut feed).await;
        assert!(
            first.contains("server.log.tail") && first.contains("before the stream"),
            "{first}"
        );
        b.log.event("other server");
        a.log.stderr_line("after the tail");
        let live = next_event(&mut feed).await;
        assert!(live.contains("event: server.log\\n"), "{live}");
        assert!(
            live.contains("[stderr] after the tail") && !live.contains("other server"),
            "{live}"
        );
        assert!(stream(&core, "nope", 10, stop.clone(), PING_INTERVAL).is_err());
        stop.cancel();
        assert!(feed.next().await.is_none(), "the stream ends on shutdown");
    }
}
