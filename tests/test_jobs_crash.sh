#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Asynchronous jobs survive a SIGKILLed server: the async client submits 50 jobs (202 each)
# while no worker is up, one darknet worker answers some, the server is SIGKILLed, a new
# server starts on the same SQLite database and the same ports, the worker reconnects and the
# client's polls find every job answered exactly once: finished jobs are not run again
# (completed after restart == jobs recovered), unfinished ones are, and the client writes
# 50 ok records for 50 distinct jobs. Also the API: list newest first, status filter,
# paging, DELETE of a queued job, 404s; the board's pages are served. Real processes on
# loopback.
set -u
cd "$(dirname "$0")/.."
Q=${BUILD:-build}/qoslab
DATASET=${QOSLAB_DATASET:-../shared/datasets/coco-val2017-64}
if [ ! -d "$DATASET/images" ] || [ ! -e "${QOSLAB_MODELS:-../shared/models}/yolo-fastest-1.1-xl.cfg" ]; then
	echo "skip - jobs_crash: ../shared models or dataset missing"; exit 0
fi
tmp=$(mktemp -d /tmp/qoslab-crash.XXXXXX)
pids=()
cleanup() {
	for p in "${pids[@]}"; do kill -9 "$p" 2>/dev/null; wait "$p" 2>/dev/null; done
	rm -rf "$tmp"
}
trap cleanup EXIT
fails=0
check() { # name, condition command...
	local name=$1; shift
	if "$@"; then echo "ok - $name"; else echo "FAIL - $name"; fails=$((fails + 1)); fi
}
wait_for() { # tries (x 0.1 s), condition command...
	local n=$1; shift
	for _ in $(seq "$n"); do "$@" && return 0; sleep 0.1; done
	return 1
}
start_server() { # http listen log
	"$Q" server --http "$1" --listen "$2" --db "$tmp/jobs.db" --job-timeout 600 \
		--ready-file "$tmp/ready" 2>>"$3" &
	server=$!
	pids+=("$server")
	wait_for 100 test -s "$tmp/ready"
}
count() { # status -> jobs with it
	curl -s "http://$http/v1/jobs?limit=1" | jq -r ".counts.$1"
}
at_least() { # status n: evaluated on each call (for wait_for)
	local c
	c=$(count "$1" 2>/dev/null)
	[ -n "$c" ] && [ "$c" -ge "$2" ]
}

rm -f "$tmp/ready"
start_server 127.0.0.1:0 127.0.0.1:0 "$tmp/server1.log" || { echo "FAIL - server_ready"; exit 1; }
http=$(jq -r .http "$tmp/ready")
listen=$(jq -r .listen "$tmp/ready")
check wal_mode test -e "$tmp/jobs.db-wal"

# The board's pages come from the binary, with a policy that allows only the server's files.
page=$(curl -s -D "$tmp/page.hdr" "http://$http/")
check board_page grep -q '<title>qoslab job board</title>' <<<"$page"
check board_csp grep -qi "^Content-Security-Policy: default-src 'self'" "$tmp/page.hdr"
check board_script [ "$(curl -s -o /dev/null -w '%{http_code} %{content_type}' "http://$http/static/board.js")" = "200 text/javascript; charset=utf-8" ]
check job_page grep -q 'job.js' <(curl -s "http://$http/jobs/7")
check static_404 [ "$(curl -s -o /dev/null -w '%{http_code}' "http://$http/static/../api.c")" = 404 ]

# API shape with one queued job that is then cancelled (no worker yet: it stays queued).
img=$(ls "$DATASET"/images/*.jpg | head -1)
hdr=$(curl -s -D - -o "$tmp/a.json" -H 'Prefer: respond-async' --data-binary @"$img" \
	"http://$http/v1/jobs?name=%3Cscript%3E.jpg")
check async_202 grep -q '^HTTP/1.1 202' <<<"$hdr"
check async_location grep -qi '^Location: /v1/jobs/1' <<<"$hdr"
check async_queued [ "$(jq -r .status "$tmp/a.json")" = queued ]
check get_job [ "$(curl -s "http://$http/v1/jobs/1" | jq -r '.status + " " + .name')" = "queued <script>.jpg" ]
check delete_queued [ "$(curl -s -o /dev/null -w '%{http_code}' -X DELETE "http://$http/v1/jobs/1")" = 200 ]
check delete_again_409 [ "$(curl -s -o /dev/null -w '%{http_code}' -X DELETE "http://$http/v1/jobs/1")" = 409 ]
check cancelled [ "$(curl -s "http://$http/v1/jobs/1" | jq -r .status)" = cancelled ]
check unknown_404 [ "$(curl -s -o /dev/null -w '%{http_code}' "http://$http/v1/jobs/999")" = 404 ]
check bad_status_400 [ "$(curl -s -o /dev/null -w '%{http_code}' "http://$http/v1/jobs?status=nope")" = 400 ]

# 50 asynchronous jobs through the client, which then polls until every one is answered.
"$Q" client --server "http://$http" --dataset "$DATASET" --out "$tmp/records.jsonl" --count 50 \
	--async --concurrency 8 --poll-ms 100 --timeout 5 --duration 300 >"$tmp/client.out" 2>&1 &
client=$!
pids+=("$client")
check accepted_50 wait_for 300 at_least queued 50
check list_newest_first [ "$(curl -s "http://$http/v1/jobs?limit=3" | jq -c '[.jobs[].job]')" = '[51,50,49]' ]
check list_paged [ "$(curl -s "http://$http/v1/jobs?limit=2&before=50" | jq -c '[.jobs[].job]')" = '[49,48]' ]
check list_status_filter [ "$(curl -s "http://$http/v1/jobs?status=cancelled" | jq -c '[.jobs[].job]')" = '[1]' ]

"$Q" worker --server "$listen" --name w1 --connect-timeout 60 2>"$tmp/worker.log" &
pids+=("$!")
wait_for 1200 at_least done 10
kill -9 "$server"
wait "$server" 2>/dev/null
done_before=$(grep -c '"status":"ok"' "$tmp/records.jsonl")
echo "  SIGKILL after the worker answered; the client had seen $done_before results" >&2

rm -f "$tmp/ready"
start_server "$http" "$listen" "$tmp/server2.log" || { echo "FAIL - restart"; cat "$tmp/server2.log"; exit 1; }
recovered=$(sed -n 's/.*(\([0-9]*\) jobs recovered).*/\1/p' "$tmp/server2.log")
done_kept=$(count done)
echo "  restart: $recovered jobs recovered, $done_kept done kept" >&2
check recovered_plus_done_50 [ $((recovered + done_kept)) -eq 50 ]
check some_done_before_kill [ "$done_kept" -ge 10 ]
check some_left_to_recover [ "$recovered" -ge 1 ]

wait "$client"
check client_exit_0 [ $? -eq 0 ]
check all_50_done [ "$(count done)" = 50 ]
check records_50_ok [ "$(jq -r 'select(.status=="ok" and .mode=="async") | .image' "$tmp/records.jsonl" | wc -l)" = 50 ]
check records_distinct_jobs [ "$(jq -r .job "$tmp/records.jsonl" | sort -u | wc -l)" = 50 ]
stats=$(curl -s "http://$http/v1/stats")
completed=$(jq -r .counters.completed <<<"$stats")
echo "  after restart the server completed $completed jobs (recovered $recovered)" >&2
check exactly_once_no_rerun [ "$completed" = "$recovered" ]
check every_job_has_result [ "$(curl -s "http://$http/v1/jobs?status=done&limit=500" | jq '[.jobs[] | select(.detections == null)] | length')" = 0 ]
sed 's/^/  /' "$tmp/client.out" >&2

kill -TERM "$server"
wait "$server"
check server_exit_0 [ $? -eq 0 ]
[ "$fails" -eq 0 ]
