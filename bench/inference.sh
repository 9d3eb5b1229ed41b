#!/usr/bin/env bash
# Generation speed of the drafter: (a) Java, raw ai.onnxruntime (the daemon's path), (b) Java, DJL's
# OnnxRuntime engine on the same files, (c) PyTorch eager (training/models.py) on the same inputs,
# same thread count, same greedy length. Prints a table; the last line is
#   ratios: speedup_vs_pytorch=X.XX djl_overhead_pct=Y.Y
# usage: bench/inference.sh [--model DIR] [--studies N] [--tokens L] [--threads T] [--data DIR]
#                           [--ckpt DIR] [--training DIR] [--warmup W] [--repeat R]
#   --data DIR      a `raddraft phantoms` output (dicom/<study>/1-*.dcm, 2-*.dcm); default: generate
#                   N phantom studies when the generator is built, else testdata/phantoms, else random inputs
#   --ckpt DIR      training checkpoint (drafter.pt, train_config.json, vocab.json) for PyTorch; default
#                   $RADDRAFT_CKPT; without one PyTorch runs the same architecture with seeded random weights
#   --training DIR  directory holding models.py (default: training/)
set -euo pipefail
cd "$(dirname "$0")/.."
MODEL=models/reference-cxr; STUDIES=20; TOKENS=40; THREADS=1; DATA=""; WARMUP=5; REPEAT=3
CKPT=${RADDRAFT_CKPT:-}; TRAINING=${RADDRAFT_TRAINING:-training}
PY=${RADDRAFT_PYTHON:-/usr/bin/python3}
while [ $# -gt 0 ]; do
  case "$1" in
    --model) MODEL=$2; shift 2;; --studies) STUDIES=$2; shift 2;; --tokens) TOKENS=$2; shift 2;;
    --threads) THREADS=$2; shift 2;; --data) DATA=$2; shift 2;; --ckpt) CKPT=$2; shift 2;;
    --training) TRAINING=$2; shift 2;; --warmup) WARMUP=$2; shift 2;; --repeat) REPEAT=$2; shift 2;;
    *) echo "bench/inference.sh: unknown option $1" >&2; exit 2;;
  esac
done
. bench/lib.sh
build_classpath
WORK=$(mktemp -d -t raddraft-bench-XXXXXX); trap 'rm -rf "$WORK"' EXIT
JAVA_OPTS="-Xss4m -XX:+UseParallelGC -Dorg.slf4j.simpleLogger.defaultLogLevel=warn -Dlogback.configurationFile=bench/logback-quiet.xml"
DICOM_ARGS=()
if [ -z "$DATA" ] && [ -d "$BUILD/classes/org/raddraft/phantom" ]; then
  java $JAVA_OPTS -cp "$CP" org.raddraft.App phantoms --out "$WORK/phantoms" --studies "$STUDIES" --seed 7 \
    --no-training-set >/dev/null
  DATA="$WORK/phantoms"
elif [ -z "$DATA" ] && [ -d testdata/phantoms/dicom ]; then
  DATA=testdata/phantoms
fi
[ -n "$DATA" ] && DICOM_ARGS=(--dicom "$DATA")
java $JAVA_OPTS -cp "$CP" org.raddraft.inference.onnx.InferenceBench --model "$MODEL" "${DICOM_ARGS[@]}" \
  --studies "$STUDIES" --tokens "$TOKENS" --threads "$THREADS" --warmup "$WARMUP" --repeat "$REPEAT" \
  --inputs-out "$WORK/inputs.f32" --json-out "$WORK/java.json" >/dev/null
TOK=$("$PY" -c "import json,sys; print(json.load(open(sys.argv[1]))['tokens'])" "$WORK/java.json")
PY_JSON=""
if [ -f "$TRAINING/models.py" ] && "$PY" -c "import torch" 2>/dev/null; then
  CK=(); [ -n "$CKPT" ] && CK=(--ckpt "$CKPT")
  OMP_NUM_THREADS=$THREADS "$PY" bench/pytorch_eager.py --training "$TRAINING" --model "$MODEL" \
    --inputs "$WORK/inputs.f32" --tokens "$TOK" --threads "$THREADS" --warmup "$WARMUP" --repeat "$REPEAT" "${CK[@]}" \
    --json-out "$WORK/py.json" >/dev/null
  PY_JSON="$WORK/py.json"
else
  echo "(no PyTorch row: $TRAINING/models.py or $PY with torch missing)"
fi
"$PY" bench/bench_table.py "$WORK/java.json" "$PY_JSON"
