//! Serializable status of Docker isolation, for REST, SSE and `upstream_servers list`.

use serde::Serialize;

/// Isolation of one server, as shown in its server object (`"isolation": {...}`).
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct IsolationStatus {
    /// True when the server runs (or will run) in a container.
    pub enabled: bool,
    /// Why the server is not isolated, or why isolation cannot be used.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// Image in use.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub image: Option<String>,
    /// Runtime the image was chosen by ("npx", "uvx", …, "image" when set per server).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub runtime: Option<String>,
    /// Docker network mode.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub network_mode: Option<String>,
    /// Memory limit (e.g. "512m").
    #[serde(skip_serializing_if = "Option::is_none")]
    pub memory_limit: Option<String>,
    /// CPU limit (e.g. "1.0").
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cpu_limit: Option<String>,
    /// Current container id.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub container_id: Option<String>,
    /// Current container name.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub container_name: Option<String>,
    /// Container lifecycle: "pending", "pulling_image", "creating", "running", "removed",
    /// "docker_unavailable" or "error".
    #[serde(skip_serializing_if = "Option::is_none")]
    pub container_state: Option<String>,
}

/// A container this proxy instance owns.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ManagedContainer {
    /// Container id.
    pub id: String,
    /// Server it runs.
    pub server: String,
    /// Image.
    pub image: String,
    /// Docker state ("running", "exited", …).
    pub state: String,
    /// Docker's human status ("Up 3 minutes").
    pub status: String,
}

/// Answer of `GET /api/v1/docker/status`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DockerStatus {
    /// `docker_isolation.enabled`.
    pub isolation_enabled: bool,
    /// True when the daemon answered.
    pub available: bool,
    /// Where the daemon is expected (DOCKER_HOST or the default socket).
    pub host: String,
    /// Daemon version (e.g. "20.10.24").
    #[serde(skip_serializing_if = "Option::is_none")]
    pub server_version: Option<String>,
    /// API version in use after negotiation.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub api_version: Option<String>,
    /// Why the daemon is unavailable.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// Label value identifying this proxy instance's containers.
    pub instance_id: String,
    /// Containers of this instance.
    pub containers: Vec<ManagedContainer>,
}

/// Phase of an image pull.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum PullPhase {
    /// The image is missing locally; the pull begins.
    Started,
    /// A layer's status or byte count changed.
    Progress,
    /// The image is now present.
    Done,
    /// The pull failed (`error` explains).
    Failed,
}

/// One image pull notification (`CoreEvent::DockerPull`; SSE event `docker.pull`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ImagePullEvent {
    /// Server the image is for.
    pub server: String,
    /// Image reference.
    pub image: String,
    /// Phase.
    pub phase: PullPhase,
    /// Layer the message is about.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub layer: Option<String>,
    /// Docker's status text.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status: Option<String>,
    /// Bytes done for the layer.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub current: Option<i64>,
    /// Layer size.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub total: Option<i64>,
    /// Why the pull failed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}
