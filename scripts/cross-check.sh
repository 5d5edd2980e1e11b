#!/usr/bin/env bash
# Compile checks for Windows and macOS from Linux (issue 18, docs/platforms.md):
# `cargo clippy -D warnings` — which type-checks exactly like `cargo check` and adds the lints —
# of the library and binaries for x86_64-pc-windows-gnu, aarch64-apple-darwin and
# x86_64-apple-darwin, with the `desktop` feature (the tray app) and without it (features are
# additive, but code used only by the tray could be dead without it). No linker is needed.
# Toolchains: mingw-w64 (Debian) for Windows C code, zig (PyPI `ziglang`) as the macOS C
# compiler. Installs what is missing when run as root.
# Usage: [CROSS_CHECK_FEATURES="desktop default"] scripts/cross-check.sh [TARGET...]
set -euo pipefail
cd "$(dirname "$0")/.."

targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(x86_64-pc-windows-gnu aarch64-apple-darwin x86_64-apple-darwin)
tools="$PWD/target/cross-tools"
mkdir -p "$tools"
start=$(date +%s)

if ! command -v x86_64-w64-mingw32-gcc >/dev/null 2>&1; then
  if [ "$(id -u)" = 0 ]; then
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends gcc-mingw-w64-x86-64 >/dev/null
  else
    echo "missing the Windows C compiler: sudo apt-get install gcc-mingw-w64-x86-64" >&2
    exit 1
  fi
fi
rustup target add "${targets[@]}" >/dev/null 2>&1 || rustup target add "${targets[@]}"

# zig as the macOS C compiler (sqlite, ring), in a private venv.
if ! "$tools/venv/bin/python" -m ziglang version >/dev/null 2>&1; then
  python3 -m venv "$tools/venv"
  "$tools/venv/bin/pip" install -q 'ziglang==0.17.*' || "$tools/venv/bin/pip" install -q ziglang
fi
printf '#!/bin/sh\nexec "%s" -m ziglang ar "$@"\n' "$tools/venv/bin/python" >"$tools/zigar"
chmod +x "$tools/zigar"
for arch in aarch64 x86_64; do
  # cc-rs passes Apple flags zig does not take (--target=…, -arch X); zig gets its own -target.
  cat >"$tools/zigcc-$arch-macos" <<EOF
#!/usr/bin/env bash
args=(); skip=0
for a in "\$@"; do
  if [ \$skip = 1 ]; then skip=0; continue; fi
  case "\$a" in --target=*) ;; -arch) skip=1 ;; *) args+=("\$a") ;; esac
done
exec "$tools/venv/bin/python" -m ziglang cc -target $arch-macos "\${args[@]}"
EOF
  chmod +x "$tools/zigcc-$arch-macos"
done
export ZIG_GLOBAL_CACHE_DIR="$tools/zig-cache"
export CC_aarch64_apple_darwin="$tools/zigcc-aarch64-macos" AR_aarch64_apple_darwin="$tools/zigar"
export CC_x86_64_apple_darwin="$tools/zigcc-x86_64-macos" AR_x86_64_apple_darwin="$tools/zigar"

status=0
for target in "${targets[@]}"; do
  for features in ${CROSS_CHECK_FEATURES:-desktop default}; do
    [ "$features" = default ] && features=""
    label="$target${features:+ --features $features}"
    t0=$(date +%s)
    if cargo clippy --quiet --target "$target" --lib --bins ${features:+--features "$features"} \
      -- -D warnings; then
      echo "cross-check: $label ok ($(($(date +%s) - t0)) s)"
    else
      echo "cross-check: $label FAILED" >&2
      status=1
    fi
  done
done
echo "cross-check: done in $(($(date +%s) - start)) s"
exit $status
