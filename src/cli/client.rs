//! HTTP client of a running core's REST API, configured from `mcp_config.json`.

use crate::api::auth::API_KEY_ENV;
use crate::config;
use reqwest::{Method, StatusCode};
use serde_json::Value;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// Exit code when the command reached the core and the core refused it.
pub const EXIT_API_ERROR: i32 = 1;
/// Exit code for local problems (bad flags, unreadable config).
pub const EXIT_USAGE: i32 = 2;
/// Exit code when no core answers.
pub const EXIT_UNREACHABLE: i32 = 3;

/// A failed CLI command: message for stderr and exit code.
#[derive(Debug)]
pub struct CliError {
    /// Exit code.
    pub code: i32,
    /// What went wrong and how to fix it.
    pub message: String,
}

impl CliError {
    /// A local problem (exit 2).
    pub fn usage(message: impl Into<String>) -> Self {
        Self {
            code: EXIT_USAGE,
            message: message.into(),
        }
    }

    /// The core refused (exit 1).
    pub fn api(message: impl Into<String>) -> Self {
        Self {
            code: EXIT_API_ERROR,
            message: message.into(),
        }
    }
}

/// Client of one core.
pub struct ApiClient {
    http: reqwest::Client,
    base: String,
    key: String,
    config_path: PathBuf,
}

/// `listen` as a URL a client can reach (unspecified addresses become loopback).
pub fn base_url(listen: &str) -> Result<String, String> {
    let addr: SocketAddr = listen
        .parse()
        .map_err(|_| format!("`{listen}` is not an address:port"))?;
    let ip = match addr.ip() {
        std::net::IpAddr::V4(ip) if ip.is_unspecified() => std::net::Ipv4Addr::LOCALHOST.into(),
        std::net::IpAddr::V6(ip) if ip.is_unspecified() => std::net::Ipv6Addr::LOCALHOST.into(),
        ip => ip,
    };
    Ok(format!("http://{}", SocketAddr::new(ip, addr.port())))
}

impl ApiClient {
    /// Read `listen` (or `MCPPROXY_LISTEN`) and `api_key` (or `MCPPROXY_API_KEY`) from the config.
    pub fn from_config(config_path: &Path) -> Result<Self, CliError> {
        if !config_path.exists() {
            return Err(CliError::usage(format!(
                "no config at {}; start the core once with `mcpproxy serve` (it creates one) or pass --config",
                config_path.display()
            )));
        }
        let cfg = config::load_file(config_path).map_err(|e| CliError::usage(e.to_string()))?;
        let listen = std::env::var("MCPPROXY_LISTEN")
            .ok()
            .filter(|l| !l.is_empty())
            .unwrap_or(cfg.listen.clone());
        let base = base_url(&listen).map_err(|e| {
            CliError::usage(format!(
                "{e}; fix `listen` in {} or MCPPROXY_LISTEN",
                config_path.display()
            ))
        })?;
        let key = crate::api::auth::effective_api_key(cfg.api_key.as_deref()).ok_or_else(|| {
            CliError::usage(format!(
                "no API key: {} has no `api_key` and {API_KEY_ENV} is not set; run `mcpproxy serve` once to generate one",
                config_path.display()
            ))
        })?;
        let http = reqwest::Client::builder()
            .connect_timeout(Duration::from_secs(5))
            .build()
            .map_err(|e| CliError::usage(format!("cannot create an HTTP client: {e}")))?;
        Ok(Self {
            http,
            base,
            key,
            config_path: config_path.to_path_buf(),
        })
    }

    /// Talk to the core at `url` instead of the config's `listen` (`--url`).
    pub fn with_base(mut self, url: &str) -> Self {
        self.base = url.trim_end_matches('/').to_string();
        self
    }

    /// Base URL of the core (e.g. `http://127.0.0.1:8080`).
    pub fn base(&self) -> &str {
        &self.base
    }

    /// Send a request to `/api/v1{path}` and return `data` from the envelope.
    pub async fn request(
        &self,
        method: Method,
        path: &str,
        body: Option<Value>,
        timeout: Duration,
    ) -> Result<Value, CliError> {
        let url = format!("{}{}{path}", self.base, crate::api::API_PREFIX);
        let mut request = self
            .http
            .request(method, &url)
            .header("X-API-Key", &self.key)
            .header("X-MCPProxy-Source", "cli")
            .timeout(timeout);
        if let Some(body) = body {
            request = request.json(&body);
        }
        let response = request.send().await.map_err(|err| self.unreachable(&err))?;
        let status = response.status();
        let text = response
            .text()
            .await
            .map_err(|err| self.unreachable(&err))?;
        let envelope: Value = serde_json::from_str(&text).map_err(|_| {
            CliError::api(format!(
                "{} answered {status} with something that is not MCPProxy's API (is another program listening there?)",
                self.base
            ))
        })?;
        if status == StatusCode::UNAUTHORIZED {
            return Err(CliError::api(format!(
                "the core at {} rejected the API key; the CLI uses `api_key` from {} (or {API_KEY_ENV}), which must match the running core's",
                self.base,
                self.config_path.display()
            )));
        }
        if envelope["success"] == Value::Bool(true) {
            return Ok(envelope["data"].clone());
        }
        let message = envelope["error"]
            .as_str()
            .map(str::to_string)
            .unwrap_or_else(|| format!("request failed with HTTP {status}"));
        Err(CliError::api(message))
    }

    /// GET `/api/v1{path}` whose success answer is not enveloped (exports); errors are.
    pub async fn get_text(&self, path: &str, timeout: Duration) -> Result<String, CliError> {
        let url = format!("{}{}{path}", self.base, crate::api::API_PREFIX);
        let response = self
            .http
            .get(&url)
            .header("X-API-Key", &self.key)
            .header("X-MCPProxy-Source", "cli")
            .timeout(timeout)
            .send()
            .await
            .map_err(|err| self.unreachable(&err))?;
        let status = response.status();
        let text = response
            .text()
            .await
            .map_err(|err| self.unreachable(&err))?;
        if status.is_success() {
            return Ok(text);
        }
        let message = serde_json::from_str::<Value>(&text)
            .ok()
            .and_then(|e| e["error"].as_str().map(str::to_string))
            .unwrap_or_else(|| format!("request failed with HTTP {status}"));
        Err(CliError::api(message))
    }

    /// Open the event stream at `/api/v1{path}` (no overall timeout); errors are enveloped.
    pub async fn open_stream(&self, path: &str) -> Result<reqwest::Response, CliError> {
        let url = format!("{}{}{path}", self.base, crate::api::API_PREFIX);
        let response = self
            .http
            .get(&url)
            .header("X-API-Key", &self.key)
            .header("X-MCPProxy-Source", "cli")
            .header("Accept", "text/event-stream")
            .send()
            .await
            .map_err(|err| self.unreachable(&err))?;
        let status = response.status();
        if status.is_success() {
            return Ok(response);
        }
        if status == StatusCode::UNAUTHORIZED {
            return Err(CliError::api(format!(
                "the core at {} rejected the API key; the CLI uses `api_key` from {} (or {API_KEY_ENV}), which must match the running core's",
                self.base,
                self.config_path.display()
            )));
        }
        let text = response.text().await.unwrap_or_default();
        let message = serde_json::from_str::<Value>(&text)
            .ok()
            .and_then(|e| e["error"].as_str().map(str::to_string))
            .unwrap_or_else(|| format!("request failed with HTTP {status}"));
        Err(CliError::api(message))
    }

    fn unreachable(&self, err: &reqwest::Error) -> CliError {
        let reason = if err.is_timeout() {
            "timed out".to_string()
        } else if err.is_connect() {
            "connection refused".to_string()
        } else {
            err.to_string()
        };
        CliError {
            code: EXIT_UNREACHABLE,
            message: format!(
                "cannot reach the mcpproxy core at {} ({reason}). Is it running? Start it with `mcpproxy serve --config {}`",
                self.base,
                self.config_path.display()
            ),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn listen_to_base_url() {
        assert_eq!(base_url("127.0.0.1:8080").unwrap(), "http://127.0.0.1:8080");
        assert_eq!(base_url("0.0.0.0:9").unwrap(), "http://127.0.0.1:9");
        assert_eq!(base_url("[::]:9").unwrap(), "http://[::1]:9");
        assert!(base_url("nope").is_err());
    }
}
