//! MCPProxy core: one local MCP endpoint in front of many upstream MCP servers.

pub mod api;
pub mod catalog;
pub mod cli;
pub mod config;
pub mod core;
pub mod docker;
pub mod events;
pub mod instance_lock;
pub mod manage;
pub mod mcp;
pub mod quarantine;
pub mod runner;
pub mod secrets;
pub mod server;
pub mod shell;
pub mod store;
pub mod upstream;
