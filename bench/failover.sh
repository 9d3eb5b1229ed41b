#!/usr/bin/env bash
# Failover of several RadDraft nodes on one PostgreSQL (issue 25): runs FailoverIT (three daemons with
# their own ports on this machine, one PostgreSQL cluster the test starts with initdb/pg_ctl, a shared
# spool, a real Orthanc pushing to two of the nodes, a real MLLP RIS answering after 2 s). Node a is
# killed -9 while it holds studies it is drafting, node b while it holds deliveries the RIS has not
# acknowledged; node c finishes their work after the leases (draft 15 s, delivery 10 s) ran out.
# Needs postgresql-15, Orthanc and DCMTK; run as root it runs PostgreSQL as the postgres user.
# Last line:
#   failover: nodes=N acked=N lost=N duplicate_drafts=N duplicate_deliveries=N
# Usage: bench/failover.sh [STUDIES]   (default 16; about 5 minutes on 2 cores)
set -uo pipefail
app="$(cd "$(dirname "$(readlink -f "$0")")/.." && pwd)"
studies="${1:-16}"
log="$(mktemp /tmp/raddraft-failover.XXXXXX.log)"
trap 'rm -f "$log"' EXIT
cd "$app"
rm -f target/failover.txt
mvn -o -B verify -Dtest=none -Dsurefire.failIfNoSpecifiedTests=false -Dit.test=FailoverIT \
  -Dfailsafe.failIfNoSpecifiedTests=false -Dfailover.studies="$studies" > "$log" 2>&1
rc=$?
grep -E 'Tests run:.*FailoverIT' "$log" | sed 's/^\[[A-Z]*\] //'
if [ ! -s target/failover.txt ]; then
  grep -E 'ERROR|expected' "$log" | head -20
  echo "failover: nodes=3 acked=0 lost=? duplicate_drafts=? duplicate_deliveries=? (the test did not finish, exit $rc)"
  exit 1
fi
cat target/failover.txt
exit $rc
