#!/usr/bin/env bash
# Load and memory (issue 24): one daemon on the bundled reference model (bin/raddraft's memory limits),
# a radiologist approving every draft through the FHIR API ($approve) and polling the RIS worklist
# (GET /fhir/DiagnosticReport?status=preliminary&_count=50) throughout, while
#   phase A: ASSOC concurrent storescu associations push PER instances each (studies of STUDY_SIZE
#            instances: the demo PA and lateral, ~200 KiB each, new UIDs and accession numbers);
#   phase B: a day of arrivals: DAY studies (PA + lateral) at a hospital's hourly curve (night 1-2 %
#            of the day's studies an hour, peaks at 10:00 and 15:00), the 24 hours compressed into
#            DAY_SECONDS seconds, each second's studies on one association.
# Prints per phase instances/s, stable->drafted p50/p95 (from the database), worklist p50/p95, and the
# daemon's peak RSS (VmHWM) and peak used heap (jstat); last line
# `load: instances_per_s=N drafted_p95_ms=N worklist_p95_ms=N peak_rss_mb=N peak_heap_mb=N`
# (instances/s of phase A; the others over both phases).
# Usage: [ASSOC=10] [PER=1000] [STUDY_SIZE=4] [DAY=3000] [DAY_SECONDS=600] bench/load.sh
# Needs dcmtk and a built RadDraft; RADDRAFT_HEAP / RADDRAFT_JAVA_OPTS pass on to the daemon.
set -euo pipefail
app="$(cd "$(dirname "$(readlink -f "$0")")/.." && pwd)"
assoc="${ASSOC:-10}"; per="${PER:-1000}"; study_size="${STUDY_SIZE:-4}"
day="${DAY:-3000}"; day_seconds="${DAY_SECONDS:-600}"
export TCP_NODELAY=1
work="$(mktemp -d /tmp/raddraft-load.XXXXXX)"
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; rm -rf "$work"; }
trap cleanup EXIT
"$app/bin/raddraft" --help >/dev/null 2>&1 || true   # builds on first use
cp_="$app/target/classes:$app/target/lib/*"
[ -f "$app/pom.xml" ] || cp_="$app/lib/*"   # an installation (bench/stage-install.sh): the jars
. "$app/bench/lib.sh"

# --- the instances (gen_studies in bench/lib.sh)
studies_a=$(( per / study_size ))
echo "generating $((assoc * per)) + $((day * 2)) instances ..." >&2
for a in $(seq 1 "$assoc"); do gen_studies "$work/a/$a" "L$a" "$studies_a" "$study_size"; done
gen_studies "$work/day" D "$day" 2

start_raddraft "$work/home" 2
pids+=("$rd_pid")
wait_ready
printf '%s\n%s\n' "load-bench-pw-1" "load-bench-pw-1" > "$work/pw"
"$app/bin/raddraft" admin users add --name loadrad --role radiologist --config "$work/raddraft.properties" \
  < "$work/pw" > "$work/useradd.log" 2>&1 || { echo "bench: users add failed:" >&2; cat "$work/useradd.log" >&2; exit 1; }
rss_kb() { sed -n 's/^VmHWM:\s*\([0-9]*\).*/\1/p' "/proc/$rd_pid/status"; }
echo "idle after start-up: RSS $(( $(sed -n 's/^VmRSS:\s*\([0-9]*\).*/\1/p' "/proc/$rd_pid/status") / 1024 )) MiB" >&2

# --- heap sampler (used heap after each jstat sample, MiB) and the radiologist
(while kill -0 "$rd_pid" 2>/dev/null; do
   jstat -gc "$rd_pid" 2>/dev/null | awk 'NR==2 {printf "%.0f\n", ($3+$4+$6+$8)/1024}'; sleep 2
 done > "$work/heap.txt") &
pids+=($!)
python3 - "$rd_http" "$work" <<'PY' > "$work/reviewer.log" 2>&1 &
import json, sys, time, urllib.request
port, work = sys.argv[1], sys.argv[2]
base = f"http://127.0.0.1:{port}"
def call(method, path, token=None, body=None):
    req = urllib.request.Request(base + path, method=method, data=None if body is None else json.dumps(body).encode(),
                                 headers={"Accept": "application/fhir+json", "Content-Type": "application/json"
                                          if path.startswith("/auth") else "application/fhir+json",
                                          **({"Authorization": "Bearer " + token} if token else {})})
    return json.loads(urllib.request.urlopen(req, timeout=120).read() or b"{}")
token = call("POST", "/auth/session", body={"name": "loadrad", "password": "load-bench-pw-1"})["access_token"]
approved = 0
with open(f"{work}/worklist.txt", "w") as wl:
    while True:
        t0 = time.perf_counter()
        page = call("GET", "/fhir/DiagnosticReport?status=preliminary&_count=50", token)
        wl.write(f"{time.time():.3f} {(time.perf_counter() - t0) * 1000:.1f}\n"); wl.flush()
        for e in page.get("entry", []):
            rid = e["resource"]["id"]
            try:
                call("POST", f"/fhir/DiagnosticReport/{rid}/$approve", token, {"resourceType": "Parameters"})
                approved += 1
            except urllib.error.HTTPError as err:  # superseded meanwhile, or approved twice: counted, not fatal
                print("approve", rid, err.code, flush=True)
        print("approved", approved, flush=True)
        time.sleep(1)
PY
pids+=($!)

h2() { java -XX:TieredStopAtLevel=1 -XX:+UseSerialGC -cp "$cp_" org.h2.tools.Shell -url "$(h2_url "$work/home")" -user raddraft -password "$(h2_password "$work/home")" -sql "$1" | sed '1d;/rows\?,/d;/^$/d'; }
count() { h2 "$1" | tr -d ' ' | head -1; }
settled="SELECT COUNT(*) FROM study s WHERE s.state IN ('FAILED', 'OUT_OF_SCOPE') OR EXISTS (SELECT 1 FROM draft d WHERE d.study_id = s.id)"
wait_drafted() { # wait_drafted N: until N studies have a draft (any state) or failed, at most 30 minutes
  for _ in $(seq 1 360); do [ "$(count "$settled")" -ge "$1" ] && return 0; sleep 5; done
  echo "bench: only $(count "$settled") of $1 studies drafted" >&2; exit 1
}

# --- phase A
echo "phase A: $assoc associations x $per instances ..." >&2
ta0=$(date +%s.%N)
apids=()
for a in $(seq 1 "$assoc"); do
  storescu -aet PACS -aec RADDRAFT 127.0.0.1 "$rd_port" "$work/a/$a"/*.dcm > "$work/push-a$a.log" 2>&1 & apids+=($!)
done
for p in "${apids[@]}"; do wait "$p" || { echo "bench: a phase A storescu failed" >&2; exit 1; }; done
ta1=$(date +%s.%N)
wait_drafted $((assoc * studies_a))
ta2=$(date +%s.%N)

# --- phase B
echo "phase B: $day studies over a compressed day of $day_seconds s ..." >&2
python3 - "$day" "$day_seconds" "$work" <<'PY'
import sys
day, secs, work = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
# share of the day's studies per hour (radiography department plus the emergency room at night)
w = [1, 1, 1, 1, 1, 1.5, 2, 4, 7, 9, 10, 9, 7, 7, 8, 9, 8, 6, 4, 3, 2.5, 2, 1.5, 1]
total = sum(w)
# cumulative: the second of the compressed day at which study k arrives
out, k = [], 0
for h, x in enumerate(w):
    n = round(day * sum(w[:h + 1]) / total) - k
    for j in range(n):
        out.append(int((h + (j + 0.5) / n) * secs / 24))
    k += n
open(f"{work}/arrivals.txt", "w").write("\n".join(map(str, out)) + "\n")
PY
tb0=$(date +%s.%N)
sec=0; idx=0; bpids=()
mapfile -t arrivals < <(grep . "$work/arrivals.txt" || true)   # DAY=0: none
while [ "$idx" -lt "${#arrivals[@]}" ]; do
  batch=()
  while [ "$idx" -lt "${#arrivals[@]}" ] && [ "${arrivals[$idx]}" -le "$sec" ]; do
    batch+=("$work/day/s$(printf %05d "$idx")-0.dcm" "$work/day/s$(printf %05d "$idx")-1.dcm"); idx=$((idx + 1))
  done
  if [ ${#batch[@]} -gt 0 ]; then
    storescu -aet PACS -aec RADDRAFT 127.0.0.1 "$rd_port" "${batch[@]}" >> "$work/push-day.log" 2>&1 & bpids+=($!)
  fi
  sec=$((sec + 1))
  sleep "$(python3 -c "import time; print(max(0, $tb0 + $sec - time.time()))")"
done
for p in "${bpids[@]}"; do wait "$p" || { echo "bench: a phase B storescu failed" >&2; exit 1; }; done
tb1=$(date +%s.%N)
wait_drafted $((assoc * studies_a + day))
tb2=$(date +%s.%N)
sleep 3

# --- figures
inst=$(count "SELECT COUNT(*) FROM instance")
[ "$inst" -eq $((assoc * per + 2 * day)) ] || { echo "bench: $inst instances stored of $((assoc * per + 2 * day))" >&2; exit 1; }
h2 "SELECT DATEDIFF('MILLISECOND', stable_at, drafted_at), DATEDIFF('MILLISECOND', TIMESTAMP WITH TIME ZONE '1970-01-01 00:00:00+00', stable_at) FROM draft" > "$work/lat.txt"
approved=$(count "SELECT COUNT(*) FROM draft WHERE state = 'APPROVED'")
failed=$(count "SELECT COUNT(*) FROM study WHERE state IN ('FAILED', 'OUT_OF_SCOPE')")
[ "$failed" -eq 0 ] || echo "bench: $failed studies FAILED or OUT_OF_SCOPE" >&2
peak_rss=$(( $(rss_kb) / 1024 ))
python3 - "$work" "$ta0" "$ta1" "$ta2" "$tb0" "$tb1" "$tb2" "$assoc" "$per" "$day" "$peak_rss" "$approved" <<'PY'
import statistics, sys
work = sys.argv[1]
ta0, ta1, ta2, tb0, tb1, tb2 = map(float, sys.argv[2:8])
assoc, per, day, peak_rss, approved = map(int, sys.argv[8:13])
lat = [tuple(map(int, l.replace("|", " ").split())) for l in open(f"{work}/lat.txt") if l.strip()]
wl = [tuple(map(float, l.split())) for l in open(f"{work}/worklist.txt") if l.strip()]
heap = [int(x) for x in open(f"{work}/heap.txt") if x.strip()]
def pct(xs, p):
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(round(p / 100 * (len(xs) - 1))))] if xs else float("nan")
def phase(name, t0, t1, t2, instances):
    d = [ms for ms, at in lat if t0 * 1000 <= at <= t2 * 1000]
    w = [ms for t, ms in wl if t0 <= t <= t2]
    print(f"{name}: {instances} instances in {t1 - t0:.1f} s = {instances / (t1 - t0):.1f}/s; {len(d)} drafts, "
          f"stable->drafted p50 {pct(d, 50)} ms p95 {pct(d, 95)} ms; all drafted {t2 - t0:.0f} s after the first push; "
          f"worklist p50 {pct(w, 50):.0f} ms p95 {pct(w, 95):.0f} ms ({len(w)} requests)")
    return instances / (t1 - t0)
rate = phase(f"phase A ({assoc} x {per})", ta0, ta1, ta2, assoc * per)
phase(f"phase B ({day} studies, compressed day)", tb0, tb1, tb2, 2 * day)
allw = [ms for t, ms in wl]
print(f"approved through $approve: {approved}; peak RSS {peak_rss} MiB; peak used heap {max(heap)} MiB")
print(f"load: instances_per_s={rate:.0f} drafted_p95_ms={pct([m for m, _ in lat], 95)} "
      f"worklist_p95_ms={pct(allw, 95):.0f} peak_rss_mb={peak_rss} peak_heap_mb={max(heap)}")
PY
tail -3 "$work/reviewer.log" >&2
if [ -n "${NMT_OUT:-}" ]; then jcmd "$rd_pid" VM.native_memory summary > "$NMT_OUT" 2>&1 || true; fi
if [ -n "${HISTO_OUT:-}" ]; then jcmd "$rd_pid" GC.class_histogram > "$HISTO_OUT" 2>&1 || true; fi
