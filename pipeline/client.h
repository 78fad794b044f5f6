/* SPDX-License-Identifier: MIT */
/* The load client: submits a dataset's images to the server's HTTP API (libcurl multi),
 * closed loop (K outstanding) or open loop (Poisson arrivals), with timeouts and retries. */
#ifndef QOSLAB_CLIENT_H
#define QOSLAB_CLIENT_H
#include <stdint.h>
#include <stdio.h>

#include "pipeline/sock.h"

struct client_config {
	const char *url;            /* server base URL, e.g. http://10.0.0.1:8080 */
	char **images;              /* image paths; job i sends images[i % n_images] */
	size_t n_images;
	long count;                 /* jobs to run */
	int concurrency;            /* closed loop: jobs outstanding at once */
	double rate;                /* > 0: open loop, Poisson arrivals at this many jobs/s */
	int max_outstanding;        /* open loop: arrivals wait while this many are running */
	double timeout_s;           /* per attempt */
	int retries;                /* further attempts after a timeout, busy or transport error */
	double duration_s;          /* > 0: stop submitting after this long, abort the rest */
	uint64_t seed;              /* Poisson arrivals and the shuffle */
	int shuffle;                /* job order: a seeded permutation of the images */
	int grayscale, quality, resize_pct;
	int udp;                    /* send images as UDP datagrams to udp_addr */
	struct sock_addr udp_addr;
	int chunk_bytes;
	int concat;                 /* reassembly=concat instead of holes */
	int udp_pace_us;            /* pause between datagrams */
	uint32_t udp_drop_ppm;      /* test aid without netem: datagrams skipped by the sender */
	int async;                  /* POST ?wait=0 (202), then poll GET /v1/jobs/ID */
	int poll_ms;                /* async: between two polls of one job */
	int sig_fd;                 /* signalfd that stops the run early, or -1 */
	FILE *out;                  /* one record per job (record_write) */
};

struct client_summary {
	long jobs, ok, timeout, error, retries;
	double elapsed_s, jobs_per_s;
	double lat_mean_ms, lat_p50_ms, lat_p95_ms, lat_p99_ms; /* ok jobs, t_done - t_submit */
	uint64_t bytes;             /* image bytes of ok jobs */
	int interrupted;
	int write_err;              /* first error writing a record (-errno; the run stopped) */
};

/* Runs the jobs; a record is written as each job finishes (an unreadable image gives an
 * error record). 0, or -errno when the run could not start. */
int client_run(const struct client_config *cfg, struct client_summary *ret);
#endif
