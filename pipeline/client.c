// SPDX-License-Identifier: MIT
/* The load client: libcurl multi for K outstanding jobs or Poisson arrivals, retries, records. */
#include "pipeline/client.h"

#include <curl/curl.h>
#include <errno.h>
#include <fcntl.h>
#include <gsl/gsl_randist.h>
#include <gsl/gsl_rng.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <unistd.h>

#include "models/detections.h"
#include "models/record.h"
#include "clock.h"
#include "pipeline/udp.h"
#include "plots/stats.h"
#include "regfile.h"

/* An image above this is refused (the server takes 32 MiB by default): a huge file in a
 * dataset must not be read whole into memory. */
#define CLIENT_IMAGE_MAX (256 << 20)

/* ---- dataset ---- */

/* ---- jobs ---- */

/* Asynchronous jobs go RUNNING (the POST) -> POLL_WAIT <-> POLLING (a GET) -> DONE. */
enum cjob_state { CJOB_NEW, CJOB_RUNNING, CJOB_RETRY_WAIT, CJOB_POLL_WAIT, CJOB_POLLING,
		  CJOB_DONE };

struct cjob {
	long idx;
	const char *path;
	enum cjob_state state;
	uint8_t *data;
	size_t len;
	int attempts;
	double t_submit;           /* wall clock, first attempt */
	int64_t retry_at_ms;
	int64_t server_id;         /* async: the server's job id, once accepted */
	int64_t poll_at_ms;
	CURL *h;
	struct curl_slist *hdrs;
	char *resp;
	size_t resp_len;
	char errbuf[CURL_ERROR_SIZE];
	int64_t start_ms;
};

struct run {
	const struct client_config *cfg;
	CURLM *multi;
	struct cjob *jobs;
	long next;                 /* next job to start */
	long outstanding;          /* running or waiting for a retry */
	long polling;              /* async: accepted, waiting for the result */
	long finished;
	int udp_fd;
	uint64_t drop_state;       /* --udp-drop, seeded */
	double *lat_ms;            /* ok latencies */
	struct client_summary sum;
};

static size_t on_body(char *p, size_t size, size_t nmemb, void *arg)
{
	struct cjob *j = arg;
	size_t n = size * nmemb;
	char *np;

	/* Answers are small JSON documents; cap them so a broken server cannot fill memory. */
	if (j->resp_len + n > (64u << 20))
		return 0;
	np = realloc(j->resp, j->resp_len + n + 1);
	if (!np)
		return 0;
	j->resp = np;
	memcpy(j->resp + j->resp_len, p, n);
	j->resp_len += n;
	j->resp[j->resp_len] = 0;
	return n;
}

static void job_release(struct run *run, struct cjob *j)
{
	if (j->h) {
		curl_multi_remove_handle(run->multi, j->h);
		curl_easy_cleanup(j->h);
		j->h = NULL;
	}
	curl_slist_free_all(j->hdrs);
	j->hdrs = NULL;
	free(j->resp);
	j->resp = NULL;
	j->resp_len = 0;
}

static const char *base_name(const char *p)
{
	const char *s = strrchr(p, '/');

	return s ? s + 1 : p;
}

/* Writes the job's record and frees it. */
static void job_finish(struct run *run, struct cjob *j, enum record_status st,
		       const char *error, json_t *answer)
{
	struct record r = { .job = j->idx, .status = st, .t_submit = j->t_submit,
			    .t_done = clock_wall_s(), .bytes = j->len, .attempts = j->attempts };
	int accepted = j->server_id != 0;
	struct detection *d = NULL;
	size_t n = 0;
	int w;

	snprintf(r.image, sizeof(r.image), "%s", base_name(j->path));
	snprintf(r.mode, sizeof(r.mode), "%s", run->cfg->async ? "async" : "sync");
	if (error)
		snprintf(r.error, sizeof(r.error), "%s", error);
	if (answer) {
		json_t *tm = json_object_get(answer, "timings_ms");
		const char *w = json_string_value(json_object_get(answer, "worker"));

		if (w)
			snprintf(r.worker, sizeof(r.worker), "%s", w);
		r.res.width = (int)json_integer_value(json_object_get(answer, "width"));
		r.res.height = (int)json_integer_value(json_object_get(answer, "height"));
		r.res.bytes_in = (size_t)json_integer_value(json_object_get(answer, "bytes_in"));
		r.res.bytes_pre = (size_t)json_integer_value(json_object_get(answer, "bytes_pre"));
		r.res.t_decode_ms = json_number_value(json_object_get(tm, "decode"));
		r.res.t_pre_ms = json_number_value(json_object_get(tm, "pre"));
		r.res.t_infer_ms = json_number_value(json_object_get(tm, "infer"));
		/* Preprocessed by an edge (qoslab edge): the worker saw the reduced image, so the
		 * image's own size and the preprocessing are the edge's facts; records read the
		 * same wherever preprocessing happened. Boxes are normalised to the image, so they
		 * need no scaling back. */
		json_t *edge = json_object_get(answer, "edge");

		if (json_is_object(edge)) {
			r.res.width = (int)json_integer_value(json_object_get(edge, "width"));
			r.res.height = (int)json_integer_value(json_object_get(edge, "height"));
			r.res.bytes_pre = (size_t)json_integer_value(json_object_get(edge, "bytes_out"));
			r.res.t_pre_ms = json_number_value(json_object_get(edge, "pre_ms"));
		}
	}
	/* the server's answer read as records read it (models/detections.h) */
	if (answer && detections_from_json(json_object_get(answer, "detections"), &d, &n) < 0 &&
	    st == RECORD_OK) {
		st = RECORD_ERROR;
		r.status = st;
		snprintf(r.error, sizeof(r.error), "answer: malformed detections");
	}
	r.res.dets = d;
	r.res.n = n;
	w = record_write(run->cfg->out, &r);
	if (w < 0 && !run->sum.write_err)
		run->sum.write_err = w; /* the run stops: results that cannot be kept are not measured */
	free(d);
	if (st == RECORD_OK) {
		run->lat_ms[run->sum.ok++] = (r.t_done - r.t_submit) * 1000;
		run->sum.bytes += j->len;
	} else if (st == RECORD_TIMEOUT) {
		run->sum.timeout++;
	} else {
		run->sum.error++;
	}
	job_release(run, j);
	free(j->data);
	j->data = NULL;
	j->state = CJOB_DONE;
	if (accepted)
		run->polling--;
	else
		run->outstanding--;
	run->finished++;
}

static int job_start(struct run *run, struct cjob *j)
{
	const struct client_config *cfg = run->cfg;
	char url[4096], q[512] = "";
	size_t ql = 0;
	int r;

	if (!j->data) {
		char *buf = NULL;

		/* regfile: a FIFO in a dataset must not block */
		r = regfile_read(j->path, CLIENT_IMAGE_MAX, &buf, &j->len);
		j->data = (uint8_t *)buf;
		if (r < 0) {
			char msg[128];

			snprintf(msg, sizeof(msg), "cannot read image: %s", strerror(-r));
			j->t_submit = clock_wall_s();
			job_finish(run, j, RECORD_ERROR, msg, NULL);
			return 0;
		}
	}
	if (!j->attempts)
		j->t_submit = clock_wall_s();
	j->attempts++;
	if (cfg->grayscale)
		ql += (size_t)snprintf(q + ql, sizeof(q) - ql, "&grayscale=1");
	if (cfg->quality)
		ql += (size_t)snprintf(q + ql, sizeof(q) - ql, "&quality=%d", cfg->quality);
	if (cfg->resize_pct)
		ql += (size_t)snprintf(q + ql, sizeof(q) - ql, "&resize=%d", cfg->resize_pct);
	if (cfg->async) {
		char *name = curl_easy_escape(NULL, base_name(j->path), 0);

		ql += (size_t)snprintf(q + ql, sizeof(q) - ql, "&wait=0&name=%s", name ? name : "");
		curl_free(name);
	}
	if (cfg->udp) {
		uint64_t transfer = udp_transfer_new();

		/* Datagrams first: the server waits for them when the request arrives. */
		if (j->len && j->len <= UDP_TOTAL_MAX)
			udp_send(run->udp_fd, (const struct sockaddr *)&cfg->udp_addr.ss,
				 cfg->udp_addr.len, transfer, j->data, (uint32_t)j->len,
				 &(struct udp_send_opts){ .chunk_bytes = (uint16_t)cfg->chunk_bytes,
							  .pace_us = cfg->udp_pace_us,
							  .drop_ppm = cfg->udp_drop_ppm,
							  .drop_state = &run->drop_state });
		ql += (size_t)snprintf(q + ql, sizeof(q) - ql, "&udp=%llu&size=%zu&chunk=%d%s",
				       (unsigned long long)transfer, j->len, cfg->chunk_bytes,
				       cfg->concat ? "&reassembly=concat" : "");
	}
	snprintf(url, sizeof(url), "%s/v1/jobs%s%s", cfg->url, ql ? "?" : "", ql ? q + 1 : "");
	j->h = curl_easy_init();
	if (!j->h)
		return -ENOMEM;
	j->hdrs = curl_slist_append(NULL, "Content-Type: image/jpeg");
	/* No "Expect: 100-continue" round trip before the body. */
	j->hdrs = curl_slist_append(j->hdrs, "Expect:");
	curl_easy_setopt(j->h, CURLOPT_URL, url);
	curl_easy_setopt(j->h, CURLOPT_POST, 1L);
	curl_easy_setopt(j->h, CURLOPT_POSTFIELDS, cfg->udp ? "" : (const char *)j->data);
	curl_easy_setopt(j->h, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)(cfg->udp ? 0 : j->len));
	curl_easy_setopt(j->h, CURLOPT_HTTPHEADER, j->hdrs);
	curl_easy_setopt(j->h, CURLOPT_TIMEOUT_MS, (long)(cfg->timeout_s * 1000));
	curl_easy_setopt(j->h, CURLOPT_CONNECTTIMEOUT_MS, (long)(cfg->timeout_s * 1000));
	curl_easy_setopt(j->h, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(j->h, CURLOPT_WRITEDATA, j);
	curl_easy_setopt(j->h, CURLOPT_PRIVATE, j);
	curl_easy_setopt(j->h, CURLOPT_ERRORBUFFER, j->errbuf);
	curl_easy_setopt(j->h, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(j->h, CURLOPT_TCP_NODELAY, 1L);
	j->errbuf[0] = 0;
	j->start_ms = clock_now_ms();
	if (curl_multi_add_handle(run->multi, j->h) != CURLM_OK)
		return -ENOMEM;
	return 0;
}

/* GET /v1/jobs/ID of an accepted asynchronous job. */
static int job_poll(struct run *run, struct cjob *j)
{
	char url[4096];

	snprintf(url, sizeof(url), "%s/v1/jobs/%lld", run->cfg->url, (long long)j->server_id);
	j->h = curl_easy_init();
	if (!j->h)
		return -ENOMEM;
	curl_easy_setopt(j->h, CURLOPT_URL, url);
	curl_easy_setopt(j->h, CURLOPT_TIMEOUT_MS, (long)(run->cfg->timeout_s * 1000));
	curl_easy_setopt(j->h, CURLOPT_CONNECTTIMEOUT_MS, (long)(run->cfg->timeout_s * 1000));
	curl_easy_setopt(j->h, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(j->h, CURLOPT_WRITEDATA, j);
	curl_easy_setopt(j->h, CURLOPT_PRIVATE, j);
	curl_easy_setopt(j->h, CURLOPT_ERRORBUFFER, j->errbuf);
	curl_easy_setopt(j->h, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(j->h, CURLOPT_TCP_NODELAY, 1L);
	j->errbuf[0] = 0;
	j->state = CJOB_POLLING;
	return curl_multi_add_handle(run->multi, j->h) == CURLM_OK ? 0 : -ENOMEM;
}

static void poll_later(struct run *run, struct cjob *j)
{
	job_release(run, j);
	j->state = CJOB_POLL_WAIT;
	j->poll_at_ms = clock_now_ms() + run->cfg->poll_ms;
}

/* A poll came back: the result, or ask again later. A poll that fails (the server
 * restarting, say) is asked again: the job was accepted and the server keeps it. */
static void poll_done(struct run *run, struct cjob *j, CURLcode cc)
{
	json_t *o = NULL, *res;
	const char *status, *err;
	enum record_status st = RECORD_ERROR;
	char msg[256] = "";
	long code = 0;

	curl_easy_getinfo(j->h, CURLINFO_RESPONSE_CODE, &code);
	if (cc == CURLE_OK && code == 200 && j->resp)
		o = json_loadb(j->resp, j->resp_len, 0, NULL);
	status = json_string_value(json_object_get(o, "status"));
	if (!status || !strcmp(status, "queued") || !strcmp(status, "running")) {
		json_decref(o);
		poll_later(run, j);
		return;
	}
	res = json_object_get(o, "result");
	err = json_string_value(json_object_get(res, "error"));
	j->attempts = (int)json_integer_value(json_object_get(o, "attempts"));
	if (!strcmp(status, "done"))
		st = RECORD_OK;
	else if (!strcmp(status, "timeout"))
		st = RECORD_TIMEOUT;
	if (st != RECORD_OK)
		snprintf(msg, sizeof(msg), "job %s: %s", status, err ? err : "no result");
	job_finish(run, j, st, msg[0] ? msg : NULL,
		   !strcmp(status, "done") || !strcmp(status, "error") ? res : NULL);
	json_decref(o);
}

/* Decides on one finished transfer: record, or retry later. */
static void job_done(struct run *run, struct cjob *j, CURLcode cc)
{
	const struct client_config *cfg = run->cfg;
	enum record_status st = RECORD_ERROR;
	json_t *answer = NULL;
	char msg[256] = "";
	long code = 0;
	int retry = 0;

	if (j->state == CJOB_POLLING) {
		poll_done(run, j, cc);
		return;
	}
	curl_easy_getinfo(j->h, CURLINFO_RESPONSE_CODE, &code);
	if (cfg->async && cc == CURLE_OK && code == 202) {
		answer = j->resp ? json_loadb(j->resp, j->resp_len, 0, NULL) : NULL;
		j->server_id = (int64_t)json_integer_value(json_object_get(answer, "job"));
		json_decref(answer);
		if (j->server_id > 0) {
			/* Accepted: no longer counts against the submission limit. */
			run->outstanding--;
			run->polling++;
			poll_later(run, j);
			return;
		}
		answer = NULL;
	}
	if (cc == CURLE_OPERATION_TIMEDOUT) {
		st = RECORD_TIMEOUT;
		snprintf(msg, sizeof(msg), "no answer within %g s", cfg->timeout_s);
		retry = 1;
	} else if (cc != CURLE_OK) {
		snprintf(msg, sizeof(msg), "%s", j->errbuf[0] ? j->errbuf : curl_easy_strerror(cc));
		retry = 1;
	} else {
		const char *err;

		answer = j->resp ? json_loadb(j->resp, j->resp_len, 0, NULL) : NULL;
		err = json_string_value(json_object_get(answer, "error"));
		if (code == 200 && answer) {
			st = RECORD_OK;
		} else {
			snprintf(msg, sizeof(msg), "HTTP %ld: %s", code, err ? err : "no JSON answer");
			st = code == 504 ? RECORD_TIMEOUT : RECORD_ERROR;
			/* 4xx other than 408/429 will not get better by asking again. */
			retry = code >= 500 || code == 408 || code == 429;
		}
	}
	if (st != RECORD_OK && retry && j->attempts <= cfg->retries) {
		int64_t backoff = 50LL << (j->attempts - 1 < 5 ? j->attempts - 1 : 5);
		curl_off_t after = 0;

		/* A busy server says when to come back (Retry-After); asking sooner only adds
		 * load. */
		if (curl_easy_getinfo(j->h, CURLINFO_RETRY_AFTER, &after) == CURLE_OK && after > 0 &&
		    after * 1000 > backoff)
			backoff = after * 1000 < 10000 ? after * 1000 : 10000;

		json_decref(answer);
		job_release(run, j);
		j->state = CJOB_RETRY_WAIT;
		j->retry_at_ms = clock_now_ms() + backoff;
		run->sum.retries++;
		return;
	}
	job_finish(run, j, st, msg[0] ? msg : NULL, st == RECORD_OK || code == 422 ? answer : NULL);
	json_decref(answer);
}

static void summarize(struct run *run, double elapsed_s)
{
	struct client_summary *s = &run->sum;
	struct stats_latency l;
	double sum = 0;

	s->jobs = run->finished;
	s->elapsed_s = elapsed_s;
	s->jobs_per_s = elapsed_s > 0 ? s->ok / elapsed_s : 0;
	for (long i = 0; i < s->ok; i++)
		sum += run->lat_ms[i];
	s->lat_mean_ms = s->ok ? sum / s->ok : 0;
	/* the trial metrics' quantiles (type 7), so the client's line and results agree */
	if (s->ok && stats_latency(run->lat_ms, (size_t)s->ok, &l) == 0) {
		s->lat_p50_ms = l.p50;
		s->lat_p95_ms = l.p95;
		s->lat_p99_ms = l.p99;
	}
}

/* A job counts as outstanding from its first start until its record is written. */
static void job_begin(struct run *run, struct cjob *j)
{
	run->outstanding++;
	j->state = CJOB_RUNNING;
	if (job_start(run, j) < 0)
		job_finish(run, j, RECORD_ERROR, "cannot start transfer", NULL);
}

/* Starts what the load model allows now; returns ms until the next arrival (-1: none). */
static int64_t start_due(struct run *run, int64_t now, double *next_arrival_ms, gsl_rng *rng)
{
	const struct client_config *cfg = run->cfg;

	for (long i = 0; i < run->next; i++) {
		struct cjob *j = &run->jobs[i];

		if (j->state == CJOB_POLL_WAIT && now >= j->poll_at_ms) {
			if (job_poll(run, j) < 0)
				job_finish(run, j, RECORD_ERROR, "cannot start transfer", NULL);
			continue;
		}
		if (j->state != CJOB_RETRY_WAIT || now < j->retry_at_ms)
			continue;
		j->state = CJOB_RUNNING;
		if (job_start(run, j) < 0)
			job_finish(run, j, RECORD_ERROR, "cannot start transfer", NULL);
	}
	if (cfg->rate <= 0) {
		while (run->next < cfg->count && run->outstanding < cfg->concurrency)
			job_begin(run, &run->jobs[run->next++]);
		return -1;
	}
	while (run->next < cfg->count && now >= *next_arrival_ms &&
	       run->outstanding < cfg->max_outstanding) {
		job_begin(run, &run->jobs[run->next++]);
		*next_arrival_ms += gsl_ran_exponential(rng, 1000.0 / cfg->rate);
	}
	return run->next < cfg->count ? (int64_t)(*next_arrival_ms - now) : -1;
}

static void abort_all(struct run *run, const char *why)
{
	for (long i = 0; i < run->next; i++) {
		struct cjob *j = &run->jobs[i];

		if (j->state == CJOB_RUNNING || j->state == CJOB_RETRY_WAIT ||
		    j->state == CJOB_POLL_WAIT || j->state == CJOB_POLLING)
			job_finish(run, j, RECORD_ERROR, why, NULL);
	}
}

int client_run(const struct client_config *cfg, struct client_summary *ret)
{
	struct run run = { .cfg = cfg, .udp_fd = -1 };
	gsl_rng *rng = NULL;
	int64_t t0 = clock_now_ms();
	double next_arrival_ms;
	size_t *perm = NULL;
	int r = 0;

	if (cfg->count <= 0 || !cfg->n_images)
		return -EINVAL;
	run.jobs = calloc((size_t)cfg->count, sizeof(*run.jobs));
	run.lat_ms = calloc((size_t)cfg->count, sizeof(double));
	rng = gsl_rng_alloc(gsl_rng_mt19937);
	run.multi = curl_multi_init();
	if (!run.jobs || !run.lat_ms || !rng || !run.multi) {
		r = -ENOMEM;
		goto out;
	}
	gsl_rng_set(rng, (unsigned long)cfg->seed);
	run.drop_state = cfg->seed * 0x9e3779b97f4a7c15ULL + 1;
	if (cfg->udp) {
		run.udp_fd = socket(cfg->udp_addr.ss.ss_family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
		if (run.udp_fd < 0) {
			r = -errno;
			goto out;
		}
	}
	perm = calloc(cfg->n_images, sizeof(*perm));
	if (!perm) {
		r = -ENOMEM;
		goto out;
	}
	for (size_t i = 0; i < cfg->n_images; i++)
		perm[i] = i;
	if (cfg->shuffle)
		gsl_ran_shuffle(rng, perm, cfg->n_images, sizeof(*perm));
	for (long i = 0; i < cfg->count; i++) {
		run.jobs[i].idx = i;
		run.jobs[i].path = cfg->images[perm[(size_t)i % cfg->n_images]];
	}
	/* Keep connections to the server alive and reused across jobs. */
	curl_multi_setopt(run.multi, CURLMOPT_MAXCONNECTS,
			  (long)(cfg->rate > 0 ? cfg->max_outstanding : cfg->concurrency) + 4);
	next_arrival_ms = (double)t0;
	while (run.finished < cfg->count) {
		struct curl_waitfd wfd = { .fd = cfg->sig_fd, .events = CURL_WAIT_POLLIN };
		int64_t now = clock_now_ms(), wait;
		int running, nfd = 0;
		CURLMsg *m;

		if (run.sum.write_err) {
			abort_all(&run, "cannot write the records");
			break;
		}
		if (cfg->duration_s > 0 && now - t0 >= cfg->duration_s * 1000) {
			abort_all(&run, "run time limit (--duration) reached");
			break;
		}
		wait = start_due(&run, now, &next_arrival_ms, rng);
		if (run.next >= cfg->count && !run.outstanding && !run.polling)
			break;
		curl_multi_perform(run.multi, &running);
		while ((m = curl_multi_info_read(run.multi, &running))) {
			struct cjob *j = NULL;

			if (m->msg != CURLMSG_DONE)
				continue;
			curl_easy_getinfo(m->easy_handle, CURLINFO_PRIVATE, (char **)&j);
			job_done(&run, j, m->data.result);
		}
		if (wait < 0 || wait > 50)
			wait = 50; /* retries and the duration bound are checked at least this often */
		curl_multi_poll(run.multi, cfg->sig_fd >= 0 ? &wfd : NULL, cfg->sig_fd >= 0,
				(int)wait, &nfd);
		if (cfg->sig_fd >= 0 && (wfd.revents & CURL_WAIT_POLLIN)) {
			run.sum.interrupted = 1;
			abort_all(&run, "interrupted");
			break;
		}
	}
	summarize(&run, (clock_now_ms() - t0) / 1000.0);
	*ret = run.sum;
out:
	if (run.jobs)
		for (long i = 0; i < cfg->count; i++) {
			job_release(&run, &run.jobs[i]);
			free(run.jobs[i].data);
		}
	if (run.multi)
		curl_multi_cleanup(run.multi);
	if (run.udp_fd >= 0)
		close(run.udp_fd);
	gsl_rng_free(rng);
	free(perm);
	free(run.jobs);
	free(run.lat_ms);
	return r;
}
