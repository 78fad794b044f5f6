/* SPDX-License-Identifier: MIT */
/* Measuring what a link really does: UDP probes (one-way delay, RTT, which probes were lost)
 * and a TCP bulk transfer (rate), between two nodes of a testbed. */
#ifndef QOSLAB_PROBE_H
#define QOSLAB_PROBE_H
#include <stdint.h>

struct testbed;

/* One end of a measurement outside a testbed's nodes: a namespace and an address in it. */
struct probe_end {
	int ns_fd;
	const char *addr; /* "10.78.0.2" */
};

struct probe_result {
	uint32_t count;
	int64_t *owd_ns;   /* per probe: one-way delay from -> to; -1 when lost on the way */
	int64_t *rtt_ns;   /* per probe: round trip; -1 when lost either way */
	uint32_t lost_fwd; /* probes that never reached the receiver */
	uint32_t lost_rtt; /* probes whose echo never came back */
};

/*
 * Sends count UDP probes from node `from` to node `to`, one every interval_us, which `to`
 * echoes. Both clocks are the same kernel's CLOCK_MONOTONIC, so one-way delays are exact.
 * With echo_port, a process in `to` (probe_echo_serve) answers instead and only round
 * trips are measured. Waits up to wait_ms after the last probe for stragglers. ret is
 * filled; free with probe_result_clear.
 */
int probe_udp(struct testbed *tb, int from, int to, uint16_t echo_port, uint32_t count,
	      uint32_t interval_us, uint32_t wait_ms, struct probe_result *ret);

/* The same between any two namespaces (e.g. joined by an ns-3 link). */
int probe_udp_ends(const struct probe_end *from, const struct probe_end *to, uint16_t echo_port,
		   uint32_t count, uint32_t interval_us, uint32_t wait_ms, struct probe_result *ret);

/* A UDP echo service in this process's namespace, for seconds (<= 0: forever). */
int probe_echo_serve(uint16_t port, double seconds);
void probe_result_clear(struct probe_result *r);

/* Median and sample standard deviation of the non-negative entries of v, in ns. */
int probe_stats(const int64_t *v, uint32_t n, double *ret_median, double *ret_stddev);

/* TCP bulk transfer from -> to for seconds; goodput measured at the receiver after the first
 * warmup_s seconds (slow start). ret_bps: bit/s of payload. */
int probe_tcp_rate(struct testbed *tb, int from, int to, double seconds, double warmup_s,
		   double *ret_bps);
int probe_tcp_rate_ends(const struct probe_end *from, const struct probe_end *to, double seconds,
			double warmup_s, double *ret_bps);
#endif
