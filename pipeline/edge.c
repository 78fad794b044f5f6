// SPDX-License-Identifier: MIT
/* The edge: libmicrohttpd in front (a thread per connection), libcurl towards the server.
 *
 * A thread per connection because every request's work blocks: decoding and re-encoding a
 * JPEG, then one HTTP exchange with the server. The client side is bounded by max_conns
 * (threads), the work by max_jobs (503 beyond), each exchange by timeout_ms. A connection
 * keeps one curl handle, so a client's keep-alive connection maps to one kept-alive
 * connection to the server, as a reverse proxy's upstream pool would. */
#include "pipeline/edge.h"

#include <curl/curl.h>
#include <errno.h>
#include <inttypes.h>
#include <jansson.h>
#include <microhttpd.h>
#include <pthread.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "clock.h"
#include "pipeline/proto.h"
#include "pipeline/upload.h"
#include "units.h"

/* What the edge remembers of the last images it preprocessed, by server job id, so that an
 * asynchronous job's result polled later carries the edge's facts too. */
#define EDGE_NOTES 4096
/* The server's answers are JSON of at most a few hundred detections; a job board page or an
 * image (GET /v1/jobs/ID/image) is the largest thing relayed. */
#define REPLY_MAX_BYTES (64u << 20)
#define QUERY_MAX 2048

struct edge_note {
	int64_t job;
	uint64_t bytes_in, bytes_out;
	int width, height;
	double pre_ms;
};

struct edge {
	struct edge_config cfg;
	struct MHD_Daemon *mhd;
	struct sock_addr addr;
	pthread_mutex_t lock;
	struct edge_stats st;      /* under lock */
	unsigned int jobs;         /* images being preprocessed or forwarded, under lock */
	unsigned int active;       /* requests not completed yet, under lock */
	int aborting;              /* atomic: curl transfers give up */
	struct edge_note notes[EDGE_NOTES]; /* under lock */
};

struct req {
	int is_job;                /* POST /v1/jobs: the body is read */
	int early;                 /* answered from the headers */
	struct upload up;         /* the body */
};

struct conn_ctx {
	CURL *h;
};

/* The server's answer. */
struct reply {
	long code;
	char *body;
	size_t len, cap;
	int overflow;
	char ctype[128], location[512], retry_after[32], csp[512], cache[128];
};

static void edge_log(struct edge *e, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void edge_log(struct edge *e, const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	if (!e->cfg.log)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	e->cfg.log(e->cfg.log_arg, "%s", msg);
}

static void count(struct edge *e, uint64_t *field, uint64_t n)
{
	pthread_mutex_lock(&e->lock);
	*field += n;
	pthread_mutex_unlock(&e->lock);
}

/* ---- responses ---- */

static enum MHD_Result respond(struct MHD_Connection *conn, unsigned int code, char *body,
			       size_t len, const struct reply *rep)
{
	struct MHD_Response *resp;
	enum MHD_Result r;

	/* MUST_FREE: MHD owns body from here */
	resp = MHD_create_response_from_buffer(len, body, MHD_RESPMEM_MUST_FREE);
	if (!resp) {
		free(body);
		return MHD_NO;
	}
	if (rep) {
		if (rep->ctype[0])
			MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, rep->ctype);
		if (rep->location[0])
			MHD_add_response_header(resp, MHD_HTTP_HEADER_LOCATION, rep->location);
		if (rep->retry_after[0])
			MHD_add_response_header(resp, MHD_HTTP_HEADER_RETRY_AFTER, rep->retry_after);
		if (rep->csp[0])
			MHD_add_response_header(resp, "Content-Security-Policy", rep->csp);
		if (rep->cache[0])
			MHD_add_response_header(resp, MHD_HTTP_HEADER_CACHE_CONTROL, rep->cache);
	} else {
		MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, "application/json");
		if (code == MHD_HTTP_SERVICE_UNAVAILABLE)
			MHD_add_response_header(resp, MHD_HTTP_HEADER_RETRY_AFTER, "1");
	}
	r = MHD_queue_response(conn, code, resp);
	MHD_destroy_response(resp);
	return r;
}

static enum MHD_Result respond_json(struct MHD_Connection *conn, unsigned int code, json_t *o)
{
	char *s = o ? json_dumps(o, JSON_COMPACT | JSON_REAL_PRECISION(9)) : NULL, *t;
	size_t len;

	json_decref(o);
	if (!s)
		return MHD_NO;
	len = strlen(s);
	/* a trailing newline as the server writes it */
	t = realloc(s, len + 2);
	if (!t) {
		free(s);
		return MHD_NO;
	}
	t[len++] = '\n';
	t[len] = 0;
	return respond(conn, code, t, len, NULL);
}

static enum MHD_Result respond_error(struct MHD_Connection *conn, unsigned int code,
				     const char *status, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static enum MHD_Result respond_error(struct MHD_Connection *conn, unsigned int code,
				     const char *status, const char *fmt, ...)
{
	char msg[512] = "edge: ";
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg + 6, sizeof(msg) - 6, fmt, ap);
	va_end(ap);
	/* messages quote URLs and curl's words: jansson takes only valid UTF-8 */
	proto_text_sanitize(msg);
	return respond_json(conn, code, json_pack("{s:s, s:s}", "status", status, "error", msg));
}

/* ---- the exchange with the server ---- */

static size_t on_body(char *p, size_t size, size_t n, void *arg)
{
	struct reply *rep = arg;
	size_t take = size * n;

	if (rep->len + take > REPLY_MAX_BYTES) {
		rep->overflow = 1;
		return 0;
	}
	if (rep->len + take + 1 > rep->cap) {
		size_t cap = rep->cap ? rep->cap : 4096;
		char *b;

		while (cap < rep->len + take + 1)
			cap *= 2;
		b = realloc(rep->body, cap);
		if (!b)
			return 0;
		rep->body = b;
		rep->cap = cap;
	}
	memcpy(rep->body + rep->len, p, take);
	rep->len += take;
	rep->body[rep->len] = 0;
	return take;
}

/* Keeps the headers worth relaying; a new status line (100 Continue) starts over. */
static size_t on_header(char *p, size_t size, size_t n, void *arg)
{
	static const struct { const char *name; size_t off, size; } keep[] = {
		{ "content-type", offsetof(struct reply, ctype), sizeof(((struct reply *)0)->ctype) },
		{ "location", offsetof(struct reply, location), sizeof(((struct reply *)0)->location) },
		{ "retry-after", offsetof(struct reply, retry_after), sizeof(((struct reply *)0)->retry_after) },
		{ "content-security-policy", offsetof(struct reply, csp), sizeof(((struct reply *)0)->csp) },
		{ "cache-control", offsetof(struct reply, cache), sizeof(((struct reply *)0)->cache) },
	};
	struct reply *rep = arg;
	size_t len = size * n;

	if (len >= 5 && !strncmp(p, "HTTP/", 5)) {
		rep->ctype[0] = rep->location[0] = rep->retry_after[0] = rep->csp[0] = rep->cache[0] = 0;
		return len;
	}
	for (size_t i = 0; i < sizeof(keep) / sizeof(keep[0]); i++) {
		size_t k = strlen(keep[i].name), v;
		char *dst = (char *)rep + keep[i].off;

		if (len <= k || p[k] != ':' || strncasecmp(p, keep[i].name, k))
			continue;
		p += k + 1;
		len -= k + 1;
		while (len && (*p == ' ' || *p == '\t'))
			p++, len--;
		while (len && (p[len - 1] == '\r' || p[len - 1] == '\n' || p[len - 1] == ' '))
			len--;
		v = len < keep[i].size - 1 ? len : keep[i].size - 1;
		memcpy(dst, p, v);
		dst[v] = 0;
		/* a header value with a control character is not relayed */
		for (size_t c = 0; c < v; c++)
			if ((unsigned char)dst[c] < 0x20 || dst[c] == 0x7f)
				dst[0] = 0;
		return size * n;
	}
	return size * n;
}

static int on_progress(void *arg, curl_off_t a, curl_off_t b, curl_off_t c, curl_off_t d)
{
	struct edge *e = arg;

	(void)a, (void)b, (void)c, (void)d;
	return __atomic_load_n(&e->aborting, __ATOMIC_SEQ_CST);
}

static CURL *conn_curl(struct MHD_Connection *conn)
{
	const union MHD_ConnectionInfo *ci =
		MHD_get_connection_info(conn, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
	struct conn_ctx *c = ci ? ci->socket_context : NULL;

	if (!c)
		return NULL;
	if (!c->h)
		c->h = curl_easy_init();
	else
		curl_easy_reset(c->h); /* keeps the live connection to the server */
	return c->h;
}

/* One request to the server; rep gets its answer. 0, or an answer already sent to the
 * client (MHD_YES/NO in *ret_answered) when the exchange failed. */
static int exchange(struct edge *e, struct MHD_Connection *conn, const char *method,
		    const char *path, const char *query, const void *body, size_t len,
		    struct reply *rep, enum MHD_Result *ret_answered)
{
	CURL *h = conn_curl(conn);
	struct curl_slist *hdrs = NULL;
	char url[4096], errbuf[CURL_ERROR_SIZE] = "";
	const char *prefer = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Prefer");
	CURLcode cc;

	if (!h) {
		*ret_answered = MHD_NO;
		return -ENOMEM;
	}
	snprintf(url, sizeof(url), "%s%s%s%s", e->cfg.upstream, path, query[0] ? "?" : "", query);
	curl_easy_setopt(h, CURLOPT_URL, url);
	curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(h, CURLOPT_TCP_NODELAY, 1L);
	curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, e->cfg.timeout_ms);
	curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, e->cfg.timeout_ms < 10000 ? e->cfg.timeout_ms : 10000L);
	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(h, CURLOPT_WRITEDATA, rep);
	curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, on_header);
	curl_easy_setopt(h, CURLOPT_HEADERDATA, rep);
	curl_easy_setopt(h, CURLOPT_ERRORBUFFER, errbuf);
	curl_easy_setopt(h, CURLOPT_NOPROGRESS, 0L);
	curl_easy_setopt(h, CURLOPT_XFERINFOFUNCTION, on_progress);
	curl_easy_setopt(h, CURLOPT_XFERINFODATA, e);
	/* the server's API speaks only http: nothing else may be reached through the edge */
	curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http");
	if (!strcmp(method, MHD_HTTP_METHOD_POST)) {
		hdrs = curl_slist_append(hdrs, "Content-Type: image/jpeg");
		hdrs = curl_slist_append(hdrs, "Expect:");
		if (prefer && strstr(prefer, "respond-async"))
			hdrs = curl_slist_append(hdrs, "Prefer: respond-async");
		curl_easy_setopt(h, CURLOPT_POST, 1L);
		curl_easy_setopt(h, CURLOPT_POSTFIELDS, body ? (const char *)body : "");
		curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)len);
	} else if (!strcmp(method, MHD_HTTP_METHOD_HEAD)) {
		curl_easy_setopt(h, CURLOPT_NOBODY, 1L);
	} else if (!strcmp(method, MHD_HTTP_METHOD_DELETE)) {
		curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, "DELETE");
	}
	curl_easy_setopt(h, CURLOPT_HTTPHEADER, hdrs);
	cc = curl_easy_perform(h);
	curl_easy_setopt(h, CURLOPT_HTTPHEADER, NULL);
	curl_slist_free_all(hdrs);
	if (cc == CURLE_OK) {
		curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &rep->code);
		return 0;
	}
	count(e, &e->st.upstream_errors, 1);
	if (cc == CURLE_ABORTED_BY_CALLBACK)
		*ret_answered = respond_error(conn, MHD_HTTP_SERVICE_UNAVAILABLE, "error",
					      "shutting down");
	else if (cc == CURLE_OPERATION_TIMEDOUT)
		*ret_answered = respond_error(conn, MHD_HTTP_GATEWAY_TIMEOUT, "timeout",
					      "no answer from the server within %ld ms",
					      e->cfg.timeout_ms);
	else if (rep->overflow)
		*ret_answered = respond_error(conn, MHD_HTTP_BAD_GATEWAY, "error",
					      "the server's answer is larger than %u bytes",
					      REPLY_MAX_BYTES);
	else
		*ret_answered = respond_error(conn, MHD_HTTP_BAD_GATEWAY, "error",
					      "server %s: %s", e->cfg.upstream,
					      errbuf[0] ? errbuf : curl_easy_strerror(cc));
	edge_log(e, "%s %s: %s", method, path, errbuf[0] ? errbuf : curl_easy_strerror(cc));
	return -EIO;
}

/* The server's Location, as the client must see it: relative stays (it resolves against
 * the edge), one naming the server itself becomes relative (the client polls through the
 * edge, as behind any reverse proxy). */
static void rewrite_location(const struct edge *e, struct reply *rep)
{
	size_t n = strlen(e->cfg.upstream);

	if (!strncmp(rep->location, e->cfg.upstream, n) && rep->location[n] == '/')
		memmove(rep->location, rep->location + n, strlen(rep->location + n) + 1);
}

/* Relays rep to the client; with note, the job answer (or poll result) gets "edge": what
 * the edge did to its image. */
static enum MHD_Result relay(struct edge *e, struct MHD_Connection *conn, struct reply *rep,
			     const struct edge_note *note, int in_result)
{
	char *body = rep->body;
	size_t len = rep->len;

	count(e, rep->code < 300 ? &e->st.answers_2xx : rep->code < 500 ? &e->st.answers_4xx :
	      &e->st.answers_5xx, 1);
	rewrite_location(e, rep);
	if (note && rep->len && rep->code < 300) {
		json_t *o = json_loadb(rep->body, rep->len, 0, NULL), *at;
		char *s;

		at = in_result ? json_object_get(o, "result") : o;
		if (json_is_object(at) &&
		    json_object_set_new(at, "edge", json_pack("{s:I, s:I, s:i, s:i, s:f}",
				"bytes_in", (json_int_t)note->bytes_in,
				"bytes_out", (json_int_t)note->bytes_out, "width", note->width,
				"height", note->height, "pre_ms", note->pre_ms)) == 0 &&
		    (s = json_dumps(o, JSON_COMPACT | JSON_REAL_PRECISION(9)))) {
			size_t n = strlen(s);
			char *t = realloc(s, n + 2);

			if (t) {
				t[n++] = '\n';
				t[n] = 0;
				body = t;
				len = n;
				free(rep->body);
			} else {
				free(s);
			}
		}
		json_decref(o);
	}
	rep->body = NULL;
	if (!body) {
		body = strdup("");
		if (!body)
			return MHD_NO;
	}
	return respond(conn, (unsigned int)rep->code, body, len, rep);
}

/* ---- requests ---- */

struct query {
	char s[QUERY_MAX];
	size_t len;
	int too_long, udp;
};

/* The client's query parameters again, escaped: the server validates them. */
static enum MHD_Result query_cb(void *cls, enum MHD_ValueKind kind, const char *key,
				const char *value)
{
	struct query *q = cls;
	char *k = curl_easy_escape(NULL, key, 0), *v = value ? curl_easy_escape(NULL, value, 0) : NULL;
	int n;

	(void)kind;
	if (!strcmp(key, "udp"))
		q->udp = 1;
	if (!k || (value && !v)) {
		q->too_long = 1;
	} else {
		n = snprintf(q->s + q->len, sizeof(q->s) - q->len, "%s%s%s%s", q->len ? "&" : "", k,
			     v ? "=" : "", v ? v : "");
		if (n < 0 || (size_t)n >= sizeof(q->s) - q->len)
			q->too_long = 1;
		else
			q->len += (size_t)n;
	}
	curl_free(k);
	curl_free(v);
	return q->too_long ? MHD_NO : MHD_YES;
}

static int note_get(struct edge *e, int64_t job, struct edge_note *ret)
{
	int found;

	pthread_mutex_lock(&e->lock);
	found = job > 0 && e->notes[job % EDGE_NOTES].job == job;
	if (found)
		*ret = e->notes[job % EDGE_NOTES];
	pthread_mutex_unlock(&e->lock);
	return found;
}

/* The job id of a server answer ({"job": N, ...}), 0 when none. */
static int64_t answer_job_id(const struct reply *rep)
{
	json_t *o = rep->len ? json_loadb(rep->body, rep->len, 0, NULL) : NULL;
	json_int_t id = json_integer_value(json_object_get(o, "job"));

	json_decref(o);
	return id;
}

static int take_job(struct edge *e)
{
	int ok;

	pthread_mutex_lock(&e->lock);
	ok = e->jobs < e->cfg.max_jobs;
	if (ok)
		e->jobs++;
	else
		e->st.busy++;
	pthread_mutex_unlock(&e->lock);
	return ok;
}

static enum MHD_Result post_job(struct edge *e, struct MHD_Connection *conn, struct req *q)
{
	struct query qs = { .len = 0 };
	struct reply rep = { 0 };
	struct edge_note note = { .bytes_in = q->up.len };
	unsigned char *out = NULL;
	size_t out_len = 0;
	enum MHD_Result ans;
	double t0;
	int r;

	if (q->up.too_large) {
		count(e, &e->st.too_large, 1);
		return respond_error(conn, MHD_HTTP_CONTENT_TOO_LARGE, "error",
				     "image larger than %zu bytes", e->cfg.max_body_bytes);
	}
	MHD_get_connection_values(conn, MHD_GET_ARGUMENT_KIND, query_cb, &qs);
	if (qs.too_long)
		return respond_error(conn, MHD_HTTP_URI_TOO_LONG, "error",
				     "query string longer than %d bytes", QUERY_MAX - 1);
	if (qs.udp)
		return respond_error(conn, MHD_HTTP_BAD_REQUEST, "error",
				     "UDP transfers go to the server itself, not through the edge");
	if (!take_job(e))
		return respond_error(conn, MHD_HTTP_SERVICE_UNAVAILABLE, "busy",
				     "edge busy: %u images in work (--max-jobs); retry later",
				     e->cfg.max_jobs);
	count(e, &e->st.images, 1);
	count(e, &e->st.bytes_in, q->up.len);
	/* An empty body goes on as it is: the server's answer (400) says what is missing. */
	if (q->up.len) {
		t0 = clock_now_s();
		if (jpeg_size(q->up.body, q->up.len, &note.width, &note.height) < 0)
			r = -EINVAL;
		else
			r = jpeg_preprocess_bytes(q->up.body, q->up.len, &e->cfg.pp, &out, &out_len);
		note.pre_ms = (clock_now_s() - t0) * 1e3;
		if (r < 0) {
			count(e, &e->st.undecodable, 1);
			ans = respond_error(conn, MHD_HTTP_UNPROCESSABLE_CONTENT, "error", "%s",
					    r == -E2BIG ? "image has more pixels than the edge's limit "
					    "(--max-pixels), even at 1/8 scale" : r == -EINVAL ?
					    "undecodable image" : strerror(-r));
			goto out;
		}
	}
	note.bytes_out = out_len;
	pthread_mutex_lock(&e->lock);
	e->st.forwarded++;
	e->st.bytes_out += out_len;
	e->st.pre_ms += note.pre_ms;
	pthread_mutex_unlock(&e->lock);
	if (exchange(e, conn, MHD_HTTP_METHOD_POST, "/v1/jobs", qs.s, out, out_len, &rep, &ans) < 0)
		goto out;
	note.job = answer_job_id(&rep);
	if (note.job > 0) {
		pthread_mutex_lock(&e->lock);
		e->notes[note.job % EDGE_NOTES] = note;
		pthread_mutex_unlock(&e->lock);
	}
	ans = relay(e, conn, &rep, q->up.len ? &note : NULL, 0);
out:
	free(rep.body);
	free(out);
	pthread_mutex_lock(&e->lock);
	e->jobs--;
	pthread_mutex_unlock(&e->lock);
	return ans;
}

static enum MHD_Result stats_answer(struct edge *e, struct MHD_Connection *conn)
{
	char *s = edge_stats_text(e);
	size_t n;
	char *t;

	if (!s)
		return MHD_NO;
	n = strlen(s);
	t = realloc(s, n + 2);
	if (!t) {
		free(s);
		return MHD_NO;
	}
	t[n++] = '\n';
	t[n] = 0;
	return respond(conn, MHD_HTTP_OK, t, n, NULL);
}

/* Everything but POST /v1/jobs: the edge's own counters, or the server's answer. */
static enum MHD_Result answer_other(struct edge *e, struct MHD_Connection *conn, const char *url,
				    const char *method)
{
	int get = !strcmp(method, MHD_HTTP_METHOD_GET) || !strcmp(method, MHD_HTTP_METHOD_HEAD);
	struct query qs = { .len = 0 };
	struct reply rep = { 0 };
	struct edge_note note;
	enum MHD_Result ans;
	int has_note = 0;
	char *end;

	if (!strcmp(url, "/v1/edge/stats"))
		return get ? stats_answer(e, conn) :
		       respond_error(conn, MHD_HTTP_METHOD_NOT_ALLOWED, "error", "use GET %s", url);
	if (!get && strcmp(method, MHD_HTTP_METHOD_DELETE))
		return respond_error(conn, MHD_HTTP_METHOD_NOT_ALLOWED, "error",
				     "the edge takes POST /v1/jobs and relays GET, HEAD and DELETE");
	/* the path goes into a URL: only what the server's paths are made of */
	if (url[0] != '/' || strlen(url) > 512 || strspn(url, "/abcdefghijklmnopqrstuvwxyz"
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-") != strlen(url) || strstr(url, ".."))
		return respond_error(conn, MHD_HTTP_NOT_FOUND, "error", "no such resource");
	MHD_get_connection_values(conn, MHD_GET_ARGUMENT_KIND, query_cb, &qs);
	if (qs.too_long)
		return respond_error(conn, MHD_HTTP_URI_TOO_LONG, "error",
				     "query string longer than %d bytes", QUERY_MAX - 1);
	if (!strncmp(url, "/v1/jobs/", 9) && url[9] >= '0' && url[9] <= '9') {
		long long id = strtoll(url + 9, &end, 10);

		has_note = !*end && note_get(e, id, &note);
	}
	count(e, &e->st.relayed, 1);
	if (exchange(e, conn, method, url, qs.s, NULL, 0, &rep, &ans) == 0)
		ans = relay(e, conn, &rep, has_note ? &note : NULL, 1);
	free(rep.body);
	return ans;
}

/* A declared body above the limit is refused before any of it is read. */
static enum MHD_Result check_length(struct edge *e, struct MHD_Connection *conn, struct req *q)
{
	const char *cl = MHD_lookup_connection_value(conn, MHD_HEADER_KIND,
						     MHD_HTTP_HEADER_CONTENT_LENGTH);
	uint64_t n;

	/* not a number: MHD refused the request already */
	if (!cl || units_u64(cl, 10, e->cfg.max_body_bytes, &n) != -ERANGE)
		return MHD_YES;
	q->early = 1;
	count(e, &e->st.too_large, 1);
	return respond_error(conn, MHD_HTTP_CONTENT_TOO_LARGE, "error",
			     "image larger than %zu bytes (Content-Length: %.24s)",
			     e->cfg.max_body_bytes, cl);
}

static enum MHD_Result handler(void *cls, struct MHD_Connection *conn, const char *url,
			       const char *method, const char *version, const char *upload_data,
			       size_t *upload_data_size, void **req_cls)
{
	struct edge *e = cls;
	struct req *q = *req_cls;

	(void)version;
	if (!q) {
		q = calloc(1, sizeof(*q));
		if (!q)
			return MHD_NO;
		*req_cls = q;
		pthread_mutex_lock(&e->lock);
		e->active++;
		pthread_mutex_unlock(&e->lock);
		if (strcmp(url, "/v1/jobs") || strcmp(method, MHD_HTTP_METHOD_POST)) {
			/* answered from the headers; a body sent along is not read */
			q->early = 1;
			return answer_other(e, conn, url, method);
		}
		q->is_job = 1;
		return check_length(e, conn, q);
	}
	if (q->early) {
		*upload_data_size = 0;
		return MHD_YES;
	}
	if (*upload_data_size) {
		enum MHD_Result r = upload_append(&q->up, upload_data, *upload_data_size,
						  e->cfg.max_body_bytes) < 0 ? MHD_NO : MHD_YES;

		*upload_data_size = 0;
		return r;
	}
	q->early = 1; /* answered */
	return post_job(e, conn, q);
}

static void completed(void *cls, struct MHD_Connection *conn, void **req_cls,
		      enum MHD_RequestTerminationCode toe)
{
	struct edge *e = cls;
	struct req *q = *req_cls;

	(void)conn;
	(void)toe;
	if (!q)
		return;
	pthread_mutex_lock(&e->lock);
	e->active--;
	pthread_mutex_unlock(&e->lock);
	upload_free(&q->up);
	free(q);
	*req_cls = NULL;
}

static void notify_conn(void *cls, struct MHD_Connection *conn, void **socket_context,
			enum MHD_ConnectionNotificationCode toe)
{
	struct conn_ctx *c = *socket_context;

	(void)cls;
	(void)conn;
	if (toe == MHD_CONNECTION_NOTIFY_STARTED) {
		/* NULL when out of memory: that connection's requests are then refused */
		*socket_context = calloc(1, sizeof(struct conn_ctx));
		return;
	}
	if (c) {
		curl_easy_cleanup(c->h);
		free(c);
	}
	*socket_context = NULL;
}

static void mhd_log(void *cls, const char *fmt, va_list ap)
{
	struct edge *e = cls;
	char msg[512];

	vsnprintf(msg, sizeof(msg), fmt, ap);
	msg[strcspn(msg, "\n")] = 0;
	edge_log(e, "http: %s", msg);
}

/* ---- life cycle ---- */

int edge_new(const struct sock_addr *addr, const struct edge_config *cfg, struct edge **ret)
{
	struct edge *e = NULL;
	int fd = -1, r;
	unsigned int idle_s;

	if (!cfg->upstream || strncmp(cfg->upstream, "http://", 7) || !cfg->upstream[7] ||
	    cfg->upstream[strlen(cfg->upstream) - 1] == '/' || strlen(cfg->upstream) > 1024 ||
	    preprocess_check(&cfg->pp) < 0 || !cfg->max_body_bytes || !cfg->max_jobs ||
	    !cfg->max_conns || cfg->timeout_ms <= 0)
		return -EINVAL;
	e = calloc(1, sizeof(*e));
	if (!e)
		return -ENOMEM;
	e->cfg = *cfg;
	pthread_mutex_init(&e->lock, NULL);
	fd = sock_listen_tcp(addr, 256, &e->addr);
	if (fd < 0) {
		r = fd;
		goto out;
	}
	/* MHD's idle timeout must not cut a connection whose request waits on the server */
	idle_s = (unsigned int)(cfg->timeout_ms / 1000) + 60;
	e->mhd = MHD_start_daemon(MHD_USE_AUTO | MHD_USE_INTERNAL_POLLING_THREAD |
				  MHD_USE_THREAD_PER_CONNECTION | MHD_USE_ITC | MHD_USE_ERROR_LOG,
				  0, NULL, NULL, handler, e,
				  MHD_OPTION_EXTERNAL_LOGGER, mhd_log, e,
				  MHD_OPTION_LISTEN_SOCKET, fd,
				  MHD_OPTION_NOTIFY_COMPLETED, completed, e,
				  MHD_OPTION_NOTIFY_CONNECTION, notify_conn, e,
				  MHD_OPTION_CONNECTION_LIMIT, cfg->max_conns,
				  MHD_OPTION_CONNECTION_TIMEOUT, idle_s,
				  MHD_OPTION_END);
	if (!e->mhd) {
		r = -EIO;
		goto out;
	}
	*ret = e;
	return 0;
out:
	if (fd >= 0)
		close(fd);
	pthread_mutex_destroy(&e->lock);
	free(e);
	return r;
}

/* Until no request is open or ms passed; 1 when some still are. */
static int wait_idle(struct edge *e, long ms)
{
	unsigned int active = 1;

	for (long waited = 0;; waited += 10) {
		pthread_mutex_lock(&e->lock);
		active = e->active;
		pthread_mutex_unlock(&e->lock);
		if (!active || waited >= ms)
			break;
		nanosleep(&(struct timespec){ 0, 10000000 }, NULL);
	}
	return active > 0;
}

void edge_stop(struct edge *e, long grace_ms)
{
	MHD_socket fd;

	if (!e->mhd)
		return;
	fd = MHD_quiesce_daemon(e->mhd);
	if (fd != MHD_INVALID_SOCKET)
		close(fd);
	if (wait_idle(e, grace_ms)) {
		edge_log(e, "requests unanswered after %ld ms: aborted", grace_ms);
		/* their transfers stop at curl's next progress call (within a second), and the
		 * clients get 503 before MHD shuts their sockets */
		__atomic_store_n(&e->aborting, 1, __ATOMIC_SEQ_CST);
		wait_idle(e, 2000);
	}
	__atomic_store_n(&e->aborting, 1, __ATOMIC_SEQ_CST);
	MHD_stop_daemon(e->mhd);
	e->mhd = NULL;
}

void edge_free(struct edge *e)
{
	if (!e)
		return;
	edge_stop(e, 0);
	pthread_mutex_destroy(&e->lock);
	free(e);
}

void edge_addr(const struct edge *e, struct sock_addr *ret)
{
	*ret = e->addr;
}

void edge_stats_get(struct edge *e, struct edge_stats *ret)
{
	pthread_mutex_lock(&e->lock);
	*ret = e->st;
	pthread_mutex_unlock(&e->lock);
}

char *edge_stats_text(struct edge *e)
{
	struct edge_stats s;
	unsigned int jobs;
	json_t *o;
	char *t;

	pthread_mutex_lock(&e->lock);
	s = e->st;
	jobs = e->jobs;
	pthread_mutex_unlock(&e->lock);
	o = json_pack("{s:I, s:I, s:I, s:I, s:I, s:{s:I, s:I, s:I}, s:I, s:I, s:I, s:I, s:f, s:i,"
		      " s:{s:b, s:i, s:i}, s:s}",
		      "images", (json_int_t)s.images, "forwarded", (json_int_t)s.forwarded,
		      "bytes_in", (json_int_t)s.bytes_in, "bytes_out", (json_int_t)s.bytes_out,
		      "relayed", (json_int_t)s.relayed, "answers", "2xx", (json_int_t)s.answers_2xx,
		      "4xx", (json_int_t)s.answers_4xx, "5xx", (json_int_t)s.answers_5xx,
		      "undecodable", (json_int_t)s.undecodable, "too_large", (json_int_t)s.too_large,
		      "busy", (json_int_t)s.busy, "upstream_errors", (json_int_t)s.upstream_errors,
		      "pre_ms", s.pre_ms, "in_work", (int)jobs, "preprocess",
		      "grayscale", e->cfg.pp.grayscale, "quality", e->cfg.pp.quality,
		      "resize", e->cfg.pp.resize_pct, "upstream", e->cfg.upstream);
	t = o ? json_dumps(o, JSON_COMPACT | JSON_REAL_PRECISION(9)) : NULL;
	json_decref(o);
	return t;
}
