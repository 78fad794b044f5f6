/* SPDX-License-Identifier: MIT */
/* The server's HTTP/1.1 API (libmicrohttpd): jobs (synchronous and asynchronous, kept in the
 * job store), health, stats. */
#ifndef QOSLAB_API_H
#define QOSLAB_API_H
#include <stddef.h>
#include <stdint.h>

#include "pipeline/jobstore.h"
#include "pipeline/server.h"
#include "pipeline/sock.h"

struct api_config {
	size_t max_body_bytes;   /* larger uploads get 413 */
	int64_t job_timeout_ms;  /* only quoted in 504 answers */
	uint32_t queue_max;      /* only quoted in 503 answers */
	struct jobstore *store;  /* every job and its answer; the caller's */
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
/* Queues the store's unfinished asynchronous jobs again (a server restarted on the same
 * database); synchronous ones lost their requester and are finished as failed. Before
 * server_run. 0 or -errno; ret_n: jobs queued. */
int api_recover(struct api *a, size_t *ret_n);
/* For server_config.job_event with the store as arg: records dispatches and re-queues. */
void api_job_event(void *store, const struct server_job *j, const char *worker);
void api_addr(const struct api *a, struct sock_addr *ret);
#endif
