//! Truncation of large tool results and the `read_cache` store that pages through them.

use crate::store::Store;
use rmcp::model::{CallToolResult, ContentBlock};
use std::time::Duration;

/// How long a truncated result stays readable.
pub const ENTRY_TTL: Duration = Duration::from_secs(30 * 60);
/// Maximum number of cached results (oldest evicted first).
pub const MAX_ENTRIES: usize = 256;

/// Full tool results keyed by random ids, persisted in the state database with a TTL.
pub struct ReadCache {
    store: Store,
}

impl Default for ReadCache {
    fn default() -> Self {
        Self::new(Store::in_memory())
    }
}

/// One page read from the cache.
#[derive(Debug, serde::Serialize)]
pub struct Page {
    /// Cache key.
    pub key: String,
    /// Tool that produced the result (`server:tool`).
    pub tool: String,
    /// First character returned.
    pub offset: usize,
    /// Characters in this page.
    pub returned: usize,
    /// Characters in the whole result.
    pub total: usize,
    /// Offset of the next page, if any.
    pub next_offset: Option<usize>,
    /// The page text.
    pub content: String,
}

impl ReadCache {
    /// Cache stored in `store`.
    pub fn new(store: Store) -> Self {
        Self { store }
    }

    /// Store `text` and return its key. If it cannot be stored the key still comes back,
    /// and reading it explains that the entry is gone.
    pub fn insert(&self, tool: &str, text: String) -> String {
        let key = uuid::Uuid::new_v4().simple().to_string();
        if let Err(err) = self.store.cache_put(&key, tool, &text) {
            tracing::warn!(%err, "could not store a truncated result");
        }
        let _ = self
            .store
            .cache_prune(ENTRY_TTL.as_millis() as i64, MAX_ENTRIES);
        key
    }

    /// Read `limit` characters from `offset`.
    pub fn read(&self, key: &str, offset: usize, limit: usize) -> Result<Page, String> {
        let (tool, text) = self
            .store
            .cache_get(key, ENTRY_TTL.as_millis() as i64)
            .map_err(|e| e.to_string())?
            .ok_or_else(|| {
                format!(
                    "no cached result with key `{key}` (it may have expired after {} minutes); call the tool again",
                    ENTRY_TTL.as_secs() / 60
                )
            })?;
        let total = text.chars().count();
        if offset > total {
            return Err(format!(
                "offset {offset} is past the end of the result ({total} chars)"
            ));
        }
        let content: String = text.chars().skip(offset).take(limit).collect();
        let returned = content.chars().count();
        let end = offset + returned;
        Ok(Page {
            key: key.to_string(),
            tool,
            offset,
            returned,
            total,
            next_offset: (end < total).then_some(end),
            content,
        })
    }
}

/// Concatenated text of a result's text blocks.
fn result_text(result: &CallToolResult) -> String {
    let mut parts: Vec<String> = result
        .content
        .iter()
        .filter_map(|c| c.as_text().map(|t| t.text.clone()))
        .collect();
    if parts.is_empty() {
        if let Some(structured) = &result.structured_content {
            parts.push(structured.to_string());
        }
    }
    parts.join("\n")
}

/// Truncate `result` to `limit` characters, caching the full text. `limit == 0` disables.
pub fn truncate(
    cache: &ReadCache,
    tool_key: &str,
    result: CallToolResult,
    limit: usize,
) -> CallToolResult {
    if limit == 0 {
        return result;
    }
    let text = result_text(&result);
    let total = text.chars().count();
    let non_text = result.content.iter().any(|c| c.as_text().is_none());
    if total <= limit {
        return result;
    }
    let head: String = text.chars().take(limit).collect();
    let key = cache.insert(tool_key, text);
    let note = format!(
        "\n\n[mcpproxy: result truncated to {limit} of {total} characters{}. Read the rest with the read_cache tool: {{\"key\": \"{key}\", \"offset\": {limit}}}]",
        if non_text { "; non-text content omitted" } else { "" }
    );
    let mut truncated = if result.is_error == Some(true) {
        CallToolResult::error(vec![ContentBlock::text(format!("{head}{note}"))])
    } else {
        CallToolResult::success(vec![ContentBlock::text(format!("{head}{note}"))])
    };
    truncated.meta = result.meta;
    truncated
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn truncates_and_pages_through_full_text() {
        let cache = ReadCache::default();
        let text: String = "é0123456789".repeat(10); // multibyte safe
        let result = CallToolResult::success(vec![ContentBlock::text(text.clone())]);
        let out = truncate(&cache, "s:t", result, 25);
        let shown = &out.content[0].as_text().unwrap().text;
        assert!(shown.starts_with(&text.chars().take(25).collect::<String>()));
        let key = shown
            .split("\"key\": \"")
            .nth(1)
            .unwrap()
            .split('"')
            .next()
            .unwrap();
        let mut offset = 25;
        let mut rebuilt: String = text.chars().take(25).collect();
        loop {
            let page = cache.read(key, offset, 40).unwrap();
            rebuilt.push_str(&page.content);
            match page.next_offset {
                Some(next) => offset = next,
                None => break,
            }
        }
        assert_eq!(rebuilt, text);
    }

    #[test]
    fn small_results_untouched_and_unknown_key_explained() {
        let cache = ReadCache::default();
        let result = CallToolResult::success(vec![ContentBlock::text("short")]);
        let out = truncate(&cache, "s:t", result.clone(), 100);
        assert_eq!(out, result);
        assert!(cache
            .read("nope", 0, 10)
            .unwrap_err()
            .contains("no cached result"));
    }
}
