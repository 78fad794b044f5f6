#!/usr/bin/env bash
# The ns3 link kind (emu/ns3kind.c) in a graph topology through `qoslab testbed --topology`, on
# the host kernel (ns-3 links need no netem; the veth link beside it is not impaired): traffic
# passes over an ns-3 p2p link and on through a veth link, delay and rate within tolerance,
# per-link counters, an impairment through the testbed changes the ns-3 delay, a capture file
# of the ns-3 link; Wi-Fi goodput falls with distance; nothing left after SIGKILL. An ns3 switch
# (one shared Wi-Fi channel): any two stations talk, two senders share the channel, a timeline
# set moves a station out of range, nothing left after SIGKILL.
set -u
cd "$(dirname "$0")/.."
B=${BUILD:-build}
Q=./$B/qoslab
ok() { echo "ok - $1"; }
fail() { echo "FAIL - $1"; shift; for l in "$@"; do echo "    $l"; done; }

if [ ! -x "$B/qoslab-ns3" ]; then
	echo "skip - ns3kind: $B/qoslab-ns3 not built (libns3-dev is not installed: make deps)"; exit 0
fi
if [ "$(id -u)" -ne 0 ]; then echo "skip - ns3kind: not root (taps in namespaces)"; exit 0; fi
tmp=$(mktemp -d /tmp/qoslab-test-ns3kind.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
in_range() { awk -v v="$1" -v lo="$2" -v hi="$3" 'BEGIN { exit !(v >= lo && v <= hi) }'; }
median() { sort -n | awk '{ v[NR] = $1 } END { if (NR) print v[int((NR + 1) / 2)] }'; }
# a run whose simulator fell behind real time fails loudly; on 2 shared cores one more try
again() {
	local o try st
	for try in 1 2; do
		o=$("$@" 2>&1); st=$?
		grep -q 'fell behind real time' <<<"$o" || break
	done
	printf '%s\n' "$o"
	return $st
}

topo() { # $1 = params of the ns-3 link
	cat >"$tmp/topo.yaml" <<EOF
topology:
  switches: [lan]
  nodes:
    - {name: client, role: client}
    - {name: server, role: server}
    - {name: worker-1, role: worker}
  links:
    - {name: wan, a: client, b: server, kind: ns3, params: "$1"}
    - {a: server, b: lan}
    - {a: worker-1, b: lan}
EOF
}

# p2p 10 ms + 5 ms through the testbed's impairment (both directions): RTT 30 ms; on through
# the server to worker-1 over veth; counters and a capture of the ns-3 link
topo "delay=10ms,rate=10mbit,hard_limit=300ms"
mkdir -p "$tmp/cap"
out=$(again $Q testbed --kernel host --topology "$tmp/topo.yaml" --stats --capture "$tmp/cap" \
	-i 'wan:both:delay=5ms' -e 'client=ping -c 11 -i 0.1 10.77.1.2; ping -c 3 -i 0.1 -q 10.77.0.2' 2>&1)
med=$(sed -n 's/.*time=\([0-9.]*\) ms.*/\1/p' <<<"$out" | head -11 | median)
if [ -n "$med" ] && in_range "$med" 29.9 33; then ok "ns3kind_p2p_delay (median RTT $med ms for 2 x (10 + 5) ms)"
else fail ns3kind_p2p_delay "median RTT '$med'" "$out"; fi
if grep -q ' 3 received' <<<"$out"; then ok ns3kind_routes_through_veth
else fail ns3kind_routes_through_veth "$out"; fi
pk=$(sed -n 's/^link wan *up [0-9]* B \([0-9]*\) pkt, down [0-9]* B \([0-9]*\) pkt/\1 \2/p' <<<"$out")
read -r upk dpk <<<"$pk"
if [ "${upk:-0}" -ge 14 ] && [ "${dpk:-0}" -ge 14 ]; then ok "ns3kind_counters (wan up $upk, down $dpk packets)"
else fail ns3kind_counters "counters '$pk'" "$out"; fi
# records in the pcap file (24-byte header, 16 bytes before each packet)
n=$(python3 -c 'import struct,sys
d=open(sys.argv[1],"rb").read(); o=24; n=0
while o + 16 <= len(d): n += 1; o += 16 + struct.unpack_from("<I", d, o + 8)[0]
print(n)' "$tmp/cap/wan.pcap" 2>/dev/null)
if [ "$n" -ge 28 ]; then ok "ns3kind_capture ($n packets in wan.pcap)"
else fail ns3kind_capture "packets '$n'" "$(ls -la "$tmp/cap")"; fi

# rate: TCP goodput just under 10 Mbit/s
out=$(again $Q testbed --kernel host --topology "$tmp/topo.yaml" -e 'server=iperf3 -s -1 >/dev/null' \
	-e 'client=sleep 0.3; iperf3 -c 10.77.1.2 -t 5 -O 1 -J | jq ".end.sum_received.bits_per_second/1e6*100|round/100"' 2>&1)
mbit=$(tail -1 <<<"$out")
if in_range "$mbit" 8.8 10.0; then ok "ns3kind_p2p_rate ($mbit Mbit/s at 10 Mbit/s)"
else fail ns3kind_p2p_rate "goodput '$mbit'" "$out"; fi

# an impairment's rate and loss through the testbed: 2 Mbit/s, 20 % loss up
out=$(again $Q testbed --kernel host --topology "$tmp/topo.yaml" -i 'wan:up:rate=2mbit,loss=20%' --stats \
	-e 'client=ping -c 200 -i 0.005 -q 10.77.1.2' 2>&1)
lost=$(sed -n 's/.* \([0-9.]*\)% packet loss.*/\1/p' <<<"$out")
if [ -n "$lost" ] && in_range "$lost" 11 30; then ok "ns3kind_impair_loss ($lost % of pings for 20 % up)"
else fail ns3kind_impair_loss "ping loss '$lost'" "$out"; fi

# a netem key ns-3 cannot express is refused, not ignored
out=$($Q testbed --kernel host --topology "$tmp/topo.yaml" -i 'wan:up:jitter=5ms,delay=10ms' -e 'client=true' 2>&1); st=$?
if [ $st -ne 0 ] && grep -qi 'not supported' <<<"$out"; then ok ns3kind_jitter_refused
else fail ns3kind_jitter_refused "status $st" "$out"; fi

# Wi-Fi 802.11a: goodput falls with distance
wifi() { # $1 = distance
	topo "channel=wifi,distance=$1,hard_limit=300ms"
	again $Q testbed --kernel host --topology "$tmp/topo.yaml" -e 'server=iperf3 -s -1 >/dev/null' \
		-e 'client=sleep 0.3; timeout 15 iperf3 -c 10.77.1.2 -t 4 -J | jq ".end.sum_received.bits_per_second/1e6*100|round/100"' 2>&1 | tail -1
}
near=$(wifi 10m) far=$(wifi 50m)
if in_range "$near" 10 54 && in_range "$far" 0.5 1000 && awk -v a="$near" -v b="$far" 'BEGIN { exit !(a > 1.4 * b) }'; then
	ok "ns3kind_wifi_distance ($near Mbit/s at 10 m, $far at 50 m)"
else fail ns3kind_wifi_distance "10 m '$near', 50 m '$far'"; fi

# SIGKILL of the controller: no ns-3 process, no namespace of the run left once cleaned
topo "delay=1ms"
$Q testbed --kernel host --topology "$tmp/topo.yaml" --print --hold 0 >"$tmp/kill.out" 2>&1 &
ctl=$!
# (its stdout is a file, so buffered: the run is found by the owner file holding its pid)
for _ in $(seq 100); do pids=$(pgrep -P "$ctl" -x qoslab-ns3) && break; sleep 0.1; done
sleep 0.5
run=$(grep -lw "$ctl" /run/qoslab/qoslab-*/owner 2>/dev/null | head -1 | xargs -r dirname | xargs -r basename)
kill -9 "$ctl"; wait "$ctl" 2>/dev/null
for _ in $(seq 30); do left=$(for p in $pids; do [ -e "/proc/$p" ] && echo "$p"; done); [ -z "$left" ] && break; sleep 0.1; done
$Q clean >/dev/null 2>&1
ns=$(ip netns list 2>/dev/null | grep -c "^$run-" || true)
if [ -n "$run" ] && [ -n "$pids" ] && [ -z "$left" ] && [ "$ns" = 0 ]; then ok "ns3kind_sigkill_leaves_nothing (ns-3 pid $pids gone)"
else fail ns3kind_sigkill_leaves_nothing "run '$run', ns-3 pids '$pids', alive '$left', namespaces $ns" "$(cat "$tmp/kill.out")"; fi

# ---- an ns3 switch: one shared Wi-Fi channel, each linked node a station ----
air() { # $1 = nodes beyond server (the hub) and client
	{
		echo "topology:"
		echo "  switches: [{name: air, kind: ns3, params: {channel: wifi, standard: a, hard_limit: 300ms}}]"
		echo "  nodes: [{name: server, role: server}, {name: client, role: client}, {name: worker-1, role: worker}, {name: worker-2, role: worker}]"
		echo "  links:"
		echo "    - {a: server, b: air}"
		for n in client worker-1 worker-2; do echo "    - {name: $n, a: $n, b: air, params: {distance: 10m}}"; done
	} >"$tmp/air.yaml"
}
air
# server 10.77.0.1 (the hub), client .2, worker-1 .3, worker-2 .4: any two talk
out=$(again $Q testbed --kernel host --topology "$tmp/air.yaml" --stats \
	-e 'worker-2=ping -c 3 -i 0.1 -q 10.77.0.3' \
	-e 'client=ping -c 3 -i 0.1 -q 10.77.0.1; ping -c 3 -i 0.1 -q 10.77.0.3; ping -c 3 -i 0.1 -q 10.77.0.4' 2>&1)
n=$(grep -c ' 3 received' <<<"$out")
dpk=$(sed -n 's/^link worker-2 *up [0-9]* B [0-9]* pkt, down [0-9]* B \([0-9]*\) pkt/\1/p' <<<"$out")
if [ "$n" = 4 ] && [ "${dpk:-0}" -ge 3 ]; then ok "ns3switch_any_two (4 pairs, worker-2's station received $dpk)"
else fail ns3switch_any_two "pairs answered $n, worker-2 down '$dpk'" "$out"; fi

# contention: senders at once to the hub share the channel
ipf() { echo "sleep 0.5; timeout 15 iperf3 -c 10.77.0.1 -p $1 -t 4 -J | jq '.end.sum_received.bits_per_second/1e6*100|round/100'"; }
srv='server=for p in 5201 5202; do iperf3 -s -1 -p $p >/dev/null & done; wait'
alone=$(again $Q testbed --kernel host --topology "$tmp/air.yaml" -e "$srv" -e "client=$(ipf 5201)" -e "worker-1=sleep 6" 2>&1 | tail -1)
both=$(again $Q testbed --kernel host --topology "$tmp/air.yaml" -e "$srv" -e "client=$(ipf 5201)" \
	-e "worker-1=$(ipf 5202); sleep 1" 2>&1 | tail -2 | tr '\n' ' ')
read -r b1 b2 <<<"$both"
if in_range "$alone" 10 54 && in_range "${b1:-x}" 0.5 100 && in_range "${b2:-x}" 0.5 100 &&
	awk -v a="$alone" -v x="$b1" -v y="$b2" 'BEGIN { exit !(x < 0.75 * a && y < 0.75 * a) }'; then
	ok "ns3switch_contention ($alone Mbit/s alone; $b1 + $b2 at once)"
else fail ns3switch_contention "alone '$alone', at once '$both'"; fi

# a timeline set moves worker-1 from 10 m to 80 m at 2 s: the client's pings stop
cat >"$tmp/move.yaml" <<EOF
name: move
pipeline: false
repeats: 1
$(sed -n '1,$p' "$tmp/air.yaml")
timeline:
  - {at: 2, action: set, link: worker-1, params: {distance: 80m}}
run:
  - node: client
    wait: true
    argv: [sh, -c, 'ping -D -i 0.02 -c 200 -W 1 "\$1" >ping.txt; true', sh, "{addr:worker-1}"]
EOF
out=$(again $Q run "$tmp/move.yaml" --kernel host --out "$tmp/move" 2>&1); st=$?
p="$tmp/move/trials/000-p0-r0/ping.txt"
# seconds from the first reply: replies before 1.9 s, after 2.3 s, and the last one
read -r before after last <<<"$(awk -F'[][]' '/bytes from/ { if (!t0) t0 = $2; d = $2 - t0
	if (d < 1.9) b++; if (d > 2.3) a++; l = d } END { printf "%d %d %.3f\n", b, a, l }' "$p" 2>/dev/null)"
if [ $st -eq 0 ] && [ "${before:-0}" -ge 50 ] && [ "${after:-1}" = 0 ]; then
	ok "ns3switch_set_distance ($before replies before 2 s, none after; last at $last s)"
else fail ns3switch_set_distance "status $st, before '$before', after '$after', last '$last'" "$out"; fi

# SIGKILL of the controller with a shared channel up: nothing left
$Q testbed --kernel host --topology "$tmp/air.yaml" --print --hold 0 >"$tmp/kill.out" 2>&1 &
ctl=$!
for _ in $(seq 100); do pids=$(pgrep -P "$ctl" -x qoslab-ns3) && break; sleep 0.1; done
sleep 0.5
run=$(grep -lw "$ctl" /run/qoslab/qoslab-*/owner 2>/dev/null | head -1 | xargs -r dirname | xargs -r basename)
kill -9 "$ctl"; wait "$ctl" 2>/dev/null
for _ in $(seq 30); do left=$(for p in $pids; do [ -e "/proc/$p" ] && echo "$p"; done); [ -z "$left" ] && break; sleep 0.1; done
$Q clean >/dev/null 2>&1
ns=$(ip netns list 2>/dev/null | grep -c "^$run-" || true)
if [ -n "$run" ] && [ -n "$pids" ] && [ -z "$left" ] && [ "$ns" = 0 ]; then ok "ns3switch_sigkill_leaves_nothing (ns-3 pid $pids gone)"
else fail ns3switch_sigkill_leaves_nothing "run '$run', ns-3 pids '$pids', alive '$left', namespaces $ns" "$(cat "$tmp/kill.out")"; fi

# a set event on a p2p link: delay 5 ms -> 50 ms at 1 s, pings 0.1 s apart see RTT 10 -> 100 ms
cat >"$tmp/p2pset.yaml" <<'EOF'
name: p2pset
pipeline: false
topology:
  switches: [lan]
  nodes: [{name: client, role: client}, {name: server, role: server}, {name: worker-1, role: worker}]
  links:
    - {name: wan, a: client, b: server, kind: ns3, params: {delay: 5ms, hard_limit: 300ms}}
    - {a: server, b: lan}
    - {a: worker-1, b: lan}
timeline:
  - {at: 1, action: set, link: wan, params: {delay: 50ms, rate: 5mbit}}
run:
  - {node: client, wait: true, argv: [sh, -c, 'ping -i 0.1 -c 25 "$1" >ping.txt', sh, "{addr:server}"]}
EOF
out=$(again $Q run "$tmp/p2pset.yaml" --kernel host --out "$tmp/p2pset" 2>&1); st=$?
rtts=$(awk -F'time=' '/time=/ { split($2, a, " "); print a[1] }' "$tmp/p2pset/trials/000-p0-r0/ping.txt" 2>/dev/null)
first=$(head -5 <<<"$rtts" | median) last=$(tail -5 <<<"$rtts" | median)
if [ $st -eq 0 ] && in_range "${first:-0}" 9.9 14 && in_range "${last:-0}" 99.9 106; then
	ok "ns3kind_set_p2p_delay (RTT $first ms, then $last ms)"
else fail ns3kind_set_p2p_delay "status $st, RTT '$first' then '$last'" "$out"; fi
