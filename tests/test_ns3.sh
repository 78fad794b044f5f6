#!/usr/bin/env bash
# ns-3 links (emu/ns3link.c, qoslab-ns3) through `qoslab ns3link`, real traffic: p2p delay, rate,
# RateErrorModel loss and a packet list; CSMA among 3 nodes; Wi-Fi goodput falling with distance;
# changes while the link runs (delay, loss, a station's distance, a track); live counters; seeded
# losses repeat; the program unprivileged; "fell behind real time" reported; nothing left after SIGKILL of the
# controller; a p2p link inside UML. `qoslab ns3link` runs on the host where it can make taps in
# namespaces, else inside UML by itself.
set -u
cd "$(dirname "$0")/.."
B=${BUILD:-build}
Q=./$B/qoslab
ok() { echo "ok - $1"; }
fail() { echo "FAIL - $1"; shift; for l in "$@"; do echo "    $l"; done; }

if [ ! -x "$B/qoslab-ns3" ]; then
	echo "skip - ns3: $B/qoslab-ns3 not built (libns3-dev is not installed: make deps)"; exit 0
fi
if [ "$(id -u)" -ne 0 ]; then echo "skip - ns3: not root (taps in namespaces)"; exit 0; fi
# 2 shared cores: allow the simulator more lateness than the default before failing a run
L="--hard-limit 300"
tmp=$(mktemp -d /tmp/qoslab-test-ns3.XXXXXX)
trap 'rm -rf "$tmp"' EXIT

# A run in which the simulator fell behind real time has no figures (it says so and fails);
# on 2 shared cores that happens now and then, so such a run gets one more try.
again() {
	local o try st
	for try in 1 2; do
		o=$("$@" 2>&1); st=$?
		grep -q 'fell behind real time' <<<"$o" || break
	done
	printf '%s\n' "$o"
	return $st
}
in_range() { awk -v v="$1" -v lo="$2" -v hi="$3" 'BEGIN { exit !(v >= lo && v <= hi) }'; }

# p2p 10 ms each way: RTT ~20 ms
# (the median: on 2 shared cores a ping now and then waits for the CPU)
out=$(again $Q ns3link $L --delay 10 --rate 100 -e '1=ping -c 21 -i 0.05 10.78.0.2' 2>&1)
med=$(sed -n 's/.*time=\([0-9.]*\) ms.*/\1/p' <<<"$out" | sort -n | awk '{ v[NR] = $1 } END { if (NR) print v[int((NR + 1) / 2)] }')
if [ -n "$med" ] && in_range "$med" 19.9 22.5; then ok "ns3_p2p_delay (median RTT $med ms for 2 x 10 ms)"
else fail ns3_p2p_delay "median RTT '$med'" "$out"; fi

# p2p 10 Mbit/s: TCP goodput just under the rate
out=$(again $Q ns3link $L --delay 10 --rate 10 -e '2=iperf3 -s -1 >/dev/null' \
	-e '1=sleep 0.3; iperf3 -c 10.78.0.2 -t 6 -O 1 -J | jq ".end.sum_received.bits_per_second/1e6*100|round/100"' 2>&1)
mbit=$(tail -1 <<<"$out")
if in_range "$mbit" 8.8 10.0; then ok "ns3_p2p_rate ($mbit Mbit/s at 10 Mbit/s)"
else fail ns3_p2p_rate "goodput '$mbit'" "$out"; fi

# RateErrorModel 5 % each way: the devices' own counters and ping's round trips
out=$(again $Q ns3link $L --delay 1 --loss 5 --seed 7 --stats -e '1=ping -c 1500 -i 0.004 -q 10.78.0.2' 2>&1)
js=$(tail -1 <<<"$out")
rate=$(jq '[.devices[] | .error_drops] as $d | [.devices[] | .received + .error_drops] as $n | ($d | add) / ($n | add) * 100' <<<"$js" 2>/dev/null)
lost=$(sed -n 's/.* \([0-9.]*\)% packet loss.*/\1/p' <<<"$out")
if [ -n "$rate" ] && in_range "$rate" 3.8 6.2 && in_range "$lost" 7 13; then
	ok "ns3_p2p_loss (frames lost $rate %, pings $lost % for 5 % each way)"
else fail ns3_p2p_loss "frame loss '$rate', ping loss '$lost'" "$out"; fi

# a list of frame numbers: each device loses its 3rd and 5th frame received, so 4 of 10 pings
out=$(again $Q ns3link $L --drop-list 3,5 --stats -e '1=ping -c 10 -i 0.05 -q 10.78.0.2' 2>&1)
rx=$(sed -n 's/.*, \([0-9]*\) received.*/\1/p' <<<"$out")
drops=$(tail -1 <<<"$out" | jq -c '[.devices[].error_drops]' 2>/dev/null)
if [ "$rx" = 6 ] && [ "$drops" = "[2,2]" ]; then ok ns3_p2p_drop_list
else fail ns3_p2p_drop_list "received '$rx', drops '$drops'" "$out"; fi

# CSMA LAN of 3: everyone reaches everyone; 100 Mbit/s shared
out=$(again $Q ns3link $L -c csma -n 3 --rate 100 -e '3=ping -c 3 -i 0.1 -q 10.78.0.1' \
	-e '2=iperf3 -s -1 >/dev/null' \
	-e '1=sleep 0.3; ping -c 3 -i 0.1 -q 10.78.0.3 >/dev/null && iperf3 -c 10.78.0.2 -t 3 -J | jq ".end.sum_received.bits_per_second/1e6*100|round/100"' 2>&1)
mbit=$(tail -1 <<<"$out")
if grep -q ' 3 received' <<<"$out" && in_range "$mbit" 40 100; then ok "ns3_csma ($mbit Mbit/s on 100 Mbit/s)"
else fail ns3_csma "goodput '$mbit'" "$out"; fi

# Wi-Fi 802.11a ad hoc, Minstrel: goodput falls with distance
wifi() { # $1 = distance in m
	again $Q ns3link $L -c wifi --distance "$1" -e '2=iperf3 -s -1 >/dev/null' \
		-e '1=sleep 0.3; timeout 15 iperf3 -c 10.78.0.2 -t 5 -J | jq ".end.sum_received.bits_per_second/1e6*100|round/100"' 2>&1 | tail -1
}
near=$(wifi 10) far=$(wifi 50)
if in_range "$near" 10 54 && in_range "$far" 1 1000 && awk -v a="$near" -v b="$far" 'BEGIN { exit !(a > 1.4 * b) }'; then
	ok "ns3_wifi_distance ($near Mbit/s at 10 m, $far at 50 m)"
else fail ns3_wifi_distance "10 m '$near', 50 m '$far'"; fi

# a change while the link runs: p2p delay 10 -> 40 ms at 1.5 s; RTT follows (medians of the
# first and last ten pings)
out=$(again $Q ns3link $L --delay 10 --at 1.5:delay=40 -e '1=ping -c 30 -i 0.1 10.78.0.2' 2>&1)
rtts=$(sed -n 's/.*icmp_seq=\([0-9]*\) .*time=\([0-9.]*\) ms.*/\1 \2/p' <<<"$out")
median() { sort -n | awk '{ v[NR] = $1 } END { if (NR) print v[int((NR + 1) / 2)] }'; }
before=$(awk '$1 <= 10 { print $2 }' <<<"$rtts" | median)
after=$(awk '$1 > 20 { print $2 }' <<<"$rtts" | median)
if [ -n "$before" ] && [ -n "$after" ] && in_range "$before" 19.9 23 && in_range "$after" 79.9 83; then
	ok "ns3_timeline_p2p_delay (median RTT $before ms, then $after ms after 10 -> 40 ms)"
else fail ns3_timeline_p2p_delay "before '$before', after '$after'" "$out"; fi

# live counters and a changed loss: 0 % for 0.5 s, then 50 % on node 2's receive side
out=$(again $Q ns3link $L --at 0.5:stats --at 0.5:loss=50@2 --at 2.1:stats \
	-e '1=ping -c 45 -i 0.05 -q 10.78.0.2' 2>&1)
js=$(grep '^{' <<<"$out" | jq -s -c '[.[0].devices[1].error_drops, .[1].devices[1].error_drops,
	.[1].devices[1].received - .[0].devices[1].received, .[1].devices[0].error_drops]' 2>/dev/null)
read -r d0 d1 rx0 other < <(jq -r '@tsv' <<<"$js" 2>/dev/null)
n=$(( ${d1:-0} + ${rx0:-0} ))
if [ "$d0" = 0 ] && [ "$other" = 0 ] && [ "$n" -ge 20 ] && in_range "$(( 100 * d1 / n ))" 20 80; then
	ok "ns3_timeline_loss (node 2 dropped 0, then $d1 of $n frames at 50 %)"
else fail ns3_timeline_loss "counters '$js'" "$out"; fi

# a setting the channel does not have is refused, naming it
out=$(again $Q ns3link $L --at 0.2:distance=5@2 --hold 1 2>&1); st=$?
if [ $st -ne 0 ] && grep -q "distance=5@2.*no such setting" <<<"$out"; then ok ns3_timeline_refused
else fail ns3_timeline_refused "status $st" "$out"; fi

# same seed, same losses: two runs drop the same frames (each device's count, and the same
# pings answered); another seed drops others
seeded() { # $1 = seed
	local o
	o=$(again $Q ns3link $L --delay 1 --loss 5 --seed "$1" --stats -e '1=ping -c 300 -i 0.01 10.78.0.2' 2>&1)
	echo "$(tail -1 <<<"$o" | jq -c '[.devices[].error_drops]' 2>/dev/null)" \
		"$(sed -n 's/.*icmp_seq=\([0-9]*\) .*/\1/p' <<<"$o" | md5sum | cut -c1-8)"
}
s7a=$(seeded 7) s7b=$(seeded 7) s8=$(seeded 8)
if [ "$s7a" = "$s7b" ] && [ "$s7a" != "$s8" ] && [[ $s7a == \[* ]] && [[ $s8 == \[* ]]; then
	ok "ns3_seed (seed 7 twice: drops ${s7a% *}; seed 8: ${s8% *})"
else fail ns3_seed "seed 7: '$s7a', '$s7b'; seed 8: '$s8'"; fi

# Wi-Fi station moved while traffic flows: 10 m, 80 m from 2.5 s, 10 m again from 5 s
out=$(again $Q ns3link $L -c wifi --distance 10 --at 2.5:distance=80@2 --at 5:distance=10@2 \
	-e '2=iperf3 -s -1 >/dev/null' \
	-e '1=sleep 0.3; timeout 20 iperf3 -c 10.78.0.2 -t 7 -i 1 -J | jq -c "[.intervals[].sum.bits_per_second/1e6*10|round/10]"' 2>&1)
iv=$(tail -1 <<<"$out")
near=$(jq '.[1]' <<<"$iv" 2>/dev/null) far=$(jq '.[3]' <<<"$iv" 2>/dev/null) back=$(jq '.[6]' <<<"$iv" 2>/dev/null)
if [ -n "$near" ] && in_range "$near" 8 54 && in_range "$far" 0 1 && in_range "$back" 8 54; then
	ok "ns3_timeline_wifi_distance ($near Mbit/s at 10 m, $far at 80 m, $back back at 10 m; $iv)"
else fail ns3_timeline_wifi_distance "intervals '$iv'" "$out"; fi

# several stations on one channel contend: two senders at 10 m share what one gets alone
out=$(again $Q ns3link $L -c wifi -n 3 --distance 10 \
	-e '1=iperf3 -s -p 5201 -1 >/dev/null & iperf3 -s -p 5202 -1 >/dev/null; wait' \
	-e '2=sleep 0.3; timeout 15 iperf3 -c 10.78.0.1 -p 5201 -t 5 -O 1 -J | jq ".end.sum_received.bits_per_second/1e6*100|round/100"' \
	-e '3=sleep 0.3; timeout 15 iperf3 -c 10.78.0.1 -p 5202 -t 5 -O 1 -J | jq ".end.sum_received.bits_per_second/1e6*100|round/100"; sleep 1' 2>&1)
read -r m2 m3 < <(grep -E '^[0-9.]+$' <<<"$out" | paste -sd' ')
if [ -n "${m3:-}" ] && in_range "$m2" 4 20 && in_range "$m3" 4 20 && in_range "$(awk -v a="$m2" -v b="$m3" 'BEGIN { print a + b }')" 12 30; then
	ok "ns3_wifi_contention ($m2 + $m3 Mbit/s from two stations at 10 m)"
else fail ns3_wifi_contention "goodputs '${m2:-}' '${m3:-}'" "$out"; fi

# a track: 10 m until 1 s, then 150 m (out of reach); pings stop getting through
out=$(again $Q ns3link $L -c wifi --track 2=0:10,1:10,1.2:150 -e '1=ping -c 30 -i 0.1 -w 5 -q 10.78.0.2' 2>&1)
rx=$(sed -n 's/.*, \([0-9]*\) received.*/\1/p' <<<"$out")
if [ -n "$rx" ] && in_range "$rx" 6 14; then ok "ns3_wifi_track ($rx of 30 pings before leaving)"
else fail ns3_wifi_track "received '$rx'" "$out"; fi

# qoslab check judges a p2p link like netem; on this kernel (where netem may be missing: its
# own figures then fail, ns-3's do not need it)
$Q check --kernel host --json >"$tmp/check.json" 2>"$tmp/check.err"
st=$(jq -r '[.fidelity[] | select(.name | startswith("ns3")) | "\(.name)=\(.status)"] | join(" ")' "$tmp/check.json" 2>/dev/null)
if [[ $st =~ ^ns3_delay=(ok|overloaded)\ ns3_loss=(ok|overloaded)\ ns3_rate=(ok|overloaded)$ ]] ||
   [ "$st" = "ns3=overloaded" ]; then
	ok "ns3_check ($st; $(jq -r '[.fidelity[] | select(.name | startswith("ns3_")) | "\(.measured * 1000 | round / 1000) \(.unit)"] | join(", ")' "$tmp/check.json"))"
else fail ns3_check "statuses '$st'" "$(cat "$tmp/check.json" "$tmp/check.err")"; fi
# ... and says it skipped where qoslab-ns3 is not beside the binary
mkdir -p "$tmp/bin" && cp "$B/qoslab" "$tmp/bin/"
"$tmp/bin/qoslab" check --kernel host >"$tmp/check.txt" 2>&1
if grep -q '^  ns3  *skipped: ns-3 not installed' "$tmp/check.txt"; then ok ns3_check_skipped
else fail ns3_check_skipped "$(cat "$tmp/check.txt")"; fi

# the program needs no privilege once it has its fds
out=$(again $Q ns3link $L --user 65534 --print -e '1=ping -c 2 -i 0.1 -q 10.78.0.2' 2>&1)
if grep -q ' 2 received' <<<"$out"; then ok ns3_unprivileged
else fail ns3_unprivileged "$out"; fi

# falling behind real time fails the run loudly (a stopped simulator is the surest way)
$Q ns3link $L --print --hold 0 >"$tmp/behind.out" 2>"$tmp/behind.err" &
ctl=$!
for _ in $(seq 50); do grep -q '^ns3 pid' "$tmp/behind.out" && break; sleep 0.1; done
pid=$(sed -n 's/^ns3 pid //p' "$tmp/behind.out")
[ -n "$pid" ] && kill -STOP "$pid" && sleep 0.6 && kill -CONT "$pid"
wait "$ctl"; st=$?
if [ "$st" -ne 0 ] && grep -q 'fell behind real time' "$tmp/behind.err"; then ok ns3_fell_behind_reported
else fail ns3_fell_behind_reported "status $st" "$(cat "$tmp/behind.err")"; fi

# SIGKILL of the controller: no ns-3 process, no tap in the namespaces it was given
bash tests/ns3_sigkill.sh ns3_sigkill_leaves_nothing

# inside UML (its kernel: qoslab's own with TUN built in, or Debian's with tun.ko)
why=$($Q check --json 2>/dev/null | jq -r '.machine.uml_why // empty')
if [ -n "$why" ]; then echo "skip - ns3_uml_p2p: $why"
else
	out=$(again $Q ns3link --kernel uml --hard-limit 1000 --delay 10 --drop-list 2 --stats \
		-e '1=ping -c 5 -i 0.2 -q 10.78.0.2' 2>&1)
	avg=$(sed -n 's|^rtt [^=]*= [0-9.]*/\([0-9.]*\)/.*|\1|p' <<<"$out")
	if grep -q ' 3 received' <<<"$out" && [ -n "$avg" ] && in_range "$avg" 19.5 40; then
		ok "ns3_uml_p2p (RTT $avg ms)"
	else fail ns3_uml_p2p "$out"; fi
	# the same SIGKILL inside the guest (whose own controller is not the one killed)
	# (the guest's own link only carries the command: it may lag as it likes)
	out=$(again $Q ns3link --kernel uml --hard-limit 600000 -e "1=BUILD=$B bash tests/ns3_sigkill.sh ns3_uml_sigkill_leaves_nothing" 2>&1)
	if grep -q '^ok - ns3_uml_sigkill_leaves_nothing' <<<"$out"; then ok ns3_uml_sigkill_leaves_nothing
	else fail ns3_uml_sigkill_leaves_nothing "$out"; fi
fi
