//! Exposed tool names for `/mcp/all`: `server__tool`, at most 64 characters, unique.
//!
//! Characters outside the MCP tool-name set (A–Z a–z 0–9 _ - .) become `_`. Names that are
//! too long or collide are shortened deterministically with a hash of the full
//! `server:tool` key, so the same catalog always yields the same names.

use sha2::{Digest, Sha256};
use std::collections::HashSet;

/// Maximum length of an exposed tool name.
pub const MAX_TOOL_NAME: usize = 64;
/// Separator between server and tool in exposed names.
pub const SEPARATOR: &str = "__";

fn sanitize(text: &str) -> String {
    text.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.') {
                c
            } else {
                '_'
            }
        })
        .collect()
}

fn short_hash(key: &str) -> String {
    let digest = Sha256::digest(key.as_bytes());
    hex::encode(&digest[..4])
}

/// `server__tool` shortened to `MAX_TOOL_NAME` with a hash suffix when needed.
fn candidate(server: &str, tool: &str, force_hash: bool) -> String {
    let plain = format!("{}{SEPARATOR}{}", sanitize(server), sanitize(tool));
    if plain.len() <= MAX_TOOL_NAME && !force_hash {
        return plain;
    }
    let suffix = format!("_{}", short_hash(&format!("{server}:{tool}")));
    let keep = MAX_TOOL_NAME - suffix.len();
    let head: String = plain.chars().take(keep).collect();
    format!("{head}{suffix}")
}

/// Assigns unique exposed names in catalog order.
#[derive(Default)]
pub struct NameAllocator {
    used: HashSet<String>,
}

impl NameAllocator {
    /// Unique exposed name for `server`/`tool`.
    pub fn allocate(&mut self, server: &str, tool: &str) -> String {
        let mut name = candidate(server, tool, false);
        if self.used.contains(&name) {
            name = candidate(server, tool, true);
        }
        let mut counter = 2;
        while self.used.contains(&name) {
            let base = candidate(server, tool, true);
            let suffix = format!("_{counter}");
            let head: String = base.chars().take(MAX_TOOL_NAME - suffix.len()).collect();
            name = format!("{head}{suffix}");
            counter += 1;
        }
        self.used.insert(name.clone());
        name
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_names_join_with_double_underscore() {
        let mut a = NameAllocator::default();
        assert_eq!(a.allocate("github", "create_issue"), "github__create_issue");
    }

    #[test]
    fn long_names_are_shortened_deterministically() {
        let tool = "a_really_long_tool_name_that_keeps_going_and_going_for_quite_a_while";
        let one = NameAllocator::default().allocate("server", tool);
        let two = NameAllocator::default().allocate("server", tool);
        assert_eq!(one, two);
        assert!(one.len() <= MAX_TOOL_NAME, "{one}");
        assert!(one.starts_with("server__a_really"));
    }

    #[test]
    fn collisions_get_distinct_names() {
        let mut a = NameAllocator::default();
        let first = a.allocate("s", "x y");
        let second = a.allocate("s", "x_y");
        assert_eq!(first, "s__x_y");
        assert_ne!(first, second);
        assert!(second.len() <= MAX_TOOL_NAME);
    }

    #[test]
    fn invalid_characters_replaced() {
        let mut a = NameAllocator::default();
        assert_eq!(a.allocate("my server", "do/it"), "my_server__do_it");
    }
}
