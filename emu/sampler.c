// SPDX-License-Identifier: MIT
/* Resource sampling thread: cgroup CPU and RSS, link counters from each node's view. */
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "emu/link.h"
#include "emu/sampler.h"
#include "emu/testbed.h"

struct sampler {
	struct testbed *tb;
	FILE *out;
	unsigned int interval_ms;
	struct nl_sock **socks; /* one per node, in its namespace */
	int n;                  /* nodes with a socket; the testbed may have more by now */
	int cap;
	pthread_t thread;
	atomic_int stop;
	atomic_int err;         /* first write error, -errno */
	struct timespec start;
};

static double elapsed_s(const struct timespec *start)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return (double)(now.tv_sec - start->tv_sec) + (now.tv_nsec - start->tv_nsec) / 1e9;
}

/* Workers join while the trial runs (timeline, autoscaler): their nodes get a socket at
 * the first sample that sees them. The testbed counts a node only once it is built. */
static int socks_grow(struct sampler *s)
{
	int n = testbed_node_count(s->tb), r;

	if (n > s->cap) {
		struct nl_sock **ns = realloc(s->socks, (size_t)n * sizeof(*ns));

		if (!ns)
			return -ENOMEM;
		s->socks = ns;
		s->cap = n;
	}
	for (; s->n < n; s->n++)
		if ((r = link_sock_new(testbed_node_ns(s->tb, s->n), &s->socks[s->n])) < 0)
			return r;
	return 0;
}

static void sample_once(struct sampler *s)
{
	double t = elapsed_s(&s->start);
	int r = socks_grow(s);

	/* a joined node left out would be a node missing from the samples: the trial fails */
	if (r < 0 && !atomic_load(&s->err))
		atomic_store(&s->err, r);
	for (int k = 0; k < s->n; k++) {
		struct link_stats ls = { 0 };
		uint64_t cpu_ns = 0, rss = 0;
		const int *links;
		int n = testbed_node_links(s->tb, k, &links);

		testbed_node_usage(s->tb, k, &cpu_ns, &rss);
		/* a node on several links (a router): all its interfaces, eth0 .. ethN-1 */
		for (int j = 0; j < n; j++) {
			struct link_stats one = { 0 };

			link_get_stats(s->socks[k], TESTBED_NODE_IFINDEX + j, &one);
			ls.tx_bytes += one.tx_bytes;
			ls.tx_packets += one.tx_packets;
			ls.rx_bytes += one.rx_bytes;
			ls.rx_packets += one.rx_packets;
		}
		fprintf(s->out, "%.3f,%s,%.6f,%llu,%llu,%llu,%llu,%llu\n", t,
			testbed_node_name(s->tb, k), cpu_ns / 1e9, (unsigned long long)rss,
			(unsigned long long)ls.tx_bytes, (unsigned long long)ls.tx_packets,
			(unsigned long long)ls.rx_bytes, (unsigned long long)ls.rx_packets);
	}
	if ((fflush(s->out) != 0 || ferror(s->out)) && !atomic_load(&s->err))
		atomic_store(&s->err, errno ? -errno : -EIO);
}

static void *sampler_loop(void *arg)
{
	struct sampler *s = arg;

	while (!atomic_load(&s->stop)) {
		sample_once(s);
		/* sleep in slices so that a stop is not delayed by a long interval */
		for (unsigned int slept = 0; slept < s->interval_ms && !atomic_load(&s->stop); slept += 50) {
			struct timespec tick = { 0, 50 * 1000000 };

			nanosleep(&tick, NULL);
		}
	}
	return NULL;
}

static void socks_free(struct sampler *s)
{
	for (int k = 0; s->socks && k < s->n; k++)
		link_sock_free(s->socks[k]);
	free(s->socks);
}

int sampler_new(struct testbed *tb, const char *path, unsigned int interval_ms, struct sampler **ret)
{
	struct sampler *s = calloc(1, sizeof(*s));
	int r;

	if (!s)
		return -ENOMEM;
	s->tb = tb;
	s->interval_ms = interval_ms ? interval_ms : 1000;
	if ((r = socks_grow(s)) < 0)
		goto fail;
	s->out = fopen(path, "we");
	if (!s->out) {
		r = -errno;
		goto fail;
	}
	fprintf(s->out, "t_s,node,cpu_s,rss_bytes,up_bytes,up_packets,down_bytes,down_packets\n");
	clock_gettime(CLOCK_MONOTONIC, &s->start);
	r = -pthread_create(&s->thread, NULL, sampler_loop, s);
	if (r < 0)
		goto fail;
	*ret = s;
	return 0;
fail:
	if (s->out)
		fclose(s->out);
	socks_free(s);
	free(s);
	return r;
}

int sampler_free(struct sampler *s)
{
	int r;

	if (!s)
		return 0;
	atomic_store(&s->stop, 1);
	pthread_join(s->thread, NULL);
	sample_once(s);
	r = atomic_load(&s->err);
	if (fclose(s->out) != 0 && !r)
		r = -errno;
	socks_free(s);
	free(s);
	return r;
}
