#!/usr/bin/env python3
"""Validate queries_all.txt against corpus.json and split it at random
(seeded) into tuning.jsonl (40%) and heldout.jsonl (60%).
Format of queries_all.txt: `query => server:tool[, server:tool...]`, '#' = comment."""
import json, random, re, collections
from pathlib import Path
ROOT = Path(__file__).resolve().parent.parent
SEED = 20261207
TUNING_FRACTION = 0.40

corpus = json.loads((ROOT / "corpus.json").read_text())
known = {f"{t['server']}:{t['name']}" for t in corpus}
items, seen = [], set()
for ln, line in enumerate((ROOT / "queries_all.txt").read_text().splitlines(), 1):
    if not line.strip() or line.lstrip().startswith("#"):
        continue
    q, _, exp = line.rpartition(" => ")
    q = q.strip()
    expected = [e.strip() for e in exp.split(",") if e.strip()]
    assert q and 1 <= len(expected) <= 3, (ln, line)
    for e in expected:
        assert e in known, f"line {ln}: unknown tool {e}"
    assert len(set(expected)) == len(expected), (ln, line)
    assert q.lower() not in seen, f"line {ln}: duplicate query {q}"
    seen.add(q.lower())
    items.append({"query": q, "expected": expected})

rng = random.Random(SEED)
order = list(range(len(items)))
rng.shuffle(order)
n_tune = round(len(items) * TUNING_FRACTION)
tune = [items[i] for i in sorted(order[:n_tune])]
held = [items[i] for i in sorted(order[n_tune:])]
for name, part in (("tuning.jsonl", tune), ("heldout.jsonl", held)):
    (ROOT / name).write_text("".join(json.dumps(x, ensure_ascii=False) + "\n" for x in part))

def tools(part, first_only=False):
    return {e for x in part for e in (x["expected"][:1] if first_only else x["expected"])}
print(f"queries: {len(items)}  tuning: {len(tune)}  heldout: {len(held)}")
print(f"distinct tools expected (any position): {len(tools(items))}; as best answer: {len(tools(items, True))} of {len(known)} in corpus")
print(f"  tuning: {len(tools(tune))}  heldout: {len(tools(held))}")
print("expected-list sizes:", dict(sorted(collections.Counter(len(x['expected']) for x in items).items())))
print("best-answer servers:", dict(collections.Counter(x['expected'][0].split(':')[0] for x in items).most_common()))
print("corpus tools never expected:", sorted(known - tools(items)))
# lexical overlap diagnostic: queries sharing no word (>=3 chars) with the best tool's name
def words(s): return {w for w in re.split(r"[^a-z0-9]+", s.lower()) if len(w) >= 3}
no_overlap = sum(1 for x in items if not (words(x["query"]) & words(x["expected"][0].split(":", 1)[1])))
print(f"queries sharing no word with the best tool's name: {no_overlap}/{len(items)}")
lens = sorted(len(x["query"].split()) for x in items)
print(f"query length in words: min {lens[0]}, median {lens[len(lens)//2]}, max {lens[-1]}")
