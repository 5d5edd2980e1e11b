#!/usr/bin/env bash
# Windows runtime smoke test (issue 18, docs/platforms.md): cross-build mcpproxy.exe and the
# fixture server for x86_64-pc-windows-gnu, then run tests/wine_smoke.rs against them under
# Debian's wine64 in a private prefix. Installs mingw-w64 and wine64 when run as root.
set -euo pipefail
cd "$(dirname "$0")/.."
start=$(date +%s)
target=x86_64-pc-windows-gnu
loader=/usr/lib/wine/wine64

need=()
command -v x86_64-w64-mingw32-gcc >/dev/null 2>&1 || need+=(gcc-mingw-w64-x86-64)
[ -x "$loader" ] || need+=(wine64)
if [ ${#need[@]} -gt 0 ]; then
  if [ "$(id -u)" = 0 ]; then
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
  else
    echo "missing: sudo apt-get install ${need[*]}" >&2
    exit 1
  fi
fi
rustup target add "$target" >/dev/null 2>&1 || rustup target add "$target"

echo "== cross-build mcpproxy.exe and fixture_server.exe ($target)"
cargo build --quiet --target "$target" --bin mcpproxy --example fixture_server
out="$PWD/target/$target/debug"

# Rust's std calls bcryptprimitives.dll!ProcessPrng, which wine 8 lacks: a stand-in next to
# each .exe forwards it to RtlGenRandom (advapi32's SystemFunction036).
tools="$PWD/target/cross-tools"
mkdir -p "$tools"
cat >"$tools/bcryptprimitives.c" <<'EOF'
#include <windows.h>
#include <ntsecapi.h>
BOOL WINAPI ProcessPrng(PBYTE data, SIZE_T len) { return RtlGenRandom(data, (ULONG)len); }
EOF
printf 'LIBRARY bcryptprimitives\nEXPORTS\n    ProcessPrng\n' >"$tools/bcryptprimitives.def"
x86_64-w64-mingw32-gcc -shared -o "$tools/bcryptprimitives.dll" \
  "$tools/bcryptprimitives.c" "$tools/bcryptprimitives.def" -ladvapi32
cp "$tools/bcryptprimitives.dll" "$out/" && cp "$tools/bcryptprimitives.dll" "$out/examples/"

export WINEPREFIX="$tools/wine-prefix" WINEDEBUG=-all WINEDLLOVERRIDES="mscoree,mshtml="
if [ ! -f "$WINEPREFIX/system.reg" ]; then
  echo "== creating the wine prefix"
  "$loader" wineboot -i >/dev/null 2>&1 || true
fi

echo "== tests/wine_smoke.rs"
status=0
WINE="$loader" MCPPROXY_WINE_EXE="$out/mcpproxy.exe" \
  MCPPROXY_WINE_FIXTURE="$out/examples/fixture_server.exe" \
  cargo test --quiet --test wine_smoke -- --test-threads=1 || status=$?
# Stop this prefix's wineserver (and any process left in it).
"${loader%/*}/wineserver64" -k >/dev/null 2>&1 || true
echo "wine-smoke: done in $(($(date +%s) - start)) s"
exit $status
