#!/usr/bin/env bash
# qoslab run --slurm against a real single-node Slurm cluster that this test starts and stops:
# munged with a fresh key, slurmctld and slurmd on localhost with a generated slurm.conf
# (Debian's slurm-wlm and munge), all in a temporary directory, on ports of their own.
# A sweep whose tasks all fail (--kernel host without netem) is retried once by the dependent
# job, then reported trial by trial with n = 0, never silently; `--resume --slurm` then runs
# what is missing and the report job writes the same files as a local run. A task cancelled
# before it ran is submitted again by the dependent job without anyone asking.
set -u
cd "$(dirname "$0")/.."
Q=$PWD/${BUILD:-build}/qoslab
SHARED=../shared
. tests/lib.sh

for p in munged slurmctld slurmd sbatch squeue; do
	command -v $p >/dev/null 2>&1 || [ -x /usr/sbin/$p ] ||
		{ echo "skip - slurm: $p not installed (Debian slurm-wlm, munge)"; exit 0; }
done
if [ "$(id -u)" -ne 0 ]; then
	echo "skip - slurm: slurmd needs root to start jobs as their users"; exit 0
fi
need_models slurm
PATH=$PATH:/usr/sbin
tmp=$(mktemp -d /tmp/qoslab-slurm-test.XXXXXX)
chmod 700 "$tmp"
pids=()
stop() {
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done
	for p in "${pids[@]}"; do wait "$p" 2>/dev/null; done
	rm -rf "$tmp"
}
trap stop EXIT
# two free ports next to each other, so that parallel test runs do not meet
port=$((20000 + ($$ % 20000)))
host=$(hostname -s)
mkdir -p "$tmp/munge" "$tmp/state" "$tmp/spool"
chmod 700 "$tmp/munge"
dd if=/dev/urandom of="$tmp/munge/munge.key" bs=1024 count=1 status=none
chmod 400 "$tmp/munge/munge.key"
munged -f --socket="$tmp/munge/sock" --key-file="$tmp/munge/munge.key" \
	--pid-file="$tmp/munge/pid" --log-file="$tmp/munge/log" --seed-file="$tmp/munge/seed" \
	>"$tmp/munged.out" 2>&1 || { echo "skip - slurm: munged does not start: $(cat "$tmp/munged.out")"; exit 0; }
pids+=("$(cat "$tmp/munge/pid")")
cat >"$tmp/slurm.conf" <<CONF
ClusterName=qoslabtest
SlurmctldHost=$host(127.0.0.1)
SlurmUser=root
SlurmctldPort=$port
SlurmdPort=$((port + 1))
AuthType=auth/munge
AuthInfo=socket=$tmp/munge/sock
CredType=cred/munge
StateSaveLocation=$tmp/state
SlurmdSpoolDir=$tmp/spool
SlurmctldPidFile=$tmp/slurmctld.pid
SlurmdPidFile=$tmp/slurmd.pid
SlurmctldLogFile=$tmp/slurmctld.log
SlurmdLogFile=$tmp/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/none
SchedulerType=sched/backfill
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
MpiDefault=none
ReturnToService=2
NodeName=$host NodeAddr=127.0.0.1 CPUs=$(nproc) State=UNKNOWN
PartitionName=qoslab Nodes=$host Default=YES MaxTime=INFINITE State=UP
CONF
export SLURM_CONF=$tmp/slurm.conf
slurmctld -D -i >"$tmp/slurmctld.out" 2>&1 &
pids+=($!)
slurmd -D -N "$host" >"$tmp/slurmd.out" 2>&1 &
pids+=($!)
up=0
for _ in $(seq 60); do
	sinfo -h -o '%T' 2>/dev/null | grep -qE '^(idle|mixed|allocated)' && { up=1; break; }
	sleep 0.5
done
if [ $up -eq 0 ]; then
	echo "skip - slurm: the cluster did not come up"
	tail -5 "$tmp/slurmctld.log" "$tmp/slurmd.log" "$tmp/slurmd.out" 2>/dev/null | sed 's/^/    /'
	exit 0
fi
ok slurm_cluster_up

# waits until the queue is empty; 0 when it emptied in time
drain() {
	for _ in $(seq "$1"); do
		[ -z "$(squeue -h 2>/dev/null)" ] && return 0
		sleep 1
	done
	return 1
}

cat >"$tmp/tiny.yaml" <<YAML
name: tiny
seed: 7
repeats: 1
warmup: 1
topology: {workers: 1}
links:
  - {node: worker-1, direction: both, delay: 0ms}
model: default
workload: {dataset: $PWD/$SHARED/datasets/coco-val2017-64, count: 3, mode: closed, concurrency: 1, timeout: 30, retries: 1}
sweep:
  - {key: "links[0].delay", values: [0ms, 40ms]}
YAML
out=$tmp/run

# 1. every task fails (the host has no netem): each trial is named with its error, n = 0
$Q run "$tmp/tiny.yaml" --out "$out" --kernel host --slurm --time=10 >"$tmp/sub1" 2>&1; st=$?
check submit_exit_0 "[ $st -eq 0 ] && grep -q 'submitted 2 trials as Slurm array job' '$tmp/sub1'"
[ $st -eq 0 ] || sed 's/^/    /' "$tmp/sub1"
drain 300; dr=$?
check failed_tasks_drain "[ $dr -eq 0 ]"
# the dependent job submitted the failed trials once more (--slurm-retries 1), then reported
check failed_retried_once "[ \$(ls '$out'/slurm/tasks-*.txt | wc -l) -eq 2 ]"
check failed_reported "jq -e '.meta.trials_missing | startswith(\"2: \") and test(\"failed: \")' '$out/results.json' >/dev/null && [ \$(jq '.trials | length' '$out/results.json') -eq 0 ] && grep -q 'Trials missing' '$out/report.html'"
[ -s "$out/report.html" ] || { ls -R "$out" | head -30; cat "$out"/slurm/*.log 2>/dev/null | tail -20; } | sed 's/^/    /'

# 2. --resume --slurm submits what is missing, in UML; the report job merges it. Not where
# UML cannot run (an AddressSanitizer build): the rest is skipped there
. tests/kernel.sh
need_uml slurm_in_uml
$Q run "$tmp/tiny.yaml" --out "$out" --resume --slurm-retries 0 --slurm --time=10 >"$tmp/sub2" 2>&1; st=$?
check resume_submits_missing "[ $st -eq 0 ] && grep -q 'submitted 2 trials' '$tmp/sub2'"
drain 600; dr=$?
check trials_drain "[ $dr -eq 0 ]"
check slurm_results "[ \$(jq '.trials | length' '$out/results.json') -eq 2 ] && jq -e '.meta.trials_missing == \"0\" and ([.points[].stats.ok_jobs.n] == [1, 1]) and ([.trials[].metrics.ok_jobs] | add == 4)' '$out/results.json' >/dev/null"
[ "$(jq '.trials | length' "$out/results.json" 2>/dev/null)" = 2 ] || cat "$out"/slurm/*.log "$out"/trials/*/trial.log 2>/dev/null | tail -30 | sed 's/^/    /'
# what a local run writes (tests/test_run.sh): the same files
check same_files_as_local "for f in results.json results.csv trials.csv report.html manifest.json scenario.yaml plots/goodput_per_s-vs-delay_ms.png plots/goodput_per_s-vs-delay_ms.svg; do [ -s '$out/'\$f ] || exit 1; done"
check manifest_from_a_node "jq -e '.kernel | test(\"^uml \")' '$out/manifest.json' >/dev/null"
check outcomes_name_the_node "[ \$(jq -s '[.[] | select(.status == \"ok\" and .host == \"$host\")] | length' '$out'/trials/*/outcome.json) -eq 2 ]"
# qoslab report on the directory redraws the same thing from the merged trials
$Q report -q "$out" >"$tmp/rep" 2>&1; st=$?
check report_again "[ $st -eq 0 ] && [ \$(jq '.trials | length' '$out/results.json') -eq 2 ]"

# 3. a task cancelled before it ran (what preemption or a lost node does): the dependent job
# submits its trial again. Two CPUs per task on this node: task 1 waits while task 0 runs.
out3=$tmp/run3
$Q run "$tmp/tiny.yaml" --out "$out3" --slurm --time=10 --cpus-per-task="$(nproc)" >"$tmp/sub3" 2>&1; st=$?
array=$(sed -n 's/.*Slurm array job \([0-9]*\).*/\1/p' "$tmp/sub3")
cancelled=0
if [ $st -eq 0 ] && [ -n "$array" ]; then
	for _ in $(seq 100); do
		s1=$(squeue -h -j "${array}_1" -o '%T' 2>/dev/null | head -1)
		if [ "$s1" = PENDING ]; then scancel "${array}_1" && cancelled=1; break; fi
		[ -z "$s1" ] && break
		sleep 0.2
	done
fi
check cancel_pending_task "[ $cancelled -eq 1 ]"
drain 600; dr=$?
check cancelled_drain "[ $dr -eq 0 ]"
check cancelled_task_retried "[ \$(ls '$out3'/slurm/tasks-*.txt | wc -l) -eq 2 ] && [ \$(jq '.trials | length' '$out3/results.json') -eq 2 ] && jq -e '.meta.trials_missing == \"0\"' '$out3/results.json' >/dev/null"
[ "$(jq '.trials | length' "$out3/results.json" 2>/dev/null)" = 2 ] || cat "$out3"/slurm/*.log 2>/dev/null | tail -20 | sed 's/^/    /'
