#!/usr/bin/env bash
# The review page's server-side speed targets (docs/benchmarks.md):
#   render    one 2k x 2k radiograph rendered for the page (decode + window + PNG/JPEG): target <= 500 ms;
#             six 2048 px phantom studies (seed 23: CR and DX, MONOCHROME1 and 2, JPEG lossless, RLE,
#             implicit and explicit VR), median of R renders per file after a warm-up.
# Usage: bench/ui.sh [render] [--repeat R]
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
  *) echo "bench/ui.sh: unknown benchmark $what (render)" >&2; exit 2;;
esac
