//! OAuth operations of the core, for the REST API (`POST /api/v1/servers/{name}/login|logout`),
//! the CLI and the call path.

use super::login::LoginTicket;
use super::{challenge, OAuthError, OAuthStatus};
use crate::core::Core;
use rmcp::service::ServiceError;
use std::sync::Arc;

impl Core {
    fn oauth_state_of(&self, name: &str) -> Result<Arc<super::ServerAuth>, OAuthError> {
        let config = self.config();
        let server = config
            .mcp_servers
            .iter()
            .find(|s| s.name == name)
            .ok_or_else(|| OAuthError::UnknownServer(format!("no server named `{name}`")))?;
        self.upstreams
            .context()
            .oauth
            .for_server(server)
            .ok_or_else(|| {
                OAuthError::NotApplicable(format!(
                "server `{name}` has no http(s) url; OAuth applies to http and sse servers only"
            ))
            })
    }

    /// Start an OAuth login for server `name` (the browser opens, or the URL is printed).
    /// Returns once the authorization page is shown; the outcome appears in the server status
    /// and as `OAuthLoginSucceeded` / `OAuthFailed` events.
    pub async fn oauth_login(&self, name: &str) -> Result<LoginTicket, OAuthError> {
        self.oauth_state_of(name)?.start_login().await
    }

    /// Revoke the tokens of server `name` at its authorization server (when it offers RFC 7009
    /// revocation) and delete its stored tokens and client registration; it needs a new login
    /// afterwards. Returns how many keyring entries were removed and how revocation went.
    pub async fn oauth_logout(
        &self,
        name: &str,
    ) -> Result<super::server_auth::LogoutOutcome, OAuthError> {
        self.oauth_state_of(name)?.logout().await
    }

    /// OAuth status of server `name` (None when OAuth does not apply to it).
    pub fn oauth_status(&self, name: &str) -> Option<OAuthStatus> {
        self.upstreams.context().oauth.status_of(name)
    }

    /// When a proxied call failed on an OAuth challenge: refresh the token once when that can
    /// help ([`CallRecovery::Retry`]: send the call again), else explain what to do.
    pub async fn oauth_recover_call(
        &self,
        server: &str,
        err: &ServiceError,
    ) -> Option<super::server_auth::CallRecovery> {
        let auth = self.upstreams.context().oauth.get(server)?;
        match challenge::from_service(err, auth.url()) {
            // A challenge rmcp's Streamable HTTP client reports comes after its own refresh
            // and retry; the legacy SSE transport reports it as met.
            Some(found) => Some(
                auth.recover_call_challenge(&found, err.auth_challenge().is_some())
                    .await,
            ),
            // rmcp's OAuth client may close the session after a refused refresh: the call
            // then sees a closed transport, but the auth state already knows why.
            None if auth.login_blocking() => Some(super::server_auth::CallRecovery::Fail(format!(
                "server `{server}` needs a new OAuth login; run `mcpproxy auth login --server {server}`"
            ))),
            None => None,
        }
    }

    /// When a proxied call failed on an OAuth challenge, record it and explain what to do.
    pub fn oauth_call_error(&self, server: &str, err: &ServiceError) -> Option<String> {
        let auth = self.upstreams.context().oauth.get(server)?;
        let found = challenge::from_service(err, auth.url())?;
        Some(auth.on_call_challenge(&found))
    }
}
