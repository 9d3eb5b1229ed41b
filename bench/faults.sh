#!/usr/bin/env bash
# kill -9 fault matrix, long form (issue 24): KillMatrixIT against the real daemon with a HAPI FHIR JPA
# server, an MLLP RIS and Orthanc (the pushing PACS and the SR receiver), RUNS kills per stage
# (receiving, assembling, drafting, publishing, a review decision's commit, delivering on FHIR, HL7 v2
# and DICOM SR) at seeded moments watched from outside (SEED=24 repeats them); after each kill a
# restart and the invariants. The short form (one kill in five of the stages) runs in ./bin/test. Prints the per-stage
# table and ends with the line
#   faults: runs=N stages=N lost=N duplicate_drafts=N duplicate_deliveries=N lost_decisions=N result=PASS|FAIL
# Usage: [SEED=24] [RUNS=20] [STAGES=receiving,hl7,...] bench/faults.sh   (~30 s per run on the shared host)
set -euo pipefail
app="$(cd "$(dirname "$(readlink -f "$0")")/.." && pwd)"
cd "$app"
log="$(mktemp /tmp/raddraft-faults.XXXXXX.log)"
set +e
mvn -o -B verify -Dtest=none -Dit.test=KillMatrixIT -Dsurefire.failIfNoSpecifiedTests=false \
  -Dfailsafe.failIfNoSpecifiedTests=false -Draddraft.faults.seed="${SEED:-24}" \
  -Draddraft.faults.runs="${RUNS:-20}" -Draddraft.faults.stages="${STAGES:-}" >"$log" 2>&1
rc=$?
set -e
grep -h '^faults-table: ' "$log" | sed 's/^faults-table: //' || true
grep -h '^faults: ' "$log" | tail -1 || true
if [ $rc -ne 0 ]; then
  echo "faults: KillMatrixIT failed (exit $rc); each run is a 'faults-run:' line and the broken invariants are listed in $log" >&2
fi
exit $rc
