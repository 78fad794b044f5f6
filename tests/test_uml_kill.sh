#!/usr/bin/env bash
# No UML guest outlives its controller: 20 SIGKILLs of `qoslab testbed -w 4 --hold 60` on the
# UML path at random moments (booting, building, holding), then no linux.uml process of those
# controllers, and after `qoslab clean` no job directory, namespace or cgroup of theirs.
set -u
cd "$(dirname "$0")/.."
Q=./${BUILD:-build}/qoslab
ok() { echo "ok - $1"; }
fail() { echo "FAIL - $1"; }

. tests/kernel.sh
need_uml uml_kill

# the processes of a killed controller: linux.uml with its umid on the command line
leftovers() { # $@ = controller pids
	local p n=0
	for p in "$@"; do
		n=$((n + $(pgrep -f -- "umid=qoslab-uml-$p( |$)" | wc -l)))
	done
	echo "$n"
}

RANDOM=4242 # the moments repeat from run to run
pids=() spinning=0 late=()
for i in $(seq 1 20); do
	$Q testbed -w 4 --hold 60 --kernel uml >/dev/null 2>&1 &
	pid=$!
	pids+=("$pid")
	# 0.1 to 5 s: before the kernel boots, while it boots, while the testbed is built, holding
	sleep "$((RANDOM % 50 / 10)).$((RANDOM % 10))"
	kill -9 "$pid" 2>/dev/null
	wait "$pid" 2>/dev/null
	# the host kernel reaps a pid namespace at once; allow it a moment
	for _ in 1 2 3 4 5 6 7 8 9 10; do
		[ "$(leftovers "$pid")" -eq 0 ] && break
		sleep 0.2
	done
	n=$(leftovers "$pid")
	[ "$n" -eq 0 ] || { late+=("kill $i: $n processes"); pkill -9 -f -- "umid=qoslab-uml-$pid( |$)"; }
done
if [ ${#late[@]} -eq 0 ]; then ok uml_kill_no_process_outlives_controller
else fail uml_kill_no_process_outlives_controller; printf '    %s\n' "${late[@]}"; fi

$Q clean >/dev/null 2>&1
left=0
for pid in "${pids[@]}"; do
	for d in /tmp/qoslab-uml-*; do
		[ -e "$d/owner" ] && [ "$(cat "$d/owner" 2>/dev/null)" = "$pid" ] && left=$((left + 1))
	done
done
# the testbed's namespaces and cgroups live inside the guest; none may show on the host
ns=$(ip netns list 2>/dev/null | grep -c '^qoslab-' || true)
own_ns=0
for pid in "${pids[@]}"; do
	[ -d "/run/qoslab" ] && grep -lx "$pid" /run/qoslab/*/owner >/dev/null 2>&1 && own_ns=$((own_ns + 1))
done
if [ "$left" -eq 0 ] && [ "$own_ns" -eq 0 ]; then ok uml_kill_clean_leaves_nothing
else fail uml_kill_clean_leaves_nothing; echo "    $left job directories, $own_ns run states ($ns qoslab namespaces on the host)"; fi

# clean finds and kills a kernel whose controller died without a pid namespace to take it
# along (a host where namespaces are not allowed): a stand-in job with a dead owner
job=$(mktemp -d /tmp/qoslab-uml-XXXXXX)
echo 999999 > "$job/owner"
perl -e 'sleep 300' "uml_dir=$job" &
sleeper=$!
disown "$sleeper" # no job report when clean kills it
sleep 0.2
out=$($Q clean 2>&1)
for _ in 1 2 3 4 5 6 7 8 9 10; do kill -0 "$sleeper" 2>/dev/null || break; sleep 0.1; done
if ! kill -0 "$sleeper" 2>/dev/null && [ ! -e "$job" ]; then ok uml_clean_kills_orphaned_kernel
else fail uml_clean_kills_orphaned_kernel; echo "    $out"; kill -9 "$sleeper" 2>/dev/null; rm -rf "$job"; fi
wait 2>/dev/null
exit 0
