# SPDX-License-Identifier: MIT
# Run by tests/test_ns3.sh, on the host and inside UML (through `qoslab ns3link -e`): SIGKILL of
# a `qoslab ns3link` controller leaves no ns-3 process and no tap in the namespaces it was given.
# $1 = the test's name; prints one ok/FAIL line.
set -u
cd "$(dirname "$0")/.."
Q=./${BUILD:-build}/qoslab
name=$1 a=qoslab-t-ns3k-a-$$ b=qoslab-t-ns3k-b-$$
out=$(mktemp /tmp/qoslab-ns3-kill.XXXXXX)
trap 'rm -f "$out"; ip netns del "$a" 2>/dev/null; ip netns del "$b" 2>/dev/null' EXIT
ip netns add "$a" && ip netns add "$b"
$Q ns3link --hard-limit 600000 --print --hold 0 --kernel host --netns "/run/netns/$a" \
	--netns "/run/netns/$b" >"$out" 2>&1 &
ctl=$!
for _ in $(seq 100); do grep -q '^ns3 pid' "$out" && break; sleep 0.1; done
pid=$(sed -n 's/^ns3 pid //p' "$out")
up=$(ip -n "$a" -br link show ns3-1 2>/dev/null | wc -l)
kill -9 "$ctl"; wait "$ctl" 2>/dev/null
for _ in $(seq 30); do [ -n "$pid" ] && [ -e "/proc/$pid" ] || break; sleep 0.1; done
taps=$(( $(ip -n "$a" -br link show ns3-1 2>/dev/null | wc -l) + \
	 $(ip -n "$b" -br link show ns3-2 2>/dev/null | wc -l) ))
if [ -n "$pid" ] && [ "$up" = 1 ] && [ ! -e "/proc/$pid" ] && [ "$taps" = 0 ]; then echo "ok - $name"
else echo "FAIL - $name: ns-3 pid '$pid' (alive: $([ -e "/proc/$pid" ] && echo yes || echo no)), tap before $up, taps after $taps"; fi
