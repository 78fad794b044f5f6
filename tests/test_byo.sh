#!/usr/bin/env bash
# Bring your own processes (scenario run:): commands in nodes without the pipeline, their
# metric lines as trial metrics with CIs, logs per trial, bounded restarts, nothing left.
set -u
cd "$(dirname "$0")/.."
Q=./${BUILD:-build}/qoslab
. tests/lib.sh

. tests/kernel.sh
need_netem_kernel byo
tmp=$(mktemp -d /tmp/qoslab-byo-test.XXXXXX)
trap '[ -n "${KEEP:-}" ] || rm -rf "$tmp"' EXIT
# flaky fails twice (a counter in the trial directory, its cwd), then pings the server and
# prints metric lines on fd 3; broken always fails (2 restarts, then left alone); sleeper
# runs until the trial stops it
cat >"$tmp/byo.yaml" <<'YAML'
name: byo
seed: 3
repeats: 2
pipeline: false
links:
  - {node: server, direction: both, delay: 5ms}
run:
  - node: server
    name: sleeper
    argv: [sleep, 613]
  - node: worker-1
    name: broken
    argv: ["false"]
    restart: on-failure
    max_restarts: 2
    restart_delay: 0.1
  - node: client
    name: flaky
    argv:
      - sh
      - -c
      - |
        n=$(cat count 2>/dev/null || echo 0); echo $((n + 1)) >count
        [ "$n" -ge 2 ] || exit 1
        echo "$GREETING from $QOSLAB_NODE"
        rtt=$(ping -c 10 -i 0.05 -q "$1" | awk -F'[/= ]+' '/^rtt/ {print $6}')
        echo '{"x_value": 1, "label": "text is skipped"}' >&3
        echo "{\"x_value\": 3, \"rtt_ms\": $rtt}" >&3
      - sh
      - "{addr:server}"
    env: {GREETING: hello}
    restart: on-failure
    max_restarts: 5
    restart_delay: 0.1
    wait: true
    timeout: 60
    metrics: {fd: 3}
YAML
$Q scenario check "$tmp/byo.yaml" >"$tmp/check" 2>&1; st=$?
check byo_scenario_valid "[ $st -eq 0 ]"
$Q run "$tmp/byo.yaml" --out "$tmp/out" --jobs 1 >"$tmp/stdout" 2>"$tmp/stderr"; st=$?
check byo_run_exit_0 "[ $st -eq 0 ]"
[ $st -eq 0 ] || { sed 's/^/    /' "$tmp/stderr" | tail -20; cat "$tmp/out/trials/"*/run/*.log 2>/dev/null | sed 's/^/    /' | tail -30; }
R="$tmp/out/results.json"
# the mean of the lines (1 and 3), per trial; a CI over the 2 trials
check byo_metric_mean_of_lines "jq -e '[.trials[].metrics.x_value] == [2, 2]' '$R' >/dev/null"
check byo_metric_has_ci "jq -e '.points[0].stats.rtt_ms | .n == 2 and (.ci_lo | type) == \"number\" and .ci_lo <= .mean and .mean <= .ci_hi' '$R' >/dev/null"
check byo_metric_in_csv "head -1 '$tmp/out/results.csv' | tr , '\n' | grep -qx 'rtt_ms.ci_half'"
# 5 ms each way on the server's link: 10 ms round trip through {addr:server} (ping's
# minimum: its average carries a busy host's late timers)
check byo_rtt_is_the_delay "jq -e '[.trials[].metrics.rtt_ms] | all(. >= 9.5 and . < 12)' '$R' >/dev/null"
check byo_text_skipped "jq -e '[.trials[].metrics | has(\"label\")] | all(. == false)' '$R' >/dev/null"
check byo_plot "ls '$tmp/out/plots/' | grep -q rtt_ms || grep -q rtt_ms '$tmp/out/report.html'"
# flaky: 2 restarts; broken: 2 restarts, then no more
check byo_restarts_counted "jq -e '[.trials[].metrics.run_restarts] == [4, 4]' '$R' >/dev/null"
check byo_restart_bounded "for d in '$tmp/out/trials/'*/; do grep -q 'restart 2 of 2' \$d/run/broken.log && grep -q 'not restarted (max_restarts reached)' \$d/run/broken.log && [ \$(grep -c 'started false' \$d/run/broken.log) -eq 3 ] || exit 1; done"
check byo_logs_per_trial "[ \$(ls '$tmp/out/trials/'*/run/flaky.log | wc -l) -eq 2 ] && for d in '$tmp/out/trials/'*/; do grep -q 'hello from client' \$d/run/flaky.log || exit 1; done"
check byo_metrics_file_kept "[ \$(cat '$tmp/out/trials/'*/run/flaky.metrics.jsonl | wc -l) -eq 4 ]"
check byo_stopped_with_trial "for d in '$tmp/out/trials/'*/; do grep -q 'stopped with the trial (SIGTERM)' \$d/run/sleeper.log || exit 1; done"
# (other qoslab runs may share the host: look for this test's own processes only)
check byo_nothing_left "! pgrep -f 'sleep 613' >/dev/null"
check byo_manifest_no_model "jq -e '.model == null and .dataset == null' '$tmp/out/manifest.json' >/dev/null"

# beside the pipeline: a background command that is not waited for is stopped when the client
# is done, and its metric line (prefixed) joins the pipeline's metrics
SHARED=../shared
if [ -d "$SHARED/models" ] && [ -d "$SHARED/datasets/coco-val2017-64" ]; then
	cat >"$tmp/beside.yaml" <<'YAML'
name: beside
repeats: 1
sweep:
  - {key: "run[0].start", values: [0]}
workload: {count: 2}
run:
  - node: server
    argv: [sh, -c, 'echo "{\"lines\": 1}" >metrics.txt; exec sleep 619']
    metrics: {file: metrics.txt, prefix: bg_}
YAML
	$Q run "$tmp/beside.yaml" --out "$tmp/beside" >"$tmp/beside.out" 2>&1; st=$?
	check byo_beside_pipeline "[ $st -eq 0 ] && jq -e '.trials[0].metrics | .ok_jobs == 2 and .bg_lines == 1 and .run_restarts == 0' '$tmp/beside/results.json' >/dev/null"
	[ $st -eq 0 ] || tail -5 "$tmp/beside.out" | sed 's/^/    /'
	check byo_beside_stopped "grep -q 'stopped with the trial (SIGTERM)' '$tmp/beside/trials/'*/run/run-0.log"
else
	echo "skip - byo_beside_pipeline: $SHARED/models or the dataset missing"
fi

# Ctrl-C while a command the trial waits for runs: exit 130, nothing left behind
cat >"$tmp/long.yaml" <<'YAML'
name: long
pipeline: false
repeats: 2
run:
  - {node: client, argv: [sleep, 617], wait: true}
YAML
$Q run "$tmp/long.yaml" --out "$tmp/long" --jobs 1 >"$tmp/long.out" 2>&1 &
pid=$!
for _ in $(seq 120); do
	grep -qs 'started sleep' "$tmp/long/trials/"*/run/run-0.log && break
	sleep 0.5
done
kill -INT $pid
wait $pid; st=$?
check byo_interrupt_exit_130 "[ $st -eq 130 ]"
check byo_interrupt_leaves_nothing "! pgrep -f 'sleep 617' >/dev/null && ! pgrep -f 'umid=qoslab-uml-$pid' >/dev/null"

# a metric line may not take a built-in metric's name: the trial fails and says which
cat >"$tmp/clash.yaml" <<'YAML'
name: clash
pipeline: false
run:
  - {node: client, argv: [sh, -c, 'echo "{\"setup_s\": 1}" >&3'], wait: true, metrics: {fd: 3}}
YAML
$Q run "$tmp/clash.yaml" --out "$tmp/clash" >"$tmp/clash.out" 2>&1; st=$?
check byo_name_clash_fails "[ $st -ne 0 ] && grep -q 'metric setup_s of a run: command is a built-in metric' '$tmp/clash.out'"
