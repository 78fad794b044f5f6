/* SPDX-License-Identifier: MIT */
/* Per-node control groups: CPU limit, freezing, CPU time, membership (v2, or v1 where only v1 is mounted). */
#ifndef QOSLAB_CGROUP_H
#define QOSLAB_CGROUP_H
#include <stdint.h>
#include <sys/types.h>

enum cgroup_version { CGROUP_NONE = 0, CGROUP_V1 = 1, CGROUP_V2 = 2 };

/* Which hierarchy qoslab uses here: v2 when its root offers the cpu controller. */
enum cgroup_version cgroup_detect(void);

struct cgroup;

/* Creates RUN/NODE (RUN is created on first use) in every hierarchy needed. */
int cgroup_new(const char *run, const char *node, struct cgroup **ret);
/* Kills every member (thawing first), removes the group; NULL-safe. */
void cgroup_free(struct cgroup *cg);

/* cpus: 0.5 = half a CPU; 0 = no limit. CFS period 100 ms. */
int cgroup_set_cpu(struct cgroup *cg, double cpus);
int cgroup_attach(struct cgroup *cg, pid_t pid);
/* Moves pid out of cg into the root group (of each hierarchy), e.g. before cg is removed
 * with everything in it. 0 or -errno. */
int cgroup_detach(struct cgroup *cg, pid_t pid);
int cgroup_freeze(struct cgroup *cg, int frozen);
int cgroup_cpu_usage_ns(struct cgroup *cg, uint64_t *ret);
/* Sum of members' resident set sizes, from /proc/PID/statm. */
int cgroup_rss_bytes(struct cgroup *cg, uint64_t *ret);
/* SIGKILL every member; with wait, until none is left (bounded: 2 s). */
int cgroup_kill_all(struct cgroup *cg, int wait);
/* Members; ret malloc'ed. */
int cgroup_pids(struct cgroup *cg, pid_t **ret, size_t *ret_n);

/* For `qoslab clean`: removes RUN and its children in every hierarchy, killing members. */
int cgroup_remove_run(const char *run);
/* Calls fn for each run group named with prefix; for `qoslab clean`. */
int cgroup_list_runs(const char *prefix, void (*fn)(const char *run, void *arg), void *arg);
#endif
