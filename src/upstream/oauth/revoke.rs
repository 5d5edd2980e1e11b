//! RFC 7009 token revocation at logout: the refresh token (`token_type_hint=refresh_token`)
//! and then the access token are POSTed to the authorization server's `revocation_endpoint`,
//! authenticated as the registered client.

use rmcp::transport::auth::{AuthorizationMetadata, StoredCredentials};
use serde::Serialize;
use std::time::Duration;

/// Upper bound for one revocation request.
pub const REVOKE_TIMEOUT: Duration = Duration::from_secs(10);

/// What happened to the tokens at the authorization server during a logout (no secrets).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Revocation {
    /// Every held token was revoked at the authorization server.
    pub revoked: bool,
    /// How many tokens the authorization server accepted for revocation.
    pub tokens_revoked: usize,
    /// Why revocation failed (the local tokens were forgotten anyway).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub revocation_error: Option<String>,
    /// Why revocation was not attempted (no tokens, or no `revocation_endpoint`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub revocation_skipped: Option<String>,
}

impl Revocation {
    /// Not attempted, for `reason`.
    pub fn skipped(reason: impl Into<String>) -> Self {
        Self {
            revocation_skipped: Some(reason.into()),
            ..Self::default()
        }
    }

    /// Attempted and failed with `error`.
    pub fn failed(error: impl Into<String>) -> Self {
        Self {
            revocation_error: Some(error.into()),
            ..Self::default()
        }
    }
}

/// The client to authenticate as.
#[derive(Clone)]
pub struct RevokingClient {
    /// Client ID.
    pub client_id: String,
    /// Client secret (None: a public client, identified by `client_id` only).
    pub client_secret: Option<String>,
}

/// How the client authenticates at the revocation endpoint.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ClientAuth {
    /// HTTP Basic with client_id:client_secret.
    Basic,
    /// `client_id` and `client_secret` in the form body.
    Post,
    /// `client_id` in the form body only (public client).
    Public,
}

/// The `revocation_endpoint` the metadata advertises.
pub fn endpoint(metadata: &AuthorizationMetadata) -> Option<&str> {
    metadata
        .additional_fields
        .get("revocation_endpoint")
        .and_then(|v| v.as_str())
        .filter(|s| !s.is_empty())
}

/// Pick the authentication method: public clients send their ID; confidential clients use
/// `client_secret_basic` unless the server lists only `client_secret_post` (RFC 8414: the
/// list is `revocation_endpoint_auth_methods_supported`, defaulting to basic).
pub fn client_auth(metadata: &AuthorizationMetadata, has_secret: bool) -> ClientAuth {
    if !has_secret {
        return ClientAuth::Public;
    }
    let methods: Vec<&str> = metadata
        .additional_fields
        .get("revocation_endpoint_auth_methods_supported")
        .and_then(|v| v.as_array())
        .map(|a| a.iter().filter_map(|m| m.as_str()).collect())
        .unwrap_or_default();
    if !methods.is_empty()
        && !methods.contains(&"client_secret_basic")
        && methods.contains(&"client_secret_post")
    {
        ClientAuth::Post
    } else {
        ClientAuth::Basic
    }
}

/// The refresh and access token of stored credentials, refresh token first.
fn tokens_of(creds: &StoredCredentials) -> Vec<(String, &'static str)> {
    use oauth2::TokenResponse;
    let Some(response) = creds.token_response.as_ref() else {
        return Vec::new();
    };
    let mut tokens = Vec::new();
    if let Some(refresh) = response.refresh_token() {
        tokens.push((refresh.secret().clone(), "refresh_token"));
    }
    tokens.push((response.access_token().secret().clone(), "access_token"));
    tokens
}

/// Revoke the tokens in `creds` at the server described by `metadata`.
pub async fn revoke(
    http: &reqwest::Client,
    metadata: &AuthorizationMetadata,
    client: &RevokingClient,
    creds: &StoredCredentials,
) -> Revocation {
    let Some(url) = endpoint(metadata) else {
        return Revocation::skipped("the authorization server advertises no revocation_endpoint");
    };
    let tokens = tokens_of(creds);
    if tokens.is_empty() {
        return Revocation::skipped("no tokens were stored");
    }
    let auth = client_auth(metadata, client.client_secret.is_some());
    let mut done = 0;
    for (token, hint) in &tokens {
        if let Err(err) = revoke_one(http, url, auth, client, token, hint).await {
            return Revocation {
                tokens_revoked: done,
                ..Revocation::failed(format!("revoking the {hint} at {url} failed: {err}"))
            };
        }
        done += 1;
    }
    Revocation {
        revoked: true,
        tokens_revoked: done,
        ..Revocation::default()
    }
}

async fn revoke_one(
    http: &reqwest::Client,
    url: &str,
    auth: ClientAuth,
    client: &RevokingClient,
    token: &str,
    hint: &str,
) -> Result<(), String> {
    let mut form = vec![("token", token), ("token_type_hint", hint)];
    let secret = client.client_secret.as_deref().unwrap_or_default();
    match auth {
        ClientAuth::Public => form.push(("client_id", client.client_id.as_str())),
        ClientAuth::Post => {
            form.push(("client_id", client.client_id.as_str()));
            form.push(("client_secret", secret));
        }
        ClientAuth::Basic => {}
    }
    let body: String = url::form_urlencoded::Serializer::new(String::new())
        .extend_pairs(&form)
        .finish();
    let mut request = http
        .post(url)
        .timeout(REVOKE_TIMEOUT)
        .header(
            reqwest::header::CONTENT_TYPE,
            "application/x-www-form-urlencoded",
        )
        .body(body);
    if auth == ClientAuth::Basic {
        // RFC 6749 §2.3.1: both parts are form-urlencoded before Basic encoding.
        request = request.basic_auth(encode(&client.client_id), Some(encode(secret)));
    }
    let response = request.send().await.map_err(|e| {
        // reqwest errors name the URL, never the form body.
        e.without_url().to_string()
    })?;
    let status = response.status();
    if status.is_success() {
        return Ok(());
    }
    let body = response.text().await.unwrap_or_default();
    let detail = serde_json::from_str::<serde_json::Value>(&body)
        .ok()
        .and_then(|v| {
            let error = v.get("error")?.as_str()?.to_string();
            let description = v.get("error_description").and_then(|d| d.as_str());
            Some(match description {
                Some(d) => format!("{error}: {d}"),
                None => error,
            })
        })
        .unwrap_or_else(|| "no OAuth error in the response".to_string());
    Err(format!("HTTP {status} ({detail})"))
}

fn encode(s: &str) -> String {
    url::form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::{Arc, Mutex};

    /// (Authorization header, form body) of each request seen.
    type Seen = Arc<Mutex<Vec<(Option<String>, String)>>>;

    fn metadata(extra: serde_json::Value) -> AuthorizationMetadata {
        let mut base = serde_json::json!({
            "authorization_endpoint": "http://as/authorize",
            "token_endpoint": "http://as/token",
        });
        base.as_object_mut()
            .unwrap()
            .extend(extra.as_object().unwrap().clone());
        serde_json::from_value(base).unwrap()
    }

    #[test]
    fn picks_the_client_authentication_method() {
        let none = metadata(serde_json::json!({}));
        assert_eq!(client_auth(&none, false), ClientAuth::Public);
        assert_eq!(client_auth(&none, true), ClientAuth::Basic);
        let post_only = metadata(
            serde_json::json!({"revocation_endpoint_auth_methods_supported": ["client_secret_post"]}),
        );
        assert_eq!(client_auth(&post_only, true), ClientAuth::Post);
        let both = metadata(serde_json::json!({
            "revocation_endpoint_auth_methods_supported": ["client_secret_post", "client_secret_basic"]
        }));
        assert_eq!(client_auth(&both, true), ClientAuth::Basic);
    }

    /// A loopback revocation endpoint recording (Authorization header, form body) of each
    /// request and answering `status`. The end-to-end AS (tests/npm/oauth_fixture.mjs)
    /// registers public clients only, so the confidential-client wire format is checked here.
    async fn endpoint_server(status: u16) -> (String, Arc<Mutex<Vec<(Option<String>, String)>>>) {
        use axum::{http::HeaderMap, routing::post, Router};
        let seen: Seen = Arc::default();
        let record = seen.clone();
        let app = Router::new().route(
            "/revoke",
            post(move |headers: HeaderMap, body: String| {
                let record = record.clone();
                async move {
                    let auth = headers
                        .get("authorization")
                        .and_then(|v| v.to_str().ok())
                        .map(str::to_string);
                    record.lock().unwrap().push((auth, body));
                    let code = axum::http::StatusCode::from_u16(status).unwrap();
                    (
                        code,
                        r#"{"error":"server_error","error_description":"down"}"#,
                    )
                }
            }),
        );
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}/revoke", listener.local_addr().unwrap());
        tokio::spawn(async move { axum::serve(listener, app).await });
        (url, seen)
    }

    fn credentials() -> StoredCredentials {
        serde_json::from_value(serde_json::json!({
            "client_id": "c",
            "token_response": {
                "access_token": "AT-secret", "token_type": "bearer",
                "refresh_token": "RT-secret", "expires_in": 60
            },
            "granted_scopes": [],
        }))
        .unwrap()
    }

    #[tokio::test]
    async fn confidential_clients_authenticate_and_send_the_refresh_token_first() {
        let (url, seen) = endpoint_server(200).await;
        let client = RevokingClient {
            client_id: "id:1".into(),
            client_secret: Some("s&cret".into()),
        };
        let basic = metadata(serde_json::json!({"revocation_endpoint": url}));
        let done = revoke(&reqwest::Client::new(), &basic, &client, &credentials()).await;
        assert!(done.revoked && done.tokens_revoked == 2, "{done:?}");
        let post_only = metadata(serde_json::json!({
            "revocation_endpoint": url,
            "revocation_endpoint_auth_methods_supported": ["client_secret_post"],
        }));
        revoke(&reqwest::Client::new(), &post_only, &client, &credentials()).await;
        let seen = seen.lock().unwrap().clone();
        // base64("id%3A1:s%26cret"): both parts form-urlencoded first (RFC 6749 §2.3.1).
        let expected = "Basic aWQlM0ExOnMlMjZjcmV0";
        assert_eq!(seen[0].0.as_deref(), Some(expected));
        assert_eq!(seen[0].1, "token=RT-secret&token_type_hint=refresh_token");
        assert_eq!(seen[1].1, "token=AT-secret&token_type_hint=access_token");
        assert_eq!(seen[2].0, None);
        assert_eq!(
            seen[2].1,
            "token=RT-secret&token_type_hint=refresh_token&client_id=id%3A1&client_secret=s%26cret"
        );
    }

    #[tokio::test]
    async fn a_failing_endpoint_is_reported_without_the_token() {
        let (url, _) = endpoint_server(503).await;
        let client = RevokingClient {
            client_id: "c".into(),
            client_secret: None,
        };
        let meta = metadata(serde_json::json!({"revocation_endpoint": url}));
        let done = revoke(&reqwest::Client::new(), &meta, &client, &credentials()).await;
        assert!(!done.revoked, "{done:?}");
        let error = done.revocation_error.unwrap();
        assert!(
            error.contains("503") && error.contains("server_error: down"),
            "{error}"
        );
        assert!(!error.contains("RT-secret"), "{error}");
    }

    #[test]
    fn endpoint_comes_from_the_metadata() {
        assert_eq!(endpoint(&metadata(serde_json::json!({}))), None);
        let with = metadata(serde_json::json!({"revocation_endpoint": "http://as/revoke"}));
        assert_eq!(endpoint(&with), Some("http://as/revoke"));
    }
}
