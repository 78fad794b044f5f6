#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Each UML guest task keeps its own vector registers, with and without the xstate preload:
# processes and threads fill SSE/AVX/AVX-512 registers with patterns of their own and check
# them after thousands of context switches (tests/vecstress.c); and darknet's detections made
# inside UML equal the host's byte for byte on 16 images. QOSLAB_XSTATE_MIN_BYTES=11008 makes
# the preload widen every transfer to an AMX host's size, so its path runs on any CPU.
set -u
cd "$(dirname "$0")/.."
BUILD=${BUILD:-build}
Q=$BUILD/qoslab
SHARED=../shared
DATA=$SHARED/datasets/coco-val2017-64/images
MODEL=$SHARED/models/yolo-fastest-1.1-xl
ok() { echo "ok - $1"; }
fail() { echo "FAIL - $1"; }

. tests/kernel.sh
need_uml xstate_uml
tmp=$(mktemp -d /tmp/qoslab-test-xstate.XXXXXX)
trap 'rm -rf "$tmp"' EXIT

for mode in plain widened; do
	env=()
	[ $mode = widened ] && env=(QOSLAB_XSTATE_MIN_BYTES=11008)
	env "${env[@]}" "$Q" uml -- "$BUILD/tests/vecstress" 4 3 30 300 >"$tmp/vec-$mode" 2>&1
	st=$?
	if [ $st -eq 0 ] && grep -q 'every register kept its pattern' "$tmp/vec-$mode"; then
		ok "xstate_uml_registers_isolated_$mode"
	else
		fail "xstate_uml_registers_isolated_$mode"; sed 's/^/    /' "$tmp/vec-$mode"
	fi
done

if [ ! -d "$DATA" ] || [ ! -f "$MODEL.cfg" ]; then
	echo "skip - xstate_uml_detections_equal_host: $DATA or $MODEL.cfg missing"; exit 0
fi
mkdir -p "$tmp/img"
for f in $(ls "$DATA" | sort | head -n 16); do ln -s "$(cd "$DATA" && pwd)/$f" "$tmp/img/$f"; done
"$Q" detect --model "$MODEL" --out "$tmp/host.jsonl" "$tmp/img" 2>"$tmp/host.err"
QOSLAB_XSTATE_MIN_BYTES=11008 "$Q" uml -- "$Q" detect --model "$MODEL" --out "$tmp/uml.jsonl" \
	"$tmp/img" 2>"$tmp/uml.err"
# the records carry timings; the detections are what must match
strip() { jq -c '{image, status, error, width, height, detections}' "$1"; }
n=$(wc -l <"$tmp/host.jsonl" 2>/dev/null || echo 0)
if [ "$n" -eq 16 ] && cmp -s <(strip "$tmp/host.jsonl") <(strip "$tmp/uml.jsonl"); then
	ok xstate_uml_detections_equal_host
else
	fail xstate_uml_detections_equal_host
	echo "    host $n records, uml $(wc -l <"$tmp/uml.jsonl" 2>/dev/null) records"
	diff <(strip "$tmp/host.jsonl") <(strip "$tmp/uml.jsonl") | head -5 | sed 's/^/    /'
	tail -3 "$tmp/uml.err" | sed 's/^/    /'
fi
exit 0
