#!/bin/sh
# Reproduce models/reference-cxr/ from a clean checkout (CPU only; ~45-75 min on 2 cores).
#
#   training/train.sh            # from the repository root or anywhere
#
# Steps: build the project with Maven (offline if the local repository has the dependencies),
# generate the phantom training set (seed 1, 5000 studies), the calibration set (seed 3, 300) and
# the fixed held-out evaluation set (seed 2, 300) with `raddraft phantoms` from THIS checkout,
# train the drafter and the classifier, export ONNX + tokenizer + configs, evaluate, write
# models/reference-cxr/ (manifest, metrics.json) and the Java test fixtures, print the metrics.
#
# Needs Debian python3 with python3-torch (1.13), python3-torchvision, python3-onnx, python3-numpy,
# python3-pil; strongly recommended: libopenblas0-pthread (Debian's torch links the reference BLAS
# otherwise, and the transformer layers train ~10x slower).  Override with environment variables:
#   TRAIN_STUDIES EVAL_STUDIES CALIB_STUDIES EPOCHS CLF_EPOCHS AUX_WEIGHT SIZE WORK PYTHON MVN_FLAGS
#   RADDRAFT_TRAIN_THREADS PHANTOM_SRC GEN_COMMIT
set -eu

ROOT=$(cd "$(dirname "$0")/.." && pwd)
PYTHON=${PYTHON:-/usr/bin/python3}
WORK=${WORK:-$ROOT/training/out}
TRAIN_SEED=1 EVAL_SEED=2 CALIB_SEED=3
TRAIN_STUDIES=${TRAIN_STUDIES:-5000}
EVAL_STUDIES=${EVAL_STUDIES:-300}
CALIB_STUDIES=${CALIB_STUDIES:-300}
EPOCHS=${EPOCHS:-7}
CLF_EPOCHS=${CLF_EPOCHS:-5}
AUX_WEIGHT=${AUX_WEIGHT:-0.5}
SIZE=${SIZE:-256}
export RADDRAFT_TRAIN_THREADS=${RADDRAFT_TRAIN_THREADS:-2}
export OMP_NUM_THREADS=$RADDRAFT_TRAIN_THREADS OPENBLAS_NUM_THREADS=1
T0=$(date +%s)

if ! "$PYTHON" -c 'import torch, onnx, numpy, PIL' 2>/dev/null; then
    echo "train.sh: $PYTHON lacks torch/onnx/numpy/PIL (apt-get install python3-torch python3-onnx python3-pil)" >&2
    exit 2
fi
if ! "$PYTHON" -c 'import torch,sys; sys.exit(0 if "openblas" in open("/proc/self/maps").read() or "mkl" in torch.__config__.show().lower() else 1)' 2>/dev/null; then
    echo "train.sh: warning: torch is not using OpenBLAS/MKL; training will be much slower (apt-get install libopenblas0-pthread)" >&2
fi

# The phantom generator is org.raddraft.phantom in this checkout; PHANTOM_SRC may point at another
# checkout of the project (e.g. before the generator is merged into this branch).
PHANTOM_SRC=${PHANTOM_SRC:-$ROOT}
if [ ! -f "$PHANTOM_SRC/src/main/java/org/raddraft/phantom/PhantomsCommand.java" ]; then
    echo "train.sh: no phantom generator in $PHANTOM_SRC (set PHANTOM_SRC to a checkout that has org.raddraft.phantom)" >&2
    exit 2
fi
GEN_COMMIT=${GEN_COMMIT:-$(git -C "$PHANTOM_SRC" rev-parse --short HEAD 2>/dev/null || echo unknown)}
echo "== build $PHANTOM_SRC (generator commit $GEN_COMMIT) ($(date))"
mkdir -p "$WORK"
cd "$PHANTOM_SRC"
mvn ${MVN_FLAGS:--o} -q -B -Dbuild.dir="$WORK/target" compile dependency:build-classpath -Dmdep.outputFile="$WORK/classpath.txt"
CP="$WORK/target/classes:$(cat "$WORK/classpath.txt")"

gen() { # dir seed studies; reuses an existing set only if seed, count and generator commit match
    stamp="$2 $3 $GEN_COMMIT"
    if [ "$GEN_COMMIT" != unknown ] && [ -f "$WORK/data/$1/.stamp" ] && [ "$(cat "$WORK/data/$1/.stamp")" = "$stamp" ]; then
        echo "   $1: reusing $WORK/data/$1 ($3 studies, seed $2, generator $GEN_COMMIT)"
        return
    fi
    rm -rf "$WORK/data/$1" "$WORK/cache"
    nice -n 5 java -cp "$CP" org.raddraft.App phantoms --out "$WORK/data/$1" --studies "$3" --seed "$2" \
        --no-dicom --threads "$RADDRAFT_TRAIN_THREADS"
    echo "$stamp" > "$WORK/data/$1/.stamp"
}
echo "== phantoms ($(date))"
gen eval "$EVAL_SEED" "$EVAL_STUDIES"
gen calib "$CALIB_SEED" "$CALIB_STUDIES"
gen train "$TRAIN_SEED" "$TRAIN_STUDIES"

echo "== train ($(date))"
rm -rf "$WORK/ckpt"
cd "$ROOT/training"
nice -n 5 "$PYTHON" train.py --train "$WORK/data/train" --out "$WORK/ckpt" --cache "$WORK/cache" \
    --size "$SIZE" --epochs "$EPOCHS" --clf-epochs "$CLF_EPOCHS" --batch 32 --d-model 128 --heads 4 --dec-layers 2 --aux-weight "$AUX_WEIGHT" --seed 1234

echo "== export + evaluate ($(date))"
rm -rf "$ROOT/models/reference-cxr"
nice -n 5 "$PYTHON" package.py --ckpt "$WORK/ckpt" --model-dir "$ROOT/models/reference-cxr" \
    --eval "$WORK/data/eval" --eval-seed "$EVAL_SEED" --calib "$WORK/data/calib" --calib-seed "$CALIB_SEED" \
    --train-seed "$TRAIN_SEED" --train-studies "$TRAIN_STUDIES" --cache "$WORK/cache" --generator-commit "$GEN_COMMIT" \
    --model-card "$ROOT/docs/model-card.md" \
    --fixtures "$ROOT/src/test/resources/org/raddraft/inference/reference-cxr"

echo "== done in $(( ($(date +%s) - T0) / 60 )) min; model: $(du -sh "$ROOT/models/reference-cxr" | cut -f1)"
echo "   check: mvn -o -q -B test -Dtest='org.raddraft.inference.**'"
