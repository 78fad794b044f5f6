// SPDX-License-Identifier: MIT
/* The detector worker's sessions: register, heartbeat thread, jobs (TCP or UDP image), result. */
#include "pipeline/worker.h"

#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include "clock.h"
#include "pipeline/proto.h"
#include "pipeline/udp.h"

#define UDP_RCVBUF_BYTES (8 * 1024 * 1024)
#define WELCOME_TIMEOUT_MS 10000
#define BYE_CLOSE_MS 2000

#define LOG(cfg, ...) do { if ((cfg)->log) (cfg)->log((cfg)->log_arg, __VA_ARGS__); } while (0)

enum session_end { END_LOST, END_SHUTDOWN, END_SIGNAL };

struct session {
	const struct worker_config *cfg;
	int fd, udp_fd;
	struct proto_reader *rd;
	pthread_mutex_t write_lock;
	/* heartbeat thread */
	pthread_t hb;
	int hb_started;
	pthread_mutex_t hb_lock;
	pthread_cond_t hb_cond;
	int hb_stop;
	uint32_t heartbeat_ms;
	uint64_t jobs;
};

/* Sends one encoded frame; the lock keeps heartbeat and result frames whole. */
static int send_buf(struct session *s, const struct proto_buf *b)
{
	int r;

	pthread_mutex_lock(&s->write_lock);
	r = sock_write_all(s->fd, b->data, b->len);
	pthread_mutex_unlock(&s->write_lock);
	return r;
}

static void *heartbeat_thread(void *arg)
{
	struct session *s = arg;
	struct proto_buf b = { 0 };

	pthread_mutex_lock(&s->hb_lock);
	while (!s->hb_stop) {
		struct timespec ts;

		clock_gettime(CLOCK_REALTIME, &ts);
		ts.tv_nsec += (long)(s->heartbeat_ms % 1000) * 1000000;
		ts.tv_sec += s->heartbeat_ms / 1000 + ts.tv_nsec / 1000000000;
		ts.tv_nsec %= 1000000000;
		pthread_cond_timedwait(&s->hb_cond, &s->hb_lock, &ts);
		if (s->hb_stop)
			break;
		pthread_mutex_unlock(&s->hb_lock);
		b.len = 0;
		if (proto_put_heartbeat(&b, (uint64_t)clock_now_ms()) < 0 || send_buf(s, &b) < 0) {
			/* Wakes the main thread's poll: the session is over. */
			shutdown(s->fd, SHUT_RDWR);
			pthread_mutex_lock(&s->hb_lock);
			break;
		}
		pthread_mutex_lock(&s->hb_lock);
	}
	pthread_mutex_unlock(&s->hb_lock);
	proto_buf_clear(&b);
	return NULL;
}

/* Reads until one frame is complete or timeout_ms passes (-1: no limit). 1 frame, 0 signal,
 * -ETIMEDOUT, -ECONNRESET (closed), -EBADMSG... (bad stream). */
static int read_frame(struct session *s, int sig_fd, int timeout_ms, struct proto_frame *ret)
{
	int64_t deadline = timeout_ms < 0 ? -1 : clock_now_ms() + timeout_ms;
	uint8_t buf[65536];

	for (;;) {
		struct pollfd p[2] = { { .fd = s->fd, .events = POLLIN }, { .fd = sig_fd, .events = POLLIN } };
		int st = proto_reader_next(s->rd, ret), wait;
		ssize_t n;

		if (st != 0)
			return st;
		wait = deadline < 0 ? -1 : (int)(deadline - clock_now_ms());
		if (deadline >= 0 && wait <= 0)
			return -ETIMEDOUT;
		if (poll(p, sig_fd >= 0 ? 2 : 1, wait) < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		if (sig_fd >= 0 && (p[1].revents & POLLIN))
			return 0;
		if (!p[0].revents)
			continue;
		n = recv(s->fd, buf, sizeof(buf), 0);
		if (n == 0)
			return -ECONNRESET;
		if (n < 0) {
			if (errno == EINTR || errno == EAGAIN)
				continue;
			return -errno;
		}
		if (proto_reader_feed(s->rd, buf, (size_t)n) < 0)
			return -ENOMEM;
	}
}

/* Collects the datagrams of one transfer until it is complete or wait_ms passed since the
 * later of the job's arrival and the last datagram of this transfer. */
static int udp_receive(struct session *s, const struct proto_job *m, uint8_t **ret_img,
		       size_t *ret_len, uint32_t *ret_chunks)
{
	struct udp_asm *a = NULL;
	uint8_t d[UDP_HDR_BYTES + 65536];
	int64_t last = clock_now_ms();
	int r;

	r = udp_asm_empty(m->total_bytes, m->chunk_bytes, &a);
	if (r < 0)
		return r;
	while (!udp_asm_complete(a)) {
		struct pollfd p = { .fd = s->udp_fd, .events = POLLIN };
		int wait = (int)(last + m->wait_ms - clock_now_ms());
		struct udp_hdr h;
		const uint8_t *data;
		size_t len;
		ssize_t n;

		if (wait <= 0)
			break;
		if (poll(&p, 1, wait) <= 0)
			continue;
		n = recv(s->udp_fd, d, sizeof(d), MSG_DONTWAIT);
		/* Other transfers' datagrams (late ones of an earlier job) are dropped. */
		if (n < 0 || udp_hdr_get(d, (size_t)n, &h, &data, &len) < 0 || h.transfer != m->transfer)
			continue;
		if (udp_asm_add(a, &h, data, len) > 0)
			last = clock_now_ms();
	}
	*ret_chunks = udp_asm_received(a);
	r = udp_asm_build(a, m->reassembly == PROTO_CONCAT, ret_img, ret_len);
	udp_asm_free(a);
	return r;
}

static const char *error_text(int r)
{
	switch (r) {
	case -EINVAL: return "undecodable image";
	case -E2BIG: return "image has more pixels than the worker's limit";
	default: return strerror(-r);
	}
}

static int run_job(struct session *s, const struct proto_job *m)
{
	const struct worker_config *cfg = s->cfg;
	struct preprocess pp = { .grayscale = m->grayscale, .quality = m->quality,
				 .resize_pct = m->resize_pct, .max_pixels = cfg->max_pixels };
	struct proto_result res = { .job_id = m->job_id, .attempt = m->attempt };
	struct detect_result dr = { 0 };
	struct proto_buf b = { 0 };
	const uint8_t *img = m->image;
	uint8_t *udp_img = NULL;
	size_t len = m->image_len;
	int r;

	if (m->transport == PROTO_UDP) {
		r = udp_receive(s, m, &udp_img, &len, &res.chunks_rx);
		if (r < 0)
			return r;
		img = udp_img;
		res.chunks_total = udp_chunk_count(m->total_bytes, m->chunk_bytes);
		res.bytes_rx = (uint32_t)len;
	}
	/* Whatever arrived gets an answer: detections, or an error the client can record. */
	r = len ? detector_run_jpeg(cfg->det, img, len, &pp, cfg->thresh, &dr) : -EINVAL;
	res.status = r;
	if (r < 0)
		snprintf(res.error, sizeof(res.error), "%s", error_text(r));
	res.width = (uint32_t)(dr.width > 0 ? dr.width : 0);
	res.height = (uint32_t)(dr.height > 0 ? dr.height : 0);
	res.bytes_in = (uint32_t)(dr.bytes_in ? dr.bytes_in : len);
	res.bytes_pre = (uint32_t)dr.bytes_pre;
	res.t_decode_us = (uint32_t)(dr.t_decode_ms * 1000);
	res.t_pre_us = (uint32_t)(dr.t_pre_ms * 1000);
	res.t_infer_us = (uint32_t)(dr.t_infer_ms * 1000);
	res.n = (uint32_t)(dr.n < PROTO_DETS_MAX ? dr.n : PROTO_DETS_MAX);
	if (res.n) {
		res.dets = calloc(res.n, sizeof(*res.dets));
		if (!res.dets) {
			r = -ENOMEM;
			goto out;
		}
	}
	for (uint32_t i = 0; i < res.n; i++) {
		res.dets[i].cls = (uint16_t)dr.dets[i].cls;
		res.dets[i].conf = dr.dets[i].conf;
		memcpy(res.dets[i].box, dr.dets[i].box, sizeof(res.dets[i].box));
		snprintf(res.dets[i].name, sizeof(res.dets[i].name), "%s", dr.dets[i].name);
		/* a names file is the user's: its bytes must not cost the answer */
		proto_text_sanitize(res.dets[i].name);
	}
	proto_text_sanitize(res.error);
	r = proto_put_result(&b, &res);
	if (r == 0)
		r = send_buf(s, &b);
	s->jobs++;
out:
	proto_buf_clear(&b);
	proto_result_clear(&res);
	detect_result_clear(&dr);
	free(udp_img);
	return r;
}

static int session_register(struct session *s, int sig_fd)
{
	const struct worker_config *cfg = s->cfg;
	struct proto_register reg = { 0 };
	struct proto_welcome w;
	struct proto_buf b = { 0 };
	struct proto_frame f;
	struct sock_addr local, udp_bound;
	int r;

	/* The UDP socket takes the address the server reaches us at for TCP. */
	r = sock_local(s->fd, &local);
	if (r < 0)
		return r;
	sock_addr_set_port(&local, cfg->udp_port);
	s->udp_fd = sock_bind_udp(&local, UDP_RCVBUF_BYTES, &udp_bound);
	if (s->udp_fd < 0)
		return s->udp_fd;
	reg.udp_port = (uint16_t)sock_addr_port(&udp_bound);
	snprintf(reg.name, sizeof(reg.name), "%s", cfg->name ? cfg->name : "");
	snprintf(reg.model, sizeof(reg.model), "%s", cfg->model ? cfg->model : "");
	r = proto_put_register(&b, &reg);
	if (r == 0)
		r = send_buf(s, &b);
	proto_buf_clear(&b);
	if (r < 0)
		return r;
	r = read_frame(s, sig_fd, WELCOME_TIMEOUT_MS, &f);
	if (r <= 0)
		return r ? r : -EINTR;
	if (f.type != PROTO_WELCOME || proto_get_welcome(&f, &w) < 0)
		return -EPROTO;
	s->heartbeat_ms = w.heartbeat_ms;
	return 0;
}

/*
 * Whether the server said it is shutting down in what is still buffered on the connection.
 * A worker busy in the detector when the server stops finds its connection broken (a
 * heartbeat sent into it drew a reset) before it reads the BYE the server sent: that BYE is
 * still in the receive queue, and without it the worker would reconnect to nothing, or to
 * another server on the same port.
 */
static int bye_pending(struct session *s)
{
	char why[PROTO_STR_MAX + 1];
	struct proto_frame f;

	for (int i = 0; i < 64; i++) {
		if (read_frame(s, -1, 100, &f) <= 0)
			return 0;
		if (f.type == PROTO_BYE && proto_get_bye(&f, why, sizeof(why)) == 0)
			return !strncmp(why, "server shutting down", 20);
	}
	return 0;
}

/* After its BYE a worker reads, and drops, what the server still sends until the server
 * closes (it does on BYE; the jobs it sent meanwhile go back to its queue), at most ms:
 * closing with unread data in the socket sends a RST, and a server that takes the RST
 * first never reads the BYE queued before it, so a drained worker looked lost (seen in
 * test_join_leave with 20 ms on the worker's downlink: a job in flight at SIGTERM). */
static void await_close(int fd, int ms)
{
	int64_t deadline = clock_now_ms() + ms;
	char buf[4096];

	for (;;) {
		struct pollfd p = { .fd = fd, .events = POLLIN };
		int left = (int)(deadline - clock_now_ms());
		ssize_t n;

		if (left <= 0 || poll(&p, 1, left) <= 0)
			return;
		n = recv(fd, buf, sizeof(buf), MSG_DONTWAIT);
		if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR))
			return;
	}
}

/* One connection's life. */
static enum session_end session_run(struct session *s, int sig_fd)
{
	const struct worker_config *cfg = s->cfg;
	enum session_end end = END_LOST;
	struct proto_frame f;
	struct proto_job job;
	char why[PROTO_STR_MAX + 1];
	int r;

	r = session_register(s, sig_fd);
	if (r == -EINTR)
		return END_SIGNAL;
	if (r < 0) {
		LOG(cfg, "registration failed: %s", strerror(-r));
		return END_LOST;
	}
	if (pthread_create(&s->hb, NULL, heartbeat_thread, s) != 0)
		return END_LOST;
	s->hb_started = 1;
	LOG(cfg, "registered (heartbeat %u ms)", s->heartbeat_ms);
	for (;;) {
		r = read_frame(s, sig_fd, -1, &f);
		if (r == 0) {
			struct proto_buf b = { 0 };

			if (proto_put_bye(&b, "worker stopping") == 0 && send_buf(s, &b) == 0)
				await_close(s->fd, BYE_CLOSE_MS);
			proto_buf_clear(&b);
			end = END_SIGNAL;
			break;
		}
		if (r < 0) {
			LOG(cfg, "connection lost: %s", strerror(-r));
			break;
		}
		if (f.type == PROTO_BYE && proto_get_bye(&f, why, sizeof(why)) == 0) {
			LOG(cfg, "server said bye: %s", why);
			if (!strncmp(why, "server shutting down", 20))
				end = END_SHUTDOWN;
			break;
		}
		if (f.type != PROTO_JOB || proto_get_job(&f, &job) < 0) {
			LOG(cfg, "unexpected %s frame from the server; reconnecting",
			    proto_type_name(f.type));
			break;
		}
		r = run_job(s, &job);
		if (r < 0 && bye_pending(s)) {
			LOG(cfg, "job %llu: the server shut down while it ran",
			    (unsigned long long)job.job_id);
			end = END_SHUTDOWN;
			break;
		}
		if (r < 0) {
			LOG(cfg, "job %llu: cannot answer: %s", (unsigned long long)job.job_id,
			    strerror(-r));
			break;
		}
	}
	return end;
}

static void session_close(struct session *s)
{
	if (s->hb_started) {
		pthread_mutex_lock(&s->hb_lock);
		s->hb_stop = 1;
		pthread_cond_signal(&s->hb_cond);
		pthread_mutex_unlock(&s->hb_lock);
		pthread_join(s->hb, NULL);
	}
	if (s->fd >= 0)
		close(s->fd);
	if (s->udp_fd >= 0)
		close(s->udp_fd);
	proto_reader_free(s->rd);
	pthread_mutex_destroy(&s->write_lock);
	pthread_mutex_destroy(&s->hb_lock);
	pthread_cond_destroy(&s->hb_cond);
}

/* Connects with a growing pause between tries until deadline_ms. fd or -errno. */
static int connect_retry(const struct worker_config *cfg, int sig_fd, int64_t deadline_ms)
{
	int pause_ms = 100, fd;

	for (;;) {
		int left = (int)(deadline_ms - clock_now_ms());
		struct pollfd p = { .fd = sig_fd, .events = POLLIN };

		fd = sock_connect_tcp(&cfg->server, left < 2000 ? (left > 100 ? left : 100) : 2000);
		if (fd >= 0)
			return fd;
		left = (int)(deadline_ms - clock_now_ms());
		if (left <= 0)
			return fd;
		if (poll(&p, sig_fd >= 0 ? 1 : 0, pause_ms < left ? pause_ms : left) > 0)
			return -EINTR;
		pause_ms = pause_ms * 2 > 2000 ? 2000 : pause_ms * 2;
	}
}

int worker_run(const struct worker_config *cfg, int sig_fd)
{
	for (;;) {
		struct session s = { .cfg = cfg, .fd = -1, .udp_fd = -1 };
		enum session_end end;
		int fd = connect_retry(cfg, sig_fd, clock_now_ms() + cfg->connect_timeout_ms);

		if (fd == -EINTR)
			return 0;
		if (fd < 0)
			return fd;
		s.fd = fd;
		pthread_mutex_init(&s.write_lock, NULL);
		pthread_mutex_init(&s.hb_lock, NULL);
		pthread_cond_init(&s.hb_cond, NULL);
		if (proto_reader_new(0, &s.rd) < 0) {
			session_close(&s);
			return -ENOMEM;
		}
		end = session_run(&s, sig_fd);
		LOG(cfg, "session over after %llu jobs", (unsigned long long)s.jobs);
		session_close(&s);
		if (end != END_LOST)
			return 0;
		/* A server that drops us at once must not turn this into a busy loop. */
		if (poll(&(struct pollfd){ .fd = sig_fd, .events = POLLIN }, sig_fd >= 0, 200) > 0)
			return 0;
	}
}
