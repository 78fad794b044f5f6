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
#include "models/detections.h"
#include "pipeline/proto.h"
#include "pipeline/udp.h"
#include "pipeline/upload.h"
#include "pipeline/web.h"
#include "units.h"

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
	struct upload up;         /* the body */
	struct server_job *job;
	int submit_err;  /* server_submit's error when it refused the job */
	json_t *answer;  /* the job's answer, as recorded in the store */
	unsigned int code;
};

/* The submitter's name for an image (shown on the board), bounded like worker names. */
#define JOB_NAME_MAX 255

/* ---- responses ---- */

static enum MHD_Result respond_json_hdr(struct MHD_Connection *conn, unsigned int code,
					json_t *o, const char *hdr, const char *value)
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
	if (hdr)
		MHD_add_response_header(resp, hdr, value);
	r = MHD_queue_response(conn, code, resp);
	MHD_destroy_response(resp);
	return r;
}

static enum MHD_Result respond_json(struct MHD_Connection *conn, unsigned int code, json_t *o)
{
	return respond_json_hdr(conn, code, o, NULL, NULL);
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

		json_array_append_new(a, detection_json_new(d->cls, d->name, d->conf, d->box));
	}
	return a;
}

static json_t *error_json(const char *status, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static json_t *error_json(const char *status, const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	return json_pack("{s:s, s:s}", "status", status, "error", msg);
}

/* A finished job's answer and its HTTP code; user_cancel: cancelled by DELETE, not by a
 * shutdown. The same object answers a synchronous POST and is kept in the store. */
static json_t *answer_json(const struct api *a, const struct server_job *j, int user_cancel,
			   unsigned int *ret_code)
{
	const struct proto_result *r = &j->result;
	double worker_ms = (r->t_decode_us + r->t_pre_us + r->t_infer_us) / 1000.0;
	double total_ms = (double)(j->done_ms - j->recv_ms);
	json_t *o;

	switch (j->outcome) {
	case DISPATCH_DONE:
		break;
	case DISPATCH_TIMEOUT:
		*ret_code = MHD_HTTP_GATEWAY_TIMEOUT;
		return error_json("timeout", "no result within the job timeout (%.1f s, %d attempts)",
				  a->cfg.job_timeout_ms / 1000.0, j->attempts);
	case DISPATCH_FAILED:
		*ret_code = MHD_HTTP_BAD_GATEWAY;
		return error_json("error", "job failed: its worker was lost %d times", j->attempts);
	case DISPATCH_REJECTED:
		*ret_code = MHD_HTTP_SERVICE_UNAVAILABLE;
		return error_json("busy", "server busy: job queue full (%u waiting); retry later",
				  a->cfg.queue_max);
	default:
		*ret_code = user_cancel ? MHD_HTTP_CONFLICT : MHD_HTTP_SERVICE_UNAVAILABLE;
		return error_json(user_cancel ? "cancelled" : "error", user_cancel ?
				  "job cancelled (DELETE)" : "server shutting down");
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
	*ret_code = r->status < 0 ? MHD_HTTP_UNPROCESSABLE_CONTENT : MHD_HTTP_OK;
	return o;
}

static const char *store_status(const struct server_job *j)
{
	switch (j->outcome) {
	case DISPATCH_DONE: return j->result.status < 0 ? "error" : "done";
	case DISPATCH_TIMEOUT: return "timeout";
	case DISPATCH_CANCELLED: return "cancelled";
	default: return "failed";
	}
}

static int64_t wall_ms(void)
{
	return (int64_t)(clock_wall_s() * 1000);
}

/* Records a finished job's answer in the store (server thread) and returns it. An
 * asynchronous job cancelled by a shutdown stays unfinished there: the next server on the
 * same database runs it. */
static json_t *record_answer(struct api *a, const struct server_job *j, unsigned int *ret_code)
{
	int user_cancel = 0, r;
	char *text = NULL;
	json_t *o;

	if (j->outcome == DISPATCH_CANCELLED) {
		/* A DELETE finished the job in the store before cancelling it here. */
		json_t *row = NULL;

		if (jobstore_get_json(a->cfg.store, (int64_t)j->dj.id, &row) == 0)
			user_cancel = !strcmp(json_string_value(json_object_get(row, "status")),
					      "cancelled");
		json_decref(row);
	}
	o = answer_json(a, j, user_cancel, ret_code);
	if (o)
		json_object_set_new(o, "job", json_integer((json_int_t)j->dj.id));
	if (j->outcome == DISPATCH_CANCELLED && (j->async || user_cancel))
		return o;
	text = o ? json_dumps(o, JSON_COMPACT | JSON_REAL_PRECISION(9)) : NULL;
	r = jobstore_finish(a->cfg.store, (int64_t)j->dj.id, store_status(j),
			    j->worker[0] ? j->worker : NULL,
			    j->outcome == DISPATCH_DONE ? (int)j->result.n : 0, text, wall_ms());
	if (r < 0 && r != -EALREADY && a->cfg.log)
		a->cfg.log(a->cfg.log_arg, "job %llu: recording its answer: %s (%s)",
			   (unsigned long long)j->dj.id, strerror(-r), jobstore_error(a->cfg.store));
	free(text);
	return o;
}

void api_job_event(void *store, const struct server_job *j, const char *worker)
{
	if (worker)
		jobstore_started(store, (int64_t)j->dj.id, worker, wall_ms());
	else
		jobstore_requeued(store, (int64_t)j->dj.id);
}

/* ---- job parameters ---- */

struct params {
	struct server_job *j;
	unsigned seen;   /* bit per known key: a repeated key is refused */
	int wait;              /* 0: answer 202 at once (asynchronous job) */
	const char *name;      /* MHD's copy, valid during the request */
	char bad[160];
};

static const char *const param_keys[] = { "grayscale", "quality", "resize", "udp", "size",
					   "chunk", "reassembly", "wait", "name", NULL };

/* Decimal digits only: -EINVAL when v is not a number, -ERANGE when above max. */
static int parse_uint(const char *v, unsigned long long max, unsigned long long *ret)
{
	uint64_t x;
	int r = units_u64(v, 10, max, &x);

	if (r < 0)
		return r;
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
	} else if (!strcmp(key, "wait")) {
		r = parse_uint(value, 1, &x);
		p->wait = (int)x;
	} else if (!strcmp(key, "name")) {
		/* shown on the board and stored as JSON: text, and short */
		if (!value || strlen(value) > JOB_NAME_MAX || !proto_text_valid(value, strlen(value))) {
			snprintf(p->bad, sizeof(p->bad), "query parameter name: at most %d bytes of "
				 "UTF-8 text", JOB_NAME_MAX);
			return MHD_NO;
		}
		p->name = value;
	} else if (!strcmp(key, "reassembly")) {
		if (value && !strcmp(value, "holes"))
			j->reassembly = PROTO_HOLES;
		else if (value && !strcmp(value, "concat"))
			j->reassembly = PROTO_CONCAT;
		else
			r = -EINVAL;
	} else {
		snprintf(p->bad, sizeof(p->bad), "unknown query parameter '%s' (known: grayscale, "
			 "quality, resize, wait, name, udp, size, chunk, reassembly)", key);
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

	q->answer = record_answer(q->api, j, &q->code);
	/* Server thread: MHD calls the handler again (in its thread) after the resume. */
	q->state = REQ_ANSWERED;
	MHD_resume_connection(q->conn);
}

/* An asynchronous job's answer goes to the store only. */
static void async_done(struct server_job *j)
{
	unsigned int code;

	json_decref(record_answer(j->owner, j, &code));
	server_job_free(j);
}

static int prefers_async(struct MHD_Connection *conn)
{
	const char *v = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Prefer");

	return v && strstr(v, "respond-async");
}

static enum MHD_Result answer_job(struct api *a, struct req *q);

static enum MHD_Result post_job(struct api *a, struct req *q)
{
	struct params p = { .wait = 1 };
	struct server_job *j;
	int64_t id;
	char loc[64];
	int r, async;

	if (q->up.too_large)
		return respond_error(q->conn, MHD_HTTP_CONTENT_TOO_LARGE, "error",
				     "image larger than %zu bytes", a->cfg.max_body_bytes);
	j = calloc(1, sizeof(*j));
	if (!j)
		return MHD_NO;
	p.j = j;
	MHD_get_connection_values(q->conn, MHD_GET_ARGUMENT_KIND, param_cb, &p);
	if (!p.bad[0] && j->udp && (!j->udp_total || !j->udp_chunk))
		snprintf(p.bad, sizeof(p.bad), "udp=TRANSFER needs size=BYTES and chunk=BYTES");
	if (!p.bad[0] && !j->udp && !q->up.len)
		snprintf(p.bad, sizeof(p.bad), "empty body: POST the JPEG bytes (Content-Type: image/jpeg)");
	async = !p.wait || prefers_async(q->conn);
	if (!p.bad[0] && async && j->udp)
		snprintf(p.bad, sizeof(p.bad), "UDP transfers are synchronous only (no wait=0)");
	if (p.bad[0]) {
		server_job_free(j);
		return respond_error(q->conn, MHD_HTTP_BAD_REQUEST, "error", "%s", p.bad);
	}
	if (!j->udp) {
		j->image_len = q->up.len;
		j->image = upload_take(&q->up);
	}
	/* In the store before anyone is told it was accepted: a 202 is never lost. */
	r = jobstore_add(a->cfg.store, &(struct jobstore_new){
			.mode = async ? "async" : "sync", .name = p.name, .grayscale = j->grayscale,
			.quality = j->quality, .resize_pct = j->resize_pct, .image = j->image,
			.image_len = j->image_len }, wall_ms(), &id);
	if (r < 0) {
		server_job_free(j);
		return respond_error(q->conn, MHD_HTTP_INTERNAL_SERVER_ERROR, "error",
				     "job store: %s", jobstore_error(a->cfg.store));
	}
	j->dj.id = (uint64_t)id;
	if (async) {
		j->async = 1;
		j->done = async_done;
		j->owner = a;
		/* From here the server owns j (it may be answered and freed at once). */
		r = server_submit(a->srv, j);
		if (r < 0) {
			jobstore_forget(a->cfg.store, id);
			server_job_free(j);
			q->submit_err = r;
			q->state = REQ_ANSWERED;
			return answer_job(a, q);
		}
		snprintf(loc, sizeof(loc), "/v1/jobs/%lld", (long long)id);
		return respond_json_hdr(q->conn, MHD_HTTP_ACCEPTED, json_pack("{s:I, s:s, s:s, s:s}",
					"job", (json_int_t)id, "status", "queued", "mode", "async",
					"location", loc), MHD_HTTP_HEADER_LOCATION, loc);
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
		jobstore_forget(a->cfg.store, id);
		q->submit_err = r;
		q->state = REQ_ANSWERED;
		MHD_resume_connection(q->conn);
	}
	return MHD_YES;
}

static enum MHD_Result answer_job(struct api *a, struct req *q)
{
	enum MHD_Result r;

	if (q->job)
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
	else {
		r = respond_json(q->conn, q->code, q->answer);
		q->answer = NULL;
	}
	server_job_free(q->job);
	q->job = NULL;
	return r;
}

/* ---- the job store's views ---- */

static enum MHD_Result store_error(struct api *a, struct MHD_Connection *conn, int r)
{
	if (r == -ENOENT)
		return respond_error(conn, MHD_HTTP_NOT_FOUND, "error", "no such job");
	return respond_error(conn, MHD_HTTP_INTERNAL_SERVER_ERROR, "error", "job store: %s (%s)",
			     strerror(-r), jobstore_error(a->cfg.store));
}

/* GET /v1/jobs?status=S&limit=N&before=ID: newest first, a page at a time. */
static enum MHD_Result list_jobs(struct api *a, struct MHD_Connection *conn)
{
	const char *status = MHD_lookup_connection_value(conn, MHD_GET_ARGUMENT_KIND, "status");
	const char *limit_s = MHD_lookup_connection_value(conn, MHD_GET_ARGUMENT_KIND, "limit");
	const char *before_s = MHD_lookup_connection_value(conn, MHD_GET_ARGUMENT_KIND, "before");
	unsigned long long limit = 50, before = 0;
	json_t *o = NULL;
	int r;

	if (status && !*status)
		status = NULL;
	if (status && !jobstore_status_valid(status))
		return respond_error(conn, MHD_HTTP_BAD_REQUEST, "error", "status=%.40s: expected "
				     "queued, running, done, error, timeout, failed or cancelled",
				     status);
	if ((limit_s && (parse_uint(limit_s, 500, &limit) < 0 || !limit)) ||
	    (before_s && parse_uint(before_s, INT64_MAX, &before) < 0))
		return respond_error(conn, MHD_HTTP_BAD_REQUEST, "error",
				     "limit=1..500 and before=JOB_ID expected");
	r = jobstore_list_json(a->cfg.store, status, (int64_t)before, (int)limit, &o);
	if (r < 0)
		return store_error(a, conn, r);
	return respond_json(conn, MHD_HTTP_OK, o);
}

static enum MHD_Result job_image(struct api *a, struct MHD_Connection *conn, int64_t id)
{
	struct MHD_Response *resp;
	enum MHD_Result ret;
	uint8_t *img = NULL;
	size_t len = 0;
	int r = jobstore_image(a->cfg.store, id, &img, &len);

	if (r < 0)
		return store_error(a, conn, r);
	resp = MHD_create_response_from_buffer(len, img, MHD_RESPMEM_MUST_FREE);
	if (!resp) {
		free(img);
		return MHD_NO;
	}
	MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, "image/jpeg");
	ret = MHD_queue_response(conn, MHD_HTTP_OK, resp);
	MHD_destroy_response(resp);
	return ret;
}

/* DELETE /v1/jobs/ID: the store decides (a job finishes once), then the server forgets it. */
static enum MHD_Result cancel_job(struct api *a, struct MHD_Connection *conn, int64_t id)
{
	json_t *o = NULL;
	int r = jobstore_finish(a->cfg.store, id, "cancelled", NULL, 0,
				"{\"status\":\"cancelled\",\"error\":\"job cancelled (DELETE)\"}",
				wall_ms());

	if (r < 0 && r != -EALREADY)
		return store_error(a, conn, r);
	if (r == 0)
		server_cancel(a->srv, (uint64_t)id); /* -ENOENT: answered meanwhile, too late */
	if (jobstore_get_json(a->cfg.store, id, &o) < 0)
		return store_error(a, conn, -ENOENT);
	return respond_json(conn, r == 0 ? MHD_HTTP_OK : MHD_HTTP_CONFLICT, o);
}

/* The board's pages. The policy allows nothing but this server's own files and no inline
 * script: whatever text reached a page could not run even if it were ever taken as markup. */
static enum MHD_Result web_page(struct MHD_Connection *conn, const struct web_file *f,
				const char *type)
{
	struct MHD_Response *resp = MHD_create_response_from_buffer(f->len, (void *)f->data,
								    MHD_RESPMEM_PERSISTENT);
	enum MHD_Result ret;

	if (!resp)
		return MHD_NO;
	MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, type);
	MHD_add_response_header(resp, "Content-Security-Policy", "default-src 'self'; "
				"object-src 'none'; base-uri 'none'; form-action 'self'");
	MHD_add_response_header(resp, "X-Content-Type-Options", "nosniff");
	MHD_add_response_header(resp, MHD_HTTP_HEADER_CACHE_CONTROL, "no-cache");
	ret = MHD_queue_response(conn, MHD_HTTP_OK, resp);
	MHD_destroy_response(resp);
	return ret;
}

/* /v1/jobs/ID and /v1/jobs/ID/image */
static enum MHD_Result job_resource(struct api *a, struct MHD_Connection *conn,
				    const char *rest, const char *method)
{
	unsigned long long id;
	char num[24];
	size_t n = strcspn(rest, "/");
	int image = !strcmp(rest + n, "/image"), get;

	get = !strcmp(method, MHD_HTTP_METHOD_GET) || !strcmp(method, MHD_HTTP_METHOD_HEAD);
	if (n >= sizeof(num) || (rest[n] && !image))
		return respond_error(conn, MHD_HTTP_NOT_FOUND, "error", "no such resource");
	memcpy(num, rest, n);
	num[n] = 0;
	if (parse_uint(num, INT64_MAX, &id) < 0 || !id)
		return respond_error(conn, MHD_HTTP_NOT_FOUND, "error", "no such job");
	if (image && get)
		return job_image(a, conn, (int64_t)id);
	if (!image && get) {
		json_t *o = NULL;
		int r = jobstore_get_json(a->cfg.store, (int64_t)id, &o);

		return r < 0 ? store_error(a, conn, r) : respond_json(conn, MHD_HTTP_OK, o);
	}
	if (!image && !strcmp(method, MHD_HTTP_METHOD_DELETE))
		return cancel_job(a, conn, (int64_t)id);
	return respond_error(conn, MHD_HTTP_METHOD_NOT_ALLOWED, "error",
			     "GET or DELETE /v1/jobs/ID, GET /v1/jobs/ID/image");
}

/* Every request other than POST /v1/jobs. */
static enum MHD_Result answer_other(struct api *a, struct MHD_Connection *conn, const char *url,
				    const char *method, int get)
{
	if (!strcmp(url, "/v1/jobs") && get)
		return list_jobs(a, conn);
	if (!strncmp(url, "/v1/jobs/", 9))
		return job_resource(a, conn, url + 9, method);
	if (!strcmp(url, "/v1/jobs"))
		return respond_error(conn, MHD_HTTP_METHOD_NOT_ALLOWED, "error",
				     "use POST /v1/jobs with a JPEG body, or GET /v1/jobs");
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
	if (get) {
		const struct web_file *f;
		const char *type;

		if (web_lookup(url, &f, &type) == 0)
			return web_page(conn, f, type);
	}
	return respond_error(conn, MHD_HTTP_NOT_FOUND, "error",
			     "no such resource %.32s %.200s (POST or GET /v1/jobs, GET or DELETE "
			     "/v1/jobs/ID, GET /v1/health, GET /v1/stats)", method, url);
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
		enum MHD_Result r = upload_append(&q->up, upload_data, *upload_data_size,
						  a->cfg.max_body_bytes) < 0 ? MHD_NO : MHD_YES;

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
	upload_free(&q->up);
	server_job_free(q->job);
	json_decref(q->answer);
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

struct recover_ctx {
	struct api *a;
	int64_t now;
};

static int recover_one(void *arg, struct jobstore_pending *p)
{
	struct recover_ctx *c = arg;
	struct server_job *j = calloc(1, sizeof(*j));
	int r;

	if (!j) {
		free(p->image);
		return -ENOMEM;
	}
	*j = (struct server_job){
		.dj.id = (uint64_t)p->id, .image = p->image, .image_len = p->image_len,
		.grayscale = p->grayscale, .quality = p->quality, .resize_pct = p->resize_pct,
		.restored = 1, .async = 1, .done = async_done, .owner = c->a,
	};
	r = server_submit(c->a->srv, j);
	if (r < 0)
		server_job_free(j);
	return r;
}

int api_recover(struct api *a, size_t *ret_n)
{
	struct recover_ctx c = { .a = a, .now = wall_ms() };

	return jobstore_recover(a->cfg.store, c.now, recover_one, &c, ret_n);
}

void api_addr(const struct api *a, struct sock_addr *ret)
{
	*ret = a->addr;
}
