//! The top-level `environment` block: which of MCPProxy's own environment variables a stdio
//! upstream inherits (the reference product's `inherit_system_safe` / `allowed_system_vars` /
//! `custom_vars`). Kept as written so a load/save round trip injects nothing; the defaults
//! live in [`crate::upstream::child_env`], where the child's environment is built.

use indexmap::IndexMap;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// `environment` settings.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
pub struct EnvironmentConfig {
    /// Pass the allow-listed variables of MCPProxy's own environment (default true).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub inherit_system_safe: Option<bool>,
    /// Names (or `PREFIX_*` patterns) allowed through; when given, replaces the default list.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub allowed_system_vars: Option<Vec<String>>,
    /// Variables added to every stdio upstream's environment (a server's `env` wins).
    #[serde(default, skip_serializing_if = "IndexMap::is_empty")]
    pub custom_vars: IndexMap<String, String>,
    /// Same as the top-level `forward_proxy_env` (either one turns forwarding on).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub forward_proxy_env: Option<bool>,
    /// Unknown fields (e.g. the reference's `enhance_path`), preserved on save.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}
