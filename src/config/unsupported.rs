//! Security settings of the reference MCPProxy that this version does not implement. A file
//! carried over from the reference may rely on them, so each one present gets a start-up
//! warning naming it instead of being silently accepted and ignored.

use super::Config;
use serde_json::Value;

/// Top-level keys the reference uses for security and this version does not implement
/// (keys that become implemented leave `extra`, so they stop warning by themselves).
pub const UNIMPLEMENTED_SECURITY_KEYS: &[&str] = &[
    "enable_code_execution",
    "sensitive_data_detection",
    "environment",
    "tls",
    "trusted_proxies",
    "enable_socket",
];

/// The unimplemented security keys set in `config` (to something other than off/empty).
pub fn unimplemented_security_keys(config: &Config) -> Vec<&'static str> {
    UNIMPLEMENTED_SECURITY_KEYS
        .iter()
        .copied()
        .filter(|key| match config.extra.get(*key) {
            None | Some(Value::Null) | Some(Value::Bool(false)) => false,
            Some(Value::Array(a)) => !a.is_empty(),
            Some(Value::Object(o)) => {
                !o.is_empty() && o.get("enabled") != Some(&Value::Bool(false))
            }
            Some(_) => true,
        })
        .collect()
}

/// Log one warning per unimplemented security key set in `config`.
pub fn warn_unimplemented(config: &Config) {
    for key in unimplemented_security_keys(config) {
        tracing::warn!(
            key,
            "`{key}` in mcp_config.json is a security setting of the reference MCPProxy that this version does not implement; it has no effect"
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_only_keys_that_are_set() {
        let config: Config = serde_json::from_value(serde_json::json!({
            "enable_code_execution": true,
            "enable_socket": false,
            "tls": {"enabled": false},
            "trusted_proxies": ["10.0.0.1"],
            "read_only_mode": true
        }))
        .unwrap();
        assert_eq!(
            unimplemented_security_keys(&config),
            vec!["enable_code_execution", "trusted_proxies"]
        );
    }
}
