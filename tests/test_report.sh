#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# `qoslab report DIR` on the fixture run in tests/data/report: plots with error bars,
# a valid report.html that headless Chromium renders without console errors, clear errors.
set -u
cd "$(dirname "$0")/.."
BUILD=${BUILD:-build}
QOSLAB=$PWD/$BUILD/qoslab
FIXTURE=tests/data/report
# The fixture's metrics and factors (see its results.json).
METRICS="throughput_bps requests_per_s latency_p95_s map50 failed_jobs"
FACTORS="workers loss transport"

tmp=$(mktemp -d /tmp/qoslab-test-report.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
fails=0
ok() { echo "ok - $1"; }
fail() { echo "FAIL - $1"; shift; for l in "$@"; do echo "  $l"; done; fails=$((fails + 1)); }
skip() { echo "skip - $1"; echo "  $2"; }
# A tool the CI installs (make deps): missing there is a failure, elsewhere a skip.
need() { command -v "$1" >/dev/null && return 0; if [ "${CI:-}" = true ]; then fail "$2" "$1 not installed (make deps)"; else skip "$2" "$1 not installed"; fi; return 1; }

run=$tmp/run
mkdir "$run" && cp "$FIXTURE"/results.json "$FIXTURE"/scenario.yaml "$FIXTURE"/manifest.json "$run"/

# 1. the command draws every plot and the page
if out=$("$QOSLAB" report "$run" 2>&1) && [ -s "$run/report.html" ]; then
	ok report_command
else
	fail report_command "$out"
fi

# 2. one non-empty PNG (960x600) and SVG per metric and factor, nothing else left over
missing=()
for m in $METRICS; do for f in $FACTORS; do
	png=$run/plots/$m-vs-$f.png svg=$run/plots/$m-vs-$f.svg
	[ -s "$png" ] && [ -s "$svg" ] || { missing+=("$m-vs-$f"); continue; }
	# PNG signature, then IHDR width and height as big-endian 32-bit numbers
	sig=$(head -c 8 "$png" | od -An -tx1 | tr -d ' \n')
	wh=$(od -An -tu1 -j16 -N8 "$png" | awk '{print $3*256+$4 "x" $7*256+$8}')
	[ "$sig" = 89504e470d0a1a0a ] && [ "$wh" = 960x600 ] || missing+=("$png: sig $sig size $wh")
done; done
n=$(find "$run" -mindepth 1 | wc -l)
# 30 plots + plots/ + report.html + the 3 inputs + results.csv and trials.csv (rewritten)
if [ ${#missing[@]} -eq 0 ] && [ "$n" -eq 37 ] && [ -z "$(find "$run" -name '.*')" ]; then
	ok plot_files
else
	fail plot_files "missing or bad: ${missing[*]}" "$n entries in the run dir:" "$(find "$run" | sort)"
fi

# 3. the plots carry data: in each SVG, plot 1 is the mean line of the first series (its
# key sample and a path through 2 or 3 points: 2 or more L) and plot 2 its error bars
# (vertical segments M x,y1 L x,y2).
# The n = 1 point (workers 3, loss 0.3, tcp) has a marker but no bar.
nodata=()
for svg in "$run"/plots/*.svg; do
	group2=$(awk '/id="gnuplot_plot_2"/{on=1} /id="gnuplot_plot_3"/{on=0} on' "$svg")
	bars=$(grep -oE "M([0-9.]+),([0-9.]+) L\1,([0-9.]+)" <<<"$group2" | awk -F'[ ,ML]+' '$3 != $5' | wc -l)
	line=$(awk '/id="gnuplot_plot_1"/{on=1} /id="gnuplot_plot_2"/{on=0} on' "$svg" | grep -oE " L[0-9.]+,[0-9.]+" | wc -l)
	[ "$bars" -ge 2 ] && [ "$line" -ge 2 ] || nodata+=("$(basename "$svg"): $bars bars, $line line segments")
done
svg=$run/plots/requests_per_s-vs-loss.svg
if [ ${#nodata[@]} -eq 0 ] && grep -q 'no bar where n = 1' "$svg" && grep -q 'transport = tcp (held at first level, not averaged)' "$svg"; then
	ok plots_have_error_bars
else
	fail plots_have_error_bars "${nodata[@]}" "title of $svg: $(grep -o '<text>[^<]*' "$svg" | head -5 | tr '\n' '|')"
fi

# 4. valid HTML (tidy: no warning, no error)
if need tidy html_valid; then
	if msg=$(tidy -q -e "$run/report.html" 2>&1); then ok html_valid; else fail html_valid "$msg"; fi
fi

# 5. headless Chromium renders it: no console message, tables and images in the DOM, every
# image there, the manifest's "<script>" shown as text and not run
if need chromium chromium_renders; then
	prof=$(mktemp -d /tmp/qoslab-test-chromium.XXXXXX)
	timeout 120 chromium --headless --no-sandbox --disable-gpu --disable-quic --no-first-run \
		--disable-background-networking --disable-component-update --disable-sync \
		--user-data-dir="$prof" --enable-logging=stderr --v=0 --dump-dom \
		"file://$run/report.html" >"$tmp/dom.html" 2>"$tmp/chromium.log"
	st=$?
	rm -rf "$prof"
	console=$(grep -E 'CONSOLE|Uncaught' "$tmp/chromium.log"; grep 'ERROR:' "$tmp/chromium.log" | grep -E 'report\.html|file://')
	tables=$(grep -o '<table' "$tmp/dom.html" | wc -l)
	imgs=$(grep -o '<img [^>]*>' "$tmp/dom.html" | wc -l)
	absent=$(grep -oE '<img [^>]*src="[^"]+"' "$tmp/dom.html" | sed -E 's/.*src="([^"]+)"/\1/' |
		while read -r src; do [ -s "$run/$src" ] || echo "$src"; done)
	scripts=$(grep -c '<script' "$tmp/dom.html")
	if [ "$st" -eq 0 ] && [ -z "$console" ] && [ "$tables" -eq 7 ] && [ "$imgs" -eq 15 ] && [ -z "$absent" ] &&
	   [ "$scripts" -eq 0 ] && grep -q '&lt;script&gt;alert(1)&lt;/script&gt;' "$tmp/dom.html" &&
	   grep -q '&lt;b&gt;not bold&lt;/b&gt; &amp; "quotes"' "$tmp/dom.html"; then
		ok chromium_renders
	else
		fail chromium_renders "exit $st; $tables tables (7 expected), $imgs images (15), $scripts script elements" \
			"console: $console" "images not found: $absent" "$(grep -v dbus "$tmp/chromium.log" | tail -5)"
	fi
fi

# 5b. a trial's time series (trials/*/timeseries.csv) is drawn over time, per point's first
# repetition that ran, and the report links it; the trial is found by the levels in its
# outcome.json (its directory's -p5 is the scenario's numbering: here results' point 0), and
# a failed trial's series is not drawn
ts=$tmp/ts
mkdir -p "$ts/trials/004-p5-r0" "$ts/trials/005-p6-r0" && cp "$FIXTURE/results.json" "$ts/"
outcome() { # status levels...
	printf '{"format":"qoslab-trial","version":1,"order":4,"point":5,"rep":0,"factors":["workers","loss","transport"],"levels":["%s","%s","%s"],"status":"%s","error":"","summary":"","host":"h","kernel":"k","wall_s":1,"metrics":{}}\n' "$2" "$3" "$4" "$1"
}
outcome ok 1 0 tcp >"$ts/trials/004-p5-r0/outcome.json"
outcome failed 1 0 udp >"$ts/trials/005-p6-r0/outcome.json"
{ echo t_s,queue_depth,in_flight,workers_connected,workers_idle,workers_target
  for s in 0 1 2 3 4 5 6 7; do echo "$s,$((8 - s)),$(( s < 4 ? s + 1 : 3 )),$(( s < 3 ? 1 : 3 )),0,3"; done
} >"$ts/trials/004-p5-r0/timeseries.csv"
cp "$ts/trials/004-p5-r0/timeseries.csv" "$ts/trials/005-p6-r0/"
if "$QOSLAB" report --quiet "$ts" >"$tmp/out" 2>&1 && [ -s "$ts/plots/timeseries-p0.png" ] &&
   [ -s "$ts/plots/timeseries-p0.svg" ] && [ ! -e "$ts/plots/timeseries-p1.png" ] &&
   [ ! -e "$ts/plots/timeseries-p5.png" ] &&
   grep -q 'id="over-time"' "$ts/report.html" && grep -q 'href="#over-time"' "$ts/report.html" &&
   grep -q 'timeseries-p0.png' "$ts/report.html"; then
	ok report_timeseries_over_time
else
	fail report_timeseries_over_time "$(cat "$tmp/out")"
fi

# 6. results.json alone is enough: no scenario, no manifest, notes instead
alone=$tmp/alone
mkdir "$alone" && cp "$FIXTURE/results.json" "$alone/"
if "$QOSLAB" report --quiet "$alone" >"$tmp/out" 2>&1 && [ ! -s "$tmp/out" ] &&
   grep -q 'No <code>scenario.yaml</code>' "$alone/report.html" &&
   grep -q 'No <code>manifest.json</code>' "$alone/report.html" && [ -s "$alone/plots/map50-vs-loss.png" ]; then
	ok report_from_results_json_alone
else
	fail report_from_results_json_alone "$(cat "$tmp/out")"
fi

# 7. errors: one line naming the problem, exit 1 (usage: 2); nothing written
bad=$tmp/bad
mkdir "$bad"
printf '{"format": "qoslab-results",\n "version": 1,\n "factors": [}' >"$bad/results.json"
e1=$("$QOSLAB" report "$bad" 2>&1); s1=$?
e2=$("$QOSLAB" report "$tmp/nonexistent" 2>&1); s2=$?
"$QOSLAB" report >/dev/null 2>&1; s3=$?
"$QOSLAB" report --help | grep -q 'usage: qoslab report'; s4=$?
gp=$tmp/gp && mkdir "$gp" && cp "$FIXTURE/results.json" "$gp/"
e5=$(PATH=/nonexistent "$QOSLAB" report "$gp" 2>&1); s5=$?
# gnuplot itself fails (its output file cannot be opened): its message, condensed
gf=$tmp/gf && mkdir -p "$gf/plots/throughput_bps-vs-workers.png" && cp "$FIXTURE/results.json" "$gf/"
e6=$("$QOSLAB" report "$gf" 2>&1); s6=$?
if [ "$s1" -eq 1 ] && [[ "$e1" == "qoslab report: $bad/results.json:3:"* ]] &&
   [ "$s2" -eq 1 ] && [[ "$e2" == *"$tmp/nonexistent/results.json: No such file or directory"* ]] &&
   [ "$s3" -eq 2 ] && [ "$s4" -eq 0 ] &&
   [ "$s5" -eq 1 ] && [[ "$e5" == *"gnuplot not found"* ]] && [ ! -e "$gp/report.html" ] &&
   [ "$s6" -eq 1 ] && [[ "$e6" == "qoslab report: gnuplot: "*"cannot open file"* ]] && [ ! -e "$gf/report.html" ] &&
   [ "$(printf '%s\n' "$e1" "$e2" "$e5" "$e6" | wc -l)" -eq 4 ] && [ ! -e "$bad/report.html" ]; then
	ok report_errors
else
	fail report_errors "malformed ($s1): $e1" "missing ($s2): $e2" "no args: $s3, --help: $s4" "no gnuplot ($s5): $e5" "gnuplot fails ($s6): $e6"
fi

# 8. a shared run directory with FIFOs: scenario.yaml and manifest.json are reported as
# unreadable instead of blocking; a FIFO results.json is an error at once; a full disk fails
fifo=$tmp/fifo && mkdir "$fifo" && cp "$FIXTURE/results.json" "$fifo/"
mkfifo "$fifo/scenario.yaml" "$fifo/manifest.json"
timeout 60 "$QOSLAB" report "$fifo" >/dev/null 2>&1; s7=$?
fr=$tmp/fifores && mkdir "$fr" && mkfifo "$fr/results.json"
e8=$(timeout 10 "$QOSLAB" report "$fr" 2>&1); s8=$?
if [ "$s7" -eq 0 ] && grep -q 'manifest.json</code> could not be read' "$fifo/report.html" &&
   [ "$s8" -eq 1 ] && [[ "$e8" == *"results.json: Invalid argument"* ]]; then
	ok report_fifos_do_not_block
else
	fail report_fifos_do_not_block "fifo scenario/manifest ($s7)" "fifo results.json ($s8): $e8"
fi
full=$tmp/full && mkdir "$full" && cp "$FIXTURE/results.json" "$full/"
"$QOSLAB" report "$full" >/dev/full 2>"$tmp/full.err"; s9=$?
if [ "$s9" -eq 1 ] && grep -q 'No space left on device' "$tmp/full.err"; then
	ok report_stdout_full_fails
else
	fail report_stdout_full_fails "status $s9: $(cat "$tmp/full.err")"
fi

[ "$fails" -eq 0 ]
