/* SPDX-License-Identifier: MIT */
/* The edge tier (issue 9, seed 002): an HTTP front that speaks the server's job API,
 * preprocesses each image (models/jpeg.h) and forwards the reduced JPEG to the server, so
 * the edge -> server link carries the reduced bytes. */
#ifndef QOSLAB_EDGE_H
#define QOSLAB_EDGE_H
#include <stddef.h>
#include <stdint.h>

#include "models/jpeg.h"
#include "pipeline/sock.h"

struct edge_config {
	const char *upstream;      /* the server's API, "http://HOST:PORT" (no trailing '/') */
	struct preprocess pp;      /* applied to every POSTed image; max_pixels bounds decoding */
	size_t max_body_bytes;     /* larger uploads get 413 */
	unsigned int max_jobs;     /* images preprocessed or forwarded at once; more get 503 */
	unsigned int max_conns;    /* client connections held at once (a thread each) */
	long timeout_ms;           /* one forwarded request to the server, end to end */
	void (*log)(void *arg, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
	void *log_arg;
};

/* Counters since edge_new. bytes_in/bytes_out are image bytes (request bodies of POST
 * /v1/jobs) received from clients and sent to the server: the saving on the edge -> server
 * link is 1 - bytes_out / bytes_in. */
struct edge_stats {
	uint64_t images;           /* POST /v1/jobs bodies received whole */
	uint64_t forwarded;        /* of them, sent to the server */
	uint64_t bytes_in, bytes_out;
	uint64_t relayed;          /* other requests passed to the server (polls, lists, health) */
	uint64_t answers_2xx, answers_4xx, answers_5xx; /* what the server answered, relayed */
	uint64_t undecodable;      /* 422 from the edge: the image could not be preprocessed */
	uint64_t too_large;        /* 413 */
	uint64_t busy;             /* 503: max_jobs reached */
	uint64_t upstream_errors;  /* the server unreachable, too slow or its answer unusable */
	double pre_ms;             /* time spent preprocessing, all images */
};

struct edge;

/* Serves addr (port 0: a free one) until edge_stop. 0, -EINVAL (bad config), -errno. */
int edge_new(const struct sock_addr *addr, const struct edge_config *cfg, struct edge **ret);
/* Stops taking connections, gives requests in flight up to grace_ms to be answered,
 * aborts the rest (their clients get 503), stops the daemon. The counters stay readable. */
void edge_stop(struct edge *e, long grace_ms);
/* Stops (without grace) when edge_stop was not called. NULL is fine. */
void edge_free(struct edge *e);
void edge_addr(const struct edge *e, struct sock_addr *ret);
void edge_stats_get(struct edge *e, struct edge_stats *ret);
/* The counters as one JSON object text (malloc'ed, no newline); NULL when out of memory. */
char *edge_stats_text(struct edge *e);
#endif
