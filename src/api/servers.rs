//! `/api/v1/servers…`: list, add, patch, remove, enable/disable/restart, tools and logs.

use super::envelope::{ok, ApiOk, ApiResult, Body, Failure, Path, Query, Success};
use super::tools::{tool_view, ToolView};
use super::ApiState;
use crate::manage::{self, ops, Actor, ServerView};
use axum::extract::State;
use http::{HeaderMap, StatusCode};
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// Every configured server.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ServerList {
    /// Servers in config order.
    pub servers: Vec<ServerView>,
}

/// A server definition to add, or a JSON Merge Patch of one (all fields optional in a patch).
#[derive(Debug, Deserialize, Serialize, utoipa::ToSchema)]
pub struct ServerInput {
    /// Unique name (immutable after creation; no ':' or '/').
    pub name: Option<String>,
    /// stdio, http, sse, streamable-http or auto (default).
    pub protocol: Option<String>,
    /// Executable (stdio).
    pub command: Option<String>,
    /// Arguments (stdio).
    pub args: Option<Vec<String>>,
    /// Working directory (stdio).
    pub working_dir: Option<String>,
    /// URL (HTTP/SSE).
    pub url: Option<String>,
    /// Environment. In a patch: string = upsert, null = delete, absent = keep.
    #[schema(value_type = Option<HashMap<String, Option<String>>>)]
    pub env: Option<Value>,
    /// HTTP headers. In a patch: string = upsert, null = delete, absent = keep.
    #[schema(value_type = Option<HashMap<String, Option<String>>>)]
    pub headers: Option<Value>,
    /// Whether the proxy uses the server (default true).
    pub enabled: Option<bool>,
    /// New servers are quarantined when `quarantine_enabled` unless this is `false`.
    pub quarantined: Option<bool>,
    /// OAuth settings.
    #[schema(value_type = Option<Object>)]
    pub oauth: Option<Value>,
    /// Docker isolation settings.
    #[schema(value_type = Option<Object>)]
    pub isolation: Option<Value>,
    /// When not empty, only these tools (upstream names) are exposed.
    pub enabled_tools: Option<Vec<String>>,
    /// Tools (upstream names) never exposed nor callable.
    pub disabled_tools: Option<Vec<String>>,
}

/// Confirmation of a removal.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Removed {
    /// Name of the removed server.
    pub removed: String,
}

/// The tools one server offers.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ServerTools {
    /// Server name.
    pub server: String,
    /// Its tools (empty unless the server is ready).
    pub tools: Vec<ToolView>,
}

/// `?tail=N`.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
pub struct TailQuery {
    /// Number of lines (default 100, at most 5000).
    pub tail: Option<usize>,
}

/// The end of a server's log.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct LogLines {
    /// Server name.
    pub server: String,
    /// Log file on the core's machine.
    pub path: String,
    /// Lines, oldest first.
    pub lines: Vec<String>,
}

/// List every server with its status (secrets masked).
#[utoipa::path(get, path = "/servers", tag = "servers",
    responses(
        (status = 200, description = "Every configured server", body = Success<ServerList>),
        (status = 401, description = "Missing or wrong API key", body = Failure)))]
pub async fn list_servers(State(state): State<ApiState>) -> ApiResult<ServerList> {
    Ok(ok(ServerList {
        servers: manage::server_views(&state.core),
    }))
}

/// Add a server. It is quarantined when `quarantine_enabled` is on, unless the body
/// says `"quarantined": false`.
#[utoipa::path(post, path = "/servers", tag = "servers", request_body = ServerInput,
    responses(
        (status = 201, description = "Added", body = Success<ServerView>),
        (status = 400, description = "Invalid definition", body = Failure),
        (status = 409, description = "Name already used", body = Failure)))]
pub async fn add_server(
    State(state): State<ApiState>,
    headers: HeaderMap,
    Body(body): Body<Value>,
) -> ApiResult<ServerView> {
    let view = ops::add(&state.core, body, Actor::from_headers(&headers)).await?;
    Ok(ApiOk(StatusCode::CREATED, view))
}

/// JSON Merge Patch (RFC 7396) of a server: `headers`/`env` merge key by key (string =
/// upsert, null = delete, absent = keep); other fields replace; `name` is immutable.
/// A masked value sent back unchanged keeps the stored secret. The server reconnects.
#[utoipa::path(patch, path = "/servers/{name}", tag = "servers", request_body = ServerInput,
    params(("name" = String, Path, description = "Server name")),
    responses(
        (status = 200, description = "Updated", body = Success<ServerView>),
        (status = 400, description = "Invalid patch", body = Failure),
        (status = 404, description = "Unknown server", body = Failure)))]
pub async fn patch_server(
    State(state): State<ApiState>,
    headers: HeaderMap,
    Path(name): Path<String>,
    Body(body): Body<Value>,
) -> ApiResult<ServerView> {
    let actor = Actor::from_headers(&headers);
    Ok(ok(ops::patch(&state.core, &name, body, actor).await?.view))
}

/// Remove a server (its connection and processes are stopped).
#[utoipa::path(delete, path = "/servers/{name}", tag = "servers",
    params(("name" = String, Path, description = "Server name")),
    responses(
        (status = 200, description = "Removed", body = Success<Removed>),
        (status = 404, description = "Unknown server", body = Failure)))]
pub async fn delete_server(
    State(state): State<ApiState>,
    headers: HeaderMap,
    Path(name): Path<String>,
) -> ApiResult<Removed> {
    ops::remove(&state.core, &name, Actor::from_headers(&headers)).await?;
    Ok(ok(Removed { removed: name }))
}

/// Enable a server.
#[utoipa::path(post, path = "/servers/{name}/enable", tag = "servers",
    params(("name" = String, Path, description = "Server name")),
    responses(
        (status = 200, description = "Enabled", body = Success<ServerView>),
        (status = 404, description = "Unknown server", body = Failure)))]
pub async fn enable_server(
    State(state): State<ApiState>,
    headers: HeaderMap,
    Path(name): Path<String>,
) -> ApiResult<ServerView> {
    let actor = Actor::from_headers(&headers);
    Ok(ok(ops::set_enabled(&state.core, &name, true, actor).await?))
}

/// Disable a server (it is disconnected and its tools leave the catalog).
#[utoipa::path(post, path = "/servers/{name}/disable", tag = "servers",
    params(("name" = String, Path, description = "Server name")),
    responses(
        (status = 200, description = "Disabled", body = Success<ServerView>),
        (status = 404, description = "Unknown server", body = Failure)))]
pub async fn disable_server(
    State(state): State<ApiState>,
    headers: HeaderMap,
    Path(name): Path<String>,
) -> ApiResult<ServerView> {
    let actor = Actor::from_headers(&headers);
    Ok(ok(ops::set_enabled(&state.core, &name, false, actor).await?))
}

/// Reconnect a server (new process or session).
#[utoipa::path(post, path = "/servers/{name}/restart", tag = "servers",
    params(("name" = String, Path, description = "Server name")),
    responses(
        (status = 200, description = "Restarting", body = Success<ServerView>),
        (status = 404, description = "Unknown server", body = Failure)))]
pub async fn restart_server(
    State(state): State<ApiState>,
    Path(name): Path<String>,
) -> ApiResult<ServerView> {
    Ok(ok(ops::restart(&state.core, &name).await?))
}

/// The tools a server currently offers.
#[utoipa::path(get, path = "/servers/{name}/tools", tag = "servers",
    params(("name" = String, Path, description = "Server name")),
    responses(
        (status = 200, description = "Its tools", body = Success<ServerTools>),
        (status = 404, description = "Unknown server", body = Failure)))]
pub async fn server_tools(
    State(state): State<ApiState>,
    Path(name): Path<String>,
) -> ApiResult<ServerTools> {
    let tools = ops::tools(&state.core, &name)?;
    let snapshot = state.core.catalog.snapshot();
    let statuses = state.core.catalog.evaluate(&name, &tools);
    let tools = tools
        .iter()
        .zip(statuses)
        .map(|(tool, status)| {
            let key = format!("{name}:{}", tool.name);
            let mut view = match snapshot.by_key(&key) {
                Some(entry) => tool_view(entry, None),
                None => ToolView::uncatalogued(&name, tool),
            };
            view.status = Some(status.as_str().to_string());
            view
        })
        .collect();
    Ok(ok(ServerTools {
        server: name,
        tools,
    }))
}

/// The last lines of a server's log (stderr of stdio servers and the proxy's events).
#[utoipa::path(get, path = "/servers/{name}/logs", tag = "servers",
    params(("name" = String, Path, description = "Server name"), TailQuery),
    responses(
        (status = 200, description = "Log lines", body = Success<LogLines>),
        (status = 404, description = "Unknown server", body = Failure)))]
pub async fn server_logs(
    State(state): State<ApiState>,
    Path(name): Path<String>,
    Query(query): Query<TailQuery>,
) -> ApiResult<LogLines> {
    let lines = ops::tail_log(&state.core, &name, query.tail.unwrap_or(100))?;
    let path = state
        .core
        .upstreams
        .get(&name)
        .map(|u| u.log.path().display().to_string())
        .unwrap_or_default();
    Ok(ok(LogLines {
        server: name,
        path,
        lines,
    }))
}
