//! Criterion micro-benchmark of what recording one call costs for secrets: scrubbing a
//! response (known secret values + sensitive-data detection) without and with findings.

use criterion::{criterion_group, criterion_main, Criterion};
use mcpproxy::secrets::scrub::Scrubber;
use std::collections::BTreeSet;

fn bench(c: &mut Criterion) {
    let scrubber = Scrubber::new((0..40).map(|i| format!("configured-secret-value-{i:04}")));
    let clean: String = "The quick brown fox jumps over the lazy dog; result 42. "
        .repeat(40)
        .chars()
        .take(2000)
        .collect();
    let mut dirty = clean.clone();
    dirty.push_str(
        " AKIAIOSFODNN7EXAMPLE ghp_0123456789abcdefghijABCDEFGHIJ012345 password=hunter2hunter2 \
         4111 1111 1111 1111 configured-secret-value-0007",
    );
    let env_dump: String = (0..300)
        .map(|i| format!("  \"VARIABLE_NUMBER_{i}\": \"/usr/local/share/value/{i}\",\n"))
        .collect();
    let mut group = c.benchmark_group("scrub");
    for (name, text) in [
        ("2KB_clean", &clean),
        ("2KB_5_findings", &dirty),
        ("env_dump_17KB", &env_dump),
    ] {
        group.bench_function(name, |b| {
            b.iter(|| {
                let mut types = BTreeSet::new();
                scrubber.scrub(std::hint::black_box(text), &mut types)
            })
        });
    }
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
