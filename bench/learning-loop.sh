#!/usr/bin/env bash
# The whole learning loop on phantoms (issue 26, docs/learning-export.md), through the daemon:
#   1. a fresh seed of N phantom studies (PA + lateral DICOM) pushed by storescu to a RadDraft daemon
#      running the current model, which drafts them;
#   2. a simulated radiologist (bench/simulated_radiologist.py, a stand-in that knows the phantoms'
#      truth) reviews every draft through the daemon's FHIR API as a RIS does: approve / edit / reject;
#   3. `raddraft admin feedback --learning` exports SFT set, weighted pairs, rejected drafts, negatives;
#   4. training/learn.py: relevance-weighted DPO + a GRPO round (reward = labeller F1 + classifier
#      agreement, KL to the start) -> a new model directory with a new version;
#   5. `raddraft calibrate` re-calibrates the new model's flags (calibration seed 3);
#   6. `raddraft eval` of the old and the new model on the held-out set (seed 2) -> before/after table.
# The last line reads
#   loop: wrong_finding_before=X wrong_finding_after=Y wrong_critical_before=X wrong_critical_after=Y
# (shares of held-out drafts with a wrong finding / a wrong critical finding).
#
# Usage: [N=500] [SEED=26] [EVAL_STUDIES=300] [CALIB_STUDIES=500] [MODEL=models/reference-cxr]
#        [OUT=DIR] [VERSION=2.3.0] [LEARN_ARGS="--dpo-epochs 3 ..."] [KEEP=1] bench/learning-loop.sh
# Long on 2 cores (drafting N + 2 x EVAL + CALIB studies, and training): run it under `buildslot`.
set -euo pipefail
app="$(cd "$(dirname "$(readlink -f "$0")")/.." && pwd)"
n="${N:-500}"; seed="${SEED:-26}"; eval_n="${EVAL_STUDIES:-300}"; calib_n="${CALIB_STUDIES:-500}"
model="$(cd "$app" && readlink -f "${MODEL:-models/reference-cxr}")"
version="${VERSION:-2.3.0}"
work="${WORK:-$(mktemp -d /tmp/raddraft-loop.XXXXXX)}"
out="${OUT:-$work/model-$version}"
pid=""
cleanup() { [ -n "$pid" ] && kill "$pid" 2>/dev/null; wait 2>/dev/null || true; [ -n "${KEEP:-}" ] || rm -rf "$work"; }
trap cleanup EXIT
T0=$(date +%s)
say() { echo "== $* ($(( $(date +%s) - T0 )) s)"; }
"$app/bin/raddraft" --help >/dev/null 2>&1 || true   # builds on first use
cp_="$app/target/classes:$app/target/lib/*"
rd() { "$app/bin/raddraft" "$@"; }

say "phantoms: fresh seed $seed x $n (reviewed), held-out seed 2 x $eval_n"
[ -f "$work/fresh/phantoms.jsonl" ] || java -cp "$cp_" org.raddraft.App phantoms --out "$work/fresh" --studies "$n" --seed "$seed" --threads 2 >/dev/null
[ -f "$work/eval/phantoms.jsonl" ] || java -cp "$cp_" org.raddraft.App phantoms --out "$work/eval" --studies "$eval_n" --seed 2 --threads 2 >/dev/null

. "$app/bench/lib.sh"
say "daemon on $model; push $n studies"
mkdir -p "$work/home"
export MODEL_DIR="$model"   # the daemon reads model.dir from the environment
start_raddraft "$work/home" 1
pid=$rd_pid; wait_ready
# as a PACS sends them: each file in its own transfer syntax, one association per syntax (storescu -R + option)
for f in "$work"/fresh/dicom/*/*.dcm; do
  echo "$(dcmdump -q -M -Un +P 0002,0010 "$f" | sed 's/.*\[\(.*\)\].*/\1/' | tr -d '\0 ') $f"
done > "$work/by-syntax.txt"
for ts in $(cut -d' ' -f1 "$work/by-syntax.txt" | sort -u); do
  case "$ts" in
    1.2.840.10008.1.2) x=-xi ;; 1.2.840.10008.1.2.1) x=-xe ;; 1.2.840.10008.1.2.4.50) x=-xy ;;
    1.2.840.10008.1.2.4.70) x=-xs ;; 1.2.840.10008.1.2.5) x=-xr ;; 1.2.840.10008.1.2.4.90) x=-xv ;;
    1.2.840.10008.1.2.4.91) x=-xw ;; 1.2.840.10008.1.2.2) x=-xb ;; 1.2.840.10008.1.2.1.99) x=-xd ;;
    *) echo "learning-loop: no storescu option for transfer syntax $ts" >&2; exit 1 ;;
  esac
  grep "^$ts " "$work/by-syntax.txt" | cut -d' ' -f2 | xargs storescu -aet PACS -aec RADDRAFT -R "$x" 127.0.0.1 "$rd_port" \
    >> "$work/push.log" 2>&1 || { echo "learning-loop: storescu failed (see $work/push.log)" >&2; exit 1; }
done
h2() { java -cp "$cp_" org.h2.tools.Shell -url "$(h2_url "$work/home")" -user raddraft -password "$(h2_password "$work/home")" -sql "$1" | sed -n 2p | tr -d ' '; }
drafted=0
for _ in $(seq 1 "$(( n * 4 + 120 ))"); do   # up to ~4 s a study on 2 shared cores
  drafted=$(h2 "SELECT COUNT(*) FROM draft WHERE state = 'DRAFTED'")
  [ "${drafted:-0}" -ge "$n" ] && break; sleep 1
done
say "$drafted of $n drafted"

say "simulated radiologist reviews through FHIR"
token=$(rd admin users add --config "$work/raddraft.properties" --name sim-ris --role integration | grep -o 'rdk_[A-Za-z0-9_-]*')
printf '%s\n' "simulated-radiologist-pw" | rd admin users add --config "$work/raddraft.properties" --name sim-radiologist --role radiologist >/dev/null
/usr/bin/python3 "$app/bench/simulated_radiologist.py" --base "http://127.0.0.1:$rd_http" --token "$token" \
  --acting-for sim-radiologist --phantoms "$work/fresh" --log "$work/reviews.jsonl" | tee "$work/reviews.txt"

say "export"
rd admin feedback --config "$work/raddraft.properties" --out "$work/feedback.jsonl" --learning "$work/export" --model "$model"
kill "$rd_pid"; wait "$rd_pid" 2>/dev/null || true; pid=""

say "train (DPO + GRPO) -> $out"
(cd "$app/training" && /usr/bin/python3 learn.py --model "$model" --export "$work/export" --out "$out" --version "$version" ${LEARN_ARGS:-}) \
  | tee "$work/learn.log"

say "re-calibrate the new model's flags (seed 3 x $calib_n)"
rd calibrate --model "$out" --studies "$calib_n" > "$work/calibrate.txt" 2>"$work/calibrate.err" || { cat "$work/calibrate.err" >&2; exit 1; }
tail -3 "$work/calibrate.txt"

say "held-out evaluation before / after"
rd eval --model "$model" --data "$work/eval" --studies "$eval_n" --json > "$work/before.json" 2>"$work/eval-before.err"
rd eval --model "$out" --data "$work/eval" --studies "$eval_n" --json > "$work/after.json" 2>"$work/eval-after.err"
python3 "$app/bench/learning_table.py" "$work/before.json" "$work/after.json" "$(grep -o 'reviewed=.*' "$work/reviews.txt")"
say "done; work files in $work$([ -n "${KEEP:-}" ] || echo ' (removed; KEEP=1 keeps them)')"
python3 "$app/bench/learning_table.py" --last-line "$work/before.json" "$work/after.json"
