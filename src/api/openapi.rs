//! The OpenAPI document's frame: info, tags and the API-key security schemes.
//! Paths and schemas come from the handlers' `#[utoipa::path]` attributes.

use utoipa::openapi::security::{ApiKey, ApiKeyValue, HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::openapi::{ContentBuilder, OpenApi, Ref, RefOr, Response, ResponseBuilder};
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

/// Document the refusals every operation can give before its handler runs: a body that is
/// not JSON of the right shape (400, or 415 without a JSON content type) and path or query
/// parameters that do not decode (400). All are the `Failure` envelope naming the problem.
pub fn document_rejections(doc: &mut OpenApi) {
    for item in doc.paths.paths.values_mut() {
        let operations = [
            &mut item.get,
            &mut item.put,
            &mut item.post,
            &mut item.delete,
            &mut item.patch,
        ];
        for operation in operations.into_iter().flatten() {
            let has_params = operation.parameters.as_ref().is_some_and(|p| !p.is_empty());
            let has_body = operation.request_body.is_some();
            let responses = &mut operation.responses.responses;
            if has_params || has_body {
                responses
                    .entry("400".into())
                    .or_insert_with(|| failure("Invalid parameter or body (the message names it)"));
            }
            if has_body {
                responses.entry("415".into()).or_insert_with(|| {
                    failure("The body is not sent as Content-Type: application/json")
                });
            }
        }
    }
}

fn failure(description: &str) -> RefOr<Response> {
    RefOr::T(
        ResponseBuilder::new()
            .description(description)
            .content(
                "application/json",
                ContentBuilder::new()
                    .schema(Some(Ref::from_schema_name("Failure")))
                    .build(),
            )
            .build(),
    )
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
            ("/api/v1/servers/{name}/logs/stream", "get"),
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
        // Extractor refusals are documented (schemathesis found them undocumented).
        let patch = &doc["paths"]["/api/v1/servers/{name}"]["patch"]["responses"];
        assert!(
            patch["400"].is_object() && patch["415"].is_object(),
            "{patch}"
        );
        let activity = &doc["paths"]["/api/v1/activity/{id}"]["get"]["responses"];
        assert!(activity["400"].is_object(), "{activity}");
        let export = &doc["paths"]["/api/v1/activity/export"]["get"]["responses"]["200"];
        assert!(
            export["content"]["application/x-ndjson"].is_object(),
            "{export}"
        );
        assert_eq!(
            doc["paths"]["/api/v1/healthz"]["get"]["security"],
            serde_json::json!([{}])
        );
    }
}
