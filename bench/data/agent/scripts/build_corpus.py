#!/usr/bin/env python3
"""Merge raw/<server>.json (from dump_tools.py) into corpus.json."""
import json
from pathlib import Path
ROOT = Path(__file__).resolve().parent.parent
ORDER = ["everything","filesystem","memory","github","gitlab","slack","puppeteer","postgres",
         "google-maps","brave-search","sequential-thinking","playwright","notion","context7",
         "fetch","git","time","sqlite"]
corpus = []
for s in ORDER:
    raw = json.loads((ROOT/"raw"/f"{s}.json").read_text())
    for t in raw["tools"]:
        corpus.append({"server": s, "name": t["name"], "description": t.get("description"),
                       "inputSchema": t.get("inputSchema"), "annotations": t.get("annotations")})
(ROOT/"corpus.json").write_text(json.dumps(corpus, indent=1, ensure_ascii=False))
print(len({c["server"] for c in corpus}), "servers,", len(corpus), "tools")
