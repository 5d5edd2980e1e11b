//! Config loader: arbitrary bytes as `mcp_config.json`.
//!
//! Properties: loading never panics; a refusal names the file, and a position or a field,
//! and a fix; an accepted config saves to text that loads back to the same config and
//! saves to the same text again (save → load is stable).

use mcpproxy::config::{self, ConfigError};
use std::path::Path;

const PATH: &str = "/fuzz/mcp_config.json";

/// One input: the file's bytes.
pub fn run(data: &[u8]) {
    // `load_file` reads the file as UTF-8 text; other bytes are a read error before parsing.
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let path = Path::new(PATH);
    match config::parse_str(text, path) {
        Ok(loaded) => round_trip(&loaded),
        Err(err) => check_refusal(&err),
    }
}

fn round_trip(loaded: &config::Config) {
    let path = Path::new(PATH);
    let saved = config::save::to_text(loaded).expect("a loaded config serialises");
    let reloaded = match config::parse_str(&saved, path) {
        Ok(config) => config,
        Err(err) => panic!("saved config does not load again: {err}\n--- saved:\n{saved}"),
    };
    assert_eq!(&reloaded, loaded, "save → load changed the config");
    let saved_again = config::save::to_text(&reloaded).expect("serialises");
    assert_eq!(saved_again, saved, "save → load → save is not stable");
}

fn check_refusal(err: &ConfigError) {
    let text = err.to_string();
    assert!(text.contains(PATH), "error does not name the file: {text}");
    match err {
        ConfigError::Parse {
            line, message, fix, ..
        } => {
            assert!(*line >= 1, "parse error without a line: {text}");
            assert!(!message.is_empty() && !fix.is_empty(), "{text}");
        }
        ConfigError::Invalid {
            field,
            message,
            fix,
            ..
        } => {
            assert!(!field.is_empty(), "semantic error without a field: {text}");
            assert!(!message.is_empty() && !fix.is_empty(), "{text}");
        }
        ConfigError::Read { .. } => panic!("parse_str cannot fail to read: {text}"),
    }
}
