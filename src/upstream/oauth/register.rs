//! Dynamic client registration (RFC 7591) as the authorization server supports it.
//!
//! rmcp always registers a public client (`token_endpoint_auth_method: none`), which an
//! authorization server that lists only `client_secret_post` / `client_secret_basic` in
//! `token_endpoint_auth_methods_supported` refuses. We register with a method it lists
//! (preferring `none`, then `client_secret_basic`, then `client_secret_post`, matching how
//! rmcp authenticates at the token endpoint once a secret is held) and keep the secret the
//! server issues.

use super::store::ClientRecord;
use super::OAuthError;
use rmcp::transport::auth::AuthorizationMetadata;
use serde::Deserialize;
use serde_json::{json, Value};

/// The `token_endpoint_auth_method` to register with: `none` when the server lists it or
/// lists nothing (most MCP authorization servers accept public clients), otherwise the first
/// of `client_secret_basic`, `client_secret_post` it lists; `none` when it lists neither
/// (registration then fails with the server's own reason).
pub fn auth_method(metadata: &AuthorizationMetadata) -> &'static str {
    let Some(methods) = metadata
        .additional_fields
        .get("token_endpoint_auth_methods_supported")
        .and_then(Value::as_array)
    else {
        return "none";
    };
    let listed = |m: &str| methods.iter().any(|v| v.as_str() == Some(m));
    ["none", "client_secret_basic", "client_secret_post"]
        .into_iter()
        .find(|m| listed(m))
        .unwrap_or("none")
}

#[derive(Deserialize)]
struct Registered {
    client_id: String,
    #[serde(default)]
    client_secret: Option<String>,
}

/// Register `client_name` with `redirect_uri` (and `scopes`) at the server's registration
/// endpoint; the record to store and use.
pub async fn register(
    http: &reqwest::Client,
    server: &str,
    metadata: &AuthorizationMetadata,
    client_name: &str,
    redirect_uri: &str,
    scopes: &[String],
) -> Result<ClientRecord, OAuthError> {
    let failed = |why: String| {
        OAuthError::Flow(format!(
            "dynamic client registration for `{server}` failed: {why}. Fix: register a client \
             with the provider (redirect URI {redirect_uri}) and set \
             mcpServers[].oauth.client_id (and client_secret)"
        ))
    };
    let Some(endpoint) = metadata.registration_endpoint.as_deref() else {
        return Err(failed(
            "the authorization server offers no registration endpoint".into(),
        ));
    };
    let method = auth_method(metadata);
    let mut body = json!({
        "client_name": client_name,
        "redirect_uris": [redirect_uri],
        "grant_types": ["authorization_code", "refresh_token"],
        "response_types": ["code"],
        "token_endpoint_auth_method": method,
    });
    if !scopes.is_empty() {
        body["scope"] = json!(scopes.join(" "));
    }
    let response = http
        .post(endpoint)
        .json(&body)
        .send()
        .await
        .map_err(|e| failed(format!("{endpoint} could not be reached ({e})")))?;
    let status = response.status();
    let text = response.text().await.unwrap_or_default();
    if !status.is_success() {
        let reason: String = text.chars().take(300).collect();
        return Err(failed(format!(
            "{endpoint} answered HTTP {status} to a registration with \
             token_endpoint_auth_method `{method}`: {reason}"
        )));
    }
    let registered: Registered = serde_json::from_str(&text).map_err(|e| {
        failed(format!(
            "{endpoint} answered with no usable client_id ({e})"
        ))
    })?;
    let client_secret = registered.client_secret.filter(|s| !s.is_empty());
    if method != "none" && client_secret.is_none() {
        return Err(failed(format!(
            "{endpoint} issued no client_secret for token_endpoint_auth_method `{method}`"
        )));
    }
    Ok(ClientRecord {
        client_id: registered.client_id,
        client_secret,
        redirect_uri: redirect_uri.to_string(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn metadata(methods: Option<Value>) -> AuthorizationMetadata {
        let mut value = json!({
            "authorization_endpoint": "https://as.example/authorize",
            "token_endpoint": "https://as.example/token",
        });
        if let Some(methods) = methods {
            value["token_endpoint_auth_methods_supported"] = methods;
        }
        serde_json::from_value(value).unwrap()
    }

    #[test]
    fn registers_with_a_method_the_server_lists() {
        assert_eq!(auth_method(&metadata(None)), "none");
        assert_eq!(
            auth_method(&metadata(Some(json!(["client_secret_post", "none"])))),
            "none"
        );
        assert_eq!(
            auth_method(&metadata(Some(json!(["client_secret_post"])))),
            "client_secret_post"
        );
        assert_eq!(
            auth_method(&metadata(Some(json!([
                "client_secret_post",
                "client_secret_basic"
            ])))),
            "client_secret_basic"
        );
        assert_eq!(
            auth_method(&metadata(Some(json!(["private_key_jwt"])))),
            "none"
        );
    }
}
