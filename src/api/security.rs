//! Quarantine, tool approval, activity log, OAuth login/logout and Docker status endpoints.

use super::envelope::{ok, ApiError, ApiResult, Body, Failure, Path, Query, Success};
use super::ApiState;
use crate::manage::{self, Actor, ServerView};
use crate::quarantine;
use crate::store::activity::{ActivityFilter, ActivityRecord};
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use http::{HeaderMap, StatusCode};
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// Who is acting, from the `X-MCPProxy-Source` header (`cli`, `ui`, `tray`), else `api`.
fn source(headers: &HeaderMap) -> String {
    Actor::from_headers(headers).as_str().to_string()
}

fn view_of(state: &ApiState, name: &str) -> Result<ServerView, ApiError> {
    state
        .core
        .config()
        .mcp_servers
        .iter()
        .find(|s| s.name == name)
        .map(|s| manage::server_view(&state.core, s))
        .ok_or_else(|| ApiError::not_found(format!("no server named `{name}`")))
}

/// Quarantine a server: it is disconnected and its tools leave every surface.
#[utoipa::path(post, path = "/servers/{name}/quarantine", tag = "security",
    params(("name" = String, Path, description = "Server name")),
    responses(
        (status = 200, description = "Quarantined", body = Success<ServerView>),
        (status = 404, description = "Unknown server", body = Failure)))]
pub async fn quarantine_server(
    State(state): State<ApiState>,
    headers: HeaderMap,
    Path(name): Path<String>,
) -> ApiResult<ServerView> {
    quarantine::set_quarantined(&state.core, &name, true, Actor::from_headers(&headers)).await?;
    Ok(ok(view_of(&state, &name)?))
}

/// Approve a quarantined server (its current tools become the approval baseline).
#[utoipa::path(post, path = "/servers/{name}/unquarantine", tag = "security",
    params(("name" = String, Path, description = "Server name")),
    responses(
        (status = 200, description = "Approved", body = Success<ServerView>),
        (status = 404, description = "Unknown server", body = Failure)))]
pub async fn unquarantine_server(
    State(state): State<ApiState>,
    headers: HeaderMap,
    Path(name): Path<String>,
) -> ApiResult<ServerView> {
    quarantine::set_quarantined(&state.core, &name, false, Actor::from_headers(&headers)).await?;
    Ok(ok(view_of(&state, &name)?))
}

/// Which tools to approve.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
pub struct ApproveRequest {
    /// Tool names (upstream names) to approve as they are now.
    pub tools: Option<Vec<String>>,
    /// Approve every pending and changed tool of the server.
    #[serde(default)]
    pub approve_all: bool,
}

/// The tools that were approved.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Approved {
    /// Server name.
    pub server: String,
    /// Tools approved by this request.
    pub approved: Vec<String>,
}

/// Approve new or changed tools of a server.
#[utoipa::path(post, path = "/servers/{name}/tools/approve", tag = "security",
    params(("name" = String, Path, description = "Server name")),
    request_body = ApproveRequest,
    responses(
        (status = 200, description = "Approved", body = Success<Approved>),
        (status = 400, description = "Neither tools nor approve_all", body = Failure),
        (status = 404, description = "Unknown server or tool", body = Failure)))]
pub async fn approve_tools(
    State(state): State<ApiState>,
    headers: HeaderMap,
    Path(name): Path<String>,
    Body(request): Body<ApproveRequest>,
) -> ApiResult<Approved> {
    let tools = match (request.tools, request.approve_all) {
        (Some(_), true) => {
            return Err(ApiError::bad_request(
                "give either `tools` or `approve_all: true`, not both",
            ))
        }
        (None, false) => {
            return Err(ApiError::bad_request(
                "nothing to approve: give `tools: [\"name\", …]` or `approve_all: true`",
            ))
        }
        (tools, _) => tools,
    };
    let approved = quarantine::approve_tools(&state.core, &name, tools, &source(&headers)).await?;
    Ok(ok(Approved {
        server: name,
        approved,
    }))
}

/// A tool's approved and current definition with a line diff.
#[utoipa::path(get, path = "/servers/{name}/tools/{tool}/diff", tag = "security",
    params(("name" = String, Path, description = "Server name"),
           ("tool" = String, Path, description = "Tool name")),
    responses(
        (status = 200, description = "{server, tool, status, approved, current, diff:[{op, text}]}", body = Success<Object>),
        (status = 404, description = "Unknown server or tool", body = Failure)))]
pub async fn tool_diff(
    State(state): State<ApiState>,
    Path((name, tool)): Path<(String, String)>,
) -> ApiResult<Value> {
    Ok(ok(quarantine::tool_diff(&state.core, &name, &tool)?))
}

/// Review mode: connect to a quarantined server once, list its tools and disconnect,
/// without making them available to anyone.
#[utoipa::path(post, path = "/servers/{name}/inspect", tag = "security",
    params(("name" = String, Path, description = "Server name")),
    responses(
        (status = 200, description = "{server, tools:[…]} as the server describes them", body = Success<Object>),
        (status = 404, description = "Unknown server", body = Failure),
        (status = 502, description = "The server could not be reached", body = Failure)))]
pub async fn inspect_server(
    State(state): State<ApiState>,
    Path(name): Path<String>,
) -> ApiResult<Value> {
    let tools = quarantine::inspect_server(&state.core, &name).await?;
    Ok(ok(serde_json::json!({"server": name, "tools": tools})))
}

/// Activity filters, paging and export format.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
pub struct ActivityQuery {
    /// `tool_call`, `quarantine`, `tool_approval` or `config`.
    #[serde(rename = "type")]
    pub kind: Option<String>,
    /// Server name.
    pub server: Option<String>,
    /// Tool name.
    pub tool: Option<String>,
    /// `success`, `error`, `blocked`, …
    pub status: Option<String>,
    /// Request id.
    pub request_id: Option<String>,
    /// `true`: only records where sensitive data was detected (and masked); `false`: only
    /// records without. Also accepted as `sensitive`.
    #[serde(alias = "sensitive")]
    pub sensitive_data: Option<bool>,
    /// Only records with this detection type in `sensitive_data` (e.g. `aws_access_key`,
    /// `github_pat`, `credit_card`, `known_secret`). Also accepted as `detection`.
    #[serde(alias = "detection")]
    pub detection_type: Option<String>,
    /// Earliest time: RFC 3339 or milliseconds since the epoch.
    pub since: Option<String>,
    /// Latest time: RFC 3339 or milliseconds since the epoch.
    pub until: Option<String>,
    /// Page size (default 50, at most 1000).
    pub limit: Option<usize>,
    /// Records to skip.
    pub offset: Option<usize>,
    /// Export format: `jsonl` (default) or `csv`.
    pub format: Option<String>,
}

fn parse_time(field: &str, value: &Option<String>) -> Result<Option<i64>, ApiError> {
    let Some(text) = value.as_deref().filter(|t| !t.is_empty()) else {
        return Ok(None);
    };
    if let Ok(ms) = text.parse::<i64>() {
        return Ok(Some(ms));
    }
    humantime::parse_rfc3339_weak(text)
        .map(|t| {
            Some(
                t.duration_since(std::time::UNIX_EPOCH)
                    .map(|d| d.as_millis() as i64)
                    .unwrap_or(0),
            )
        })
        .map_err(|_| {
            ApiError::bad_request(format!(
                "`{field}` must be an RFC 3339 time (2026-01-31T12:00:00Z) or milliseconds since the epoch"
            ))
        })
}

impl ActivityQuery {
    fn filter(&self) -> Result<ActivityFilter, ApiError> {
        Ok(ActivityFilter {
            kind: self.kind.clone(),
            server: self.server.clone(),
            tool: self.tool.clone(),
            status: self.status.clone(),
            request_id: self.request_id.clone(),
            sensitive: self.sensitive_data,
            detection_type: self.detection_type.clone().filter(|t| !t.is_empty()),
            since_ms: parse_time("since", &self.since)?,
            until_ms: parse_time("until", &self.until)?,
            limit: self.limit,
            offset: self.offset,
        })
    }
}

/// One page of activity records.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ActivityPage {
    /// Records, newest first.
    #[schema(value_type = Vec<Object>)]
    pub records: Vec<ActivityRecord>,
    /// Matches in total.
    pub total: usize,
    /// Page size used.
    pub limit: usize,
    /// Records skipped.
    pub offset: usize,
}

async fn query_store(
    state: &ApiState,
    filter: ActivityFilter,
) -> Result<(Vec<ActivityRecord>, usize), ApiError> {
    let store = state.core.store.clone();
    tokio::task::spawn_blocking(move || store.list_activity(&filter))
        .await
        .map_err(|e| ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, e.to_string()))?
        .map_err(|e| ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, e.to_string()))
}

/// Activity records (tool calls, quarantine and approval decisions, config changes).
#[utoipa::path(get, path = "/activity", tag = "activity", params(ActivityQuery),
    responses(
        (status = 200, description = "A page of records", body = Success<ActivityPage>),
        (status = 400, description = "Bad filter", body = Failure)))]
pub async fn list_activity(
    State(state): State<ApiState>,
    Query(query): Query<ActivityQuery>,
) -> ApiResult<ActivityPage> {
    let filter = query.filter()?;
    let (limit, offset) = (
        filter.limit.unwrap_or(50).clamp(1, 1000),
        filter.offset.unwrap_or(0),
    );
    let (records, total) = query_store(&state, filter).await?;
    Ok(ok(ActivityPage {
        records,
        total,
        limit,
        offset,
    }))
}

/// One activity record.
#[utoipa::path(get, path = "/activity/{id}", tag = "activity",
    params(("id" = i64, Path, description = "Record id")),
    responses(
        (status = 200, description = "The record", body = Success<Object>),
        (status = 404, description = "No such record", body = Failure)))]
pub async fn get_activity(
    State(state): State<ApiState>,
    Path(id): Path<i64>,
) -> ApiResult<ActivityRecord> {
    let store = state.core.store.clone();
    let record = tokio::task::spawn_blocking(move || store.get_activity(id))
        .await
        .map_err(|e| ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, e.to_string()))?
        .map_err(|e| ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, e.to_string()))?;
    record
        .map(ok)
        .ok_or_else(|| ApiError::not_found(format!("no activity record {id}")))
}

fn csv_field(value: &str) -> String {
    if value.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", value.replace('"', "\"\""))
    } else {
        value.to_string()
    }
}

/// Every matching record (up to 100,000) as JSON Lines or CSV.
#[utoipa::path(get, path = "/activity/export", tag = "activity", params(ActivityQuery),
    responses(
        (status = 200, description = "JSON Lines (format=jsonl) or CSV (format=csv)", 
            content((String = "application/x-ndjson"), (String = "text/csv"))),
        (status = 400, description = "Bad filter or format", body = Failure)))]
pub async fn export_activity(
    State(state): State<ApiState>,
    Query(query): Query<ActivityQuery>,
) -> Result<Response, ApiError> {
    let format = query.format.clone().unwrap_or_else(|| "jsonl".into());
    if format != "jsonl" && format != "csv" {
        return Err(ApiError::bad_request("`format` must be `jsonl` or `csv`"));
    }
    let mut records = Vec::new();
    let mut filter = query.filter()?;
    filter.limit = Some(1000);
    for page in 0..100 {
        filter.offset = Some(page * 1000);
        let (batch, _) = query_store(&state, filter.clone()).await?;
        let done = batch.len() < 1000;
        records.extend(batch);
        if done {
            break;
        }
    }
    let body = if format == "jsonl" {
        records
            .iter()
            .map(|r| serde_json::to_string(r).unwrap_or_default() + "\n")
            .collect::<String>()
    } else {
        let mut out = String::from("id,timestamp_ms,type,source,server,tool,status,duration_ms,request_id,session_id,response_size,detail,arguments,sensitive_data\n");
        for r in &records {
            let cols = [
                r.id.to_string(),
                r.timestamp_ms.to_string(),
                r.kind.clone(),
                r.source.clone().unwrap_or_default(),
                r.server.clone().unwrap_or_default(),
                r.tool.clone().unwrap_or_default(),
                r.status.clone().unwrap_or_default(),
                r.duration_ms.map(|d| d.to_string()).unwrap_or_default(),
                r.request_id.clone().unwrap_or_default(),
                r.session_id.clone().unwrap_or_default(),
                r.response_size.map(|d| d.to_string()).unwrap_or_default(),
                r.detail.clone().unwrap_or_default(),
                r.arguments
                    .as_ref()
                    .map(|a| a.to_string())
                    .unwrap_or_default(),
                r.sensitive_data.join(";"),
            ];
            out.push_str(
                &cols
                    .iter()
                    .map(|c| csv_field(c))
                    .collect::<Vec<_>>()
                    .join(","),
            );
            out.push('\n');
        }
        out
    };
    let content_type = if format == "jsonl" {
        "application/x-ndjson"
    } else {
        "text/csv; charset=utf-8"
    };
    Ok(([(http::header::CONTENT_TYPE, content_type)], body).into_response())
}

fn oauth_error(err: crate::upstream::oauth::OAuthError) -> ApiError {
    use crate::upstream::oauth::OAuthError;
    let status = match &err {
        OAuthError::UnknownServer(_) => StatusCode::NOT_FOUND,
        OAuthError::NotApplicable(_) => StatusCode::BAD_REQUEST,
        OAuthError::Flow(_) => StatusCode::BAD_GATEWAY,
        OAuthError::Storage(_) => StatusCode::INTERNAL_SERVER_ERROR,
    };
    ApiError::new(status, err.to_string())
}

/// Start an OAuth login for a server (opens the browser on the core's machine, or
/// returns the URL to open).
#[utoipa::path(post, path = "/servers/{name}/login", tag = "oauth",
    params(("name" = String, Path, description = "Server name")),
    responses(
        (status = 200, description = "{server, auth_url, opened}", body = Success<Object>),
        (status = 400, description = "The server does not use OAuth/HTTP", body = Failure),
        (status = 404, description = "Unknown server", body = Failure),
        (status = 502, description = "Discovery or registration failed", body = Failure)))]
pub async fn login(State(state): State<ApiState>, Path(name): Path<String>) -> ApiResult<Value> {
    let ticket = state.core.oauth_login(&name).await.map_err(oauth_error)?;
    Ok(ok(serde_json::json!({
        "server": name,
        "auth_url": ticket.auth_url,
        "opened": ticket.opened,
    })))
}

/// Revoke a server's OAuth tokens at its authorization server (RFC 7009, when offered) and
/// forget them and the client registration; a failed revocation is reported, not fatal.
#[utoipa::path(post, path = "/servers/{name}/logout", tag = "oauth",
    params(("name" = String, Path, description = "Server name")),
    responses(
        (status = 200, description = "{server, removed, revoked, tokens_revoked, revocation_error?, revocation_skipped?}", body = Success<Object>),
        (status = 404, description = "Unknown server", body = Failure)))]
pub async fn logout(State(state): State<ApiState>, Path(name): Path<String>) -> ApiResult<Value> {
    let outcome = state.core.oauth_logout(&name).await.map_err(oauth_error)?;
    let mut body = serde_json::to_value(&outcome).unwrap_or_default();
    body["server"] = Value::String(name);
    Ok(ok(body))
}

/// Docker daemon and isolation status.
#[utoipa::path(get, path = "/docker/status", tag = "system",
    responses((status = 200, description = "Daemon, isolation settings and managed containers", body = Success<Object>)))]
pub async fn docker_status(State(state): State<ApiState>) -> ApiResult<Value> {
    Ok(ok(
        serde_json::to_value(state.core.docker_status().await).unwrap_or_default()
    ))
}
