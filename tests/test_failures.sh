#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Kill failures end to end (inside UML here) while standby workers serve the trial (which
# used to turn them off): the kill takes worker-1 down (the server sees it leave), recovery
# lends the node another standby (the server sees worker-1 join again and it answers jobs),
# every job is answered, and no standby outlives the run.
set -u
cd "$(dirname "$0")/.."
Q=./${BUILD:-build}/qoslab
SHARED=../shared
. tests/lib.sh

need_models failures
. tests/kernel.sh
need_netem_kernel failures
tmp=$(mktemp -d /tmp/qoslab-failures-test.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
# worker-1 is killed at 0.5 s and recovered at 1 s; its replacement loads the model under the
# node's 0.5 CPU (as a worker restarted on a machine of its own would) while worker-2 answers
# alone, then takes jobs again
cat >"$tmp/kill.yaml" <<YAML
name: kill
seed: 5
warmup: 0
topology: {workers: 2, cpu: {worker: 0.5}}
model: default
timeline:
  - {at: 0.5s, action: fail, node: worker-1, failure: kill}
  - {at: 1s, action: recover, node: worker-1}
workload: {dataset: default, count: 64, mode: closed, concurrency: 2, timeout: 30, retries: 3}
YAML
$Q run "$tmp/kill.yaml" --out "$tmp/out" --jobs 1 >"$tmp/stdout" 2>"$tmp/stderr"; st=$?
check failures_run_ok "[ $st -eq 0 ]"
[ $st -eq 0 ] || tail -20 "$tmp/stderr" | sed 's/^/    /'
R=$tmp/out/results.json
check failures_every_job_answered "[ \$(jq '[.trials[].metrics.ok_jobs] | add' '$R') -eq 64 ]"
check failures_warm_workers "jq -e '[.trials[].metrics.warm_workers] == [1]' '$R' >/dev/null"
kt=$(ls -d "$tmp/out/trials/"*-p0-r0)
check failures_worker_killed "grep -q \"'worker-1' left\" '$kt/logs/server.log'"
check failures_worker_back "[ \$(grep -c \"'worker-1' .* joined\" '$kt/logs/server.log') -eq 2 ] && grep \"'worker-1'\" '$kt/logs/server.log' | tail -1 | grep -Eq 'after [1-9][0-9]* jobs'"
grep -c "'worker-1' .* joined" "$kt/logs/server.log" | grep -qx 2 || grep "worker-1" "$kt/logs/server.log" | sed 's/^/    /' 
check failures_no_standby_left "! pgrep -f 'worker --model .* --standby' >/dev/null"
