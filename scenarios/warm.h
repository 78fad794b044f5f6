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
 * Lends a standby worker of model (the one idle longest, else a new one, which loads the
 * model before it serves) to node k of tb: it joins the node's cgroup, then its network
 * namespace, logs to log_path and registers with server as the node's name. Standbys that
 * died (a kill failure of the node they were lent to) are forgotten first, so lending to a
 * recovered node again replaces its worker. Returns 0 with its pid, or -errno.
 */
int warm_pool_lend(struct warm_pool *p, struct testbed *tb, int k, const char *model,
		   const char *server, const char *log_path, pid_t *ret_pid);

/*
 * Ends the sessions of the standbys lent to tb (SIGTERM: a worker says BYE and leaves the
 * namespace) and takes them out of tb's cgroups, so that testbed_free does not kill them; a
 * standby that does not answer within a few seconds is killed and dropped. Call before
 * testbed_free.
 */
void warm_pool_take_back(struct warm_pool *p, struct testbed *tb);
#endif
