#!/usr/bin/env bash
# A realistic-size model in-process (issue 23): ViT-B/16 + 6-layer GPT-2 decoder (182 M parameters,
# random weights, Optimum image-to-text-with-past interface; training/realistic_model.py) drafting the
# same phantom studies through
#   (a) the daemon's ONNX path fp32 (OnnxDrafter.draft: DICOM -> preprocessing -> generation ->
#       confidence signals), batch 1 and the daemon's batch size,
#   (b) the same with the INT8 directory (training/quantize_int8.py),
#   (c) PyTorch eager on the same weights and the same pixel_values, batch 1 (generation only),
#   (d) the same weights exported with the seq2seq cache layout (MODEL-seq2seq: Optimum's layout for a
#       TrOCR/MBart-style decoder, cross-attention keys/values computed once per study), fp32.
# The fp32 directories hold Optimum's decoder_model_merged.onnx, which RadDraft loads instead of the two
# decoder files (the decoder's weights once).
# Prints a table; the last line is
#   realistic: studies_per_hour=N p95_ms=N int8_speedup=N vs_eager=N rss_mb=N flags_share=N
# studies_per_hour and p95_ms: fp32 at the better of the two batch sizes; int8_speedup: fp32 / int8
# per-study time, batch 1; vs_eager: eager generation / ONNX generation per study, batch 1 (flags
# excluded on both sides; eager runs on the first --eager-studies studies only and the ratio is of
# per-study times); rss_mb: peak resident memory of the JVM that loaded the fp32 model and
# drafted; flags_share: confidence-signal time / whole drafting time, fp32 batch 1.
# usage: bench/realistic-model.sh [--studies N] [--batch B (default 4: draft.batch-size)] [--threads T] [--model DIR] [--device cpu|cuda]
#                                 [--eager-studies E]   (PyTorch eager on the first E studies only, default 3,
#                                 no warm-up: Debian's torch with the reference BLAS takes minutes per study)
#   builds models/realistic-cxr (~1.4 GB, a few minutes) and models/realistic-cxr-int8 when missing.
set -euo pipefail
cd "$(dirname "$0")/.."
STUDIES=20; BATCH=4; THREADS=2; MODEL=models/realistic-cxr; DEVICE=cpu; EAGER=3
PY=${RADDRAFT_PYTHON:-/usr/bin/python3}
while [ $# -gt 0 ]; do
  case "$1" in
    --studies) STUDIES=$2; shift 2;; --batch) BATCH=$2; shift 2;; --threads) THREADS=$2; shift 2;;
    --model) MODEL=$2; shift 2;; --device) DEVICE=$2; shift 2;; --eager-studies) EAGER=$2; shift 2;;
    *) echo "bench/realistic-model.sh: unknown option $1" >&2; exit 2;;
  esac
done
INT8=${MODEL%/}-int8; S2S=${MODEL%/}-seq2seq
[ -f "$MODEL/encoder_model.onnx" ] || TORCH_THREADS=$THREADS "$PY" training/realistic_model.py build "$MODEL"
[ -f "$MODEL/decoder_model_merged.onnx" ] || "$PY" training/realistic_model.py merge "$MODEL" # built before the merge
[ -f "$INT8/encoder_model.onnx" ] || "$PY" training/realistic_model.py quantize "$MODEL" "$INT8"
[ -f "$INT8/decoder_model_merged.onnx" ] || "$PY" training/realistic_model.py merge "$INT8"
[ -f "$S2S/decoder_model_merged.onnx" ] || TORCH_THREADS=$THREADS "$PY" training/realistic_model.py build "$S2S" --layout seq2seq
. bench/lib.sh
if [ "$DEVICE" = cuda ]; then # ONNX Runtime with the CUDA execution provider (pom profile gpu)
  BUILD=target; mvn -q -B -Pgpu compile dependency:build-classpath -Dmdep.outputFile="$BUILD/bench-cp-gpu.txt" >/dev/null
  CP="$BUILD/classes:$(cat "$BUILD/bench-cp-gpu.txt")"
else
  build_classpath
fi
WORK=$(mktemp -d -t raddraft-realistic-XXXXXX); trap 'rm -rf "$WORK"' EXIT
JAVA_OPTS="-Xss4m -XX:+UseParallelGC -Dlogback.configurationFile=bench/logback-quiet.xml"
java $JAVA_OPTS -cp "$CP" org.raddraft.App phantoms --out "$WORK/phantoms" --studies "$STUDIES" --seed 7 \
  --no-training-set >/dev/null
echo "load average before: $(cut -d' ' -f1-3 /proc/loadavg); $(nproc) cores; device $DEVICE"
run() { # NAME MODEL BATCH [extra]
  java $JAVA_OPTS -cp "$CP" org.raddraft.inference.onnx.DraftBench --model "$2" --dicom "$WORK/phantoms" \
    --studies "$STUDIES" --batch "$3" --threads "$THREADS" --device "$DEVICE" --json-out "$WORK/$1.json" "${@:4}"
}
run fp32-b1 "$MODEL" 1 --inputs-out "$WORK/inputs.f32"
run int8-b1 "$INT8" 1
if [ "$BATCH" -gt 1 ]; then run fp32-bN "$MODEL" "$BATCH"; run int8-bN "$INT8" "$BATCH"; fi
run s2s-b1 "$S2S" 1
if [ "$BATCH" -gt 1 ]; then run s2s-bN "$S2S" "$BATCH"; fi
echo "eager: PyTorch on the first $EAGER studies (batch 1, no warm-up); vs_eager compares per-study times"
TORCH_THREADS=$THREADS OMP_NUM_THREADS=$THREADS "$PY" training/realistic_model.py eager "$MODEL" \
  "$WORK/inputs.f32" "$WORK/eager.json" --limit "$EAGER"
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
"$PY" - "$WORK" "$BATCH" <<'PY'
import json, os, sys
w, batch = sys.argv[1], int(sys.argv[2])
def load(n):
    p = os.path.join(w, n + ".json")
    return json.load(open(p)) if os.path.exists(p) else None
def pct(a, p):
    s = sorted(a); k = p / 100 * (len(s) - 1); i = int(k)
    return s[i] + (s[min(i + 1, len(s) - 1)] - s[i]) * (k - i)
rows = {n: load(n) for n in ("fp32-b1", "fp32-bN", "int8-b1", "int8-bN", "s2s-b1", "s2s-bN")}
print("%-8s %5s %9s %9s %9s %10s %8s %8s" % ("run", "batch", "p50_ms", "p95_ms", "per_st_ms", "studies/h", "flags%", "rss_mb"))
for n, r in rows.items():
    if r is None:
        continue
    per = r["total_ms"] / r["studies"]
    print("%-8s %5d %9.0f %9.0f %9.0f %10.0f %8.1f %8.0f" % (n, r["batch"], pct(r["latency_ms"], 50),
          pct(r["latency_ms"], 95), per, 3600e3 / per, 100 * r["flags_ms"] / r["total_ms"], r["rss_mb_peak"]))
e = load("eager")
f1, i1 = rows["fp32-b1"], rows["int8-b1"]
eager_ms = sum(e["ms_per_study"]) / len(e["ms_per_study"])
onnx_gen = f1["generate_ms"] / f1["studies"]
print("%-8s %5d %9.0f %9.0f %9.0f %10.0f   (generation only, threads %d, %d studies)" % ("eager", 1,
      pct(e["ms_per_study"], 50), pct(e["ms_per_study"], 95), eager_ms, 3600e3 / eager_ms, e["threads"],
      len(e["ms_per_study"])))
toks = [len(t) for t in f1["tokens"]]
agree = sum(a == b for x, y in zip(f1["tokens"], i1["tokens"]) for a, b in zip(x, y))
total = sum(max(len(x), len(y)) for x, y in zip(f1["tokens"], i1["tokens"]))
same_eager = sum(x == y[:len(x)] for x, y in zip(f1["tokens"], e["tokens"]))
print("tokens per study %.0f; int8 token agreement with fp32 %.3f (position by position); "
      "ONNX = eager tokens in %d/%d studies; rss loaded %.0f MB (fp32), %.0f MB (int8)"
      % (sum(toks) / len(toks), agree / max(total, 1), same_eager, len(e["tokens"]), f1["rss_mb_loaded"], i1["rss_mb_loaded"]))
s2s = [r for r in (rows["s2s-b1"], rows["s2s-bN"]) if r]
if s2s:
    b = min(s2s, key=lambda r: r["total_ms"] / r["studies"])
    same = sum(x == y for x, y in zip(f1["tokens"], rows["s2s-b1"]["tokens"]))
    print("seq2seq layout (cross-attention cached): studies_per_hour=%d p95_ms=%d at batch %d; fp32 batch 1 "
          "per-study speed-up over the GPT-2 layout %.2f; same tokens in %d/%d studies" % (
          round(3600e3 * b["studies"] / b["total_ms"]), round(pct(b["latency_ms"], 95)), b["batch"],
          (f1["total_ms"] / f1["studies"]) / (rows["s2s-b1"]["total_ms"] / rows["s2s-b1"]["studies"]), same, len(toks)))
best = min((r for r in (rows["fp32-b1"], rows["fp32-bN"]) if r), key=lambda r: r["total_ms"] / r["studies"])
print("realistic: studies_per_hour=%d p95_ms=%d int8_speedup=%.2f vs_eager=%.2f rss_mb=%d flags_share=%.2f" % (
    round(3600e3 * best["studies"] / best["total_ms"]), round(pct(best["latency_ms"], 95)),
    (f1["total_ms"] / f1["studies"]) / (i1["total_ms"] / i1["studies"]), eager_ms / onnx_gen,
    round(f1["rss_mb_peak"]), f1["flags_ms"] / f1["total_ms"]))
PY
