//! Our MCP server side: `/mcp` (built-in tools), `/mcp/all` (every tool directly) and
//! `/mcp/server/{name}` (one upstream, transparently).

pub mod builtin;
pub mod call;
pub mod direct;
pub mod guard;
pub mod passthrough;
pub mod peers;
pub mod proxy;
pub mod read_cache;
pub mod refusal;
pub mod resolve;
pub mod sessions;
pub mod wire;

use crate::core::Core;
use rmcp::model::{Implementation, ServerConfig};
use rmcp::transport::streamable_http_server::session::local::LocalSessionManager;
use rmcp::transport::streamable_http_server::{StreamableHttpServerConfig, StreamableHttpService};
use sessions::{BoundedSessionManager, SessionBudget};
use std::sync::Arc;
use std::time::Duration;
use tokio_util::sync::CancellationToken;

/// Idle time after which a classic (session-based) client session is dropped.
/// rmcp's default (5 min, counting only MCP messages) is far too short for a desktop proxy.
pub const SESSION_IDLE_TIMEOUT: Duration = Duration::from_secs(24 * 60 * 60);

/// `initialize` answer shared by the surfaces.
pub fn server_info(instructions: &str) -> ServerConfig {
    ServerConfig::new(proxy::capabilities())
        .with_server_info(Implementation::new("mcpproxy", env!("CARGO_PKG_VERSION")))
        .with_instructions(instructions)
}

pub(crate) fn http_config(shutdown: &CancellationToken) -> StreamableHttpServerConfig {
    StreamableHttpServerConfig::default()
        // Host/Origin are validated by `guard` for every route (with trusted_hosts).
        .disable_allowed_hosts()
        .with_sse_keep_alive(Some(Duration::from_secs(15)))
        .with_cancellation_token(shutdown.child_token())
}

/// A session manager whose sessions count against `budget` (see [`sessions`]).
pub(crate) fn session_manager(budget: &Arc<SessionBudget>) -> Arc<BoundedSessionManager> {
    let mut manager = LocalSessionManager::default();
    manager.session_config.keep_alive = Some(SESSION_IDLE_TIMEOUT);
    Arc::new(BoundedSessionManager::new(manager, budget.clone()))
}

/// Router with `/mcp`, `/mcp/all` and `/mcp/server/{name}`, guarded by Host/Origin validation.
pub fn router(core: Arc<Core>, shutdown: &CancellationToken) -> axum::Router {
    // One budget for every surface: `mcp_max_sessions` bounds the core's sessions in total.
    let budget = SessionBudget::new(core.config().mcp_max_sessions);
    let proxy_core = core.clone();
    let proxy = StreamableHttpService::new(
        move || Ok(proxy::ProxyHandler::new(proxy_core.clone())),
        session_manager(&budget),
        http_config(shutdown),
    );
    let direct_core = core.clone();
    let direct = StreamableHttpService::new(
        move || Ok(direct::DirectHandler::new(direct_core.clone())),
        session_manager(&budget),
        http_config(shutdown),
    );
    axum::Router::new()
        .route_service("/mcp", proxy.clone())
        .route_service("/mcp/", proxy)
        .route_service("/mcp/all", direct.clone())
        .route_service("/mcp/all/", direct)
        .merge(passthrough::router(core.clone(), shutdown, budget))
        .layer(axum::middleware::from_fn(wire::http_details))
        .layer(axum::middleware::from_fn_with_state(
            core.clone(),
            crate::api::auth::require_mcp_key,
        ))
        .layer(axum::middleware::from_fn_with_state(
            guard::HostPolicy::from_core(&core),
            guard::validate_host_and_origin,
        ))
}
