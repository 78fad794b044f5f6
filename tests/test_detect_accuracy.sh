#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# qoslab detect on the 64 dev images + qoslab accuracy: the reference mAP@0.5, clean stderr,
# error records for damaged files, one-line errors for bad options.
set -u
cd "$(dirname "$0")/.."
BUILD=${BUILD:-build}
Q=$BUILD/qoslab
SHARED=../shared
DATA=$SHARED/datasets/coco-val2017-64
MODEL=$SHARED/models/yolo-fastest-1.1-xl
# Measured here (Debian libdarknet 2018, plain resize, NMS 0.45, boxes mapped back through the
# network size): 0.4242. See models/detector.c for why the older 0.279 figure was lower.
MAP_EXPECTED=0.4242

if [ ! -d "$DATA/images" ] || [ ! -f "$MODEL.cfg" ]; then
	echo "skip - detect_accuracy: $DATA or $MODEL.cfg missing (../shared from the repo root)"
	exit 0
fi
tmp=$(mktemp -d /tmp/qoslab-test-detect.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
fails=0
check() { # name, then a command that must succeed
	local name=$1; shift
	if "$@"; then echo "ok - $name"; else echo "FAIL - $name"; fails=$((fails + 1)); fi
}

"$Q" detect --model "$MODEL" --out "$tmp/r.jsonl" "$DATA" 2>"$tmp/err"
st=$?
check detect_exit_0 test "$st" -eq 0
check detect_stderr_clean test ! -s "$tmp/err"
check detect_64_records test "$(grep -c '"status":"ok"' "$tmp/r.jsonl")" -eq 64

"$Q" accuracy --labels "$DATA/labels" --json "$tmp/r.jsonl" >"$tmp/acc.json" 2>"$tmp/err"
check accuracy_exit_0 test $? -eq 0
map=$(grep -o '"map50":[0-9.e-]*' "$tmp/acc.json" | cut -d: -f2)
prec=$(grep -o '"precision":[0-9.e-]*' "$tmp/acc.json" | head -1 | cut -d: -f2)
rec=$(grep -o '"recall":[0-9.e-]*' "$tmp/acc.json" | head -1 | cut -d: -f2)
echo "# mAP@0.5 $map (expected $MAP_EXPECTED), P $prec, R $rec at conf 0.25"
check map50_reference awk -v m="${map:-0}" -v e="$MAP_EXPECTED" 'BEGIN { d = m - e; exit !(d < 0.01 && d > -0.01) }'
check accuracy_table bash -c "'$Q' accuracy --labels '$DATA' '$tmp/r.jsonl' | grep -q '^mAP@0.5 '"

# damaged files become error records; the run goes on
: >"$tmp/empty.jpg"
echo "not a jpeg" >"$tmp/text.jpg"
head -c 20000 "$DATA/images/000000000285.jpg" >"$tmp/trunc.jpg"
"$Q" detect --model "$MODEL" --out "$tmp/d.jsonl" "$tmp/empty.jpg" "$tmp/text.jpg" "$tmp/trunc.jpg" 2>"$tmp/err"
check damaged_exit_0 test $? -eq 0
check damaged_errors test "$(grep -c '"status":"error"' "$tmp/d.jsonl")" -eq 2
check truncated_decoded grep -q '"image":"trunc.jpg","status":"ok"' "$tmp/d.jsonl"
check damaged_stderr_names_files test "$(grep -c "$tmp/empty.jpg\|$tmp/text.jpg" "$tmp/err")" -eq 2

# bad input: exit 2 and one line naming the option or file
"$Q" detect --quality 300 x.jpg 2>"$tmp/err"; st=$?
check bad_quality bash -c "[ $st -eq 2 ] && [ \$(wc -l <'$tmp/err') -eq 1 ] && grep -q -- --quality '$tmp/err'"
"$Q" accuracy --labels "$DATA/labels" /nonexistent.jsonl 2>"$tmp/err"; st=$?
check bad_records bash -c "[ $st -ne 0 ] && [ \$(wc -l <'$tmp/err') -eq 1 ] && grep -q nonexistent.jsonl '$tmp/err'"
"$Q" detect --help >/dev/null && "$Q" accuracy --help >/dev/null
check help_exit_0 test $? -eq 0
exit $((fails > 0))
