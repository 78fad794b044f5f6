/* SPDX-License-Identifier: MIT */
/* The server's HTTP/1.1 API (libmicrohttpd): POST /v1/jobs, GET /v1/health, GET /v1/stats. */
#ifndef QOSLAB_API_H
#define QOSLAB_API_H
#include <stddef.h>
#include <stdint.h>

#include "pipeline/server.h"
#include "pipeline/sock.h"

struct api_config {
	size_t max_body_bytes;   /* larger uploads get 413 */
	int64_t job_timeout_ms;  /* only quoted in 504 answers */
	uint32_t queue_max;      /* only quoted in 503 answers */
	void (*log)(void *arg, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
	void *log_arg;
};

struct api;

/* Starts the HTTP daemon (its own thread) on addr; jobs go to srv. 0 or -errno. */
int api_new(struct server *srv, const struct sock_addr *addr, const struct api_config *cfg,
	    struct api **ret);
/* Call after server_run returned (every job answered): waits for the answers to be
 * handed to MHD, then stops the daemon. */
void api_free(struct api *a);
void api_addr(const struct api *a, struct sock_addr *ret);
#endif
