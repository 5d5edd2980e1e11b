//! REST API (`/api/v1/*`) and server-sent events (`/events`) on the core's listener.
//!
//! Every route goes through the Host/Origin guard and gets an `X-Request-Id`; all but
//! `/api/v1/healthz`, `/api/v1/readyz` and `/api/v1/openapi.json` need the API key.

pub mod auth;
pub mod envelope;
pub mod events;
pub mod log_stream;
pub mod openapi;
pub mod request_id;
pub mod secrets;
pub mod security;
pub mod servers;
pub mod system;
pub mod tools;
pub mod ui;

use crate::core::Core;
use crate::mcp::guard::{self, HostPolicy};
use axum::extract::{Request, State};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use envelope::ApiError;
use http::StatusCode;
use std::sync::Arc;
use tokio_util::sync::CancellationToken;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

/// Prefix of every REST endpoint.
pub const API_PREFIX: &str = "/api/v1";

/// What the handlers share.
#[derive(Clone)]
pub struct ApiState {
    /// The core.
    pub core: Arc<Core>,
    /// Cancelled when the listener shuts down (ends SSE streams).
    pub shutdown: CancellationToken,
}

/// Endpoints that need the API key (relative to [`API_PREFIX`]).
fn protected_routes() -> OpenApiRouter<ApiState> {
    OpenApiRouter::new()
        .routes(routes!(servers::list_servers, servers::add_server))
        .routes(routes!(servers::patch_server, servers::delete_server))
        .routes(routes!(servers::enable_server))
        .routes(routes!(servers::disable_server))
        .routes(routes!(servers::restart_server))
        .routes(routes!(servers::server_tools))
        .routes(routes!(servers::server_logs))
        .routes(routes!(log_stream::server_log_stream))
        .routes(routes!(tools::list_tools))
        .routes(routes!(tools::search_tools))
        .routes(routes!(tools::call_tool))
        .routes(routes!(system::status))
        .routes(routes!(system::config))
        .routes(routes!(security::quarantine_server))
        .routes(routes!(security::unquarantine_server))
        .routes(routes!(security::approve_tools))
        .routes(routes!(security::tool_diff))
        .routes(routes!(security::inspect_server))
        .routes(routes!(security::list_activity))
        .routes(routes!(security::export_activity))
        .routes(routes!(security::get_activity))
        .routes(routes!(security::login))
        .routes(routes!(security::logout))
        .routes(routes!(security::docker_status))
        .routes(routes!(secrets::list_secrets, secrets::set_secret))
        .routes(routes!(secrets::delete_secret))
        .routes(routes!(secrets::config_to_secret))
}

/// Endpoints without authentication (relative to [`API_PREFIX`]); they reveal nothing.
fn public_routes() -> OpenApiRouter<ApiState> {
    OpenApiRouter::new()
        .routes(routes!(system::healthz))
        .routes(routes!(system::readyz))
}

/// `/events` (needs the API key).
fn events_routes() -> OpenApiRouter<ApiState> {
    OpenApiRouter::new().routes(routes!(events::events))
}

/// The OpenAPI document generated from the handlers (served at `/api/v1/openapi.json`).
pub fn openapi_document() -> utoipa::openapi::OpenApi {
    let mut doc = OpenApiRouter::with_openapi(openapi::base())
        .nest(API_PREFIX, protected_routes().merge(public_routes()))
        .merge(events_routes())
        .split_for_parts()
        .1;
    openapi::document_rejections(&mut doc);
    doc
}

async fn guard_host(State(policy): State<HostPolicy>, request: Request, next: Next) -> Response {
    match guard::check(&policy, request.headers()) {
        Ok(()) => next.run(request).await,
        Err(message) => ApiError::new(StatusCode::FORBIDDEN, message).into_response(),
    }
}

async fn unknown_endpoint(request: Request) -> ApiError {
    ApiError::not_found(format!(
        "no endpoint {} {}; see {API_PREFIX}/openapi.json for the API",
        request.method(),
        request.uri().path()
    ))
}

async fn method_not_allowed(request: Request) -> ApiError {
    ApiError::new(
        StatusCode::METHOD_NOT_ALLOWED,
        format!(
            "{} is not supported on {}; see {API_PREFIX}/openapi.json",
            request.method(),
            request.uri().path()
        ),
    )
}

/// `/api/v1/*` and `/events`, with Host/Origin validation, API-key auth and request ids.
pub fn router(core: Arc<Core>, shutdown: &CancellationToken) -> axum::Router {
    let state = ApiState {
        core: core.clone(),
        shutdown: shutdown.child_token(),
    };
    let auth = || middleware::from_fn_with_state(state.clone(), auth::require_api_key);
    let (routes, mut doc) = OpenApiRouter::with_openapi(openapi::base())
        .nest(
            API_PREFIX,
            protected_routes().layer(auth()).merge(public_routes()),
        )
        .merge(events_routes().layer(auth()))
        .split_for_parts();
    openapi::document_rejections(&mut doc);
    let doc_json = Arc::new(serde_json::to_value(&doc).unwrap_or_default());
    let openapi_route = axum::routing::get(move || {
        let doc = doc_json.clone();
        async move { axum::Json((*doc).clone()) }
    });
    routes
        .route(&format!("{API_PREFIX}/openapi.json"), openapi_route)
        .route(API_PREFIX, axum::routing::any(unknown_endpoint))
        .route(
            &format!("{API_PREFIX}/{{*rest}}"),
            axum::routing::any(unknown_endpoint),
        )
        .method_not_allowed_fallback(method_not_allowed)
        .with_state(state)
        .layer(middleware::from_fn_with_state(
            HostPolicy::from_core(&core),
            guard_host,
        ))
        .layer(middleware::from_fn(request_id::assign))
}
