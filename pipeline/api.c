// SPDX-License-Identifier: MIT
/* The server's HTTP/1.1 API on libmicrohttpd; a POST is suspended until its job is answered. */
#include "pipeline/api.h"

#include <errno.h>
#include <inttypes.h>
#include <microhttpd.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "clock.h"
#include "pipeline/proto.h"
#include "pipeline/udp.h"

struct api {
	struct server *srv;
	struct api_config cfg;
	struct MHD_Daemon *mhd;
	struct sock_addr addr;
	int suspended; /* requests waiting for their job (atomic) */
};

enum req_state { REQ_NEW, REQ_BODY, REQ_WAITING, REQ_ANSWERED, REQ_ANSWERED_EARLY };

struct req {
	struct api *api;
	struct MHD_Connection *conn;
	enum req_state state;
	uint8_t *body;
	size_t len, cap;
	int too_large;
	size_t discarded; /* body bytes dropped after the limit */
	struct server_job *job;
	int submit_err;  /* server_submit's error when it refused the job */
};

/* ---- responses ---- */

static enum MHD_Result respond_json(struct MHD_Connection *conn, unsigned int code, json_t *o)
{
	struct MHD_Response *resp;
	enum MHD_Result r;
	char *s = o ? json_dumps(o, JSON_COMPACT | JSON_REAL_PRECISION(9)) : NULL, *t;
	size_t len;

	json_decref(o);
	if (!s) {
		code = MHD_HTTP_INTERNAL_SERVER_ERROR;
		s = strdup("{\"status\":\"error\",\"error\":\"out of memory\"}");
		if (!s)
			return MHD_NO;
	}
	len = strlen(s);
	/* A trailing newline keeps curl output readable; JSON parsers ignore it. */
	t = realloc(s, len + 2);
	if (t) {
		s = t;
		s[len++] = '\n';
		s[len] = 0;
	}
	resp = MHD_create_response_from_buffer(len, s, MHD_RESPMEM_MUST_FREE);
	if (!resp) {
		free(s);
		return MHD_NO;
	}
	MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, "application/json");
	if (code == MHD_HTTP_SERVICE_UNAVAILABLE)
		MHD_add_response_header(resp, MHD_HTTP_HEADER_RETRY_AFTER, "1");
	r = MHD_queue_response(conn, code, resp);
	MHD_destroy_response(resp);
	return r;
}

static enum MHD_Result respond_error(struct MHD_Connection *conn, unsigned int code,
				     const char *status, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static enum MHD_Result respond_error(struct MHD_Connection *conn, unsigned int code,
				     const char *status, const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	/* messages quote URLs and query parameters: jansson takes only valid UTF-8 */
	proto_text_sanitize(msg);
	return respond_json(conn, code, json_pack("{s:s, s:s}", "status", status, "error", msg));
}

static json_t *detections_json(const struct proto_result *r)
{
	json_t *a = json_array();

	for (uint32_t i = 0; a && i < r->n; i++) {
		const struct proto_det *d = &r->dets[i];

		json_array_append_new(a, json_pack("{s:i, s:s, s:f, s:[f, f, f, f]}", "class", d->cls,
			"name", d->name, "conf", (double)d->conf, "box", (double)d->box[0],
			(double)d->box[1], (double)d->box[2], (double)d->box[3]));
	}
	return a;
}

static enum MHD_Result respond_job(struct api *a, struct req *q)
{
	const struct server_job *j = q->job;
	const struct proto_result *r = &j->result;
	double worker_ms = (r->t_decode_us + r->t_pre_us + r->t_infer_us) / 1000.0;
	double total_ms = (double)(j->done_ms - j->recv_ms);
	json_t *o;

	switch (j->outcome) {
	case DISPATCH_DONE:
		break;
	case DISPATCH_TIMEOUT:
		return respond_error(q->conn, MHD_HTTP_GATEWAY_TIMEOUT, "timeout",
				     "no result within the job timeout (%.1f s, %d attempts)",
				     a->cfg.job_timeout_ms / 1000.0, j->attempts);
	case DISPATCH_FAILED:
		return respond_error(q->conn, MHD_HTTP_BAD_GATEWAY, "error",
				     "job failed: its worker was lost %d times", j->attempts);
	case DISPATCH_REJECTED:
		return respond_error(q->conn, MHD_HTTP_SERVICE_UNAVAILABLE, "busy",
				     "server busy: job queue full (%u waiting); retry later",
				     a->cfg.queue_max);
	default:
		return respond_error(q->conn, MHD_HTTP_SERVICE_UNAVAILABLE, "error",
				     "server shutting down");
	}
	o = json_pack("{s:I, s:s, s:s*, s:s, s:i, s:i, s:i, s:I, s:I, s:o, "
		      "s:{s:f, s:f, s:f, s:f, s:f, s:f, s:f}}",
		"job", (json_int_t)j->dj.id, "status", r->status < 0 ? "error" : "ok",
		"error", r->status < 0 ? (r->error[0] ? r->error : strerror(-r->status)) : NULL,
		"worker", j->worker, "attempts", j->attempts, "width", (int)r->width,
		"height", (int)r->height, "bytes_in", (json_int_t)r->bytes_in,
		"bytes_pre", (json_int_t)r->bytes_pre, "detections", detections_json(r),
		"timings_ms", "decode", r->t_decode_us / 1000.0, "pre", r->t_pre_us / 1000.0,
		"infer", r->t_infer_us / 1000.0, "worker", worker_ms,
		"queue", (double)j->queue_ms,
		/* dispatch to result, minus the worker's own work: protocol, transfer, UDP wait */
		"dispatch", j->dispatch_ms - worker_ms > 0 ? j->dispatch_ms - worker_ms : 0.0,
		"total", total_ms);
	if (o && j->udp)
		json_object_set_new(o, "udp", json_pack("{s:s, s:i, s:i, s:i, s:i, s:I}",
			"reassembly", j->reassembly == PROTO_CONCAT ? "concat" : "holes",
			"chunk_bytes", j->udp_chunk,
			"chunks_total", (int)udp_chunk_count(j->udp_total, j->udp_chunk),
			"chunks_rx_server", (int)j->udp_chunks_rx, "chunks_rx_worker", (int)r->chunks_rx,
			"bytes_rx_worker", (json_int_t)r->bytes_rx));
	/* The worker answered but could not use the image (undecodable, too large). */
	return respond_json(q->conn, r->status < 0 ? MHD_HTTP_UNPROCESSABLE_CONTENT : MHD_HTTP_OK, o);
}

/* ---- job parameters ---- */

struct params {
	struct server_job *j;
	unsigned seen;   /* bit per known key: a repeated key is refused */
	char bad[160];
};

static const char *const param_keys[] = { "grayscale", "quality", "resize", "udp", "size",
					   "chunk", "reassembly", NULL };

/* Decimal digits only: -EINVAL when v is not a number, -ERANGE when above max. */
static int parse_uint(const char *v, unsigned long long max, unsigned long long *ret)
{
	char *end;
	unsigned long long x;

	if (!v || *v < '0' || *v > '9')
		return -EINVAL;
	errno = 0;
	x = strtoull(v, &end, 10);
	if (*end)
		return -EINVAL;
	if (errno || x > max)
		return -ERANGE;
	*ret = x;
	return 0;
}

static enum MHD_Result param_cb(void *cls, enum MHD_ValueKind kind, const char *key,
				const char *value)
{
	struct params *p = cls;
	struct server_job *j = p->j;
	unsigned long long x = 0;
	int r = 0;

	(void)kind;
	for (int k = 0; param_keys[k]; k++)
		if (!strcmp(key, param_keys[k])) {
			if (p->seen & (1u << k)) {
				snprintf(p->bad, sizeof(p->bad), "query parameter '%s' given twice", key);
				return MHD_NO;
			}
			p->seen |= 1u << k;
		}
	if (!strcmp(key, "grayscale")) {
		if (!value || !*value || !strcmp(value, "true"))
			x = 1;
		else if (!strcmp(value, "false"))
			x = 0;
		else
			r = parse_uint(value, 1, &x);
		j->grayscale = (uint8_t)x;
	} else if (!strcmp(key, "quality")) {
		r = parse_uint(value, 100, &x);
		j->quality = (uint8_t)x;
	} else if (!strcmp(key, "resize")) {
		r = parse_uint(value, 100, &x);
		j->resize_pct = (uint8_t)x;
	} else if (!strcmp(key, "udp")) {
		r = parse_uint(value, UINT64_MAX, &x);
		j->udp = 1;
		j->client_transfer = x;
		if (r == 0 && !x)
			r = -ERANGE;
	} else if (!strcmp(key, "size")) {
		r = parse_uint(value, UDP_TOTAL_MAX, &x);
		j->udp_total = (uint32_t)x;
		if (r == 0 && !x)
			r = -ERANGE;
	} else if (!strcmp(key, "chunk")) {
		r = parse_uint(value, UDP_CHUNK_MAX, &x);
		j->udp_chunk = (uint16_t)x;
		if (r == 0 && x < UDP_CHUNK_MIN)
			r = -ERANGE;
	} else if (!strcmp(key, "reassembly")) {
		if (value && !strcmp(value, "holes"))
			j->reassembly = PROTO_HOLES;
		else if (value && !strcmp(value, "concat"))
			j->reassembly = PROTO_CONCAT;
		else
			r = -EINVAL;
	} else {
		snprintf(p->bad, sizeof(p->bad), "unknown query parameter '%s' (known: grayscale, "
			 "quality, resize, udp, size, chunk, reassembly)", key);
		return MHD_NO;
	}
	if (r < 0) {
		snprintf(p->bad, sizeof(p->bad), "query parameter %s='%.40s' is %s", key,
			 value ? value : "", r == -ERANGE ? "out of range" : "not a number");
		return MHD_NO;
	}
	return MHD_YES;
}

/* ---- request handling ---- */

static void job_done(struct server_job *j)
{
	struct req *q = j->owner;

	/* Server thread: MHD calls the handler again (in its thread) after the resume. */
	q->state = REQ_ANSWERED;
	MHD_resume_connection(q->conn);
}

static enum MHD_Result body_append(struct req *q, const char *data, size_t n, size_t max)
{
	if (q->too_large || q->len + n > max) {
		q->too_large = 1;
		/* without a Content-Length (chunked) the excess is read to answer 413 at its
		 * end; a stream that goes on past twice the limit is cut off instead */
		q->discarded += n;
		return q->discarded > max ? MHD_NO : MHD_YES;
	}
	if (q->len + n > q->cap) {
		size_t cap = q->cap ? q->cap : 64 * 1024;
		uint8_t *p;

		while (cap < q->len + n)
			cap *= 2;
		p = realloc(q->body, cap);
		if (!p)
			return MHD_NO;
		q->body = p;
		q->cap = cap;
	}
	memcpy(q->body + q->len, data, n);
	q->len += n;
	return MHD_YES;
}

static enum MHD_Result post_job(struct api *a, struct req *q)
{
	struct params p = { 0 };
	struct server_job *j;
	int r;

	if (q->too_large)
		return respond_error(q->conn, MHD_HTTP_CONTENT_TOO_LARGE, "error",
				     "image larger than %zu bytes", a->cfg.max_body_bytes);
	j = calloc(1, sizeof(*j));
	if (!j)
		return MHD_NO;
	p.j = j;
	MHD_get_connection_values(q->conn, MHD_GET_ARGUMENT_KIND, param_cb, &p);
	if (!p.bad[0] && j->udp && (!j->udp_total || !j->udp_chunk))
		snprintf(p.bad, sizeof(p.bad), "udp=TRANSFER needs size=BYTES and chunk=BYTES");
	if (!p.bad[0] && !j->udp && !q->len)
		snprintf(p.bad, sizeof(p.bad), "empty body: POST the JPEG bytes (Content-Type: image/jpeg)");
	if (p.bad[0]) {
		server_job_free(j);
		return respond_error(q->conn, MHD_HTTP_BAD_REQUEST, "error", "%s", p.bad);
	}
	if (!j->udp) {
		j->image = q->body;
		j->image_len = q->len;
		q->body = NULL;
	}
	j->done = job_done;
	j->owner = q;
	q->job = j;
	{
		const union MHD_ConnectionInfo *ci =
			MHD_get_connection_info(q->conn, MHD_CONNECTION_INFO_CONNECTION_FD);

		/* a suspended connection is not polled by MHD: the server watches for hang-ups */
		if (ci) {
			j->client_fd = ci->connect_fd;
			j->watch_client = 1;
		}
	}
	/* Suspend first: the server may answer (and resume) before server_submit returns. */
	q->state = REQ_WAITING;
	__atomic_add_fetch(&a->suspended, 1, __ATOMIC_SEQ_CST);
	MHD_suspend_connection(q->conn);
	r = server_submit(a->srv, j);
	if (r < 0) {
		q->submit_err = r;
		q->state = REQ_ANSWERED;
		MHD_resume_connection(q->conn);
	}
	return MHD_YES;
}

static enum MHD_Result answer_job(struct api *a, struct req *q)
{
	enum MHD_Result r;

	__atomic_sub_fetch(&a->suspended, 1, __ATOMIC_SEQ_CST);
	if (q->submit_err == -EBUSY)
		r = respond_error(q->conn, MHD_HTTP_SERVICE_UNAVAILABLE, "busy",
				  "server busy: job queue full (%u waiting, --queue); retry later",
				  a->cfg.queue_max);
	else if (q->submit_err == -EINVAL)
		r = respond_error(q->conn, MHD_HTTP_BAD_REQUEST, "error",
				  "UDP transfer requested but the server has no --udp port");
	else if (q->submit_err)
		r = respond_error(q->conn, MHD_HTTP_SERVICE_UNAVAILABLE, "error",
				  "server shutting down");
	else
		r = respond_job(a, q);
	server_job_free(q->job);
	q->job = NULL;
	return r;
}

/* Every request other than POST /v1/jobs. */
static enum MHD_Result answer_other(struct api *a, struct MHD_Connection *conn, const char *url,
				    const char *method, int get)
{
	if (!strcmp(url, "/v1/jobs"))
		return respond_error(conn, MHD_HTTP_METHOD_NOT_ALLOWED, "error",
				     "use POST /v1/jobs with a JPEG body");
	if (!strcmp(url, "/v1/health") && get) {
		json_t *st = server_stats_json(a->srv);
		json_t *w = st ? json_object_get(json_object_get(st, "workers"), "connected") : NULL;
		json_int_t n = w ? json_integer_value(w) : 0;

		json_decref(st);
		return respond_json(conn, MHD_HTTP_OK, json_pack("{s:s, s:I}", "status", "ok",
								"workers", n));
	}
	if (!strcmp(url, "/v1/stats") && get)
		return respond_json(conn, MHD_HTTP_OK, server_stats_json(a->srv));
	if (!strcmp(url, "/v1/health") || !strcmp(url, "/v1/stats"))
		return respond_error(conn, MHD_HTTP_METHOD_NOT_ALLOWED, "error",
				     "use GET %s", url);
	return respond_error(conn, MHD_HTTP_NOT_FOUND, "error",
			     "no such resource %.32s %.200s (POST /v1/jobs, GET /v1/health, GET /v1/stats)",
			     method, url);
}

/* A declared body above the limit is refused before any of it is read. */
static enum MHD_Result check_length(struct api *a, struct req *q)
{
	const char *cl = MHD_lookup_connection_value(q->conn, MHD_HEADER_KIND,
						     MHD_HTTP_HEADER_CONTENT_LENGTH);
	unsigned long long n;

	if (cl && parse_uint(cl, a->cfg.max_body_bytes, &n) == -ERANGE) {
		q->state = REQ_ANSWERED_EARLY;
		return respond_error(q->conn, MHD_HTTP_CONTENT_TOO_LARGE, "error",
				     "image larger than %zu bytes (Content-Length: %.24s)",
				     a->cfg.max_body_bytes, cl);
	}
	return MHD_YES;
}

static enum MHD_Result handler(void *cls, struct MHD_Connection *conn, const char *url,
			       const char *method, const char *version, const char *upload_data,
			       size_t *upload_data_size, void **req_cls)
{
	struct api *a = cls;
	struct req *q = *req_cls;
	int get = !strcmp(method, MHD_HTTP_METHOD_GET) || !strcmp(method, MHD_HTTP_METHOD_HEAD);

	(void)version;
	if (!q) {
		q = calloc(1, sizeof(*q));
		if (!q)
			return MHD_NO;
		q->api = a;
		q->conn = conn;
		*req_cls = q;
		/* Everything but a job is answered now, from the headers: a response queued
		 * while MHD still holds upload data goes out empty, and a body on these paths
		 * is of no use (MHD closes the connection instead of reading it). */
		if (strcmp(url, "/v1/jobs") || strcmp(method, MHD_HTTP_METHOD_POST)) {
			q->state = REQ_ANSWERED_EARLY;
			return answer_other(a, conn, url, method, get);
		}
		return check_length(a, q);
	}
	if (q->state == REQ_ANSWERED)
		return answer_job(a, q);
	if (q->state == REQ_WAITING)
		return MHD_YES; /* cannot happen while suspended; be safe */
	if (q->state == REQ_ANSWERED_EARLY) {
		*upload_data_size = 0; /* MHD does not read the body then; be safe */
		return MHD_YES;
	}
	if (*upload_data_size) {
		enum MHD_Result r = body_append(q, upload_data, *upload_data_size,
						a->cfg.max_body_bytes);

		*upload_data_size = 0;
		return r;
	}
	return post_job(a, q);
}

static void completed(void *cls, struct MHD_Connection *conn, void **req_cls,
		      enum MHD_RequestTerminationCode toe)
{
	struct req *q = *req_cls;

	(void)cls;
	(void)conn;
	(void)toe;
	if (!q)
		return;
	free(q->body);
	server_job_free(q->job);
	free(q);
	*req_cls = NULL;
}

static void mhd_log(void *cls, const char *fmt, va_list ap)
{
	struct api *a = cls;
	char msg[512];

	if (!a->cfg.log)
		return;
	vsnprintf(msg, sizeof(msg), fmt, ap);
	msg[strcspn(msg, "\n")] = 0;
	a->cfg.log(a->cfg.log_arg, "http: %s", msg);
}

int api_new(struct server *srv, const struct sock_addr *addr, const struct api_config *cfg,
	    struct api **ret)
{
	struct api *a = calloc(1, sizeof(*a));
	int fd = -1, r;

	if (!a)
		return -ENOMEM;
	a->srv = srv;
	a->cfg = *cfg;
	fd = sock_listen_tcp(addr, 256, &a->addr);
	if (fd < 0) {
		r = fd;
		goto out;
	}
	a->mhd = MHD_start_daemon(MHD_USE_AUTO_INTERNAL_THREAD | MHD_ALLOW_SUSPEND_RESUME |
				  MHD_USE_ERROR_LOG, 0, NULL, NULL, handler, a,
				  MHD_OPTION_EXTERNAL_LOGGER, mhd_log, a,
				  MHD_OPTION_LISTEN_SOCKET, fd,
				  MHD_OPTION_NOTIFY_COMPLETED, completed, a,
				  MHD_OPTION_CONNECTION_LIMIT, 4096u,
				  MHD_OPTION_CONNECTION_TIMEOUT, 120u,
				  MHD_OPTION_END);
	if (!a->mhd) {
		r = -EIO;
		goto out;
	}
	*ret = a;
	return 0;
out:
	if (fd >= 0)
		close(fd);
	free(a);
	return r;
}

void api_free(struct api *a)
{
	if (!a)
		return;
	/* Every job is answered by now; give MHD's thread a moment to take the answers so
	 * no connection is still suspended when the daemon stops (an MHD API violation). */
	for (int i = 0; i < 400 && __atomic_load_n(&a->suspended, __ATOMIC_SEQ_CST); i++)
		nanosleep(&(struct timespec){ 0, 5000000 }, NULL);
	MHD_stop_daemon(a->mhd);
	free(a);
}

void api_addr(const struct api *a, struct sock_addr *ret)
{
	*ret = a->addr;
}
