// SPDX-License-Identifier: MIT
/* pcap capture per link. The pcap handle (an AF_PACKET socket) is opened inside the switch
 * namespace and keeps it; one thread per capture drains it into a dump file. */
#include <errno.h>
#include <pcap/pcap.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "emu/capture.h"
#include "emu/netns.h"
#include "emu/testbed.h"

struct capture {
	pcap_t *pcap;
	pcap_dumper_t *dump;
	pthread_t thread;
	atomic_int stop;
	uint64_t packets;
};

/* Non-blocking reads behind poll(), so that a silent link does not keep the thread from
 * seeing stop. */
static void *capture_loop(void *arg)
{
	struct capture *c = arg;
	struct pollfd pfd = { pcap_get_selectable_fd(c->pcap), POLLIN, 0 };

	while (!atomic_load(&c->stop)) {
		int n;

		if (poll(&pfd, 1, 100) <= 0)
			continue;
		n = pcap_dispatch(c->pcap, -1, pcap_dump, (u_char *)c->dump);
		if (n > 0)
			c->packets += (uint64_t)n;
		else if (n == PCAP_ERROR)
			break;
	}
	/* what is still buffered */
	int n;
	while ((n = pcap_dispatch(c->pcap, -1, pcap_dump, (u_char *)c->dump)) > 0)
		c->packets += (uint64_t)n;
	return NULL;
}

static int open_in(int ns_fd, const char *dev, uint32_t snaplen, pcap_t **ret, char *err,
		   size_t errlen)
{
	char ebuf[PCAP_ERRBUF_SIZE] = "";
	pcap_t *p = NULL;
	int saved, r;

	r = netns_enter(ns_fd, &saved);
	if (r < 0)
		return r;
	p = pcap_create(dev, ebuf);
	if (p) {
		pcap_set_snaplen(p, snaplen ? (int)snaplen : 262144);
		pcap_set_promisc(p, 0);
		/* packet by packet (TPACKET_V2): with V3's blocks, what arrived in the last
		 * block timeout before a stop would not reach the file */
		pcap_set_immediate_mode(p, 1);
		pcap_set_buffer_size(p, 4 << 20);
		if (pcap_activate(p) < 0) {
			snprintf(ebuf, sizeof(ebuf), "%s", pcap_geterr(p));
			pcap_close(p);
			p = NULL;
		}
	}
	r = netns_leave(saved);
	if (!p) {
		snprintf(err, errlen, "capture on %s: %s", dev, ebuf);
		return -EIO;
	}
	if (r < 0) {
		pcap_close(p);
		return r;
	}
	if (pcap_setnonblock(p, 1, ebuf) < 0) {
		snprintf(err, errlen, "capture on %s: %s", dev, ebuf);
		pcap_close(p);
		return -EIO;
	}
	*ret = p;
	return 0;
}

int capture_new(struct testbed *tb, int link, const char *path, uint32_t snaplen,
		struct capture **ret, char *err, size_t errlen)
{
	struct capture *c = calloc(1, sizeof(*c));
	const char *dev;
	int ns, r;

	if (!c)
		return -ENOMEM;
	testbed_link_capture_at(tb, link, &ns, &dev);
	r = open_in(ns, dev, snaplen, &c->pcap, err, errlen);
	if (r < 0)
		goto fail;
	c->dump = pcap_dump_open(c->pcap, path);
	if (!c->dump) {
		snprintf(err, errlen, "capture file %s: %s", path, pcap_geterr(c->pcap));
		r = -EIO;
		goto fail;
	}
	r = -pthread_create(&c->thread, NULL, capture_loop, c);
	if (r < 0)
		goto fail;
	*ret = c;
	return 0;
fail:
	if (c->dump)
		pcap_dump_close(c->dump);
	if (c->pcap)
		pcap_close(c->pcap);
	free(c);
	return r;
}

void capture_free(struct capture *c, uint64_t *ret_packets, uint64_t *ret_dropped)
{
	struct pcap_stat st = { 0 };

	if (!c)
		return;
	atomic_store(&c->stop, 1);
	pthread_join(c->thread, NULL);
	pcap_stats(c->pcap, &st);
	pcap_dump_close(c->dump);
	pcap_close(c->pcap);
	if (ret_packets)
		*ret_packets = c->packets;
	if (ret_dropped)
		*ret_dropped = st.ps_drop;
	free(c);
}
