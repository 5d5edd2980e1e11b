//! Tool-retrieval quality on `bench/data`: real MCP servers' tool lists and hand-written
//! queries, ranked by the same catalog search that backs `retrieve_tools`.

#![allow(dead_code)] // each includer uses a different part

use mcpproxy::catalog::search::{SearchTuning, ToolIndex};
use mcpproxy::catalog::{search_doc, CatalogSnapshot};
use rmcp::model::Tool;
use serde::Deserialize;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// Directory of the retrieval set.
pub fn data_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("bench/data")
}

/// One tool of `bench/data/tools.json`.
#[derive(Debug, Deserialize)]
pub struct DataTool {
    /// Server the tool came from.
    pub server: String,
    /// The rest: an MCP tool definition.
    #[serde(flatten)]
    pub tool: Tool,
}

/// One query of `bench/data/queries.json` and the tools that answer it.
#[derive(Debug, Deserialize)]
pub struct Query {
    /// What a model would ask for.
    pub query: String,
    /// `server:tool` keys that count as a hit (equivalent tools of different servers).
    #[serde(alias = "expected")]
    pub relevant: Vec<String>,
}

/// The retrieval set.
pub struct Dataset {
    /// Tools grouped by server, in file order.
    pub servers: Vec<(String, Arc<Vec<Tool>>)>,
    /// Number of tools.
    pub tool_count: usize,
    /// The queries.
    pub queries: Vec<Query>,
}

/// Load `tools.json` and `queries.json` from `dir`.
pub fn load(dir: &Path) -> anyhow::Result<Dataset> {
    load_files(&dir.join("tools.json"), &dir.join("queries.json"))
}

/// Directory of the agent-phrased set (tools + tuning and held-out queries).
pub fn agent_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("bench/data/agent")
}

/// Load a tool list (JSON array) and queries (JSON array, or one JSON object per line).
pub fn load_files(tools_path: &Path, queries_path: &Path) -> anyhow::Result<Dataset> {
    let read = |path: &Path| {
        std::fs::read_to_string(path).map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))
    };
    let tools: Vec<DataTool> = serde_json::from_str(&read(tools_path)?)?;
    let text = read(queries_path)?;
    let queries: Vec<Query> = if text.trim_start().starts_with('[') {
        serde_json::from_str(&text)?
    } else {
        text.lines()
            .filter(|l| !l.trim().is_empty())
            .map(serde_json::from_str)
            .collect::<Result<_, _>>()?
    };
    let tool_count = tools.len();
    let mut servers: Vec<(String, Vec<Tool>)> = Vec::new();
    for t in tools {
        match servers.iter_mut().find(|(s, _)| *s == t.server) {
            Some((_, list)) => list.push(t.tool),
            None => servers.push((t.server, vec![t.tool])),
        }
    }
    Ok(Dataset {
        servers: servers.into_iter().map(|(s, l)| (s, Arc::new(l))).collect(),
        tool_count,
        queries,
    })
}

/// Where a query's first relevant tool ranked (1-based; `None` = not in the top 10).
#[derive(Debug, Clone, serde::Serialize)]
pub struct QueryOutcome {
    /// The query.
    pub query: String,
    /// Rank of the first relevant tool.
    pub rank: Option<usize>,
    /// The top result.
    pub top: Option<String>,
}

/// Recall@k and MRR@10 over the queries.
#[derive(Debug, Clone, serde::Serialize)]
pub struct RecallReport {
    /// Tools indexed.
    pub tools: usize,
    /// Queries evaluated.
    pub queries: usize,
    /// Share of queries with a relevant tool first.
    pub recall_at_1: f64,
    /// … in the top 5.
    pub recall_at_5: f64,
    /// … in the top 10.
    pub recall_at_10: f64,
    /// Mean reciprocal rank of the first relevant tool (0 beyond rank 10).
    pub mrr: f64,
    /// Per-query outcomes.
    pub outcomes: Vec<QueryOutcome>,
}

/// Rank every query against a catalog of the dataset's tools (the shipped ranking).
pub fn evaluate(data: &Dataset) -> RecallReport {
    let snapshot = CatalogSnapshot::build(&data.servers);
    score(data, |q| {
        snapshot
            .search(q, 10)
            .into_iter()
            .map(|(hit, _)| hit.key)
            .collect()
    })
}

/// Rank every query with an index ranking by `tuning` (for comparing alternatives).
pub fn evaluate_tuned(data: &Dataset, tuning: &SearchTuning) -> RecallReport {
    let snapshot = CatalogSnapshot::build(&data.servers);
    let docs: Vec<_> = snapshot.tools().iter().map(search_doc).collect();
    let index = ToolIndex::build_with(&docs, tuning.clone()).expect("index");
    score(data, |q| {
        index.search(q, 10).into_iter().map(|h| h.key).collect()
    })
}

fn score(data: &Dataset, search: impl Fn(&str) -> Vec<String>) -> RecallReport {
    let outcomes: Vec<QueryOutcome> = data
        .queries
        .iter()
        .map(|q| {
            let hits = search(&q.query);
            let rank = hits
                .iter()
                .position(|key| q.relevant.contains(key))
                .map(|i| i + 1);
            QueryOutcome {
                query: q.query.clone(),
                rank,
                top: hits.first().cloned(),
            }
        })
        .collect();
    let n = outcomes.len().max(1) as f64;
    let within = |k: usize| {
        outcomes
            .iter()
            .filter(|o| o.rank.is_some_and(|r| r <= k))
            .count() as f64
            / n
    };
    let mrr = outcomes
        .iter()
        .map(|o| o.rank.map_or(0.0, |r| 1.0 / r as f64))
        .sum::<f64>()
        / n;
    RecallReport {
        tools: data.tool_count,
        queries: outcomes.len(),
        recall_at_1: within(1),
        recall_at_5: within(5),
        recall_at_10: within(10),
        mrr,
        outcomes,
    }
}
