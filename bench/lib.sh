# Shared by the bench scripts: sourced, not run. Expects $app and $work to be set.
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
wait_port() { for _ in $(seq 1 300); do (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null && return 0; sleep 0.1; done; echo "bench: port $1 never opened" >&2; exit 1; }

# start_raddraft HOME QUIET_SECONDS: a daemon on loopback accepting PACS@127.0.0.1; sets rd_port, rd_http,
# rd_pid. Returns once the DICOM port is open (the daemon may still be warming up: see wait_ready).
start_raddraft() {
  rd_port=$(free_port)
  rd_http=$(free_port)
  cat > "$work/raddraft.properties" <<EOF2
raddraft.home=$1
dicom.bind=127.0.0.1
dicom.port=$rd_port
dicom.allowed-peers=PACS@127.0.0.1
http.port=$rd_http
storage.min-free-mb=64
dicom.max-associations=40
dicom.max-associations-per-host=40
study.quiet-seconds=$2
EOF2
  "$app/bin/raddraft" run --config "$work/raddraft.properties" > "$work/raddraft.log" 2>&1 &
  rd_pid=$!
  wait_port "$rd_port"
}

# wait_ready: until the daemon started by start_raddraft answers /health/ready with 200, i.e. the FHIR
# validator has loaded its definitions (10-30 s after the ports open), so a timing measures the steady state.
wait_ready() {
  for _ in $(seq 1 600); do
    [ "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$rd_http/health/ready")" = 200 ] && return 0
    sleep 0.5
  done
  echo "bench: the daemon never became ready (see its log)" >&2; exit 1
}

# make_template SIZE FILE: a SIZExSIZE 8-bit CR chest image (img2dcm from a generated BMP);
# 1024 gives ~1 MiB, 128 ~16 KiB. The same pixels for the same size on every run.
make_template() {
  python3 - "$1" "$work/t$1.bmp" <<'PY'
import struct, sys, random
w = h = int(sys.argv[1])
random.seed(7)
row_pad = (4 - w % 4) % 4
pixels = bytearray()
for y in range(h):
    pixels += bytes(((x * 3 + y * 5) ^ random.getrandbits(4)) & 0xFF for x in range(w)) + b"\0" * row_pad
palette = b"".join(bytes((i, i, i, 0)) for i in range(256))
off = 14 + 40 + len(palette)
hdr = b"BM" + struct.pack("<IHHI", off + len(pixels), 0, 0, off)
info = struct.pack("<IiiHHIIiiII", 40, w, h, 1, 8, 0, len(pixels), 2835, 2835, 256, 0)
open(sys.argv[2], "wb").write(hdr + info + palette + pixels)
PY
  img2dcm -i BMP "$work/t$1.bmp" "$2" -k Modality=CR -k BodyPartExamined=CHEST -k ViewPosition=PA \
    -k PatientAge=050Y -k "StudyDescription=XR CHEST" -k "StudyInstanceUID=1.2.826.0.1.3680043.10.99.$1"
}

# make_set TEMPLATE DIR COUNT: COUNT copies of TEMPLATE, each with a new SOP Instance UID.
make_set() {
  mkdir -p "$2"; for i in $(seq -w 1 "$3"); do cp "$1" "$2/i$i.dcm"; done
  dcmodify -nb -gin "$2"/*.dcm
}

# push_rate PORT CALLED_AE DIR COUNT: storescu (one association) of DIR/*.dcm; prints instances/s.
push_rate() {
  local t0 t1
  t0=$(date +%s.%N)
  storescu -aet PACS -aec "$2" 127.0.0.1 "$1" "$3"/*.dcm > "$work/push-$1.log" 2>&1 \
    || { echo "bench: storescu to port $1 failed:" >&2; cat "$work/push-$1.log" >&2; exit 1; }
  t1=$(date +%s.%N)
  python3 -c "print(f'{$4 / ($t1 - $t0):.1f}')"
}

# build_classpath: compiles (offline when it can) and sets BUILD and CP (classes + dependency jars).
build_classpath() {
  BUILD=${BUILD_DIR:-target}
  mvn -q -B -o compile dependency:build-classpath -Dmdep.outputFile="$BUILD/bench-cp.txt" >/dev/null 2>&1 \
    || mvn -q -B compile dependency:build-classpath -Dmdep.outputFile="$BUILD/bench-cp.txt" >/dev/null
  CP="$BUILD/classes:$(cat "$BUILD/bench-cp.txt")"
}

# The running daemon's database (home as argument), as admin commands reach it: its loopback-only H2
# server and the password it generated (issue 21 #7; no AUTO_SERVER any more).
h2_url() { echo "jdbc:h2:tcp://127.0.0.1:$(cat "$1/db/raddraft.server")/raddraft"; }
h2_password() { cat "$1/db/raddraft.password"; }

# gen_studies DIR PREFIX STUDIES INSTANCES_PER_STUDY: phantom chest studies, the demo PA and lateral with
# their UIDs and accession number patched in place (same lengths, so no element length changes); study k
# of a set gets accession <prefix><k> and files DIR/s<k>-<i>.dcm.
gen_studies() {
  python3 - "$app/testdata/demo/dicom/ph-23-000034" "$@" <<'PY'
import os, random, sys
src, out, prefix, studies, size = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4]), int(sys.argv[5])
templates = [open(os.path.join(src, f), "rb").read() for f in ("1-PA.dcm", "2-LL.dcm")]
def where(b, tag, vr):
    i = b.index(tag + vr)
    n = int.from_bytes(b[i + 6:i + 8], "little")
    return i + 8, n
rnd = random.Random(prefix)
uid = lambda n: ("2.25." + str(rnd.randrange(10 ** (n - 6), 10 ** (n - 5)))).ljust(n, "\0").encode()
os.makedirs(out, exist_ok=True)
for s in range(studies):
    study, acc = uid(44), (prefix + str(s).zfill(7)).ljust(10, " ")[:10].encode()
    for k in range(size):
        b = bytearray(templates[k % 2])
        sop = uid(44)
        for tag, vr, val in ((b"\x02\x00\x03\x00", b"UI", sop), (b"\x08\x00\x18\x00", b"UI", sop),
                             (b"\x20\x00\x0d\x00", b"UI", study), (b"\x20\x00\x0e\x00", b"UI", uid(44)),
                             (b"\x08\x00\x50\x00", b"SH", acc)):
            off, n = where(b, tag, vr)
            assert n == len(val), (tag, n)
            b[off:off + n] = val
        open(os.path.join(out, f"s{s:05d}-{k}.dcm"), "wb").write(b)
PY
}
