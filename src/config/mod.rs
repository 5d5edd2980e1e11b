//! Configuration: schema, loading with clear errors, atomic saving, default locations.

pub mod isolation;
pub mod load;
pub mod save;
pub mod schema;
pub mod unsupported;
pub mod watch;

pub use isolation::{DockerIsolationConfig, IsolationConfig};
pub use load::{load_file, parse_duration, parse_str, ConfigError};
pub use save::{save_atomic, sweep_stale_temps};
pub use schema::{Config, LoggingConfig, OAuthConfig, Protocol, RoutingMode, ServerConfig};

use std::path::{Path, PathBuf};

/// Name of the config file inside the data directory.
pub const CONFIG_FILE_NAME: &str = "mcp_config.json";

/// `~/.mcpproxy` (falls back to `./.mcpproxy` when there is no home directory).
pub fn default_data_dir() -> PathBuf {
    dirs::home_dir()
        .unwrap_or_else(|| PathBuf::from("."))
        .join(".mcpproxy")
}

/// Create `dir` (and parents) with mode 0700 when missing.
pub fn ensure_private_dir(dir: &Path) -> std::io::Result<()> {
    if dir.is_dir() {
        return Ok(());
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::DirBuilderExt;
        std::fs::DirBuilder::new()
            .recursive(true)
            .mode(0o700)
            .create(dir)
    }
    #[cfg(not(unix))]
    {
        std::fs::create_dir_all(dir)
    }
}

/// A fresh 64-hex-character API key.
pub fn generate_api_key() -> String {
    let bytes: [u8; 32] = rand::random();
    hex::encode(bytes)
}

/// Result of [`load_or_create`].
#[derive(Debug)]
pub struct LoadedConfig {
    /// The validated config.
    pub config: Config,
    /// Where it lives.
    pub path: PathBuf,
    /// True when the file did not exist and a default one was written.
    pub created: bool,
}

/// Load `path`, or write a default config there when it does not exist.
/// Generates and saves an `api_key` when the file has none.
pub fn load_or_create(path: &Path) -> anyhow::Result<LoadedConfig> {
    if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
        ensure_private_dir(parent)?;
    }
    let swept = save::sweep_stale_temps(path);
    if swept > 0 {
        tracing::info!(
            count = swept,
            "removed temp files left by an interrupted config save"
        );
    }
    let (mut config, created) = if path.exists() {
        (load_file(path)?, false)
    } else {
        (Config::default(), true)
    };
    if config.api_key.as_deref().is_none_or(str::is_empty) {
        config.api_key = Some(generate_api_key());
        save_atomic(path, &config)
            .map_err(|err| anyhow::anyhow!("cannot write config file {}: {err}", path.display()))?;
    }
    Ok(LoadedConfig {
        config,
        path: path.to_path_buf(),
        created,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn creates_default_config_with_api_key_in_private_dir() {
        let dir = tempfile::tempdir().unwrap();
        let data = dir.path().join("nested/.mcpproxy");
        let path = data.join(CONFIG_FILE_NAME);
        let loaded = load_or_create(&path).unwrap();
        assert!(loaded.created);
        let key = loaded.config.api_key.clone().unwrap();
        assert_eq!(key.len(), 64);
        assert!(key.chars().all(|c| c.is_ascii_hexdigit()));
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&data).unwrap().permissions().mode() & 0o777;
            assert_eq!(mode, 0o700);
        }
        let again = load_or_create(&path).unwrap();
        assert!(!again.created);
        assert_eq!(again.config.api_key.unwrap(), key, "key must be stable");
    }

    #[test]
    fn invalid_file_is_not_overwritten() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(CONFIG_FILE_NAME);
        std::fs::write(&path, "{ broken").unwrap();
        assert!(load_or_create(&path).is_err());
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "{ broken");
    }
}
