//! An MCP client connection to a server running in its container.

use super::Isolator;
use crate::upstream::client::UpstreamClient;
use crate::upstream::connect::{handshake, Connection, ResolvedServer};
use crate::upstream::logfile::ServerLog;
use std::time::Duration;

/// Launch the container and complete the MCP handshake over its stdin/stdout.
pub async fn connect_isolated(
    isolator: Isolator,
    server: &ResolvedServer,
    handler: UpstreamClient,
    log: &ServerLog,
) -> Result<Connection, String> {
    let launched = isolator.launch(server, log).await?;
    // Bridge the attach stream's stdin (Send but not Sync) through a duplex pipe, so the
    // transport is built from plain Send + Sync halves like a child process's pipes.
    let (stdin, mut pipe) = tokio::io::duplex(64 * 1024);
    let mut container_stdin = launched.stdin;
    tokio::spawn(async move {
        let _ = tokio::io::copy(&mut pipe, &mut container_stdin).await;
        let _ = tokio::io::AsyncWriteExt::shutdown(&mut container_stdin).await;
    });
    match handshake(handler, (launched.stdout, stdin)).await {
        Ok(service) => Ok(Connection {
            peer: service.peer().clone(),
            service,
            group: None,
            transport: "stdio",
            container: Some(launched.container),
        }),
        Err(err) => {
            isolator
                .discard(&launched.container, Duration::from_secs(2))
                .await;
            let detail = log
                .last_stderr()
                .map(|line| format!(" (stderr: {line})"))
                .unwrap_or_default();
            Err(format!("{err}{detail}"))
        }
    }
}
