#!/bin/sh
# SPDX-License-Identifier: MIT
# iperf3 as a qoslab `run:` command: the path's RTT by ping while it is idle, then an iperf3
# TCP test, then one metric line on fd $QOSLAB_METRICS_FD (scenarios/README.md, run).
# iperf3 3.12 (Debian 12) prints one JSON document at the end (--json-stream came in 3.17),
# so jq picks the figures out of it.
#   iperf3-metrics.sh SERVER SECONDS [IPERF3 OPTION]...
# Metrics: goodput_bps (received, after the first second), sent_bps, retransmits,
# tcp_rtt_ms (the kernel's smoothed RTT of the flow: queueing included), rtt_ms and
# rtt_min_ms (ping on the idle path: propagation and netem delay only).
set -eu
server=$1
seconds=$2
shift 2
fd=${QOSLAB_METRICS_FD:-3}
name=${QOSLAB_RUN_NAME:-iperf3}
# 40 pings 25 ms apart (1 s): the minimum is the path's RTT unless every one of them met a
# late timer on a busy host; loss leaves enough of them
ping -n -q -c 40 -i 0.025 -W 2 "$server" >"$name.ping.txt" || true
avg=$(awk -F/ '/^rtt/ {print $5}' "$name.ping.txt")
min=$(awk -F'[/= ]+' '/^rtt/ {print $6}' "$name.ping.txt")
iperf3 -c "$server" -t "$seconds" -O 1 -J "$@" >"$name.iperf3.json"
jq -c --argjson rtt "${avg:-null}" --argjson rtt_min "${min:-null}" '{
	goodput_bps: .end.sum_received.bits_per_second,
	sent_bps: .end.sum_sent.bits_per_second,
	retransmits: .end.sum_sent.retransmits,
	tcp_rtt_ms: (.end.streams[0].sender.mean_rtt / 1000),
	rtt_ms: $rtt,
	rtt_min_ms: $rtt_min
}' "$name.iperf3.json" >&"$fd"
