//! The merged tool catalog of all ready upstreams: naming, classification and search.

pub mod action;
pub mod approval;
pub mod embed;
pub mod naming;
pub mod search;
pub mod stopwords;
pub mod synonyms;

use crate::events::{CoreEvent, EventBus};
use crate::store::Store;
use crate::upstream::{ConnectionState, UpstreamManager};
use approval::ToolStatus;
use rmcp::model::Tool;
use search::{SearchHit, ToolDoc, ToolIndex};
use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
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
    /// The input schema's compiled validator, built on the first call (shared by clones).
    pub validator: ValidatorCache,
}

/// A tool's compiled input-schema validator, compiled once on first use.
///
/// Compiling (which also checks the schema against its meta-schema) costs far more than
/// validating, so doing it per call dominated the proxy's CPU time per call.
#[derive(Clone, Default)]
pub struct ValidatorCache(Arc<std::sync::OnceLock<Option<Arc<jsonschema::Validator>>>>);

impl std::fmt::Debug for ValidatorCache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self.0.get() {
            None => "ValidatorCache(empty)",
            Some(None) => "ValidatorCache(schema does not compile)",
            Some(Some(_)) => "ValidatorCache(compiled)",
        })
    }
}

impl ValidatorCache {
    /// The validator, compiling it with `compile` the first time; `None` when it does not compile.
    pub fn get_or_compile(
        &self,
        compile: impl FnOnce() -> Option<jsonschema::Validator>,
    ) -> Option<Arc<jsonschema::Validator>> {
        self.0.get_or_init(|| compile().map(Arc::new)).clone()
    }
}

/// A tool of a ready server together with its approval state.
#[derive(Debug, Clone)]
pub struct ToolEntry {
    /// The tool as the proxy sees it.
    pub tool: CatalogTool,
    /// Approval state.
    pub status: ToolStatus,
    /// SHA-256 of its current definition.
    pub hash: String,
}

/// An immutable view of the catalog.
#[derive(Debug, Default)]
pub struct CatalogSnapshot {
    tools: Vec<CatalogTool>,
    by_key: HashMap<String, usize>,
    by_exposed: HashMap<String, usize>,
    entries: Vec<ToolEntry>,
    blocked: HashMap<String, usize>,
    index: Option<ToolIndex>,
}

impl CatalogSnapshot {
    /// Build from `(server, tools)` pairs in order, every tool approved.
    pub fn build(servers: &[(String, Arc<Vec<Tool>>)]) -> Self {
        let entries = servers
            .iter()
            .flat_map(|(server, list)| {
                list.iter()
                    .map(move |tool| (server.clone(), tool.clone(), ToolStatus::Approved))
            })
            .collect::<Vec<_>>();
        Self::build_with_status(entries)
    }

    /// Build from `(server, tool, status)` in order; only approved tools are exposed.
    pub fn build_with_status(list: Vec<(String, Tool, ToolStatus)>) -> Self {
        let mut names = naming::NameAllocator::default();
        let mut tools = Vec::new();
        let mut entries = Vec::new();
        for (server, tool, status) in list {
            let entry = CatalogTool {
                key: format!("{server}:{}", tool.name),
                exposed_name: names.allocate(&server, &tool.name),
                class: ToolClass::of(&tool),
                validator: ValidatorCache::default(),
                server,
                tool,
            };
            if status == ToolStatus::Approved {
                tools.push(entry.clone());
            }
            entries.push(ToolEntry {
                hash: approval::tool_hash(&entry.tool),
                tool: entry,
                status,
            });
        }
        let blocked = entries
            .iter()
            .enumerate()
            .filter(|(_, e)| e.status != ToolStatus::Approved)
            .flat_map(|(i, e)| [(e.tool.key.clone(), i), (e.tool.exposed_name.clone(), i)])
            .collect();
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
        let docs: Vec<ToolDoc> = tools.iter().map(search_doc).collect();
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
            entries,
            blocked,
            index,
        }
    }

    /// Every tool of every ready server with its approval state.
    pub fn entries(&self) -> &[ToolEntry] {
        &self.entries
    }

    /// A tool held back for approval, by `server:tool` or exposed name.
    pub fn blocked(&self, name: &str) -> Option<&ToolEntry> {
        self.blocked.get(name).map(|&i| &self.entries[i])
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
    fn fingerprint(&self) -> Vec<(String, String, &'static str)> {
        self.entries
            .iter()
            .map(|e| {
                (
                    e.tool.exposed_name.clone(),
                    serde_json::to_string(&e.tool.tool).unwrap_or_default(),
                    e.status.as_str(),
                )
            })
            .collect()
    }
}

/// What the search index sees of a tool.
pub fn search_doc(t: &CatalogTool) -> ToolDoc {
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
        read_only: t.class == ToolClass::Read,
        destructive: t.class == ToolClass::Destructive,
    }
}

/// The live catalog: rebuilt whenever an upstream's tools or approvals change.
pub struct Catalog {
    current: RwLock<Arc<CatalogSnapshot>>,
    store: Store,
    approvals_enabled: AtomicBool,
}

impl Catalog {
    /// Catalog whose tool approvals live in `store`.
    pub fn new(store: Store, approvals_enabled: bool) -> Self {
        Self {
            current: RwLock::new(Arc::new(CatalogSnapshot::default())),
            store,
            approvals_enabled: AtomicBool::new(approvals_enabled),
        }
    }

    /// Turn tool approval on or off (`quarantine_enabled`).
    pub fn set_approvals_enabled(&self, enabled: bool) {
        self.approvals_enabled.store(enabled, Ordering::Relaxed);
    }

    /// Whether tool approval is on.
    pub fn approvals_enabled(&self) -> bool {
        self.approvals_enabled.load(Ordering::Relaxed)
    }

    /// Current snapshot.
    pub fn snapshot(&self) -> Arc<CatalogSnapshot> {
        self.current
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    /// Approval state of `tools` of `server`; takes the baseline on the first listing.
    /// Always `Approved` when tool approval is off.
    pub fn evaluate(&self, server: &str, tools: &[Tool]) -> Vec<ToolStatus> {
        if !self.approvals_enabled() {
            return vec![ToolStatus::Approved; tools.len()];
        }
        let result = (|| {
            if !self.store.baseline_taken(server)? {
                let baseline: Vec<_> = tools
                    .iter()
                    .map(|t| {
                        (
                            t.name.to_string(),
                            approval::tool_hash(t),
                            approval::approved_definition(t),
                        )
                    })
                    .collect();
                self.store.approve(server, &baseline, "baseline")?;
                self.store.mark_baseline(server)?;
            }
            let approvals = self.store.approvals(server)?;
            Ok::<_, crate::store::StoreError>(
                tools
                    .iter()
                    .map(|t| match approvals.get(t.name.as_ref()) {
                        None => ToolStatus::Pending,
                        Some(a) if a.hash == approval::tool_hash(t) => ToolStatus::Approved,
                        Some(_) => ToolStatus::Changed,
                    })
                    .collect(),
            )
        })();
        result.unwrap_or_else(|err| {
            // Fail closed: without the approval store nothing new is trusted.
            tracing::error!(server, %err, "tool approvals unavailable; blocking the server's tools");
            vec![ToolStatus::Pending; tools.len()]
        })
    }

    /// Rebuild from the ready upstreams; returns true when the exposed tools changed.
    pub fn rebuild(&self, upstreams: &UpstreamManager) -> bool {
        let mut list = Vec::new();
        for upstream in upstreams.all() {
            let status = upstream.status();
            if status.state != ConnectionState::Ready {
                continue;
            }
            let statuses = self.evaluate(&upstream.name, &status.tools);
            for (tool, state) in status.tools.iter().zip(statuses) {
                list.push((upstream.name.clone(), tool.clone(), state));
            }
        }
        let next = CatalogSnapshot::build_with_status(list);
        let mut current = self.current.write().unwrap_or_else(|e| e.into_inner());
        let changed = current.fingerprint() != next.fingerprint();
        *current = Arc::new(next);
        changed
    }

    /// Keep the catalog in sync with upstream and approval changes until the bus closes.
    /// Publishes [`CoreEvent::CatalogChanged`] after each real change.
    pub async fn maintain(self: Arc<Self>, upstreams: Arc<UpstreamManager>, events: EventBus) {
        let mut rx = events.subscribe();
        let rebuild = |catalog: Arc<Self>, ups: Arc<UpstreamManager>| async move {
            tokio::task::spawn_blocking(move || catalog.rebuild(&ups))
                .await
                .unwrap_or(false)
        };
        if rebuild(self.clone(), upstreams.clone()).await {
            events.publish(CoreEvent::CatalogChanged);
        }
        loop {
            match rx.recv().await {
                Ok(CoreEvent::ServerChanged { .. }) | Ok(CoreEvent::ApprovalsChanged { .. }) => {}
                Ok(_) => continue,
                Err(tokio::sync::broadcast::error::RecvError::Lagged(_)) => {}
                Err(tokio::sync::broadcast::error::RecvError::Closed) => break,
            }
            // Coalesce a burst of changes into one rebuild.
            while rx.try_recv().is_ok() {}
            if rebuild(self.clone(), upstreams.clone()).await {
                events.publish(CoreEvent::CatalogChanged);
            }
        }
    }
}
