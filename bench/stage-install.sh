#!/usr/bin/env bash
# bench/stage-install.sh DIR: lays out in DIR what the Debian package installs in /opt/raddraft (bin/raddraft,
# lib/raddraft.jar and the dependency jars, routes, models, the demo data) plus bench/, from this checkout's
# build, so that a bench script run as DIR/bench/SCRIPT starts the daemon as an installation does: from
# jars, where class-data sharing applies (RADDRAFT_CDS_ARCHIVE, bin/raddraft). The jars are hard links
# where the file system allows. Usage: bench/stage-install.sh DIR (after mvn package, or bin/raddraft once).
set -euo pipefail
app="$(cd "$(dirname "$(readlink -f "$0")")/.." && pwd)"
dir="${1:?usage: bench/stage-install.sh DIR}"
"$app/bin/raddraft" --help >/dev/null 2>&1 || true   # builds on first use
jar="$(ls "$app"/target/raddraft-*.jar | head -1)"
rm -rf "$dir"
mkdir -p "$dir/bin" "$dir/lib" "$dir/testdata"
cp "$app/bin/raddraft" "$dir/bin/"
cp -l "$jar" "$dir/lib/raddraft.jar" 2>/dev/null || cp "$jar" "$dir/lib/raddraft.jar"
cp -l "$app"/target/lib/*.jar "$dir/lib/" 2>/dev/null || cp "$app"/target/lib/*.jar "$dir/lib/"
cp -r "$app/routes" "$app/models" "$app/bench" "$dir/"
cp -r "$app/testdata/demo" "$dir/testdata/"
echo "staged an installation in $dir (bin/raddraft runs from lib/*.jar)"
