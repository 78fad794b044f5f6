#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Pipeline throughput vs the bare detector, and per-job overhead (issue 3 benchmark).
#
#   bench/pipeline.sh [REPS]      (default 3 repetitions of the 64 dev images)
#
# Detector only: `qoslab detect` pinned to CPU 0; its images/s is (N-1) / (t(N) - t(1)) so
# that model loading and darknet's first-call warm-up do not count.
# Pipeline: server and client pinned to CPU 1, one worker pinned to CPU 0 (the same core
# budget for the detector), client closed loop with 2 outstanding jobs so the worker always
# has the next job queued; images/s = ok jobs / client wall time.
# Overhead per job: 16 sequential curl POSTs; the server's timings split client latency into
# HTTP (curl total - server total), queue + dispatch (server total - worker time; protocol
# and transfer), decode (worker JPEG decode, also part of detect).
set -eu
cd "$(dirname "$0")/.."
REPS=${1:-3}
Q=${BUILD:-build}/qoslab
SHARED=${QOSLAB_SHARED:-../shared}
DATA=${QOSLAB_DATASET:-$SHARED/datasets/coco-val2017-64}
MODEL=${QOSLAB_MODEL:-$SHARED/models/yolo-fastest-1.1-xl}
for t in jq taskset curl; do
	command -v "$t" >/dev/null || { echo "bench/pipeline.sh: needs $t" >&2; exit 1; }
done
[ -x "$Q" ] || { echo "bench/pipeline.sh: build first (make all)" >&2; exit 1; }
[ -d "$DATA/images" ] && [ -f "$MODEL.cfg" ] || {
	echo "bench/pipeline.sh: dataset $DATA or model $MODEL.cfg missing" >&2; exit 1; }
if [ "$(nproc)" -lt 2 ]; then CPU_W=0 CPU_S=0; else CPU_W=0 CPU_S=1; fi

tmp=$(mktemp -d /tmp/qoslab-bench.XXXXXX)
pids=()
cleanup() {
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
	wait 2>/dev/null || true
	rm -rf "$tmp"
}
trap cleanup EXIT
mapfile -t images < <(ls "$DATA"/images/*.jpg | sort)
n=${#images[@]}

now() { date +%s.%N; }

echo "# qoslab pipeline benchmark: $n images x $REPS, $(nproc) CPUs, load $(cut -d' ' -f1-3 /proc/loadavg)"
taskset -c "$CPU_S" "$Q" server --http 127.0.0.1:0 --listen 127.0.0.1:0 --quiet \
	--ready-file "$tmp/ready" 2>"$tmp/server.log" &
pids+=($!)
for _ in $(seq 200); do [ -s "$tmp/ready" ] && break; sleep 0.05; done
http=$(jq -r .http "$tmp/ready")
listen=$(jq -r .listen "$tmp/ready")
taskset -c "$CPU_W" "$Q" worker --server "$listen" --model "$MODEL" --name bench --quiet \
	2>"$tmp/worker.log" &
pids+=($!)
for _ in $(seq 400); do
	[ "$(curl -s "http://$http/v1/health" | jq -r .workers)" = 1 ] && break
	sleep 0.05
done

# Detector and pipeline repetitions alternate so that a change in the machine's load (other
# jobs on a shared host) does not favour one of them.
det_rates=() pipe_rates=()
for r in $(seq "$REPS"); do
	t0=$(now); taskset -c "$CPU_W" "$Q" detect --model "$MODEL" --out /dev/null "${images[0]}"; t1=$(now)
	taskset -c "$CPU_W" "$Q" detect --model "$MODEL" --out /dev/null "${images[@]}"; t2=$(now)
	rate=$(awk -v a="$t0" -v b="$t1" -v c="$t2" -v n="$n" 'BEGIN { printf "%.3f", (n - 1) / ((c - b) - (b - a)) }')
	det_rates+=("$rate")
	echo "detect     rep $r: $rate images/s"
	line=$(taskset -c "$CPU_S" "$Q" client --server "http://$http" --dataset "$DATA" \
		--out "$tmp/run$r.jsonl" --concurrency 2 --timeout 120)
	rate=$(sed -n 's/.* \([0-9.]*\) ok\/s;.*/\1/p' <<<"$line")
	pipe_rates+=("$rate")
	echo "pipeline   rep $r: $rate images/s   ($line)"
done

# Per-job overhead, one job at a time.
: >"$tmp/timings"
for img in "${images[@]:0:16}"; do
	curl -s -o "$tmp/answer.json" -w '%{time_total}\n' -H 'Content-Type: image/jpeg' \
		--data-binary @"$img" "http://$http/v1/jobs" >"$tmp/curl_t"
	jq -r --arg c "$(cat "$tmp/curl_t")" \
		'[($c | tonumber) * 1000, .timings_ms.total, .timings_ms.worker, .timings_ms.queue,
		  .timings_ms.dispatch, .timings_ms.decode, .timings_ms.infer] | @tsv' \
		"$tmp/answer.json" >>"$tmp/timings"
done

mean() { tr ' ' '\n' | awk 'NF { s += $1; n++ } END { printf "%.3f", s / n }'; }
det=$(echo "${det_rates[@]}" | mean)
pipe=$(echo "${pipe_rates[@]}" | mean)
echo
echo "detector only : $det images/s (mean of ${det_rates[*]})"
echo "pipeline      : $pipe images/s (mean of ${pipe_rates[*]})"
awk -v d="$det" -v p="$pipe" 'BEGIN { printf "ratio         : %.1f %% of the detector (target >= 95 %%)\n", 100 * p / d }'
awk -F'\t' '{ c += $1; t += $2; w += $3; q += $4; di += $5; de += $6; inf += $7; n++ }
END {
	printf "per job (%d sequential jobs, ms): client latency %.2f = worker %.2f (decode %.2f, infer %.2f)\n", n, c/n, w/n, de/n, inf/n
	printf "  + HTTP client<->server %.2f + server queue %.2f + dispatch/protocol %.2f + rest %.2f\n", (c-t)/n, q/n, di/n, (t-w-q-di)/n
	printf "  overhead outside the detector: %.2f ms per job\n", (c-w)/n
}' "$tmp/timings"
