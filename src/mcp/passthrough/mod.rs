//! `/mcp/server/{name}`: one upstream exposed transparently, under its own tool, prompt
//! and resource names, with everything forwarded both ways (see `docs/mcp.md`).

pub mod forward;
pub mod gate;
pub mod handler;
pub mod reconnects;

use crate::core::Core;
use axum::body::Body;
use axum::extract::{Path, Request, State};
use axum::response::{IntoResponse, Response};
use handler::PassthroughHandler;
use http::StatusCode;
use rmcp::transport::StreamableHttpService;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use tokio_util::sync::CancellationToken;
use tower::ServiceExt;

type Service = StreamableHttpService<PassthroughHandler, super::sessions::BoundedSessionManager>;

/// One MCP service (with its own sessions) per server name, created on first use.
struct Services {
    core: Arc<Core>,
    shutdown: CancellationToken,
    budget: Arc<super::sessions::SessionBudget>,
    by_name: Mutex<HashMap<String, Service>>,
}

impl Services {
    fn get(&self, name: &str) -> Service {
        let mut by_name = self.by_name.lock().unwrap_or_else(|e| e.into_inner());
        by_name
            .entry(name.to_string())
            .or_insert_with(|| {
                let core = self.core.clone();
                let server = name.to_string();
                StreamableHttpService::new(
                    move || Ok(PassthroughHandler::new(core.clone(), server.clone())),
                    super::session_manager(&self.budget),
                    super::http_config(&self.shutdown),
                )
            })
            .clone()
    }
}

fn unknown_server(name: &str) -> Response {
    let body = serde_json::json!({
        "jsonrpc": "2.0",
        "id": null,
        "error": {
            "code": -32600,
            "message": format!(
                "no server named `{name}` is configured in mcpproxy; use the `name` of one of the mcpServers in mcp_config.json"
            ),
        },
    });
    (
        StatusCode::NOT_FOUND,
        [(http::header::CONTENT_TYPE, "application/json")],
        body.to_string(),
    )
        .into_response()
}

async fn serve(
    State(services): State<Arc<Services>>,
    Path(name): Path<String>,
    request: Request<Body>,
) -> Response {
    if services.core.upstreams.get(&name).is_none() {
        return unknown_server(&name);
    }
    let service = services.get(&name);
    match service.oneshot(request).await {
        Ok(response) => response.into_response(),
        Err(never) => match never {},
    }
}

/// Routes `/mcp/server/{name}` (and with a trailing slash). Needs a Tokio runtime.
pub fn router(
    core: Arc<Core>,
    shutdown: &CancellationToken,
    budget: Arc<super::sessions::SessionBudget>,
) -> axum::Router {
    tokio::spawn(reconnects::announce(core.clone(), shutdown.child_token()));
    let services = Arc::new(Services {
        core,
        shutdown: shutdown.clone(),
        budget,
        by_name: Mutex::new(HashMap::new()),
    });
    axum::Router::new()
        .route("/mcp/server/{name}", axum::routing::any(serve))
        .route("/mcp/server/{name}/", axum::routing::any(serve))
        .with_state(services)
}
