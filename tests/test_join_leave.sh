#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Workers join and leave at runtime, in a real trial (inside UML here): the timeline adds a
# fresh worker node (a provisioning delay before its worker starts), drains worker-1 (it
# answers its job, then says BYE) and removes worker-2 abruptly (SIGKILL: its job goes to
# another worker). Every job is answered; the server's log and the workers' logs show the
# joins and leaves; the scenario checker refuses join/leave events that make no sense.
set -u
cd "$(dirname "$0")/.."
Q=./${BUILD:-build}/qoslab
SHARED=../shared
. tests/lib.sh

need_models join_leave
. tests/kernel.sh
need_netem_kernel join_leave
tmp=$(mktemp -d /tmp/qoslab-join-leave.XXXXXX)
trap 'rm -rf "$tmp"' EXIT

bad() { # name yaml-timeline expected-message
	printf 'topology: {workers: 1}\nmodel: default\nworkload: {dataset: default, count: 2}\ntimeline:\n%s\n' "$2" >"$tmp/bad.yaml"
	out=$($Q scenario check "$tmp/bad.yaml" 2>&1); st=$?
	check "$1" "[ $st -eq 2 ] && grep -q '$3' <<<\"\$out\""
	[ $st -eq 2 ] || echo "    $out"
}
bad check_add_takes_workers '  - {at: 1, action: add_worker, node: worker-1}' 'add_worker takes node: workers'
bad check_remove_unknown '  - {at: 1, action: remove_worker, node: worker-2}' 'remove_worker takes one worker-K that exists'
bad check_drain_only_remove '  - {at: 1, action: add_worker, node: workers, drain: false}' 'drain belongs to remove_worker'
bad check_link_never_joins $'  - {at: 1, action: add_worker, node: workers}\nlinks:\n  - {node: worker-3, delay: 5ms}' 'worker-3 does not exist: topology.workers is 1 and at most 1 workers join'
bad check_provisioning_only_add '  - {at: 1, action: fail, node: worker-1, provisioning: 2}' 'provisioning belongs to add_worker'

cat >"$tmp/jl.yaml" <<YAML
name: join-leave
seed: 3
topology: {workers: 2}
model: default
workload: {dataset: default, count: 40, mode: closed, concurrency: 4, timeout: 60, retries: 0}
links:
  - {node: workers, direction: down, delay: 20ms}
  - {node: worker-3, direction: up, delay: 30ms}
timeline:
  - {at: 0.5, action: add_worker, node: workers, provisioning: 1}
  - {at: 2, action: remove_worker, node: worker-1, drain: true}
  - {at: 3, action: remove_worker, node: worker-2, drain: false}
YAML
check check_join_leave_valid "$Q scenario check '$tmp/jl.yaml' >/dev/null"
$Q run "$tmp/jl.yaml" --out "$tmp/out" >"$tmp/stdout" 2>"$tmp/stderr"; st=$?
check run_exit_0 "[ $st -eq 0 ]"
[ $st -eq 0 ] || sed 's/^/    /' "$tmp/stderr" | tail -20
logs=$(ls -d "$tmp"/out/trials/*/logs | head -1)
check every_job_ok "[ \$(jq '[.trials[].metrics.ok_jobs] | add' '$tmp/out/results.json') = 40 ]"
check worker3_joined "grep -q \"worker 3 'worker-3'.*joined\" '$logs/server.log'"
check worker1_drained "grep -q \"'worker-1' said bye: worker stopping\" '$logs/server.log'"
grep -q "'worker-1' said bye: worker stopping" "$logs/server.log" ||
	{ grep "worker-1\|remove_worker" "$logs/server.log" "$logs/worker-1.log" "$logs/../events.csv" 2>/dev/null | tail -12 | sed 's/^/    /'; }
check worker2_lost "grep -q \"'worker-2' left\" '$logs/server.log' && ! grep -q \"'worker-2' said bye\" '$logs/server.log'"
check worker3_did_work "grep -q '\"worker\":\"worker-3\"' '$tmp'/out/trials/*/records.jsonl"
# the joined worker is impaired like the others: links: for every worker and for worker-3
# (which exists only from its join on) are on its link in the kernel, and traffic crossed it
links=$(ls "$tmp"/out/trials/*/links.csv | head -1)
check worker3_link_workers_delay "grep -Eq '^worker-3,down,20,0,0,0,[1-9][0-9]*,0$' '$links'"
check worker3_link_own_delay "grep -Eq '^worker-3,up,30,0,0,0,[1-9][0-9]*,0$' '$links'"
check initial_worker_delay "grep -Eq '^worker-1,down,20,0,0,0,[1-9][0-9]*,0$' '$links' && grep -Eq '^worker-1,up,0,0,0,0,,$' '$links'"
check worker3_in_samples "awk -F, '\$2 == \"worker-3\" && \$3 > 0' '$tmp'/out/trials/*/samples.csv | grep -q ."
grep -E "joined|said bye|left after" "$logs/server.log" | sed 's/^/    /' >&2
