"""Evaluate the exported reference model on the held-out phantom set, calibrate thresholds on the
calibration set, write metrics.json + raddraft-model.json, and the Java test fixtures.

Decoding goes through the same greedy KV-cache loop the ONNX files implement (models.greedy);
ModelContractFilesTest checks ONNX Runtime reproduces it on the recorded reference decodes.
"""
import hashlib
import json
import math
import os
import shutil
import time
from collections import Counter, defaultdict

import numpy as np
import torch

from common import BOS_ID, EOS_ID, OBSERVATIONS, PAD_ID, UNK_ID, VIEWS, report_text
from data import load_set, normalize, read_rows, study_pixels
from labeller import label
from models import greedy
import tokenizer_build as tb


# ------------------------------------------------------------------ text metrics
def words(text):
    return tb.pre_tokenize(tb.normalize(text))


def bleu4(refs, hyps):
    """Corpus BLEU-4 (Papineni et al.), one reference per hypothesis, uniform weights, brevity penalty."""
    match, total = [0] * 4, [0] * 4
    rl = hl = 0
    for r, h in zip(refs, hyps):
        rl += len(r); hl += len(h)
        for n in range(1, 5):
            rc = Counter(tuple(r[i:i + n]) for i in range(len(r) - n + 1))
            hc = Counter(tuple(h[i:i + n]) for i in range(len(h) - n + 1))
            match[n - 1] += sum(min(c, rc[g]) for g, c in hc.items())
            total[n - 1] += max(0, len(h) - n + 1)
    if min(match) == 0:
        return 0.0
    logp = sum(math.log(m / t) for m, t in zip(match, total)) / 4
    bp = 1.0 if hl > rl else math.exp(1 - rl / max(1, hl))
    return bp * math.exp(logp)


def rouge_l(r, h, beta=1.2):
    """ROUGE-L F-measure (LCS), beta 1.2 as in pycocoevalcap."""
    if not r or not h:
        return 0.0
    prev = [0] * (len(h) + 1)
    for a in r:
        cur = [0]
        for j, b in enumerate(h):
            cur.append(prev[j] + 1 if a == b else max(prev[j + 1], cur[j]))
        prev = cur
    lcs = prev[-1]
    if lcs == 0:
        return 0.0
    p, rc = lcs / len(h), lcs / len(r)
    return (1 + beta ** 2) * p * rc / (rc + beta ** 2 * p)


# ------------------------------------------------------------------ label metrics
def f1_stats(tp, fp, fn):
    p = tp / (tp + fp) if tp + fp else 0.0
    r = tp / (tp + fn) if tp + fn else 0.0
    f = 2 * p * r / (p + r) if p + r else 0.0
    return p, r, f


def auroc(y, s):
    y = np.asarray(y, bool); s = np.asarray(s, float)
    pos, neg = y.sum(), (~y).sum()
    if pos == 0 or neg == 0:
        return float("nan")
    order = np.argsort(s, kind="mergesort")
    ranks = np.empty(len(s)); ranks[order] = np.arange(1, len(s) + 1)
    for v in np.unique(s):  # average ranks for ties
        m = s == v
        if m.sum() > 1:
            ranks[m] = ranks[m].mean()
    return float((ranks[y].sum() - pos * (pos + 1) / 2) / (pos * neg))


def positive(v):
    """Label-F1 convention: present (1) or uncertain (-1) counts as a positive mention."""
    return v != 0


def label_f1(true_rows, pred_rows, obs_list):
    per, tps = {}, [0, 0, 0]
    for o in obs_list:
        tp = sum(positive(t[o]) and positive(p[o]) for t, p in zip(true_rows, pred_rows))
        fp = sum((not positive(t[o])) and positive(p[o]) for t, p in zip(true_rows, pred_rows))
        fn = sum(positive(t[o]) and not positive(p[o]) for t, p in zip(true_rows, pred_rows))
        pr, rc, f = f1_stats(tp, fp, fn)
        per[o] = {"precision": round(pr, 4), "recall": round(rc, 4), "f1": round(f, 4),
                  "support": tp + fn}
        tps[0] += tp; tps[1] += fp; tps[2] += fn
    present = [o for o in obs_list if per[o]["support"] > 0]
    macro = float(np.mean([per[o]["f1"] for o in present])) if present else float("nan")
    micro = f1_stats(*tps)[2]
    return per, round(macro, 4), round(micro, 4)


# ------------------------------------------------------------------ running the model
def best_threshold(y, p):
    """The probability threshold (0.05..0.95, step 0.01) with the best F1 of p >= threshold against y."""
    best = (0.5, -1.0)
    for th in np.arange(0.05, 0.96, 0.01):
        f = f1_stats(int(((p >= th) & y).sum()), int(((p >= th) & ~y).sum()), int(((p < th) & y).sum()))[2]
        if f > best[1] + 1e-9:
            best = (round(float(th), 2), f)
    return best[0] if y.sum() > 0 else 0.5


def calibrate_tokens(ckpt_dir, calib_dir, cache=None, log=print):
    """Hard finding tokens: picks each observation's threshold on the drafter's own finding head
    (best F1 on the calibration set, never the held-out one) and writes it into the checkpoint,
    where export.load_models reads it for both the ONNX export and the evaluation."""
    from export import TOKEN_THRESHOLDS, load_models
    cfg, _, drafter, _ = load_models(ckpt_dir)
    if not drafter.encoder.hard_tokens:
        return None
    rows, px, _ = load_set(calib_dir, cfg["size"], cache, log)
    probs = []
    with torch.no_grad():
        for i in range(0, len(px), 32):
            x = torch.from_numpy(normalize(np.asarray(px[i:i + 32], np.float32), cfg["image_mean"], cfg["image_std"]))
            probs.append(torch.sigmoid(drafter.encoder.encode(x)[1]).numpy())
    probs = np.concatenate(probs)
    thr = {o: best_threshold(np.array([positive(r["labels"][o]) for r in rows]), probs[:, j])
           for j, o in enumerate(OBSERVATIONS)}
    out = {"probability": thr, "logit": {o: math.log(t / (1 - t)) for o, t in thr.items()},
           "calibration_set": calib_dir}
    with open(os.path.join(ckpt_dir, TOKEN_THRESHOLDS), "w") as f:
        json.dump(out, f, indent=1)
    log(f"finding-token thresholds (probability): {thr}")
    return thr


@torch.no_grad()
def run_model(drafter, clf, px_uint, mean, std, tok, max_length, batch=32, drop_lateral=False):
    texts, ids_all, lp_mean, lp_min, probs = [], [], [], [], []
    for i in range(0, len(px_uint), batch):
        x = torch.from_numpy(normalize(np.asarray(px_uint[i:i + batch], np.float32), mean, std))
        if drop_lateral:
            x[:, 1] = 0.0  # manifest inputs.missing_view_fill = zeros
        ids, lps = greedy(drafter, x, BOS_ID, EOS_ID, max_length, PAD_ID)
        probs.append(torch.sigmoid(clf(x)).numpy())
        for row, lp in zip(ids.tolist(), lps):
            toks = row[1:]
            n = toks.index(EOS_ID) + 1 if EOS_ID in toks else len(toks)
            toks = toks[:n]
            ids_all.append([BOS_ID] + toks)
            texts.append(tb.detokenize(tok.decode(toks)))
            lp = lp[:n].numpy()
            lp_mean.append(float(lp.mean())); lp_min.append(float(lp.min()))
    return texts, ids_all, np.array(lp_mean), np.array(lp_min), np.concatenate(probs)


def split_sections(text):
    t = text.lower()
    f, _, i = t.partition("impression:")
    return f.replace("findings:", "", 1).strip(), i.strip()


def evaluate(model_dir, ckpt_dir, eval_dir, calib_dir, eval_seed, calib_seed, fixture_dir, cache=None, log=print,
             n_fixtures=3, n_tok_cases=12):
    from export import load_models
    cfg, vocab, drafter, clf = load_models(ckpt_dir)
    tok = tb.WordPieceTokenizer(vocab)
    size, mean, std = cfg["size"], cfg["image_mean"], cfg["image_std"]
    with open(os.path.join(model_dir, "generation_config.json")) as f:
        max_length = json.load(f)["max_length"]
    t0 = time.time()

    # ---- calibration split: classifier thresholds, sequence log-prob thresholds
    c_rows, c_px, c_lab = load_set(calib_dir, size, cache, log)
    c_txt, _, c_mean, c_min, c_prob = run_model(drafter, clf, c_px, mean, std, tok, max_length)
    c_true = [r["labels"] for r in c_rows]
    c_pred = [label(t) for t in c_txt]
    thr = {o: best_threshold(np.array([positive(t[o]) for t in c_true]), c_prob[:, j])
           for j, o in enumerate(OBSERVATIONS)}
    c_correct = np.array([all(positive(t[o]) == positive(p[o]) for o in OBSERVATIONS) for t, p in zip(c_true, c_pred)])
    ref = c_correct if c_correct.sum() >= 20 else np.ones_like(c_correct)
    lp_mean_thr = round(float(np.percentile(c_mean[ref], 5)), 4)
    lp_min_thr = round(float(np.percentile(c_min[ref], 5)), 4)

    # ---- held-out evaluation
    rows, px, lab = load_set(eval_dir, size, cache, log)
    texts, ids_all, e_mean, e_min, prob = run_model(drafter, clf, px, mean, std, tok, max_length)
    true = [r["labels"] for r in rows]
    pred = [label(t) for t in texts]
    per, macro, micro = label_f1(true, pred, OBSERVATIONS)
    image_obs = [o for o in OBSERVATIONS if o != "Pneumonia"]
    _, macro_img, micro_img = label_f1(true, pred, image_obs)
    by_diff = {}
    for d in ("subtle", "moderate", "obvious"):
        idx = [i for i, r in enumerate(rows) if r["difficulty"] == d]
        if idx:
            _, ma, mi = label_f1([true[i] for i in idx], [pred[i] for i in idx], OBSERVATIONS)
            by_diff[d] = {"studies": len(idx), "micro_f1": mi, "macro_f1": ma,
                          "exact_match": round(float(np.mean([all(positive(true[i][o]) == positive(pred[i][o])
                                                                   for o in OBSERVATIONS) for i in idx])), 4)}
    sev = defaultdict(lambda: [0, 0, 0])  # detected by drafter, detected by classifier, total
    for i, r in enumerate(rows):
        for det in r.get("details", []):
            o = det["observation"]
            if o not in OBSERVATIONS or det.get("status", 1) != 1 or o == "Pneumonia":
                continue
            s = det.get("severity") or "n/a"
            key = f"{o} / {s}"
            for k in (key, f"ALL / {s}"):
                sev[k][0] += int(positive(pred[i][o]))
                sev[k][1] += int(prob[i, OBSERVATIONS.index(o)] >= thr[o])
                sev[k][2] += 1
    by_severity = {k: {"findings": v[2], "drafter_recall": round(v[0] / v[2], 4),
                       "classifier_recall": round(v[1] / v[2], 4)} for k, v in sorted(sev.items())}
    fo_txt, _, _, _, fo_prob = run_model(drafter, clf, px, mean, std, tok, max_length, drop_lateral=True)
    _, fo_macro, fo_micro = label_f1(true, [label(t) for t in fo_txt], OBSERVATIONS)
    fo_auc = {o: round(auroc([positive(t[o]) for t in true], fo_prob[:, j]), 4) for j, o in enumerate(OBSERVATIONS)}
    frontal_only = {"label_f1_macro_14": fo_macro, "label_f1_micro_14": fo_micro,
                    "classifier_auroc_macro": round(float(np.nanmean(list(fo_auc.values()))), 4),
                    "note": "lateral channel zeroed (missing_view_fill zeros)"}
    refs = [words(report_text(r["findings"], r["impression"])) for r in rows]
    hyps = [words(t) for t in texts]
    bleu = round(bleu4(refs, hyps), 4)
    rl = round(float(np.mean([rouge_l(r, h) for r, h in zip(refs, hyps)])), 4)
    aucs, clf_f1 = {}, {}
    for j, o in enumerate(OBSERVATIONS):
        y = [positive(t[o]) for t in true]
        aucs[o] = round(auroc(y, prob[:, j]), 4)
        yy = np.array(y); pp = prob[:, j] >= thr[o]
        clf_f1[o] = round(f1_stats(int((pp & yy).sum()), int((pp & ~yy).sum()), int((~pp & yy).sum()))[2], 4)
    wrong = np.array([not all(positive(t[o]) == positive(p[o]) for o in OBSERVATIONS) for t, p in zip(true, pred)])
    flag = (e_mean < lp_mean_thr) | (e_min < lp_min_thr)
    flag_stats = {"draft_with_wrong_finding": int(wrong.sum()), "flagged": int(flag.sum()),
                  "precision": round(float((flag & wrong).sum() / max(1, flag.sum())), 4),
                  "recall": round(float((flag & wrong).sum() / max(1, wrong.sum())), 4),
                  "auroc_mean_logprob": round(auroc(wrong, -e_mean), 4) if 0 < wrong.sum() < len(wrong) else None}
    metrics = {
        "evaluation_set": {"generator": "raddraft phantoms", "seed": eval_seed, "studies": len(rows),
                           "size_px": 512},
        "calibration_set": {"generator": "raddraft phantoms", "seed": calib_seed, "studies": len(c_rows)},
        "decode": "greedy, KV cache, max_length %d" % max_length,
        "label_f1_convention": "positive = present (1) or uncertain (-1); labels from training/labeller.py on "
                               "generated text vs generator ground truth",
        "drafter": {"label_f1_macro_14": macro, "label_f1_micro_14": micro,
                    "label_f1_macro_13_image_determined": macro_img, "label_f1_micro_13_image_determined": micro_img,
                    "per_observation": per, "by_difficulty": by_diff, "recall_by_severity": by_severity,
                    "bleu4": bleu, "rouge_l": rl,
                    "exact_label_match": round(float(1 - wrong.mean()), 4),
                    "mean_tokens": round(float(np.mean([len(x) for x in ids_all])), 1),
                    "low_confidence_flag": flag_stats,
                    "frontal_only": frontal_only},
        "classifier": {"auroc": aucs, "auroc_macro": round(float(np.nanmean(list(aucs.values()))), 4),
                       "f1_at_threshold": clf_f1},
        "labeller_check": "training/labeller.py on the reference reports reproduces the generator labels "
                          "(%d/%d studies)" % (sum(label(report_text(r["findings"], r["impression"])) == r["labels"]
                                                   for r in rows), len(rows)),
        "eval_seconds": round(time.time() - t0, 1),
    }
    thresholds = {"classifier": thr,
                  "classifier_disagreement_margin": 0.35,
                  "sequence_logprob": {"mean_per_token": lp_mean_thr, "min_per_token": lp_min_thr,
                                       "note": "5th percentile on calibration drafts whose labels are all correct"}}

    # ---- fixtures for the Java tests
    os.makedirs(fixture_dir, exist_ok=True)
    for f in os.listdir(fixture_dir):
        os.remove(os.path.join(fixture_dir, f))
    picks = _pick_fixtures(rows, n_fixtures)
    cases = []
    for i in picks:
        r = rows[i]
        x = normalize(study_pixels(eval_dir, r, size), mean, std)[None]
        xt = torch.from_numpy(x)
        ids, lps = greedy(drafter, xt, BOS_ID, EOS_ID, max_length, PAD_ID)
        ids = ids[0].tolist()
        n = ids.index(EOS_ID) + 1 if EOS_ID in ids else len(ids)
        ids = ids[:n]
        with torch.no_grad():
            p = torch.sigmoid(clf(xt))[0].tolist()
        imgs = []
        for v in VIEWS:
            name = os.path.basename(r[v])
            shutil.copyfile(os.path.join(eval_dir, r[v]), os.path.join(fixture_dir, name))
            imgs.append(name)
        cases.append({"study_id": r["study_id"], "images": imgs, "input_shape": list(x.shape),
                      "input_sha256": hashlib.sha256(x.astype("<f4").tobytes()).hexdigest(),
                      "input_sum": float(x.astype(np.float64).sum()),
                      "token_ids": ids, "sum_logprob": float(lps[0, :n - 1].sum()),
                      "text": tb.detokenize(tok.decode(ids)), "classifier_probabilities": p})
    _dump({"model": "reference-cxr", "generator_seed": eval_seed, "cases": cases}, fixture_dir, "reference-decodes.json")
    tcases = []
    for r in rows[:n_tok_cases]:
        t = report_text(r["findings"], r["impression"])
        ids = tok.encode(t)
        tcases.append({"text": t, "ids": ids, "decoded": tok.decode(ids)})
    _dump({"bos_token_id": BOS_ID, "eos_token_id": EOS_ID, "pad_token_id": PAD_ID, "unk_token_id": UNK_ID,
           "cases": tcases}, fixture_dir, "tokenizer-cases.json")
    samples = [{"study_id": rows[i]["study_id"], "reference": report_text(rows[i]["findings"], rows[i]["impression"]),
                "draft": texts[i]} for i in range(8)]
    return metrics, thresholds, samples


def _pick_fixtures(rows, n):
    """A normal study, a multi-finding study, a study with a device (deterministic: first of each)."""
    picks = []
    tests = [lambda r: r["labels"]["No Finding"] == 1 and r["labels"]["Support Devices"] == 0,
             lambda r: len(r.get("details", [])) >= 3,
             lambda r: r["labels"]["Support Devices"] == 1 and r["labels"]["No Finding"] == 0]
    for t in tests[:n]:
        for i, r in enumerate(rows):
            if t(r) and i not in picks:
                picks.append(i); break
    return picks


def _clean(o):
    """NaN/inf (e.g. AUROC without positives) -> null: strict JSON for Jackson and friends."""
    if isinstance(o, float):
        return o if math.isfinite(o) else None
    if isinstance(o, dict):
        return {k: _clean(v) for k, v in o.items()}
    if isinstance(o, (list, tuple)):
        return [_clean(v) for v in o]
    return o


def _dump(obj, d, name):
    with open(os.path.join(d, name), "w", encoding="utf-8") as f:
        json.dump(_clean(obj), f, indent=1, ensure_ascii=False, allow_nan=False)
        f.write("\n")


def print_table(m):
    d, c = m["drafter"], m["classifier"]
    print("\n=== RadDraft reference-cxr: held-out phantoms (seed %d, %d studies) ===" %
          (m["evaluation_set"]["seed"], m["evaluation_set"]["studies"]))
    print(f"drafter label-F1 macro(14) {d['label_f1_macro_14']:.3f}  micro(14) {d['label_f1_micro_14']:.3f}  "
          f"macro(13, excl. Pneumonia) {d['label_f1_macro_13_image_determined']:.3f}")
    print(f"BLEU-4 {d['bleu4']:.3f}  ROUGE-L {d['rouge_l']:.3f}  exact label match {d['exact_label_match']:.3f}")
    print(f"{'observation':28s} {'support':>7s} {'P':>6s} {'R':>6s} {'F1':>6s} {'AUROC':>6s} {'clfF1':>6s}")
    for o in OBSERVATIONS:
        p = d["per_observation"][o]
        print(f"{o:28s} {p['support']:7d} {p['precision']:6.3f} {p['recall']:6.3f} {p['f1']:6.3f} "
              f"{_num(c['auroc'][o])} {c['f1_at_threshold'][o]:6.3f}")
    print("by difficulty:", json.dumps(d["by_difficulty"]))
    print("recall by severity (drafter / classifier):")
    for k, v in d["recall_by_severity"].items():
        if k.startswith("ALL"):
            print(f"  {k:28s} n={v['findings']:4d}  {v['drafter_recall']:.3f} / {v['classifier_recall']:.3f}")
    print("LOW_CONFIDENCE flag:", json.dumps(d["low_confidence_flag"]))
    print("frontal only (lateral zeroed):", json.dumps(d["frontal_only"]))


def markdown_table(m):
    d, c = m["drafter"], m["classifier"]
    tc = m.get("train_config", {})
    L = [f"Model trained by `training/train.sh` with {tc.get('n_train', '?')} studies, {tc.get('epochs', '?')} drafter "
         f"epochs, {tc.get('clf_epochs') or tc.get('epochs', '?')} classifier epochs, auxiliary label weight "
         f"{tc.get('aux_weight', '?')}, {tc.get('size', '?')} px ({tc.get('train_seconds', 0) / 60:.0f} min of training).",
         "",
         f"Held-out set: `raddraft phantoms --seed {m['evaluation_set']['seed']} --studies "
         f"{m['evaluation_set']['studies']}`; thresholds from seed {m['calibration_set']['seed']}.", "",
         "| metric | value |", "|---|---|",
         f"| drafter label-F1, macro over 14 observations | {d['label_f1_macro_14']:.3f} |",
         f"| drafter label-F1, micro over 14 | {d['label_f1_micro_14']:.3f} |",
         f"| drafter label-F1, macro over 13 (without Pneumonia, which restates consolidation) | {d['label_f1_macro_13_image_determined']:.3f} |",
         f"| drafter label-F1, micro over 13 | {d['label_f1_micro_13_image_determined']:.3f} |",
         f"| drafts with every label right | {d['exact_label_match']:.3f} |",
         f"| BLEU-4 | {d['bleu4']:.3f} |", f"| ROUGE-L | {d['rouge_l']:.3f} |",
         f"| classifier AUROC, macro | {c['auroc_macro']:.3f} |",
         f"| frontal view only (lateral zeroed): drafter macro-F1 / classifier AUROC | "
         f"{d['frontal_only']['label_f1_macro_14']:.3f} / {d['frontal_only']['classifier_auroc_macro']:.3f} |", "",
         "| observation | positives | drafter P | drafter R | drafter F1 | classifier AUROC | classifier F1 @ threshold |",
         "|---|---|---|---|---|---|---|"]
    for o in OBSERVATIONS:
        p = d["per_observation"][o]
        L.append(f"| {o} | {p['support']} | {p['precision']:.3f} | {p['recall']:.3f} | {p['f1']:.3f} | "
                 f"{_num(c['auroc'][o]).strip()} | {c['f1_at_threshold'][o]:.3f} |")
    L += ["", "| difficulty (study) | studies | drafter micro-F1 | drafter macro-F1 | all labels right |", "|---|---|---|---|---|"]
    for k, v in d["by_difficulty"].items():
        L.append(f"| {k} | {v['studies']} | {v['micro_f1']:.3f} | {v['macro_f1']:.3f} | {v['exact_match']:.3f} |")
    L += ["", "| severity (finding) | findings | drafter recall | classifier recall @ threshold |", "|---|---|---|---|"]
    for k, v in d["recall_by_severity"].items():
        if k.startswith("ALL / "):
            L.append(f"| {k[6:]} | {v['findings']} | {v['drafter_recall']:.3f} | {v['classifier_recall']:.3f} |")
    f = d["low_confidence_flag"]
    L += ["", f"LOW_CONFIDENCE (sequence log-prob below the calibrated thresholds) on the held-out set: "
              f"{f['flagged']} drafts flagged, {f['draft_with_wrong_finding']} drafts with a wrong label; "
              f"precision {f['precision']:.3f}, recall {f['recall']:.3f}."]
    return "\n".join(L)


def render_card(m, path):
    if not os.path.exists(path):
        return
    s = open(path, encoding="utf-8").read()
    a, b = "<!-- metrics:start -->", "<!-- metrics:end -->"
    if a in s and b in s:
        s = s[:s.index(a) + len(a)] + "\n" + markdown_table(m) + "\n" + s[s.index(b):]
        with open(path, "w", encoding="utf-8") as f:
            f.write(s)


def _num(v):
    return f"{v:6.3f}" if v is not None and math.isfinite(v) else "   n/a"
