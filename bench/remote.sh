#!/usr/bin/env bash
# Remote drafting: a RadDraft daemon on the example MedGemma model directory (backend openai-chat)
# drafting through the OpenAI/vLLM stand-in (org.raddraft.testing.OpenAiPeer, its own process; it
# drafts with the reference model on the CPU), with 1, 4 and 16 studies pushed at once (phantoms,
# PA + lateral, Explicit VR LE, one storescu per study in parallel). Per study, from the database:
#   stable->drafted  drafted_at - stable_at (includes waiting for the draft timer and for the engine)
#   overhead         RadDraft's own time once the study is claimed: (drafted_at - claimed_at)
#                    - engine_ms (inside the engine's answers) - wait_ms (engine slots, back-off);
#                    i.e. reading and rendering the images, scrubbing, the prompt, parsing the
#                    answer, flags, storing the draft (and the FHIR publishing of studies stored
#                    before it by the same drafting thread). Target: p95 <= 50 ms.
#   prep / flags     the study's preprocess_ms (inputs, rendering, prompt) and flags_ms (local part)
# Prints a table per concurrency; the last line is
#   remote: overhead_ms_p95=N p95_ms=N studies=N
# Usage: bench/remote.sh [ROUNDS_AT_1=6] [ROUNDS_AT_4=3] [ROUNDS_AT_16=1]
set -euo pipefail
app="$(cd "$(dirname "$(readlink -f "$0")")/.." && pwd)"
r1="${1:-6}"; r4="${2:-3}"; r16="${3:-1}"
export TCP_NODELAY=1
work="$(mktemp -d /tmp/raddraft-remote.XXXXXX)"
pid=""; peer_pid=""
cleanup() {
  [ -n "$pid" ] && kill "$pid" 2>/dev/null
  [ -n "$peer_pid" ] && kill "$peer_pid" 2>/dev/null
  wait 2>/dev/null || true; rm -rf "$work"
}
trap cleanup EXIT
cd "$app"
"$app/bin/raddraft" --help >/dev/null 2>&1 || true   # builds target/classes and target/lib on first use
mvn -q -B -o test-compile >/dev/null                    # the engine stand-in is test code
cp_="$app/target/classes:$app/target/lib/*"
total=$((r1 * 1 + r4 * 4 + r16 * 16))

java -cp "$cp_" org.raddraft.App phantoms --out "$work/ph" --studies "$total" --seed 91 --no-training-set >/dev/null
for f in "$work"/ph/dicom/*/*.dcm; do
  case "$(dcmdump -q -M -Un +P 0002,0010 "$f")" in
    *1.2.840.10008.1.2.4.70*) dcmdjpeg +te "$f" "$f" ;;
    *1.2.840.10008.1.2.5*) dcmdrle +te "$f" "$f" ;;
    *) dcmconv +te "$f" "$f" ;;
  esac
done

. "$app/bench/lib.sh"
# the engine stand-in, its own JVM: as many requests at once as the daemon may send
peer_port=$(free_port)
java -cp "$app/target/test-classes:$cp_" org.raddraft.testing.OpenAiPeer --port "$peer_port" \
  --served-model-name google/medgemma-4b-it --max-concurrent 16 > "$work/peer.log" 2>&1 &
peer_pid=$!
wait_port "$peer_port"

export MODEL_DIR="$app/models/remote-medgemma-example" REMOTE_ENDPOINTS="http://127.0.0.1:$peer_port"
export REMOTE_MAX_CONCURRENT=16 DRAFT_BATCH_SIZE=16
start_raddraft "$work/home" 1
pid=$rd_pid; port=$rd_port
wait_ready

h2() { java -cp "$cp_" org.h2.tools.Shell -url "$(h2_url "$work/home")" -user raddraft -password "$(h2_password "$work/home")" -sql "$1"; }
drafted() { h2 "SELECT COUNT(*) FROM draft" | sed -n 2p | tr -d ' '; }
studies=("$work"/ph/dicom/*/)
next=0
: > "$work/rounds.txt"
for spec in "1:$r1" "4:$r4" "16:$r16"; do
  c=${spec%%:*}; rounds=${spec##*:}
  for _ in $(seq 1 "$rounds"); do
    before=$(drafted); first=$((next + 1))
    for _ in $(seq 1 "$c"); do
      storescu -aet PACS -aec RADDRAFT 127.0.0.1 "$port" "${studies[$next]}"*.dcm &
      next=$((next + 1))
    done
    wait $(jobs -p | grep -v -e "^$pid\$" -e "^$peer_pid\$") 2>/dev/null || true
    for _ in $(seq 1 300); do [ "$(drafted)" -ge $((before + c)) ] && break; sleep 0.5; done
    echo "$c $first $next" >> "$work/rounds.txt"
  done
done
h2 "SELECT d.study_id, DATEDIFF('MILLISECOND', d.stable_at, d.drafted_at), DATEDIFF('MILLISECOND', d.claimed_at, d.drafted_at), d.engine_ms, d.wait_ms, d.preprocess_ms, d.flags_ms FROM draft d ORDER BY d.study_id" \
  | sed '1d;/rows,/d;/row,/d' > "$work/lat.txt"
python3 - "$work/lat.txt" "$work/rounds.txt" "$total" <<'PY'
import sys
rows = [list(map(int, l.split('|'))) for l in open(sys.argv[1]) if l.strip()]
rounds = [tuple(map(int, l.split())) for l in open(sys.argv[2]) if l.strip()]
by_study = {r[0]: r for r in rows}
def pct(v, p):
    v = sorted(v)
    return v[min(len(v) - 1, int(round(p / 100 * (len(v) - 1))))] if v else 0
print(f"{'concurrent':>10} {'studies':>8} {'p50 ms':>8} {'p95 ms':>8} {'engine p50':>11} {'overhead p50':>13} {'overhead p95':>13} {'prep p50':>9} {'flags p50':>10}")
for c in (1, 4, 16):
    ids = [i for (cc, a, b) in rounds if cc == c for i in range(a, b + 1)]
    rs = [by_study[i] for i in ids if i in by_study]
    if not rs:
        continue
    lat = [r[1] for r in rs]; over = [r[2] - r[3] - r[4] for r in rs]; eng = [r[3] for r in rs]
    print(f"{c:>10} {len(rs):>8} {pct(lat, 50):>8} {pct(lat, 95):>8} {pct(eng, 50):>11} {pct(over, 50):>13} {pct(over, 95):>13} {pct([r[5] for r in rs], 50):>9} {pct([r[6] for r in rs], 50):>10}")
lat = [r[1] for r in rows]; over = [r[2] - r[3] - r[4] for r in rows]
print(f"studies drafted {len(rows)} of {sys.argv[3]}")
print(f"remote: overhead_ms_p95={pct(over, 95)} p95_ms={pct(lat, 95)} studies={len(rows)}")
PY
