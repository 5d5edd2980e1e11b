//! The rmcp client handler used for every upstream connection.

use super::logfile::ServerLog;
use super::progress::ProgressRouter;
#[allow(deprecated)]
use rmcp::model::LoggingMessageNotificationParam;
use rmcp::model::{
    ClientCapabilities, ClientConfig, Implementation, ProgressNotificationParam, ProtocolVersion,
};
use rmcp::service::NotificationContext;
use rmcp::{ClientHandler, RoleClient};
use tokio::sync::mpsc;

/// Things an upstream tells its supervisor between requests.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UpstreamSignal {
    /// `notifications/tools/list_changed` arrived.
    ToolsChanged,
}

/// Client-side handler: forwards notifications to the supervisor, progress router and log.
pub struct UpstreamClient {
    server: String,
    signals: mpsc::UnboundedSender<UpstreamSignal>,
    progress: ProgressRouter,
    log: ServerLog,
}

impl UpstreamClient {
    /// Handler for server `server`.
    pub fn new(
        server: &str,
        signals: mpsc::UnboundedSender<UpstreamSignal>,
        progress: ProgressRouter,
        log: ServerLog,
    ) -> Self {
        Self {
            server: server.to_string(),
            signals,
            progress,
            log,
        }
    }
}

impl ClientHandler for UpstreamClient {
    fn get_info(&self) -> ClientConfig {
        ClientConfig::new(
            ClientCapabilities::default(),
            Implementation::new("mcpproxy", env!("CARGO_PKG_VERSION")),
        )
        .with_protocol_version(ProtocolVersion::LATEST_WITH_INITIALIZE)
    }

    async fn on_tool_list_changed(&self, _context: NotificationContext<RoleClient>) {
        let _ = self.signals.send(UpstreamSignal::ToolsChanged);
    }

    async fn on_progress(
        &self,
        params: ProgressNotificationParam,
        _context: NotificationContext<RoleClient>,
    ) {
        self.progress.forward(&self.server, params).await;
    }

    #[allow(deprecated)] // upstreams on protocol versions before SEP-2577 still send logs
    async fn on_logging_message(
        &self,
        params: LoggingMessageNotificationParam,
        _context: NotificationContext<RoleClient>,
    ) {
        self.log
            .event(&format!("log {:?}: {}", params.level, params.data));
    }
}
