// SPDX-License-Identifier: MIT
/* Socket helpers shared by server, worker and client. */
#include "pipeline/sock.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int sock_addr_parse(const char *s, struct sock_addr *ret)
{
	struct addrinfo hints = { .ai_family = AF_UNSPEC, .ai_flags = AI_NUMERICSERV };
	struct addrinfo *res = NULL;
	char host[256];
	const char *colon, *h = host;
	size_t hl;
	int r;

	if (!s || !*s)
		return -EINVAL;
	colon = strrchr(s, ':');
	if (!colon || !colon[1] || strspn(colon + 1, "0123456789") != strlen(colon + 1) ||
	    atoi(colon + 1) > 65535)
		return -EINVAL;
	hl = (size_t)(colon - s);
	if (hl >= sizeof(host))
		return -EINVAL;
	memcpy(host, s, hl);
	host[hl] = 0;
	if (hl >= 2 && host[0] == '[' && host[hl - 1] == ']') {
		host[hl - 1] = 0;
		h = host + 1;
	} else if (memchr(host, ':', hl)) {
		return -EINVAL; /* bare IPv6 needs brackets */
	}
	if (!*h)
		h = "0.0.0.0";
	r = getaddrinfo(h, colon + 1, &hints, &res);
	if (r || !res)
		return -ENOENT;
	memset(ret, 0, sizeof(*ret));
	memcpy(&ret->ss, res->ai_addr, res->ai_addrlen);
	ret->len = res->ai_addrlen;
	freeaddrinfo(res);
	return 0;
}

void sock_addr_str(const struct sock_addr *a, char *buf, size_t size)
{
	char h[INET6_ADDRSTRLEN] = "?";

	if (a->ss.ss_family == AF_INET6) {
		const struct sockaddr_in6 *s6 = (const struct sockaddr_in6 *)&a->ss;

		inet_ntop(AF_INET6, &s6->sin6_addr, h, sizeof(h));
		snprintf(buf, size, "[%s]:%d", h, ntohs(s6->sin6_port));
	} else {
		const struct sockaddr_in *s4 = (const struct sockaddr_in *)&a->ss;

		inet_ntop(AF_INET, &s4->sin_addr, h, sizeof(h));
		snprintf(buf, size, "%s:%d", h, ntohs(s4->sin_port));
	}
}

int sock_addr_port(const struct sock_addr *a)
{
	if (a->ss.ss_family == AF_INET6)
		return ntohs(((const struct sockaddr_in6 *)&a->ss)->sin6_port);
	return ntohs(((const struct sockaddr_in *)&a->ss)->sin_port);
}

void sock_addr_set_port(struct sock_addr *a, int port)
{
	if (a->ss.ss_family == AF_INET6)
		((struct sockaddr_in6 *)&a->ss)->sin6_port = htons((uint16_t)port);
	else
		((struct sockaddr_in *)&a->ss)->sin_port = htons((uint16_t)port);
}

static int sock_name(int fd, int peer, struct sock_addr *ret)
{
	struct sock_addr a = { .len = sizeof(a.ss) };
	int r = peer ? getpeername(fd, (struct sockaddr *)&a.ss, &a.len)
		     : getsockname(fd, (struct sockaddr *)&a.ss, &a.len);

	if (r < 0)
		return -errno;
	*ret = a;
	return 0;
}

int sock_local(int fd, struct sock_addr *ret)
{
	return sock_name(fd, 0, ret);
}

int sock_peer(int fd, struct sock_addr *ret)
{
	return sock_name(fd, 1, ret);
}

int sock_listen_tcp(const struct sock_addr *a, int backlog, struct sock_addr *ret_bound)
{
	int fd, one = 1, r;

	fd = socket(a->ss.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(fd, (const struct sockaddr *)&a->ss, a->len) < 0 || listen(fd, backlog) < 0) {
		r = -errno;
		close(fd);
		return r;
	}
	if (ret_bound && (r = sock_local(fd, ret_bound)) < 0) {
		close(fd);
		return r;
	}
	return fd;
}

int sock_set_nonblock(int fd)
{
	int fl = fcntl(fd, F_GETFL);

	if (fl < 0 || fcntl(fd, F_SETFL, fl | O_NONBLOCK) < 0)
		return -errno;
	return 0;
}

int sock_connect_tcp(const struct sock_addr *a, int timeout_ms)
{
	struct pollfd p = { .events = POLLOUT };
	int fd, r, one = 1, err = 0;
	socklen_t el = sizeof(err);

	fd = socket(a->ss.ss_family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return -errno;
	p.fd = fd;
	if (connect(fd, (const struct sockaddr *)&a->ss, a->len) < 0) {
		if (errno != EINPROGRESS) {
			r = -errno;
			goto out;
		}
		r = poll(&p, 1, timeout_ms);
		if (r <= 0) {
			r = r < 0 ? -errno : -ETIMEDOUT;
			goto out;
		}
		if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &el) < 0 || err) {
			r = err ? -err : -errno;
			goto out;
		}
	}
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	r = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK);
	if (r < 0) {
		r = -errno;
		goto out;
	}
	return fd;
out:
	close(fd);
	return r;
}

int sock_bind_udp(const struct sock_addr *a, int rcvbuf_bytes, struct sock_addr *ret_bound)
{
	int fd, r;

	fd = socket(a->ss.ss_family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	/* A burst of small chunks overflows the default ~200 KB buffer before the reader
	 * runs, which would look like network loss; FORCE needs CAP_NET_ADMIN, so fall
	 * back to the rmem_max-capped request. */
	if (rcvbuf_bytes > 0 &&
	    setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &rcvbuf_bytes, sizeof(rcvbuf_bytes)) < 0)
		setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf_bytes, sizeof(rcvbuf_bytes));
	if (bind(fd, (const struct sockaddr *)&a->ss, a->len) < 0) {
		r = -errno;
		close(fd);
		return r;
	}
	if (ret_bound && (r = sock_local(fd, ret_bound)) < 0) {
		close(fd);
		return r;
	}
	return fd;
}

int sock_write_all(int fd, const void *buf, size_t len)
{
	const char *p = buf;

	while (len) {
		ssize_t n = send(fd, p, len, MSG_NOSIGNAL);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		p += n;
		len -= (size_t)n;
	}
	return 0;
}
