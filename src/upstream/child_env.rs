//! The environment a stdio upstream starts with.
//!
//! An upstream must not inherit MCPProxy's whole environment: the core often runs with cloud
//! credentials, tokens, an SSH agent socket and its own `MCPPROXY_API_KEY` (the admin key, with
//! which a server could approve its own changed tools). So a child gets, in this order (later
//! wins): the allow-listed variables of the core's environment (`environment.inherit_system_safe`,
//! `environment.allowed_system_vars`), `environment.custom_vars`, the proxy variables when
//! `forward_proxy_env` is on (credentials stripped), then the server's own `env`.
//! `MCPPROXY_*` variables are never inherited, and proxy variables only through
//! `forward_proxy_env`.

use crate::config::Config;
use indexmap::IndexMap;

/// Default allow-list (the reference product's list). The Windows names are listed on every OS:
/// they do not exist elsewhere, so one list is documented for all.
pub const DEFAULT_ALLOWED: &[&str] = &[
    "PATH",
    "HOME",
    "TMPDIR",
    "TEMP",
    "TMP",
    "SHELL",
    "TERM",
    "LANG",
    "USER",
    "USERNAME",
    "LC_*",
    "XDG_*",
    "DOCKER_HOST",
    "DOCKER_CONTEXT",
    "DOCKER_CONFIG",
    "DOCKER_CERT_PATH",
    "DOCKER_TLS_VERIFY",
    "NVM_DIR",
    "ASDF_DIR",
    "PYENV_ROOT",
    "VOLTA_HOME",
    "HOMEBREW_PREFIX",
    "USERPROFILE",
    "APPDATA",
    "LOCALAPPDATA",
    "PROGRAMFILES",
    "SYSTEMROOT",
    "COMSPEC",
];

/// Proxy variables (either spelling): passed only with `forward_proxy_env`.
const PROXY_VARS: &[&str] = &[
    "HTTP_PROXY",
    "HTTPS_PROXY",
    "NO_PROXY",
    "ALL_PROXY",
    "FTP_PROXY",
];

/// Prefix of MCPProxy's own settings (`MCPPROXY_API_KEY`, …): never inherited.
const OWN_PREFIX: &str = "MCPPROXY_";

/// How stdio upstreams are started: the shim (if any) and the environment rules.
#[derive(Debug, Clone, Default)]
pub struct StdioLaunch {
    /// The shim to run stdio servers under (program and grace), if any.
    pub shim: Option<super::stdio::Shim>,
    /// The environment rules.
    pub env: ChildEnvPolicy,
}

/// The environment rules from the config, applied to every stdio upstream.
#[derive(Debug, Clone, PartialEq)]
pub struct ChildEnvPolicy {
    inherit: bool,
    allowed: Vec<String>,
    custom: IndexMap<String, String>,
    forward_proxy: bool,
}

impl Default for ChildEnvPolicy {
    fn default() -> Self {
        Self::from_config(&Config::default())
    }
}

impl ChildEnvPolicy {
    /// The policy of `config` (`environment` block and `forward_proxy_env`).
    pub fn from_config(config: &Config) -> Self {
        let env = config.environment.clone().unwrap_or_default();
        Self {
            inherit: env.inherit_system_safe.unwrap_or(true),
            allowed: env
                .allowed_system_vars
                .unwrap_or_else(|| DEFAULT_ALLOWED.iter().map(|s| s.to_string()).collect()),
            custom: env.custom_vars,
            forward_proxy: config.forward_proxy_env || env.forward_proxy_env.unwrap_or(false),
        }
    }

    /// The complete environment of a child: built from `system` (the core's environment) and
    /// the server's resolved `server_env`.
    pub fn build(
        &self,
        system: impl IntoIterator<Item = (String, String)>,
        server_env: &[(String, String)],
    ) -> Vec<(String, String)> {
        let system: Vec<(String, String)> = system.into_iter().collect();
        let mut out: IndexMap<String, String> = IndexMap::new();
        if self.inherit {
            for (key, value) in &system {
                if !is_own(key) && !is_proxy(key) && self.allows(key) {
                    out.insert(key.clone(), value.clone());
                }
            }
        }
        for (key, value) in &self.custom {
            out.insert(key.clone(), value.clone());
        }
        if self.forward_proxy {
            let explicit = |name: &str| {
                self.custom
                    .keys()
                    .chain(server_env.iter().map(|(k, _)| k))
                    .any(|k| k.eq_ignore_ascii_case(name))
            };
            for (key, value) in &system {
                if is_proxy(key) && !explicit(key) && !value.trim().is_empty() {
                    out.insert(key.clone(), strip_userinfo(value));
                }
            }
        }
        for (key, value) in server_env {
            out.insert(key.clone(), value.clone());
        }
        out.into_iter().collect()
    }

    fn allows(&self, key: &str) -> bool {
        self.allowed.iter().any(|pattern| matches(pattern, key))
    }
}

/// `NAME` or `PREFIX*` against `key` (case-insensitive on Windows, where names are).
fn matches(pattern: &str, key: &str) -> bool {
    let (pattern, key) = if cfg!(windows) {
        (pattern.to_ascii_uppercase(), key.to_ascii_uppercase())
    } else {
        (pattern.to_string(), key.to_string())
    };
    match pattern.strip_suffix('*') {
        Some(prefix) => key.starts_with(prefix),
        None => key == pattern,
    }
}

fn is_own(key: &str) -> bool {
    key.to_ascii_uppercase().starts_with(OWN_PREFIX)
}

fn is_proxy(key: &str) -> bool {
    PROXY_VARS.iter().any(|p| p.eq_ignore_ascii_case(key))
}

/// `http://user:pass@proxy:3128` → `http://proxy:3128`; values without userinfo unchanged.
/// Also what is shown wherever a proxy value is logged.
pub fn strip_userinfo(value: &str) -> String {
    let value = value.trim();
    let (scheme, rest) = match value.find("://") {
        Some(i) => (&value[..i + 3], &value[i + 3..]),
        None => ("", value),
    };
    let authority_end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    match rest[..authority_end].rfind('@') {
        Some(at) => format!("{scheme}{}", &rest[at + 1..]),
        None => value.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn vars(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    fn policy(json: serde_json::Value) -> ChildEnvPolicy {
        ChildEnvPolicy::from_config(&serde_json::from_value(json).unwrap())
    }

    const SYSTEM: &[(&str, &str)] = &[
        ("PATH", "/usr/bin"),
        ("HOME", "/home/u"),
        ("LC_ALL", "C.UTF-8"),
        ("XDG_RUNTIME_DIR", "/run/user/1"),
        ("AWS_SECRET_ACCESS_KEY", "aws-secret"),
        ("GITHUB_TOKEN", "ghp_x"),
        ("SSH_AUTH_SOCK", "/tmp/agent"),
        ("MCPPROXY_API_KEY", "admin"),
        ("HTTPS_PROXY", "http://bob:pw@proxy:3128"),
        ("no_proxy", "localhost"),
    ];

    #[test]
    fn defaults_pass_only_the_allow_list() {
        let env = policy(serde_json::json!({})).build(vars(SYSTEM), &vars(&[("OWN", "1")]));
        let keys: Vec<&str> = env.iter().map(|(k, _)| k.as_str()).collect();
        assert_eq!(
            keys,
            ["PATH", "HOME", "LC_ALL", "XDG_RUNTIME_DIR", "OWN"],
            "{env:?}"
        );
    }

    #[test]
    fn allowed_list_replaces_the_default_but_never_admits_own_or_proxy_vars() {
        let p = policy(serde_json::json!({"environment": {
            "allowed_system_vars": ["HOME", "GITHUB_TOKEN", "MCPPROXY_*", "HTTPS_PROXY"],
            "custom_vars": {"EXTRA": "x", "HOME": "/custom"}}}));
        let env = p.build(vars(SYSTEM), &vars(&[("EXTRA", "server")]));
        assert_eq!(
            env,
            vars(&[
                ("HOME", "/custom"),
                ("GITHUB_TOKEN", "ghp_x"),
                ("EXTRA", "server")
            ])
        );
    }

    #[test]
    fn inherit_off_keeps_only_custom_and_server_env() {
        let p = policy(serde_json::json!({"environment": {
            "inherit_system_safe": false, "custom_vars": {"A": "1"}}}));
        assert_eq!(p.build(vars(SYSTEM), &[]), vars(&[("A", "1")]));
    }

    #[test]
    fn proxy_vars_are_forwarded_without_credentials_when_asked() {
        for cfg in [
            serde_json::json!({"forward_proxy_env": true}),
            serde_json::json!({"environment": {"forward_proxy_env": true}}),
        ] {
            let env = policy(cfg).build(vars(SYSTEM), &[]);
            assert!(env.contains(&("HTTPS_PROXY".into(), "http://proxy:3128".into())));
            assert!(env.contains(&("no_proxy".into(), "localhost".into())));
        }
        let explicit = policy(serde_json::json!({"forward_proxy_env": true}))
            .build(vars(SYSTEM), &vars(&[("https_proxy", "http://u:p@mine:1")]));
        assert!(!explicit.iter().any(|(k, _)| k == "HTTPS_PROXY"));
        assert!(explicit.contains(&("https_proxy".into(), "http://u:p@mine:1".into())));
    }

    #[test]
    fn userinfo_is_stripped() {
        assert_eq!(strip_userinfo("http://u:p@h:1/x"), "http://h:1/x");
        assert_eq!(strip_userinfo("u:p@h:1"), "h:1");
        assert_eq!(strip_userinfo("http://h:1/a@b"), "http://h:1/a@b");
        assert_eq!(strip_userinfo("localhost,.corp"), "localhost,.corp");
    }
}
