//! `/api/v1/secrets` and `POST /api/v1/servers/{name}/config-to-secret`. Values are accepted,
//! never returned.

use super::envelope::{ok, ApiResult, Body, Failure, Path, Success};
use super::ApiState;
use crate::manage::{self, audit, Actor, ServerView};
use crate::secrets::ops::{self, SecretInfo};
use axum::extract::State;
use http::HeaderMap;
use serde::{Deserialize, Serialize};

/// Every known secret.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct SecretList {
    /// Secrets referenced by the config or set through MCPProxy (names and use, no values).
    pub secrets: Vec<SecretInfo>,
}

/// A secret to store.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
pub struct SecretInput {
    /// Entry name, used as `${keyring:NAME}`.
    pub name: String,
    /// The secret value (stored in the OS keyring; never shown again).
    pub value: String,
}

/// Move a header/env value into the keyring.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
pub struct ConfigToSecret {
    /// `header` or `env`.
    pub scope: String,
    /// Header or variable name.
    pub key: String,
    /// Keyring entry name to create.
    pub secret_name: String,
}

/// Secrets with where they are referenced and whether they are set (never values).
#[utoipa::path(get, path = "/secrets", tag = "secrets",
    responses(
        (status = 200, description = "Secrets", body = Success<SecretList>),
        (status = 500, description = "OS keyring unavailable", body = Failure)))]
pub async fn list_secrets(State(state): State<ApiState>) -> ApiResult<SecretList> {
    Ok(ok(SecretList {
        secrets: ops::list(&state.core).await?,
    }))
}

/// Store a secret in the OS keyring; servers that reference it reconnect.
#[utoipa::path(post, path = "/secrets", tag = "secrets", request_body = SecretInput,
    responses(
        (status = 200, description = "Stored", body = Success<SecretInfo>),
        (status = 400, description = "Bad name or empty value", body = Failure),
        (status = 500, description = "OS keyring unavailable", body = Failure)))]
pub async fn set_secret(
    State(state): State<ApiState>,
    headers: HeaderMap,
    Body(input): Body<SecretInput>,
) -> ApiResult<SecretInfo> {
    let info = ops::set(&state.core, &input.name, &input.value).await?;
    let detail = format!("stored keyring secret `{}`", input.name);
    audit::secret_change(
        &state.core,
        Actor::from_headers(&headers),
        "secret_set",
        None,
        detail,
    );
    Ok(ok(info))
}

/// Delete a secret from the OS keyring; servers that reference it reconnect.
#[utoipa::path(delete, path = "/secrets/{name}", tag = "secrets",
    params(("name" = String, Path, description = "Secret name")),
    responses(
        (status = 200, description = "Deleted", body = Success<SecretInfo>),
        (status = 404, description = "No such secret", body = Failure)))]
pub async fn delete_secret(
    State(state): State<ApiState>,
    headers: HeaderMap,
    Path(name): Path<String>,
) -> ApiResult<SecretInfo> {
    let info = ops::delete(&state.core, &name).await?;
    let detail = format!("deleted keyring secret `{name}`");
    audit::secret_change(
        &state.core,
        Actor::from_headers(&headers),
        "secret_delete",
        None,
        detail,
    );
    Ok(ok(info))
}

/// Move a header/env value into the OS keyring and reference it as `${keyring:secret_name}`.
/// Works when the caller only ever saw the masked value.
#[utoipa::path(post, path = "/servers/{name}/config-to-secret", tag = "secrets",
    params(("name" = String, Path, description = "Server name")),
    request_body = ConfigToSecret,
    responses(
        (status = 200, description = "Converted; the server reconnects", body = Success<ServerView>),
        (status = 400, description = "Already a reference, bad scope or empty value", body = Failure),
        (status = 404, description = "Unknown server or key", body = Failure),
        (status = 500, description = "Keyring or config write failed (nothing changed)", body = Failure)))]
pub async fn config_to_secret(
    State(state): State<ApiState>,
    headers: HeaderMap,
    Path(name): Path<String>,
    Body(input): Body<ConfigToSecret>,
) -> ApiResult<ServerView> {
    ops::config_to_secret(
        &state.core,
        &name,
        &input.scope,
        &input.key,
        &input.secret_name,
    )
    .await?;
    let detail = format!(
        "moved {} `{}` into keyring secret `{}`",
        input.scope, input.key, input.secret_name
    );
    let actor = Actor::from_headers(&headers);
    audit::secret_change(&state.core, actor, "convert_to_secret", Some(&name), detail);
    let config = state.core.config();
    let server = config
        .mcp_servers
        .iter()
        .find(|s| s.name == name)
        .ok_or_else(|| super::envelope::ApiError::not_found(format!("no server named `{name}`")))?;
    Ok(ok(manage::server_view(&state.core, server)))
}
