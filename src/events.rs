//! In-process event bus between the upstream supervisors, the catalog and the surfaces.

use tokio::sync::broadcast;

/// Something changed inside the core.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CoreEvent {
    /// An upstream's state or tool list changed.
    ServerChanged {
        /// Server name.
        name: String,
    },
    /// The merged tool catalog was rebuilt.
    CatalogChanged,
    /// Tool approvals of a server changed.
    ApprovalsChanged {
        /// Server name.
        server: String,
    },
    /// The config file was written by the core.
    ConfigSaved,
    /// Progress of a Docker image pull for an isolated server.
    DockerPull(crate::docker::ImagePullEvent),
}

/// Broadcast channel of [`CoreEvent`]s; cheap to clone.
#[derive(Debug, Clone)]
pub struct EventBus {
    sender: broadcast::Sender<CoreEvent>,
}

impl Default for EventBus {
    fn default() -> Self {
        Self::new()
    }
}

impl EventBus {
    /// A bus with room for 1024 pending events per subscriber.
    pub fn new() -> Self {
        let (sender, _) = broadcast::channel(1024);
        Self { sender }
    }

    /// Publish an event (no-op without subscribers).
    pub fn publish(&self, event: CoreEvent) {
        let _ = self.sender.send(event);
    }

    /// Subscribe to future events.
    pub fn subscribe(&self) -> broadcast::Receiver<CoreEvent> {
        self.sender.subscribe()
    }
}
