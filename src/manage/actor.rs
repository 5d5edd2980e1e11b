//! Who asks for a change, by surface. The one line MCPProxy draws: an AI client (anything on
//! `/mcp*`) versus a person (REST with the key, CLI, web UI, tray, the config file). The
//! surface is also what the activity log records as `source`.

use http::HeaderMap;

/// Header with which the CLI, web UI and tray name themselves to the REST API.
pub const SOURCE_HEADER: &str = "X-MCPProxy-Source";

/// The surface a change or decision came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Actor {
    /// An AI client on `/mcp`, `/mcp/all` or `/mcp/server/*`.
    Mcp,
    /// A person through the REST API (no or an unknown `X-MCPProxy-Source`).
    Api,
    /// A person through the CLI.
    Cli,
    /// A person through the web UI.
    Ui,
    /// A person through the tray menu.
    Tray,
    /// A person editing `mcp_config.json`.
    File,
}

impl Actor {
    /// Only MCP clients are AI clients; they never lift a quarantine nor get something run
    /// that a person did not approve.
    pub fn is_ai_client(self) -> bool {
        self == Actor::Mcp
    }

    /// Name recorded in the activity log (`source`).
    pub fn as_str(self) -> &'static str {
        match self {
            Actor::Mcp => "mcp",
            Actor::Api => "api",
            Actor::Cli => "cli",
            Actor::Ui => "ui",
            Actor::Tray => "tray",
            Actor::File => "file",
        }
    }

    /// The person behind a REST request: `X-MCPProxy-Source: cli|ui|tray`, else `api`.
    pub fn from_headers(headers: &HeaderMap) -> Self {
        match headers
            .get(SOURCE_HEADER)
            .and_then(|v| v.to_str().ok())
            .map(str::trim)
        {
            Some("cli") => Actor::Cli,
            Some("ui") => Actor::Ui,
            Some("tray") => Actor::Tray,
            _ => Actor::Api,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rest_requests_name_their_surface_and_cannot_claim_to_be_mcp_or_file() {
        let mut headers = HeaderMap::new();
        assert_eq!(Actor::from_headers(&headers), Actor::Api);
        for (value, actor) in [
            ("cli", Actor::Cli),
            ("ui", Actor::Ui),
            ("tray", Actor::Tray),
            ("mcp", Actor::Api),
            ("file", Actor::Api),
        ] {
            headers.insert(SOURCE_HEADER, value.parse().unwrap());
            assert_eq!(Actor::from_headers(&headers), actor, "{value}");
        }
        assert!(Actor::Mcp.is_ai_client());
        assert!(!Actor::Tray.is_ai_client());
    }
}
