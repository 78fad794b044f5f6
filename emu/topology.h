/* SPDX-License-Identifier: MIT */
/*
 * A testbed topology as a graph: nodes (namespaces that run things), switches (an L2
 * segment each, a bridge in its own namespace) and links between a node and a switch or
 * between two nodes. Pure data: validation, addresses and routes are computed here, the
 * namespaces and interfaces are built by emu/testbed.c.
 */
#ifndef QOSLAB_TOPOLOGY_H
#define QOSLAB_TOPOLOGY_H
#include <stddef.h>
#include <stdint.h>

#define TOPO_NAME_MAX 16     /* a node's name names its bridge ports too: IFNAMSIZ */
#define TOPO_LINK_NAME_MAX 32
#define TOPO_KIND_MAX 16
#define TOPO_PARAMS_MAX 256  /* a link's kind parameters, "key=value,..." */
#define TOPO_SEGMENTS_MAX 256 /* more than one segment: a /24 each out of the /16 */
#define TOPO_SEG_HOSTS_MAX 253
#define TOPO_NODE_LINKS_MAX 8 /* interfaces eth0..eth7 in one node */

enum topo_role { ROLE_NONE = 0, ROLE_CLIENT, ROLE_SERVER, ROLE_WORKER, ROLE_EDGE, ROLE_COUNT };

struct topo_node {
	char name[TOPO_NAME_MAX];
	enum topo_role role;
	double cpu;               /* CPUs; 0: unlimited */
	int links[TOPO_NODE_LINKS_MAX]; /* its links, in link order: link links[j] is ethj */
	int n_links;
};

/* A link end: a node (its interface ethJ) or a switch (a port named after the node). */
struct topo_end {
	int node;                 /* node index, or -1 for a switch end */
	int sw;                   /* switch index for a switch end, else -1 */
	int ifindex;              /* in the end's namespace */
	char ifname[TOPO_NAME_MAX];
	uint32_t addr;            /* host order; 0 on a switch end */
};

struct topo_link {
	char name[TOPO_LINK_NAME_MAX];
	char kind[TOPO_KIND_MAX]; /* "veth" (emu/linkkind.h) */
	char params[TOPO_PARAMS_MAX]; /* the kind's own parameters ("": none), checked by it */
	struct topo_end end[2];   /* a, b; up is a -> b; a is always a node */
	int seg;                  /* segment: a switch's, or its own for node-node */
};

struct topo_route {
	uint32_t dst;             /* network, host order */
	int prefix;
	uint32_t gw;              /* next hop on the link's segment */
	int link;                 /* the node's link towards gw */
};

struct topology;

/* An empty topology: nodes, switches and links are added, then topology_plan. */
int topology_new(const char *subnet, struct topology **ret);
void topology_free(struct topology *t);
/* A copy with room for extra more nodes and links (workers that join later). */
int topology_copy(const struct topology *t, int extra, struct topology **ret);
/*
 * The star of the classic scenario: switch "switch", nodes client (0), server (1) and
 * worker-K (K + 1), node k's link k named after it; one /16 segment where node k is host
 * k + 1. Planned already.
 */
int topology_star(unsigned int workers, double cpu_client, double cpu_server, double cpu_worker,
		  const char *subnet, struct topology **ret, char *err, size_t errlen);

/* Builders; names are checked by topology_plan, which reports the first bad item. */
/* The kind parameters of link l (in the order added); -ENAMETOOLONG beyond TOPO_PARAMS_MAX. */
int topology_set_link_params(struct topology *t, int l, const char *params);
int topology_add_node(struct topology *t, const char *name, enum topo_role role, double cpu);
int topology_add_switch(struct topology *t, const char *name);
/* Switch s as a simulated shared channel of a switch kind (emu/linkkind.h) instead of a
 * bridge: every node linked to it is one station, its link's params the station's. */
int topology_set_switch_kind(struct topology *t, int s, const char *kind, const char *params);
/* a: a node; b: a node or a switch; name NULL or "": "a-b"; kind NULL or "": veth. */
int topology_add_link(struct topology *t, const char *name, const char *a, const char *b,
		      const char *kind);

/* What topology_plan found wrong: the item ("nodes", "switches", "links" or NULL for the
 * whole) and its index in the order added, and one line. */
struct topo_error {
	const char *what;
	int index;
	char msg[256];
};
/*
 * Validates (names unique among nodes and switches and among links, endpoints exist, no
 * switch-switch link, no two links between the same pair, every node linked, roles: one
 * client, one server, workers >= 1, at most one edge, every node with a role reaches the
 * server), orders nodes client, server, workers, then the rest (file order among equals),
 * and assigns interfaces, addresses and routes. -EINVAL with e filled.
 */
int topology_plan(struct topology *t, struct topo_error *e);

int topology_node_count(const struct topology *t);
int topology_switch_count(const struct topology *t);
int topology_link_count(const struct topology *t);
int topology_segment_count(const struct topology *t);
const struct topo_node *topology_node(const struct topology *t, int k);
const char *topology_switch_name(const struct topology *t, int s);
/* "" for a bridge */
const char *topology_switch_kind(const struct topology *t, int s);
const char *topology_switch_params(const struct topology *t, int s);
/* The switch of kind that link l joins (its b end), or -1 (a bridge or a node). */
int topology_link_switch_kind(const struct topology *t, int l);
/* Link l's station number on its switch of kind (links in order, from 0: the hub);
 * -ENOENT when it is not on one. */
int topology_station(const struct topology *t, int l);
/* The ifindex end i of link l got when its kind could not choose it (a tap). */
int topology_set_ifindex(struct topology *t, int l, int i, int ifindex);
const struct topo_link *topology_link(const struct topology *t, int l);
/* -ENOENT when absent */
int topology_node_index(const struct topology *t, const char *name);
int topology_switch_index(const struct topology *t, const char *name);
int topology_link_index(const struct topology *t, const char *name);
/* The node's only link; -EINVAL when it has several (name a link instead). */
int topology_node_link(const struct topology *t, int node);
/* Nodes with the role, in index order, into ret (up to max); the count. */
int topology_with_role(const struct topology *t, enum topo_role role, int *ret, int max);
int topology_count_role(const struct topology *t, enum topo_role role);
/* The node's first address (its eth0), host order. */
uint32_t topology_node_addr(const struct topology *t, int node);
/* Network and prefix of a segment, host order. */
void topology_segment_net(const struct topology *t, int seg, uint32_t *ret_net, int *ret_prefix);
/* Static routes of a node to every segment it is not on (shortest paths); malloc'ed. */
int topology_routes(const struct topology *t, int node, struct topo_route **ret, size_t *ret_n);
/* 1 when the node forwards (it is on more than one segment). */
int topology_forwards(const struct topology *t, int node);

/*
 * A worker joining: worker-K (K one past the highest worker-K) on the last worker's
 * switch, with its address. -ENOSPC without room (topology_copy's extra) or addresses,
 * -EOPNOTSUPP when the last worker is not on exactly one switch.
 */
int topology_add_worker(struct topology *t, int *ret_node);

const char *topology_role_name(enum topo_role r);
/* -EINVAL for an unknown word; "none" and "" are ROLE_NONE. */
int topology_role_parse(const char *s, enum topo_role *ret);
#endif
