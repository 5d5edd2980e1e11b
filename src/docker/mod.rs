//! Docker isolation of stdio servers (bollard): each isolated server runs in its own
//! container with stdin/stdout as the MCP transport, stderr in the server log, resource
//! limits, labels naming the proxy instance and server, and an init process.

pub mod args;
pub mod container;
pub mod image;
pub mod isolator;
pub mod limits;
pub mod plan;
pub mod runtime;
pub mod status;
pub mod transport;

pub use isolator::Isolator;
pub use runtime::{docker_host, instance_id, DockerRuntime};
pub use status::{DockerStatus, ImagePullEvent, IsolationStatus, ManagedContainer, PullPhase};
