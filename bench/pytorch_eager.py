"""PyTorch eager side of bench/inference.sh: the reference drafter (training/models.py) on the same
inputs as the Java runs (InferenceBench --inputs-out), one study at a time, greedy with the KV cache,
exactly --tokens generated tokens (the end token is ignored, as on the Java side), same thread count.

Weights: the training checkpoint (--ckpt DIR with drafter.pt + train_config.json + vocab.json) when
given; otherwise the architecture is built from the model directory's config.json with seeded random
weights (eager speed does not depend on the weight values; the row says which was used).

usage: /usr/bin/python3 bench/pytorch_eager.py --training DIR --model DIR --inputs FILE --tokens L
       --threads T [--ckpt DIR] [--warmup W] [--repeat R] [--json-out FILE]
"""
import argparse
import json
import math
import os
import sys
import time

import numpy as np


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--training", required=True, help="directory holding models.py (the project's training/)")
    ap.add_argument("--model", required=True, help="model directory (config.json, generation_config.json)")
    ap.add_argument("--inputs", required=True)
    ap.add_argument("--tokens", type=int, required=True)
    ap.add_argument("--threads", type=int, required=True)
    ap.add_argument("--ckpt", default=None)
    ap.add_argument("--warmup", type=int, default=3)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--json-out", default=None)
    a = ap.parse_args()

    import torch
    torch.set_num_threads(a.threads)
    torch.set_num_interop_threads(1)
    torch.set_flush_denormal(True)
    sys.path.insert(0, os.path.abspath(a.training))
    from models import Drafter  # noqa: E402  (the colleague's model code, unchanged)

    with open(os.path.join(a.model, "config.json")) as f:
        mc = json.load(f)
    with open(os.path.join(a.model, "generation_config.json")) as f:
        gen = json.load(f)
    bos = gen.get("decoder_start_token_id", gen["bos_token_id"])

    weights = "seeded random (no checkpoint)"
    if a.ckpt and os.path.exists(os.path.join(a.ckpt, "drafter.pt")):
        with open(os.path.join(a.ckpt, "train_config.json")) as f:
            cfg = json.load(f)
        with open(os.path.join(a.ckpt, "vocab.json")) as f:
            vocab = json.load(f)
        drafter = Drafter(len(vocab), cfg["size"], 14, cfg["d_model"], cfg["enc_cfg"], cfg["dec_layers"],
                          cfg["heads"], cfg["max_positions"])
        drafter.load_state_dict(torch.load(os.path.join(a.ckpt, "drafter.pt")))
        weights = "checkpoint " + a.ckpt
    else:
        torch.manual_seed(0)
        e, d = mc["encoder"], mc["decoder"]
        size = e["image_size"]
        grid = int(round(math.sqrt(e["sequence_length"] / e["num_channels"])))
        pool = max(1, size // 16 // grid)
        drafter = Drafter(mc["vocab_size"], size, 14, d["hidden_size"], {"pool": pool, "layers": 1},
                          d["num_layers"], d["num_attention_heads"], d["max_position_embeddings"])
    drafter.eval()

    raw = np.fromfile(a.inputs, dtype="<i4", count=4)
    n, v, s, _ = (int(x) for x in raw)
    px = np.fromfile(a.inputs, dtype="<f4", offset=16).reshape(n, v, s, s)

    @torch.no_grad()
    def one(x):
        enc = drafter.encoder(x)
        dec = drafter.decoder
        enc_kv = dec.cross_kv(enc)
        cur = torch.full((1, 1), bos, dtype=torch.long)
        past = None
        ids = []
        for _ in range(a.tokens):
            logits, past = dec(cur, enc, enc_kv, past)
            lp = torch.log_softmax(logits[:, -1], -1)
            nxt = lp.argmax(-1)
            ids.append(int(nxt[0]))
            cur = nxt[:, None]
        return ids

    xs = [torch.from_numpy(px[i:i + 1].copy()) for i in range(n)]
    for w in range(a.warmup):
        one(xs[w % n])
    ms = []
    best = [float("inf")] * n
    for r in range(a.repeat):
        for i, x in enumerate(xs):
            t0 = time.perf_counter()
            ids = one(x)
            t = (time.perf_counter() - t0) * 1000
            ms.append(t)
            best[i] = min(best[i], t)
            assert len(ids) == a.tokens
    ms = np.array(ms)
    res = {"studies": n, "tokens": a.tokens, "threads": a.threads, "weights": weights,
           "torch": torch.__version__,
           "pytorch_eager": {"best_p50_ms": float(np.percentile(best, 50)), "mean_ms": float(ms.mean()), "p50_ms": float(np.percentile(ms, 50)),
                             "p95_ms": float(np.percentile(ms, 95)), "studies_per_second": float(1000 / ms.mean())}}
    print("pytorch   studies=%d tokens=%d threads=%d mean=%.2f ms p50=%.2f ms p95=%.2f ms (%s)" % (
        n, a.tokens, a.threads, ms.mean(), np.percentile(ms, 50), np.percentile(ms, 95), weights))
    if a.json_out:
        with open(a.json_out, "w") as f:
            json.dump(res, f)


if __name__ == "__main__":
    main()
