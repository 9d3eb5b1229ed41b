#!/usr/bin/env bash
# Ingest throughput: the same 200 x 1 MB instances pushed with DCMTK storescu (one association)
# to RadDraft (fsync + atomic rename + indexed row per instance), to DCMTK storescp (writes files,
# no fsync, no index) and to Orthanc (SyncStorageArea=true, SQLite index), on loopback, in one run.
# Usage: [WARMUP=300] bench/ingest.sh [N]   (default 200). Needs dcmtk, orthanc, a built RadDraft (bin/raddraft builds).
set -euo pipefail
app="$(cd "$(dirname "$(readlink -f "$0")")/.." && pwd)"
n="${1:-200}"
export TCP_NODELAY=1   # DCMTK reads it from the environment; without it loopback transfers crawl
work="$(mktemp -d /tmp/raddraft-bench.XXXXXX)"
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; rm -rf "$work"; }
trap cleanup EXIT

for t in storescu storescp img2dcm dcmodify Orthanc; do
  command -v "$t" >/dev/null || { echo "bench: $t not found (apt-get install dcmtk orthanc)" >&2; exit 1; }
done
"$app/bin/raddraft" --help >/dev/null 2>&1 || true   # builds on first use

. "$app/bench/lib.sh"

# --- the instances: one 1024x1024 8-bit CR chest image (~1 MiB), copied with new SOP Instance UIDs
echo "generating $n instances of ~1 MiB ..." >&2
python3 - "$work/t.bmp" <<'PY'
import struct, sys, random
w = h = 1024
random.seed(7)
row_pad = (4 - w % 4) % 4
pixels = bytearray()
for y in range(h):
    pixels += bytes(((x * 3 + y * 5) ^ random.getrandbits(4)) & 0xFF for x in range(w)) + b"\0" * row_pad
palette = b"".join(bytes((i, i, i, 0)) for i in range(256))
off = 14 + 40 + len(palette)
hdr = b"BM" + struct.pack("<IHHI", off + len(pixels), 0, 0, off)
info = struct.pack("<IiiHHIIiiII", 40, w, h, 1, 8, 0, len(pixels), 2835, 2835, 256, 0)
open(sys.argv[1], "wb").write(hdr + info + palette + pixels)
PY
img2dcm -i BMP "$work/t.bmp" "$work/t.dcm" -k Modality=CR -k BodyPartExamined=CHEST -k ViewPosition=PA \
  -k PatientAge=050Y -k "StudyDescription=XR CHEST" -k StudyInstanceUID=1.2.826.0.1.3680043.10.99.1
make_set() { # dir count
  mkdir -p "$1"; for i in $(seq -w 1 "$2"); do cp "$work/t.dcm" "$1/i$i.dcm"; done
  dcmodify -nb -gin "$1"/*.dcm
}
make_set "$work/set" "$n"
# Warm-up: each peer first receives WARMUP other instances on an association of its own, so that the
# run measures the steady state of a long-running receiver (RadDraft's JIT compiles its receive and
# H2 paths over the first few hundred instances; a daemon does that once in its life).
warmup="${WARMUP:-300}"
make_set "$work/warm" "$warmup"
size_kib=$(( $(stat -c %s "$work/set/i$(printf '%0*d' ${#n} 1).dcm") / 1024 ))

push() { # port -> instances/s (prints), after a warm-up association with other instances
  local port=$1
  storescu -aet PACS -aec "$2" 127.0.0.1 "$port" "$work"/warm/*.dcm >/dev/null 2>&1 || true
  local t0 t1
  t0=$(date +%s.%N)
  storescu -aet PACS -aec "$2" 127.0.0.1 "$port" "$work"/set/*.dcm > "$work/push-$port.log" 2>&1 \
    || { echo "bench: storescu to port $port failed:" >&2; cat "$work/push-$port.log" >&2; exit 1; }
  t1=$(date +%s.%N)
  python3 -c "print(f'{$n / ($t1 - $t0):.1f}')"
}

# --- RadDraft
start_raddraft "$work/raddraft" 30
pids+=("$rd_pid")
raddraft=$(push "$rd_port" RADDRAFT)
stored=$(find "$work/raddraft/spool" -name '*.dcm' | wc -l)
[ "$stored" -eq $((n + warmup)) ] || { echo "bench: RadDraft stored $stored of $((n + warmup))" >&2; exit 1; }

# --- DCMTK storescp
sc_port=$(free_port); mkdir -p "$work/storescp"
storescp -od "$work/storescp" -aet STORESCP "$sc_port" > "$work/storescp.log" 2>&1 &
pids+=($!)
wait_port "$sc_port"
storescp=$(push "$sc_port" STORESCP)

# --- Orthanc, SyncStorageArea: fsync'd like RadDraft
or_port=$(free_port); or_http=$(free_port); mkdir -p "$work/orthanc"
cat > "$work/orthanc.json" <<EOF2
{ "Name": "bench", "StorageDirectory": "$work/orthanc/storage", "IndexDirectory": "$work/orthanc/index",
  "DicomAet": "ORTHANC", "DicomPort": $or_port, "HttpPort": $or_http, "RemoteAccessAllowed": false,
  "AuthenticationEnabled": false, "SyncStorageArea": true, "DicomCheckCalledAet": false,
  "StorageCompression": false, "Plugins": [], "ConcurrentJobs": 1 }
EOF2
Orthanc "$work/orthanc.json" > "$work/orthanc.log" 2>&1 &
pids+=($!)
wait_port "$or_port"
orthanc=$(push "$or_port" ORTHANC)

printf '\n%-10s %12s   (%d instances of %d KiB, one association, loopback, TCP_NODELAY=1, after %d warm-up instances)\n' peer instances/s "$n" "$size_kib" "$warmup"
printf '%-10s %12s\n' raddraft "$raddraft" storescp "$storescp" orthanc "$orthanc"
python3 -c "print(f'ratios: raddraft/orthanc={$raddraft/$orthanc:.2f} raddraft/storescp={$raddraft/$storescp:.2f}')"
