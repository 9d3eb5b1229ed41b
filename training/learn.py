"""The learning loop's training round (issue 26, docs/learning-export.md): from the model the daemon
runs (its ONNX files, loaded by from_onnx.py) and a `raddraft admin feedback --learning DIR` export,
  (a) relevance-weighted DPO on the review pairs (chosen = the radiologist's final text, rejected =
      the draft) and the generated negatives (finding-side: a finding removed or moved to the other
      side; image-side: the same text with the finding's region of the image noised), each pair
      weighted by the clinical relevance of what differs, plus a small SFT term on the chosen text;
  (b) a GRPO round: groups of G sampled drafts per image, reward = label-F1 of the sample (labeller)
      against the final text + the independent classifier's agreement (classifier as judge),
      group-normalised advantages, KL penalty to the starting model;
then exports the drafter as a new model directory with a new version (the classifier, the judge, is
copied unchanged) and writes what it was trained on into the manifest.

The drafter is a two-stage policy: its finding head decides each of the 14 finding tokens (present
when the logit reaches the calibrated threshold; as a policy, Bernoulli(sigmoid(logit - threshold)))
and the decoder writes the text given those tokens. A text y fixes the tokens z(y) (its labels, read
by the labeller), so log pi(y|x) = log p(z(y)|x) + log p(y|x, z(y)): preference on text reaches the
finding head, which is where the reference model's wrong findings come from.

    python3 learn.py --model ../models/reference-cxr --export DIR --out NEW_MODEL_DIR --version 2.3.0
"""
import argparse
import json
import os
import shutil
import time

import numpy as np
import torch
import torch.nn.functional as F

from common import BOS_ID, EOS_ID, OBSERVATIONS, PAD_ID, seed_everything, set_threads
from data import box_resize, load_grey, normalize
from from_onnx import load_reference
from labeller import label
import tokenizer_build as tb


def log(*a):
    print(time.strftime("%H:%M:%S"), *a, flush=True)


def read_jsonl(path):
    if not os.path.exists(path):
        return []
    with open(path, encoding="utf-8") as f:
        return [json.loads(x) for x in f if x.strip()]


def positive_labels(text):
    """The 14 finding tokens a text implies: present or uncertain = 1."""
    lab = label(text)
    return [1.0 if lab[o] in (1, -1) else 0.0 for o in OBSERVATIONS]


class Images:
    """The export's PNGs -> normalised [2, S, S] tensors (missing lateral = zeros, as the daemon fills it)."""

    def __init__(self, root, size, mean, std):
        self.root, self.size, self.mean, self.std, self.cache = root, size, mean, std, {}

    def get(self, images):
        key = images["frontal"]
        if key not in self.cache:
            views = []
            for v in ("frontal", "lateral"):
                if v in images:
                    g = box_resize(load_grey(os.path.join(self.root, images[v])), self.size)
                    views.append(normalize(g, self.mean, self.std))
                else:
                    views.append(np.zeros((self.size, self.size), np.float32))
            self.cache[key] = torch.from_numpy(np.stack(views))
        return self.cache[key]


def noised(x, box, gen):
    """The image with the frontal view's box (normalised x0, y0, x1, y1) replaced by noise (MMedPO's lesion-region noising)."""
    y = x.clone()
    s = x.shape[-1]
    x0, y0, x1, y1 = (int(round(v * s)) for v in box)
    region = y[0, y0:y1, x0:x1]
    y[0, y0:y1, x0:x1] = torch.randn(region.shape, generator=gen) * region.std().clamp(min=0.3) + region.mean()
    return y


def encode_texts(tok, texts, max_len):
    ids = [tok.encode(t)[:max_len] for t in texts]
    n = max(len(i) for i in ids)
    out = torch.full((len(ids), n), PAD_ID, dtype=torch.long)
    for k, i in enumerate(ids):
        out[k, :len(i)] = torch.tensor(i)
    return out


def sequence_logp(drafter, x, ids, z):
    """(log p(z_j|x) per finding token [B, 14] from the finding head, per-sequence sum of log p(y_t|...), token
    count) with finding tokens z."""
    enc, logits_f = drafter.encoder.encode(x, z, torch.ones(len(x), dtype=torch.bool))
    head = -F.binary_cross_entropy_with_logits(logits_f - drafter.encoder.token_threshold, z, reduction="none")
    logits, _ = drafter.decoder(ids[:, :-1], enc, drafter.decoder.cross_kv(enc))
    lp = torch.log_softmax(logits, -1).gather(2, ids[:, 1:, None])[..., 0]
    mask = (ids[:, 1:] != PAD_ID).float()
    return head, (lp * mask).sum(1), mask.sum(1)


def dpo_items(export_dir, images, gen, max_negatives=None):
    """(image, chosen text, rejected text, image of the rejected, weight, kind) for every review pair and
    the generated negatives (a random max_negatives of them, when given: CPU time)."""
    items = []
    for p in read_jsonl(os.path.join(export_dir, "pairs.jsonl")):
        x = images.get(p["images"])
        items.append((x, p["chosen"], p["rejected"], x, p["weight"], "review", None))
    negatives = read_jsonl(os.path.join(export_dir, "negatives.jsonl"))
    if max_negatives is not None and len(negatives) > max_negatives:
        keep = sorted(torch.randperm(len(negatives), generator=gen)[:max_negatives].tolist())
        negatives = [negatives[k] for k in keep]
    for n in negatives:
        x = images.get(n["images"])
        if n["kind"] == "image_region_noised":
            # only the noised finding's token is compared: the image lost its evidence, not the others'
            only = [1.0 if o == n["observation"] else 0.0 for o in OBSERVATIONS]
            items.append((x, n["text"], n["text"], noised(x, n["region"]["box"], gen), n["weight"], n["kind"], only))
        else:
            items.append((x, n["chosen"], n["rejected"], x, n["weight"], n["kind"], None))
    return items


def dpo(drafter, ref, tok, items, epochs, beta, head_beta, sft_weight, lr, batch, max_len, gen):
    """Relevance-weighted DPO, one preference term per stage of the policy: the finding tokens (head) and
    the text given them. One term over their sum would let the text term, tens of nats wide, settle the
    preference alone and leave the finding head, where the errors are, almost untouched."""
    opt = torch.optim.AdamW([p for p in drafter.parameters() if p.requires_grad], lr=lr, weight_decay=0.0)
    # the reference model's log-probabilities, once
    ref_lp = []
    with torch.no_grad():
        for i in range(0, len(items), batch):
            ref_lp.append(_pair_logp(ref, tok, items[i:i + batch], max_len))
    for ep in range(epochs):
        order = torch.randperm(len(items), generator=gen).tolist()
        tot, acc, n = 0.0, 0.0, 0
        for i in range(0, len(order), batch):
            idx = order[i:i + batch]
            chunk = [items[k] for k in idx]
            cur = _pair_logp(drafter, tok, chunk, max_len)
            r = [torch.cat([ref_lp[k // batch][j][k % batch:k % batch + 1] for k in idx]) for j in range(4)]
            w = torch.tensor([c[4] for c in chunk], dtype=torch.float32)
            m_head = head_beta * ((cur[0] - r[0]) - (cur[2] - r[2]))
            m_text = beta * ((cur[1] - r[1]) - (cur[3] - r[3]))
            loss = (w * (-F.logsigmoid(m_head) - F.logsigmoid(m_text))).sum() / w.sum().clamp(min=1e-6)
            loss = loss + sft_weight * (-((cur[0] + cur[1]) / cur[4])).mean()
            opt.zero_grad()
            loss.backward()
            torch.nn.utils.clip_grad_norm_(drafter.parameters(), 1.0)
            opt.step()
            tot += float(loss) * len(idx); acc += float((m_head + m_text > 0).float().sum()); n += len(idx)
        log(f"DPO epoch {ep + 1}/{epochs}: loss {tot / n:.4f}, pairs ranked right {acc / n:.3f} ({n} pairs)")


def _pair_logp(model, tok, chunk, max_len):
    """(head, text) log pi of the chosen | image and of the rejected | image of the rejected, and the
    chosen texts' token counts. The head term sums the finding tokens the item compares (all, or the one
    whose region an image-side negative noised)."""
    texts = [c[1] for c in chunk] + [c[2] for c in chunk]
    x = torch.stack([c[0] for c in chunk] + [c[3] for c in chunk])
    z = torch.tensor([positive_labels(t) for t in texts])
    head, text, count = sequence_logp(model, x, encode_texts(tok, texts, max_len), z)
    mask = torch.tensor([c[6] if c[6] is not None else [1.0] * len(OBSERVATIONS) for c in chunk] * 2)
    head = (head * mask).sum(1)
    b = len(chunk)
    return head[:b], text[:b], head[b:], text[b:], count[:b]


@torch.no_grad()
def sample(drafter, x, max_len, temperature, gen):
    """G trajectories: finding tokens z ~ Bernoulli(sigmoid(logit - threshold)), then text tokens by sampling."""
    _, logits_f = drafter.encoder.encode(x)
    pz = torch.sigmoid(logits_f - drafter.encoder.token_threshold)
    z = torch.bernoulli(pz, generator=gen)
    enc, _ = drafter.encoder.encode(x, z, torch.ones(len(x), dtype=torch.bool))
    dec = drafter.decoder
    kv = dec.cross_kv(enc)
    b = len(x)
    ids = torch.full((b, 1), BOS_ID, dtype=torch.long)
    done = torch.zeros(b, dtype=torch.bool)
    past, cur = None, ids
    for _ in range(max_len - 1):
        logits, past = dec(cur, enc, kv, past)
        probs = torch.softmax(logits[:, -1] / temperature, -1)
        nxt = torch.multinomial(probs, 1, generator=gen)[:, 0]
        nxt = torch.where(done, torch.full_like(nxt, PAD_ID), nxt)
        ids = torch.cat([ids, nxt[:, None]], 1)
        done = done | (nxt == EOS_ID)
        cur = nxt[:, None]
        if bool(done.all()):
            break
    return z, ids


def f1(pred, truth):
    tp = sum(1 for p, t in zip(pred, truth) if p and t)
    fp = sum(1 for p, t in zip(pred, truth) if p and not t)
    fn = sum(1 for p, t in zip(pred, truth) if t and not p)
    return 1.0 if tp + fp + fn == 0 else 2 * tp / (2 * tp + fp + fn)


def grpo(drafter, ref, clf, tok, sft, images, clf_thresholds, steps, group, per_step, judge_weight, kl_beta, lr,
         max_len, temperature, gen):
    opt = torch.optim.AdamW([p for p in drafter.parameters() if p.requires_grad], lr=lr, weight_decay=0.0)
    thr = torch.tensor([clf_thresholds[o] for o in OBSERVATIONS])
    for step in range(steps):
        idx = torch.randperm(len(sft), generator=gen)[:per_step].tolist()
        x = torch.stack([images.get(sft[k]["images"]) for k in idx]).repeat_interleave(group, 0)
        truth = [positive_labels(sft[k]["text"]) for k in idx]
        z, ids = sample(drafter, x, max_len, temperature, gen)
        with torch.no_grad():
            judge = (torch.sigmoid(clf(x)) >= thr).float()
        rewards, f1s = [], []
        for r in range(len(x)):
            toks = [t for t in ids[r, 1:].tolist() if t != PAD_ID]
            text = tb.detokenize(tok.decode(toks))
            lab = positive_labels(text)
            agree = float((torch.tensor(lab) == judge[r]).float().mean())
            f1s.append(f1(lab, truth[r // group]))
            rewards.append(f1s[-1] + judge_weight * agree)
        rw = torch.tensor(rewards).reshape(-1, group)
        adv = ((rw - rw.mean(1, keepdim=True)) / (rw.std(1, keepdim=True) + 1e-4)).reshape(-1)
        ids = ids[:, :max_len]
        head, text, count = sequence_logp(drafter, x, ids, z)
        with torch.no_grad():
            rhead, rtext, _ = sequence_logp(ref, x, ids, z)
        head, rhead = head.sum(1), rhead.sum(1)
        logp = head + text
        # k3 estimator of KL(pi || pi_ref) on the sampled trajectory, per token
        d = (rhead + rtext) - logp
        kl = (torch.exp(d) - d - 1) / (count + 14)
        loss = (-(adv * logp / (count + 14)) + kl_beta * kl).mean()
        opt.zero_grad()
        loss.backward()
        torch.nn.utils.clip_grad_norm_(drafter.parameters(), 1.0)
        opt.step()
        log(f"GRPO step {step + 1}/{steps}: reward {rw.mean():.3f} (label-F1 {np.mean(f1s):.3f}), KL {float(kl.mean()):.4f}")


def main():
    ap = argparse.ArgumentParser(description="DPO + GRPO round of the learning loop")
    ap.add_argument("--model", required=True, help="the starting model directory (ONNX)")
    ap.add_argument("--export", required=True, help="`raddraft admin feedback --learning` directory")
    ap.add_argument("--out", required=True, help="new model directory")
    ap.add_argument("--version", required=True)
    ap.add_argument("--dpo-epochs", type=int, default=3)
    ap.add_argument("--max-negatives", type=int, default=600, help="generated negatives used (a random subset; CPU time)")
    ap.add_argument("--beta", type=float, default=0.1, help="DPO beta of the text term")
    ap.add_argument("--head-beta", type=float, default=1.0, help="DPO beta of the finding-token term")
    ap.add_argument("--sft-weight", type=float, default=0.05)
    ap.add_argument("--lr", type=float, default=2e-5)
    ap.add_argument("--batch", type=int, default=16)
    ap.add_argument("--grpo-steps", type=int, default=20)
    ap.add_argument("--group", type=int, default=4)
    ap.add_argument("--per-step", type=int, default=8)
    ap.add_argument("--judge-weight", type=float, default=0.5)
    ap.add_argument("--kl", type=float, default=0.1)
    ap.add_argument("--grpo-lr", type=float, default=1e-5)
    ap.add_argument("--temperature", type=float, default=1.0)
    ap.add_argument("--seed", type=int, default=26)
    ap.add_argument("--train", choices=("all", "head"), default="all",
                    help="which weights DPO/GRPO move: the whole drafter, or only the finding head (where the errors are)")
    ap.add_argument("--recalibrate-tokens", action="store_true",
                    help="after training, re-pick each finding token's threshold on the reviewed set (final reports = labels)")
    ap.add_argument("--min-gain", type=int, default=2,
                    help="a finding's threshold moves only when that removes at least this many wrong tokens on the reviewed set")
    ap.add_argument("--no-export", action="store_true", help="train only (tests)")
    a = ap.parse_args()
    set_threads()
    seed_everything(a.seed)
    gen = torch.Generator().manual_seed(a.seed)
    t0 = time.time()
    drafter, clf, info = load_reference(a.model)
    ref, _, _ = load_reference(a.model)
    for p in ref.parameters():
        p.requires_grad_(False)
    for p in clf.parameters():
        p.requires_grad_(False)
    with open(os.path.join(a.model, "vocab.txt"), encoding="utf-8") as f:
        tok = tb.WordPieceTokenizer([x.rstrip("\n") for x in f if x.rstrip("\n")])
    with open(os.path.join(a.model, "raddraft-model.json"), encoding="utf-8") as f:
        manifest = json.load(f)
    images = Images(a.export, info["size"], info["image_mean"][0], info["image_std"][0])
    items = dpo_items(a.export, images, gen, a.max_negatives)
    sft = read_jsonl(os.path.join(a.export, "sft.jsonl"))
    kinds = {}
    for it in items:
        kinds[it[5]] = kinds.get(it[5], 0) + 1
    log(f"export {a.export}: {len(sft)} sft, {len(items)} preference pairs {kinds}")
    max_len = info["max_positions"]
    if a.train == "head":
        for name, p in drafter.named_parameters():
            p.requires_grad_(name.startswith("encoder.finding_head."))
    if items and a.dpo_epochs:
        dpo(drafter, ref, tok, items, a.dpo_epochs, a.beta, a.head_beta, a.sft_weight, a.lr, a.batch, max_len, gen)
    if sft and a.grpo_steps:
        grpo(drafter, ref, clf, tok, sft, images, manifest["thresholds"]["classifier"], a.grpo_steps, a.group,
             a.per_step, a.judge_weight, a.kl, a.grpo_lr, max_len, a.temperature, gen)
    for p in drafter.parameters():  # frozen layers would take PyTorch's fused fast path, which ONNX cannot export
        p.requires_grad_(True)
    recalibrated = recalibrate_tokens(drafter, sft, images, a.min_gain) if a.recalibrate_tokens and sft else None
    log(f"training done in {time.time() - t0:.0f} s")
    if a.no_export:
        return
    export_model(a, drafter, info, manifest, len(sft), kinds, time.time() - t0, recalibrated)


@torch.no_grad()
def recalibrate_tokens(drafter, sft, images, min_gain):
    """Re-picks the finding head's per-finding thresholds on the reviewed studies, whose labels are the
    radiologists' final reports. The target counts drafts with any wrong finding, so a threshold moves to
    the one with the fewest wrong tokens (false + missed) on the reviewed set, and only when that removes
    at least min_gain of them without lowering the finding's F1 there (492 studies: small moves are noise,
    and a rare finding must not be given up for the common absent case). Returns {finding: (old, new)}."""
    drafter.eval()
    logits = torch.cat([drafter.encoder.encode(torch.stack([images.get(r["images"]) for r in sft[i:i + 32]]))[1]
                        for i in range(0, len(sft), 32)])
    truth = torch.tensor([positive_labels(r["text"]) for r in sft]).bool()
    grid = torch.logit(torch.arange(0.05, 0.96, 0.01, dtype=torch.float64)).float()
    moved = {}
    for j, o in enumerate(OBSERVATIONS):
        old = float(drafter.encoder.token_threshold[j])
        y, s = truth[:, j], logits[:, j]

        def stats(t):
            p = s >= t
            tp, fp, fn = int((p & y).sum()), int((p & ~y).sum()), int((~p & y).sum())
            return fp + fn, (1.0 if tp + fp + fn == 0 else 2 * tp / (2 * tp + fp + fn))
        err0, f10 = stats(old)
        best = min(grid.tolist(), key=lambda t: (stats(t)[0], abs(t - old)))
        err, f1_ = stats(best)
        if err0 - err >= min_gain and f1_ >= f10:
            drafter.encoder.token_threshold[j] = best
            moved[o] = (round(old, 3), round(best, 3))
        log(f"finding-token threshold {o}: wrong tokens {err0} -> {min(err, err0) if o in moved else err0}"
            f"{' (moved %.3f -> %.3f)' % (old, best) if o in moved else ''}, positives {int(y.sum())}")
    return moved


def export_model(a, drafter, info, manifest, n_sft, kinds, seconds, recalibrated=None):
    """The new model directory: the starting one with the drafter's three ONNX files replaced."""
    import export
    if os.path.exists(a.out):
        shutil.rmtree(a.out)
    shutil.copytree(a.model, a.out)
    with torch.no_grad():
        for t in list(drafter.parameters()) + list(drafter.buffers()):
            if t.dtype == torch.float32:
                t.copy_(t.half().float())
    export.export_drafter(drafter.eval(), info["size"], info["dec_layers"], info["heads"], info["d_model"], a.out)
    manifest["version"] = a.version
    manifest["training_data"]["learning_loop"] = {
        "statement": "fine-tuned from %s %s on radiologists' feedback exported by `raddraft admin feedback --learning`"
                     % (manifest["name"], json.load(open(os.path.join(a.model, "raddraft-model.json")))["version"]),
        "reviewed_drafts": n_sft, "preference_pairs": kinds,
        "rounds": {"dpo": {"epochs": a.dpo_epochs, "max_negatives": a.max_negatives, "beta": a.beta, "head_beta": a.head_beta, "sft_weight": a.sft_weight, "lr": a.lr},
                   "grpo": {"steps": a.grpo_steps, "group": a.group, "images_per_step": a.per_step,
                            "reward": "labeller F1 vs final text + %.2f x classifier agreement" % a.judge_weight,
                            "kl": a.kl, "lr": a.grpo_lr}},
        "trained_weights": a.train,
        "finding_token_thresholds_recalibrated": ({"on": "reviewed set (final reports)", "min_gain": a.min_gain,
                                                   "moved_logit": recalibrated} if recalibrated is not None else None),
        "seed": a.seed, "seconds": round(seconds),
    }
    manifest.setdefault("evaluation", {})["note"] = ("metrics above are the starting model's; "
                                                     "see docs/model-card.md for this version's before/after table")
    with open(os.path.join(a.out, "raddraft-model.json"), "w", encoding="utf-8") as f:
        json.dump(manifest, f, indent=1, ensure_ascii=False)
        f.write("\n")
    log(f"model {manifest['name']} {a.version} written to {a.out}")


if __name__ == "__main__":
    main()
