#!/usr/bin/env bash
# Throughput of a 20-hospital network against 1, 2 and 3 RadDraft nodes on one PostgreSQL (issue 25).
# The script starts its own PostgreSQL 15 cluster (initdb/pg_ctl on a temp dir and port, as the postgres
# user when run as root) and, for each node count N, a fresh database and a fresh shared spool (every
# node's home/spool is a link to one directory, as an NFS mount would be) and N daemons (bin/raddraft,
# the bundled reference model, the drafting settings of config/raddraft.properties: flags on, batch 4).
# 20 hospitals, each its own calling AE (H01..H20), with daily curves of their own (4 large with an
# emergency department, 10 district hospitals, 6 outpatient clinics open 08-18; sizes from ~20 to ~400
# chest studies a day), push phantom chest studies (the demo PA + lateral with new UIDs, bench/lib.sh
# gen_studies); hospital h pushes to node h mod N, each second's studies of a hospital on one storescu
# association. DAY studies in all (scaled from the network's day), the 24 hours compressed into
# DAY_SECONDS seconds. Per N: studies/hour (studies drafted over the time from the first push to the
# last draft), the busiest 30 s of drafting as an hourly rate, stable->drafted p50/p95 (database
# timestamps), each node's share of the drafts (draft.drafted_by), and CPU seconds per drafted study
# (the daemons' and PostgreSQL's CPU time, /proc). Last line:
#   hospitals: nodes=1,2,3 studies_per_hour=A,B,C p95_ms=X,Y,Z
# Usage: [NODES="1 2 3"] [DAY=420] [DAY_SECONDS=140] [QUIET=2] bench/hospitals.sh
# Needs postgresql-15, DCMTK and a built RadDraft; about 4 minutes per node count on 2 cores.
set -euo pipefail
app="$(cd "$(dirname "$(readlink -f "$0")")/.." && pwd)"
node_counts="${NODES:-1 2 3}"; day="${DAY:-420}"; day_seconds="${DAY_SECONDS:-140}"; quiet="${QUIET:-2}"
pgbin=/usr/lib/postgresql/15/bin
export TCP_NODELAY=1
work="$(mktemp -d /tmp/raddraft-hospitals.XXXXXX)"
chmod 755 "$work"   # the postgres user reaches its data directory below
pids=()
as_pg() { if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true
  [ -f "$work/pg/data/postmaster.pid" ] && as_pg "$pgbin/pg_ctl" -D "$work/pg/data" -m fast -w stop >/dev/null 2>&1
  rm -rf "$work"
}
trap cleanup EXIT
"$app/bin/raddraft" --help >/dev/null 2>&1 || true   # builds on first use
. "$app/bench/lib.sh"
[ -x "$pgbin/initdb" ] || { echo "bench: PostgreSQL 15 is not installed ($pgbin): apt-get install postgresql-15" >&2; exit 1; }

# --- PostgreSQL (fsync on, as in production; max_connections for 3 pools of 32)
pg_port=$(free_port); pg_pw="pg-$RANDOM$RANDOM"
mkdir -p "$work/pg"; printf '%s\n' "$pg_pw" > "$work/pg/pw"
[ "$(id -u)" -eq 0 ] && chown -R postgres:postgres "$work/pg"
as_pg "$pgbin/initdb" -D "$work/pg/data" -U raddraft --pwfile="$work/pg/pw" --auth-local=scram-sha-256 \
  --auth-host=scram-sha-256 -E UTF8 --locale=C.UTF-8 > "$work/initdb.log" 2>&1 \
  || { cat "$work/initdb.log" >&2; exit 1; }
as_pg "$pgbin/pg_ctl" -D "$work/pg/data" -l "$work/pg/server.log" -w -t 60 \
  -o "-p $pg_port -k $work/pg -c listen_addresses=127.0.0.1 -c max_connections=200" start > /dev/null
export PGPASSWORD="$pg_pw"
sql() { psql -h 127.0.0.1 -p "$pg_port" -U raddraft -d "$1" -v ON_ERROR_STOP=1 -AtF ' ' -c "$2"; }
pg_master=$(head -1 "$work/pg/data/postmaster.pid")

# --- the network: hospitals, their curves and sizes; arrivals (second, hospital, study index)
peers=$(for h in $(seq -w 1 20); do printf 'H%s@127.0.0.1,' "$h"; done); peers=${peers%,}
python3 - "$day" "$day_seconds" "$work" <<'PY'
import random, sys
day, secs, work = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
# share of a day's chest studies per hour, by kind of hospital
ed = [2, 1.5, 1.2, 1, 1, 1.2, 2, 4, 7, 9, 10, 9, 7, 7, 8, 9, 8, 6, 5, 4, 3.5, 3, 2.5, 2]   # with an ED
district = [0.5, 0.4, 0.3, 0.3, 0.3, 0.5, 1, 4, 8, 10, 10, 9, 6, 7, 8, 8, 6, 4, 2.5, 2, 1.5, 1, 0.8, 0.6]
clinic = [0] * 8 + [6, 10, 10, 9, 5, 7, 8, 7, 4, 1] + [0] * 6                                    # 08-18
rnd = random.Random(25)
kinds = [("ed", ed)] * 4 + [("district", district)] * 10 + [("clinic", clinic)] * 6
sizes = [rnd.randint(250, 400) for _ in range(4)] + [rnd.randint(80, 200) for _ in range(10)] \
      + [rnd.randint(20, 60) for _ in range(6)]
real = sum(sizes)
arrivals, counts = [], []
for h, ((kind, w), size) in enumerate(zip(kinds, sizes), 1):
    n = round(day * size / real)
    counts.append(n)
    # each study: an hour drawn from the curve, a uniform moment within it; then compressed
    for k in range(n):
        hour = rnd.choices(range(24), weights=w)[0]
        t = (hour + rnd.random()) * secs / 24
        arrivals.append((t, h, k))
arrivals.sort()
with open(f"{work}/arrivals.txt", "w") as f:
    for t, h, k in arrivals:
        f.write(f"{t:.3f} {h} {k}\n")
with open(f"{work}/network.txt", "w") as f:
    f.write(f"{real} studies a day in the real network (peak hour ~{max(sum(s * w[x] / sum(w) for (_, w), s in zip(kinds, sizes)) for x in range(24)):.0f}); "
            f"this run: {len(arrivals)} studies, the day in {secs} s ({86400 / secs:.0f}x real time); per hospital: "
            + " ".join(f"H{h:02d}:{kinds[h - 1][0]}:{c}" for h, c in enumerate(counts, 1)) + "\n")
for h, c in enumerate(counts, 1):
    print(f"H{h:02d} {c}", file=open(f"{work}/count-{h}", "w"))
PY
cat "$work/network.txt" >&2
total=$(wc -l < "$work/arrivals.txt")
echo "generating $total studies (PA + lateral) ..." >&2
for h in $(seq 1 20); do
  n=$(awk '{print $2}' "$work/count-$h"); [ "$n" -gt 0 ] && gen_studies "$work/studies/$h" "$(printf 'H%02d' "$h")" "$n" 2
done

# CPU seconds (user + system) of a process and its reaped children; of the daemons and of PostgreSQL
cpu_of() { awk -v hz="$(getconf CLK_TCK)" '{ print ($14 + $15 + $16 + $17) / hz }' "/proc/$1/stat" 2>/dev/null || echo 0; }
pg_cpu() { local s; s=$(cpu_of "$pg_master"); for c in $(cat "/proc/$pg_master/task/$pg_master/children"); do s=$(python3 -c "print($s + $(cpu_of "$c"))"); done; echo "$s"; }
machine_busy() { awk '/^cpu / { print $2 + $3 + $4 + $7 + $8, $2 + $3 + $4 + $5 + $6 + $7 + $8 }' /proc/stat; }

results=()
for n in $node_counts; do
  db="sim$n"; sql postgres "CREATE DATABASE $db" > /dev/null
  mkdir -p "$work/n$n/spool"
  ports=(); https=(); dpids=()
  for i in $(seq 1 "$n"); do
    home="$work/n$n/node$i"; mkdir -p "$home"; ln -s "$work/n$n/spool" "$home/spool"
    p=$(free_port); hp=$(free_port); ports+=("$p"); https+=("$hp")
    cat > "$home.properties" <<EOF2
raddraft.home=$home
node.id=node$i
store.jdbc-url=jdbc:postgresql://127.0.0.1:$pg_port/$db
store.user=raddraft
dicom.bind=127.0.0.1
dicom.port=$p
dicom.allowed-peers=$peers
http.port=$hp
storage.min-free-mb=64
dicom.max-associations=40
dicom.max-associations-per-host=40
study.quiet-seconds=$quiet
flags.enabled=$(sed -n 's/^flags.enabled=//p' "$app/config/raddraft.properties")
draft.batch-size=$(sed -n 's/^draft.batch-size=//p' "$app/config/raddraft.properties")
EOF2
    STORE_PASSWORD="$pg_pw" "$app/bin/raddraft" run --config "$home.properties" > "$home.log" 2>&1 &
    dpids+=($!); pids+=($!)
  done
  for i in $(seq 0 $((n - 1))); do
    wait_port "${ports[$i]}"; rd_http=${https[$i]}; wait_ready
  done
  echo "N=$n: $n node(s) ready; pushing the day ..." >&2
  daemons_cpu0=0; for p in "${dpids[@]}"; do daemons_cpu0=$(python3 -c "print($daemons_cpu0 + $(cpu_of "$p"))"); done
  pg_cpu0=$(pg_cpu); read -r busy0 all0 < <(machine_busy); load0=$(cut -d' ' -f1 /proc/loadavg)
  t0=$(date +%s.%N)
  python3 - "$work" "$n" "${ports[*]}" <<'PY'
import subprocess, sys, time
work, n, ports = sys.argv[1], int(sys.argv[2]), sys.argv[3].split()
arr = [l.split() for l in open(f"{work}/arrivals.txt") if l.strip()]
t0, i, running, failed = time.time(), 0, [], 0
while i < len(arr):
    now = time.time() - t0
    sec = int(now)
    batch = {}
    while i < len(arr) and float(arr[i][0]) < sec + 1:
        h, k = int(arr[i][1]), int(arr[i][2])
        batch.setdefault(h, []).extend(f"{work}/studies/{h}/s{k:05d}-{j}.dcm" for j in (0, 1))
        i += 1
    for h, files in batch.items():
        port = ports[h % n]
        running.append(subprocess.Popen(["storescu", "-aet", f"H{h:02d}", "-aec", "RADDRAFT", "127.0.0.1", port, *files],
                                        stdout=subprocess.DEVNULL, stderr=open(f"{work}/push-H{h:02d}.log", "a")))
    still = []
    for p in running:
        if p.poll() is None:
            still.append(p)
        elif p.returncode != 0:
            failed += 1
    running = still
    time.sleep(max(0, sec + 1 - (time.time() - t0)))
for p in running:
    failed += p.wait() != 0
if failed:
    sys.exit(f"bench: {failed} storescu associations failed (see {work}/push-H*.log)")
PY
  t1=$(date +%s.%N)
  settled="SELECT COUNT(*) FROM study s WHERE s.state IN ('FAILED', 'OUT_OF_SCOPE') OR EXISTS (SELECT 1 FROM draft d WHERE d.study_id = s.id)"
  for _ in $(seq 1 360); do [ "$(sql "$db" "$settled")" -ge "$total" ] && break; sleep 2; done
  daemons_cpu1=0; for p in "${dpids[@]}"; do daemons_cpu1=$(python3 -c "print($daemons_cpu1 + $(cpu_of "$p"))"); done
  pg_cpu1=$(pg_cpu); read -r busy1 all1 < <(machine_busy); load1=$(cut -d' ' -f1 /proc/loadavg)
  inst=$(sql "$db" "SELECT COUNT(*) FROM instance")
  [ "$inst" -eq $((2 * total)) ] || echo "bench: N=$n: $inst instances stored of $((2 * total))" >&2
  failed=$(sql "$db" "SELECT COUNT(*) FROM study WHERE state IN ('FAILED', 'OUT_OF_SCOPE')")
  [ "$failed" -eq 0 ] || echo "bench: N=$n: $failed studies FAILED or OUT_OF_SCOPE" >&2
  sql "$db" "SELECT ROUND(EXTRACT(EPOCH FROM drafted_at - stable_at) * 1000), EXTRACT(EPOCH FROM drafted_at), drafted_by FROM draft" > "$work/n$n/drafts.txt"
  line=$(python3 - "$work/n$n/drafts.txt" "$n" "$total" "$t0" "$t1" "$daemons_cpu0" "$daemons_cpu1" "$pg_cpu0" "$pg_cpu1" \
    "$busy0" "$all0" "$busy1" "$all1" "$load0" "$load1" "$(getconf CLK_TCK)" <<'PY'
import collections, sys
f, n, total, t0, t1 = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), float(sys.argv[4]), float(sys.argv[5])
dc0, dc1, pc0, pc1, b0, a0, b1, a1 = map(float, sys.argv[6:14])
load0, load1, hz = sys.argv[14], sys.argv[15], float(sys.argv[16])
rows = [l.split() for l in open(f) if l.strip()]
lat = sorted(int(float(r[0])) for r in rows)
at = sorted(float(r[1]) for r in rows)
by = collections.Counter(r[2] for r in rows)
pct = lambda xs, p: xs[min(len(xs) - 1, int(round(p / 100 * (len(xs) - 1))))] if xs else -1
span = at[-1] - t0
per_h = len(rows) / span * 3600
peak = max(sum(1 for y in at[i:] if y < x + 30) for i, x in enumerate(at)) * 120 if at else 0
share = "/".join(f"{100 * by[f'node{i}'] / len(rows):.0f}%" for i in range(1, n + 1))
d_cpu, p_cpu = (dc1 - dc0) / len(rows), (pc1 - pc0) / len(rows)
busy = 100 * (b1 - b0) / (a1 - a0)
print(f"{n}|{len(rows)}|{per_h:.0f}|{peak}|{pct(lat, 50)}|{pct(lat, 95)}|{share}|{d_cpu:.3f}|{p_cpu:.3f}|{busy:.0f}|"
      f"{t1 - t0:.0f}|{span:.0f}|{load0}->{load1}")
PY
)
  results+=("$line")
  echo "N=$n: $line" >&2
  for p in "${dpids[@]}"; do kill "$p" 2>/dev/null || true; done
  for p in "${dpids[@]}"; do wait "$p" 2>/dev/null || true; done
done

# --- table, extrapolation and the last line
cat "$work/network.txt"
echo "| nodes | drafts | studies/h (first push -> last draft) | busiest 30 s, per h | stable->drafted p50 / p95 ms | share of drafts per node | CPU s per study: daemons / PostgreSQL | machine busy % | push s / last draft s | load average |"
echo "|---|---|---|---|---|---|---|---|---|---|"
for r in "${results[@]}"; do IFS='|' read -r -a c <<< "$r"
  echo "| ${c[0]} | ${c[1]} | ${c[2]} | ${c[3]} | ${c[4]} / ${c[5]} | ${c[6]} | ${c[7]} / ${c[8]} | ${c[9]} | ${c[10]} / ${c[11]} | ${c[12]} |"
done
cores=$(nproc)
python3 - "$cores" "${results[@]}" <<'PY'
import sys
cores, rows = int(sys.argv[1]), [r.split("|") for r in sys.argv[2:]]
d = min(float(r[7]) for r in rows); p = max(float(r[8]) for r in rows)
print(f"limit: every node here shares the same {cores} cores; drafting is CPU-bound at ~{d:.2f} CPU s per study "
      f"(receive + draft + flags + publish), so {cores} cores draft at most ~{cores * 3600 / d:.0f} studies/h whatever the node count. "
      f"Assuming N machines of {cores} cores each, a spool and a PostgreSQL that keep up (PostgreSQL used ~{p:.3f} CPU s per study): "
      + ", ".join(f"{k} -> ~{k * cores * 3600 / d:.0f}/h" for k in (1, 2, 3, 5)) + ".")
PY
ns=""; sh=""; p95=""
for r in "${results[@]}"; do IFS='|' read -r -a c <<< "$r"; ns+="${c[0]},"; sh+="${c[2]},"; p95+="${c[5]},"; done
echo "hospitals: nodes=${ns%,} studies_per_hour=${sh%,} p95_ms=${p95%,}"
