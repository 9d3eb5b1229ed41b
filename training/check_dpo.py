"""A tiny DPO step on a learning-loop export, checked (used by LearningLoopIT; exit 1 when it fails):
starting from the model the daemon runs, a few relevance-weighted DPO updates must raise
log pi(chosen) - log pi(rejected) on the export's pairs — the preferred direction — while the
reference model's margins stay what they were.

    python3 check_dpo.py --model ../models/reference-cxr --export DIR [--steps 3]
Prints `dpo: pairs=N margin_before=X margin_after=Y`.
"""
import argparse
import sys

import torch

from common import set_threads, seed_everything
from from_onnx import load_reference
import learn
import tokenizer_build as tb


def mean_margin(model, tok, items, max_len):
    with torch.no_grad():
        hc, tc, hr, tr, _ = learn._pair_logp(model, tok, items, max_len)
        w = torch.tensor([i[4] for i in items])
        return float((w * ((hc + tc) - (hr + tr))).sum() / w.sum())


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--model", required=True)
    ap.add_argument("--export", required=True)
    ap.add_argument("--steps", type=int, default=3)
    a = ap.parse_args()
    set_threads()
    seed_everything(1)
    gen = torch.Generator().manual_seed(1)
    drafter, _, info = load_reference(a.model)
    ref, _, _ = load_reference(a.model)
    with open(f"{a.model}/vocab.txt", encoding="utf-8") as f:
        tok = tb.WordPieceTokenizer([x.rstrip("\n") for x in f if x.rstrip("\n")])
    images = learn.Images(a.export, info["size"], info["image_mean"][0], info["image_std"][0])
    items = learn.dpo_items(a.export, images, gen)
    if not items:
        print("dpo: the export has no preference pairs", file=sys.stderr)
        sys.exit(1)
    items = items[:8]
    max_len = info["max_positions"]
    before = mean_margin(drafter, tok, items, max_len)
    learn.dpo(drafter, ref, tok, items, a.steps, beta=0.1, head_beta=1.0, sft_weight=0.0, lr=3e-4, batch=len(items),
              max_len=max_len, gen=gen)
    after = mean_margin(drafter, tok, items, max_len)
    unchanged = mean_margin(ref, tok, items, max_len)
    print(f"dpo: pairs={len(items)} margin_before={before:.4f} margin_after={after:.4f} reference={unchanged:.4f}")
    sys.exit(0 if after > before and abs(unchanged - before) < 1e-4 else 1)


if __name__ == "__main__":
    main()
