//! The OpenAPI document's frame: info, tags and the API-key security schemes.
//! Paths and schemas come from the handlers' `#[utoipa::path]` attributes.

use utoipa::openapi::security::{ApiKey, ApiKeyValue, HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::openapi::OpenApi;
use utoipa::{Modify, OpenApi as _};

#[derive(utoipa::OpenApi)]
#[openapi(
    info(
        title = "MCPProxy REST API",
        description = "Manage MCPProxy's upstream MCP servers and tools. Every answer is an envelope: {\"success\":true,\"data\":…} or {\"success\":false,\"error\":\"…\"}. Secret header/env values are masked as ••••<last2> (<N> chars).",
        license(name = "MIT")
    ),
    tags(
        (name = "servers", description = "Upstream MCP servers"),
        (name = "tools", description = "The merged tool catalog and tool calls"),
        (name = "system", description = "Status, configuration and health"),
        (name = "events", description = "Server-sent events")
    ),
    modifiers(&Security),
    security(("api_key" = []), ("bearer" = []), ("apikey_query" = []))
)]
struct Frame;

struct Security;

impl Modify for Security {
    fn modify(&self, openapi: &mut OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "api_key",
            SecurityScheme::ApiKey(ApiKey::Header(ApiKeyValue::new("X-API-Key"))),
        );
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
        );
        components.add_security_scheme(
            "apikey_query",
            SecurityScheme::ApiKey(ApiKey::Query(ApiKeyValue::new("apikey"))),
        );
    }
}

/// The document before the handlers' paths are added.
pub fn base() -> OpenApi {
    let mut doc = Frame::openapi();
    doc.info.version = env!("CARGO_PKG_VERSION").to_string();
    doc
}

#[cfg(test)]
mod tests {
    /// docs/openapi.json must be what the handlers generate. Regenerate with
    /// `MCPPROXY_UPDATE_OPENAPI=1 cargo test --lib openapi`.
    #[test]
    fn committed_openapi_document_is_in_sync_with_the_handlers() {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/openapi.json");
        let generated = format!(
            "{}\n",
            serde_json::to_string_pretty(&super::super::openapi_document()).unwrap()
        );
        if std::env::var_os("MCPPROXY_UPDATE_OPENAPI").is_some() {
            std::fs::write(&path, &generated).unwrap();
        }
        let committed = std::fs::read_to_string(&path).unwrap_or_default();
        assert!(
            committed == generated,
            "docs/openapi.json is out of date; run `MCPPROXY_UPDATE_OPENAPI=1 cargo test --lib openapi` and commit it"
        );
    }

    #[test]
    fn every_endpoint_is_documented() {
        let doc = serde_json::to_value(super::super::openapi_document()).unwrap();
        let paths = doc["paths"].as_object().unwrap();
        for (path, method) in [
            ("/api/v1/servers", "get"),
            ("/api/v1/servers", "post"),
            ("/api/v1/servers/{name}", "patch"),
            ("/api/v1/servers/{name}", "delete"),
            ("/api/v1/servers/{name}/enable", "post"),
            ("/api/v1/servers/{name}/disable", "post"),
            ("/api/v1/servers/{name}/restart", "post"),
            ("/api/v1/servers/{name}/tools", "get"),
            ("/api/v1/servers/{name}/logs", "get"),
            ("/api/v1/tools", "get"),
            ("/api/v1/index/search", "get"),
            ("/api/v1/tools/call", "post"),
            ("/api/v1/status", "get"),
            ("/api/v1/config", "get"),
            ("/api/v1/healthz", "get"),
            ("/api/v1/readyz", "get"),
            ("/events", "get"),
        ] {
            assert!(
                paths.get(path).and_then(|p| p.get(method)).is_some(),
                "{method} {path} missing"
            );
        }
        assert!(doc["components"]["securitySchemes"]["api_key"].is_object());
        assert_eq!(
            doc["paths"]["/api/v1/healthz"]["get"]["security"],
            serde_json::json!([{}])
        );
    }
}
