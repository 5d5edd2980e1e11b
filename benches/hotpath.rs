//! Criterion micro-benchmark of one proxied call's CPU work: parse → route → forward →
//! serialize (see support/hotpath.rs), with small and large catalogs.

#[path = "support/hotpath.rs"]
mod hotpath;

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion};

fn bench(c: &mut Criterion) {
    let mut group = c.benchmark_group("hotpath");
    for (servers, tools) in [(1, 14), (10, 20), (50, 200)] {
        let path = hotpath::HotPath::new(servers, tools);
        let out = path.run_once(1);
        assert_eq!(hotpath::response_text(&out), "hello from the benchmark");
        group.bench_with_input(
            BenchmarkId::from_parameter(servers * tools),
            &path,
            |b, path| b.iter(|| path.run_once(7)),
        );
    }
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
