//! The HTTP listener: MCP surfaces on one axum server, with graceful shutdown.

use crate::core::Core;
use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;

/// How long open HTTP connections get to finish after shutdown starts.
pub const HTTP_DRAIN_TIMEOUT: Duration = Duration::from_secs(5);

/// The full application router: MCP surfaces, REST API, SSE events and the web UI.
pub fn app(core: Arc<Core>, shutdown: &CancellationToken) -> axum::Router {
    crate::mcp::router(core.clone(), shutdown)
        .merge(crate::api::ui::router(core.clone()))
        .merge(crate::api::router(core, shutdown))
}

/// Bind `addr`, explaining the usual failures.
pub async fn bind(addr: &str, config_path: &std::path::Path) -> anyhow::Result<TcpListener> {
    let parsed: SocketAddr = addr
        .parse()
        .map_err(|_| anyhow::anyhow!("`{addr}` is not an address:port (e.g. 127.0.0.1:8080)"))?;
    TcpListener::bind(parsed).await.map_err(|err| {
        let hint = if err.kind() == std::io::ErrorKind::AddrInUse {
            "another program (or another mcpproxy) is using it"
        } else {
            "check the address"
        };
        anyhow::anyhow!(
            "cannot listen on {addr}: {err} ({hint}); change `listen` in {} or pass --listen 127.0.0.1:PORT",
            config_path.display()
        )
    })
}

/// Serve until `stop` resolves, then shut down HTTP and every upstream.
pub async fn run(
    core: Arc<Core>,
    listener: TcpListener,
    stop: impl Future<Output = ()> + Send + 'static,
) -> anyhow::Result<()> {
    let shutdown = CancellationToken::new();
    let router = app(core.clone(), &shutdown);
    let server_token = shutdown.clone();
    // Responses are written in several small pieces (SSE events); without TCP_NODELAY, Nagle
    // holds the later pieces until the client's delayed ACK (~40 ms on Linux).
    let listener = axum::serve::ListenerExt::tap_io(listener, |tcp| {
        if let Err(err) = tcp.set_nodelay(true) {
            tracing::debug!(%err, "cannot set TCP_NODELAY");
        }
    });
    let server = axum::serve(listener, router)
        .with_graceful_shutdown(async move { server_token.cancelled().await });
    let server = tokio::spawn(async move { server.await });
    stop.await;
    tracing::info!("shutting down");
    shutdown.cancel();
    let drain = async {
        if tokio::time::timeout(HTTP_DRAIN_TIMEOUT, server)
            .await
            .is_err()
        {
            tracing::warn!("HTTP connections still open after {HTTP_DRAIN_TIMEOUT:?}; closing");
        }
    };
    tokio::join!(drain, core.shutdown());
    Ok(())
}

/// Resolves on SIGINT or SIGTERM. The handlers are installed when this is called (not when
/// the future is first polled), so a signal that arrives right after start-up is not lost.
pub fn termination_signal() -> impl Future<Output = ()> + Send + 'static {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{signal, SignalKind};
        let mut term = signal(SignalKind::terminate()).expect("SIGTERM handler");
        let mut int = signal(SignalKind::interrupt()).expect("SIGINT handler");
        async move {
            tokio::select! {
                _ = int.recv() => {}
                _ = term.recv() => {}
            }
        }
    }
    #[cfg(not(unix))]
    {
        async move {
            let _ = tokio::signal::ctrl_c().await;
        }
    }
}
