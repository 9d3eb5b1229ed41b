#!/usr/bin/env bash
# Stable -> drafted latency of the running pipeline: N uncompressed phantom studies (PA + lateral,
# Explicit VR LE) pushed with DCMTK storescu one every INTERVAL seconds to a RadDraft daemon on the
# bundled model (CPU), confidence flags on (FLAGS=false to measure drafting alone); prints p50/p95/max
# of (drafted_at - stable_at) from the database, the mean time of each step and the priorities.
# Usage: [FLAGS=true|false] bench/draft-latency.sh [N=20] [INTERVAL=1.5]
set -euo pipefail
app="$(cd "$(dirname "$(readlink -f "$0")")/.." && pwd)"
n="${1:-20}"; interval="${2:-1.5}"
export TCP_NODELAY=1
work="$(mktemp -d /tmp/raddraft-latency.XXXXXX)"
pid=""
cleanup() { [ -n "$pid" ] && kill "$pid" 2>/dev/null; wait 2>/dev/null || true; rm -rf "$work"; }
trap cleanup EXIT
"$app/bin/raddraft" --help >/dev/null 2>&1 || true   # builds on first use
cp_="$app/target/classes:$app/target/lib/*"

java -cp "$cp_" org.raddraft.App phantoms --out "$work/ph" --studies "$n" --seed 77 --no-training-set >/dev/null
for f in "$work"/ph/dicom/*/*.dcm; do   # uncompressed Explicit VR LE, as the target says
  case "$(dcmdump -q -M -Un +P 0002,0010 "$f")" in
    *1.2.840.10008.1.2.4.70*) dcmdjpeg +te "$f" "$f" ;;
    *1.2.840.10008.1.2.5*) dcmdrle +te "$f" "$f" ;;
    *) dcmconv +te "$f" "$f" ;;
  esac
done

. "$app/bench/lib.sh"
export FLAGS_ENABLED="${FLAGS:-true}"   # the daemon reads flags.enabled from the environment
start_raddraft "$work/home" 1
pid=$rd_pid; port=$rd_port
wait_ready   # before the first push: the first drafts would otherwise wait for the FHIR validator's warm-up

for d in "$work"/ph/dicom/*/; do
  storescu -aet PACS -aec RADDRAFT 127.0.0.1 "$port" "$d"*.dcm
  sleep "$interval"
done
h2() { java -cp "$cp_" org.h2.tools.Shell -url "$(h2_url "$work/home")" -user raddraft -password "$(h2_password "$work/home")" -sql "$1"; }
for _ in $(seq 1 120); do
  done_=$(h2 "SELECT COUNT(*) FROM draft" | sed -n 2p | tr -d ' ')
  [ "${done_:-0}" -ge "$n" ] && break; sleep 1
done
h2 "SELECT DATEDIFF('MILLISECOND', stable_at, drafted_at) AS ms, preprocess_ms, generate_ms, flags_ms, priority FROM draft ORDER BY ms" \
  | sed '1d;/rows,/d;/row,/d' > "$work/lat.txt"
python3 - "$work/lat.txt" "$n" "$FLAGS_ENABLED" <<'PY'
import sys, statistics
rows = [list(map(int, l.split('|'))) for l in open(sys.argv[1]) if l.strip()]
lat = sorted(r[0] for r in rows)
pct = lambda p: lat[min(len(lat) - 1, int(round(p / 100 * (len(lat) - 1))))]
print(f"{'studies':<22}{len(lat)} of {sys.argv[2]} (flags {sys.argv[3]})")
print(f"{'stable->drafted p50':<22}{pct(50)} ms")
print(f"{'stable->drafted p95':<22}{pct(95)} ms")
print(f"{'stable->drafted max':<22}{lat[-1]} ms")
print(f"{'preprocess mean':<22}{statistics.mean(r[1] for r in rows):.0f} ms")
print(f"{'generate mean':<22}{statistics.mean(r[2] for r in rows):.0f} ms")
print(f"{'flags mean':<22}{statistics.mean(r[3] for r in rows):.0f} ms (per batch)")
print(f"{'priority 2/1/0':<22}" + "/".join(str(sum(1 for r in rows if r[4] == p)) for p in (2, 1, 0)))
PY
