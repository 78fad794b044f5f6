/* SPDX-License-Identifier: MIT */
/* A star testbed: one namespace per node, each linked by a veth pair to a bridge in a
 * switch namespace. Every object is named with the run prefix "qoslab-<id>". */
#ifndef QOSLAB_TESTBED_H
#define QOSLAB_TESTBED_H
#include <stdint.h>
#include <sys/types.h>

#include "emu/link.h"
#include "netem/impair.h"

#define TESTBED_PREFIX "qoslab-"
#define TESTBED_STATE_DIR "/run/qoslab"
#define TESTBED_MAX_WORKERS 4096
#define TESTBED_NODE_IFINDEX 2 /* eth0 inside every node: lo is 1 in a fresh namespace */
#define TESTBED_SWITCH (-2) /* node index of the switch, for testbed_spawn only */

enum link_dir { DIR_UP = 0, DIR_DOWN = 1 }; /* up: node -> switch; down: switch -> node */

struct testbed_config {
	unsigned int workers;      /* >= 1 */
	unsigned int max_workers;  /* room for testbed_add_worker; 0 or < workers: workers */
	const char *subnet;        /* IPv4 /16, e.g. "10.77.0.0/16"; NULL: that one */
	double cpu_client, cpu_server, cpu_worker; /* CPUs per node; 0: unlimited */
	const char *log_dir;       /* node logs; NULL: nodes write to our stdout/stderr */
	const char *run_id;        /* NULL: a fresh random id */
};

struct testbed;

/* Validates cfg (err names the field), then builds everything; on failure nothing is left. */
int testbed_new(const struct testbed_config *cfg, struct testbed **ret, char *err, size_t errlen);
/* Kills node processes, removes namespaces, links and cgroups; NULL-safe. */
void testbed_free(struct testbed *tb);

const char *testbed_run_name(const struct testbed *tb); /* "qoslab-<id>" */
int testbed_node_count(const struct testbed *tb);
/* -ENOENT for an unknown name; names: client, server, worker-1..N, switch (TESTBED_SWITCH) */
int testbed_node_index(const struct testbed *tb, const char *name);
const char *testbed_node_name(const struct testbed *tb, int node);
const char *testbed_node_addr(const struct testbed *tb, int node); /* "10.77.0.3" */
int testbed_node_ns(const struct testbed *tb, int node);          /* namespace fd */

/* A fresh worker node in a live testbed (an instance joining): namespace, veth port on the
 * bridge, address and cgroup like the others, named worker-K after the last one. Nothing
 * runs in it yet (testbed_spawn). -ENOSPC beyond max_workers. Other threads may call the
 * node accessors meanwhile: the new node is counted only once it is built. */
int testbed_add_worker(struct testbed *tb, int *ret_node);

/* netem on one direction of a node's link, changed in place; a zero impairment removes it. */
int testbed_impair(struct testbed *tb, int node, enum link_dir dir, const struct impair *im);
/* Applies im but keeps the configured impairment (for failures that are undone later). */
int testbed_impair_transient(struct testbed *tb, int node, enum link_dir dir, const struct impair *im);
const struct impair *testbed_impairment(const struct testbed *tb, int node, enum link_dir dir);
/* What netem did on one direction: packets sent and dropped (-ENOENT: no netem there). */
int testbed_netem_stats(struct testbed *tb, int node, enum link_dir dir, uint64_t *ret_packets,
			uint64_t *ret_drops);
/*
 * Permanent neighbour entries between all nodes: no ARP packet ever crosses a netem qdisc,
 * so that with a seeded kernel the same packets meet the same random numbers (an ARP
 * refresh in the middle of a run would shift every later decision by one).
 */
int testbed_pin_neighbours(struct testbed *tb);
/* The netem PRNG seed one direction reports; -ENOENT where the kernel ignores seeds. */
int testbed_netem_seed(struct testbed *tb, int node, enum link_dir dir, uint64_t *ret_seed);
/* Administrative state of the node's link (both ends). */
int testbed_link_set(struct testbed *tb, int node, int up);
/* Counters of the node's link as the node sees them (tx = up direction). */
int testbed_link_stats(struct testbed *tb, int node, struct link_stats *ret);
/* Name of the switch-side interface of a node and the switch namespace fd (for capture). */
const char *testbed_port_name(const struct testbed *tb, int node);
int testbed_switch_ns(const struct testbed *tb);

/* Starts argv in the node (its namespace and cgroup), output appended to LOG_DIR/NODE.log;
 * the process dies with the controller (PR_SET_PDEATHSIG). TESTBED_SWITCH runs a tool in the
 * switch namespace (no cgroup, no restart). */
int testbed_spawn(struct testbed *tb, int node, char *const argv[], pid_t *ret_pid);
/* What testbed_spawn_with adds to a start. */
struct testbed_spawn_opts {
	const char *log_path;     /* stdout and stderr appended here; NULL: as testbed_spawn */
	char *const *env;         /* "NAME=value" entries added to the environment; NULL: none */
	const char *cwd;          /* NULL: the controller's */
	int fd, target_fd;        /* fd >= 0: the child has it as target_fd (> 2) */
};
/* As testbed_spawn (namespace, cgroup, own session, PDEATHSIG) with o; the command is not
 * one testbed_restart_node starts again: its caller supervises it. */
int testbed_spawn_with(struct testbed *tb, int node, char *const argv[],
		       const struct testbed_spawn_opts *o, pid_t *ret_pid);
/* SIGKILLs every process of the node (and waits); testbed_restart_node starts again
 * every command testbed_spawn gave it. */
int testbed_kill_node(struct testbed *tb, int node);
/* Sends sig to every process of the node (SIGTERM: a worker finishes its job and leaves). */
int testbed_signal_node(struct testbed *tb, int node, int sig);
int testbed_restart_node(struct testbed *tb, int node);
int testbed_freeze_node(struct testbed *tb, int node, int frozen);
/* Puts a process started elsewhere (a standby worker) in node's cgroup, so that the node's
 * CPU cap, freezes and kills apply to it; detach takes it out again before testbed_free
 * would kill it. 0 or -errno. */
int testbed_attach(struct testbed *tb, int node, pid_t pid);
int testbed_detach(struct testbed *tb, int node, pid_t pid);
int testbed_node_usage(struct testbed *tb, int node, uint64_t *ret_cpu_ns, uint64_t *ret_rss);

/* Runs fn inside the node's namespace in the calling thread (sockets it opens stay there). */
int testbed_in_node(struct testbed *tb, int node, int (*fn)(void *arg), void *arg);

/* Removes what runs of dead controllers left (all runs with all != 0). Counts what it removed. */
int testbed_clean(int all, unsigned int *ret_removed);
#endif
