#!/usr/bin/env bash
# The review page's server-side speed targets (docs/benchmarks.md):
#   render    one 2k x 2k radiograph rendered for the page (decode + window + PNG/JPEG): target <= 500 ms;
#             six 2048 px phantom studies (seed 23: CR and DX, MONOCHROME1 and 2, JPEG lossless, RLE,
#             implicit and explicit VR), median of R renders per file after a warm-up.
#   worklist  the worklist with 1,000 drafts served: GET /fhir/DiagnosticReport?status=preliminary&_count=200
#             (the page's request) from a running daemon whose database holds 1,000 preliminary drafts:
#             one phantom study drafted by the model and published (mapped + validated) by the FHIR
#             stage, then cloned 999 times in SQL together with its published FHIR version
#             (bench/ui-clone-drafts.sql rewrites ids, UIDs, accession, issued and priority in the
#             stored JSON so that each clone is a distinct report). The benchmark measures serving
#             the worklist, not publishing: publishing each clone through the FHIR stage took
#             ~0.5 s a draft here (HAPI validation, ~50 ms per resource), over 15 min for the setup.
#             p50/p95/max of R requests after a warm-up; target p95 <= 300 ms.
# Usage: bench/ui.sh [render|worklist] [--repeat R]
set -euo pipefail
cd "$(dirname "$0")/.."
what=${1:-render}; [ $# -gt 0 ] && shift
REPEAT=10
while [ $# -gt 0 ]; do
  case "$1" in
    --repeat) REPEAT=$2; shift 2;;
    *) echo "bench/ui.sh: unknown option $1" >&2; exit 2;;
  esac
done
. bench/lib.sh
build_classpath
WORK=$(mktemp -d -t raddraft-ui-bench-XXXXXX); trap 'rm -rf "$WORK"' EXIT
JAVA_OPTS="-XX:+UseParallelGC -Dlogback.configurationFile=bench/logback-quiet.xml"
case "$what" in
  render)
    java $JAVA_OPTS -cp "$CP" org.raddraft.App phantoms --out "$WORK/ph" --studies 6 --seed 23 --size 2048 \
      --no-training-set >/dev/null
    java $JAVA_OPTS -cp "$CP" org.raddraft.ui.UiBench render --dicom "$WORK/ph/dicom" --repeat "$REPEAT"
    ;;
  worklist)
    app=$(pwd); work=$WORK
    . bench/lib.sh
    bin/raddraft --help >/dev/null 2>&1 || true   # target/lib for the daemon
    start_raddraft "$WORK/home" 2
    trap 'kill $rd_pid 2>/dev/null; wait 2>/dev/null; rm -rf "$WORK"' EXIT
    http_port=$(sed -n 's/^http.port=//p' "$WORK/raddraft.properties")
    storescu -aet PACS -aec RADDRAFT 127.0.0.1 "$rd_port" testdata/demo/dicom/*/*.dcm >/dev/null
    h2() { java -cp "$CP" org.h2.tools.Shell -url "$(h2_url "$WORK/home")" \
      -user raddraft -password "$(h2_password "$WORK/home")" -sql "$1" | sed -n 2p | tr -d ' '; }
    for _ in $(seq 1 180); do [ "$(h2 'SELECT COUNT(*) FROM fhir_version')" -ge 1 ] 2>/dev/null && break; sleep 1; done
    java -cp "$CP" org.h2.tools.RunScript -url "$(h2_url "$WORK/home")" \
      -user raddraft -password "$(h2_password "$WORK/home")" -script bench/ui-clone-drafts.sql
    n=$(h2 "SELECT COUNT(DISTINCT draft_id) FROM fhir_version WHERE status = 'preliminary'")
    echo "preliminary drafts published: $n (1 by the FHIR stage, the rest cloned)"
    [ "$n" -ge 1000 ] || { echo "bench/ui.sh: expected 1000 preliminary drafts, got $n" >&2; exit 1; }
    token=$(printf '' | bin/raddraft admin users add --name bench --role integration --config "$WORK/raddraft.properties" \
      2>/dev/null | grep -o 'rdk_[A-Za-z0-9_-]*' | head -1)
    python3 - "$http_port" "$token" "$REPEAT" <<'PY'
import sys, time, urllib.request, json
port, token, repeat = sys.argv[1], sys.argv[2], max(int(sys.argv[3]), 20)
url = f"http://127.0.0.1:{port}/fhir/DiagnosticReport?status=preliminary&_count=200"
def get():
    req = urllib.request.Request(url, headers={"Authorization": "Bearer " + token, "Accept": "application/fhir+json"})
    t0 = time.perf_counter()
    body = urllib.request.urlopen(req).read()
    return (time.perf_counter() - t0) * 1000, body
for _ in range(20):
    get()
ms, body = [], b""
for _ in range(repeat):
    t, body = get()
    ms.append(t)
ms.sort()
b = json.loads(body)
pct = lambda p: ms[min(len(ms) - 1, int(round(p / 100 * (len(ms) - 1))))]
print(f"{'drafts in the worklist':<26}{b.get('total', '?')}")
print(f"{'entries per page':<26}{len(b.get('entry', []))} ({len(body) // 1024} KiB)")
print(f"{'requests':<26}{len(ms)} after 20 warm-up")
print(f"{'p50':<26}{pct(50):.0f} ms")
print(f"{'p95':<26}{pct(95):.0f} ms")
print(f"{'max':<26}{ms[-1]:.0f} ms")
PY
    ;;
  *) echo "bench/ui.sh: unknown benchmark $what (render, worklist)" >&2; exit 2;;
esac
