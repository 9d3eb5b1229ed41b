#!/usr/bin/env bash
# RadDraft's warm-up ramp: one fresh daemon, then SETS successive sets of 200 x 1 MiB instances (new
# SOP Instance UIDs each), each pushed by storescu on one association after a `sync`; prints the
# instances/s of each set. With WARMUP=W the daemon first receives W small (~16 KiB) instances.
# Shows how many instances the JVM needs to reach its steady state (bench/ingest.sh warms up for it).
# Usage: [WARMUP=0] bench/ingest-ramp.sh [SETS]   (default 10). Needs dcmtk and a built RadDraft.
set -euo pipefail
app="$(cd "$(dirname "$(readlink -f "$0")")/.." && pwd)"
sets="${1:-10}"
warmup="${WARMUP:-0}"
n=200
export TCP_NODELAY=1
work="$(mktemp -d /tmp/raddraft-ramp.XXXXXX)"
rd_pid=""
trap '[ -n "$rd_pid" ] && kill "$rd_pid" 2>/dev/null; wait 2>/dev/null; rm -rf "$work"' EXIT
"$app/bin/raddraft" --help >/dev/null 2>&1 || true   # builds on first use
. "$app/bench/lib.sh"

make_template 1024 "$work/t1024.dcm"
start_raddraft "$work/raddraft" 30
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
