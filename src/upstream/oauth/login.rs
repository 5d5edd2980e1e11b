//! The interactive authorization-code login: discovery, client identity (pre-registered →
//! stored registration → client ID metadata document → dynamic registration), PKCE S256,
//! scopes (config → challenge → metadata), the browser and the loopback redirect.

use super::browser::Opened;
use super::callback::{self, CallbackParams, CallbackServer};
use super::server_auth::{Discovered, ServerAuth};
use super::store::{self, ClientRecord};
use super::{OAuthError, OAuthState, LOGIN_TIMEOUT};
use rmcp::transport::auth::{AuthError, AuthorizationRequest, AuthorizationSession};
use std::sync::atomic::Ordering;
use std::sync::Arc;
use tokio_util::sync::CancellationToken;

/// Client name sent with dynamic registration.
pub const CLIENT_NAME: &str = "MCPProxy";

/// A started login.
#[derive(Debug, Clone, serde::Serialize)]
pub struct LoginTicket {
    /// The authorization page (already opened, printed or followed).
    pub auth_url: String,
    /// How it was shown.
    pub opened: Opened,
}

fn flow(server: &str, what: &str, err: impl std::fmt::Display) -> OAuthError {
    OAuthError::Flow(format!("{what} for `{server}` failed: {err}"))
}

/// Start a login for `auth`; the redirect is awaited in the background until `cancel`.
pub async fn start(
    auth: Arc<ServerAuth>,
    cancel: CancellationToken,
) -> Result<LoginTicket, OAuthError> {
    auth.update(|s| {
        s.state = OAuthState::LoginInProgress;
        s.auth_url = None;
        s.last_error = None;
    });
    let prepared = match prepare(&auth).await {
        Ok(p) => p,
        Err(err) => {
            auth.login_finished(Err(err.to_string()));
            return Err(err);
        }
    };
    let auth_url = prepared.auth_url.clone();
    auth.update(|s| s.auth_url = Some(auth_url.clone()));
    let prefix = prepared.redirect_uri.clone();
    let opened = auth.browser.open(&auth.name, &auth_url, &prefix);
    tokio::spawn(await_redirect(auth, prepared, cancel));
    Ok(LoginTicket { auth_url, opened })
}

struct Prepared {
    session: AuthorizationSession,
    callback: CallbackServer,
    redirect_uri: String,
    auth_url: String,
    state: String,
    issuer: String,
    record: Option<ClientRecord>,
}

async fn prepare(auth: &ServerAuth) -> Result<Prepared, OAuthError> {
    let name = auth.name.clone();
    let Discovered {
        manager,
        issuer,
        metadata,
        legacy,
    } = auth.discover().await?;
    let supports_s256 = metadata
        .code_challenge_methods_supported
        .as_ref()
        .is_some_and(|m| m.iter().any(|m| m == "S256"));
    if !legacy && !supports_s256 {
        return Err(OAuthError::Flow(format!(
            "the authorization server {issuer} of `{name}` does not advertise PKCE S256 \
             (code_challenge_methods_supported); refusing to log in without PKCE"
        )));
    }
    let config = auth.config.clone().unwrap_or_default();
    let stored: Option<ClientRecord> = auth
        .backend
        .get_json(&store::client_entry(&name, &issuer))
        .await
        .map_err(|e| OAuthError::Storage(e.to_string()))?;

    let (path, ports) = match &config.redirect_uri {
        Some(uri) => {
            let parsed = url::Url::parse(uri).map_err(|e| flow(&name, "oauth.redirect_uri", e))?;
            let port = parsed.port().unwrap_or(80);
            (parsed.path().to_string(), vec![port])
        }
        None => {
            let preferred = stored
                .as_ref()
                .and_then(|r| url::Url::parse(&r.redirect_uri).ok())
                .and_then(|u| u.port())
                .unwrap_or_else(|| callback::stable_port(&name));
            let ports = (0..callback::PORT_ATTEMPTS)
                .map(|i| preferred.saturating_add(i))
                .collect();
            (callback::CALLBACK_PATH.to_string(), ports)
        }
    };
    let callback = CallbackServer::bind(&name, ports, &path)
        .await
        .map_err(OAuthError::Flow)?;
    let redirect_uri = config
        .redirect_uri
        .clone()
        .unwrap_or_else(|| format!("http://127.0.0.1:{}{path}", callback.port));

    // Scopes: config first, then the challenge / protected-resource metadata (rmcp's initial
    // selection), plus whatever a step-up challenge demanded on top of the current grant.
    let status = auth.status();
    let mut scopes = if config.scopes.is_empty() {
        manager.select_initial_scopes(&[]).await
    } else {
        config.scopes.clone()
    };
    let challenge = auth.last_challenge();
    if !status.missing_scopes.is_empty() || challenge.as_ref().is_some_and(|c| c.insufficient_scope)
    {
        let extra = status
            .scopes
            .iter()
            .chain(status.missing_scopes.iter())
            .chain(challenge.iter().flat_map(|c| c.scopes.iter()));
        for scope in extra {
            if !scopes.contains(scope) {
                scopes.push(scope.clone());
            }
        }
    }

    let mut request = AuthorizationRequest::new(redirect_uri.clone()).with_client_name(CLIENT_NAME);
    request = if scopes.is_empty() {
        request.with_initial_scope_selection()
    } else {
        request.with_scopes(scopes.clone())
    };
    let supports_cimd = metadata
        .additional_fields
        .get("client_id_metadata_document_supported")
        .and_then(|v| v.as_bool())
        .unwrap_or(false);
    let mut record = None;
    if let Some(client_id) = &config.client_id {
        request = request.with_preregistered_client(client_id.clone());
        if let Some(secret) = &config.client_secret {
            request = request.with_client_secret(secret.clone());
        }
    } else if let Some(found) = stored.filter(|r| r.redirect_uri == redirect_uri) {
        request = request.with_preregistered_client(found.client_id.clone());
        if let Some(secret) = &found.client_secret {
            request = request.with_client_secret(secret.clone());
        }
    } else if let Some(url) = config
        .client_metadata_url
        .as_ref()
        .filter(|_| supports_cimd)
    {
        request = request.with_client_metadata_url(url.clone());
        record = Some(ClientRecord {
            client_id: url.clone(),
            client_secret: None,
            redirect_uri: redirect_uri.clone(),
        });
    } else {
        if metadata.registration_endpoint.is_none() {
            return Err(OAuthError::Flow(format!(
                "the authorization server {issuer} of `{name}` offers no dynamic client \
                 registration. Fix: register a client with the provider (redirect URI \
                 {redirect_uri}) and set mcpServers[].oauth.client_id (and client_secret)"
            )));
        }
        let fresh = super::register::register(
            auth.http(),
            &name,
            &metadata,
            CLIENT_NAME,
            &redirect_uri,
            &scopes,
        )
        .await?;
        // Saved now so that a retried login reuses the registration.
        save_record(auth, &issuer, &fresh).await?;
        request = request.with_preregistered_client(fresh.client_id.clone());
        if let Some(secret) = &fresh.client_secret {
            request = request.with_client_secret(secret.clone());
        }
    }
    let session = AuthorizationSession::new(manager, request)
        .await
        .map_err(|(_, e)| flow(&name, "authorization request", describe(&e)))?;
    let mut url = url::Url::parse(session.get_authorization_url())
        .map_err(|e| flow(&name, "authorization URL", e))?;
    if !config.extra_params.is_empty() {
        let mut pairs = url.query_pairs_mut();
        for (key, value) in &config.extra_params {
            pairs.append_pair(key, value);
        }
    }
    let state = url
        .query_pairs()
        .find(|(k, _)| k == "state")
        .map(|(_, v)| v.into_owned())
        .unwrap_or_default();
    Ok(Prepared {
        session,
        callback,
        redirect_uri,
        auth_url: url.to_string(),
        state,
        issuer,
        record,
    })
}

async fn save_record(
    auth: &ServerAuth,
    issuer: &str,
    record: &ClientRecord,
) -> Result<(), OAuthError> {
    let storage = |e: crate::secrets::keyring::KeyringError| OAuthError::Storage(e.to_string());
    auth.backend
        .set_json(&store::client_entry(&auth.name, issuer), record)
        .await
        .map_err(storage)?;
    store::add_to_index(&auth.backend, &auth.name, issuer)
        .await
        .map_err(storage)
}

/// An rmcp auth error as a user-facing sentence (no secrets: rmcp errors carry none).
fn describe(err: &AuthError) -> String {
    match err {
        AuthError::PkceUnsupported => {
            "the authorization server does not support PKCE S256; refusing to continue".into()
        }
        AuthError::AuthorizationServerMismatch {
            expected_issuer,
            received_issuer,
        } => format!(
            "the redirect came from issuer {received_issuer}, expected {expected_issuer} (possible mix-up attack)"
        ),
        other => other.to_string(),
    }
}

async fn await_redirect(auth: Arc<ServerAuth>, mut p: Prepared, cancel: CancellationToken) {
    let deadline = tokio::time::Instant::now() + LOGIN_TIMEOUT;
    loop {
        let request = tokio::select! {
            _ = cancel.cancelled() => return,
            request = p.callback.next(deadline) => request,
        };
        let Some(request) = request else {
            auth.login_finished(Err(format!(
                "no authorization redirect arrived within {} minutes",
                LOGIN_TIMEOUT.as_secs() / 60
            )));
            return;
        };
        match request.params.clone() {
            CallbackParams::Code { code, state, iss } => {
                if state != p.state {
                    request.reply(Err(
                        "the state does not match this login (stale or forged redirect)".into(),
                    ));
                    continue;
                }
                auth.exchanging.store(true, Ordering::SeqCst);
                let exchanged = p
                    .session
                    .handle_callback_with_issuer(&code, &state, iss.as_deref())
                    .await;
                auth.exchanging.store(false, Ordering::SeqCst);
                match exchanged {
                    Ok(_) => {
                        if let Some(record) = &p.record {
                            if let Err(err) = save_record(&auth, &p.issuer, record).await {
                                tracing::warn!(server = %auth.name, error = %err, "cannot store the OAuth client");
                            }
                        }
                        auth.install(p.session.auth_manager, &p.issuer).await;
                        request.reply(Ok(()));
                        auth.login_finished(Ok(()));
                    }
                    Err(err) => {
                        let message = format!("token exchange: {}", describe(&err));
                        request.reply(Err(message.clone()));
                        auth.login_finished(Err(message));
                    }
                }
                return;
            }
            CallbackParams::Error {
                error,
                description,
                state,
            } => {
                if state.as_deref().is_some_and(|s| s != p.state) {
                    request.reply(Err("the state does not match this login".into()));
                    continue;
                }
                let message = match description {
                    Some(d) => format!("the authorization server answered {error}: {d}"),
                    None => format!("the authorization server answered {error}"),
                };
                request.reply(Err(message.clone()));
                auth.login_finished(Err(message));
                return;
            }
            CallbackParams::Invalid => {
                request.reply(Err(
                    "the redirect carries neither a code nor an error".into()
                ));
            }
        }
    }
}
