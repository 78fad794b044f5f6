/* SPDX-License-Identifier: MIT */
/* The detector worker: connects to a server, registers, heartbeats, runs jobs, reconnects. */
#ifndef QOSLAB_WORKER_H
#define QOSLAB_WORKER_H
#include <stdint.h>

#include "models/detector.h"
#include "pipeline/sock.h"

struct worker_config {
	struct sock_addr server;
	const char *name;           /* shown in results and stats */
	const char *model;          /* model name told to the server */
	struct detector *det;       /* caller-owned */
	float thresh;               /* detection confidence threshold */
	uint64_t max_pixels;        /* 0: the detector's default */
	int connect_timeout_ms;     /* keep retrying a refused/unreachable server this long */
	int udp_port;               /* local UDP port for image transfer; 0: any */
	void (*log)(void *arg, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
	void *log_arg;
};

/*
 * Serves jobs until the server says it is shutting down (0), a signal arrives on sig_fd
 * (a signalfd, or -1 for none; BYE is sent, 0), or the server stays unreachable for
 * connect_timeout_ms (-ETIMEDOUT or the last connect error). A lost connection (server
 * restart, being presumed dead after a freeze) is followed by a reconnect.
 */
int worker_run(const struct worker_config *cfg, int sig_fd);
#endif
