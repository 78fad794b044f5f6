#!/usr/bin/env bash
# qoslab run end to end (inside UML here): a tiny sweep with the real pipeline, then the
# files a user opens; and an invalid scenario that must fail before anything is built.
set -u
cd "$(dirname "$0")/.."
Q=./${BUILD:-build}/qoslab
SHARED=../shared
. tests/lib.sh

need_models run
. tests/kernel.sh
need_netem_kernel run
tmp=$(mktemp -d /tmp/qoslab-run-test.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
cat >"$tmp/tiny.yaml" <<YAML
name: tiny
seed: 7
repeats: 2
warmup: 1
topology: {workers: 1}
links:
  - {node: worker-1, direction: both, delay: 0ms}
model: default
workload: {dataset: default, count: 4, mode: closed, concurrency: 1, timeout: 30, retries: 1}
sweep:
  - {key: "links[0].delay", values: [0ms, 40ms]}
YAML
# --jobs 2: each trial in a process and kernel of its own; the interrupted run below is --jobs 1
$Q run "$tmp/tiny.yaml" --out "$tmp/out" --jobs 2 >"$tmp/stdout" 2>"$tmp/stderr"; st=$?
check run_exit_0 "[ $st -eq 0 ]"
[ $st -eq 0 ] || sed 's/^/    /' "$tmp/stderr" | tail -20
check run_prints_report "grep -q 'report: $tmp/out/report.html' '$tmp/stdout'"
check run_files "[ -s '$tmp/out/results.json' ] && [ -s '$tmp/out/results.csv' ] && [ -s '$tmp/out/trials.csv' ] && [ -s '$tmp/out/report.html' ] && [ -s '$tmp/out/manifest.json' ] && [ -s '$tmp/out/scenario.yaml' ]"
check run_two_points_two_reps "[ \$(jq '[.trials[]] | length' '$tmp/out/results.json') -eq 4 ] && [ \$(jq '[.points[].stats.goodput_per_s.n] | add' '$tmp/out/results.json') -eq 4 ]"
check run_every_job_ok "[ \$(jq '[.trials[].metrics.ok_jobs] | add' '$tmp/out/results.json') = 12 ]"
check run_delay_costs_latency "jq -e '(.points[] | select(.point.delay_ms == \"40\" or .point.delay_ms == 40) | .stats.latency_mean_s.mean) > (.points[] | select(.point.delay_ms == \"0\" or .point.delay_ms == 0) | .stats.latency_mean_s.mean)' '$tmp/out/results.json' >/dev/null"
check run_map_measured "jq -e '[.trials[].metrics.map50] | all(. > 0)' '$tmp/out/results.json' >/dev/null"
check run_plots "ls '$tmp/out/plots/'goodput_per_s-vs-delay_ms.png '$tmp/out/plots/'goodput_per_s-vs-delay_ms.svg >/dev/null"
check run_manifest_kernel "jq -e '.kernel | test(\"^(uml|host) \")' '$tmp/out/manifest.json' >/dev/null"
# the manifest says whether the same seeds would lose the same packets: true exactly on a kernel
# that honours netem's seed (qoslab's own UML kernel, release *-qoslab, or Linux >= 6.7)
check run_manifest_seed_reproducible "jq -e '(.netem_seed_reproducible | type) == \"boolean\" and (.netem_seed_reproducible == (.kernel | test(\"-qoslab\$\")) or (.kernel | test(\"^host \")))' '$tmp/out/manifest.json' >/dev/null"
check run_manifest_version "[ \"\$(jq -c '.qoslab' '$tmp/out/manifest.json')\" = \"\$($Q version --json | jq -c .)\" ]"
check run_manifest_jobs "[ \$(jq '.jobs' '$tmp/out/manifest.json') -eq 2 ]"
check run_outcomes "[ \$(cat '$tmp/out/trials/'*/outcome.json | jq -s '[.[] | select(.status == \"ok\")] | length') -eq 4 ] && jq -e '.meta.trials_missing == \"0\"' '$tmp/out/results.json' >/dev/null"
# warm workers: each of the 2 slots ran 2 trials with standby workers, and none is left
check run_warm_workers "jq -e '[.trials[].metrics.warm_workers] == [1, 1, 1, 1]' '$tmp/out/results.json' >/dev/null && ! pgrep -f 'worker --model .* --standby' >/dev/null"
check run_trial_records "[ \$(cat '$tmp/out/trials/'*/records.jsonl | wc -l) -eq 16 ]"
# paired draws (the default): repetition r submits the same images in the same order at
# both points; the two repetitions draw different ones (4 of 64 images)
imgs() { jq -sc 'sort_by(.job) | map(.image)' "$tmp/out/trials/"*-p"$1"-r"$2"/records.jsonl; }
check run_paired_same_images "[ \"\$(imgs 0 0)\" = \"\$(imgs 1 0)\" ] && [ \"\$(imgs 0 1)\" = \"\$(imgs 1 1)\" ] && [ \"\$(imgs 0 0)\" != \"\$(imgs 0 1)\" ]"
check run_paired_in_results "jq -e '.paired.points | length == 1' '$tmp/out/results.json' >/dev/null"
# every trial claimed by exactly one slot
check run_claims "[ \$(ls '$tmp/out/slots/claims' | wc -l) -eq 4 ] && [ -z \"\$(find '$tmp/out/slots/claims' -type l ! -lname 'slot-[01]')\" ]"
# slots pull trials as they free up: the 60-image trial comes first in seed 7's run order,
# and while one slot runs it the other takes the three short ones (a split fixed up front
# gave each slot two)
cat >"$tmp/balance.yaml" <<YAML
name: balance
seed: 7
warmup: 0
topology: {workers: 1}
model: default
workload: {dataset: default, count: 2, mode: closed, concurrency: 1, timeout: 30, retries: 1}
sweep:
  - {key: "workload.count", values: [60, 1, 2, 3]}
YAML
$Q run "$tmp/balance.yaml" --out "$tmp/bal" --jobs 2 >"$tmp/bal.out" 2>&1; st=$?
long=$(readlink "$tmp/bal/slots/claims/000-p0-r0")
check run_slots_pull_trials "[ $st -eq 0 ] && [ \$(find '$tmp/bal/slots/claims' -type l -lname '$long' | wc -l) -eq 1 ] && [ \$(ls '$tmp/bal/slots/claims' | wc -l) -eq 4 ]"
[ $st -eq 0 ] || tail -5 "$tmp/bal.out" | sed 's/^/    /'
$Q run "$tmp/tiny.yaml" --out "$tmp/out" --resume >"$tmp/stdout2" 2>&1; st=$?
check run_resume_done_is_noop "[ $st -eq 0 ] && [ \$(jq '[.trials[]] | length' '$tmp/out/results.json') -eq 4 ]"
$Q run "$tmp/tiny.yaml" --out "$tmp/out" >"$tmp/stdout3" 2>&1; st=$?
check run_refuses_existing_out "[ $st -eq 2 ] && grep -q 'already holds a run' '$tmp/stdout3'"

# Ctrl-C after the first trial: clean stop, finished trials kept, --resume completes the run
$Q run "$tmp/tiny.yaml" --out "$tmp/int" --jobs 1 >"$tmp/int.out" 2>&1 &
pid=$!
for _ in $(seq 600); do
	[ -s "$tmp/int/results.json" ] && [ "$(jq '[.trials[]] | length' "$tmp/int/results.json" 2>/dev/null)" -ge 1 ] && break
	sleep 0.5
done
kill -INT $pid
wait $pid; st=$?
n=$(jq '[.trials[]] | length' "$tmp/int/results.json" 2>/dev/null || echo 0)
check interrupt_exit_130 "[ $st -eq 130 ]"
check interrupt_keeps_finished "[ $n -ge 1 ] && [ $n -lt 4 ] && grep -q 'interrupted' '$tmp/int.out'"
check interrupt_leaves_nothing "[ \$(ls /run/netns 2>/dev/null | grep -c qoslab) -eq 0 ] && ! pgrep -f 'umid=qoslab-uml-$pid' >/dev/null"
$Q run "$tmp/tiny.yaml" --out "$tmp/int" --resume >"$tmp/int2.out" 2>&1; st=$?
check resume_completes "[ $st -eq 0 ] && [ \$(jq '[.trials[]] | length' '$tmp/int/results.json') -eq 4 ]"

sed 's/loss: 0/loss: 150%/; s/delay: 0ms/delay: 0ms, loss: 150%/' "$tmp/tiny.yaml" >"$tmp/bad.yaml"
before=$(ls /run/netns 2>/dev/null | grep -c qoslab)
$Q run "$tmp/bad.yaml" --out "$tmp/bad" >"$tmp/bad.out" 2>&1; st=$?
check invalid_exit_2 "[ $st -eq 2 ]"
check invalid_names_file_line_key "grep -qE '^$tmp/bad.yaml:[0-9]+: links\\[0\\]\\.loss' '$tmp/bad.out'"
check invalid_builds_nothing "[ ! -e '$tmp/bad' ] && [ \$(ls /run/netns 2>/dev/null | grep -c qoslab) -eq $before ]"
