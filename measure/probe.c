// SPDX-License-Identifier: MIT
/* Link measurements. Sockets are opened inside the nodes' namespaces and then driven from one
 * poll loop in the controller: no helper processes, and one clock for both ends. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "clock.h"
#include "emu/netns.h"
#include "emu/testbed.h"
#include "measure/probe.h"

#define PROBE_PORT 47001
#define BULK_PORT 47002

struct sock_req {
	int type;
	const char *bind_addr; /* NULL: don't bind */
	uint16_t port;
	int listen;
	int fd;
};

/* Receives one probe with the kernel's arrival time (SO_TIMESTAMPNS, CLOCK_REALTIME, mapped
 * onto CLOCK_MONOTONIC), so scheduling delays of this process (large inside UML on a busy
 * host) stay out of the measurement; without a stamp, the time recvmsg returned. */
static ssize_t recv_stamped(int fd, void *buf, size_t len, struct sockaddr_in *src,
			    socklen_t *srclen, int64_t *ret_arrival_ns);

static int open_sock(void *arg)
{
	struct sock_req *q = arg;
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons(q->port) };
	int one = 1, fd = socket(AF_INET, q->type | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);

	if (fd < 0)
		return -errno;
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (q->bind_addr) {
		inet_pton(AF_INET, q->bind_addr, &sa.sin_addr);
		if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 ||
		    (q->listen && listen(fd, 4) < 0)) {
			int r = -errno;

			close(fd);
			return r;
		}
	}
	q->fd = fd;
	return 0;
}

static int sock_in(const struct probe_end *e, int type, const char *bind_addr, uint16_t port,
		   int listen, int *ret_fd)
{
	struct sock_req q = { type, bind_addr, port, listen, -1 };
	int saved, r = netns_enter(e->ns_fd, &saved);

	if (r < 0)
		return r;
	r = open_sock(&q);
	int r2 = netns_leave(saved);

	if (r < 0 || r2 < 0) {
		if (q.fd >= 0)
			close(q.fd);
		return r < 0 ? r : r2;
	}
	*ret_fd = q.fd;
	return 0;
}

static struct probe_end node_end(struct testbed *tb, int node)
{
	return (struct probe_end){ testbed_node_ns(tb, node), testbed_node_addr(tb, node) };
}

struct probe_pkt {
	uint32_t seq;
	uint32_t magic;
	int64_t t_send;
	int64_t owd_fwd; /* set by our echo: network RTT = forward + return, without the time
			  * the echoing process took to wake up (ping's replies come from the
			  * kernel, so this is what ping measures) */
	int64_t t_echo;
};

#define PROBE_MAGIC 0x716f736cu

void probe_result_clear(struct probe_result *r)
{
	free(r->owd_ns);
	free(r->rtt_ns);
	memset(r, 0, sizeof(*r));
}

int probe_udp(struct testbed *tb, int from, int to, uint16_t echo_port, uint32_t count,
	      uint32_t interval_us, uint32_t wait_ms, struct probe_result *ret)
{
	struct probe_end f = node_end(tb, from), t = node_end(tb, to);

	return probe_udp_ends(&f, &t, echo_port, count, interval_us, wait_ms, ret);
}

int probe_udp_ends(const struct probe_end *from, const struct probe_end *to, uint16_t echo_port,
		   uint32_t count, uint32_t interval_us, uint32_t wait_ms, struct probe_result *ret)
{
	struct sockaddr_in dst = { .sin_family = AF_INET,
				   .sin_port = htons(echo_port ? echo_port : PROBE_PORT) };
	struct probe_result res = { .count = count };
	int tx = -1, rx = -1, r;
	uint32_t sent = 0, echoed = 0;
	int64_t start, deadline;

	res.owd_ns = malloc(count * sizeof(int64_t));
	res.rtt_ns = malloc(count * sizeof(int64_t));
	if (!res.owd_ns || !res.rtt_ns) {
		r = -ENOMEM;
		goto out;
	}
	for (uint32_t i = 0; i < count; i++)
		res.owd_ns[i] = res.rtt_ns[i] = -1;
	inet_pton(AF_INET, to->addr, &dst.sin_addr);
	if ((!echo_port && (r = sock_in(to, SOCK_DGRAM, to->addr, PROBE_PORT, 0, &rx)) < 0) ||
	    (r = sock_in(from, SOCK_DGRAM, NULL, 0, 0, &tx)) < 0)
		goto out;

	{
		int big = 4 << 20, one = 1;

		setsockopt(tx, SOL_SOCKET, SO_RCVBUF, &big, sizeof(big));
		setsockopt(tx, SOL_SOCKET, SO_TIMESTAMPNS, &one, sizeof(one));
		if (rx >= 0) {
			setsockopt(rx, SOL_SOCKET, SO_RCVBUF, &big, sizeof(big));
			setsockopt(rx, SOL_SOCKET, SO_TIMESTAMPNS, &one, sizeof(one));
		}
	}
	start = clock_now_ns();
	deadline = start + (int64_t)count * interval_us * 1000 + (int64_t)wait_ms * 1000000;
	for (;;) {
		struct pollfd pfd[2] = { { rx, POLLIN, 0 }, { tx, POLLIN, 0 } };
		int64_t t = clock_now_ns(), next;
		struct probe_pkt p;
		struct sockaddr_in src;
		socklen_t srclen;
		int timeout_ms;

		/* drain both ends first, so a slow loop loses nothing to full socket buffers */
		int64_t d;

		while (rx >= 0 && (srclen = sizeof(src),
		       recv_stamped(rx, &p, sizeof(p), &src, &srclen, &d) == sizeof(p))) {
			if (p.magic != PROBE_MAGIC || p.seq >= count)
				continue;
			if (res.owd_ns[p.seq] < 0)
				res.owd_ns[p.seq] = d - p.t_send;
			p.owd_fwd = d - p.t_send;
			p.t_echo = clock_now_ns();
			sendto(rx, &p, sizeof(p), 0, (struct sockaddr *)&src, srclen);
		}
		while (recv_stamped(tx, &p, sizeof(p), NULL, NULL, &d) == sizeof(p))
			if (p.magic == PROBE_MAGIC && p.seq < count && res.rtt_ns[p.seq] < 0) {
				res.rtt_ns[p.seq] = p.t_echo ? p.owd_fwd + (d - p.t_echo) : d - p.t_send;
				echoed++;
			}
		next = start + (int64_t)sent * interval_us * 1000;
		if (sent < count && t >= next) {
			p = (struct probe_pkt){ sent, PROBE_MAGIC, t, 0, 0 };
			/* a full queue drops like the network would: the probe counts as lost */
			sendto(tx, &p, sizeof(p), 0, (struct sockaddr *)&dst, sizeof(dst));
			if (++sent == count)
				deadline = t + (int64_t)wait_ms * 1000000; /* stragglers, counted from now */
			continue;
		}
		if ((sent == count && t > deadline) || echoed == count)
			break;
		timeout_ms = sent < count ? (int)((next - t) / 1000000) : (int)((deadline - t) / 1000000) + 1;
		if (poll(pfd, 2, timeout_ms < 0 ? 0 : timeout_ms) < 0 && errno != EINTR) {
			r = -errno;
			goto out;
		}
	}
	for (uint32_t i = 0; i < count; i++) {
		res.lost_fwd += !echo_port && res.owd_ns[i] < 0;
		res.lost_rtt += res.rtt_ns[i] < 0;
	}
	*ret = res;
	res.owd_ns = res.rtt_ns = NULL;
	r = 0;
out:
	if (tx >= 0)
		close(tx);
	if (rx >= 0)
		close(rx);
	probe_result_clear(&res);
	return r;
}

static int cmp_i64(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;

	return (x > y) - (x < y);
}

int probe_stats(const int64_t *v, uint32_t n, double *ret_median, double *ret_stddev)
{
	int64_t *s = malloc((n ? n : 1) * sizeof(*s));
	uint32_t m = 0;
	double mean = 0, ss = 0;

	if (!s)
		return -ENOMEM;
	for (uint32_t i = 0; i < n; i++)
		if (v[i] >= 0)
			s[m++] = v[i];
	if (m < 2) {
		free(s);
		return -ENODATA;
	}
	qsort(s, m, sizeof(*s), cmp_i64);
	*ret_median = m % 2 ? (double)s[m / 2] : ((double)s[m / 2 - 1] + (double)s[m / 2]) / 2;
	for (uint32_t i = 0; i < m; i++)
		mean += (double)s[i] / m;
	for (uint32_t i = 0; i < m; i++)
		ss += ((double)s[i] - mean) * ((double)s[i] - mean);
	*ret_stddev = sqrt(ss / (m - 1));
	free(s);
	return 0;
}

int probe_tcp_rate(struct testbed *tb, int from, int to, double seconds, double warmup_s,
		   double *ret_bps)
{
	struct probe_end f = node_end(tb, from), t = node_end(tb, to);

	return probe_tcp_rate_ends(&f, &t, seconds, warmup_s, ret_bps);
}

int probe_tcp_rate_ends(const struct probe_end *from, const struct probe_end *to, double seconds,
			double warmup_s, double *ret_bps)
{
	struct sockaddr_in dst = { .sin_family = AF_INET, .sin_port = htons(BULK_PORT) };
	char *buf = malloc(65536);
	int lfd = -1, cfd = -1, afd = -1, r;
	int64_t start, t_warm, end, t_first = -1, t_last = 0;
	uint64_t bytes_after_warm = 0;

	if (!buf)
		return -ENOMEM;
	inet_pton(AF_INET, to->addr, &dst.sin_addr);
	if ((r = sock_in(to, SOCK_STREAM, to->addr, BULK_PORT, 1, &lfd)) < 0 ||
	    (r = sock_in(from, SOCK_STREAM, NULL, 0, 0, &cfd)) < 0)
		goto out;
	if (connect(cfd, (struct sockaddr *)&dst, sizeof(dst)) < 0 && errno != EINPROGRESS) {
		r = -errno;
		goto out;
	}
	start = clock_now_ns();
	t_warm = start + (int64_t)(warmup_s * 1e9);
	end = start + (int64_t)(seconds * 1e9);
	while (clock_now_ns() < end) {
		struct pollfd pfd[2] = { { afd >= 0 ? afd : lfd, POLLIN, 0 }, { cfd, POLLOUT, 0 } };

		if (poll(pfd, 2, 100) < 0 && errno != EINTR) {
			r = -errno;
			goto out;
		}
		if (afd < 0 && (pfd[0].revents & POLLIN)) {
			afd = accept4(lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
			continue;
		}
		if (afd >= 0 && (pfd[0].revents & POLLIN)) {
			ssize_t n;

			while ((n = recv(afd, buf, 65536, 0)) > 0) {
				int64_t t = clock_now_ns();

				if (t >= t_warm) {
					if (t_first < 0)
						t_first = t;
					else
						bytes_after_warm += (uint64_t)n;
					t_last = t;
				}
			}
		}
		if (pfd[1].revents & POLLOUT)
			while (send(cfd, buf, 65536, MSG_NOSIGNAL) > 0)
				;
	}
	if (t_first < 0 || t_last <= t_first) {
		r = -ENODATA;
		goto out;
	}
	*ret_bps = (double)bytes_after_warm * 8 / ((double)(t_last - t_first) / 1e9);
	r = 0;
out:
	if (afd >= 0)
		close(afd);
	if (cfd >= 0)
		close(cfd);
	if (lfd >= 0)
		close(lfd);
	free(buf);
	return r;
}

int probe_echo_serve(uint16_t port, double seconds)
{
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons(port) };
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0), r = 0;
	int64_t end = clock_now_ns() + (int64_t)(seconds * 1e9);
	char buf[2048];

	if (fd < 0)
		return -errno;
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		r = -errno;
		goto out;
	}
	while (seconds <= 0 || clock_now_ns() < end) {
		struct pollfd pfd = { fd, POLLIN, 0 };
		struct sockaddr_in src;
		socklen_t srclen = sizeof(src);
		ssize_t n;

		if (poll(&pfd, 1, 200) <= 0)
			continue;
		n = recvfrom(fd, buf, sizeof(buf), 0, (struct sockaddr *)&src, &srclen);
		if (n > 0)
			sendto(fd, buf, (size_t)n, 0, (struct sockaddr *)&src, srclen);
	}
out:
	close(fd);
	return r;
}

static ssize_t recv_stamped(int fd, void *buf, size_t len, struct sockaddr_in *src,
			    socklen_t *srclen, int64_t *ret_arrival_ns)
{
	char ctrl[CMSG_SPACE(sizeof(struct timespec))];
	struct iovec iov = { buf, len };
	struct msghdr mh = {
		.msg_name = src, .msg_namelen = src ? *srclen : 0,
		.msg_iov = &iov, .msg_iovlen = 1,
		.msg_control = ctrl, .msg_controllen = sizeof(ctrl),
	};
	struct timespec real, mono;
	ssize_t n = recvmsg(fd, &mh, 0);
	int64_t arrival_mono = clock_now_ns();

	if (n < 0)
		return n;
	if (srclen)
		*srclen = mh.msg_namelen;
	for (struct cmsghdr *c = CMSG_FIRSTHDR(&mh); c; c = CMSG_NXTHDR(&mh, c))
		if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_TIMESTAMPNS) {
			struct timespec ts;

			memcpy(&ts, CMSG_DATA(c), sizeof(ts));
			/* map the realtime stamp onto the monotonic clock the sender used */
			clock_gettime(CLOCK_REALTIME, &real);
			clock_gettime(CLOCK_MONOTONIC, &mono);
			arrival_mono = (int64_t)mono.tv_sec * 1000000000 + mono.tv_nsec -
				((int64_t)real.tv_sec * 1000000000 + real.tv_nsec -
				 ((int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec));
		}
	*ret_arrival_ns = arrival_mono;
	return n;
}
