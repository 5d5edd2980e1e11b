//! Server management shared by every surface (REST, CLI via REST, MCP `upstream_servers`):
//! the redacted server object, JSON Merge Patch of server definitions, and the operations
//! that change the config through [`crate::core::Core::mutate_config`].

pub mod actor;
pub mod audit;
pub mod ops;
pub mod patch;
pub mod view;

pub use ops::Actor;
pub use view::{redacted_config, server_view, server_views, ServerView};
