//! The merged tool catalog of all ready upstreams: naming, classification and search.

pub mod naming;
pub mod search;

use crate::events::{CoreEvent, EventBus};
use crate::upstream::{ConnectionState, UpstreamManager};
use rmcp::model::Tool;
use search::{SearchHit, ToolDoc, ToolIndex};
use std::collections::HashMap;
use std::sync::{Arc, RwLock};

/// What a tool may do, from its annotations; decides which `call_tool_*` variant may call it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ToolClass {
    /// `readOnlyHint: true`.
    Read,
    /// Neither read-only nor destructive (the default for unannotated tools).
    Write,
    /// `destructiveHint: true` (and not read-only).
    Destructive,
}

impl ToolClass {
    /// Classify a tool from its annotations.
    pub fn of(tool: &Tool) -> Self {
        let annotations = tool.annotations.as_ref();
        if annotations.and_then(|a| a.read_only_hint) == Some(true) {
            ToolClass::Read
        } else if annotations.and_then(|a| a.destructive_hint) == Some(true) {
            ToolClass::Destructive
        } else {
            ToolClass::Write
        }
    }

    /// The `/mcp` tool that calls tools of this class.
    pub fn call_tool_name(self) -> &'static str {
        match self {
            ToolClass::Read => "call_tool_read",
            ToolClass::Write => "call_tool_write",
            ToolClass::Destructive => "call_tool_destructive",
        }
    }
}

/// One upstream tool as the proxy exposes it.
#[derive(Debug, Clone)]
pub struct CatalogTool {
    /// Upstream server name.
    pub server: String,
    /// The upstream's tool definition (original name).
    pub tool: Tool,
    /// `server:tool`.
    pub key: String,
    /// Name on `/mcp/all` (`server__tool`, shortened if needed).
    pub exposed_name: String,
    /// Classification for call variants.
    pub class: ToolClass,
}

/// An immutable view of the catalog.
#[derive(Debug, Default)]
pub struct CatalogSnapshot {
    tools: Vec<CatalogTool>,
    by_key: HashMap<String, usize>,
    by_exposed: HashMap<String, usize>,
    index: Option<ToolIndex>,
}

impl CatalogSnapshot {
    /// Build from `(server, tools)` pairs in order.
    pub fn build(servers: &[(String, Arc<Vec<Tool>>)]) -> Self {
        let mut names = naming::NameAllocator::default();
        let mut tools = Vec::new();
        for (server, list) in servers {
            for tool in list.iter() {
                tools.push(CatalogTool {
                    server: server.clone(),
                    key: format!("{server}:{}", tool.name),
                    exposed_name: names.allocate(server, &tool.name),
                    class: ToolClass::of(tool),
                    tool: tool.clone(),
                });
            }
        }
        let by_key = tools
            .iter()
            .enumerate()
            .map(|(i, t)| (t.key.clone(), i))
            .collect();
        let by_exposed = tools
            .iter()
            .enumerate()
            .map(|(i, t)| (t.exposed_name.clone(), i))
            .collect();
        let docs: Vec<ToolDoc> = tools.iter().map(tool_doc).collect();
        let index = match ToolIndex::build(&docs) {
            Ok(index) => Some(index),
            Err(err) => {
                tracing::error!(%err, "building the tool search index failed");
                None
            }
        };
        Self {
            tools,
            by_key,
            by_exposed,
            index,
        }
    }

    /// All tools in order.
    pub fn tools(&self) -> &[CatalogTool] {
        &self.tools
    }

    /// Tool by `server:tool`.
    pub fn by_key(&self, key: &str) -> Option<&CatalogTool> {
        self.by_key.get(key).map(|&i| &self.tools[i])
    }

    /// Tool by its `/mcp/all` name.
    pub fn by_exposed_name(&self, name: &str) -> Option<&CatalogTool> {
        self.by_exposed.get(name).map(|&i| &self.tools[i])
    }

    /// BM25 search, best first.
    pub fn search(&self, query: &str, limit: usize) -> Vec<(SearchHit, &CatalogTool)> {
        let Some(index) = &self.index else {
            return Vec::new();
        };
        index
            .search(query, limit)
            .into_iter()
            .filter_map(|hit| {
                let tool = self.by_key(&hit.key)?;
                Some((hit, tool))
            })
            .collect()
    }

    /// Fingerprint of the exposed tool definitions, to detect real changes.
    fn fingerprint(&self) -> Vec<(String, String)> {
        self.tools
            .iter()
            .map(|t| {
                (
                    t.exposed_name.clone(),
                    serde_json::to_string(&t.tool).unwrap_or_default(),
                )
            })
            .collect()
    }
}

fn tool_doc(t: &CatalogTool) -> ToolDoc {
    let properties = t
        .tool
        .input_schema
        .get("properties")
        .and_then(|p| p.as_object());
    let param_names = properties
        .map(|p| p.keys().cloned().collect())
        .unwrap_or_default();
    let param_text = properties
        .map(|p| {
            p.values()
                .filter_map(|v| v.get("description").and_then(|d| d.as_str()))
                .collect::<Vec<_>>()
                .join(" ")
        })
        .unwrap_or_default();
    ToolDoc {
        key: t.key.clone(),
        server: t.server.clone(),
        name: t.tool.name.to_string(),
        description: t
            .tool
            .description
            .as_deref()
            .unwrap_or_default()
            .to_string(),
        param_names,
        param_text,
    }
}

/// The live catalog: rebuilt whenever an upstream's tools change.
#[derive(Default)]
pub struct Catalog {
    current: RwLock<Arc<CatalogSnapshot>>,
}

impl Catalog {
    /// Current snapshot.
    pub fn snapshot(&self) -> Arc<CatalogSnapshot> {
        self.current
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    /// Rebuild from the ready upstreams; returns true when the exposed tools changed.
    pub fn rebuild(&self, upstreams: &UpstreamManager) -> bool {
        let servers: Vec<(String, Arc<Vec<Tool>>)> = upstreams
            .all()
            .into_iter()
            .filter_map(|u| {
                let status = u.status();
                (status.state == ConnectionState::Ready).then(|| (u.name.clone(), status.tools))
            })
            .collect();
        let next = CatalogSnapshot::build(&servers);
        let mut current = self.current.write().unwrap_or_else(|e| e.into_inner());
        let changed = current.fingerprint() != next.fingerprint();
        *current = Arc::new(next);
        changed
    }

    /// Keep the catalog in sync with upstream changes until the bus closes.
    /// Publishes [`CoreEvent::CatalogChanged`] after each real change.
    pub async fn maintain(self: Arc<Self>, upstreams: Arc<UpstreamManager>, events: EventBus) {
        let mut rx = events.subscribe();
        if self.rebuild(&upstreams) {
            events.publish(CoreEvent::CatalogChanged);
        }
        loop {
            match rx.recv().await {
                Ok(CoreEvent::ServerChanged { .. }) => {}
                Ok(_) => continue,
                Err(tokio::sync::broadcast::error::RecvError::Lagged(_)) => {}
                Err(tokio::sync::broadcast::error::RecvError::Closed) => break,
            }
            // Coalesce a burst of changes into one rebuild.
            while let Ok(event) = rx.try_recv() {
                let _ = event;
            }
            let catalog = self.clone();
            let ups = upstreams.clone();
            let changed = tokio::task::spawn_blocking(move || catalog.rebuild(&ups))
                .await
                .unwrap_or(false);
            if changed {
                events.publish(CoreEvent::CatalogChanged);
            }
        }
    }
}
