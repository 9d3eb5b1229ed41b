#!/usr/bin/env bash
# Ingest throughput: the same 200 x 1 MB instances pushed with DCMTK storescu (one association)
# to RadDraft (fsync + atomic rename + indexed row per instance), to DCMTK storescp (writes files,
# no fsync, no index) and to Orthanc (SyncStorageArea=true, SQLite index), on loopback, side by side
# in each of RUNS runs; prints each run, the medians and the median ratios (needs ~4 GB in /tmp).
# Usage: [WARMUP=1500] [RUNS=5] bench/ingest.sh [N]   (default 200). Needs dcmtk, orthanc, a built RadDraft (bin/raddraft builds).
#
# Scaling mode (issue 24): [WARMUP=1200] [RUNS=3] [LEVELS="1 4 8"] bench/ingest.sh --associations [N]
# pushes N (default 480) fresh 1 MiB instances per run and level, split over that many parallel storescu
# associations, to RadDraft and to Orthanc side by side (storescp left out), and prints per level the
# median instances/s, the median RadDraft/Orthanc ratio and each receiver's CPU time per instance (its
# process's utime+stime from /proc across the push: a figure a busy machine hardly changes); last line
# `scaling: a1=R a4=R a8=R` (the ratios).
set -euo pipefail
app="$(cd "$(dirname "$(readlink -f "$0")")/.." && pwd)"
mode=single
if [ "${1:-}" = --associations ]; then mode=scaling; shift; fi
n="${1:-$([ "$mode" = scaling ] && echo 480 || echo 200)}"
export TCP_NODELAY=1   # DCMTK reads it from the environment; without it loopback transfers crawl
work="$(mktemp -d /tmp/raddraft-bench.XXXXXX)"
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; rm -rf "$work"; }
trap cleanup EXIT

PATH="$PATH:/usr/sbin"   # Debian's Orthanc lives there, off an ordinary user's PATH
for t in storescu storescp img2dcm dcmodify Orthanc; do
  command -v "$t" >/dev/null || { echo "bench: $t not found (apt-get install dcmtk orthanc)" >&2; exit 1; }
done
"$app/bin/raddraft" --help >/dev/null 2>&1 || true   # builds on first use

. "$app/bench/lib.sh"

# --- the instances: one 1024x1024 8-bit CR chest image (~1 MiB), copied with new SOP Instance UIDs;
# a 128x128 one (~16 KiB) for the warm-up
echo "generating instances ..." >&2
for size in 1024 128; do make_template "$size" "$work/t$size.dcm"; done

# Warm-up: each peer first receives WARMUP small instances on an association of its own, so that
# the runs measure the steady state of a long-running receiver. RadDraft's JVM reaches it only after
# ~1000 instances (its JIT compiles the receive and H2 paths as they get hot: 214/s for the first
# 200 of 1 MiB, 320-350/s from the 1000th on, docs/benchmarks.md); a daemon does that once in its
# life. Small instances exercise the same code without writing gigabytes, which pushes this disk
# into its slow spells. storescp and Orthanc are native code and need no JIT warm-up; they get the
# same one all the same.
warmup="${WARMUP:-$([ "$mode" = scaling ] && echo 1200 || echo 1500)}"
# Runs: each run pushes a fresh set of N instances (new SOP Instance UIDs, so no receiver sees
# duplicates) to the three peers back to back, in an order that rotates between runs. This machine's
# disk has slow spells (everyone a third to a half slower for a minute or more), so one run's ratio
# is noisy; the ratios line is the median over the runs of each run's ratio (the peers of one run
# share its conditions).
runs="${RUNS:-$([ "$mode" = scaling ] && echo 3 || echo 5)}"
make_set "$work/t128.dcm" "$work/warm" "$warmup"
size_kib=$(( $(stat -c %s "$work/t1024.dcm") / 1024 ))

# --- the three receivers, each warmed up once
start_raddraft "$work/raddraft" 30
pids+=("$rd_pid")
wait_ready   # the FHIR validator's start-up load (10-30 s of CPU) must not overlap the warm-up and the runs

sc_port=$(free_port); mkdir -p "$work/storescp"
storescp -od "$work/storescp" -aet STORESCP "$sc_port" > "$work/storescp.log" 2>&1 &
pids+=($!)

# Orthanc, SyncStorageArea: fsync'd like RadDraft
or_port=$(free_port); or_http=$(free_port); mkdir -p "$work/orthanc"
cat > "$work/orthanc.json" <<EOF2
{ "Name": "bench", "StorageDirectory": "$work/orthanc/storage", "IndexDirectory": "$work/orthanc/index",
  "DicomAet": "ORTHANC", "DicomPort": $or_port, "HttpPort": $or_http, "RemoteAccessAllowed": false,
  "AuthenticationEnabled": false, "SyncStorageArea": true, "DicomCheckCalledAet": false,
  "StorageCompression": false, "Plugins": [], "ConcurrentJobs": 1 }
EOF2
Orthanc "$work/orthanc.json" > "$work/orthanc.log" 2>&1 &
or_pid=$!
pids+=($!)
wait_port "$sc_port"; wait_port "$or_port"

declare -A port=([raddraft]=$rd_port [storescp]=$sc_port [orthanc]=$or_port)
declare -A aet=([raddraft]=RADDRAFT [storescp]=STORESCP [orthanc]=ORTHANC)
declare -A pid=([raddraft]=$rd_pid [orthanc]=$or_pid)
for peer in raddraft storescp orthanc; do
  storescu -aet PACS -aec "${aet[$peer]}" 127.0.0.1 "${port[$peer]}" "$work"/warm/*.dcm >/dev/null 2>&1 || true
done
sync

# cpu_ticks PID: the process's user + system CPU time so far, in clock ticks (/proc/PID/stat fields 14, 15)
cpu_ticks() { awk '{ sub(/.*\) /, ""); print $12 + $13 }' "/proc/$1/stat"; }

# push_parallel PORT CALLED_AE DIR COUNT K RECEIVER_PID: DIR/*.dcm dealt round robin over K storescu
# associations started together; prints instances/s from the first start to the last end, and the
# receiver's CPU milliseconds per instance meanwhile.
push_parallel() {
  local t0 t1 c0 c1 i k=$5 files=("$3"/*.dcm) pids=()
  for ((i = 0; i < k; i++)); do mkdir -p "$3/a$i"; done
  for i in "${!files[@]}"; do mv "${files[$i]}" "$3/a$((i % k))/"; done
  c0=$(cpu_ticks "$6")
  t0=$(date +%s.%N)
  for ((i = 0; i < k; i++)); do
    storescu -aet PACS -aec "$2" 127.0.0.1 "$1" "$3/a$i"/*.dcm > "$work/push-$1-$i.log" 2>&1 & pids+=($!)
  done
  for i in "${!pids[@]}"; do
    wait "${pids[$i]}" || { echo "bench: storescu $i to port $1 failed:" >&2; cat "$work/push-$1-$i.log" >&2; exit 1; }
  done
  t1=$(date +%s.%N)
  c1=$(cpu_ticks "$6")
  for ((i = 0; i < k; i++)); do mv "$3/a$i"/*.dcm "$3/"; rmdir "$3/a$i"; done
  python3 -c "print(f'{$4 / ($t1 - $t0):.1f} {($c1 - $c0) * 1000 / $(getconf CLK_TCK) / $4:.2f}')"
}

if [ "$mode" = scaling ]; then
  levels=(${LEVELS:-1 4 8})
  results="$work/scaling.txt"; : > "$results"
  order=(raddraft orthanc)
  total=0
  for r in $(seq 1 "$runs"); do
    for k in "${levels[@]}"; do
      make_set "$work/t1024.dcm" "$work/set$r-$k" "$n"
      sync
      declare -A rate=()
      for peer in "${order[@]}"; do
        rate[$peer]=$(push_parallel "${port[$peer]}" "${aet[$peer]}" "$work/set$r-$k" "$n" "$k" "${pid[$peer]}")
        sync
      done
      total=$((total + n))
      read -r rd_rate rd_cpu <<< "${rate[raddraft]}"; read -r or_rate or_cpu <<< "${rate[orthanc]}"
      echo "$r $k $rd_rate $or_rate $rd_cpu $or_cpu ${order[*]}" | tee -a "$results" >&2
      order=("${order[@]:1}" "${order[0]}")
      rm -rf "$work/set$r-$k"
    done
  done
  stored=$(find "$work/raddraft/spool" -name '*.dcm' | wc -l)
  [ "$stored" -eq $((total + warmup)) ] || { echo "bench: RadDraft stored $stored of $((total + warmup))" >&2; exit 1; }
  python3 - "$results" "$n" "$size_kib" "$warmup" <<'PY'
import statistics, sys, collections
n, kib, warm = sys.argv[2:5]
by = collections.defaultdict(list)
for l in open(sys.argv[1]):
    r, k, rd, orth, rd_cpu, or_cpu, *order = l.split()
    by[int(k)].append((float(rd), float(orth), float(rd_cpu), float(or_cpu)))
print(f"\n{n} instances of {kib} KiB per run and level, split over k associations, loopback, after {warm} small warm-up instances")
print(f"{'k':>2} {'runs':>4} {'raddraft/s':>11} {'orthanc/s':>10} {'rd/orthanc':>11} {'rd cpu ms':>10} {'or cpu ms':>10}"
      "  (medians; per-run ratios; CPU ms per instance)")
out = []
for k in sorted(by):
    rows = by[k]
    ratios = [r[0] / r[1] for r in rows]
    med = statistics.median(ratios)
    out.append(f"a{k}={med:.2f}")
    m = lambda i: statistics.median(r[i] for r in rows)
    print(f"{k:>2} {len(rows):>4} {m(0):>11.1f} {m(1):>10.1f} {med:>11.2f} {m(2):>10.2f} {m(3):>10.2f}"
          f"  ({' '.join(f'{x:.2f}' for x in ratios)})")
print("scaling: " + " ".join(out))
PY
  exit 0
fi

# --- the runs
order=(raddraft storescp orthanc)
results="$work/results.txt"; : > "$results"
for r in $(seq 1 "$runs"); do
  make_set "$work/t1024.dcm" "$work/set$r" "$n"
  sync   # the copies' writeback would otherwise compete with the receivers' writes (storescp's most)
  declare -A rate=()
  for peer in "${order[@]}"; do
    rate[$peer]=$(push_rate "${port[$peer]}" "${aet[$peer]}" "$work/set$r" "$n")
    sync   # storescp leaves its files dirty: their writeback must not slow the next peer down
  done
  echo "$r ${rate[raddraft]} ${rate[storescp]} ${rate[orthanc]} ${order[*]}" >> "$results"
  order=("${order[@]:1}" "${order[0]}")
done
stored=$(find "$work/raddraft/spool" -name '*.dcm' | wc -l)
[ "$stored" -eq $((n * runs + warmup)) ] || { echo "bench: RadDraft stored $stored of $((n * runs + warmup))" >&2; exit 1; }

python3 - "$results" "$n" "$size_kib" "$warmup" <<'PY'
import statistics, sys
rows = [l.split() for l in open(sys.argv[1])]
n, kib, warm = sys.argv[2:5]
print(f"\n{n} instances of {kib} KiB per run, one association, loopback, TCP_NODELAY=1, after {warm} small warm-up instances")
print(f"{'run':>3} {'raddraft/s':>11} {'storescp/s':>11} {'orthanc/s':>10} {'rd/orthanc':>11} {'rd/storescp':>12}  order")
ro, rs = [], []
for r, rd, sc, orth, *order in rows:
    rd, sc, orth = float(rd), float(sc), float(orth)
    ro.append(rd / orth); rs.append(rd / sc)
    print(f"{r:>3} {rd:>11.1f} {sc:>11.1f} {orth:>10.1f} {rd / orth:>11.2f} {rd / sc:>12.2f}  {' '.join(order)}")
med = lambda i: statistics.median(float(x[i]) for x in rows)
print(f"{'med':>3} {med(1):>11.1f} {med(2):>11.1f} {med(3):>10.1f} {statistics.median(ro):>11.2f} {statistics.median(rs):>12.2f}")
print(f"ratios: raddraft/orthanc={statistics.median(ro):.2f} raddraft/storescp={statistics.median(rs):.2f}")
PY
