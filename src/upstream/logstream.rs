//! Live feed of server log lines (SSE `server.log`), separate from the core event bus so a
//! chatty server can never make the core's subscribers lag.

use std::sync::Arc;
use tokio::sync::broadcast;

/// Lines a subscriber may fall behind before it misses some (it is told how many).
pub const LOG_BUS_CAPACITY: usize = 1024;

/// Longest published line in bytes; longer lines are cut (the log file keeps them whole).
pub const MAX_LINE_BYTES: usize = 4096;

/// One line written to a server's log, already scrubbed of secret values.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, utoipa::ToSchema)]
pub struct LogLine {
    /// Server name.
    #[schema(value_type = String)]
    pub server: Arc<str>,
    /// The line as written to the log file (`<ts> [stderr|proxy] <text>`), at most 4 KiB.
    pub line: String,
    /// When it was written (RFC 3339, milliseconds).
    pub ts: String,
}

/// Broadcast channel of [`LogLine`]s of every server; cheap to clone. Bounded: a slow
/// subscriber loses the oldest lines instead of holding up the upstream.
#[derive(Debug, Clone)]
pub struct LogBus {
    sender: broadcast::Sender<LogLine>,
}

impl Default for LogBus {
    fn default() -> Self {
        let (sender, _) = broadcast::channel(LOG_BUS_CAPACITY);
        Self { sender }
    }
}

impl LogBus {
    /// Publish a line (never blocks; no-op without subscribers).
    pub fn publish(&self, server: &Arc<str>, line: &str, ts: &str) {
        if self.sender.receiver_count() == 0 {
            return;
        }
        let _ = self.sender.send(LogLine {
            server: server.clone(),
            line: cap_line(line).to_string(),
            ts: ts.to_string(),
        });
    }

    /// Subscribe to lines published from now on.
    pub fn subscribe(&self) -> broadcast::Receiver<LogLine> {
        self.sender.subscribe()
    }
}

/// `line` cut to at most [`MAX_LINE_BYTES`] on a character boundary.
pub fn cap_line(line: &str) -> &str {
    if line.len() <= MAX_LINE_BYTES {
        return line;
    }
    let mut end = MAX_LINE_BYTES;
    while !line.is_char_boundary(end) {
        end -= 1;
    }
    &line[..end]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_lines_are_cut_on_a_char_boundary() {
        let line = "é".repeat(MAX_LINE_BYTES);
        let cut = cap_line(&line);
        assert!(cut.len() <= MAX_LINE_BYTES && cut.len() >= MAX_LINE_BYTES - 1);
        assert!(cut.chars().all(|c| c == 'é'));
        assert_eq!(cap_line("short"), "short");
    }

    #[tokio::test]
    async fn a_flood_is_bounded_and_the_lagging_subscriber_learns_how_much_it_lost() {
        let bus = LogBus::default();
        let mut rx = bus.subscribe();
        let server: Arc<str> = Arc::from("s");
        let big = "x".repeat(10 * MAX_LINE_BYTES);
        for _ in 0..10_000 {
            bus.publish(&server, &big, "t");
        }
        match rx.recv().await {
            Err(broadcast::error::RecvError::Lagged(n)) => {
                assert_eq!(n as usize, 10_000 - LOG_BUS_CAPACITY)
            }
            other => panic!("expected a lag, got {other:?}"),
        }
        let next = rx.recv().await.unwrap();
        assert_eq!(next.line.len(), MAX_LINE_BYTES);
        assert_eq!(
            rx.len(),
            LOG_BUS_CAPACITY - 1,
            "only the newest lines are held"
        );
    }
}
