/* SPDX-License-Identifier: MIT */
/* A testbed built from a topology (emu/topology.h; the star by default): one namespace per
 * node and per switch (a bridge), links by their kind, an address per segment, static
 * routes. Every object is named with the run prefix "qoslab-<id>". Node k of the star owns
 * link k, so node and link indices coincide there. */
#ifndef QOSLAB_TESTBED_H
#define QOSLAB_TESTBED_H
#include <stdint.h>
#include <sys/types.h>

#include "emu/link.h"
#include "emu/topology.h"
#include "netem/impair.h"

#define TESTBED_PREFIX "qoslab-"
#define TESTBED_STATE_DIR "/run/qoslab"
#define TESTBED_MAX_WORKERS 4096
#define TESTBED_NODE_IFINDEX 2 /* eth0 inside every node: lo is 1 in a fresh namespace */
/* node index of switch 0 (the star's); switch s is TESTBED_SWITCH - s. For testbed_spawn
 * and as a link end. */
#define TESTBED_SWITCH (-2)

/* up: a -> b (node -> switch on a node-switch link); down: b -> a */
enum link_dir { DIR_UP = 0, DIR_DOWN = 1 };

struct testbed_config {
	/* a planned graph (copied); NULL: the star of workers, subnet and cpu_* below */
	const struct topology *topology;
	unsigned int workers;      /* >= 1 */
	unsigned int max_workers;  /* workers at most, for testbed_add_worker; 0: no room */
	const char *subnet;        /* IPv4 /16, e.g. "10.77.0.0/16"; NULL: that one */
	double cpu_client, cpu_server, cpu_worker; /* CPUs per node; 0: unlimited */
	const char *log_dir;       /* node logs; NULL: nodes write to our stdout/stderr */
	const char *run_id;        /* NULL: a fresh random id */
	uint64_t seed;             /* the trial's: seeds link kinds' own randomness (ns-3 RngRun) */
};

struct testbed;

/* Validates cfg (err names the field), then builds everything; on failure nothing is left. */
int testbed_new(const struct testbed_config *cfg, struct testbed **ret, char *err, size_t errlen);
/* Kills node processes, removes namespaces, links and cgroups; NULL-safe. */
void testbed_free(struct testbed *tb);

const char *testbed_run_name(const struct testbed *tb); /* "qoslab-<id>" */
int testbed_node_count(const struct testbed *tb);
/* -ENOENT for an unknown name; a switch's name gives TESTBED_SWITCH - s (the star's is
 * "switch") */
int testbed_node_index(const struct testbed *tb, const char *name);
const char *testbed_node_name(const struct testbed *tb, int node);
const char *testbed_node_addr(const struct testbed *tb, int node); /* eth0's: "10.77.0.3" */
int testbed_node_ns(const struct testbed *tb, int node);          /* namespace fd */
enum topo_role testbed_node_role(const struct testbed *tb, int node);
/* Nodes with the role in index order into ret (up to max); their count. */
int testbed_with_role(const struct testbed *tb, enum topo_role role, int *ret, int max);
/* The node's links (ret points into the testbed) and their count. */
int testbed_node_links(const struct testbed *tb, int node, const int **ret);
const struct topology *testbed_topology(const struct testbed *tb);

/* Links: index l in 0..testbed_link_count - 1; calls below that take "link" index them. */
int testbed_link_count(const struct testbed *tb);
int testbed_link_index(const struct testbed *tb, const char *name); /* -ENOENT */
const char *testbed_link_name(const struct testbed *tb, int link);
/* Ends as node indices; a switch end is TESTBED_SWITCH - s. a is always a node. */
void testbed_link_ends(const struct testbed *tb, int link, int *ret_a, int *ret_b);
/* Where a capture of the link sees both directions: namespace fd and interface (the switch
 * port, or b's interface on a node-node link). */
int testbed_link_capture_at(const struct testbed *tb, int link, int *ret_ns, const char **ret_ifname);

/* A fresh worker node in a live testbed (an instance joining): namespace, a link to the last
 * worker's switch, address, routes and cgroup like the others, named worker-K after the
 * highest one. Nothing runs in it yet (testbed_spawn). -ENOSPC beyond max_workers,
 * -EOPNOTSUPP when the last worker is not on one switch. Other threads may call the
 * accessors meanwhile: the new node and link are counted only once built. */
int testbed_add_worker(struct testbed *tb, int *ret_node);

/* The impairment of one direction of a link, changed in place; a zero one removes it. */
int testbed_impair(struct testbed *tb, int link, enum link_dir dir, const struct impair *im);
/* Applies im but keeps the configured impairment (for failures that are undone later). */
int testbed_impair_transient(struct testbed *tb, int link, enum link_dir dir, const struct impair *im);
const struct impair *testbed_impairment(const struct testbed *tb, int link, enum link_dir dir);
/* What netem did on one direction: packets sent and dropped (-ENOENT: no netem there). */
int testbed_netem_stats(struct testbed *tb, int link, enum link_dir dir, uint64_t *ret_packets,
			uint64_t *ret_drops);
/*
 * Permanent neighbour entries between all interfaces on each segment (so for every next
 * hop too): no ARP packet ever crosses a netem qdisc, so that with a seeded kernel the same
 * packets meet the same random numbers (an ARP refresh in the middle of a run would shift
 * every later decision by one).
 */
int testbed_pin_neighbours(struct testbed *tb);
/* The netem PRNG seed one direction reports; -ENOENT where the kernel ignores seeds. */
int testbed_netem_seed(struct testbed *tb, int link, enum link_dir dir, uint64_t *ret_seed);
/* Administrative state of the link (both ends). */
int testbed_link_set(struct testbed *tb, int link, int up);
/* Counters of the link as its a end (the node of a node-switch link) sees them (tx = up). */
int testbed_link_stats(struct testbed *tb, int link, struct link_stats *ret);
/* 0 while the link carries what it was asked to; -ETIME when a simulated (ns-3) link fell
 * behind real time, so figures measured across it are not valid; -EPIPE when it died. */
int testbed_link_check(struct testbed *tb, int link);
/* A timeline `set`: key=value (as in the link's params) changed in the running link, if its
 * kind can (link_kind param_check said so at load); -EOPNOTSUPP when it cannot. */
int testbed_link_param_set(struct testbed *tb, int link, const char *key, const char *value);
/* The link's kind name ("veth", "ns3"). */
const char *testbed_link_kind(const struct testbed *tb, int link);
/* The namespace fd of switch 0 (the star's). */
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
