//! Docker isolation settings: global `docker_isolation` and per-server `isolation`.
//!
//! Values are kept as written (defaults are applied when a container is planned, see
//! [`crate::docker::plan`]) so that a load/save round trip does not inject fields.

use indexmap::IndexMap;
use serde::{Deserialize, Deserializer, Serialize};
use serde_json::{Map, Value};

/// Global `docker_isolation` settings.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
pub struct DockerIsolationConfig {
    /// Master switch: stdio servers run in containers only when this is true.
    #[serde(default)]
    pub enabled: bool,
    /// Memory limit per container, e.g. "512m" (default "512m").
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "string_or_number"
    )]
    pub memory_limit: Option<String>,
    /// CPU limit per container in CPUs, e.g. "1.0" (default "1.0").
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "string_or_number"
    )]
    pub cpu_limit: Option<String>,
    /// Docker network mode: "bridge" (default), "none", "host" or a network name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub network_mode: Option<String>,
    /// Image per runtime (command name such as "npx" or "uvx"); merged over the built-in table.
    #[serde(default, skip_serializing_if = "IndexMap::is_empty")]
    pub default_images: IndexMap<String, String>,
    /// Extra `docker run` options applied to every container (a supported subset).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub extra_args: Vec<String>,
    /// Unknown fields, preserved on save.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// Per-server `isolation` settings.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
pub struct IsolationConfig {
    /// `false` runs this server on the host even when isolation is on globally.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub enabled: Option<bool>,
    /// Image for this server (overrides the runtime default).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub image: Option<String>,
    /// Network mode for this server (overrides the global one).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub network_mode: Option<String>,
    /// Extra `docker run` options for this server, after the global ones.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub extra_args: Vec<String>,
    /// Working directory inside the container (absolute path).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub working_dir: Option<String>,
    /// Unknown fields, preserved on save.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// Accept `"1.0"` as well as `1.0` (and `536870912`) for limit fields.
fn string_or_number<'de, D: Deserializer<'de>>(de: D) -> Result<Option<String>, D::Error> {
    match Option::<Value>::deserialize(de)? {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s)),
        Some(Value::Number(n)) => Ok(Some(n.to_string())),
        Some(other) => Err(serde::de::Error::custom(format!(
            "expected a string such as \"512m\" or a number, found {other}"
        ))),
    }
}

/// A validation problem: (field, message, fix).
pub type Problem = (String, String, String);

fn problem(field: String, message: impl Into<String>, fix: impl Into<String>) -> Problem {
    (field, message.into(), fix.into())
}

/// Check the global settings; fields are named `docker_isolation.*`.
pub fn validate_global(cfg: &DockerIsolationConfig) -> Result<(), Problem> {
    let at = |f: &str| format!("docker_isolation.{f}");
    if let Some(mem) = &cfg.memory_limit {
        crate::docker::limits::parse_memory(mem).map_err(|m| {
            problem(
                at("memory_limit"),
                m,
                "use a size like \"512m\", \"1g\" or \"268435456\" (at least 6m)",
            )
        })?;
    }
    if let Some(cpu) = &cfg.cpu_limit {
        crate::docker::limits::parse_cpus(cpu).map_err(|m| {
            problem(
                at("cpu_limit"),
                m,
                "use a positive number of CPUs like \"1.0\" or \"0.5\"",
            )
        })?;
    }
    if let Some(mode) = &cfg.network_mode {
        validate_network_mode(mode).map_err(|(m, f)| problem(at("network_mode"), m, f))?;
    }
    for (runtime, image) in &cfg.default_images {
        if image.trim().is_empty() {
            return Err(problem(
                at(&format!("default_images.{runtime}")),
                "image is empty",
                "give an image reference like \"node:20\" or remove the entry",
            ));
        }
    }
    crate::docker::args::parse(&cfg.extra_args)
        .map_err(|e| problem(at(&format!("extra_args[{}]", e.index)), e.message, e.fix))?;
    Ok(())
}

/// Check one server's `isolation`; `at` turns a sub-field into its full path.
pub fn validate_server_isolation(
    cfg: &IsolationConfig,
    at: &dyn Fn(&str) -> String,
) -> Result<(), Problem> {
    if let Some(image) = &cfg.image {
        if image.trim().is_empty() {
            return Err(problem(
                at("isolation.image"),
                "image is empty",
                "give an image reference like \"node:20\" or remove the field to use the runtime default",
            ));
        }
    }
    if let Some(mode) = &cfg.network_mode {
        validate_network_mode(mode)
            .map_err(|(m, f)| problem(at("isolation.network_mode"), m, f))?;
    }
    if let Some(dir) = &cfg.working_dir {
        if !dir.starts_with('/') {
            return Err(problem(
                at("isolation.working_dir"),
                format!("`{dir}` is not an absolute path inside the container"),
                "use an absolute container path such as \"/app\"",
            ));
        }
    }
    crate::docker::args::parse(&cfg.extra_args).map_err(|e| {
        problem(
            at(&format!("isolation.extra_args[{}]", e.index)),
            e.message,
            e.fix,
        )
    })?;
    Ok(())
}

fn validate_network_mode(mode: &str) -> Result<(), (String, String)> {
    if mode.trim().is_empty() || mode.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err((
            format!("`{mode}` is not a network mode"),
            "use \"bridge\", \"none\", \"host\" or the name of a Docker network".into(),
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_are_accepted_for_limits_and_unknown_fields_kept() {
        let cfg: DockerIsolationConfig = serde_json::from_value(serde_json::json!({
            "enabled": true, "cpu_limit": 1.5, "memory_limit": "256m", "registry": "docker.io"
        }))
        .unwrap();
        assert_eq!(cfg.cpu_limit.as_deref(), Some("1.5"));
        assert_eq!(cfg.extra["registry"], "docker.io");
        let back = serde_json::to_value(&cfg).unwrap();
        assert_eq!(back["registry"], "docker.io");
        assert!(back.get("network_mode").is_none(), "no defaults injected");
    }

    #[test]
    fn problems_name_the_field() {
        let cfg = DockerIsolationConfig {
            memory_limit: Some("lots".into()),
            ..Default::default()
        };
        assert_eq!(
            validate_global(&cfg).unwrap_err().0,
            "docker_isolation.memory_limit"
        );
        let cfg = DockerIsolationConfig {
            extra_args: vec!["--read-only".into(), "--privileged".into()],
            ..Default::default()
        };
        assert_eq!(
            validate_global(&cfg).unwrap_err().0,
            "docker_isolation.extra_args[1]"
        );
        let server = IsolationConfig {
            working_dir: Some("app".into()),
            ..Default::default()
        };
        let err =
            validate_server_isolation(&server, &|f| format!("mcpServers[0].{f}")).unwrap_err();
        assert_eq!(err.0, "mcpServers[0].isolation.working_dir");
    }
}
