/* SPDX-License-Identifier: MIT */
/* Socket helpers: ADDR:PORT parsing, listening/connecting TCP, bound UDP, address strings. */
#ifndef QOSLAB_SOCK_H
#define QOSLAB_SOCK_H
#include <stddef.h>
#include <sys/socket.h>

struct sock_addr {
	struct sockaddr_storage ss;
	socklen_t len;
};

/* "HOST:PORT" or "[V6]:PORT"; HOST may be a name (resolved once, first address).
 * Returns 0, -EINVAL (no port / bad syntax) or -ENOENT (unresolvable host). */
int sock_addr_parse(const char *s, struct sock_addr *ret);
/* "1.2.3.4:80" / "[::1]:80" into buf (>= 64 bytes). */
void sock_addr_str(const struct sock_addr *a, char *buf, size_t size);
int sock_addr_port(const struct sock_addr *a);
void sock_addr_set_port(struct sock_addr *a, int port);

/* Listening TCP socket (SO_REUSEADDR, CLOEXEC); ret_bound holds the actual port when the
 * request had port 0. Returns the fd or -errno. */
int sock_listen_tcp(const struct sock_addr *a, int backlog, struct sock_addr *ret_bound);
/* Blocking connect with a timeout; TCP_NODELAY set. Returns the fd or -errno. */
int sock_connect_tcp(const struct sock_addr *a, int timeout_ms);
/* UDP socket bound to a (port 0 allowed), receive buffer raised to rcvbuf_bytes when
 * possible. Returns the fd or -errno. */
int sock_bind_udp(const struct sock_addr *a, int rcvbuf_bytes, struct sock_addr *ret_bound);
int sock_set_nonblock(int fd);
/* Local and peer addresses of a connected socket. */
int sock_local(int fd, struct sock_addr *ret);
int sock_peer(int fd, struct sock_addr *ret);
/* Writes all of buf on a blocking fd (MSG_NOSIGNAL). 0 or -errno. */
int sock_write_all(int fd, const void *buf, size_t len);
#endif
