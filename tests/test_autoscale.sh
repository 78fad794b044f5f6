#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Seed 001's autoscaler in a real trial (inside UML here): a burst of 48 asynchronous jobs
# on two workers; the controller reads the queue through the API and adds fresh worker nodes
# (1 s provisioning) up to max 3. Every job ok, the time series (queue depth, in flight,
# workers, each second) written, the pool grew to 3 and the new worker did jobs; a fixed
# pool of 2 (max 0) never grows; the autoscaled pool meets the burst with both starting
# workers (idle before it, they are not drained). Also: the checker refuses an impossible
# autoscaler.
set -u
cd "$(dirname "$0")/.."
Q=./${BUILD:-build}/qoslab
SHARED=../shared
. tests/lib.sh

need_models autoscale
. tests/kernel.sh
need_netem_kernel autoscale
tmp=$(mktemp -d /tmp/qoslab-autoscale.XXXXXX)
trap 'rm -rf "$tmp"' EXIT

printf 'topology: {workers: 2}\nmodel: default\nautoscaler: {max: 3, min: 3}\n' >"$tmp/bad.yaml"
out=$($Q scenario check "$tmp/bad.yaml" 2>&1); st=$?
check check_min_max "[ $st -eq 2 ] && grep -q 'needs min <= topology.workers' <<<\"\$out\""

cat >"$tmp/as.yaml" <<YAML
name: autoscale
seed: 5
topology: {workers: 2}
model: default
workload: {dataset: default, count: 48, mode: closed, concurrency: 48, async: true, timeout: 60, retries: 1}
autoscaler: {max: 3, min: 1, scale_out_queue: 1, scale_in_queue: 0, cooldown: 1s, provisioning: 1s, interval: 1s}
sweep:
  - {key: autoscaler.max, values: [0, 3]}
YAML
$Q run "$tmp/as.yaml" --out "$tmp/out" >"$tmp/stdout" 2>"$tmp/stderr"; st=$?
check run_exit_0 "[ $st -eq 0 ]"
[ $st -eq 0 ] || sed 's/^/    /' "$tmp/stderr" | tail -20
r=$tmp/out/results.json
check every_job_ok "[ \$(jq '[.trials[].metrics.ok_jobs] | add' '$r') = 96 ]"
check fixed_pool_stays_2 "[ \$(jq '.trials[] | select(.point.autoscale_max == \"0\" or .point.autoscale_max == 0) | .metrics.workers_peak' '$r') = 2 ]"
check autoscaled_to_3 "[ \$(jq '.trials[] | select(.point.autoscale_max == \"3\" or .point.autoscale_max == 3) | .metrics.workers_peak' '$r') = 3 ]"
ts=$(ls "$tmp"/out/trials/*/timeseries.csv | head -1)
check timeseries_written "[ \$(wc -l <'$ts') -ge 3 ] && head -1 '$ts' | grep -q '^t_s,queue_depth,in_flight,workers_connected,workers_idle,workers_target$'"
# the starting pool meets the burst whole: idle before the first job, it is not drained
as_ts=$(grep -l ',3$' "$tmp"/out/trials/*/timeseries.csv | head -1)
check start_pool_meets_burst "[ -n '$as_ts' ] && awk -F, 'NR > 1 && \$2 + \$3 > 0 { print \$6; exit }' '$as_ts' | grep -qx 2"
check new_workers_did_jobs "cat '$tmp'/out/trials/*/records.jsonl | grep -q '\"worker\":\"worker-[3-9]\"'"
jq -r '.trials[] | "    max \(.point.autoscale_max): peak \(.metrics.workers_peak) workers, \(.metrics.worker_s) worker-s, makespan \(.metrics.makespan_s // "?") s, latency mean \(.metrics.latency_mean_s) s"' "$r" >&2
