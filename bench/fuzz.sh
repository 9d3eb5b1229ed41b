#!/usr/bin/env bash
# Fuzzing, long form (issue 24): FuzzIT against the real daemon with 10,000 mutated Part 10 data sets
# over C-STORE, 10,000 mutated PDU sequences and 5,000 malformed HTTP requests (seeded: SEED=24 gives
# the same cases every time), C-ECHO and /health after every 100, threads and file descriptors of
# the daemon counted before and after, a clean restart at the end. The short form (200 per surface)
# runs in ./bin/test. Ends with the line
#   fuzz: cases=N crashes=N hangs=N leaks=N parts_left=N
# Usage: [SEED=24] [DICOM=10000] [PDU=10000] [HTTP=5000] bench/fuzz.sh   (loopback only; ~1-2 h on a quiet machine)
set -euo pipefail
app="$(cd "$(dirname "$(readlink -f "$0")")/.." && pwd)"
cd "$app"
log="$(mktemp /tmp/raddraft-fuzz.XXXXXX.log)"
set +e
mvn -o -B verify -Dtest=none -Dit.test=FuzzIT -Dsurefire.failIfNoSpecifiedTests=false \
  -Dfailsafe.failIfNoSpecifiedTests=false -Draddraft.fuzz.seed="${SEED:-24}" \
  -Draddraft.fuzz.dicom="${DICOM:-10000}" -Draddraft.fuzz.pdu="${PDU:-10000}" -Draddraft.fuzz.http="${HTTP:-5000}" >"$log" 2>&1
rc=$?
set -e
out="target/failsafe-reports/org.raddraft.dicom.FuzzIT-output.txt"
grep -h '^fuzz: ' "$out" "$log" 2>/dev/null | tail -1 || true
if [ $rc -ne 0 ]; then
  echo "fuzz: FuzzIT failed (exit $rc); the cases are listed in target/failsafe-reports/org.raddraft.dicom.FuzzIT.txt, the build log in $log" >&2
fi
exit $rc
