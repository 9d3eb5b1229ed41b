"""Train the reference drafter and classifier on phantom studies.

usage: train.py --train DIR --out CKPT_DIR [--size 192] [--epochs 12] [--seed 1234] ...
Writes CKPT_DIR/drafter.pt, classifier.pt, vocab.json, train_config.json.
"""
import argparse
import json
import math
import os
import time

import numpy as np
import torch
import torch.nn.functional as F

from common import OBSERVATIONS, PAD_ID, report_text, seed_everything, set_threads
from data import load_set
from models import Classifier, Drafter
import tokenizer_build as tb


def log(*a):
    print(time.strftime("%H:%M:%S"), *a, flush=True)


def augment(x, g):
    """Mild, laterality-preserving augmentation on a batch [B,2,S,S] (0..255 float):
    random shift (+-4 px, zero fill), global gain/offset jitter. Never flips."""
    b, v, s, _ = x.shape
    out = torch.zeros_like(x)
    sh = torch.randint(-4, 5, (b, 2), generator=g)
    for i in range(b):
        dy, dx = int(sh[i, 0]), int(sh[i, 1])
        ys, yd = (slice(dy, s), slice(0, s - dy)) if dy >= 0 else (slice(0, s + dy), slice(-dy, s))
        xs, xd = (slice(dx, s), slice(0, s - dx)) if dx >= 0 else (slice(0, s + dx), slice(-dx, s))
        out[i, :, yd, xd] = x[i, :, ys, xs]
    gain = 1 + 0.1 * (torch.rand(b, 1, 1, 1, generator=g) * 2 - 1)
    off = 8 * (torch.rand(b, 1, 1, 1, generator=g) * 2 - 1)
    return (out * gain + off).clamp(0, 255)


def finding_maps(rows, grid):
    """[N, L, grid, grid] uint8: 1 where a finding's frontal box overlaps the cell (frontal view).
    Pneumonia (text-only in the generator) and No Finding get no map (masked out of the loss)."""
    maps = np.zeros((len(rows), len(OBSERVATIONS), grid, grid), np.uint8)
    for i, r in enumerate(rows):
        for d in r.get("details", []):
            box = d.get("frontal_box")
            if not box or d["observation"] not in OBSERVATIONS or d.get("status", 1) == 0:
                continue
            j = OBSERVATIONS.index(d["observation"])
            x0, y0, x1, y1 = (min(grid - 1, max(0, int(v * grid))) for v in box)
            maps[i, j, y0:y1 + 1, x0:x1 + 1] = 1
    return maps


MAP_MASK = torch.tensor([o not in ("No Finding", "Pneumonia") for o in OBSERVATIONS], dtype=torch.float32)


def map_loss(head, mid, target, views):
    """Training-only localisation signal: a 1x1 conv on the backbone's last-but-one stage of the
    frontal view predicts, per cell, which findings' boxes cover it. Small findings (nodule, rib
    fracture, apical pneumothorax, pleural thickening) otherwise teach a globally pooled CNN only
    through a few hundred positive studies each; the boxes say where to look."""
    b = target.shape[0]
    frontal = mid.reshape(b, views, *mid.shape[1:])[:, 0]
    logits = head(frontal)
    loss = F.binary_cross_entropy_with_logits(logits, target, pos_weight=torch.tensor(4.0), reduction="none")
    return (loss.mean((2, 3)) * MAP_MASK).sum(1).mean() / MAP_MASK.sum()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--train", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--cache", default=None)
    ap.add_argument("--size", type=int, default=192)
    ap.add_argument("--epochs", type=int, default=12)
    ap.add_argument("--clf-epochs", type=int, default=None)
    ap.add_argument("--batch", type=int, default=32)
    ap.add_argument("--lr", type=float, default=1e-3)
    ap.add_argument("--d-model", type=int, default=192)
    ap.add_argument("--dec-layers", type=int, default=2)
    ap.add_argument("--heads", type=int, default=4)
    ap.add_argument("--enc-pool", type=int, default=1)
    ap.add_argument("--enc-layers", type=int, default=1)
    ap.add_argument("--widths", default="16,24,48,96,128")
    ap.add_argument("--blocks", default="0,0,0,1,1")
    ap.add_argument("--lateral-dropout", type=float, default=0.05,
                    help="share of training studies whose lateral view is zeroed (normalised 0), so that a "
                         "frontal-only study with missing_view_fill 'zeros' still gets a sensible draft")
    ap.add_argument("--aux-weight", type=float, default=1.0,
                    help="weight of the encoder's finding-head loss (BCE on the 14 labels)")
    ap.add_argument("--token-mode", choices=("hard", "soft"), default="hard",
                    help="hard: finding tokens are exactly present/absent (head logit vs a threshold calibrated "
                         "by package.py); soft: a mix weighted by the head's probability")
    ap.add_argument("--finding-teacher", default=None,
                    help="share of training studies whose finding tokens come from the ground-truth labels "
                         "instead of the finding head, annealed linearly from the first to the second value "
                         "over the drafter epochs: the decoder learns early what each token means, and late "
                         "to cope with the head's own (imperfect) probabilities; default 1.0,1.0 with hard tokens "
                         "(the decoder learns to verbalise exact tokens), 0.8,0.2 with soft ones")
    ap.add_argument("--map-weight", type=float, default=1.0,
                    help="weight of the training-only finding-map loss (frontal boxes), 0 to disable")
    ap.add_argument("--seed", type=int, default=1234)
    args = ap.parse_args()
    set_threads()
    seed_everything(args.seed)
    os.makedirs(args.out, exist_ok=True)
    t0 = time.time()

    rows, px, labels = load_set(args.train, args.size, args.cache, log)
    log(f"train set: {len(rows)} studies from {args.train}, pixels {px.shape} ({time.time() - t0:.0f}s)")
    texts = [report_text(r["findings"], r["impression"]) for r in rows]
    vocab = tb.build_vocab(texts)
    tok = tb.WordPieceTokenizer(vocab)
    seqs = [tok.encode(t) for t in texts]
    max_len = max(len(s) for s in seqs)
    max_positions = int(math.ceil(max_len * 1.25 / 32) * 32)
    log(f"vocab {len(vocab)}, longest target {max_len} tokens, max_positions {max_positions}")
    ids = np.full((len(seqs), max_len), PAD_ID, np.int64)
    for i, s in enumerate(seqs):
        ids[i, :len(s)] = s

    # normalisation statistics from the training pixels (rounded; written to preprocessor_config)
    sample = px[:: max(1, len(px) // 500)].astype(np.float32) / 255.0
    mean, std = round(float(sample.mean()), 3), round(float(sample.std()), 3)
    log(f"pixel mean {mean} std {std}")

    widths = [int(v) for v in args.widths.split(",")]
    blocks = [int(v) for v in args.blocks.split(",")]
    enc_cfg = dict(pool=args.enc_pool, layers=args.enc_layers, widths=widths, blocks=blocks,
                   hard_tokens=args.token_mode == "hard")
    if args.finding_teacher is None:
        args.finding_teacher = "1.0,1.0" if args.token_mode == "hard" else "0.8,0.2"
    clf_cfg = dict(widths=widths, blocks=blocks)
    drafter = Drafter(len(vocab), args.size, len(OBSERVATIONS), args.d_model, enc_cfg,
                      args.dec_layers, args.heads, max_positions)
    clf = Classifier(len(OBSERVATIONS), **clf_cfg)
    # training-only finding-map heads (not part of the exported models)
    map_grid = args.size // (drafter.encoder.backbone.stride // 2)
    maps_all = torch.from_numpy(finding_maps(rows, map_grid))
    map_d = torch.nn.Conv2d(drafter.encoder.backbone.mid_channels, len(OBSERVATIONS), 1)
    map_c = torch.nn.Conv2d(clf.backbone.mid_channels, len(OBSERVATIONS), 1)
    log(f"drafter params {sum(p.numel() for p in drafter.parameters()):,}, "
        f"classifier params {sum(p.numel() for p in clf.parameters()):,}, "
        f"encoder tokens {drafter.encoder.seq_len}")

    cfg = dict(vars(args), vocab_size=len(vocab), max_positions=max_positions, max_target_len=max_len,
               image_mean=mean, image_std=std, enc_cfg=enc_cfg, clf_cfg=clf_cfg, n_train=len(rows))
    with open(os.path.join(args.out, "vocab.json"), "w") as f:
        json.dump(vocab, f)

    clf_epochs = args.clf_epochs or args.epochs
    n = len(rows)
    steps_per_epoch = n // args.batch
    total_d, total_c = steps_per_epoch * args.epochs, steps_per_epoch * clf_epochs
    opt_d = torch.optim.AdamW(list(drafter.parameters()) + list(map_d.parameters()), lr=args.lr, weight_decay=0.01)
    opt_c = torch.optim.AdamW(list(clf.parameters()) + list(map_c.parameters()), lr=args.lr, weight_decay=0.01)

    def sched(opt, step, total):
        warm = min(300, total // 10)
        lr = args.lr * (step / warm if step < warm else 0.5 * (1 + math.cos(math.pi * (step - warm) / max(1, total - warm))))
        for gp in opt.param_groups:
            gp["lr"] = lr

    teach_from, teach_to = (float(v) for v in args.finding_teacher.split(","))
    g = torch.Generator().manual_seed(args.seed)
    # uncertain (-1) -> 0.5 soft target for the classifier / aux head
    y_all = torch.tensor(labels, dtype=torch.float32)
    y_all = torch.where(y_all < 0, torch.full_like(y_all, 0.5), y_all)
    # the drafter's tokens and its head: present (1 or uncertain -1) or absent, as the evaluation counts
    y_tok = torch.tensor(labels != 0, dtype=torch.float32)
    ids_all = torch.from_numpy(ids)
    step = 0
    for ep in range(max(args.epochs, clf_epochs)):
        drafter.train(); clf.train()
        perm = torch.randperm(n, generator=g)
        tl = tc = ta = 0.0
        te = time.time()
        for bi in range(steps_per_epoch):
            idx = perm[bi * args.batch:(bi + 1) * args.batch]
            x = augment(torch.from_numpy(px[idx.numpy()].astype(np.float32)), g)
            x = (x / 255.0 - mean) / std
            drop = torch.rand(x.shape[0], generator=g) < args.lateral_dropout
            x[drop, 1] = 0.0
            y = y_all[idx]
            if ep < args.epochs:
                sched(opt_d, step, total_d)
                tgt = ids_all[idx]
                L = int((tgt != PAD_ID).sum(1).max())
                tgt = tgt[:, :L]
                share = teach_from + (teach_to - teach_from) * step / max(1, total_d - 1)
                teach = torch.rand(x.shape[0], generator=g) < share
                yt = y_tok[idx] if args.token_mode == "hard" else y
                logits, aux, mid = drafter(x, tgt[:, :-1], yt, teach)
                lm = F.cross_entropy(logits.reshape(-1, logits.shape[-1]), tgt[:, 1:].reshape(-1),
                                     ignore_index=PAD_ID, label_smoothing=0.05)
                la = F.binary_cross_entropy_with_logits(aux, yt)
                lmap = map_loss(map_d, mid, maps_all[idx].float(), x.shape[1]) if args.map_weight > 0 else 0.0
                loss = lm + args.aux_weight * la + args.map_weight * lmap
                opt_d.zero_grad(set_to_none=True)
                loss.backward()
                torch.nn.utils.clip_grad_norm_(drafter.parameters(), 1.0)
                opt_d.step()
                tl += lm.item(); ta += la.item()
            if ep < clf_epochs:
                sched(opt_c, step, total_c)
                c_logits, c_mid = clf.classify(x)
                lc = F.binary_cross_entropy_with_logits(c_logits, y)
                if args.map_weight > 0:
                    lc = lc + args.map_weight * map_loss(map_c, c_mid, maps_all[idx].float(), x.shape[1])
                opt_c.zero_grad(set_to_none=True)
                lc.backward()
                opt_c.step()
                tc += lc.item()
            step += 1
            if bi % 50 == 0:
                log(f"ep {ep} step {bi}/{steps_per_epoch} lm {tl / (bi + 1):.4f} aux {ta / (bi + 1):.4f} clf {tc / (bi + 1):.4f}")
        log(f"epoch {ep} done in {time.time() - te:.0f}s: lm {tl / steps_per_epoch:.4f} "
            f"aux {ta / steps_per_epoch:.4f} clf {tc / steps_per_epoch:.4f}")
        torch.save(drafter.state_dict(), os.path.join(args.out, "drafter.pt"))
        torch.save(clf.state_dict(), os.path.join(args.out, "classifier.pt"))
        cfg["epochs_done"] = ep + 1
        with open(os.path.join(args.out, "train_config.json"), "w") as f:
            json.dump(cfg, f, indent=1)
    cfg["train_seconds"] = round(time.time() - t0, 1)
    with open(os.path.join(args.out, "train_config.json"), "w") as f:
        json.dump(cfg, f, indent=1)
    log(f"training done in {time.time() - t0:.0f}s")


if __name__ == "__main__":
    main()
