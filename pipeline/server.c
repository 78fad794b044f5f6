// SPDX-License-Identifier: MIT
/* The job server's event loop: worker connections, UDP reassembly, dispatch and deadlines. */
#include "pipeline/server.h"

#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include "clock.h"
#include "pipeline/udp.h"

/* Bounds on what unclaimed UDP transfers may hold: datagrams are unauthenticated. */
#define TRANSFERS_MAX 4096
#define TRANSFER_BYTES_MAX (512u * 1024 * 1024)
#define TRANSFER_TTL_MS 10000
#define UDP_RCVBUF_BYTES (8 * 1024 * 1024)
/* Workers that left, kept for the board (which shows who was lost, and why) */
#define LEFT_MAX 32

struct conn {
	struct conn *next;
	int fd;
	uint32_t id;
	int registered;
	int dead;
	int want_out;
	char name[PROTO_STR_MAX + 1];
	char model[PROTO_STR_MAX + 1];
	char addr[64];
	char why[64];              /* why it is being closed, for the board */
	struct sock_addr udp_dest;
	int have_udp;
	struct proto_reader *rd;
	struct proto_buf out;
	int64_t connect_ms;
	uint64_t jobs_done;
};

struct left_worker {
	uint32_t id;
	char name[PROTO_STR_MAX + 1];
	char addr[64];
	char why[64];
	uint64_t jobs_done;
	int64_t joined_ms, left_ms;
};

/* One image arriving by UDP on the client -> server hop. */
struct transfer {
	struct transfer *next;
	uint64_t id;
	struct udp_asm *a;
	int64_t first_ms, last_ms;
};

struct server {
	struct server_config cfg;
	pthread_mutex_t lock;
	struct dispatch *d;
	int listen_fd, udp_fd, wake_fd, ep;
	int sig_fd; /* the caller's, while server_run runs */
	struct sock_addr listen_addr, udp_addr;
	struct conn *conns;
	uint32_t next_conn_id;
	uint64_t next_job_id;
	struct server_job *udp_pending; /* accepted, waiting for their datagrams */
	uint32_t n_udp_pending;
	struct transfer *transfers;
	size_t n_transfers, transfer_bytes;
	struct server_job *done, **done_tail; /* answered; callbacks run after unlock */
	int stopping;
	int64_t start_ms;
	uint64_t bad_frames, udp_datagrams, udp_bad, udp_refused, transfers_expired;
	uint64_t results_ok, results_error, udp_rejected_busy;
	struct left_worker left[LEFT_MAX]; /* ring, newest at (n_left - 1) % LEFT_MAX */
	uint64_t n_left;
};

#define LOG(s, ...) do { if ((s)->cfg.log) (s)->cfg.log((s)->cfg.log_arg, __VA_ARGS__); } while (0)

static struct server_job *job_of(struct dispatch_job *dj)
{
	return (struct server_job *)((char *)dj - offsetof(struct server_job, dj));
}

void server_job_free(struct server_job *j)
{
	if (!j)
		return;
	free(j->image);
	proto_result_clear(&j->result);
	free(j);
}

/* ---- setup ---- */

static int ep_add(int ep, int fd, uint32_t events, void *ptr)
{
	struct epoll_event ev = { .events = events, .data.ptr = ptr };

	return epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev) < 0 ? -errno : 0;
}

/* Sentinels for the epoll data of the fixed fds (connections use their struct conn). */
static char tag_listen, tag_udp, tag_wake, tag_sig;

int server_new(const struct server_config *cfg, struct server **ret)
{
	struct server *s = calloc(1, sizeof(*s));
	int r;

	if (!s)
		return -ENOMEM;
	s->listen_fd = s->udp_fd = s->wake_fd = s->sig_fd = s->ep = -1;
	s->cfg = *cfg;
	s->done_tail = &s->done;
	s->next_job_id = 1;
	s->next_conn_id = 1;
	s->start_ms = clock_now_ms();
	pthread_mutex_init(&s->lock, NULL);
	r = dispatch_new(&cfg->dispatch, &s->d);
	if (r < 0)
		goto out;
	r = s->listen_fd = sock_listen_tcp(&cfg->listen, 128, &s->listen_addr);
	if (r < 0)
		goto out;
	if (cfg->have_udp) {
		r = s->udp_fd = sock_bind_udp(&cfg->udp, UDP_RCVBUF_BYTES, &s->udp_addr);
		if (r < 0)
			goto out;
		if ((r = sock_set_nonblock(s->udp_fd)) < 0)
			goto out;
	}
	r = s->wake_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (r < 0) {
		r = -errno;
		goto out;
	}
	r = s->ep = epoll_create1(EPOLL_CLOEXEC);
	if (r < 0) {
		r = -errno;
		goto out;
	}
	if ((r = sock_set_nonblock(s->listen_fd)) < 0 ||
	    (r = ep_add(s->ep, s->listen_fd, EPOLLIN, &tag_listen)) < 0 ||
	    (r = ep_add(s->ep, s->wake_fd, EPOLLIN, &tag_wake)) < 0 ||
	    (s->udp_fd >= 0 && (r = ep_add(s->ep, s->udp_fd, EPOLLIN, &tag_udp)) < 0))
		goto out;
	*ret = s;
	return 0;
out:
	server_free(s);
	return r;
}

static void conn_free(struct conn *c)
{
	if (!c)
		return;
	if (c->fd >= 0)
		close(c->fd);
	proto_reader_free(c->rd);
	proto_buf_clear(&c->out);
	free(c);
}

static void transfer_free(struct transfer *t)
{
	if (!t)
		return;
	udp_asm_free(t->a);
	free(t);
}

void server_free(struct server *s)
{
	if (!s)
		return;
	while (s->conns) {
		struct conn *c = s->conns;

		s->conns = c->next;
		conn_free(c);
	}
	while (s->transfers) {
		struct transfer *t = s->transfers;

		s->transfers = t->next;
		transfer_free(t);
	}
	for (int *fd = (int[]){ s->listen_fd, s->udp_fd, s->wake_fd, s->ep }, *end = fd + 4;
	     fd < end; fd++)
		if (*fd >= 0)
			close(*fd);
	dispatch_free(s->d);
	pthread_mutex_destroy(&s->lock);
	free(s);
}

void server_listen_addr(const struct server *s, struct sock_addr *ret)
{
	*ret = s->listen_addr;
}

int server_udp_addr(const struct server *s, struct sock_addr *ret)
{
	if (s->udp_fd < 0)
		return -ENOENT;
	*ret = s->udp_addr;
	return 0;
}

static void wake(struct server *s)
{
	uint64_t one = 1;

	if (write(s->wake_fd, &one, sizeof(one)) < 0) {
		/* EAGAIN: the counter is already non-zero, the loop will wake anyway. */
	}
}

void server_stop(struct server *s)
{
	__atomic_store_n(&s->stopping, 1, __ATOMIC_SEQ_CST);
	wake(s);
}

/* ---- answering ---- */

/* A job's epoll data: its address with the low bit set (connections use theirs as is). */
#define JOB_TAG(j) ((void *)((uintptr_t)(j) | 1))
#define IS_JOB_TAG(p) (((uintptr_t)(p) & 1) != 0)
#define JOB_OF_TAG(p) ((struct server_job *)((uintptr_t)(p) & ~(uintptr_t)1))

static void unwatch(struct server *s, struct server_job *j)
{
	if (!j->watch_client)
		return;
	epoll_ctl(s->ep, EPOLL_CTL_DEL, j->client_fd, NULL);
	j->watch_client = 0;
}

/* The client of j hung up: cancel the job if no worker has it yet. */
static void client_gone(struct server *s, struct server_job *j)
{
	unwatch(s, j); /* level-triggered: once is enough, also for a running job */
	for (struct server_job *u = s->udp_pending; u; u = u->next)
		if (u == j)
			return; /* still collecting datagrams: its deadline answers it soon */
	if (dispatch_cancel_queued(s->d, &j->dj) == 0)
		LOG(s, "job %llu: the client hung up; cancelled before dispatch",
		    (unsigned long long)j->dj.id);
}

/* Queues the job for its done() callback (called after the lock is dropped). */
static void answer(struct server *s, struct server_job *j, enum dispatch_outcome o)
{
	/* the submitter may close client_fd once done() ran */
	unwatch(s, j);
	j->outcome = o;
	j->attempts = j->dj.attempts;
	j->queue_ms = j->dj.queue_ms;
	j->done_ms = clock_now_ms();
	j->next = NULL;
	*s->done_tail = j;
	s->done_tail = &j->next;
}

static void run_callbacks(struct server *s)
{
	struct server_job *j;

	pthread_mutex_lock(&s->lock);
	j = s->done;
	s->done = NULL;
	s->done_tail = &s->done;
	pthread_mutex_unlock(&s->lock);
	while (j) {
		struct server_job *next = j->next;

		j->done(j);
		j = next;
	}
}

/* ---- submission (any thread) ---- */

int server_submit(struct server *s, struct server_job *j)
{
	struct dispatch_stats st;
	int r = 0, assigned = 0;

	pthread_mutex_lock(&s->lock);
	if (__atomic_load_n(&s->stopping, __ATOMIC_SEQ_CST)) {
		r = -ESHUTDOWN;
		goto out;
	}
	if (j->udp && s->udp_fd < 0) {
		r = -EINVAL;
		goto out;
	}
	assigned = !j->dj.id;
	if (assigned)
		j->dj.id = s->next_job_id;
	j->recv_ms = clock_now_ms();
	if (j->udp) {
		/* Jobs still waiting for datagrams count against the queue bound as well. */
		dispatch_get_stats(s->d, &st);
		if (st.queued + s->n_udp_pending >= st.queue_max && !st.idle) {
			s->udp_rejected_busy++;
			r = -EBUSY;
			goto out;
		}
		j->udp_since_ms = j->recv_ms;
		j->next = s->udp_pending;
		s->udp_pending = j;
		s->n_udp_pending++;
	} else if (j->restored) {
		dispatch_restore(s->d, &j->dj, j->recv_ms);
	} else {
		r = dispatch_submit(s->d, &j->dj, j->recv_ms);
	}
	/* EPOLLRDHUP alone: data the client sends (a pipelined request) is MHD's business */
	if (!r && j->watch_client && ep_add(s->ep, j->client_fd, EPOLLRDHUP, JOB_TAG(j)) < 0)
		j->watch_client = 0;
out:
	/* An id is used up only by a job that was taken. */
	if (assigned && r < 0)
		j->dj.id = 0;
	else if (assigned)
		s->next_job_id++;
	pthread_mutex_unlock(&s->lock);
	if (!r)
		wake(s);
	return r;
}

int server_cancel(struct server *s, uint64_t job_id)
{
	int r = -ENOENT;

	pthread_mutex_lock(&s->lock);
	for (struct server_job **pp = &s->udp_pending; *pp; pp = &(*pp)->next)
		if ((*pp)->dj.id == job_id) {
			struct server_job *j = *pp;

			*pp = j->next;
			s->n_udp_pending--;
			answer(s, j, DISPATCH_CANCELLED);
			r = 0;
			break;
		}
	if (r < 0)
		r = dispatch_cancel(s->d, job_id);
	pthread_mutex_unlock(&s->lock);
	if (!r)
		wake(s);
	return r;
}

/* ---- worker connections ---- */

static void conn_flush(struct server *s, struct conn *c)
{
	while (c->out.len) {
		ssize_t n = send(c->fd, c->out.data, c->out.len, MSG_NOSIGNAL | MSG_DONTWAIT);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno != EAGAIN)
				c->dead = 1;
			break;
		}
		proto_buf_consume(&c->out, (size_t)n);
	}
	if (c->dead)
		return;
	if (!!c->out.len != c->want_out) {
		struct epoll_event ev = { .events = EPOLLIN | (c->out.len ? EPOLLOUT : 0), .data.ptr = c };

		if (epoll_ctl(s->ep, EPOLL_CTL_MOD, c->fd, &ev) == 0)
			c->want_out = !!c->out.len;
	}
}

static void conn_bye(struct server *s, struct conn *c, const char *reason)
{
	if (c->dead)
		return;
	proto_put_bye(&c->out, reason);
	conn_flush(s, c);
	c->dead = 1;
}

static void accept_conns(struct server *s)
{
	for (;;) {
		struct conn *c;
		struct sock_addr peer;
		int fd = accept4(s->listen_fd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);

		if (fd < 0)
			return; /* EAGAIN, or a transient error (EMFILE): retried on the next event */
		c = calloc(1, sizeof(*c));
		if (!c || proto_reader_new(s->cfg.max_frame_bytes, &c->rd) < 0 ||
		    ep_add(s->ep, fd, EPOLLIN, c) < 0) {
			close(fd);
			if (c)
				proto_reader_free(c->rd);
			free(c);
			continue;
		}
		c->fd = fd;
		c->id = s->next_conn_id++;
		c->connect_ms = clock_now_ms();
		setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &(int){ 1 }, sizeof(int));
		if (sock_peer(fd, &peer) == 0)
			sock_addr_str(&peer, c->addr, sizeof(c->addr));
		c->next = s->conns;
		s->conns = c;
	}
}

static void on_register(struct server *s, struct conn *c, const struct proto_register *m,
			int64_t now)
{
	struct proto_welcome w = { .worker_id = c->id, .heartbeat_ms = s->cfg.heartbeat_ms };

	if (m->name[0])
		snprintf(c->name, sizeof(c->name), "%s", m->name);
	else
		snprintf(c->name, sizeof(c->name), "w%u@%s", c->id, c->addr);
	snprintf(c->model, sizeof(c->model), "%s", m->model);
	if (m->udp_port && sock_peer(c->fd, &c->udp_dest) == 0) {
		sock_addr_set_port(&c->udp_dest, m->udp_port);
		c->have_udp = 1;
	}
	if (dispatch_worker_add(s->d, c->id, now) < 0 || proto_put_welcome(&c->out, &w) < 0) {
		c->dead = 1;
		return;
	}
	c->registered = 1;
	LOG(s, "worker %u '%s' (%s, model %s) joined", c->id, c->name, c->addr, c->model);
}

static void on_result(struct server *s, struct conn *c, struct proto_result *m, int64_t now)
{
	struct dispatch_job *dj = NULL;
	struct server_job *j;
	int r = dispatch_result(s->d, c->id, m->job_id, m->attempt, now, &dj);

	if (r < 0) {
		LOG(s, "worker %u '%s': dropped late result for job %llu attempt %u", c->id,
		    c->name, (unsigned long long)m->job_id, m->attempt);
		proto_result_clear(m);
		return;
	}
	j = job_of(dj);
	j->result = *m;
	memset(m, 0, sizeof(*m));
	snprintf(j->worker, sizeof(j->worker), "%s", c->name);
	j->dispatch_ms = now - dj->dispatch_ms;
	c->jobs_done++;
	if (j->result.status < 0)
		s->results_error++;
	else
		s->results_ok++;
	answer(s, j, DISPATCH_DONE);
}

/* One frame from a worker; a frame a worker must not send ends its connection. */
static void on_frame(struct server *s, struct conn *c, const struct proto_frame *f, int64_t now)
{
	struct proto_register reg;
	struct proto_result res;
	char why[PROTO_STR_MAX + 1];
	uint64_t ms;
	int r = -EBADMSG;

	if (c->registered)
		dispatch_worker_seen(s->d, c->id, now);
	switch (f->type) {
	case PROTO_REGISTER:
		if (!c->registered && (r = proto_get_register(f, &reg)) == 0)
			on_register(s, c, &reg, now);
		break;
	case PROTO_HEARTBEAT:
		if (c->registered)
			r = proto_get_heartbeat(f, &ms);
		break;
	case PROTO_RESULT:
		if (c->registered && (r = proto_get_result(f, &res)) == 0)
			on_result(s, c, &res, now);
		break;
	case PROTO_BYE:
		if ((r = proto_get_bye(f, why, sizeof(why))) == 0) {
			LOG(s, "worker %u '%s' said bye: %s", c->id, c->name, why);
			snprintf(c->why, sizeof(c->why), "bye: %s", why);
			c->dead = 1;
		}
		break;
	default:
		break;
	}
	if (r < 0) {
		s->bad_frames++;
		LOG(s, "connection %u (%s): unexpected or malformed %s frame; closing it", c->id,
		    c->addr, proto_type_name(f->type));
		c->dead = 1;
	}
}

static void conn_read(struct server *s, struct conn *c, int64_t now)
{
	uint8_t buf[65536];
	struct proto_frame f;

	for (;;) {
		ssize_t n = recv(c->fd, buf, sizeof(buf), MSG_DONTWAIT);
		int st;

		if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR)) {
			c->dead = 1;
			return;
		}
		if (n < 0)
			return;
		if (proto_reader_feed(c->rd, buf, (size_t)n) < 0) {
			c->dead = 1;
			return;
		}
		while (!c->dead && (st = proto_reader_next(c->rd, &f)) == 1)
			on_frame(s, c, &f, now);
		if (!c->dead && st < 0) {
			s->bad_frames++;
			LOG(s, "connection %u (%s): bad frame (%s); closing it", c->id, c->addr,
			    strerror(-st));
			conn_bye(s, c, "bad frame");
		}
		if (c->dead)
			return;
	}
}

/* Closes connections marked dead; their jobs go back to the queue. */
static void reap_conns(struct server *s, int64_t now)
{
	struct conn **pp = &s->conns;

	while (*pp) {
		struct conn *c = *pp;

		if (!c->dead) {
			pp = &c->next;
			continue;
		}
		*pp = c->next;
		epoll_ctl(s->ep, EPOLL_CTL_DEL, c->fd, NULL);
		if (c->registered) {
			struct dispatch_job *dj = dispatch_worker_job(s->d, c->id);
			struct left_worker *l = &s->left[s->n_left++ % LEFT_MAX];

			dispatch_worker_remove(s->d, c->id, now);
			if (dj && dj->state == DISPATCH_QUEUED && s->cfg.job_event)
				s->cfg.job_event(s->cfg.job_event_arg, job_of(dj), NULL);
			LOG(s, "worker %u '%s' left after %llu jobs", c->id, c->name,
			    (unsigned long long)c->jobs_done);
			*l = (struct left_worker){ .id = c->id, .jobs_done = c->jobs_done,
						   .joined_ms = c->connect_ms, .left_ms = now };
			snprintf(l->name, sizeof(l->name), "%s", c->name);
			snprintf(l->addr, sizeof(l->addr), "%s", c->addr);
			snprintf(l->why, sizeof(l->why), "%s", c->why[0] ? c->why : "disconnected");
		}
		conn_free(c);
	}
}

static struct conn *conn_find(struct server *s, uint32_t id)
{
	for (struct conn *c = s->conns; c; c = c->next)
		if (c->id == id)
			return c;
	return NULL;
}

/* ---- UDP, client -> server hop ---- */

static struct transfer *transfer_find(struct server *s, uint64_t id)
{
	for (struct transfer *t = s->transfers; t; t = t->next)
		if (t->id == id)
			return t;
	return NULL;
}

static void transfer_remove(struct server *s, struct transfer *t)
{
	for (struct transfer **pp = &s->transfers; *pp; pp = &(*pp)->next)
		if (*pp == t) {
			*pp = t->next;
			s->n_transfers--;
			s->transfer_bytes -= udp_asm_total(t->a);
			transfer_free(t);
			return;
		}
}

static void udp_read(struct server *s, int64_t now)
{
	uint8_t d[UDP_HDR_BYTES + 65536];

	/* Bounded so that a datagram flood cannot starve the worker connections. */
	for (int k = 0; k < 4096; k++) {
		ssize_t n = recv(s->udp_fd, d, sizeof(d), MSG_DONTWAIT);
		struct transfer *t;
		struct udp_hdr h;
		const uint8_t *data;
		size_t len;

		if (n < 0)
			return;
		s->udp_datagrams++;
		if (udp_hdr_get(d, (size_t)n, &h, &data, &len) < 0) {
			s->udp_bad++;
			continue;
		}
		t = transfer_find(s, h.transfer);
		if (!t) {
			if (s->n_transfers >= TRANSFERS_MAX ||
			    s->transfer_bytes + h.total > TRANSFER_BYTES_MAX) {
				s->udp_refused++;
				continue;
			}
			t = calloc(1, sizeof(*t));
			if (!t || udp_asm_new(&h, &t->a) < 0) {
				free(t);
				s->udp_refused++;
				continue;
			}
			t->id = h.transfer;
			t->first_ms = now;
			t->next = s->transfers;
			s->transfers = t;
			s->n_transfers++;
			s->transfer_bytes += h.total;
		}
		if (udp_asm_add(t->a, &h, data, len) < 0)
			s->udp_bad++;
		t->last_ms = now;
	}
}

/* Builds a pending job's image from what arrived. 0 or -ENOMEM. */
static int udp_rebuild(struct server *s, struct server_job *j, struct transfer *t)
{
	struct udp_asm *empty = NULL;
	const struct udp_asm *a = t ? t->a : NULL;
	uint8_t *img = NULL;
	size_t len = 0;
	int r;

	/* Datagrams that disagree with the request about the image count as not received. */
	if (a && (udp_asm_total(a) != j->udp_total ||
		  udp_asm_count(a) != udp_chunk_count(j->udp_total, j->udp_chunk)))
		a = NULL;
	if (!a) {
		r = udp_asm_empty(j->udp_total, j->udp_chunk, &empty);
		if (r < 0)
			return r;
		a = empty;
	}
	r = udp_asm_build(a, j->reassembly == PROTO_CONCAT, &img, &len);
	if (r == 0) {
		j->image = img;
		j->image_len = len;
		j->udp_chunks_rx = udp_asm_received(a);
	}
	udp_asm_free(empty);
	if (t)
		transfer_remove(s, t);
	return r;
}

/* Moves UDP jobs whose image is complete, or whose reassembly deadline passed, to the
 * dispatch queue. The deadline is udp_wait_ms after the later of the request's arrival and
 * the last datagram of its transfer. */
static void udp_release(struct server *s, int64_t now)
{
	struct server_job **pp = &s->udp_pending;

	while (*pp) {
		struct server_job *j = *pp;
		struct transfer *t = transfer_find(s, j->client_transfer);
		int64_t last = t && t->last_ms > j->udp_since_ms ? t->last_ms : j->udp_since_ms;

		if (!(t && udp_asm_complete(t->a)) && now < last + s->cfg.udp_wait_ms) {
			pp = &j->next;
			continue;
		}
		*pp = j->next;
		s->n_udp_pending--;
		if (udp_rebuild(s, j, t) < 0) {
			answer(s, j, DISPATCH_FAILED);
			continue;
		}
		if (dispatch_submit(s->d, &j->dj, j->recv_ms) < 0)
			answer(s, j, DISPATCH_REJECTED);
	}
	for (struct transfer *t = s->transfers, *next; t; t = next) {
		next = t->next;
		if (now - t->last_ms > TRANSFER_TTL_MS) {
			s->transfers_expired++;
			transfer_remove(s, t);
		}
	}
}

/* ---- dispatching ---- */

static void send_job(struct server *s, struct conn *c, struct server_job *j)
{
	struct proto_job m = {
		.job_id = j->dj.id, .attempt = (uint32_t)j->dj.attempts,
		.grayscale = j->grayscale, .quality = j->quality, .resize_pct = j->resize_pct,
		.transport = PROTO_TCP, .image = j->image, .image_len = (uint32_t)j->image_len,
	};
	int udp = j->udp && c->have_udp && s->udp_fd >= 0 && j->image_len;

	if (udp) {
		m.transport = PROTO_UDP;
		m.transfer = udp_transfer_new();
		m.total_bytes = (uint32_t)j->image_len;
		m.chunk_bytes = j->udp_chunk;
		m.reassembly = j->reassembly;
		m.wait_ms = s->cfg.udp_wait_ms;
	}
	if (proto_put_job(&c->out, &m) < 0) {
		c->dead = 1;
		return;
	}
	conn_flush(s, c);
	if (udp && udp_send(s->udp_fd, (const struct sockaddr *)&c->udp_dest.ss, c->udp_dest.len,
			    m.transfer, j->image, (uint32_t)j->image_len,
			    &(struct udp_send_opts){ .chunk_bytes = j->udp_chunk }) < 0)
		LOG(s, "job %llu: UDP send to worker %u failed", (unsigned long long)j->dj.id, c->id);
}

static void housekeeping(struct server *s, int64_t now)
{
	struct dispatch_job *dj;
	enum dispatch_overdue_reason why;
	uint32_t wid;

	for (struct conn *c = s->conns; c; c = c->next)
		if (!c->registered && !c->dead && s->cfg.dispatch.heartbeat_timeout_ms &&
		    now - c->connect_ms > s->cfg.dispatch.heartbeat_timeout_ms) {
			LOG(s, "connection %u (%s): no registration; closing it", c->id, c->addr);
			c->dead = 1;
		}
	reap_conns(s, now);
	dispatch_tick(s->d, now);
	while (dispatch_overdue(s->d, now, &wid, &why) == 0) {
		struct conn *c = conn_find(s, wid);

		LOG(s, "worker %u '%s': %s; presumed dead, re-dispatching its job", wid,
		    c ? c->name : "?", why == DISPATCH_HEARTBEAT_MISSED ? "heartbeats missed" :
		    "result deadline passed");
		if (c) {
			snprintf(c->why, sizeof(c->why), "%s", why == DISPATCH_HEARTBEAT_MISSED ?
				 "heartbeats missed" : "result deadline passed");
			conn_bye(s, c, c->why);
		}
		else
			dispatch_worker_remove(s->d, wid, now);
		reap_conns(s, now);
	}
	udp_release(s, now);
	while ((dj = dispatch_next(s->d, now, &wid))) {
		struct conn *c = conn_find(s, wid);

		if (!c)
			break; /* cannot happen: dispatch and conns agree on workers */
		send_job(s, c, job_of(dj));
		if (s->cfg.job_event)
			s->cfg.job_event(s->cfg.job_event_arg, job_of(dj), c->name);
	}
	reap_conns(s, now);
	while ((dj = dispatch_reap(s->d)))
		answer(s, job_of(dj), dj->outcome);
}

static void shutdown_all(struct server *s)
{
	struct dispatch_job *dj;

	pthread_mutex_lock(&s->lock);
	dispatch_cancel_all(s->d);
	while ((dj = dispatch_reap(s->d)))
		answer(s, job_of(dj), dj->outcome);
	while (s->udp_pending) {
		struct server_job *j = s->udp_pending;

		s->udp_pending = j->next;
		answer(s, j, DISPATCH_CANCELLED);
	}
	s->n_udp_pending = 0;
	for (struct conn *c = s->conns; c; c = c->next) {
		/* Best effort, without waiting: workers that read BYE exit instead of reconnecting. */
		proto_put_bye(&c->out, "server shutting down");
		if (send(c->fd, c->out.data, c->out.len, MSG_NOSIGNAL | MSG_DONTWAIT) < 0) {
			/* the worker is gone already */
		}
		c->dead = 1;
	}
	reap_conns(s, clock_now_ms());
	pthread_mutex_unlock(&s->lock);
	run_callbacks(s);
}

int server_run(struct server *s, int sig_fd)
{
	struct epoll_event evs[64];
	int r = 0;

	if (sig_fd >= 0 && (r = ep_add(s->ep, sig_fd, EPOLLIN, &tag_sig)) < 0)
		return r;
	s->sig_fd = sig_fd;
	while (!__atomic_load_n(&s->stopping, __ATOMIC_SEQ_CST)) {
		/* Tight ticks only while UDP reassembly deadlines are pending. */
		int n = epoll_wait(s->ep, evs, 64, s->udp_pending ? 5 : 50);
		int64_t now = clock_now_ms();

		if (n < 0 && errno != EINTR) {
			r = -errno;
			break;
		}
		pthread_mutex_lock(&s->lock);
		for (int i = 0; i < n; i++) {
			void *p = evs[i].data.ptr;
			uint64_t v;

			if (p == &tag_listen) {
				accept_conns(s);
			} else if (p == &tag_udp) {
				udp_read(s, now);
			} else if (p == &tag_wake) {
				if (read(s->wake_fd, &v, sizeof(v)) < 0) {
					/* EAGAIN: already drained */
				}
			} else if (p == &tag_sig) {
				struct signalfd_siginfo si;

				if (read(s->sig_fd, &si, sizeof(si)) == sizeof(si))
					LOG(s, "signal %u: shutting down", si.ssi_signo);
				__atomic_store_n(&s->stopping, 1, __ATOMIC_SEQ_CST);
			} else if (IS_JOB_TAG(p)) {
				client_gone(s, JOB_OF_TAG(p));
			} else {
				struct conn *c = p;

				if (evs[i].events & EPOLLIN)
					conn_read(s, c, now);
				if (!c->dead && (evs[i].events & EPOLLOUT))
					conn_flush(s, c);
				if (evs[i].events & (EPOLLERR | EPOLLHUP))
					c->dead = 1;
			}
		}
		housekeeping(s, now);
		for (struct conn *c = s->conns; c; c = c->next)
			if (c->out.len)
				conn_flush(s, c);
		pthread_mutex_unlock(&s->lock);
		run_callbacks(s);
	}
	shutdown_all(s);
	if (sig_fd >= 0)
		epoll_ctl(s->ep, EPOLL_CTL_DEL, sig_fd, NULL);
	s->sig_fd = -1;
	return r;
}

/* ---- stats ---- */

json_t *server_stats_json(struct server *s)
{
	struct dispatch_stats st;
	json_t *o, *workers, *left;
	uint32_t busy;

	pthread_mutex_lock(&s->lock);
	dispatch_get_stats(s->d, &st);
	busy = st.workers - st.idle;
	workers = json_array();
	for (struct conn *c = s->conns; c && workers; c = c->next) {
		int idle;

		if (!c->registered)
			continue;
		idle = dispatch_worker_idle(s->d, c->id);
		json_array_append_new(workers, json_pack("{s:I, s:s, s:s, s:s, s:s, s:I, s:f}",
			"id", (json_int_t)c->id, "name", c->name, "addr", c->addr, "model", c->model,
			"state", idle > 0 ? "idle" : "busy", "jobs_done", (json_int_t)c->jobs_done,
			"joined_s_ago", (clock_now_ms() - c->connect_ms) / 1000.0));
	}
	left = json_array();
	for (uint64_t k = s->n_left > LEFT_MAX ? s->n_left - LEFT_MAX : 0; left && k < s->n_left; k++) {
		const struct left_worker *l = &s->left[k % LEFT_MAX];

		json_array_append_new(left, json_pack("{s:I, s:s, s:s, s:s, s:I, s:f}",
			"id", (json_int_t)l->id, "name", l->name, "addr", l->addr, "why", l->why,
			"jobs_done", (json_int_t)l->jobs_done,
			"left_s_ago", (clock_now_ms() - l->left_ms) / 1000.0));
	}
	o = json_pack("{s:I, s:I, s:I, s:I, s:{s:I, s:I, s:I}, s:o, s:o, s:{s:I, s:I, s:I, s:I, s:I, "
		      "s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I}, s:f}",
		"queue_depth", (json_int_t)st.queued, "queue_max", (json_int_t)st.queue_max,
		"udp_pending", (json_int_t)s->n_udp_pending, "running", (json_int_t)st.running,
		"workers", "connected", (json_int_t)st.workers, "idle", (json_int_t)st.idle,
		"busy", (json_int_t)busy,
		"worker_list", workers ? workers : json_array(),
		"workers_left", left ? left : json_array(),
		"counters",
		"submitted", (json_int_t)st.submitted, "completed", (json_int_t)st.done,
		"results_ok", (json_int_t)s->results_ok, "results_error", (json_int_t)s->results_error,
		"timeouts", (json_int_t)st.timeouts, "failed", (json_int_t)st.failed,
		"cancelled", (json_int_t)st.cancelled, "rejected_busy", (json_int_t)(st.rejected_busy + s->udp_rejected_busy),
		"redispatched", (json_int_t)st.redispatched, "late_results_dropped",
		(json_int_t)st.late_dropped, "workers_joined", (json_int_t)st.workers_joined,
		"workers_lost", (json_int_t)st.workers_lost, "bad_frames", (json_int_t)s->bad_frames,
		"udp_datagrams", (json_int_t)s->udp_datagrams, "udp_bad", (json_int_t)s->udp_bad,
		"udp_refused", (json_int_t)s->udp_refused,
		"udp_transfers_expired", (json_int_t)s->transfers_expired,
		"uptime_s", (clock_now_ms() - s->start_ms) / 1000.0);
	pthread_mutex_unlock(&s->lock);
	return o;
}
