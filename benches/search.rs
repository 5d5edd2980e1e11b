//! Criterion micro-benchmarks of the BM25 tool index: build and query at 100 / 1k / 10k tools.

#[path = "support/synthetic.rs"]
mod synthetic;

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion};
use mcpproxy::catalog::search::{ToolDoc, ToolIndex};

fn docs(n: usize) -> Vec<ToolDoc> {
    synthetic::tools(n)
        .into_iter()
        .map(|(server, tool)| {
            let name = tool["name"].as_str().unwrap_or_default().to_string();
            ToolDoc {
                key: format!("{server}:{name}"),
                server,
                description: tool["description"].as_str().unwrap_or_default().to_string(),
                param_names: tool["inputSchema"]["properties"]
                    .as_object()
                    .map(|p| p.keys().cloned().collect())
                    .unwrap_or_default(),
                name,
                param_text: String::new(),
                ..Default::default()
            }
        })
        .collect()
}

fn bench(c: &mut Criterion) {
    let mut build = c.benchmark_group("index_build");
    build.sample_size(10);
    for n in [100, 1_000, 10_000] {
        let docs = docs(n);
        build.bench_with_input(BenchmarkId::from_parameter(n), &docs, |b, docs| {
            b.iter(|| ToolIndex::build(docs).expect("index"))
        });
    }
    build.finish();
    let mut query = c.benchmark_group("index_query");
    for n in [100, 1_000, 10_000] {
        let index = ToolIndex::build(&docs(n)).expect("index");
        let (exact, _) = synthetic::query_for(n / 2);
        query.bench_with_input(BenchmarkId::new("exact", n), &index, |b, index| {
            b.iter(|| index.search(&exact, 15))
        });
        query.bench_with_input(BenchmarkId::new("broad", n), &index, |b, index| {
            b.iter(|| index.search("search comments on a branch and list labels by owner", 15))
        });
    }
    query.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
