#!/usr/bin/env bash
# Property-based test of the REST API from docs/openapi.json with Schemathesis (PyPI):
# the real `mcpproxy serve` with two fixture upstreams (stdio + Streamable HTTP) in a temp
# dir; every generated request must get no 5xx, a documented status code and a response
# matching its schema; the server must not crash (see docs/reliability.md).
#
# Isolation: the run uses its own network namespace (`unshare -n`, loopback only) when the
# kernel allows it, and a private D-Bus session with an unlocked gnome-keyring for the
# secrets endpoints; without gnome-keyring those endpoints are excluded (they would reach
# the developer's own keyring). Docker is unreachable (DOCKER_HOST points nowhere), and
# scripts/schemathesis/hooks.py turns every generated command into the fixture binary and
# every non-loopback URL into a closed loopback port.
#
# Environment: MCPPROXY_ST_EXAMPLES (examples per operation, default 30),
# MCPPROXY_ST_SEED (default 7), MCPPROXY_ST_VENV (venv dir), CARGO_TARGET_DIR.
set -euo pipefail
cd "$(dirname "$0")/.."

ST_VERSION=4.32.5
stage="${1:-outer}"

if [ "$stage" = outer ]; then
  target_dir="${CARGO_TARGET_DIR:-target}"
  venv="${MCPPROXY_ST_VENV:-$target_dir/schemathesis-venv}"
  if ! "$venv/bin/st" --version 2>/dev/null | grep -q "$ST_VERSION"; then
    echo "== schemathesis $ST_VERSION into $venv"
    python3 -m venv "$venv"
    "$venv/bin/pip" install --quiet --disable-pip-version-check "schemathesis==$ST_VERSION"
  fi
  cargo build --quiet --bin mcpproxy --example fixture_server
  export MCPPROXY_ST_ST="$(cd "$venv" && pwd)/bin/st"
  export MCPPROXY_ST_BIN="$(cd "$target_dir" && pwd)/debug/mcpproxy"
  export MCPPROXY_ST_FIXTURE_BIN="$(cd "$target_dir" && pwd)/debug/examples/fixture_server"
  export MCPPROXY_ST_TMP="$(mktemp -d)"
  trap 'rm -rf "$MCPPROXY_ST_TMP"' EXIT
  inner=(bash scripts/schemathesis.sh keyring)
  if ! command -v ip >/dev/null 2>&1; then
    echo "== no ip (iproute2) for a network namespace: the hooks keep requests on loopback" >&2
    "${inner[@]}"
  elif unshare -n true 2>/dev/null; then
    echo "== own network namespace (loopback only)"
    unshare -n sh -c 'ip link set lo up && exec "$@"' sh "${inner[@]}"
  elif unshare -rn true 2>/dev/null; then
    echo "== own user + network namespace (loopback only)"
    unshare -rn sh -c 'ip link set lo up && exec "$@"' sh "${inner[@]}"
  else
    echo "== no network namespace available: the hooks keep requests on loopback" >&2
    "${inner[@]}"
  fi
  exit
fi

if [ "$stage" = keyring ]; then
  if command -v dbus-run-session >/dev/null 2>&1 && command -v gnome-keyring-daemon >/dev/null 2>&1; then
    export MCPPROXY_ST_KEYRING=1
    XDG_DATA_HOME="$MCPPROXY_ST_TMP/xdg" dbus-run-session -- sh -c \
      'echo -n st-keyring-pw | gnome-keyring-daemon --unlock --components=secrets >/dev/null && exec "$@"' \
      sh bash scripts/schemathesis.sh run
  else
    echo "no dbus-run-session/gnome-keyring: the secrets endpoints are excluded" >&2
    unset DBUS_SESSION_BUS_ADDRESS
    bash scripts/schemathesis.sh run
  fi
  exit
fi

# stage "run": fixture upstreams, mcpproxy serve, schemathesis.
tmp="$MCPPROXY_ST_TMP"
export HOME="$tmp/home" DOCKER_HOST="unix://$tmp/no-docker.sock"
mkdir -p "$HOME"
pids=()
cleanup() { for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done; }
trap cleanup EXIT

"$MCPPROXY_ST_FIXTURE_BIN" http --port 0 --name fx-http >"$tmp/fixture.out" 2>/dev/null &
pids+=($!)
for _ in $(seq 100); do grep -q LISTENING "$tmp/fixture.out" && break; sleep 0.1; done
fixture_url="$(sed -n 's/^LISTENING //p' "$tmp/fixture.out")"
[ -n "$fixture_url" ] || { echo "fixture server did not start" >&2; exit 1; }

api_key="$(head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n')"
cat >"$tmp/mcp_config.json" <<EOF
{
  "listen": "127.0.0.1:0",
  "api_key": "$api_key",
  "call_tool_timeout": "5s",
  "mcpServers": [
    {"name": "fx-stdio", "protocol": "stdio", "command": "$MCPPROXY_ST_FIXTURE_BIN",
     "args": ["stdio", "--name", "fx-stdio"], "env": {"API_TOKEN": "st-secret-0123456789"},
     "quarantined": false},
    {"name": "fx-http", "protocol": "http", "url": "$fixture_url",
     "headers": {"Authorization": "Bearer st-secret-token"}, "quarantined": false},
    {"name": "fx-spare", "protocol": "http", "url": "$fixture_url", "enabled": false}
  ]
}
EOF

MCPPROXY_LOG="info,rmcp=warn,tantivy=warn" "$MCPPROXY_ST_BIN" serve --config "$tmp/mcp_config.json" \
  --data-dir "$tmp/data" >"$tmp/serve.out" 2>"$tmp/serve.err" &
serve_pid=$!
pids+=("$serve_pid")
for _ in $(seq 200); do grep -q "mcpproxy listening on" "$tmp/serve.out" && break; sleep 0.1; done
base="$(sed -n 's/^mcpproxy listening on \([^ ]*\).*/\1/p' "$tmp/serve.out" | head -1)"
base="${base%/mcp}"
[ -n "$base" ] || { echo "mcpproxy serve did not start:" >&2; cat "$tmp/serve.err" >&2; exit 1; }
for _ in $(seq 100); do
  curl -fsS "$base/api/v1/readyz" >/dev/null 2>&1 && break
  sleep 0.1
done

exclude=()
if [ -z "${MCPPROXY_ST_KEYRING:-}" ]; then
  exclude=(--exclude-path-regex '/secrets|/config-to-secret')
fi
echo "== schemathesis $ST_VERSION against $base (${MCPPROXY_ST_EXAMPLES:-30} examples per operation)"
status=0
repo="$(pwd)"
# From the temp dir: schemathesis keeps its cache (.schemathesis/) in the working directory.
(cd "$tmp" && SCHEMATHESIS_HOOKS=hooks PYTHONPATH="$repo/scripts/schemathesis" "$MCPPROXY_ST_ST" \
  --config-file "$repo/scripts/schemathesis/schemathesis.toml" run "$repo/docs/openapi.json" \
  --url "$base" \
  --header "X-API-Key: $api_key" \
  --checks not_a_server_error,status_code_conformance,response_schema_conformance,content_type_conformance \
  --exclude-path /events \
  --exclude-path-regex '/logs/stream$' \
  "${exclude[@]}" \
  --max-examples "${MCPPROXY_ST_EXAMPLES:-30}" \
  --seed "${MCPPROXY_ST_SEED:-7}" \
  --generation-database none \
  --request-timeout 20 \
  --workers 1 \
  --no-color) || status=$?

if ! kill -0 "$serve_pid" 2>/dev/null; then
  echo "mcpproxy serve died during the run:" >&2
  tail -50 "$tmp/serve.err" >&2
  exit 1
fi
if grep -q "panicked" "$tmp/serve.err"; then
  echo "mcpproxy serve panicked during the run:" >&2
  grep -A5 "panicked" "$tmp/serve.err" >&2
  exit 1
fi
if grep -q "st-secret" "$tmp/serve.err" "$tmp/serve.out"; then
  echo "a secret value reached the server's output" >&2
  exit 1
fi
exit "$status"
