#!/usr/bin/env bash
# Install the peer proxies the end-to-end benchmark compares against, from the package
# registries, into bench/.peers (gitignored). Idempotent; prints what it could not install.
#   PyPI: mcp-proxy (sparfenyuk), fastmcp (FastMCP's proxy)   npm: mcp-hub
set -uo pipefail
cd "$(dirname "$0")"
PEERS="$PWD/.peers"
MCP_PROXY_VERSION="${MCP_PROXY_VERSION:-0.13.0}"
FASTMCP_VERSION="${FASTMCP_VERSION:-4.1.6}"
MCP_HUB_VERSION="${MCP_HUB_VERSION:-4.2.1}"
mkdir -p "$PEERS"
status=0

# Each Python peer gets its own venv: their pinned dependencies (mcp, httpx, …) may conflict.
install_py() { # name spec
  local venv="$PEERS/$1"
  if [ ! -x "$venv/bin/python" ]; then
    python3 -m venv "$venv" || { echo "peer $1: cannot create a venv" >&2; return 1; }
  fi
  "$venv/bin/pip" install --quiet --disable-pip-version-check "$2" >"$PEERS/$1.install.log" 2>&1 \
    || { echo "peer $1: pip install $2 failed (see $PEERS/$1.install.log)" >&2; return 1; }
}

install_py mcp-proxy "mcp-proxy==$MCP_PROXY_VERSION" || status=1
install_py fastmcp "fastmcp==$FASTMCP_VERSION" || status=1

if command -v npm >/dev/null 2>&1; then
  mkdir -p "$PEERS/mcp-hub"
  (cd "$PEERS/mcp-hub" && [ -f package.json ] || echo '{"private": true}' >package.json)
  (cd "$PEERS/mcp-hub" && npm install --no-audit --no-fund --loglevel=error "mcp-hub@$MCP_HUB_VERSION") \
    >"$PEERS/mcp-hub.install.log" 2>&1 \
    || { echo "peer mcp-hub: npm install failed (see $PEERS/mcp-hub.install.log)" >&2; status=1; }
else
  echo "peer mcp-hub: npm not found" >&2
  status=1
fi
exit $status
