//! OAuth state of one upstream server: discovery, the authorized HTTP client, refresh, the
//! login-required gate and the status shown to users.

use super::browser::Browser;
use super::challenge::Challenge;
use super::login::{self, LoginTicket};
use super::revoke::{self, Revocation, RevokingClient};
use super::store::{self, ClientRecord, SecretBackend, StoreEvent, TokenStore};
use super::{OAuthError, OAuthState, OAuthStatus};
use crate::config::OAuthConfig;
use crate::events::{CoreEvent, EventBus};
use rmcp::transport::auth::{
    AuthClient, AuthError, AuthorizationManager, AuthorizationMetadata, OAuthClientConfig,
    StoredCredentials,
};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, Weak};
use std::time::{Duration, SystemTime};
use tokio::sync::watch;
use tokio_util::sync::CancellationToken;

/// The HTTP client type of OAuth-authorized Streamable HTTP connections.
pub type AuthorizedClient = AuthClient<reqwest::Client>;

/// The current access token of `client` for each message of a legacy SSE session.
pub fn bearer_source(client: AuthorizedClient) -> crate::upstream::sse::BearerSource {
    Arc::new(move || {
        let client = client.clone();
        Box::pin(async move { client.get_access_token().await.ok() })
    })
}

/// How the next connection attempt should authenticate.
pub enum ConnectAuth {
    /// Without credentials (OAuth not known to be needed, or no stored token yet).
    Plain,
    /// With this authorized client (adds and refreshes the bearer token).
    Authorized(AuthorizedClient),
    /// Not at all: a login is needed first.
    MustLogin,
}

/// What to do after an upstream answered with an OAuth challenge.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChallengeOutcome {
    /// Stored credentials were found: connect again right away.
    Retry,
    /// A login is needed (started automatically when allowed).
    LoginRequired,
}

/// What the call path does after a tool call met an OAuth challenge on a live connection.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CallRecovery {
    /// The access token was refreshed: send the rejected request once more.
    Retry,
    /// Give up with this message for the caller.
    Fail(String),
}

/// Authorization server metadata found for the server, with the credential store bound to it.
pub(crate) struct Discovered {
    pub manager: AuthorizationManager,
    pub issuer: String,
    pub metadata: AuthorizationMetadata,
    pub legacy: bool,
}

/// What a logout did: local entries removed and the revocation at the authorization server.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct LogoutOutcome {
    /// Keyring entries removed.
    pub removed: usize,
    /// RFC 7009 revocation result.
    #[serde(flatten)]
    pub revocation: Revocation,
}

/// Lead time before expiry at which a token is refreshed: 20 % of its lifetime, 1–60 s.
pub fn refresh_lead(lifetime: Duration) -> Duration {
    (lifetime / 5).clamp(Duration::from_secs(1), Duration::from_secs(60))
}

/// Per-server OAuth state; shared by the supervisor, the login flow and the surfaces.
pub struct ServerAuth {
    pub(crate) name: String,
    pub(crate) url: String,
    pub(crate) config: Option<OAuthConfig>,
    pub(crate) backend: SecretBackend,
    pub(crate) browser: Browser,
    events: EventBus,
    http: reqwest::Client,
    auto_login: bool,
    status: watch::Sender<OAuthStatus>,
    active: AtomicBool,
    client: tokio::sync::Mutex<Option<AuthorizedClient>>,
    has_tokens: AtomicBool,
    challenge: Mutex<Option<Challenge>>,
    auto_login_used: AtomicBool,
    pub(crate) exchanging: AtomicBool,
    refresh_due: Mutex<Option<tokio::time::Instant>>,
    refresh_failures: Mutex<u32>,
    login_cancel: Mutex<CancellationToken>,
    /// Token values held this run (newest last), masked in activity records.
    token_values: Mutex<Vec<String>>,
    me: Weak<ServerAuth>,
}

/// How many token values [`ServerAuth::token_values`] remembers.
const REMEMBERED_TOKENS: usize = 8;

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

impl ServerAuth {
    /// State for the server `name` at `url`.
    #[allow(clippy::too_many_arguments)]
    pub fn new(
        name: &str,
        url: &str,
        config: Option<OAuthConfig>,
        backend: SecretBackend,
        browser: Browser,
        events: EventBus,
        http: reqwest::Client,
        auto_login: bool,
    ) -> Arc<Self> {
        let active = config.is_some();
        Arc::new_cyclic(|me| Self {
            name: name.to_string(),
            url: url.to_string(),
            config,
            backend,
            browser,
            events,
            http,
            auto_login,
            status: watch::Sender::new(OAuthStatus::default()),
            active: AtomicBool::new(active),
            client: tokio::sync::Mutex::new(None),
            has_tokens: AtomicBool::new(false),
            challenge: Mutex::new(None),
            auto_login_used: AtomicBool::new(false),
            exchanging: AtomicBool::new(false),
            refresh_due: Mutex::new(None),
            refresh_failures: Mutex::new(0),
            login_cancel: Mutex::new(CancellationToken::new()),
            token_values: Mutex::new(Vec::new()),
            me: me.clone(),
        })
    }

    /// The HTTP client for authorization-server requests.
    pub(crate) fn http(&self) -> &reqwest::Client {
        &self.http
    }

    /// Server name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// MCP endpoint URL (the protected resource).
    pub fn url(&self) -> &str {
        &self.url
    }

    /// The configured `oauth` block, if any.
    pub fn config(&self) -> Option<&OAuthConfig> {
        self.config.as_ref()
    }

    /// Whether OAuth is known to apply (configured, or the server sent a challenge).
    pub fn is_active(&self) -> bool {
        self.active.load(Ordering::SeqCst)
    }

    /// Status snapshot (an expired token shows as `expired`).
    pub fn status(&self) -> OAuthStatus {
        self.status.borrow().clone().observed()
    }

    /// Receiver of status changes.
    pub fn subscribe(&self) -> watch::Receiver<OAuthStatus> {
        self.status.subscribe()
    }

    pub(crate) fn update(&self, change: impl FnOnce(&mut OAuthStatus)) {
        self.status.send_modify(change);
        self.events.publish(CoreEvent::ServerChanged {
            name: self.name.clone(),
        });
    }

    pub(crate) fn publish(&self, event: CoreEvent) {
        self.events.publish(event);
    }

    /// Whether connecting must wait for a login.
    pub fn login_blocking(&self) -> bool {
        matches!(
            self.status.borrow().state,
            OAuthState::LoginRequired | OAuthState::LoginInProgress
        )
    }

    /// Resolve once no login is pending any more (returns at once when none is).
    pub async fn wait_until_connectable(&self) {
        let mut rx = self.status.subscribe();
        let _ = rx
            .wait_for(|s| {
                !matches!(
                    s.state,
                    OAuthState::LoginRequired | OAuthState::LoginInProgress
                )
            })
            .await;
    }

    /// The last challenge received from the server.
    pub fn last_challenge(&self) -> Option<Challenge> {
        lock(&self.challenge).clone()
    }

    fn listener(&self) -> store::StoreListener {
        let me = self.me.clone();
        Arc::new(move |event| {
            if let Some(auth) = me.upgrade() {
                auth.on_store_event(event);
            }
        })
    }

    /// Access and refresh tokens obtained or loaded this run (for masking; never shown).
    pub fn token_values(&self) -> Vec<String> {
        lock(&self.token_values).clone()
    }

    fn remember_tokens(&self, tokens: Vec<String>) {
        let mut held = lock(&self.token_values);
        for token in tokens {
            if !held.contains(&token) {
                held.push(token);
            }
        }
        let excess = held.len().saturating_sub(REMEMBERED_TOKENS);
        held.drain(..excess);
    }

    fn on_store_event(&self, event: StoreEvent) {
        match event {
            StoreEvent::Saved {
                expires_at,
                scopes,
                has_refresh_token,
                tokens,
            } => {
                self.remember_tokens(tokens);
                let refreshed = !self.exchanging.load(Ordering::SeqCst);
                self.schedule_refresh(expires_at, has_refresh_token);
                *lock(&self.refresh_failures) = 0;
                self.update(|s| {
                    // A login's token exchange saves before its credentials are installed for
                    // the connections; `login_finished` reports it authenticated after that.
                    // (Reporting it here let a waiting caller retry with the old credentials.)
                    if refreshed {
                        s.state = OAuthState::Authenticated;
                    }
                    s.set_expiry(expires_at);
                    s.scopes = scopes;
                    s.has_refresh_token = has_refresh_token;
                    s.last_error = None;
                });
                if refreshed {
                    tracing::info!(server = %self.name, "OAuth access token refreshed");
                    self.publish(CoreEvent::OAuthTokenRefreshed {
                        name: self.name.clone(),
                        expires_at: self.status.borrow().token_expires_at.clone(),
                    });
                }
            }
            StoreEvent::RefreshRejected => {
                self.require_login("the authorization server rejected the refresh token");
            }
        }
    }

    fn schedule_refresh(&self, expires_at: Option<SystemTime>, has_refresh_token: bool) {
        let due = match (expires_at, has_refresh_token) {
            (Some(at), true) => {
                let lifetime = at.duration_since(SystemTime::now()).unwrap_or_default();
                Some(tokio::time::Instant::now() + lifetime.saturating_sub(refresh_lead(lifetime)))
            }
            _ => None,
        };
        *lock(&self.refresh_due) = due;
    }

    /// When the held token should be refreshed (None: no expiry or no refresh token).
    pub fn refresh_due(&self) -> Option<tokio::time::Instant> {
        *lock(&self.refresh_due)
    }

    /// Mark the server as needing a login, explaining why (also an `OAuthFailed` event).
    pub fn require_login(&self, reason: &str) {
        let message = format!(
            "OAuth login required for `{}`: {reason}. Run `mcpproxy auth login --server {}`",
            self.name, self.name
        );
        *lock(&self.refresh_due) = None;
        self.enter_login_required(message);
    }

    /// Log `message`, switch to `login_required` with it and publish `OAuthFailed`.
    fn enter_login_required(&self, message: String) {
        tracing::warn!(server = %self.name, "{message}");
        self.update(|s| {
            s.state = OAuthState::LoginRequired;
            s.auth_url = None;
            s.last_error = Some(message.clone());
        });
        self.publish(CoreEvent::OAuthFailed {
            name: self.name.clone(),
            message,
            login_required: true,
        });
    }

    /// Find the authorization server (seeded by the last challenge) and bind the token store.
    pub(crate) async fn discover(&self) -> Result<Discovered, OAuthError> {
        let flow = |e: AuthError| {
            OAuthError::Flow(format!(
                "OAuth discovery for `{}` ({}) failed: {e}",
                self.name, self.url
            ))
        };
        let mut manager = AuthorizationManager::new_allowing_private_addresses(self.url.as_str())
            .await
            .map_err(flow)?;
        let challenge = self.last_challenge();
        let resolved = manager
            .resolve_metadata_from_challenge(challenge.as_ref().and_then(|c| c.header()))
            .await;
        let (metadata, legacy) = match resolved {
            Ok(resolution) => {
                let legacy = !resolution.source.is_discovered();
                (resolution.metadata, legacy)
            }
            Err(AuthError::AuthorizationServerMismatch {
                expected_issuer,
                received_issuer,
            }) => {
                let accepted = super::legacy::same_origin_metadata(
                    &self.http,
                    &self.url,
                    &expected_issuer,
                    &received_issuer,
                )
                .await;
                let Some(metadata) = accepted else {
                    return Err(flow(AuthError::AuthorizationServerMismatch {
                        expected_issuer,
                        received_issuer,
                    }));
                };
                tracing::warn!(server = %self.name, issuer = %received_issuer, "the authorization server metadata at the server's origin names another issuer on the same origin; accepted (2025-03-26 back-compat)");
                (metadata, false)
            }
            Err(err) => return Err(flow(err)),
        };
        let issuer = metadata.issuer.clone().unwrap_or_else(|| {
            url::Url::parse(&metadata.authorization_endpoint)
                .map(|u| u.origin().ascii_serialization())
                .unwrap_or_else(|_| metadata.authorization_endpoint.clone())
        });
        manager.set_metadata(metadata.clone());
        manager.set_credential_store(TokenStore::new(
            self.backend.clone(),
            &self.name,
            &issuer,
            self.listener(),
        ));
        Ok(Discovered {
            manager,
            issuer,
            metadata,
            legacy,
        })
    }

    async fn bare_manager(&self) -> Result<AuthorizationManager, OAuthError> {
        AuthorizationManager::new_allowing_private_addresses(self.url.as_str())
            .await
            .map_err(|e| OAuthError::Flow(format!("OAuth setup for `{}`: {e}", self.name)))
    }

    /// The authorized HTTP client every connection of this server shares. Without tokens it
    /// sends requests unauthenticated; a login swaps credentials in for live sessions too.
    pub async fn shared_client(&self) -> Result<AuthorizedClient, OAuthError> {
        let mut slot = self.client.lock().await;
        if let Some(client) = slot.as_ref() {
            return Ok(client.clone());
        }
        let client = AuthClient::new(self.http.clone(), self.bare_manager().await?);
        *slot = Some(client.clone());
        Ok(client)
    }

    /// Drop the held tokens (connections continue unauthenticated until the next login).
    async fn forget_tokens(&self) {
        self.has_tokens.store(false, Ordering::SeqCst);
        *lock(&self.refresh_due) = None;
        if let (Ok(client), Ok(bare)) = (self.shared_client().await, self.bare_manager().await) {
            *client.auth_manager.lock().await = bare;
        }
    }

    /// Install a manager holding fresh credentials as the one every connection uses.
    pub(crate) async fn install(&self, manager: AuthorizationManager, issuer: &str) {
        match self.shared_client().await {
            Ok(client) => *client.auth_manager.lock().await = manager,
            Err(err) => {
                tracing::warn!(server = %self.name, error = %err, "cannot install OAuth credentials")
            }
        }
        self.has_tokens.store(true, Ordering::SeqCst);
        self.update(|s| {
            s.issuer = Some(issuer.to_string());
            s.missing_scopes.clear();
        });
    }

    /// Load stored tokens for the discovered issuer; true when a usable client was installed.
    async fn restore(&self) -> Result<bool, OAuthError> {
        let mut found = self.discover().await?;
        let storage = |e: crate::secrets::keyring::KeyringError| OAuthError::Storage(e.to_string());
        let creds: Option<StoredCredentials> = self
            .backend
            .get_json(&store::tokens_entry(&self.name, &found.issuer))
            .await
            .map_err(storage)?;
        let Some(creds) = creds.filter(|c| c.token_response.is_some()) else {
            return Ok(false);
        };
        self.remember_tokens(store::token_values(&creds));
        let record: Option<ClientRecord> = self
            .backend
            .get_json(&store::client_entry(&self.name, &found.issuer))
            .await
            .map_err(storage)?;
        let configured = self.config.as_ref().and_then(|c| {
            c.client_id
                .clone()
                .map(|id| (id, c.client_secret.clone(), c.redirect_uri.clone()))
        });
        let (client_id, secret, redirect) = match (configured, record) {
            (Some((id, secret, redirect)), record) => {
                (id, secret, redirect.or(record.map(|r| r.redirect_uri)))
            }
            (None, Some(r)) => (r.client_id, r.client_secret, Some(r.redirect_uri)),
            (None, None) => (creds.client_id.clone(), None, None),
        };
        if client_id != creds.client_id {
            tracing::info!(server = %self.name, "stored OAuth tokens belong to another client; ignoring them");
            return Ok(false);
        }
        let redirect = redirect.unwrap_or_else(|| {
            format!(
                "http://127.0.0.1:{}{}",
                super::callback::stable_port(&self.name),
                super::callback::CALLBACK_PATH
            )
        });
        let mut client_config = OAuthClientConfig::new(client_id, redirect);
        if let Some(secret) = secret {
            client_config = client_config.with_client_secret(secret);
        }
        found.manager.configure_client(client_config).map_err(|e| {
            OAuthError::Flow(format!("OAuth client setup for `{}`: {e}", self.name))
        })?;
        let expires = store::expires_at(&creds);
        let has_refresh = {
            use oauth2::TokenResponse;
            creds
                .token_response
                .as_ref()
                .is_some_and(|t| t.refresh_token().is_some())
        };
        self.install(found.manager, &found.issuer).await;
        self.active.store(true, Ordering::SeqCst);
        self.schedule_refresh(expires, has_refresh);
        self.update(|s| {
            s.state = OAuthState::Authenticated;
            s.set_expiry(expires);
            s.scopes = creds.granted_scopes.clone();
            s.has_refresh_token = has_refresh;
            s.last_error = None;
        });
        Ok(true)
    }

    /// Whether the keyring lists entries of this server (errors count as none).
    async fn has_stored_entries(&self) -> bool {
        match self
            .backend
            .get_json::<Vec<String>>(&store::index_entry(&self.name))
            .await
        {
            Ok(issuers) => issuers.is_some_and(|i| !i.is_empty()),
            Err(err) => {
                tracing::debug!(server = %self.name, error = %err, "cannot read OAuth entries");
                false
            }
        }
    }

    /// Decide how the next connection authenticates (restoring stored tokens when needed).
    pub async fn before_connect(&self) -> ConnectAuth {
        if self.login_blocking() {
            return ConnectAuth::MustLogin;
        }
        if !self.has_tokens.load(Ordering::SeqCst) && self.has_stored_entries().await {
            if let Err(err) = self.restore().await {
                tracing::warn!(server = %self.name, error = %err, "cannot restore OAuth credentials");
                self.update(|s| s.last_error = Some(err.to_string()));
            }
        }
        match self.shared_client().await {
            Ok(client) => ConnectAuth::Authorized(client),
            Err(err) => {
                tracing::warn!(server = %self.name, error = %err, "OAuth client unavailable");
                ConnectAuth::Plain
            }
        }
    }

    /// React to a 401/403 challenge met while connecting: reuse stored tokens, or require (and,
    /// once per run, automatically start) a login.
    pub async fn on_challenge(&self, challenge: Challenge) -> ChallengeOutcome {
        self.active.store(true, Ordering::SeqCst);
        let insufficient = challenge.insufficient_scope;
        let scopes = challenge.scopes.clone();
        *lock(&self.challenge) = Some(challenge);
        let had_client = self.has_tokens.load(Ordering::SeqCst);
        if !had_client && !insufficient && self.has_stored_entries().await {
            match self.restore().await {
                Ok(true) => return ChallengeOutcome::Retry,
                Ok(false) => {}
                Err(err) => {
                    self.update(|s| s.last_error = Some(err.to_string()));
                }
            }
        }
        if !insufficient {
            self.forget_tokens().await;
        }
        let reason = if insufficient {
            self.update(|s| s.missing_scopes = merge(&s.missing_scopes, &scopes));
            format!("the server requires the scopes {}", scopes.join(" "))
        } else if had_client {
            "the server rejected the access token and it could not be refreshed".to_string()
        } else {
            "the server requires authorization".to_string()
        };
        self.require_login(&reason);
        self.maybe_auto_login();
        ChallengeOutcome::LoginRequired
    }

    /// A tool call met a challenge on a live connection.
    pub fn on_call_challenge(&self, challenge: &Challenge) -> String {
        if challenge.insufficient_scope {
            let message = format!(
                "server `{}` requires additional OAuth scopes ({}) for this call; run `mcpproxy auth login --server {}` to grant them",
                self.name,
                challenge.scopes.join(" "),
                self.name
            );
            self.update(|s| {
                s.missing_scopes = merge(&s.missing_scopes, &challenge.scopes);
                s.last_error = Some(message.clone());
            });
            *lock(&self.challenge) = Some(challenge.clone());
            self.publish(CoreEvent::OAuthFailed {
                name: self.name.clone(),
                message: message.clone(),
                login_required: false,
            });
            message
        } else {
            *lock(&self.challenge) = Some(challenge.clone());
            self.require_login(
                "the server rejected the access token and it could not be refreshed",
            );
            format!(
                "server `{}` needs a new OAuth login; run `mcpproxy auth login --server {}`",
                self.name, self.name
            )
        }
    }

    /// A request met a challenge on a live connection: for a rejected (not merely
    /// under-scoped) token, refresh once and have the request retried; otherwise explain.
    /// `transport_refreshed`: the transport already refreshed and retried (rmcp's OAuth
    /// client for Streamable HTTP does), so the new token was rejected too.
    pub async fn recover_call_challenge(
        &self,
        challenge: &Challenge,
        transport_refreshed: bool,
    ) -> CallRecovery {
        if challenge.insufficient_scope
            || transport_refreshed
            || self.login_blocking()
            || !self.has_tokens.load(Ordering::SeqCst)
        {
            return CallRecovery::Fail(self.on_call_challenge(challenge));
        }
        *lock(&self.challenge) = Some(challenge.clone());
        match self.refresh_now().await {
            Ok(()) => {
                tracing::info!(server = %self.name, "the server rejected the access token during a call; refreshed it, retrying the call once");
                CallRecovery::Retry
            }
            Err(_) if self.login_blocking() => CallRecovery::Fail(format!(
                "server `{}` rejected the access token and the refresh token was refused; run `mcpproxy auth login --server {}`",
                self.name, self.name
            )),
            Err(err) => CallRecovery::Fail(format!(
                "server `{}` rejected the access token and refreshing it failed ({err}); retry shortly",
                self.name
            )),
        }
    }

    fn maybe_auto_login(&self) {
        if !self.auto_login || self.auto_login_used.swap(true, Ordering::SeqCst) {
            return;
        }
        if let Some(me) = self.me.upgrade() {
            tokio::spawn(async move {
                if let Err(err) = me.start_login().await {
                    tracing::warn!(server = %me.name, error = %err, "automatic OAuth login failed to start");
                }
            });
        }
    }

    /// Start an interactive login (cancelling one in progress); returns once the browser was
    /// pointed at the authorization page. Completion shows in the status.
    pub async fn start_login(&self) -> Result<LoginTicket, OAuthError> {
        let me = self
            .me
            .upgrade()
            .ok_or_else(|| OAuthError::NotApplicable("server is gone".into()))?;
        self.active.store(true, Ordering::SeqCst);
        self.auto_login_used.store(true, Ordering::SeqCst);
        let cancel = {
            let mut slot = lock(&self.login_cancel);
            slot.cancel();
            *slot = CancellationToken::new();
            slot.clone()
        };
        login::start(me, cancel).await
    }

    /// Start a login and wait for its end (bounded by `timeout`).
    pub async fn login_and_wait(&self, timeout: Duration) -> Result<(), OAuthError> {
        let mut rx = self.status.subscribe();
        self.start_login().await?;
        let done = tokio::time::timeout(
            timeout,
            rx.wait_for(|s| s.state != OAuthState::LoginInProgress),
        )
        .await;
        let status = self.status();
        match done {
            Ok(Ok(_)) if status.state == OAuthState::Authenticated => Ok(()),
            Ok(_) => Err(OAuthError::Flow(
                status.last_error.unwrap_or_else(|| "login failed".into()),
            )),
            Err(_) => Err(OAuthError::Flow(format!(
                "login did not finish within {}s",
                timeout.as_secs()
            ))),
        }
    }

    pub(crate) fn login_finished(&self, result: Result<(), String>) {
        match result {
            Ok(()) => {
                tracing::info!(server = %self.name, "OAuth login complete");
                self.update(|s| {
                    s.state = OAuthState::Authenticated;
                    s.auth_url = None;
                    s.last_error = None;
                });
                self.publish(CoreEvent::OAuthLoginSucceeded {
                    name: self.name.clone(),
                });
            }
            Err(message) => {
                self.enter_login_required(format!(
                    "OAuth login for `{}` failed: {message}",
                    self.name
                ));
            }
        }
    }

    /// Refresh the access token now. A rejected refresh token requires a login; other failures
    /// are retried later with a growing delay (never in a tight loop).
    pub async fn refresh_now(&self) -> Result<(), OAuthError> {
        if !self.has_tokens.load(Ordering::SeqCst) {
            *lock(&self.refresh_due) = None;
            return Ok(());
        }
        let client = self.shared_client().await?;
        let result = client.auth_manager.lock().await.refresh_token().await;
        match result {
            Ok(_) => Ok(()),
            Err(AuthError::TokenRefreshRejected(_) | AuthError::AuthorizationRequired) => {
                if !self.login_blocking() {
                    self.require_login("the refresh token was rejected or is missing");
                }
                self.forget_tokens().await;
                Err(OAuthError::Flow("refresh token rejected".into()))
            }
            Err(err) => {
                let failures = {
                    let mut f = lock(&self.refresh_failures);
                    *f += 1;
                    *f
                };
                let delay = Duration::from_secs(5)
                    .saturating_mul(2u32.saturating_pow(failures.min(6) - 1))
                    .min(Duration::from_secs(300));
                *lock(&self.refresh_due) = Some(tokio::time::Instant::now() + delay);
                let message = format!(
                    "refreshing the OAuth token of `{}` failed (attempt {failures}, retrying in {}s): {err}",
                    self.name,
                    delay.as_secs()
                );
                tracing::warn!(server = %self.name, "{message}");
                self.update(|s| s.last_error = Some(message.clone()));
                self.publish(CoreEvent::OAuthFailed {
                    name: self.name.clone(),
                    message: message.clone(),
                    login_required: false,
                });
                Err(OAuthError::Flow(message))
            }
        }
    }

    /// Revoke the stored tokens at the authorization server (RFC 7009), then forget every
    /// stored token and client of this server; it needs a login afterwards. A failed
    /// revocation is logged and reported but never keeps the local tokens.
    pub async fn logout(&self) -> Result<LogoutOutcome, OAuthError> {
        lock(&self.login_cancel).cancel();
        let revocation = self.revoke_at_server().await;
        if let Some(err) = &revocation.revocation_error {
            tracing::warn!(server = %self.name, "OAuth token revocation failed (tokens forgotten locally anyway): {err}");
        } else if revocation.revoked {
            tracing::info!(server = %self.name, tokens = revocation.tokens_revoked, "OAuth tokens revoked at the authorization server");
        }
        self.forget_tokens().await;
        let removed = store::forget_server(&self.backend, &self.name)
            .await
            .map_err(|e| OAuthError::Storage(e.to_string()))?;
        self.active.store(true, Ordering::SeqCst);
        self.auto_login_used.store(true, Ordering::SeqCst);
        self.update(|s| {
            *s = OAuthStatus {
                state: OAuthState::LoginRequired,
                last_error: Some(format!(
                    "logged out; run `mcpproxy auth login --server {}` to log in again",
                    self.name
                )),
                ..OAuthStatus::default()
            };
        });
        Ok(LogoutOutcome {
            removed,
            revocation,
        })
    }

    /// Revoke the stored tokens of the issuer the server names now.
    async fn revoke_at_server(&self) -> Revocation {
        let mut held = Vec::new();
        let issuers: Vec<String> = self
            .backend
            .get_json(&store::index_entry(&self.name))
            .await
            .ok()
            .flatten()
            .unwrap_or_default();
        for issuer in issuers {
            let entry = store::tokens_entry(&self.name, &issuer);
            if let Ok(Some(creds)) = self.backend.get_json::<StoredCredentials>(&entry).await {
                if creds.token_response.is_some() {
                    held.push((issuer, creds));
                }
            }
        }
        if held.is_empty() {
            return Revocation::skipped("no tokens were stored");
        }
        let found = match tokio::time::timeout(revoke::REVOKE_TIMEOUT, self.discover()).await {
            Ok(Ok(found)) => found,
            Ok(Err(err)) => return Revocation::failed(err.to_string()),
            Err(_) => {
                return Revocation::failed(format!(
                    "OAuth discovery for `{}` did not answer within {}s",
                    self.name,
                    revoke::REVOKE_TIMEOUT.as_secs()
                ))
            }
        };
        let Some((_, creds)) = held.iter().find(|(issuer, _)| *issuer == found.issuer) else {
            let issuers: Vec<&str> = held.iter().map(|(i, _)| i.as_str()).collect();
            return Revocation::failed(format!(
                "the stored tokens were issued by {}, but `{}` now names the authorization server {}",
                issuers.join(", "),
                self.name,
                found.issuer
            ));
        };
        let record: Option<ClientRecord> = self
            .backend
            .get_json(&store::client_entry(&self.name, &found.issuer))
            .await
            .ok()
            .flatten();
        let configured = self
            .config
            .as_ref()
            .and_then(|c| c.client_id.clone().map(|id| (id, c.client_secret.clone())));
        let (client_id, client_secret) = match (configured, record) {
            (Some(configured), _) => configured,
            (None, Some(r)) => (r.client_id, r.client_secret),
            (None, None) => (creds.client_id.clone(), None),
        };
        let client = RevokingClient {
            client_id,
            client_secret,
        };
        revoke::revoke(&self.http, &found.metadata, &client, creds).await
    }
}

fn merge(a: &[String], b: &[String]) -> Vec<String> {
    let mut out = a.to_vec();
    for s in b {
        if !out.contains(s) {
            out.push(s.clone());
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refresh_lead_is_a_fifth_of_the_lifetime_within_bounds() {
        assert_eq!(
            refresh_lead(Duration::from_secs(3600)),
            Duration::from_secs(60)
        );
        assert_eq!(
            refresh_lead(Duration::from_secs(10)),
            Duration::from_secs(2)
        );
        assert_eq!(refresh_lead(Duration::from_secs(2)), Duration::from_secs(1));
    }
}
