#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# The server's HTTP API seen with curl, with no worker attached: health, stats, busy answer
# when the queue is full, 400/404 answers, a bad frame on the worker port closing only that
# connection, and the answer pending jobs get at shutdown. Loopback only, ephemeral ports.
set -u
cd "$(dirname "$0")/.."
Q=${BUILD:-build}/qoslab
tmp=$(mktemp -d /tmp/qoslab-http.XXXXXX)
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

"$Q" server --http 127.0.0.1:0 --listen 127.0.0.1:0 --queue 1 --ready-file "$tmp/ready" \
	2>"$tmp/server.log" &
server=$!
pids+=("$server")
for _ in $(seq 100); do [ -s "$tmp/ready" ] && break; sleep 0.05; done
if [ ! -s "$tmp/ready" ]; then
	echo "FAIL - server_ready"; cat "$tmp/server.log"; exit 1
fi
http=$(sed -n 's/.*"http": "\([^"]*\)".*/\1/p' "$tmp/ready")
listen=$(sed -n 's/.*"listen": "\([^"]*\)".*/\1/p' "$tmp/ready")
printf '\xff\xd8\xff\xe0 not really a jpeg \xff\xd9' >"$tmp/img.jpg"

body=$(curl -s -w ' %{http_code}' "http://$http/v1/health")
check health [ "$body" = '{"status":"ok","workers":0}
 200' ]

body=$(curl -s "http://$http/v1/stats")
check stats_json grep -q '"queue_depth":0,"queue_max":1,' <<<"$body"

# No worker: the first job waits in the queue (1 place), the second is refused as busy.
curl -s -o "$tmp/first.json" -w '%{http_code}' -H 'Content-Type: image/jpeg' \
	--data-binary @"$tmp/img.jpg" "http://$http/v1/jobs" >"$tmp/first.code" &
first=$!
pids+=("$first")
for _ in $(seq 100); do
	curl -s "http://$http/v1/stats" | grep -q '"queue_depth":1,' && break
	sleep 0.05
done
code=$(curl -s -o "$tmp/busy.json" -w '%{http_code}' -H 'Content-Type: image/jpeg' \
	--data-binary @"$tmp/img.jpg" "http://$http/v1/jobs")
check busy_503 [ "$code" = 503 ]
check busy_json grep -q '"status":"busy","error":"server busy: job queue full' "$tmp/busy.json"
check busy_counted grep -q '"rejected_busy":1,' <(curl -s "http://$http/v1/stats")

code=$(curl -s -o "$tmp/bad.json" -w '%{http_code}' --data-binary @"$tmp/img.jpg" \
	"http://$http/v1/jobs?qualty=50")
check unknown_param_400 [ "$code" = 400 ]
check unknown_param_named grep -q "unknown query parameter 'qualty'" "$tmp/bad.json"
code=$(curl -s -o /dev/null -w '%{http_code}' --data-binary @"$tmp/img.jpg" \
	"http://$http/v1/jobs?quality=101")
check quality_range_400 [ "$code" = 400 ]
code=$(curl -s -o /dev/null -w '%{http_code}' -X POST "http://$http/v1/jobs")
check empty_body_400 [ "$code" = 400 ]
code=$(curl -s -o /dev/null -w '%{http_code}' "http://$http/v1/nothing")
check not_found_404 [ "$code" = 404 ]
code=$(curl -s -o /dev/null -w '%{http_code}' --data-binary @"$tmp/img.jpg" \
	"http://$http/v1/jobs?udp=5&size=100&chunk=512")
check udp_without_port_400 [ "$code" = 400 ]

# Every request gets a status and a JSON error, also with a body on another path.
answered() { # expected code, curl args...
	local want=$1; shift
	local code
	code=$(timeout 10 curl -s -o "$tmp/ans.json" -w '%{http_code}' "$@")
	[ "$code" = "$want" ] && jq -e '.status == "error" and (.error | length > 0)' "$tmp/ans.json" >/dev/null
}
head -c 200000 /dev/urandom >"$tmp/blob"
check put_jobs_405_json answered 405 -X PUT --data-binary @"$tmp/blob" "http://$http/v1/jobs"
check post_health_405_json answered 405 -X POST --data-binary @"$tmp/blob" "http://$http/v1/health"
check post_unknown_404_json answered 404 -X POST --data-binary @"$tmp/blob" "http://$http/unknown"
check delete_stats_405_json answered 405 -X DELETE "http://$http/v1/stats"
check non_utf8_path_404_json answered 404 --data-binary @"$tmp/blob" "http://$http/%ff%fe"
check non_utf8_param_400_json answered 400 --data-binary @"$tmp/img.jpg" "http://$http/v1/jobs?%ff=%fe"
check quality_not_a_number answered 400 --data-binary @"$tmp/img.jpg" "http://$http/v1/jobs?quality=50abc"
check quality_not_a_number_says_so grep -q "quality='50abc' is not a number" "$tmp/ans.json"
check quality_range_says_so answered 400 --data-binary @"$tmp/img.jpg" "http://$http/v1/jobs?quality=101"
check quality_range_says_out_of_range grep -q "quality='101' is out of range" "$tmp/ans.json"
check repeated_key_400 answered 400 --data-binary @"$tmp/img.jpg" "http://$http/v1/jobs?resize=50&resize=60"
check repeated_key_named grep -q "query parameter 'resize' given twice" "$tmp/ans.json"

# An oversize Content-Length is refused from the headers: no body byte is sent here.
early413() {
	exec 3<>"/dev/tcp/127.0.0.1/${http##*:}" || return 1
	printf 'POST /v1/jobs HTTP/1.1\r\nHost: x\r\nContent-Type: image/jpeg\r\nContent-Length: 100000000000\r\n\r\n' >&3
	timeout 3 head -c 12 <&3 >"$tmp/early"
	exec 3<&-
	grep -q '^HTTP/1.1 413' "$tmp/early"
}
check content_length_413_at_once early413

# Without a Content-Length (chunked), an endless body is cut off after twice the limit
# (32 MiB by default) instead of being read to its end.
chunked() {
	head -c 200000000 /dev/zero | timeout 30 curl -s -o /dev/null -w '%{size_upload}' \
		-H 'Transfer-Encoding: chunked' --data-binary @- "http://$http/v1/jobs" >"$tmp/up"
	[ "$(cat "$tmp/up")" -lt 100000000 ] 2>/dev/null
}
check chunked_oversize_cut_off chunked

# Worker port: an oversized frame header and plain garbage each close only their connection.
worker_port=${listen##*:}
closed() { # bytes (printf format) -> 0 when the server closes the connection
	exec 3<>"/dev/tcp/127.0.0.1/$worker_port" || return 1
	printf "$1" >&3
	timeout 3 cat <&3 >/dev/null 2>&1
	local st=$?
	exec 3<&-
	# EOF, or a reset when the server closed with our unread bytes still queued (it reads
	# only the 8-byte header of a bad frame); 124 is the timeout: still open
	[ "$st" -ne 124 ]
}
check oversized_frame_closes closed 'QL\x01\x05\xff\xff\xff\xff'
check garbage_closes closed 'GET / HTTP/1.0\r\n\r\n'
check bad_frames_counted grep -q '"bad_frames":2,' <(curl -s "http://$http/v1/stats")
check still_healthy grep -q '"status":"ok"' <(curl -s "http://$http/v1/health")
check queued_job_still_waiting kill -0 "$first"

# Shutdown answers the queued job instead of dropping it.
kill -TERM "$server"
wait "$first"
check shutdown_answers_queued_job [ "$(cat "$tmp/first.code")" = 503 ]
check shutdown_json grep -q '"error":"server shutting down"' "$tmp/first.json"
wait "$server"
check server_exit_0 [ $? -eq 0 ]
[ "$fails" -eq 0 ]
