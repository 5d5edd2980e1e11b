//! (3) Search: index build and query time in-process, `retrieve_tools` through the proxy at
//! 100 / 1k / 10k synthetic tools, and recall/MRR on the real-tool retrieval set.

use crate::client::{self, obj};
use crate::procs::{self, Bins, Proxy};
use crate::recall;
use crate::stats::Summary;
use crate::synthetic;
use mcpproxy::catalog::search::{ToolDoc, ToolIndex};
use mcpproxy::catalog::CatalogSnapshot;
use rmcp::model::{CallToolRequestParams, Tool};
use serde::Serialize;
use serde_json::{json, Value};
use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// One catalog size.
#[derive(Debug, Clone, Serialize)]
pub struct SizeRow {
    /// Tools in the catalog.
    pub tools: usize,
    /// `ToolIndex::build` (median of the builds).
    pub index_build_ms: f64,
    /// `CatalogSnapshot::build`: naming, hashes and the index (what a rebuild costs).
    pub catalog_build_ms: f64,
    /// `ToolIndex::search` in-process.
    pub index_query: Summary,
    /// `retrieve_tools` through `/mcp` (HTTP round trip included).
    pub retrieve_tools: Summary,
    /// `describe_tool` through `/mcp` on the same session: the same round trip without search.
    pub describe_tool: Summary,
    /// Exact-name queries whose tool was not ranked first (should be 0).
    pub misses: usize,
    /// Proxy start → the last tool is searchable (upstream list + index build).
    pub searchable_after_ms: f64,
    /// Proxy RSS with this catalog (KiB).
    pub proxy_rss_kib: u64,
}

/// Section result.
#[derive(Debug, Clone, Serialize)]
pub struct Report {
    /// Per catalog size.
    pub sizes: Vec<SizeRow>,
    /// Recall on bench/data.
    pub recall: recall::RecallReport,
}

/// Tools grouped by server, as `CatalogSnapshot::build` takes them.
type Servers = Vec<(String, Arc<Vec<Tool>>)>;

fn docs(n: usize) -> (Vec<ToolDoc>, Servers) {
    let mut servers: Vec<(String, Vec<Tool>)> = Vec::new();
    let mut docs = Vec::with_capacity(n);
    for (server, tool) in synthetic::tools(n) {
        let tool: Tool = serde_json::from_value(tool).expect("valid tool");
        let props = tool
            .input_schema
            .get("properties")
            .and_then(|p| p.as_object());
        docs.push(ToolDoc {
            key: format!("{server}:{}", tool.name),
            server: server.clone(),
            name: tool.name.to_string(),
            description: tool.description.as_deref().unwrap_or_default().to_string(),
            param_names: props
                .map(|p| p.keys().cloned().collect())
                .unwrap_or_default(),
            param_text: String::new(),
            ..Default::default()
        });
        match servers.last_mut() {
            Some((s, list)) if *s == server => list.push(tool),
            _ => servers.push((server, vec![tool])),
        }
    }
    let servers = servers.into_iter().map(|(s, l)| (s, Arc::new(l))).collect();
    (docs, servers)
}

fn median_ms(mut runs: Vec<Duration>) -> f64 {
    runs.sort_unstable();
    runs[runs.len() / 2].as_secs_f64() * 1e3
}

/// Run the section.
pub async fn run(
    bins: &Bins,
    sizes: &[usize],
    queries: usize,
    builds: usize,
    work: &Path,
) -> anyhow::Result<Report> {
    let mut rows = Vec::new();
    for &n in sizes {
        let (docs, servers) = docs(n);
        let index_build_ms = median_ms(
            (0..builds)
                .map(|_| {
                    let t = Instant::now();
                    std::hint::black_box(ToolIndex::build(&docs).expect("index"));
                    t.elapsed()
                })
                .collect(),
        );
        let catalog_build_ms = median_ms(
            (0..builds)
                .map(|_| {
                    let t = Instant::now();
                    std::hint::black_box(CatalogSnapshot::build(&servers));
                    t.elapsed()
                })
                .collect(),
        );
        let index = ToolIndex::build(&docs)?;
        let picks: Vec<usize> = (0..queries).map(|q| (q * 7919) % n).collect();
        let index_query = Summary::of(
            &picks
                .iter()
                .map(|&i| {
                    let (query, _) = synthetic::query_for(i);
                    let t = Instant::now();
                    std::hint::black_box(index.search(&query, 15));
                    t.elapsed()
                })
                .collect::<Vec<_>>(),
        );
        rows.push(
            e2e(
                bins,
                n,
                &picks,
                index_build_ms,
                catalog_build_ms,
                index_query,
                work,
            )
            .await?,
        );
    }
    let data = recall::load(&recall::data_dir())?;
    Ok(Report {
        sizes: rows,
        recall: recall::evaluate(&data),
    })
}

async fn e2e(
    bins: &Bins,
    n: usize,
    picks: &[usize],
    index_build_ms: f64,
    catalog_build_ms: f64,
    index_query: Summary,
    work: &Path,
) -> anyhow::Result<SizeRow> {
    let tools: Vec<Value> = synthetic::tools(n).into_iter().map(|(_, t)| t).collect();
    let file = procs::write_json(work, &format!("synthetic-{n}.json"), &Value::Array(tools))?;
    let file = file.to_string_lossy().to_string();
    let proxy = Proxy::start(
        bins,
        json!([bins.stdio_server("syn", &["--tools-file", &file])]),
        json!({}),
    )?;
    let session = client::connect_http(&proxy.mcp_url()).await?;
    let peer = session.peer().clone();
    let (last_query, last_name) = synthetic::query_for(n - 1);
    let retrieve = |query: String, limit: usize| {
        CallToolRequestParams::new("retrieve_tools")
            .with_arguments(obj(json!({"query": query, "limit": limit})))
    };
    let first_key = |v: &Value| {
        v["tools"][0]["name"]
            .as_str()
            .unwrap_or_default()
            .to_string()
    };
    client::wait_for(
        "the synthetic catalog to be searchable",
        Duration::from_secs(180),
        Duration::from_millis(20),
        || async {
            let result = peer.call_tool(retrieve(last_name.clone(), 1)).await.ok()?;
            let v = result.structured_content?;
            (first_key(&v) == format!("syn:{last_name}")).then_some(())
        },
    )
    .await?;
    let searchable_after_ms = proxy.spawned_at.elapsed().as_secs_f64() * 1e3;
    let _ = last_query;
    let mut retrieve_lat = Vec::new();
    let mut describe_lat = Vec::new();
    let mut misses = 0;
    for &i in picks {
        let (query, name) = synthetic::query_for(i);
        let t = Instant::now();
        let result = peer.call_tool(retrieve(query, 15)).await?;
        retrieve_lat.push(t.elapsed());
        if result.structured_content.as_ref().map(first_key) != Some(format!("syn:{name}")) {
            misses += 1;
        }
        let t = Instant::now();
        let described = peer
            .call_tool(
                CallToolRequestParams::new("describe_tool")
                    .with_arguments(obj(json!({"name": format!("syn:{name}")}))),
            )
            .await?;
        describe_lat.push(t.elapsed());
        anyhow::ensure!(
            described.is_error != Some(true),
            "describe_tool syn:{name} failed"
        );
    }
    Ok(SizeRow {
        tools: n,
        index_build_ms,
        catalog_build_ms,
        index_query,
        retrieve_tools: Summary::of(&retrieve_lat),
        describe_tool: Summary::of(&describe_lat),
        misses,
        searchable_after_ms,
        proxy_rss_kib: procs::rss_kib(proxy.pid()).unwrap_or(0),
    })
}
