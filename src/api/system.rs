//! `/api/v1/status`, `/api/v1/config`, `/api/v1/healthz` and `/api/v1/readyz`.

use super::envelope::{ok, ApiError, ApiResult, Failure, Success};
use super::ApiState;
use crate::core::Core;
use crate::manage;
use crate::upstream::ConnectionState;
use axum::extract::State;
use http::StatusCode;
use serde::Serialize;
use serde_json::Value;

/// Servers per connection state.
#[derive(Debug, Default, Serialize, utoipa::ToSchema)]
pub struct ServerCounts {
    /// Configured servers.
    pub total: usize,
    /// Connected and listed.
    pub ready: usize,
    /// Connecting or reconnecting.
    pub connecting: usize,
    /// Last attempt failed; retrying.
    pub error: usize,
    /// Disabled in the config.
    pub disabled: usize,
    /// Waiting for approval.
    pub quarantined: usize,
    /// Not running.
    pub stopped: usize,
}

/// Overall state of the core (also the `status` SSE event).
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct StatusView {
    /// Core version.
    pub version: String,
    /// `listen` from the config.
    pub listen: String,
    /// Config file in use.
    pub config_path: String,
    /// retrieve_tools or direct.
    pub routing_mode: String,
    /// Servers per state.
    pub servers: ServerCounts,
    /// Tools in the merged catalog.
    pub tools: usize,
}

/// Status of the core right now.
pub fn status_view(core: &Core) -> StatusView {
    let mut counts = ServerCounts::default();
    for view in manage::server_views(core) {
        counts.total += 1;
        match view.status.as_str() {
            "ready" => counts.ready += 1,
            "connecting" => counts.connecting += 1,
            "error" => counts.error += 1,
            "disabled" => counts.disabled += 1,
            "quarantined" => counts.quarantined += 1,
            _ => counts.stopped += 1,
        }
    }
    let config = core.config();
    StatusView {
        version: env!("CARGO_PKG_VERSION").to_string(),
        listen: config.listen.clone(),
        config_path: core.config_path.display().to_string(),
        routing_mode: serde_json::to_value(config.routing_mode)
            .ok()
            .and_then(|v| v.as_str().map(str::to_string))
            .unwrap_or_default(),
        servers: counts,
        tools: core.catalog.snapshot().tools().len(),
    }
}

/// Version, listen address and counts of servers and tools.
#[utoipa::path(get, path = "/status", tag = "system",
    responses((status = 200, description = "Core status", body = Success<StatusView>)))]
pub async fn status(State(state): State<ApiState>) -> ApiResult<StatusView> {
    Ok(ok(status_view(&state.core)))
}

/// The running config as in mcp_config.json, with `api_key` and secret values masked.
#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(transparent)]
#[schema(value_type = Object)]
pub struct ConfigView(pub Value);

/// The running configuration (secrets masked; `api_key` always masked).
#[utoipa::path(get, path = "/config", tag = "system",
    responses((status = 200, description = "Configuration", body = Success<ConfigView>)))]
pub async fn config(State(state): State<ApiState>) -> ApiResult<ConfigView> {
    let shown = manage::redacted_config(&state.core.config());
    Ok(ok(ConfigView(
        serde_json::to_value(shown).unwrap_or_default(),
    )))
}

/// Liveness.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Health {
    /// Always "ok".
    pub status: String,
}

/// Liveness probe (no API key needed; reveals nothing).
#[utoipa::path(get, path = "/healthz", tag = "system", security(()),
    responses((status = 200, description = "The core is running", body = Success<Health>)))]
pub async fn healthz() -> ApiResult<Health> {
    Ok(ok(Health {
        status: "ok".into(),
    }))
}

/// Readiness.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Readiness {
    /// True when no enabled server is still connecting.
    pub ready: bool,
}

/// Readiness probe (no API key needed): 200 once no enabled, non-quarantined server is
/// still connecting; 503 before.
#[utoipa::path(get, path = "/readyz", tag = "system", security(()),
    responses(
        (status = 200, description = "Ready", body = Success<Readiness>),
        (status = 503, description = "Servers still connecting", body = Failure)))]
pub async fn readyz(State(state): State<ApiState>) -> ApiResult<Readiness> {
    let connecting = state
        .core
        .upstreams
        .all()
        .iter()
        .filter(|u| u.status().state == ConnectionState::Connecting)
        .count();
    if connecting > 0 {
        return Err(ApiError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            format!("not ready: {connecting} server(s) still connecting"),
        ));
    }
    Ok(ok(Readiness { ready: true }))
}
