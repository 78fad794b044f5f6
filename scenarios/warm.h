/* SPDX-License-Identifier: MIT */
/* Warm workers: standby `qoslab worker` processes kept across the trials that one process
 * runs (one kernel: a whole --jobs 1 run, a Slurm task's chunk), lent to each trial's worker
 * nodes and taken back before its testbed goes. */
#ifndef QOSLAB_WARM_H
#define QOSLAB_WARM_H
#include <sys/types.h>

struct testbed;
struct warm_pool;

/* self: the qoslab binary the standbys run. 0 or -ENOMEM. */
int warm_pool_new(const char *self, struct warm_pool **ret);
/* Closes every standby's socket (they exit) and reaps them. NULL is fine. */
void warm_pool_free(struct warm_pool *p);

/*
 * Makes sure n idle standbys of model are ready for a trial: spawns what is missing, which
 * load and warm the model side by side outside any node's cgroup (their stderr goes to
 * log_path until their first session), and waits until each says it is idle. A trial
 * started after this pays no model load for n workers, and a trial's CPU caps are not
 * charged with loading a model that an earlier trial of the same kernel would have loaded.
 * 0, -ETIMEDOUT (a standby not ready within 300 s, dropped) or -errno.
 */
int warm_pool_prepare(struct warm_pool *p, const char *model, int n, const char *log_path);

/*
 * Lends a standby worker of model (the one idle longest, else a new one, which loads the
 * model before it serves) to node k of tb: it joins the node's cgroup, then its network
 * namespace, logs to log_path and registers with server as the node's name. Standbys that
 * died (a kill failure of the node they were lent to) are forgotten first, so lending to a
 * recovered node again replaces its worker. One that has yet to load the model (none was
 * idle) loads under the node's CPU cap and gets its session from warm_pool_poll once it
 * has. Returns 0 with its pid, or -errno.
 */
int warm_pool_lend(struct warm_pool *p, struct testbed *tb, int k, const char *model,
		   const char *server, const char *log_path, pid_t *ret_pid);

/* Sends their sessions to standbys lent while still loading, once they have loaded; call
 * while a trial waits for its workers and runs. */
void warm_pool_poll(struct warm_pool *p);

/*
 * Ends the sessions of the standbys lent to tb (SIGTERM: a worker says BYE and leaves the
 * namespace) and takes them out of tb's cgroups, so that testbed_free does not kill them; a
 * standby that does not answer within a few seconds is killed and dropped. Call before
 * testbed_free.
 */
void warm_pool_take_back(struct warm_pool *p, struct testbed *tb);
#endif
