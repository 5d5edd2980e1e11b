//! Minimal client of the running core's REST API (`/api/v1`) for CLI commands.

use crate::config;
use serde_json::Value;
use std::path::PathBuf;
use std::time::Duration;

/// REST endpoint and API key of a running `mcpproxy`.
pub struct ApiClient {
    base: String,
    key: Option<String>,
    http: reqwest::Client,
}

impl ApiClient {
    /// From `--url` (or `MCPPROXY_URL`), else `listen` of the config; the API key from
    /// `MCPPROXY_API_KEY`, else `api_key` of the config.
    pub fn new(
        config_flag: Option<PathBuf>,
        data_dir: Option<PathBuf>,
        url: Option<String>,
    ) -> Result<Self, String> {
        let (config_path, _) = super::serve::resolve_paths(config_flag, data_dir);
        let loaded = config::load_file(&config_path).ok();
        let base = match url {
            Some(url) => url.trim_end_matches('/').to_string(),
            None => {
                let listen = loaded
                    .as_ref()
                    .map(|c| c.listen.clone())
                    .unwrap_or_else(|| config::schema::DEFAULT_LISTEN.to_string());
                format!("http://{listen}")
            }
        };
        let key = std::env::var("MCPPROXY_API_KEY")
            .ok()
            .filter(|k| !k.is_empty())
            .or_else(|| loaded.and_then(|c| c.api_key));
        let http = reqwest::Client::builder()
            .timeout(Duration::from_secs(30))
            .build()
            .map_err(|e| e.to_string())?;
        Ok(Self { base, key, http })
    }

    /// `GET /api/v1{path}`.
    pub async fn get(&self, path: &str) -> Result<Value, String> {
        self.send(self.http.get(self.url(path)), path).await
    }

    /// `POST /api/v1{path}` with an empty JSON body.
    pub async fn post(&self, path: &str) -> Result<Value, String> {
        let request = self.http.post(self.url(path)).json(&serde_json::json!({}));
        self.send(request, path).await
    }

    fn url(&self, path: &str) -> String {
        format!("{}/api/v1{path}", self.base)
    }

    async fn send(&self, request: reqwest::RequestBuilder, path: &str) -> Result<Value, String> {
        let request = match &self.key {
            Some(key) => request.header("X-API-Key", key),
            None => request,
        };
        let response = request.send().await.map_err(|err| {
            format!(
                "cannot reach mcpproxy at {} ({}); is `mcpproxy serve` running? (use --url to point elsewhere)",
                self.base,
                err.without_url()
            )
        })?;
        let status = response.status();
        let body: Value = response.json().await.unwrap_or(Value::Null);
        if status.is_success() {
            return Ok(body);
        }
        let detail = body
            .get("error")
            .and_then(|e| {
                e.as_str().map(str::to_string).or_else(|| {
                    e.get("message")
                        .and_then(|m| m.as_str())
                        .map(str::to_string)
                })
            })
            .or_else(|| {
                body.get("message")
                    .and_then(|m| m.as_str())
                    .map(str::to_string)
            })
            .unwrap_or_default();
        Err(match status.as_u16() {
            401 | 403 => {
                "the API key was rejected; set MCPPROXY_API_KEY or api_key in the config".into()
            }
            404 if detail.is_empty() => format!("{path}: not found"),
            _ if detail.is_empty() => format!("{path}: HTTP {status}"),
            _ => detail,
        })
    }
}
