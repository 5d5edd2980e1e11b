//! `mcpproxy upstream logs NAME --follow`: print the tail, then new lines as they are written.

use super::client::{ApiClient, CliError, EXIT_UNREACHABLE};
use super::output::Format;
use super::upstream::urlencode;
use futures::StreamExt;
use serde_json::Value;
use std::io::Write;

/// One server-sent event: its name and `data`.
#[derive(Debug, PartialEq, Eq)]
pub struct SseEvent {
    /// `event:` (empty when absent).
    pub name: String,
    /// The `data:` lines joined with newlines.
    pub data: String,
}

/// Splits a byte stream into server-sent events.
#[derive(Default)]
pub struct SseParser {
    buffer: String,
    pending: Vec<u8>,
}

impl SseParser {
    /// Feed bytes; returns the events completed by them.
    pub fn push(&mut self, bytes: &[u8]) -> Vec<SseEvent> {
        self.pending.extend_from_slice(bytes);
        // Keep an incomplete UTF-8 sequence for the next chunk.
        let valid = match std::str::from_utf8(&self.pending) {
            Ok(text) => text.len(),
            Err(err) => err.valid_up_to(),
        };
        let text = String::from_utf8_lossy(&self.pending[..valid]).replace("\r\n", "\n");
        self.pending.drain(..valid);
        self.buffer.push_str(&text);
        let mut events = Vec::new();
        while let Some(end) = self.buffer.find("\n\n") {
            let block: String = self.buffer.drain(..end + 2).collect();
            let mut event = SseEvent {
                name: String::new(),
                data: String::new(),
            };
            let mut data = Vec::new();
            for line in block.lines() {
                if let Some(v) = line.strip_prefix("event:") {
                    event.name = v.trim_start().to_string();
                } else if let Some(v) = line.strip_prefix("data:") {
                    data.push(v.strip_prefix(' ').unwrap_or(v));
                }
            }
            if !data.is_empty() || !event.name.is_empty() {
                event.data = data.join("\n");
                events.push(event);
            }
        }
        events
    }
}

fn print(out: &mut impl Write, format: Format, server: &str, line: &str, event: &Value) {
    let _ = match format {
        Format::Table => writeln!(out, "{line}"),
        Format::Json if event.is_null() => {
            writeln!(
                out,
                "{}",
                serde_json::json!({"server": server, "line": line})
            )
        }
        Format::Json => writeln!(out, "{event}"),
    };
    let _ = out.flush();
}

/// Print one event of the log stream (others are ignored).
fn show(event: &SseEvent, format: Format, name: &str) {
    let data: Value = serde_json::from_str(&event.data).unwrap_or(Value::Null);
    let mut out = std::io::stdout().lock();
    match event.name.as_str() {
        "server.log.tail" => {
            for line in data["lines"].as_array().into_iter().flatten() {
                print(
                    &mut out,
                    format,
                    name,
                    line.as_str().unwrap_or_default(),
                    &Value::Null,
                );
            }
        }
        "server.log" => print(
            &mut out,
            format,
            name,
            data["line"].as_str().unwrap_or_default(),
            &data,
        ),
        "server.log.dropped" => eprintln!(
            "mcpproxy: {} log lines skipped (this reader fell behind)",
            data["dropped"]
        ),
        _ => {}
    }
}

async fn terminated() {
    #[cfg(unix)]
    {
        let mut term =
            match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
                Ok(term) => term,
                Err(_) => return std::future::pending().await,
            };
        tokio::select! {
            _ = tokio::signal::ctrl_c() => {}
            _ = term.recv() => {}
        }
    }
    #[cfg(not(unix))]
    let _ = tokio::signal::ctrl_c().await;
}

/// Print the last `tail` lines of `name`'s log, then every new line until Ctrl-C or SIGTERM
/// (exit 0). Fails when the core goes away.
pub async fn follow(
    client: &ApiClient,
    name: &str,
    tail: usize,
    format: Format,
) -> Result<(), CliError> {
    let path = format!("/servers/{}/logs/stream?tail={tail}", urlencode(name));
    let response = client.open_stream(&path).await?;
    let mut body = response.bytes_stream();
    let mut parser = SseParser::default();
    let gone = |reason: String| {
        CliError {
        code: EXIT_UNREACHABLE,
        message: format!(
            "the core at {} ended the log stream ({reason}); it stopped or restarted — run the command again once it is back",
            client.base()
        ),
    }
    };
    let stop = terminated();
    tokio::pin!(stop);
    loop {
        tokio::select! {
            _ = &mut stop => return Ok(()),
            chunk = body.next() => match chunk {
                Some(Ok(bytes)) => {
                    for event in parser.push(&bytes) {
                        show(&event, format, name);
                    }
                }
                Some(Err(err)) => return Err(gone(err.to_string())),
                None => return Err(gone("connection closed".to_string())),
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn events_split_across_chunks_and_multibyte_characters() {
        let mut parser = SseParser::default();
        let wire = "event: server.log\ndata: {\"line\":\"é\"}\n\n: comment\n\nevent: ping\r\ndata: 1\r\n\r\n".as_bytes();
        let mut events = Vec::new();
        for chunk in wire.chunks(3) {
            events.extend(parser.push(chunk));
        }
        assert_eq!(
            events,
            vec![
                SseEvent {
                    name: "server.log".into(),
                    data: "{\"line\":\"é\"}".into()
                },
                SseEvent {
                    name: "ping".into(),
                    data: "1".into()
                },
            ]
        );
    }
}
