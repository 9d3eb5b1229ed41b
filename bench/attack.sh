#!/usr/bin/env bash
# The scripted attack run of issue 21 against the real daemon process: HttpAttackIT (about 7,700
# requests: ~58 spellings of every route, path and encoding variants, other methods, another
# account's paging links, refused decisions, over-long and malformed logins, each by anonymous,
# radiologist, integration, admin and a cookie without its CSRF token) and DicomAttackIT (hostile
# data sets: deep nesting with a JIS character set, huge dimensions, lying lengths, bad character
# sets, short pixel data, oversized instances; trickled association requests while a PACS stores;
# an unlisted host; then a restart with hostile files planted in the spool). Both tests assert 0
# unauthorised 200s / 0 accepted by mistake, the daemon alive after every group, no .part left.
# Prints both tables, then one line:
#   attack: http_requests=N unauthorised_200=N dicom_tried=N accepted_by_mistake=N parts_left=N result=PASS|FAIL
# Usage: bench/attack.sh        (about 5 minutes on 2 cores; loopback only)
set -uo pipefail
app="$(cd "$(dirname "$(readlink -f "$0")")/.." && pwd)"
log="$(mktemp /tmp/raddraft-attack.XXXXXX.log)"
trap 'rm -f "$log"' EXIT
cd "$app"
mvn -B verify -Dtest=none -Dsurefire.failIfNoSpecifiedTests=false \
  -Dit.test='HttpAttackIT,DicomAttackIT' -Dfailsafe.failIfNoSpecifiedTests=false > "$log" 2>&1
rc=$?
grep -h '^attack-http: \|^attack-dicom: ' "$log" | sed 's/^attack-[a-z]*: //'
grep -E 'Tests run:.*(Failures|Errors)' "$log" | grep -E 'AttackIT' | sed 's/^\[[A-Z]*\] //'
python3 - "$log" "$rc" <<'PY'
import re, sys
text = open(sys.argv[1], encoding="utf-8", errors="replace").read()
requests = unauth = 0
for line in text.splitlines():
    if not line.startswith("attack-http: |") or "group" in line or "---" in line:
        continue
    cells = [c.strip() for c in line.split("|")[1:-1]]
    if len(cells) == 4 and cells[1].isdigit():
        requests += int(cells[1]); unauth += int(cells[3])
m = re.search(r"attack-dicom: total tried (\d+), accepted by mistake (\d+).*?\.part left (-?\d+)", text)
tried, mistaken, parts = (int(m.group(1)), int(m.group(2)), int(m.group(3))) if m else (0, -1, -1)
ok = sys.argv[2] == "0" and requests > 0 and unauth == 0 and m is not None and mistaken == 0 and parts == 0
print(f"attack: http_requests={requests} unauthorised_200={unauth} dicom_tried={tried} "
      f"accepted_by_mistake={mistaken} parts_left={parts} result={'PASS' if ok else 'FAIL'}")
sys.exit(0 if ok else 1)
PY
