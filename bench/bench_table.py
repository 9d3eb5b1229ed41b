"""Prints bench/inference.sh's table from the Java (InferenceBench) and PyTorch (pytorch_eager.py) results.
Ratios use "best p50": each study is timed R times, its fastest time is kept, and the median over
studies is taken (robust to other processes on a shared machine; the mean/p50/p95 columns are over
all R x N timings)."""
import json
import sys

java = json.load(open(sys.argv[1]))
py = json.load(open(sys.argv[2])) if len(sys.argv) > 2 and sys.argv[2] else None
rows = [("Java ONNX Runtime (ai.onnxruntime)", java["java_ort"]),
        ("Java DJL OnnxRuntime engine", java["java_djl"])]
if py:
    rows.append(("PyTorch eager (%s, torch %s)" % ("checkpoint" if py["weights"].startswith("checkpoint") else "random weights",
                                                   py["torch"]), py["pytorch_eager"]))
print("per-study generation: batch 1, encoder + greedy KV-cache decode of %d tokens, %d intra-op thread(s), "
      "%d studies x %d repeats (%s)" % (java["tokens"], java["threads"], java["studies"], java.get("repeat", 1),
                                   java["inputs"]))
print("%-44s %10s %10s %10s %12s %12s" % ("runtime", "mean ms", "p50 ms", "p95 ms", "best-p50 ms", "studies/s"))
for name, r in rows:
    print("%-44s %10.2f %10.2f %10.2f %12.2f %12.2f" % (name, r["mean_ms"], r["p50_ms"], r["p95_ms"], r["best_p50_ms"],
                                                       r["studies_per_second"]))
ort = java["java_ort"]["best_p50_ms"]
djl = (java["java_djl"]["best_p50_ms"] - ort) / ort * 100
speed = py["pytorch_eager"]["best_p50_ms"] / ort if py else float("nan")
print("ratios: speedup_vs_pytorch=%.2f djl_overhead_pct=%.1f" % (speed, djl))
