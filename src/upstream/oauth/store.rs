//! Where OAuth tokens and registered client credentials live: the OS keyring, keyed by server
//! and issuer (an in-memory map for one-shot tools such as the conformance client).
//!
//! Entries (service `mcpproxy`):
//! - `oauth/<server>/<issuer>/tokens`: rmcp's `StoredCredentials` as JSON (access/refresh token)
//! - `oauth/<server>/<issuer>/client`: [`ClientRecord`] as JSON (registered client)
//! - `oauth/<server>/issuers`: JSON list of issuers with entries, so logout can find them all

use crate::secrets::keyring::{Keyring, KeyringError};
use rmcp::transport::auth::{AuthError, CredentialStore, StoredCredentials};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// Backing storage for OAuth secrets.
#[derive(Clone)]
pub enum SecretBackend {
    /// The OS keyring (the default).
    Keyring,
    /// Process memory only (nothing persists).
    Memory(Arc<Mutex<HashMap<String, String>>>),
}

impl std::fmt::Debug for SecretBackend {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            SecretBackend::Keyring => f.write_str("SecretBackend::Keyring"),
            SecretBackend::Memory(_) => f.write_str("SecretBackend::Memory"),
        }
    }
}

impl SecretBackend {
    /// A fresh in-memory backend.
    pub fn memory() -> Self {
        SecretBackend::Memory(Arc::default())
    }

    /// Read an entry.
    pub async fn get(&self, name: &str) -> Result<Option<String>, KeyringError> {
        match self {
            SecretBackend::Keyring => Keyring::get_async(name).await,
            SecretBackend::Memory(map) => Ok(lock(map).get(name).cloned()),
        }
    }

    /// Write an entry.
    pub async fn set(&self, name: &str, value: &str) -> Result<(), KeyringError> {
        match self {
            SecretBackend::Keyring => Keyring::set_async(name, value).await,
            SecretBackend::Memory(map) => {
                lock(map).insert(name.to_string(), value.to_string());
                Ok(())
            }
        }
    }

    /// Delete an entry; false when absent.
    pub async fn delete(&self, name: &str) -> Result<bool, KeyringError> {
        match self {
            SecretBackend::Keyring => Keyring::delete_async(name).await,
            SecretBackend::Memory(map) => Ok(lock(map).remove(name).is_some()),
        }
    }

    /// Read and parse a JSON entry; unparsable content counts as absent (logged).
    pub async fn get_json<T: serde::de::DeserializeOwned>(
        &self,
        name: &str,
    ) -> Result<Option<T>, KeyringError> {
        let Some(text) = self.get(name).await? else {
            return Ok(None);
        };
        match serde_json::from_str(&text) {
            Ok(value) => Ok(Some(value)),
            Err(err) => {
                tracing::warn!(entry = name, error = %err, "ignoring unreadable keyring entry");
                Ok(None)
            }
        }
    }

    /// Serialize `value` as JSON into an entry.
    pub async fn set_json<T: Serialize>(&self, name: &str, value: &T) -> Result<(), KeyringError> {
        let text = serde_json::to_string(value).map_err(|err| KeyringError::Entry {
            name: name.to_string(),
            message: format!("cannot serialize: {err}"),
        })?;
        self.set(name, &text).await
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

/// Entry holding the tokens of `server` at `issuer`.
pub fn tokens_entry(server: &str, issuer: &str) -> String {
    format!("oauth/{server}/{issuer}/tokens")
}

/// Entry holding the registered client of `server` at `issuer`.
pub fn client_entry(server: &str, issuer: &str) -> String {
    format!("oauth/{server}/{issuer}/client")
}

/// Entry listing the issuers `server` has entries for.
pub fn index_entry(server: &str) -> String {
    format!("oauth/{server}/issuers")
}

/// A client registered with (or pre-registered at) an authorization server.
#[derive(Clone, Serialize, Deserialize, PartialEq)]
pub struct ClientRecord {
    /// Client ID.
    pub client_id: String,
    /// Client secret for confidential clients.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_secret: Option<String>,
    /// Redirect URI registered with the client.
    pub redirect_uri: String,
}

impl std::fmt::Debug for ClientRecord {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ClientRecord")
            .field("client_id", &self.client_id)
            .field(
                "client_secret",
                &self.client_secret.as_ref().map(|_| "••••"),
            )
            .field("redirect_uri", &self.redirect_uri)
            .finish()
    }
}

/// Remember that `server` has entries at `issuer`.
pub async fn add_to_index(
    backend: &SecretBackend,
    server: &str,
    issuer: &str,
) -> Result<(), KeyringError> {
    let name = index_entry(server);
    let mut issuers: Vec<String> = backend.get_json(&name).await?.unwrap_or_default();
    if !issuers.iter().any(|i| i == issuer) {
        issuers.push(issuer.to_string());
        backend.set_json(&name, &issuers).await?;
    }
    Ok(())
}

/// Delete every token and client entry of `server`; returns how many entries were removed.
pub async fn forget_server(backend: &SecretBackend, server: &str) -> Result<usize, KeyringError> {
    let index = index_entry(server);
    let issuers: Vec<String> = backend.get_json(&index).await?.unwrap_or_default();
    let mut removed = 0;
    for issuer in &issuers {
        for name in [tokens_entry(server, issuer), client_entry(server, issuer)] {
            if backend.delete(&name).await? {
                removed += 1;
            }
        }
    }
    backend.delete(&index).await?;
    Ok(removed)
}

/// When stored credentials expire (None when the server gave no lifetime).
pub fn expires_at(creds: &StoredCredentials) -> Option<SystemTime> {
    use oauth2::TokenResponse;
    let token = creds.token_response.as_ref()?;
    let lifetime = token.expires_in()?;
    let received = UNIX_EPOCH + Duration::from_secs(creds.token_received_at?);
    Some(received + lifetime)
}

/// Something the token store observed, reported to the owning server's auth state.
#[derive(Debug, Clone)]
pub enum StoreEvent {
    /// New tokens were saved (login or refresh).
    Saved {
        /// Access token expiry.
        expires_at: Option<SystemTime>,
        /// Scopes of the grant.
        scopes: Vec<String>,
        /// Whether a refresh token is held.
        has_refresh_token: bool,
        /// The access and refresh token values (so records can mask them).
        tokens: Vec<String>,
    },
    /// The authorization server rejected the refresh token (`invalid_grant`).
    RefreshRejected,
}

/// The access and refresh token values of `credentials`.
pub fn token_values(credentials: &StoredCredentials) -> Vec<String> {
    use oauth2::TokenResponse;
    credentials
        .token_response
        .as_ref()
        .map(|t| {
            std::iter::once(t.access_token().secret().clone())
                .chain(t.refresh_token().map(|r| r.secret().clone()))
                .collect()
        })
        .unwrap_or_default()
}

/// Callback receiving [`StoreEvent`]s.
pub type StoreListener = Arc<dyn Fn(StoreEvent) + Send + Sync>;

/// rmcp credential store over a [`SecretBackend`] for one server and issuer.
pub struct TokenStore {
    backend: SecretBackend,
    server: String,
    issuer: String,
    listener: StoreListener,
}

impl TokenStore {
    /// Store for `server` at `issuer`, reporting saves and rejections to `listener`.
    pub fn new(
        backend: SecretBackend,
        server: &str,
        issuer: &str,
        listener: StoreListener,
    ) -> Self {
        Self {
            backend,
            server: server.to_string(),
            issuer: issuer.to_string(),
            listener,
        }
    }

    fn entry(&self) -> String {
        tokens_entry(&self.server, &self.issuer)
    }
}

fn store_error(err: KeyringError) -> AuthError {
    AuthError::CredentialStoreError(err.to_string())
}

#[async_trait::async_trait]
impl CredentialStore for TokenStore {
    async fn load(&self) -> Result<Option<StoredCredentials>, AuthError> {
        self.backend
            .get_json(&self.entry())
            .await
            .map_err(store_error)
    }

    async fn save(&self, credentials: StoredCredentials) -> Result<(), AuthError> {
        use oauth2::TokenResponse;
        self.backend
            .set_json(&self.entry(), &credentials)
            .await
            .map_err(store_error)?;
        add_to_index(&self.backend, &self.server, &self.issuer)
            .await
            .map_err(store_error)?;
        (self.listener)(StoreEvent::Saved {
            expires_at: expires_at(&credentials),
            scopes: credentials.granted_scopes.clone(),
            has_refresh_token: credentials
                .token_response
                .as_ref()
                .is_some_and(|t| t.refresh_token().is_some()),
            tokens: token_values(&credentials),
        });
        Ok(())
    }

    async fn clear(&self) -> Result<(), AuthError> {
        self.backend
            .delete(&self.entry())
            .await
            .map(|_| ())
            .map_err(store_error)
    }

    async fn on_refresh_token_rejected(
        &self,
        _credentials: &StoredCredentials,
    ) -> Result<(), AuthError> {
        (self.listener)(StoreEvent::RefreshRejected);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn forget_server_removes_every_issuer() {
        let backend = SecretBackend::memory();
        for issuer in ["https://a.example", "https://b.example"] {
            backend.set(&tokens_entry("s", issuer), "{}").await.unwrap();
            backend.set(&client_entry("s", issuer), "{}").await.unwrap();
            add_to_index(&backend, "s", issuer).await.unwrap();
        }
        backend
            .set(&tokens_entry("other", "x"), "{}")
            .await
            .unwrap();
        assert_eq!(forget_server(&backend, "s").await.unwrap(), 4);
        assert_eq!(backend.get(&index_entry("s")).await.unwrap(), None);
        assert!(backend
            .get(&tokens_entry("other", "x"))
            .await
            .unwrap()
            .is_some());
    }

    #[test]
    fn client_record_debug_hides_secret() {
        let record = ClientRecord {
            client_id: "id".into(),
            client_secret: Some("top-secret".into()),
            redirect_uri: "http://127.0.0.1:1/oauth/callback".into(),
        };
        let shown = format!("{record:?}");
        assert!(!shown.contains("top-secret"), "{shown}");
    }
}
