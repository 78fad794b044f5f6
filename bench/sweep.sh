#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Sweeps at scale (issue 13): the seed-003 set (4 scenarios x 3 levels x 5 repeats = 60
# trials) with --jobs J, wall time per scenario and in all, per-trial overhead (overhead_s:
# trial wall minus the workload's own time) and how many trials the lateness meter flagged.
#
#   bench/sweep.sh [J ...]        (default: 2; e.g. `bench/sweep.sh 1 2` for the ratio)
#
# Keep the host quiet: two guests on two cores is what --jobs 2 asks for, anything beside
# them shows as host_overloaded trials and longer walls.
set -eu
cd "$(dirname "$0")/.."
Q=${BUILD:-build}/qoslab
[ -x "$Q" ] || { echo "bench/sweep.sh: build first (make all)" >&2; exit 1; }
command -v jq >/dev/null || { echo "bench/sweep.sh: needs jq" >&2; exit 1; }
tmp=$(mktemp -d /tmp/qoslab-bench-sweep.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
[ $# -gt 0 ] || set -- 2
for j in "$@"; do
	total=0
	printf '%-24s %5s %8s %22s %10s\n' "scenario (--jobs $j)" trials wall_s "overhead_s mean [max]" overloaded
	for f in scenarios/seed-003-{workers,loss,delay,failures}.yaml; do
		name=$(basename "$f" .yaml)
		t0=$(date +%s.%N)
		"$Q" run "$f" --out "$tmp/$name-j$j" --jobs "$j" >"$tmp/$name-j$j.log" 2>&1 ||
			{ echo "bench/sweep.sh: $name failed:"; tail -5 "$tmp/$name-j$j.log"; exit 1; }
		wall=$(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }')
		total=$(awk -v a="$total" -v b="$wall" 'BEGIN { printf "%.1f", a + b }')
		jq -r --arg n "$name" --arg w "$wall" '[.trials[].metrics] as $m |
			"\($n | .[0:24] | . + " " * (24 - length)) \($m | length | tostring | " " * (5 - length) + .) \($w | tonumber | . * 10 | round / 10 | tostring | " " * (8 - length) + .) \(($m | map(.overhead_s) | add / length * 100 | round / 100 | tostring) + " [" + ($m | map(.overhead_s) | max * 100 | round / 100 | tostring) + "]" | " " * (22 - length) + .) \($m | map(select(.host_overloaded == 1)) | length | tostring | " " * (10 - length) + .)"' \
			"$tmp/$name-j$j/results.json"
	done
	printf 'seed-003 set, --jobs %s: %.1f s\n\n' "$j" "$total"
done
