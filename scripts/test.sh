#!/usr/bin/env bash
# The whole test suite, including its set-up on a fresh Debian/Ubuntu machine:
# system packages (when run as root), the npm test servers/clients, fmt, clippy and cargo test.
set -euo pipefail
cd "$(dirname "$0")/.."

need_apt=()
command -v node >/dev/null 2>&1 || need_apt+=(nodejs npm)
command -v pkill >/dev/null 2>&1 || need_apt+=(procps)
command -v python3 >/dev/null 2>&1 || need_apt+=(python3)
python3 -c 'import ensurepip' >/dev/null 2>&1 || need_apt+=(python3-venv)
[ -x "${CHROMIUM:-/usr/bin/chromium}" ] || need_apt+=(chromium)
if [ ${#need_apt[@]} -gt 0 ]; then
  if [ "$(id -u)" = 0 ]; then
    apt-get update -qq && apt-get install -y -qq --no-install-recommends "${need_apt[@]}"
  else
    echo "missing system packages: ${need_apt[*]} (install them, e.g. sudo apt-get install ${need_apt[*]})" >&2
    exit 1
  fi
fi

echo "== npm test dependencies (tests/npm)"
(cd tests/npm && npm ci --no-audit --no-fund --loglevel=error)

echo "== MCP conformance suite (Node 22 + @modelcontextprotocol/conformance, tests/conformance)"
bash scripts/conformance-setup.sh >/dev/null

echo "== web UI (ui/): npm ci, type check, Vitest unit tests, build to ui/dist"
(cd ui && npm ci --no-audit --no-fund --loglevel=error && npm run check && npm test && npm run build)

echo "== cargo fmt --check"
cargo fmt --all -- --check

echo "== cargo clippy"
cargo clippy --all-targets -- -D warnings

# Tests that touch the OS keyring run in a private session bus with an unlocked gnome-keyring,
# so they use a real Secret Service (and never the developer's own keyring).
in_keyring_session() {
  if command -v dbus-run-session >/dev/null 2>&1 && command -v gnome-keyring-daemon >/dev/null 2>&1; then
    XDG_DATA_HOME="$(mktemp -d)" dbus-run-session -- sh -c \
      'echo -n ci-keyring-pw | gnome-keyring-daemon --unlock --components=secrets >/dev/null && exec "$@"' sh "$@"
  else
    echo "no dbus-run-session/gnome-keyring: keyring tests skip (install gnome-keyring dbus to run them)" >&2
    "$@"
  fi
}

echo "== web UI browser tests (headless Chromium against mcpproxy serve)"
cargo build --bin mcpproxy --example fixture_server
(cd ui && in_keyring_session npm run e2e)

echo "== cargo test"
RUST_TEST_THREADS="${MCPPROXY_TEST_THREADS:-4}" in_keyring_session cargo test --all-targets

# Generated requests against the real server from docs/openapi.json: no 5xx, documented
# statuses and schemas, no crash (own network namespace and private keyring; ~1 min).
echo "== REST API property test (schemathesis, scripts/schemathesis.sh)"
bash scripts/schemathesis.sh

# The desktop app (feature `desktop`); skipped with a note when GTK/WebKit/Xvfb are missing
# (fails instead when MCPPROXY_REQUIRE_DESKTOP=1, as in CI).
bash scripts/test-desktop.sh
