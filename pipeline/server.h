/* SPDX-License-Identifier: MIT */
/* The job server: accepts workers on a TCP port, queues jobs, dispatches them and collects
 * results; the HTTP front end (api.h) submits jobs to it. */
#ifndef QOSLAB_SERVER_H
#define QOSLAB_SERVER_H
#include <stdint.h>
#include <jansson.h>

#include "pipeline/dispatch.h"
#include "pipeline/proto.h"
#include "pipeline/sock.h"

struct server_job;

struct server_config {
	struct sock_addr listen;       /* workers connect here */
	struct sock_addr udp;          /* lossy image transfer; used when have_udp */
	int have_udp;
	struct dispatch_config dispatch;
	uint32_t heartbeat_ms;         /* told to workers at registration */
	uint32_t max_frame_bytes;
	uint32_t udp_wait_ms;          /* reassembly deadline, see pipeline/README.md */
	/* A job was handed to a worker (worker: its name) or went back to the queue (worker
	 * NULL: its worker was lost). Server thread, lock held: must not call the server. */
	void (*job_event)(void *arg, const struct server_job *j, const char *worker);
	void *job_event_arg;
	/* Event log (worker joined/lost, bad frames); NULL: silent. */
	void (*log)(void *arg, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
	void *log_arg;
};

/* A job as the server sees it. The submitter allocates it, fills the request part and
 * done/owner; the server fills the answer part and calls done exactly once, from the
 * server thread and without its lock held; after that it never touches the job again. */
struct server_job {
	struct dispatch_job dj;       /* dj.id: the caller's (a job store's id), else 0 and
				       * server_submit assigns one */
	/* request */
	uint8_t *image;               /* owned by the job (free()d by server_job_free) */
	size_t image_len;
	uint8_t grayscale, quality, resize_pct;
	int udp;                      /* image arrives as UDP transfer client_transfer */
	uint64_t client_transfer;
	uint32_t udp_total;
	uint16_t udp_chunk;
	uint8_t reassembly;           /* enum proto_reassembly */
	/* With watch_client, client_fd (the submitter's connection, open until done() is
	 * called) is watched: when the client hangs up while the job still waits in the
	 * queue, the job is cancelled (answered CANCELLED) instead of occupying a worker. */
	int watch_client, client_fd;
	int restored;                 /* accepted by an earlier server: not refused as busy */
	int async;                    /* nobody waits on the connection (api.c's business) */
	/* answer */
	enum dispatch_outcome outcome; /* DONE: result holds the worker's answer */
	struct proto_result result;
	char worker[PROTO_STR_MAX + 1];
	int attempts;
	int64_t recv_ms, done_ms, queue_ms, dispatch_ms;
	uint32_t udp_chunks_rx;       /* client -> server hop */
	/* completion */
	void (*done)(struct server_job *j);
	void *owner;
	/* server-private */
	struct server_job *next;
	int64_t udp_since_ms;
};

void server_job_free(struct server_job *j);

struct server;

/* Binds the worker port (and the UDP port). 0 or -errno. */
int server_new(const struct server_config *cfg, struct server **ret);
void server_free(struct server *s);
/* Actual bound addresses (port 0 resolved). */
void server_listen_addr(const struct server *s, struct sock_addr *ret);
int server_udp_addr(const struct server *s, struct sock_addr *ret);

/*
 * Queues a job (any thread). 0: done() will be called; -EBUSY: the queue is full;
 * -EINVAL: bad request (UDP job on a server without --udp); -ESHUTDOWN: stopping. On an
 * error return the job is untouched and still the caller's.
 */
int server_submit(struct server *s, struct server_job *j);
/* Cancels a queued or running job (any thread); it is answered CANCELLED through done().
 * 0, -ENOENT (no unfinished job with that id). */
int server_cancel(struct server *s, uint64_t job_id);
/* Queue, workers and counters as JSON (any thread); NULL on ENOMEM. */
json_t *server_stats_json(struct server *s);
/* Runs the event loop until server_stop or until sig_fd (a signalfd, -1 for none) is
 * readable. Pending jobs are then answered CANCELLED and workers get BYE. 0 or -errno. */
int server_run(struct server *s, int sig_fd);
/* Any thread. */
void server_stop(struct server *s);
#endif
