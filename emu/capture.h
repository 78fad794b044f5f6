/* SPDX-License-Identifier: MIT */
/* Packet capture of a node's link into a pcap file (libpcap), taken at the switch port so it
 * shows what crossed the link after netem in both directions. */
#ifndef QOSLAB_CAPTURE_H
#define QOSLAB_CAPTURE_H
#include <stdint.h>

struct testbed;
struct capture;

/* Starts capturing node's link into path (pcap, Ethernet); snaplen 0 = 262144. A thread
 * writes packets until capture_free. -errno on failure (err names the cause when given). */
int capture_new(struct testbed *tb, int node, const char *path, uint32_t snaplen,
		struct capture **ret, char *err, size_t errlen);
/* Stops, flushes and closes the file; packets written and dropped by the kernel buffer. */
void capture_free(struct capture *c, uint64_t *ret_packets, uint64_t *ret_dropped);
#endif
