#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Hostile and unlucky workers: strings that are not UTF-8 text cost only the sending
# worker's connection (its job is re-dispatched to another worker and answered 200); JPEGs
# declaring huge sizes cost what --max-pixels allows; a worker busy when the server shuts
# down learns it and exits instead of reconnecting. Also the client's exit status.
# Loopback only; the misbehaving workers speak the protocol from python3.
set -u
cd "$(dirname "$0")/.."
Q=${BUILD:-build}/qoslab
tmp=$(mktemp -d /tmp/qoslab-whostile.XXXXXX)
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

start_server() { # tag, extra args...
	local tag=$1; shift
	"$Q" server --http 127.0.0.1:0 --listen 127.0.0.1:0 --ready-file "$tmp/$tag.ready" "$@" \
		2>"$tmp/$tag.server.log" &
	server=$!
	pids+=("$server")
	for _ in $(seq 200); do [ -s "$tmp/$tag.ready" ] && break; sleep 0.05; done
	http=$(sed -n 's/.*"http": "\([^"]*\)".*/\1/p' "$tmp/$tag.ready")
	listen=$(sed -n 's/.*"listen": "\([^"]*\)".*/\1/p' "$tmp/$tag.ready")
	[ -n "$http" ]
}
jqt() { jq -e "$@" >/dev/null; }
connected() { curl -s "http://$http/v1/stats" | jq -e ".workers.connected == $1" >/dev/null; }
wait_connected() { for _ in $(seq 200); do connected "$1" && return 0; sleep 0.05; done; return 1; }

# A fake worker: registers as NAME (python bytes literal), answers every job with ERROR
# (bytes) and one detection named DET, then waits for the server to close it.
cat >"$tmp/fake.py" <<'PY'
import socket, struct, sys, time
host, port = sys.argv[1].rsplit(":", 1)
name, error, det = (eval(a) for a in sys.argv[2:5])
def frame(t, p): return b"QL" + bytes([1, t]) + struct.pack(">I", len(p)) + p
def s16(b): return struct.pack(">H", len(b)) + b
s = socket.create_connection((host, int(port)))
s.sendall(frame(1, struct.pack(">H", 0) + s16(name) + s16(b"fake")))
buf = b""
def read_frame():
    global buf
    while True:
        if len(buf) >= 8:
            n = struct.unpack(">I", buf[4:8])[0]
            if len(buf) >= 8 + n:
                f, buf = buf[:8 + n], buf[8 + n:]
                return f[3], f[8:]
        d = s.recv(65536)
        if not d:
            return None, None
        buf += d
while True:
    t, p = read_frame()
    if t is None:
        print("closed by the server", flush=True)
        break
    if t == 4:
        job, attempt = struct.unpack(">QI", p[:12])
        st = 0 if not error else -22
        r = struct.pack(">QIi", job, attempt, st) + s16(error) + struct.pack(">10I", 640, 480, 100, 0, 0, 0, 0, 1, 1, 1)
        r += struct.pack(">I", 1) + struct.pack(">Hfffff", 1, 0.9, 0.5, 0.5, 0.1, 0.1) + s16(det)
        s.sendall(frame(5, r))
        print("answered job", job, flush=True)
PY

start_server strings --heartbeat-timeout 60 || { echo "FAIL - server_ready"; exit 1; }
printf '\xff\xd8\xff\xe0 fake \xff\xd9' >"$tmp/img.jpg"

# A client that gives up while its job waits for a worker: the job is cancelled, and the
# worker that joins later gets nothing to do.
timeout 1 curl -s -o /dev/null --data-binary @"$tmp/img.jpg" "http://$http/v1/jobs"
gone() { curl -s "http://$http/v1/stats" | jqt '.counters.cancelled == 1 and .queue_depth == 0'; }
for _ in $(seq 100); do gone && break; sleep 0.05; done
check hung_up_job_cancelled gone

# A name that is not UTF-8: the registration is a bad frame; that connection only is closed.
timeout 10 python3 "$tmp/fake.py" "$listen" "b'w\xff\xfe'" "b''" "b'person'" >"$tmp/badname.out" 2>&1
"$Q" worker --server "$listen" --name "$(printf 'w\xff')" 2>"$tmp/badname.err"
check worker_bad_name_usage_error [ $? -eq 2 ]
check bad_name_connection_closed grep -q 'closed by the server' "$tmp/badname.out"
check stats_still_json bash -c "curl -s http://$http/v1/stats | jq -e '.counters.bad_frames == 1' >/dev/null"

# A worker answering with an error string (and a detection name) that is not UTF-8 loses its
# connection; its job goes to the next worker, which answers it: 200 with detections.
python3 "$tmp/fake.py" "$listen" "b'evil'" "b'bad \xc3\x28 error'" "b'p\xffrson'" >"$tmp/evil.out" 2>&1 &
evil=$!
pids+=("$evil")
wait_connected 1
curl -s -o "$tmp/job.json" -w '%{http_code}' -H 'Content-Type: image/jpeg' \
	--data-binary @"$tmp/img.jpg" "http://$http/v1/jobs" >"$tmp/job.code" &
client=$!
pids+=("$client")
for _ in $(seq 200); do grep -q 'closed by the server' "$tmp/evil.out" && break; sleep 0.05; done
check evil_worker_closed grep -q 'closed by the server' "$tmp/evil.out"
python3 "$tmp/fake.py" "$listen" "b'good'" "b''" "b'person'" >"$tmp/good.out" 2>&1 &
pids+=("$!")
wait "$client"
check job_answered_200 [ "$(cat "$tmp/job.code")" = 200 ]
check good_worker_ran_one_job [ "$(grep -c 'answered job' "$tmp/good.out")" -eq 1 ]
check job_answered_by_good jqt '.worker == "good" and .attempts == 2 and .detections[0].name == "person"' "$tmp/job.json"
check bad_frames_counted bash -c "curl -s http://$http/v1/stats | jq -e '.counters.bad_frames == 2 and .counters.redispatched == 1' >/dev/null"

# The client's exit status: every record lost on a full disk is a failure (1), as is a run
# in which no job succeeded (3, documented in --help); a good run is 0 with every record.
D=${QOSLAB_DATASET:-../shared/datasets/coco-val2017-64}
"$Q" client --server "http://$http" --dataset "$D" --count 3 --out /dev/full >"$tmp/full.out" 2>&1
check client_dev_full_exit_1 [ $? -eq 1 ]
check client_dev_full_says_lost grep -q 'No space left on device: records were lost' "$tmp/full.out"
"$Q" client --server "http://$http" --dataset "$D" --count 3 --out "$tmp/c.jsonl" >"$tmp/c.out" 2>&1
check client_ok_exit_0 [ $? -eq 0 ]
check client_ok_3_records [ "$(grep -c '"status":"ok"' "$tmp/c.jsonl")" -eq 3 ]
"$Q" client --server "http://$http" --dataset "$D" --count 3 --out - >/dev/full 2>"$tmp/c.err"
check client_stdout_full_exit_1 [ $? -eq 1 ]
"$Q" client --server http://127.0.0.1:1 --dataset "$D" --count 2 --retries 0 --out "$tmp/dead.jsonl" >/dev/null 2>"$tmp/dead.err"
check client_dead_server_exit_3 [ $? -eq 3 ]
check client_dead_server_says grep -q 'no job succeeded' "$tmp/dead.err"
"$Q" client --server http://no-such-host.invalid --dataset "$D" --count 1 --retries 0 --out "$tmp/dead.jsonl" >/dev/null 2>&1
check client_unresolvable_exit_3 [ $? -eq 3 ]
mkdir -p "$tmp/ds/images" && cp "$tmp/img.jpg" "$tmp/ds/images/a.jpg" && mkfifo "$tmp/ds/images/b.jpg"
timeout 20 "$Q" client --server "http://$http" --dataset "$tmp/ds" --out "$tmp/fifo.jsonl" >/dev/null 2>&1
check client_fifo_image_no_hang [ $? -eq 0 ]
# the one image lister (models/images.c) lists regular files only: a FIFO is not an image
check client_fifo_image_skipped [ "$(grep -c '"image":"a.jpg","status":"ok"' "$tmp/fifo.jsonl")" -eq 1 ]
check client_fifo_image_not_listed [ "$(grep -c 'b.jpg' "$tmp/fifo.jsonl")" -eq 0 ]
check client_help_documents_exit grep -q '^Exit status: 0 when every record' <("$Q" client --help)
kill -TERM "$server"; wait "$server"
check strings_server_exit_0 [ $? -eq 0 ]

# A worker busy in a job when the server shuts down: it learns the server is gone and
# exits 0 at once instead of reconnecting for --connect-timeout.
# Decompression amplification: a JPEG declaring 8192 x 8192 is decoded down-scaled (cost
# follows --max-pixels, not the header); one declaring 30000 x 30000 is refused with 422
# naming its real size.
img=$(ls "${QOSLAB_DATASET:-../shared/datasets/coco-val2017-64}"/images/*.jpg | head -1)
patch() { # in, out, w, h: rewrites the SOF header's size
	python3 - "$@" <<'PY'
import sys, struct
d = bytearray(open(sys.argv[1], "rb").read())
w, h = int(sys.argv[3]), int(sys.argv[4])
i = 2
while i < len(d):
    m, n = d[i + 1], struct.unpack(">H", d[i + 2:i + 4])[0]
    if 0xc0 <= m <= 0xc2:
        d[i + 5:i + 9] = struct.pack(">HH", h, w)
        break
    i += 2 + n
open(sys.argv[2], "wb").write(d)
PY
}
patch "$img" "$tmp/8192.jpg" 8192 8192
patch "$img" "$tmp/30000.jpg" 30000 30000
start_server pixels || { echo "FAIL - server_ready"; exit 1; }
"$Q" worker --server "$listen" --name w1 2>"$tmp/pixels.worker.log" &
worker=$!
pids+=("$worker")
wait_connected 1
code=$(curl -s -o "$tmp/8192.json" -w '%{http_code}' --data-binary @"$tmp/8192.jpg" "http://$http/v1/jobs")
check declared_8192_answered [ "$code" = 200 ]
check declared_8192_real_size jqt '.width == 8192 and .height == 8192' "$tmp/8192.json"
hwm=$(awk '/VmHWM/ {print $2}' "/proc/$worker/status")
check "declared_8192_worker_peak_rss_${hwm}_kB_below_400MB" [ "$hwm" -lt 400000 ]
code=$(curl -s -o "$tmp/30000.json" -w '%{http_code}' --data-binary @"$tmp/30000.jpg" "http://$http/v1/jobs")
check declared_30000_422 [ "$code" = 422 ]
check declared_30000_real_size jqt '.width == 30000 and .height == 30000 and (.error | test("pixels"))' "$tmp/30000.json"
kill -TERM "$server"; wait "$server"
wait "$worker"
check pixels_worker_exit_0 [ $? -eq 0 ]

# Heartbeats every 50 ms: one is sent into the closed connection while the detector runs,
# which is what broke the session before the worker could read BYE.
start_server busy --heartbeat-ms 50 || { echo "FAIL - server_ready"; exit 1; }
"$Q" worker --server "$listen" --name w1 --connect-timeout 30 2>"$tmp/worker.log" &
worker=$!
pids+=("$worker")
wait_connected 1
check worker_registered connected 1
curl -s -o /dev/null -H 'Content-Type: image/jpeg' --data-binary @"$img" "http://$http/v1/jobs" &
pids+=("$!")
for _ in $(seq 200); do curl -s "http://$http/v1/stats" | jq -e '.running == 1' >/dev/null && break; sleep 0.02; done
kill -TERM "$server"; wait "$server"  # the worker is inside its job
t0=$(date +%s)
for _ in $(seq 100); do kill -0 "$worker" 2>/dev/null || break; sleep 0.1; done
wait "$worker"; st=$?
check busy_worker_exits_0 [ "$st" -eq 0 ]
check busy_worker_exits_at_once [ $(( $(date +%s) - t0 )) -le 5 ]
check busy_worker_no_reconnect bash -c "! grep -q 'registration failed\|unreachable\|cannot answer' '$tmp/worker.log'"
grep -q . "$tmp/worker.log" && sed 's/^/    worker: /' "$tmp/worker.log" | tail -5
[ "$fails" -eq 0 ]
