#!/usr/bin/env python3
"""Before/after table of bench/learning-loop.sh from two `raddraft eval --json` answers (held-out set).

    learning_table.py BEFORE.json AFTER.json [REVIEWS]   markdown table (docs/model-card.md)
    learning_table.py --last-line BEFORE.json AFTER.json  the loop's last line
"""
import json
import sys


def shares(r):
    f = r["flags"]
    d = max(1, f["drafts"])
    return f["with_wrong_finding"] / d, f["with_wrong_critical_finding"] / d


def main():
    last = sys.argv[1] == "--last-line"
    args = sys.argv[2:] if last else sys.argv[1:]
    before, after = (json.load(open(p)) for p in args[:2])
    wb, cb = shares(before)
    wa, ca = shares(after)
    if last:
        print(f"loop: wrong_finding_before={wb:.3f} wrong_finding_after={wa:.3f} "
              f"wrong_critical_before={cb:.3f} wrong_critical_after={ca:.3f}")
        return
    print(f"Held-out set: {before['studies']} studies (seed {before.get('seed', '?')}); "
          f"{args[2] if len(args) > 2 else ''}")
    print()
    print(f"| metric | {before['version']} (before) | {after['version']} (after) | change |")
    print("|---|---|---|---|")
    rel = (wa - wb) / wb if wb else 0.0
    print(f"| drafts with a wrong finding | {wb:.3f} | {wa:.3f} | {rel:+.1%} relative |")
    relc = (ca - cb) / cb if cb else 0.0
    print(f"| drafts with a wrong critical finding | {cb:.3f} | {ca:.3f} | {relc:+.1%} relative |")
    for k, name in (("label_f1_macro", "label-F1 macro (14)"), ("label_f1_micro", "label-F1 micro (14)"),
                    ("bleu4", "BLEU-4"), ("rouge_l", "ROUGE-L")):
        print(f"| {name} | {before[k]:.3f} | {after[k]:.3f} | {after[k] - before[k]:+.3f} |")
    fb, fa = before["flags"], after["flags"]
    print(f"| risk score AUROC vs a wrong finding | {fb['risk_auroc']:.3f} | {fa['risk_auroc']:.3f} | |")
    print(f"| doubt-flag rate / wrong findings flagged | {fb['flag_rate']:.3f} / {fb['errors_flagged']:.3f} "
          f"| {fa['flag_rate']:.3f} / {fa['errors_flagged']:.3f} | |")
    worst = None
    print()
    print("| observation | support | F1 before | F1 after | change |")
    print("|---|---|---|---|---|")
    for o, x in before["per_observation"].items():
        y = after["per_observation"][o]
        d = y["f1"] - x["f1"]
        worst = d if worst is None else min(worst, d)
        print(f"| {o} | {x['support']} | {x['f1']:.3f} | {y['f1']:.3f} | {d:+.3f} |")
    print()
    print(f"largest per-finding F1 drop: {worst:+.3f} (limit -0.02: {'met' if worst >= -0.02 else 'NOT met'}); "
          f"wrong-finding share {rel:+.1%} relative (target -30 %: {'met' if rel <= -0.30 else 'NOT met'})")


if __name__ == "__main__":
    main()
