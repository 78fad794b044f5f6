/* SPDX-License-Identifier: MIT */
/* Per-node resource samples at an interval, as CSV: CPU time, memory, link bytes and packets
 * each way. */
#ifndef QOSLAB_SAMPLER_H
#define QOSLAB_SAMPLER_H
#include <stdint.h>

struct testbed;
struct sampler;

/*
 * Starts a thread writing to path (created/truncated) one row per node every interval_ms:
 *   t_s,node,cpu_s,rss_bytes,up_bytes,up_packets,down_bytes,down_packets
 * t_s counts from the start; cpu_s is the node's cgroup CPU time; up is node -> switch.
 * Nodes testbed_add_worker adds meanwhile get rows from the first sample after they join.
 * The thread keeps its own netlink sockets, so the controller's stay single-threaded.
 */
int sampler_new(struct testbed *tb, const char *path, unsigned int interval_ms, struct sampler **ret);
/* Takes a last sample, stops and closes the file. NULL-safe. Returns the first error in
 * writing the file (-errno: the samples are incomplete), else 0. */
int sampler_free(struct sampler *s);
#endif
