#!/usr/bin/env bash
# bench/deb-test.sh DEB: installs the Debian package built by `mvn package -Pdeb` on THIS machine and
# checks what an admin relies on (docs/admin-guide.md "Debian package"). Root only; run by DebPackageIT.
#   1. a "previous version" made from DEB (version ~prev, the same files) is installed: user,
#      /var/lib/raddraft 0750, conffile, unit enabled,
#      `systemd-analyze verify` of the installed unit;
#   2. the admin edits /etc/raddraft/raddraft.properties (ports); the installed daemon runs as the
#      raddraft user (systemd does not run in this container: runuser, as the unit would), /health
#      answers, a study pushed with storescu is indexed;
#   3. DEB is installed over it (dpkg -i, no prompt): the edited conffile is kept, the daemon starts,
#      Flyway migrates at start, the study and its files are still there. So that the upgrade has a
#      migration to run, DEB is repacked with one more, after the newest (a stand-in: it only creates the
#      table deb_test_upgrade; taking a migration out of the previous version instead breaks that
#      version's own code, which already uses every table);
#   3b. class-data sharing (bin/raddraft, RADDRAFT_CDS_ARCHIVE from the unit): each clean stop without an
#      archive writes one, the upgrade's postinst deletes the old version's, a start with one maps it (seen
#      in /proc/PID/maps) and serves, and a start with a truncated one (a stop killed while writing it; Java
#      17 would crash on it with SIGBUS) still serves, without it, and writes a new one at its stop;
#   4. dpkg -r keeps the configuration and the data; dpkg -P removes the configuration and moves the
#      data to /var/backups/raddraft-purged-*; the user stays.
# Refuses to run where a raddraft package or /var/lib/raddraft already exists (a real installation).
# Leaves the machine as it found it (the user only removed if this script created it).
# Last line: "deb-test: OK ..." or "deb-test: FAILED ...".
set -euo pipefail

deb="$(readlink -f "${1:?usage: bench/deb-test.sh target/raddraft_VERSION_all.deb}")"
if [ "$(id -u)" -ne 0 ]; then
  echo "deb-test: SKIPPED: needs root (dpkg -i)"
  exit 77
fi
if dpkg-query -W -f='${Status}' raddraft 2>/dev/null | grep -qv "not-installed"; then
  echo "deb-test: FAILED: a raddraft package is installed here already; not touching it"
  exit 2
fi
if [ -e /var/lib/raddraft ] || [ -e /etc/raddraft ]; then
  echo "deb-test: FAILED: /var/lib/raddraft or /etc/raddraft exists (a real installation?); not touching it"
  exit 2
fi

work="$(mktemp -d /tmp/deb-test.XXXXXX)"
user_existed=no
getent passwd raddraft >/dev/null && user_existed=yes
daemon_pid=""
backups_before="$(ls -d /var/backups/raddraft-purged-* 2>/dev/null || true)"

cleanup() {
  if [ -n "$daemon_pid" ] && kill -0 "$daemon_pid" 2>/dev/null; then
    kill -TERM "$daemon_pid" 2>/dev/null || true
    wait "$daemon_pid" 2>/dev/null || true
  fi
  if dpkg-query -W -f='${Status}' raddraft 2>/dev/null | grep -qv "not-installed"; then
    dpkg -P raddraft >/dev/null 2>&1 || true
  fi
  for d in $(ls -d /var/backups/raddraft-purged-* 2>/dev/null || true); do
    case "$backups_before" in *"$d"*) ;; *) rm -rf "$d" ;; esac
  done
  if [ "$user_existed" = no ] && getent passwd raddraft >/dev/null; then
    userdel raddraft 2>/dev/null || true
    getent group raddraft >/dev/null && groupdel raddraft 2>/dev/null || true
  fi
  rm -rf "$work"
}
trap cleanup EXIT

fail() { echo "deb-test: FAILED: $*"; exit 1; }
step() { echo "deb-test: --- $*"; }
mode_of() { stat -c '%U:%G %a' "$1"; }

version="$(dpkg-deb -f "$deb" Version)"
prev="${version}~prev"
step "making the previous version $prev from $version (the same files) and $version with one more migration"
dpkg-deb -R "$deb" "$work/prev"
sed -i "s/^Version: .*/Version: $prev/" "$work/prev/DEBIAN/control"
dpkg-deb -Zgzip -b "$work/prev" "$work/raddraft_prev_all.deb" >/dev/null
rm -rf "$work/prev"
dpkg-deb -R "$deb" "$work/new"
python3 - "$work/new/opt/raddraft/lib/raddraft.jar" <<'PY'
import re, sys, zipfile, shutil
src = sys.argv[1]; tmp = src + ".tmp"
with zipfile.ZipFile(src) as zin:
    versions = [int(m.group(1)) for m in (re.match(r"db/(?:migration|vendor/[a-z0-9]+)/V(\d+)[_0-9]*__", n)
                                          for n in zin.namelist()) if m]
    with zipfile.ZipFile(tmp, "w", zipfile.ZIP_DEFLATED) as zout:
        for item in zin.infolist():
            zout.writestr(item, zin.read(item.filename))
        zout.writestr("db/migration/V%d_9__deb_test_upgrade.sql" % max(versions),
                      "CREATE TABLE deb_test_upgrade (id INT NOT NULL);\n")
shutil.move(tmp, src)
PY
upgrade_deb="$work/raddraft_upgrade_all.deb"
dpkg-deb -Zgzip -b "$work/new" "$upgrade_deb" >/dev/null
rm -rf "$work/new"

conf=/etc/raddraft/raddraft.properties
unit=/lib/systemd/system/raddraft.service
state=/var/lib/raddraft
dicom_port="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')"
http_port="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')"

jsa=$state/raddraft.jsa
# The installed daemon as the service user, the way the unit starts it (no systemd in this container),
# with the unit's Environment= settings (RADDRAFT_HOME, RADDRAFT_HEAP, RADDRAFT_CDS_ARCHIVE).
start_daemon() {
  # shellcheck disable=SC2046 # one NAME=VALUE word per Environment= line
  runuser -u raddraft -- env $(sed -n 's/^Environment=//p' "$unit") /opt/raddraft/bin/raddraft run --config "$conf" \
    >"$work/$1.log" 2>&1 &
  daemon_pid=$!
  for _ in $(seq 1 240); do
    if curl -fsS "http://127.0.0.1:$http_port/health" >"$work/health.json" 2>/dev/null; then
      echo "deb-test: /health: $(cat "$work/health.json")"
      return 0
    fi
    kill -0 "$daemon_pid" 2>/dev/null || { tail -30 "$work/$1.log"; fail "the daemon exited at start ($1)"; }
    sleep 1
  done
  tail -30 "$work/$1.log"
  fail "no /health within 240 s ($1)"
}
# the JVM's pid: runuser's child once bin/raddraft has exec'd java
java_pid() { pgrep -P "$daemon_pid" java || echo "$daemon_pid"; }
# SIGTERM to the JVM, as systemd sends it (runuser would pass it on, then SIGKILL the JVM 2 s later,
# before the JVM has written its class-data archive)
stop_daemon() {
  kill -TERM "$(java_pid)"
  wait "$daemon_pid" || true
  daemon_pid=""
}
# SQL on the stopped daemon's H2 database, as the service user (owner-only files).
sql() {
  runuser -u raddraft -- java -cp '/opt/raddraft/lib/*' org.h2.tools.Shell \
    -url "jdbc:h2:file:$state/db/raddraft;IFEXISTS=TRUE" -user raddraft -password "$(cat $state/db/raddraft.password)" \
    -sql "$1" | sed -n 2p | tr -d ' '
}

step "dpkg -i $prev"
DEBIAN_FRONTEND=noninteractive dpkg -i "$work/raddraft_prev_all.deb" </dev/null >"$work/install.log" 2>&1 \
  || { cat "$work/install.log"; fail "dpkg -i of the previous version"; }
cat "$work/install.log"
getent passwd raddraft | grep -q ":/usr/sbin/nologin$" || fail "no raddraft system user with nologin"
[ "$(mode_of $state)" = "raddraft:raddraft 750" ] || fail "$state is $(mode_of $state), not raddraft:raddraft 750"
[ "$(mode_of $conf)" = "root:raddraft 640" ] || fail "$conf is $(mode_of $conf), not root:raddraft 640"
grep -qx "raddraft.home=/var/lib/raddraft" "$conf" || fail "the packaged config does not point at $state"
grep -qx "/etc/raddraft/raddraft.properties" /var/lib/dpkg/info/raddraft.conffiles || fail "the config is no conffile"
[ -f "$unit" ] || fail "no unit at $unit"
[ -L /etc/systemd/system/multi-user.target.wants/raddraft.service ] || fail "the unit is not enabled"
[ -x /opt/raddraft/bin/raddraft ] && [ -f /opt/raddraft/lib/raddraft.jar ] || fail "nothing in /opt/raddraft"
verify="$(systemd-analyze verify "$unit" 2>&1)" || fail "systemd-analyze verify: $verify"
[ -z "$verify" ] || fail "systemd-analyze verify printed: $verify"
echo "deb-test: systemd-analyze verify $unit: clean"

step "the admin edits $conf; the installed daemon runs as raddraft"
cat >>"$conf" <<EOF

# edited by deb-test: kept on upgrade
dicom.port=$dicom_port
http.port=$http_port
dicom.allowed-peers=DEBTEST@127.0.0.1
EOF
runuser -u raddraft -- /opt/raddraft/bin/raddraft check-config --config "$conf" >"$work/check.log" 2>&1 \
  || { cat "$work/check.log"; fail "check-config of the installed config"; }
start_daemon run1
storescu -aet DEBTEST -aec RADDRAFT 127.0.0.1 "$dicom_port" /opt/raddraft/testdata/demo/dicom/ph-23-000034/*.dcm \
  || fail "storescu to the installed daemon"
for _ in $(seq 1 60); do
  runuser -u raddraft -- /opt/raddraft/bin/raddraft admin studies --config "$conf" >"$work/studies.txt" 2>&1 || true
  grep -q "STABLE\|DRAFTING\|DRAFTED\|COLLECTING" "$work/studies.txt" && break
  sleep 1
done
grep -q "STABLE\|DRAFTING\|DRAFTED\|COLLECTING" "$work/studies.txt" || { cat "$work/studies.txt"; fail "the pushed study is not listed"; }
stop_daemon
[ "$(stat -c %U "$jsa" 2>/dev/null)" = raddraft ] || fail "the clean stop wrote no class-data archive $jsa (as raddraft)"
studies_before="$(sql 'SELECT COUNT(*) FROM study')"
instances_before="$(sql 'SELECT COUNT(*) FROM instance')"
files_before="$(find $state/spool -name '*.dcm' | wc -l)"
marker_before="$(sql "SELECT COUNT(*) FROM INFORMATION_SCHEMA.TABLES WHERE TABLE_NAME = 'DEB_TEST_UPGRADE'")"
[ "$studies_before" = 1 ] && [ "$instances_before" = 2 ] && [ "$files_before" = 2 ] \
  || fail "after the push: $studies_before studies, $instances_before instances, $files_before files (want 1, 2, 2)"
[ "$marker_before" = 0 ] || fail "the previous version already has the upgrade's migration"
echo "deb-test: previous version: 1 study, 2 instances, 2 spool files, schema without the upgrade's migration"

step "upgrade: dpkg -i $version"
DEBIAN_FRONTEND=noninteractive dpkg -i "$upgrade_deb" </dev/null >"$work/upgrade.log" 2>&1 \
  || { cat "$work/upgrade.log"; fail "dpkg -i upgrade (a conffile prompt would fail here: stdin is /dev/null)"; }
cat "$work/upgrade.log"
[ "$(dpkg-query -W -f='${Version}' raddraft)" = "$version" ] || fail "not upgraded to $version"
grep -q "^# edited by deb-test: kept on upgrade" "$conf" || fail "the edited conffile was replaced"
[ ! -e "$conf.dpkg-dist" ] && [ ! -e "$conf.dpkg-new" ] || fail "dpkg left $conf.dpkg-*"
[ "$(mode_of $state)" = "raddraft:raddraft 750" ] || fail "$state is $(mode_of $state) after the upgrade"
[ ! -e "$jsa" ] || fail "the upgrade left the previous version's class-data archive $jsa"
start_daemon run2
stop_daemon
[ "$(sql "SELECT COUNT(*) FROM INFORMATION_SCHEMA.TABLES WHERE TABLE_NAME = 'DEB_TEST_UPGRADE'")" = 1 ] \
  || fail "Flyway did not run the upgrade's migration at the upgraded daemon's start"
[ "$(sql 'SELECT COUNT(*) FROM study')" = "$studies_before" ] && [ "$(sql 'SELECT COUNT(*) FROM instance')" = "$instances_before" ] \
  && [ "$(find $state/spool -name '*.dcm' | wc -l)" = "$files_before" ] || fail "data lost in the upgrade"
echo "deb-test: upgraded: migrated at start, 1 study, 2 instances, 2 spool files kept, edited conffile kept"

step "class-data archive $jsa"
[ -s "$jsa" ] || fail "the upgraded daemon's clean stop wrote no class-data archive"
start_daemon run3
grep -q "$jsa" "/proc/$(java_pid)/maps" || fail "a start with the archive did not map it"
stop_daemon
size="$(stat -c %s "$jsa")"
truncate -s $((size / 2)) "$jsa"
start_daemon run4   # fails the test unless /health answers
! grep -q "$jsa" "/proc/$(java_pid)/maps" || fail "the truncated archive was mapped"
grep -q "class-data archive $jsa is damaged" "$work/run4.log" || fail "no log line for the damaged archive"
stop_daemon
[ "$(stat -c %s "$jsa")" -gt $((size / 2)) ] || fail "no new archive written after the damaged one"
echo "deb-test: class-data archive: written at a clean stop ($((size / 1048576)) MiB), deleted on upgrade, mapped at start; a truncated one refused, daemon served, rewritten"

step "dpkg -r"
dpkg -r raddraft >"$work/remove.log" 2>&1 || { cat "$work/remove.log"; fail "dpkg -r"; }
[ ! -e /opt/raddraft/bin/raddraft ] && [ ! -e "$unit" ] || fail "dpkg -r left the program or the unit"
grep -q "^# edited by deb-test" "$conf" || fail "dpkg -r removed the configuration"
[ -f "$state/db/raddraft.mv.db" ] && [ "$(find $state/spool -name '*.dcm' | wc -l)" = "$files_before" ] \
  || fail "dpkg -r removed data"
getent passwd raddraft >/dev/null || fail "dpkg -r removed the user"
echo "deb-test: removed: program and unit gone; configuration, database, spool and user kept"

step "dpkg -P"
dpkg -P raddraft >"$work/purge.log" 2>&1 || { cat "$work/purge.log"; fail "dpkg -P"; }
cat "$work/purge.log"
[ ! -e /etc/raddraft ] || fail "dpkg -P left /etc/raddraft"
[ ! -e "$state" ] || fail "dpkg -P left $state"
kept="$(ls -d /var/backups/raddraft-purged-* 2>/dev/null | grep -vxF "$backups_before" | tail -1)"
[ -n "$kept" ] && [ -f "$kept/db/raddraft.mv.db" ] || fail "the purged data is not in /var/backups/raddraft-purged-*"
[ "$(stat -c '%a' "$kept")" = 700 ] || fail "$kept is not 0700"
[ ! -e /etc/systemd/system/multi-user.target.wants/raddraft.service ] || fail "the enablement link survived the purge"
getent passwd raddraft >/dev/null || fail "dpkg -P removed the user (policy: kept)"
echo "deb-test: purged: configuration and enablement gone; data moved to $kept (0700); user kept"

if command -v lintian >/dev/null; then
  step "lintian"
  lintian "$deb" || true
else
  echo "deb-test: lintian not installed here; not run"
fi
echo "deb-test: OK $version (upgrade from $prev) installed, ran, upgraded, removed and purged"
