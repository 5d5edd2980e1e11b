#!/usr/bin/env bash
# Build and run the cargo-fuzz targets (fuzz/, see docs/reliability.md).
#
#   scripts/fuzz.sh [SECONDS_PER_TARGET] [TARGET...]     default: 60 s each, all targets
#
# Needs cargo-fuzz (`cargo install cargo-fuzz --locked`) and nightly compiler flags; on a
# stable toolchain RUSTC_BOOTSTRAP=1 allows them. New interesting inputs go to a scratch
# corpus under the target dir (the committed seeds in fuzz/corpus/ are only read); a crash
# is saved under fuzz/artifacts/<target>/ and the script fails. Minimise a crash with
# `cargo fuzz tmin <target> <file>`, fix it, and commit the input to fuzz/corpus/<target>/
# so tests/fuzz_corpus_replay.rs keeps replaying it. The sanitizer build of every dependency
# takes long (see docs/reliability.md), so CI only replays the corpora.
set -euo pipefail
cd "$(dirname "$0")/.."

seconds="${1:-60}"
shift || true
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(config jsonrpc merge_patch)

command -v cargo-fuzz >/dev/null 2>&1 || cargo install cargo-fuzz --locked
export RUSTC_BOOTSTRAP=1
target_dir="${MCPPROXY_FUZZ_TARGET_DIR:-${CARGO_TARGET_DIR:-target}/fuzz}"
mkdir -p "$target_dir"
target_dir="$(cd "$target_dir" && pwd)"

echo "== cargo fuzz build (sanitizer build into $target_dir)"
start=$(date +%s)
cargo fuzz build --target-dir "$target_dir"
echo "built in $(( $(date +%s) - start )) s"

for target in "${targets[@]}"; do
  scratch="$target_dir/corpus/$target"
  mkdir -p "$scratch"
  echo "== $target for ${seconds}s"
  dict=()
  [ -f "fuzz/dicts/$target.dict" ] && dict=(-dict="fuzz/dicts/$target.dict")
  cargo fuzz run --target-dir "$target_dir" "$target" "$scratch" "fuzz/corpus/$target" -- \
    -max_total_time="$seconds" -rss_limit_mb=4096 -print_final_stats=1 "${dict[@]}" 2>&1 |
    grep -E "^#[0-9]+.*(DONE|pulse)|stat::|Done|SUMMARY|panicked|ERROR|Test unit written" || true
  if ls "fuzz/artifacts/$target"/crash-* "fuzz/artifacts/$target"/oom-* "fuzz/artifacts/$target"/timeout-* >/dev/null 2>&1; then
    echo "$target: crash inputs in fuzz/artifacts/$target/" >&2
    exit 1
  fi
done
