#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# The job board and a run's report in Debian's headless chromium, driven by puppeteer-core
# (tests/browser/, installed by `make deps`): three images uploaded through the form reach
# done on the board, a job's page draws as many boxes as it lists detections, names with
# markup (a worker called <script>..., an image called <img ... onerror=...>) show as text,
# no console error anywhere. Screenshots: $BUILD/artefacts/browser/{board,job,report}.png.
set -u
cd "$(dirname "$0")/.."
BUILD=${BUILD:-build}
Q=$PWD/$BUILD/qoslab
DATASET=${QOSLAB_DATASET:-../shared/datasets/coco-val2017-64}
ART=$PWD/$BUILD/artefacts/browser
# A tool the CI installs (make deps): missing there is a failure, elsewhere a skip.
missing() {
	if [ "${CI:-}" = true ]; then echo "FAIL - browser: $1 (make deps)"; exit 1; fi
	echo "skip - browser: $1"; exit 0
}
command -v node >/dev/null || missing "node not installed"
[ -x "${QOSLAB_CHROMIUM:-/usr/bin/chromium}" ] || missing "chromium not installed"
[ -d tests/browser/node_modules/puppeteer-core ] || missing "tests/browser/node_modules missing (npm ci)"
[ -d "$DATASET/images" ] || missing "dataset $DATASET missing"

tmp=$(mktemp -d /tmp/qoslab-browser.XXXXXX)
pids=()
cleanup() {
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null; wait "$p" 2>/dev/null; done
	rm -rf "$tmp"
}
trap cleanup EXIT
mkdir -p "$ART"
rm -f "$ART"/*.png
st=0

"$Q" server --http 127.0.0.1:0 --listen 127.0.0.1:0 --ready-file "$tmp/ready" 2>"$tmp/server.log" &
pids+=("$!")
for _ in $(seq 100); do [ -s "$tmp/ready" ] && break; sleep 0.05; done
[ -s "$tmp/ready" ] || { echo "FAIL - browser_server_ready"; cat "$tmp/server.log"; exit 1; }
http=$(jq -r .http "$tmp/ready")
listen=$(jq -r .listen "$tmp/ready")
worker='<script>alert("w")</script>'
"$Q" worker --server "$listen" --name "$worker" 2>"$tmp/worker.log" &
pids+=("$!")

mkdir "$tmp/up"
set -- $(ls "$DATASET"/images/*.jpg | head -3)
cp "$1" "$tmp/up/$(basename "$1")"
cp "$2" "$tmp/up/<img src=x onerror=alert(1)>.jpg"
cp "$3" "$tmp/up/$(basename "$3")"
node tests/browser/board.mjs "http://$http/" "$ART" "$worker" "$tmp"/up/* || st=1

# The report of the fixture run (tests/data/report), as test_report.sh draws it.
mkdir "$tmp/run"
cp tests/data/report/results.json tests/data/report/scenario.yaml tests/data/report/manifest.json "$tmp/run/"
if "$Q" report --quiet "$tmp/run" >"$tmp/report.out" 2>&1; then
	node tests/browser/report.mjs "$tmp/run/report.html" "$ART" || st=1
else
	echo "FAIL - browser_report_drawn"; cat "$tmp/report.out"; st=1
fi
ls "$ART"/*.png | sed 's/^/  artefact: /' >&2
exit $st
