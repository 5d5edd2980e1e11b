//! One explanation for a tool call that does not run, whichever surface it came from.
//!
//! `/mcp` (call_tool_*), `/mcp/all`, `/mcp/server/{name}` and REST `POST /api/v1/tools/call`
//! all describe a refused call with a [`Refusal`]: the same status code (`UNKNOWN_TOOL`,
//! `TOOL_APPROVAL_REQUIRED`, `LOGIN_REQUIRED`, …), the same sentence and the same fix (CLI
//! command and REST route). Only the transport's shape differs: a JSON-RPC error, a tool
//! result carrying the explanation, or an HTTP status with the REST envelope.

use crate::catalog::approval::ToolStatus;
use crate::core::Core;
use crate::upstream::ConnectionState;
use rmcp::model::{CallToolResponse, CallToolResult, ContentBlock};
use rmcp::ErrorData as McpError;
use serde_json::{json, Value};

/// Status code of a call to a tool the server does not offer.
pub const UNKNOWN_TOOL: &str = "UNKNOWN_TOOL";
/// Status code of a call to a server that waits for an OAuth login.
pub const LOGIN_REQUIRED: &str = "LOGIN_REQUIRED";
/// Status code of a call to a server that is (re)connecting.
pub const SERVER_UNAVAILABLE: &str = "SERVER_UNAVAILABLE";
/// Status code of a call to a disabled server.
pub const SERVER_DISABLED: &str = "SERVER_DISABLED";

/// Why a call by name is not run.
#[derive(Debug, Clone, PartialEq)]
pub enum Refusal {
    /// No tool of that name is offered (`server` when the name points at a configured server).
    UnknownTool {
        /// The name as the client sent it.
        name: String,
        /// The configured server the name points at, if any.
        server: Option<String>,
    },
    /// The server is quarantined.
    Quarantined {
        /// Server name.
        server: String,
    },
    /// The tool is new or changed since the server's tools were approved.
    NotApproved {
        /// Server name.
        server: String,
        /// Upstream tool name.
        tool: String,
        /// `pending` or `changed`.
        status: ToolStatus,
    },
    /// The server needs an OAuth login by a person.
    LoginRequired {
        /// Server name.
        server: String,
    },
    /// The server is connecting, reconnecting or waiting for its next attempt.
    Unavailable {
        /// Server name.
        server: String,
        /// Its state when the call gave up waiting.
        state: ConnectionState,
        /// Its last connection error (already free of secrets).
        last_error: Option<String>,
    },
    /// The server is disabled.
    Disabled {
        /// Server name.
        server: String,
    },
}

impl Refusal {
    /// The status code shared by every surface (`TOOL_APPROVAL_REQUIRED`, …).
    pub fn code(&self) -> &'static str {
        match self {
            Refusal::UnknownTool { .. } => UNKNOWN_TOOL,
            Refusal::Quarantined { .. } => crate::quarantine::QUARANTINED_SERVER_BLOCKED,
            Refusal::NotApproved { .. } => crate::quarantine::TOOL_APPROVAL_REQUIRED,
            Refusal::LoginRequired { .. } => LOGIN_REQUIRED,
            Refusal::Unavailable { .. } => SERVER_UNAVAILABLE,
            Refusal::Disabled { .. } => SERVER_DISABLED,
        }
    }

    /// The server the refusal is about, if any.
    pub fn server(&self) -> Option<&str> {
        match self {
            Refusal::UnknownTool { server, .. } => server.as_deref(),
            Refusal::Quarantined { server }
            | Refusal::NotApproved { server, .. }
            | Refusal::LoginRequired { server }
            | Refusal::Unavailable { server, .. }
            | Refusal::Disabled { server } => Some(server),
        }
    }

    /// What is wrong, in one sentence.
    fn what(&self) -> String {
        match self {
            Refusal::UnknownTool { name, server } => match server {
                Some(server) => {
                    format!("Unknown tool: {name} (server `{server}` does not offer it).")
                }
                None => format!("Unknown tool: {name}."),
            },
            Refusal::Quarantined { server } => format!(
                "Server `{server}` is quarantined: its tools cannot be used until a person reviews and approves it."
            ),
            Refusal::NotApproved {
                server,
                tool,
                status,
            } => {
                let why = match status {
                    ToolStatus::Changed => {
                        "its definition changed since it was approved (possible rug pull)"
                    }
                    _ => "it is new since the server was approved",
                };
                format!("Tool `{server}:{tool}` is blocked because {why}.")
            }
            Refusal::LoginRequired { server } => format!(
                "Server `{server}` needs an OAuth login before its tools can be used; it waits for a person to log in (it does not reconnect by itself)."
            ),
            Refusal::Unavailable {
                server,
                state,
                last_error,
            } => format!(
                "Server `{server}` is reconnecting (state: {}{}); its tools are back once it is connected.",
                state.as_str(),
                last_error
                    .as_ref()
                    .map(|e| format!(", last error: {e}"))
                    .unwrap_or_default()
            ),
            Refusal::Disabled { server } => format!("Server `{server}` is disabled."),
        }
    }

    /// How to get past it: who does what, with the CLI command and the REST route.
    pub fn fix(&self) -> String {
        match self {
            Refusal::UnknownTool { .. } => {
                "List the tools again (tools/list; on /mcp use retrieve_tools) and call one that is offered.".into()
            }
            Refusal::Quarantined { server } => format!(
                "Approve it in the MCPProxy web UI or tray, with `mcpproxy upstream approve {server}`, or with \
                 POST /api/v1/servers/{server}/unquarantine. AI clients cannot approve servers."
            ),
            Refusal::NotApproved { server, tool, .. } => format!(
                "A person must review it (GET /api/v1/servers/{server}/tools/{tool}/diff) and approve it in the web UI, \
                 with `mcpproxy upstream approve-tools {server} {tool}`, or with POST /api/v1/servers/{server}/tools/approve."
            ),
            Refusal::LoginRequired { server } => format!(
                "A person logs in with `mcpproxy auth login --server {server}`, the Login button in the web UI or tray, \
                 or POST /api/v1/servers/{server}/login; calls work again after that."
            ),
            Refusal::Unavailable { server, .. } => format!(
                "Retry in a few seconds; `mcpproxy upstream list` or GET /api/v1/servers shows whether `{server}` is ready, \
                 `mcpproxy upstream logs {server}` why it is not."
            ),
            Refusal::Disabled { server } => format!(
                "A person enables it with `mcpproxy upstream enable {server}`, in the web UI, or with POST /api/v1/servers/{server}/enable."
            ),
        }
    }

    /// The full sentence: what is wrong, then the fix.
    pub fn message(&self) -> String {
        format!("{} {}", self.what(), self.fix())
    }

    /// The explanation object every surface carries (`status`, `server`, `tool`, `message`, `fix`).
    pub fn explanation(&self) -> Value {
        let mut value = json!({
            "status": self.code(),
            "message": self.message(),
            "fix": self.fix(),
        });
        if let Some(server) = self.server() {
            value["server"] = json!(server);
        }
        match self {
            Refusal::NotApproved { tool, status, .. } => {
                value["tool"] = json!(tool);
                value["approval_status"] = json!(status);
            }
            Refusal::UnknownTool { name, .. } => value["tool"] = json!(name),
            Refusal::Unavailable { state, .. } => value["state"] = json!(state.as_str()),
            _ => {}
        }
        value
    }

    /// A person's decision (quarantine, tool approval) rather than a failure: such calls are
    /// recorded as `blocked` and answered on `/mcp` and `/mcp/all` as a normal result, so
    /// the model relays them instead of retrying.
    pub fn is_policy(&self) -> bool {
        matches!(
            self,
            Refusal::Quarantined { .. } | Refusal::NotApproved { .. }
        )
    }

    /// The JSON-RPC error: `-32602` for an unknown tool (the form the MCP spec gives),
    /// `-32600` otherwise; `data` is the explanation.
    pub fn to_mcp_error(&self) -> McpError {
        let data = Some(self.explanation());
        match self {
            Refusal::UnknownTool { .. } => McpError::invalid_params(self.message(), data),
            _ => McpError::invalid_request(self.message(), data),
        }
    }

    /// The tool result `/mcp` and `/mcp/all` answer with: the explanation as structured
    /// content and as text; `isError` unless it is a person's decision ([`Self::is_policy`]).
    pub fn to_tool_result(&self) -> CallToolResult {
        let explanation = self.explanation();
        let text = serde_json::to_string_pretty(&explanation).unwrap_or_default();
        let mut result = if self.is_policy() {
            CallToolResult::success(vec![ContentBlock::text(text)])
        } else {
            CallToolResult::error(vec![ContentBlock::text(text)])
        };
        result.structured_content = Some(explanation);
        result
    }

    /// The HTTP status of REST's answer.
    pub fn http_status(&self) -> http::StatusCode {
        match self {
            Refusal::UnknownTool { .. } => http::StatusCode::NOT_FOUND,
            Refusal::Quarantined { .. } | Refusal::NotApproved { .. } => {
                http::StatusCode::FORBIDDEN
            }
            Refusal::Disabled { .. } => http::StatusCode::CONFLICT,
            Refusal::LoginRequired { .. } | Refusal::Unavailable { .. } => {
                http::StatusCode::SERVICE_UNAVAILABLE
            }
        }
    }
}

/// Record a refused call in the activity log when it is a person's decision (`blocked`).
pub fn record(core: &Core, surface: &str, name: &str, refusal: &Refusal) {
    if refusal.is_policy() {
        crate::quarantine::record_blocked(core, surface, name, &refusal.explanation());
    }
}

/// How `/mcp` and `/mcp/all` answer a refused call to `name`: an unknown tool is a JSON-RPC
/// error in the spec's form, everything else a tool result carrying the explanation.
pub fn answer_call(
    core: &Core,
    name: &str,
    refusal: &Refusal,
) -> Result<CallToolResponse, McpError> {
    record(core, "mcp", name, refusal);
    match refusal {
        Refusal::UnknownTool { .. } => Err(refusal.to_mcp_error()),
        _ => Ok(refusal.to_tool_result().into()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unknown_tool_uses_the_spec_form() {
        let refusal = Refusal::UnknownTool {
            name: "nope".into(),
            server: Some("fx".into()),
        };
        let err = refusal.to_mcp_error();
        assert_eq!(err.code.0, -32602);
        assert!(
            err.message.starts_with("Unknown tool: nope"),
            "{}",
            err.message
        );
        assert!(!err.message.contains("approve"), "{}", err.message);
        assert_eq!(err.data.unwrap()["status"], UNKNOWN_TOOL);
        assert_eq!(refusal.http_status(), 404);
    }

    #[test]
    fn every_refusal_names_its_fix_in_the_message_and_the_data() {
        let all = [
            Refusal::Quarantined { server: "s".into() },
            Refusal::NotApproved {
                server: "s".into(),
                tool: "t".into(),
                status: ToolStatus::Changed,
            },
            Refusal::LoginRequired { server: "s".into() },
            Refusal::Unavailable {
                server: "s".into(),
                state: ConnectionState::Error,
                last_error: Some("refused".into()),
            },
            Refusal::Disabled { server: "s".into() },
        ];
        for refusal in all {
            let explanation = refusal.explanation();
            let message = explanation["message"].as_str().unwrap();
            let fix = explanation["fix"].as_str().unwrap();
            assert!(message.ends_with(fix), "{message}");
            assert!(
                fix.contains("mcpproxy ") && fix.contains("/api/v1/"),
                "{fix}"
            );
            assert_eq!(explanation["server"], "s");
            assert_eq!(refusal.to_mcp_error().code.0, -32600);
        }
        let login = Refusal::LoginRequired { server: "s".into() }.message();
        assert!(login.contains("mcpproxy auth login --server s"), "{login}");
        assert!(!login.contains("retry shortly"), "{login}");
    }
}
