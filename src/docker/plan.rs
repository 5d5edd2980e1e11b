//! Deciding whether a server runs in a container, and with which image and limits.

use super::args::{self, ExtraArgs};
use super::limits;
use crate::config::{DockerIsolationConfig, Protocol, ServerConfig};

/// Memory limit when `docker_isolation.memory_limit` is not set.
pub const DEFAULT_MEMORY_LIMIT: &str = "512m";
/// CPU limit when `docker_isolation.cpu_limit` is not set.
pub const DEFAULT_CPU_LIMIT: &str = "1.0";
/// Network mode when neither the server nor the global settings name one.
pub const DEFAULT_NETWORK_MODE: &str = "bridge";

/// Built-in runtime → image table (`docker_isolation.default_images` entries win).
pub const DEFAULT_IMAGES: &[(&str, &str)] = &[
    ("node", "node:20"),
    ("npm", "node:20"),
    ("npx", "node:20"),
    ("yarn", "node:20"),
    ("python", "python:3.11"),
    ("python3", "python:3.11"),
    ("pip", "python:3.11"),
    ("pipx", "python:3.11"),
    ("uvx", "ghcr.io/astral-sh/uv:python3.11-bookworm"),
    ("uv", "ghcr.io/astral-sh/uv:python3.11-bookworm"),
    ("go", "golang:1.21-alpine"),
    ("ruby", "ruby:3.2-alpine"),
    ("gem", "ruby:3.2-alpine"),
    ("php", "php:8.2-cli-alpine"),
    ("sh", "alpine:3.18"),
    ("bash", "alpine:3.18"),
    ("binary", "alpine:3.18"),
];

/// How an isolated server's container is set up.
#[derive(Debug, Clone, PartialEq)]
pub struct IsolationPlan {
    /// Image reference.
    pub image: String,
    /// Runtime key the image was chosen by ("npx", "uvx", …, "binary"), or "image" when set per server.
    pub runtime: String,
    /// Docker network mode.
    pub network_mode: String,
    /// Memory limit as configured (e.g. "512m").
    pub memory_limit: String,
    /// Memory limit in bytes.
    pub memory_bytes: i64,
    /// CPU limit as configured (e.g. "1.0").
    pub cpu_limit: String,
    /// CPU limit in NanoCPUs.
    pub nano_cpus: i64,
    /// Working directory inside the container.
    pub working_dir: Option<String>,
    /// Global then per-server `extra_args`.
    pub extra: ExtraArgs,
}

/// Outcome of [`decide`] for one server.
#[derive(Debug, Clone, PartialEq)]
pub enum Decision {
    /// Not a stdio server: isolation does not apply.
    NotApplicable,
    /// A stdio server that runs on the host, and why.
    Off(String),
    /// Run in a container.
    On(Box<IsolationPlan>),
    /// Isolation is wanted but the settings are unusable (message names the field).
    Invalid(String),
}

/// True when `server` is started as a local process.
pub fn is_stdio(server: &ServerConfig) -> bool {
    let has_command = server
        .command
        .as_deref()
        .is_some_and(|c| !c.trim().is_empty());
    match server.protocol {
        Protocol::Stdio => true,
        Protocol::Auto => has_command,
        _ => false,
    }
}

/// Runtime key of a command: its file name without directories or a Windows extension.
pub fn runtime_of(command: &str) -> String {
    let base = command.rsplit(['/', '\\']).next().unwrap_or(command);
    let base = base
        .strip_suffix(".exe")
        .or_else(|| base.strip_suffix(".cmd"))
        .unwrap_or(base);
    base.to_string()
}

/// Image for `runtime`: configured table first, then the built-in one, then the "binary" entry.
pub fn image_for(global: &DockerIsolationConfig, runtime: &str) -> (String, String) {
    let lookup = |key: &str| {
        global.default_images.get(key).cloned().or_else(|| {
            DEFAULT_IMAGES
                .iter()
                .find(|(k, _)| *k == key)
                .map(|(_, v)| v.to_string())
        })
    };
    match lookup(runtime) {
        Some(image) => (runtime.to_string(), image),
        None => (
            "binary".to_string(),
            lookup("binary").unwrap_or_else(|| "alpine:3.18".into()),
        ),
    }
}

/// Decide how `server` runs given the global settings.
pub fn decide(global: Option<&DockerIsolationConfig>, server: &ServerConfig) -> Decision {
    if !is_stdio(server) {
        return Decision::NotApplicable;
    }
    let local = server.isolation.clone().unwrap_or_default();
    let default_global = DockerIsolationConfig::default();
    let global = global.unwrap_or(&default_global);
    if !global.enabled {
        return Decision::Off(if local.enabled == Some(true) {
            "docker_isolation.enabled is false, so this server's isolation.enabled is ignored; set docker_isolation.enabled to true to isolate it".into()
        } else {
            "docker_isolation.enabled is false".into()
        });
    }
    if local.enabled == Some(false) {
        return Decision::Off("isolation.enabled is false for this server".into());
    }
    let runtime = runtime_of(server.command.as_deref().unwrap_or_default());
    if matches!(runtime.as_str(), "docker" | "podman") {
        return Decision::Off("the command already starts a container".into());
    }
    match plan(global, &local, &runtime) {
        Ok(plan) => Decision::On(Box::new(plan)),
        Err(message) => Decision::Invalid(message),
    }
}

fn plan(
    global: &DockerIsolationConfig,
    local: &crate::config::IsolationConfig,
    runtime: &str,
) -> Result<IsolationPlan, String> {
    let memory_limit = global
        .memory_limit
        .clone()
        .unwrap_or_else(|| DEFAULT_MEMORY_LIMIT.into());
    let memory_bytes = limits::parse_memory(&memory_limit)
        .map_err(|m| format!("docker_isolation.memory_limit: {m}"))?;
    let cpu_limit = global
        .cpu_limit
        .clone()
        .unwrap_or_else(|| DEFAULT_CPU_LIMIT.into());
    let nano_cpus =
        limits::parse_cpus(&cpu_limit).map_err(|m| format!("docker_isolation.cpu_limit: {m}"))?;
    let global_extra = args::parse(&global.extra_args).map_err(|e| {
        format!(
            "docker_isolation.extra_args[{}]: {}; {}",
            e.index, e.message, e.fix
        )
    })?;
    let local_extra = args::parse(&local.extra_args).map_err(|e| {
        format!(
            "isolation.extra_args[{}]: {}; {}",
            e.index, e.message, e.fix
        )
    })?;
    let (runtime, image) = match local.image.clone().filter(|i| !i.trim().is_empty()) {
        Some(image) => ("image".to_string(), image),
        None => image_for(global, runtime),
    };
    let network_mode = local
        .network_mode
        .clone()
        .or_else(|| global.network_mode.clone())
        .unwrap_or_else(|| DEFAULT_NETWORK_MODE.into());
    Ok(IsolationPlan {
        image,
        runtime,
        network_mode,
        memory_limit,
        memory_bytes,
        cpu_limit,
        nano_cpus,
        working_dir: local.working_dir.clone(),
        extra: global_extra.merge(local_extra),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn server(v: serde_json::Value) -> ServerConfig {
        serde_json::from_value(v).unwrap()
    }

    fn global(v: serde_json::Value) -> DockerIsolationConfig {
        serde_json::from_value(v).unwrap()
    }

    #[test]
    fn global_switch_gates_everything() {
        let s =
            server(json!({"name":"a","command":"npx","args":["x"],"isolation":{"enabled":true}}));
        match decide(None, &s) {
            Decision::Off(reason) => {
                assert!(reason.contains("docker_isolation.enabled"), "{reason}")
            }
            other => panic!("{other:?}"),
        }
        let http = server(json!({"name":"h","url":"http://127.0.0.1:1/mcp"}));
        assert_eq!(
            decide(Some(&global(json!({"enabled":true}))), &http),
            Decision::NotApplicable
        );
    }

    #[test]
    fn runtime_picks_image_and_defaults_apply() {
        let g = global(json!({"enabled":true,"default_images":{"uvx":"my/uv:1"}}));
        let Decision::On(p) = decide(
            Some(&g),
            &server(json!({"name":"a","command":"/usr/bin/npx"})),
        ) else {
            panic!()
        };
        assert_eq!((p.runtime.as_str(), p.image.as_str()), ("npx", "node:20"));
        assert_eq!(p.memory_bytes, 512 << 20);
        assert_eq!(p.nano_cpus, 1_000_000_000);
        assert_eq!(p.network_mode, "bridge");
        let Decision::On(p) = decide(Some(&g), &server(json!({"name":"a","command":"uvx"}))) else {
            panic!()
        };
        assert_eq!(p.image, "my/uv:1");
        let Decision::On(p) = decide(Some(&g), &server(json!({"name":"a","command":"./srv"})))
        else {
            panic!()
        };
        assert_eq!(
            (p.runtime.as_str(), p.image.as_str()),
            ("binary", "alpine:3.18")
        );
    }

    #[test]
    fn per_server_overrides_and_opt_out() {
        let g = global(json!({"enabled":true,"network_mode":"bridge","memory_limit":"256m"}));
        let s = server(
            json!({"name":"a","command":"node","isolation":{"image":"img:1","network_mode":"none","working_dir":"/app"}}),
        );
        let Decision::On(p) = decide(Some(&g), &s) else {
            panic!()
        };
        assert_eq!(p.image, "img:1");
        assert_eq!(p.network_mode, "none");
        assert_eq!(p.memory_bytes, 256 << 20);
        assert_eq!(p.working_dir.as_deref(), Some("/app"));
        let off = server(json!({"name":"a","command":"node","isolation":{"enabled":false}}));
        assert!(matches!(decide(Some(&g), &off), Decision::Off(_)));
        let docker = server(json!({"name":"a","command":"docker","args":["run","-i","x"]}));
        assert!(matches!(decide(Some(&g), &docker), Decision::Off(_)));
    }

    #[test]
    fn bad_settings_are_reported_not_ignored() {
        let g = global(json!({"enabled":true,"cpu_limit":"lots"}));
        match decide(Some(&g), &server(json!({"name":"a","command":"node"}))) {
            Decision::Invalid(m) => assert!(m.contains("docker_isolation.cpu_limit"), "{m}"),
            other => panic!("{other:?}"),
        }
    }
}
