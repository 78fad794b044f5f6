/* SPDX-License-Identifier: MIT */
/* A trial's own commands (scenario `run:`): started in their nodes, restarted on failure
 * within bounds, stopped with the trial, their metric lines turned into trial metrics. */
#ifndef QOSLAB_USERCMD_H
#define QOSLAB_USERCMD_H
#include <stddef.h>

#include "scenarios/metricline.h"

struct scenario;
struct testbed;
struct usercmds;

#define USERCMD_DIR "run"             /* in the trial directory: NAME.log, NAME.metrics.jsonl */
#define USERCMD_STOP_GRACE_S 3.0      /* SIGTERM, then SIGKILL after this long */

/* t's run: commands for testbed tb, writing into the trial directory dir (made: dir/run/).
 * Nothing starts yet. 0 or -errno. */
int usercmds_new(const struct scenario *t, struct testbed *tb, const char *dir,
		 struct usercmds **ret);

/*
 * One look at time now (trial seconds, the clock of `start`): starts what is due, reaps
 * what exited, schedules restarts (restart: on-failure; at most max_restarts, the delay
 * doubling each time). Returns 0, or -errno with err naming the command: it could not
 * start, or a wait: true command failed for good or ran past its timeout.
 */
int usercmds_step(struct usercmds *u, double now, char *err, size_t errlen);

/* 1 when every wait: true command has exited with status 0 (also when there is none). */
int usercmds_waited(const struct usercmds *u);

/* SIGTERM to every running command's process group, SIGKILL to what is left after
 * USERCMD_STOP_GRACE_S; reaped. Idempotent. */
void usercmds_stop(struct usercmds *u);

/*
 * After usercmds_stop: every command's metric lines (metricline_read with its prefix and
 * aggregate), in command order, and "run_restarts" (restarts over all commands) into ret
 * (room for max). -EINVAL with err (a bad line, or one name from two commands), -E2BIG.
 */
int usercmds_metrics(struct usercmds *u, struct metricline_value *ret, size_t max,
		     size_t *ret_n, char *err, size_t errlen);

/* Stops what still runs, closes the metric descriptors; NULL-safe. */
void usercmds_free(struct usercmds *u);
#endif
