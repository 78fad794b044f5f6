/* SPDX-License-Identifier: MIT */
/* Packet capture of a link into a pcap file (libpcap), taken at its b end (the switch port
 * of a node's link) so it shows what crossed the link in both directions. */
#ifndef QOSLAB_CAPTURE_H
#define QOSLAB_CAPTURE_H
#include <stdint.h>

struct testbed;
struct capture;

/* Starts capturing the link (in the star, link k is node k's) into path (pcap, Ethernet); snaplen 0 = 262144. A thread
 * writes packets until capture_free. -errno on failure (err names the cause when given). */
int capture_new(struct testbed *tb, int link, const char *path, uint32_t snaplen,
		struct capture **ret, char *err, size_t errlen);
/* Stops, flushes and closes the file; packets written and dropped by the kernel buffer. */
void capture_free(struct capture *c, uint64_t *ret_packets, uint64_t *ret_dropped);
#endif
