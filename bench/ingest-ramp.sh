#!/usr/bin/env bash
# RadDraft's warm-up ramp: one fresh daemon, then SETS successive sets of 200 x 1 MiB instances (new
# SOP Instance UIDs each), each pushed by storescu on one association after a `sync`; prints the
# instances/s of each set. With WARMUP=W the daemon first receives W small (~16 KiB) instances.
# Shows how many instances the JVM needs to reach its steady state (bench/ingest.sh warms up for it).
# Usage: [WARMUP=0] [SET=200] bench/ingest-ramp.sh [SETS]   (default 10). Needs dcmtk and a built RadDraft.
# Pushes as soon as the DICOM port opens, as a PACS would after a restart (READY=1: after /health/ready).
# Also prints how long the daemon took from its start to an open DICOM port and to /health/ready; with
# RADDRAFT_JAVA_OPTS (e.g. a CDS archive, -XX:SharedArchiveFile=...) passed on to it.
set -euo pipefail
app="$(cd "$(dirname "$(readlink -f "$0")")/.." && pwd)"
sets="${1:-10}"
warmup="${WARMUP:-0}"
n="${SET:-200}"
export TCP_NODELAY=1
work="$(mktemp -d /tmp/raddraft-ramp.XXXXXX)"
rd_pid=""
trap '[ -n "$rd_pid" ] && kill "$rd_pid" 2>/dev/null; wait 2>/dev/null; rm -rf "$work"' EXIT
"$app/bin/raddraft" --help >/dev/null 2>&1 || true   # builds on first use
. "$app/bench/lib.sh"

make_template 1024 "$work/t1024.dcm"
t0=$(date +%s.%N)
start_raddraft "$work/raddraft" 30
t1=$(date +%s.%N)
python3 -c "print(f'start-up: DICOM port open after {$t1 - $t0:.1f} s')"
if [ "${READY:-0}" = 1 ]; then   # READY=1: push only once /health/ready (FHIR validator loaded)
  wait_ready
  python3 -c "print(f'start-up: ready after {$(date +%s.%N) - $t0:.1f} s')"
fi
if [ "$warmup" -gt 0 ]; then
  make_template 128 "$work/t128.dcm"
  make_set "$work/t128.dcm" "$work/warm" "$warmup"
  push_rate "$rd_port" RADDRAFT "$work/warm" "$warmup" >/dev/null
fi
printf '%-26s %12s\n' "instances before the set" instances/s
for k in $(seq 1 "$sets"); do
  make_set "$work/t1024.dcm" "$work/set$k" "$n"
  sync
  rate=$(push_rate "$rd_port" RADDRAFT "$work/set$k" "$n")   # an assignment, so that a failed push stops the script
  printf '%-26s %12s\n' "$(( warmup + (k - 1) * n ))" "$rate"
  rm -rf "$work/set$k"
done
