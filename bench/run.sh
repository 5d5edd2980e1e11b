#!/usr/bin/env bash
# Full benchmark run: peers from the registries, release build, criterion micro-benchmarks,
# then the end-to-end suite. Report: bench/results/<UTC time>/report.{md,json} (gitignored).
# Extra arguments go to the end-to-end suite (e.g. --sections latency --calls 500).
# Not part of scripts/test.sh: it takes minutes and wants a quiet machine.
set -euo pipefail
cd "$(dirname "$0")/.."
bash bench/setup-peers.sh || echo "some peers are not installed; the report says which and why" >&2
cargo build --release --bin mcpproxy --example fixture_server
cargo bench --bench search --bench hotpath
cargo bench --bench mcpproxy-bench -- "$@"
