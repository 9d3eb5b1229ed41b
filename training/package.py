"""Export + evaluate + manifest: turns a training checkpoint into models/reference-cxr/.

usage: package.py --ckpt DIR --model-dir models/reference-cxr --eval DIR --eval-seed B
                  --calib DIR --calib-seed C --train-seed A --train-studies N --fixtures DIR
"""
import argparse
import json
import os
import time

from common import OBSERVATIONS, VIEWS, set_threads
from evaluate import calibrate_tokens, evaluate, print_table, render_card, _dump
from export import export_all


def main():
    ap = argparse.ArgumentParser()
    for a in ("--ckpt", "--model-dir", "--eval", "--calib", "--fixtures"):
        ap.add_argument(a, required=True)
    for a in ("--eval-seed", "--calib-seed", "--train-seed", "--train-studies"):
        ap.add_argument(a, type=int, required=True)
    ap.add_argument("--cache", default=None)
    ap.add_argument("--version", default="1.0.0")
    ap.add_argument("--generator-commit", default="unknown")
    ap.add_argument("--model-card", default=None, help="docs/model-card.md: metrics section is rewritten")
    args = ap.parse_args()
    set_threads()
    t0 = time.time()
    token_thresholds = calibrate_tokens(args.ckpt, args.calib, args.cache)
    cfg, vocab, _, _ = export_all(args.ckpt, args.model_dir)
    metrics, thresholds, samples = evaluate(args.model_dir, args.ckpt, args.eval, args.calib, args.eval_seed,
                                            args.calib_seed, args.fixtures, args.cache)
    metrics["train_config"] = {k: cfg[k] for k in ("size", "epochs", "clf_epochs", "batch", "lr", "d_model",
                                                    "dec_layers", "heads", "enc_cfg", "seed", "n_train",
                                                    "train_seconds", "aux_weight") if k in cfg}
    metrics["sample_drafts"] = samples
    if token_thresholds:
        metrics["drafter"]["finding_token_thresholds"] = token_thresholds
    _dump(metrics, args.model_dir, "metrics.json")
    with open(os.path.join(args.model_dir, "generation_config.json")) as f:
        gen = json.load(f)
    d = metrics["drafter"]
    manifest = {
        "schema": "raddraft-model/1",
        "name": "raddraft-reference-cxr",
        "version": args.version,
        "intended_use": "Reference model trained on synthetic chest phantoms; NOT FOR CLINICAL USE. It exists so "
                        "the RadDraft pipeline (drafting, flags, review, delivery) runs end to end and can be "
                        "scored against known ground truth. It has never seen a real radiograph.",
        "training_data": {
            "statement": "Synthetic chest radiograph phantoms from the project's own generator "
                         "(`raddraft phantoms`, org.raddraft.phantom); no patient data, no public data sets.",
            "generator_seed": args.train_seed, "studies": args.train_studies,
            "generator_commit": args.generator_commit,
            "reports": "phantom report grammar (org.raddraft.phantom.ReportGrammar)"},
        "architecture": {
            "drafter": "CNN encoder (shared over both views) + 1-layer transformer mixer -> %d-layer transformer "
                       "decoder, d_model %d, %d heads, WordPiece vocabulary of %d" %
                       (cfg["dec_layers"], cfg["d_model"], cfg["heads"], len(vocab)),
            "classifier": "independent CNN over both views, 14 sigmoid outputs"},
        "files": {"encoder": "encoder_model.onnx", "decoder": "decoder_model.onnx",
                  "decoder_with_past": "decoder_with_past_model.onnx", "tokenizer": "tokenizer.json",
                  "generation_config": "generation_config.json", "preprocessor_config": "preprocessor_config.json",
                  "config": "config.json", "classifier": "classifier.onnx", "labels": "labels.json",
                  "metrics": "metrics.json"},
        "inputs": {
            "tensor": "pixel_values", "dtype": "float32", "layout": "[batch, views, height, width]",
            "image_size": cfg["size"],
            "views": [{"index": i, "name": v,
                       "accepts": ["PA", "AP"] if v == "frontal" else ["LL", "RL", "LATERAL"],
                       "required": True} for i, v in enumerate(VIEWS)],
            "preprocessing": "per preprocessor_config.json: 8-bit grey (MONOCHROME2 after modality LUT, VOI "
                             "window, MONOCHROME1 inversion) -> pad to square with 0 -> box resize -> /255 -> "
                             "(x - image_mean) / image_std",
            "missing_view_fill": "zeros",
            "missing_view": "frontal required; a missing lateral is filled with zeros in pixel_values (the "
                            "normalised value 0); the model saw this for %d%% of training studies, but drafts "
                            "from a frontal view alone are less reliable (lateral-only findings)"
                            % round(100 * cfg.get("lateral_dropout", 0))},
        "output": {"text_format": "FINDINGS: <findings> IMPRESSION: <impression> (lower-cased by the tokenizer; "
                                  "split on 'impression:')",
                   "postprocess": "see docs/model-contract.md (detokenize)",
                   "max_length": gen["max_length"]},
        "labels": OBSERVATIONS,
        "thresholds": thresholds,
        "evaluation": {"generator": "raddraft phantoms", "generator_seed": args.eval_seed,
                       "generator_commit": args.generator_commit,
                       "studies": metrics["evaluation_set"]["studies"], "size_px": 512,
                       "calibration_seed": args.calib_seed,
                       "metrics": {"label_f1_macro_14": d["label_f1_macro_14"], "label_f1_micro_14": d["label_f1_micro_14"],
                                   "label_f1_macro_13_image_determined": d["label_f1_macro_13_image_determined"],
                                   "bleu4": d["bleu4"], "rouge_l": d["rouge_l"],
                                   "classifier_auroc_macro": metrics["classifier"]["auroc_macro"],
                                   "classifier_auroc": metrics["classifier"]["auroc"]},
                       "details": "metrics.json"},
    }
    _dump(manifest, args.model_dir, "raddraft-model.json")
    if args.model_card:
        render_card(metrics, args.model_card)
    print_table(metrics)
    print("\nsample drafts:")
    for s in samples[:3]:
        print(" ref:", s["reference"]); print(" gen:", s["draft"])
    print(f"packaged in {time.time() - t0:.0f}s -> {args.model_dir}")


if __name__ == "__main__":
    main()
