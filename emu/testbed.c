// SPDX-License-Identifier: MIT
/* Builds and tears down a testbed from its topology; owns every namespace, link, cgroup and process of a run. */
#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <net/if.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "emu/cgroup.h"
#include "emu/linkkind.h"
#include "emu/netns.h"
#include "emu/owner.h"
#include "emu/testbed.h"
#include "netem/netem.h"

#define BRIDGE_IFINDEX 2

struct node {
	char addr[INET_ADDRSTRLEN]; /* its first address (eth0) */
	int ns_fd;
	struct nl_sock *sk;
	struct cgroup *cg;
	char **cmds[8];         /* argv of each spawned command, for restarts */
	int ncmds;
};

struct sw {
	int ns_fd;                /* -1 for a switch of a kind: it has no namespace */
	struct nl_sock *sk;
	const struct switch_kind *kind; /* NULL: a bridge */
	void *priv;
	int built;
};

struct tlink {
	const struct link_kind *kind;
	void *priv;
	struct impair impair[2]; /* [DIR_UP]: a -> b, at a's egress */
	int built;
};

struct testbed {
	char run[32];
	char log_dir[256];
	struct topology *topo;  /* planned; grows by testbed_add_worker within its room */
	struct sw *sws;
	int n_sws;
	int n, nl;              /* nodes and links built (read by other threads) */
	struct node *nodes;     /* room for every node topo may get: they never move */
	struct tlink *links;
	int state_dir_made;
	uint64_t seed;
};

const char *testbed_run_name(const struct testbed *tb) { return tb->run; }
int testbed_node_count(const struct testbed *tb) { return __atomic_load_n(&tb->n, __ATOMIC_ACQUIRE); }
int testbed_link_count(const struct testbed *tb) { return __atomic_load_n(&tb->nl, __ATOMIC_ACQUIRE); }
const char *testbed_node_name(const struct testbed *tb, int k) { return topology_node(tb->topo, k)->name; }
const char *testbed_node_addr(const struct testbed *tb, int k) { return tb->nodes[k].addr; }
int testbed_node_ns(const struct testbed *tb, int k) { return tb->nodes[k].ns_fd; }
int testbed_switch_ns(const struct testbed *tb) { return tb->sws[0].ns_fd; }
const struct topology *testbed_topology(const struct testbed *tb) { return tb->topo; }
const char *testbed_link_name(const struct testbed *tb, int l) { return topology_link(tb->topo, l)->name; }

enum topo_role testbed_node_role(const struct testbed *tb, int k)
{
	return topology_node(tb->topo, k)->role;
}

int testbed_with_role(const struct testbed *tb, enum topo_role role, int *ret, int max)
{
	int n = 0, count = testbed_node_count(tb);

	for (int k = 0; k < count; k++)
		if (testbed_node_role(tb, k) == role) {
			if (n < max)
				ret[n] = k;
			n++;
		}
	return n;
}

int testbed_node_links(const struct testbed *tb, int k, const int **ret)
{
	const struct topo_node *nd = topology_node(tb->topo, k);

	*ret = nd->links;
	return nd->n_links;
}

int testbed_link_index(const struct testbed *tb, const char *name)
{
	int l = topology_link_index(tb->topo, name);

	return l < testbed_link_count(tb) ? l : -ENOENT;
}

static int end_id(const struct topo_end *e)
{
	return e->node >= 0 ? e->node : TESTBED_SWITCH - e->sw;
}

void testbed_link_ends(const struct testbed *tb, int l, int *ret_a, int *ret_b)
{
	const struct topo_link *lk = topology_link(tb->topo, l);

	*ret_a = end_id(&lk->end[0]);
	*ret_b = end_id(&lk->end[1]);
}

const struct impair *testbed_impairment(const struct testbed *tb, int l, enum link_dir dir)
{
	return &tb->links[l].impair[dir];
}

int testbed_node_index(const struct testbed *tb, const char *name)
{
	int s = topology_switch_index(tb->topo, name), k;

	if (s >= 0)
		return TESTBED_SWITCH - s;
	k = topology_node_index(tb->topo, name);
	return k < testbed_node_count(tb) ? k : -ENOENT;
}

/* One end of a link as its kind sees it. */
static struct link_end_ctx end_ctx(const struct testbed *tb, int l, int i)
{
	const struct topo_end *e = &topology_link(tb->topo, l)->end[i];
	int ns = e->node >= 0 ? tb->nodes[e->node].ns_fd : tb->sws[e->sw].ns_fd;
	struct nl_sock *sk = e->node >= 0 ? tb->nodes[e->node].sk : tb->sws[e->sw].sk;
	int bridged = e->node < 0 && !tb->sws[e->sw].kind;

	return (struct link_end_ctx){ .ns_fd = ns, .sk = sk, .ifname = e->ifname,
				      .ifindex = e->ifindex, .master = bridged ? BRIDGE_IFINDEX : 0,
				      .addr = e->addr };
}

int testbed_link_capture_at(const struct testbed *tb, int l, int *ret_ns, const char **ret_ifname)
{
	/* the b end: a switch port (after the node's netem, before the switch's) or b's own
	 * interface on a node-node link */
	int i = topology_link_switch_kind(tb->topo, l) >= 0 ? 0 : 1; /* a station: its tap */
	struct link_end_ctx e = end_ctx(tb, l, i);

	*ret_ns = e.ns_fd;
	*ret_ifname = topology_link(tb->topo, l)->end[i].ifname;
	return 0;
}

static void ns_name(const struct testbed *tb, const char *node, char *buf, size_t len)
{
	snprintf(buf, len, "%s-%s", tb->run, node);
}

static int validate(const struct testbed_config *cfg, char *err, size_t errlen)
{
	if (cfg->topology)
		return 0;
	if (cfg->workers < 1 || cfg->workers > TESTBED_MAX_WORKERS) {
		snprintf(err, errlen, "workers: %u is out of range 1..%d", cfg->workers,
			 TESTBED_MAX_WORKERS);
		return -EINVAL;
	}
	return 0;
}

static int validate_cpu(const struct topology *t, char *err, size_t errlen)
{
	for (int k = 0; k < topology_node_count(t); k++) {
		double c = topology_node(t, k)->cpu;

		if (c < 0 || (c > 0 && c < 0.01)) {
			snprintf(err, errlen, "cpu: %s's CPU limit must be 0 (none) or at least 0.01",
				 topology_node(t, k)->name);
			return -EINVAL;
		}
	}
	return 0;
}

static int write_owner(struct testbed *tb)
{
	char path[256];

	if (mkdir(TESTBED_STATE_DIR, 0755) < 0 && errno != EEXIST)
		return -errno;
	snprintf(path, sizeof(path), TESTBED_STATE_DIR "/%s", tb->run);
	if (mkdir(path, 0755) < 0)
		return -errno;
	tb->state_dir_made = 1;
	snprintf(path, sizeof(path), TESTBED_STATE_DIR "/%s/owner", tb->run);
	return owner_write(path);
}

/* No IPv6 in a fresh namespace: its DAD, MLD and router solicitations would add packets
 * that netem counts and captures show. A node on two segments forwards between them. */
static int ns_sysctls(int ns_fd, int forward)
{
	int saved, r;

	r = netns_enter(ns_fd, &saved);
	if (r < 0)
		return r;
	netns_sysctl("net/ipv6/conf/all/disable_ipv6", "1");
	netns_sysctl("net/ipv6/conf/default/disable_ipv6", "1");
	r = forward ? netns_sysctl("net/ipv4/ip_forward", "1") : 0;
	if (netns_leave(saved) < 0 && !r)
		r = -EIO;
	return r;
}

/* The node's namespace, lo, cgroup; its links come after. */
static int node_build(struct testbed *tb, int k)
{
	const struct topo_node *tn = topology_node(tb->topo, k);
	struct node *nd = &tb->nodes[k];
	struct in_addr a = { htonl(topology_node_addr(tb->topo, k)) };
	char name[96];
	int r;

	inet_ntop(AF_INET, &a, nd->addr, sizeof(nd->addr));
	ns_name(tb, tn->name, name, sizeof(name));
	r = netns_create(name, &nd->ns_fd);
	if (r < 0)
		return r;
	if ((r = ns_sysctls(nd->ns_fd, topology_forwards(tb->topo, k))) < 0 ||
	    (r = link_sock_new(nd->ns_fd, &nd->sk)) < 0 ||
	    (r = link_set_up(nd->sk, 1, 1)) < 0)
		return r;
	r = cgroup_new(tb->run, tn->name, &nd->cg);
	if (r < 0)
		return r;
	return tn->cpu > 0 ? cgroup_set_cpu(nd->cg, tn->cpu) : 0;
}

/* The addresses of link l's node ends. */
static int link_addresses(struct testbed *tb, int l)
{
	const struct topo_link *lk = topology_link(tb->topo, l);
	uint32_t net;
	int prefix, r;

	topology_segment_net(tb->topo, lk->seg, &net, &prefix);
	for (int i = 0; i < 2; i++) {
		struct link_end_ctx e = end_ctx(tb, l, i);
		struct in_addr in = { htonl(lk->end[i].addr) };
		char ip[INET_ADDRSTRLEN], cidr[32];

		if (lk->end[i].node < 0)
			continue;
		inet_ntop(AF_INET, &in, ip, sizeof(ip));
		snprintf(cidr, sizeof(cidr), "%s/%d", ip, prefix);
		if ((r = link_addr_add(e.sk, e.ifindex, cidr)) < 0)
			return r;
	}
	return 0;
}

/* The link by its kind, then the addresses of its node ends; a station of a switch of a
 * kind comes with its channel (channel_build). */
static int link_build(struct testbed *tb, int l)
{
	const struct topo_link *lk = topology_link(tb->topo, l);
	struct link_end_ctx a = end_ctx(tb, l, 0), b = end_ctx(tb, l, 1);
	struct link_kind_ctx ctx = { .link = l, .params = lk->params, .seed = tb->seed };
	struct tlink *tl = &tb->links[l];
	int r;

	if (topology_link_switch_kind(tb->topo, l) >= 0)
		return 0;
	tl->kind = link_kind_find(lk->kind);
	if (!tl->kind)
		return -EPROTONOSUPPORT;
	r = tl->kind->create(&ctx, &a, &b, &tl->priv);
	if (r < 0)
		return r;
	tl->built = 1;
	return link_addresses(tb, l);
}

static int ifindex_in(int ns_fd, const char *name)
{
	int saved, r, idx;

	r = netns_enter(ns_fd, &saved);
	if (r < 0)
		return r;
	idx = (int)if_nametoindex(name);
	r = idx ? idx : -errno;
	if (netns_leave(saved) < 0)
		return -EIO;
	return r;
}

/*
 * A switch of a kind: one channel with every node linked to it as a station, made after
 * every other link because its taps take the next free ifindex in their namespaces (the
 * topology learns them before routes are added).
 */
static int channel_build(struct testbed *tb, int s)
{
	struct link_end_ctx ends[TOPO_SEG_HOSTS_MAX];
	const char *params[TOPO_SEG_HOSTS_MAX];
	int links[TOPO_SEG_HOSTS_MAX], n = 0, r;
	struct sw *w = &tb->sws[s];
	struct link_kind_ctx ctx = { .link = s, .params = topology_switch_params(tb->topo, s),
				     .seed = tb->seed };

	for (int l = 0; l < topology_link_count(tb->topo) && n < TOPO_SEG_HOSTS_MAX; l++)
		if (topology_link(tb->topo, l)->end[1].sw == s) {
			links[n] = l;
			ends[n] = end_ctx(tb, l, 0);
			params[n++] = topology_link(tb->topo, l)->params;
		}
	r = w->kind->create(&ctx, ends, params, n, &w->priv);
	if (r < 0)
		return r;
	w->built = 1;
	for (int i = 0; i < n; i++) {
		struct tlink *tl = &tb->links[links[i]];

		r = ifindex_in(ends[i].ns_fd, ends[i].ifname);
		if (r < 0 || (r = topology_set_ifindex(tb->topo, links[i], 0, r)) < 0)
			return r;
		tl->kind = w->kind->station;
		tl->priv = w->kind->station_priv(w->priv, i);
		tl->built = 1;
		if ((r = link_addresses(tb, links[i])) < 0)
			return r;
	}
	return 0;
}

static int node_routes(struct testbed *tb, int k)
{
	struct topo_route *rt = NULL;
	size_t n = 0;
	int r = topology_routes(tb->topo, k, &rt, &n);

	for (size_t i = 0; r == 0 && i < n; i++) {
		const struct topo_link *lk = topology_link(tb->topo, rt[i].link);
		int ifindex = lk->end[lk->end[0].node == k ? 0 : 1].ifindex;

		r = link_route_add(tb->nodes[k].sk, rt[i].dst, rt[i].prefix, rt[i].gw, ifindex);
	}
	free(rt);
	return r;
}

static int switch_build(struct testbed *tb, int s)
{
	char name[96];
	int r;

	if (*topology_switch_kind(tb->topo, s)) {
		tb->sws[s].kind = switch_kind_find(topology_switch_kind(tb->topo, s));
		return tb->sws[s].kind ? 0 : -EPROTONOSUPPORT;
	}
	ns_name(tb, topology_switch_name(tb->topo, s), name, sizeof(name));
	if ((r = netns_create(name, &tb->sws[s].ns_fd)) < 0 ||
	    (r = ns_sysctls(tb->sws[s].ns_fd, 0)) < 0 ||
	    (r = link_sock_new(tb->sws[s].ns_fd, &tb->sws[s].sk)) < 0 ||
	    (r = link_set_up(tb->sws[s].sk, 1, 1)) < 0)
		return r;
	return link_bridge_add(tb->sws[s].sk, "br0", BRIDGE_IFINDEX);
}

int testbed_new(const struct testbed_config *cfg, struct testbed **ret, char *err, size_t errlen)
{
	struct testbed *tb = NULL;
	struct topology *star = NULL;
	const struct topology *src;
	char step[96] = "";
	int r, extra, workers;

	r = validate(cfg, err, errlen);
	if (r < 0)
		return r;
	src = cfg->topology;
	if (!src) {
		r = topology_star(cfg->workers, cfg->cpu_client, cfg->cpu_server, cfg->cpu_worker,
				  cfg->subnet, &star, err, errlen);
		if (r < 0)
			return r;
		src = star;
	}
	r = validate_cpu(src, err, errlen);
	if (r < 0) {
		topology_free(star);
		return r;
	}
	tb = calloc(1, sizeof(*tb));
	if (!tb) {
		topology_free(star);
		return -ENOMEM;
	}
	workers = topology_count_role(src, ROLE_WORKER);
	extra = (int)cfg->max_workers > workers ? (int)cfg->max_workers - workers : 0;
	/* Allocated once: nodes never move, so other threads may read them while one joins. */
	r = topology_copy(src, extra, &tb->topo);
	topology_free(star);
	if (r < 0) {
		free(tb);
		return r;
	}
	tb->n_sws = topology_switch_count(tb->topo);
	tb->sws = calloc((size_t)tb->n_sws + 1, sizeof(*tb->sws));
	tb->nodes = calloc((size_t)(topology_node_count(tb->topo) + extra), sizeof(*tb->nodes));
	tb->links = calloc((size_t)(topology_link_count(tb->topo) + extra), sizeof(*tb->links));
	if (!tb->sws || !tb->nodes || !tb->links) {
		topology_free(tb->topo);
		free(tb->sws);
		free(tb->nodes);
		free(tb->links);
		free(tb);
		return -ENOMEM;
	}
	for (int s = 0; s < tb->n_sws; s++)
		tb->sws[s].ns_fd = -1;
	for (int k = 0; k < topology_node_count(tb->topo) + extra; k++)
		tb->nodes[k].ns_fd = -1;
	if (cfg->run_id) {
		snprintf(tb->run, sizeof(tb->run), TESTBED_PREFIX "%s", cfg->run_id);
	} else {
		uint32_t id;

		if (getrandom(&id, sizeof(id), 0) != sizeof(id))
			id = (uint32_t)getpid() * 2654435761u;
		snprintf(tb->run, sizeof(tb->run), TESTBED_PREFIX "%06x", id & 0xffffff);
	}
	tb->seed = cfg->seed;
	if (cfg->log_dir)
		snprintf(tb->log_dir, sizeof(tb->log_dir), "%s", cfg->log_dir);

	snprintf(step, sizeof(step), "run state in " TESTBED_STATE_DIR);
	if ((r = write_owner(tb)) < 0)
		goto fail;
	for (int s = 0; s < tb->n_sws; s++) {
		snprintf(step, sizeof(step), "%s namespace", topology_switch_name(tb->topo, s));
		if ((r = switch_build(tb, s)) < 0)
			goto fail;
	}
	for (int k = 0; k < topology_node_count(tb->topo); k++) {
		snprintf(step, sizeof(step), "%s", testbed_node_name(tb, k));
		tb->n = k + 1; /* freed by testbed_free from here on */
		if ((r = node_build(tb, k)) < 0)
			goto fail;
	}
	for (int l = 0; l < topology_link_count(tb->topo); l++) {
		snprintf(step, sizeof(step), "link %s", testbed_link_name(tb, l));
		tb->nl = l + 1;
		if ((r = link_build(tb, l)) < 0)
			goto fail;
	}
	for (int s = 0; s < tb->n_sws; s++) {
		snprintf(step, sizeof(step), "%s channel", topology_switch_name(tb->topo, s));
		if (tb->sws[s].kind && (r = channel_build(tb, s)) < 0)
			goto fail;
	}
	for (int k = 0; k < tb->n; k++) {
		snprintf(step, sizeof(step), "routes of %s", testbed_node_name(tb, k));
		if ((r = node_routes(tb, k)) < 0)
			goto fail;
	}
	*ret = tb;
	return 0;
fail:
	snprintf(err, errlen, "testbed %s: %s: %s", tb->run, step, strerror(-r));
	testbed_free(tb);
	return r;
}

static void free_cmds(struct node *nd)
{
	for (int i = 0; i < nd->ncmds; i++) {
		for (char **a = nd->cmds[i]; *a; a++)
			free(*a);
		free(nd->cmds[i]);
	}
	nd->ncmds = 0;
}

static void node_unbuild(struct testbed *tb, int k)
{
	struct node *nd = &tb->nodes[k];
	char name[96];

	cgroup_free(nd->cg);
	nd->cg = NULL;
	link_sock_free(nd->sk);
	nd->sk = NULL;
	if (nd->ns_fd >= 0) {
		close(nd->ns_fd);
		nd->ns_fd = -1;
		ns_name(tb, testbed_node_name(tb, k), name, sizeof(name));
		netns_delete(name);
	}
	free_cmds(nd);
}

int testbed_add_worker(struct testbed *tb, int *ret_node)
{
	int k, l, r;

	r = topology_add_worker(tb->topo, &k);
	if (r < 0)
		return r;
	l = topology_node(tb->topo, k)->links[0];
	r = node_build(tb, k);
	if (r >= 0)
		r = link_build(tb, l);
	if (r >= 0)
		r = node_routes(tb, k);
	if (r < 0) {
		/* its port dies with its namespace (the veth pair goes with either end); the
		 * topology keeps the slot, unused */
		node_unbuild(tb, k);
		return r;
	}
	__atomic_store_n(&tb->nl, l + 1, __ATOMIC_RELEASE);
	__atomic_store_n(&tb->n, k + 1, __ATOMIC_RELEASE);
	*ret_node = k;
	return 0;
}

void testbed_free(struct testbed *tb)
{
	char name[96];

	if (!tb)
		return;
	for (int k = 0; k < tb->n; k++)
		node_unbuild(tb, k);
	while (waitpid(-1, NULL, WNOHANG) > 0)
		; /* reap what the cgroups killed */
	for (int l = 0; l < tb->nl; l++)
		if (tb->links[l].built)
			tb->links[l].kind->destroy(tb->links[l].priv);
	for (int s = 0; s < tb->n_sws; s++) {
		if (tb->sws[s].built)
			tb->sws[s].kind->destroy(tb->sws[s].priv);
		link_sock_free(tb->sws[s].sk);
		if (tb->sws[s].ns_fd >= 0) {
			close(tb->sws[s].ns_fd);
			ns_name(tb, topology_switch_name(tb->topo, s), name, sizeof(name));
			netns_delete(name);
		}
	}
	/* node groups are gone; the run group itself in every hierarchy */
	cgroup_remove_run(tb->run);
	if (tb->state_dir_made) {
		snprintf(name, sizeof(name), TESTBED_STATE_DIR "/%s/owner", tb->run);
		unlink(name);
		snprintf(name, sizeof(name), TESTBED_STATE_DIR "/%s", tb->run);
		rmdir(name);
	}
	topology_free(tb->topo);
	free(tb->sws);
	free(tb->nodes);
	free(tb->links);
	free(tb);
}

int testbed_impair(struct testbed *tb, int l, enum link_dir dir, const struct impair *im)
{
	int r = testbed_impair_transient(tb, l, dir, im);

	if (!r)
		tb->links[l].impair[dir] = *im;
	return r;
}

int testbed_impair_transient(struct testbed *tb, int l, enum link_dir dir, const struct impair *im)
{
	struct link_end_ctx e = end_ctx(tb, l, dir == DIR_UP ? 0 : 1);

	return tb->links[l].kind->impair(&e, tb->links[l].priv, &tb->links[l].impair[dir], im);
}

int testbed_netem_stats(struct testbed *tb, int l, enum link_dir dir, uint64_t *ret_packets,
			uint64_t *ret_drops)
{
	struct link_end_ctx e = end_ctx(tb, l, dir == DIR_UP ? 0 : 1);

	if (topology_link_switch_kind(tb->topo, l) >= 0)
		return -EOPNOTSUPP; /* a station has no netem */
	return netem_stats(e.sk, e.ifindex, ret_packets, ret_drops);
}

/* A node's interface on some segment, for neighbour entries. */
struct seg_if {
	int seg, node, ifindex;
	struct nl_sock *sk;
	char addr[INET_ADDRSTRLEN];
	uint8_t mac[6];
};

int testbed_pin_neighbours(struct testbed *tb)
{
	int nl = testbed_link_count(tb), n = 0, r = 0;
	struct seg_if *ifs = calloc(2 * (size_t)nl + 1, sizeof(*ifs));

	if (!ifs)
		return -ENOMEM;
	for (int l = 0; l < nl && !r; l++) {
		const struct topo_link *lk = topology_link(tb->topo, l);

		for (int i = 0; i < 2 && !r; i++) {
			struct in_addr a = { htonl(lk->end[i].addr) };
			struct seg_if *f = &ifs[n];

			if (lk->end[i].node < 0)
				continue;
			*f = (struct seg_if){ .seg = lk->seg, .node = lk->end[i].node,
					      .ifindex = lk->end[i].ifindex,
					      .sk = tb->nodes[lk->end[i].node].sk };
			inet_ntop(AF_INET, &a, f->addr, sizeof(f->addr));
			r = link_get_mac(f->sk, f->ifindex, f->mac);
			n++;
		}
	}
	/* every peer on a segment: next hops and direct neighbours alike */
	for (int x = 0; x < n && !r; x++)
		for (int y = 0; y < n && !r; y++)
			if (x != y && ifs[x].seg == ifs[y].seg)
				r = link_neigh_pin(ifs[x].sk, ifs[x].ifindex, ifs[y].addr, ifs[y].mac);
	free(ifs);
	return r;
}

int testbed_netem_seed(struct testbed *tb, int l, enum link_dir dir, uint64_t *ret_seed)
{
	struct link_end_ctx e = end_ctx(tb, l, dir == DIR_UP ? 0 : 1);

	if (topology_link_switch_kind(tb->topo, l) >= 0)
		return -EOPNOTSUPP;
	return netem_seed_get(e.sk, e.ifindex, ret_seed);
}

int testbed_link_set(struct testbed *tb, int l, int up)
{
	struct link_end_ctx a = end_ctx(tb, l, 0), b = end_ctx(tb, l, 1);

	return tb->links[l].kind->set_up(&a, &b, tb->links[l].priv, up);
}

int testbed_link_param_set(struct testbed *tb, int l, const char *key, const char *value)
{
	const struct link_kind *k = tb->links[l].kind;

	return k->param_set ? k->param_set(tb->links[l].priv, key, value) : -EOPNOTSUPP;
}

int testbed_link_check(struct testbed *tb, int l)
{
	return tb->links[l].kind->check(tb->links[l].priv);
}

const char *testbed_link_kind(const struct testbed *tb, int l)
{
	return tb->links[l].kind->name;
}

int testbed_link_stats(struct testbed *tb, int l, struct link_stats *ret)
{
	struct link_end_ctx a = end_ctx(tb, l, 0);

	return tb->links[l].kind->stats(&a, tb->links[l].priv, ret);
}

static char **argv_dup(char *const argv[])
{
	int n = 0;
	char **copy;

	while (argv[n])
		n++;
	copy = calloc((size_t)n + 1, sizeof(*copy));
	if (!copy)
		return NULL;
	for (int i = 0; i < n; i++)
		if (!(copy[i] = strdup(argv[i]))) {
			while (i--)
				free(copy[i]);
			free(copy);
			return NULL;
		}
	return copy;
}

/* fork + setns + cgroup + exec. The child waits on a pipe until the parent has put it in
 * the node's cgroup, so nothing it forks escapes the group; exec errors come back on a
 * close-on-exec pipe. */
static int spawn(struct testbed *tb, const char *name, int ns_fd, struct cgroup *cg,
		 char *const argv[], const struct testbed_spawn_opts *o, pid_t *ret_pid)
{
	int go[2] = { -1, -1 }, status[2] = { -1, -1 }, logfd = -1, r;
	pid_t parent = getpid(), pid;
	char path[512];
	ssize_t n;

	if (o && o->log_path) {
		logfd = open(o->log_path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
		if (logfd < 0)
			return -errno;
	} else if (tb->log_dir[0]) {
		snprintf(path, sizeof(path), "%s/%s.log", tb->log_dir, name);
		logfd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
		if (logfd < 0)
			return -errno;
	}
	if (pipe2(go, O_CLOEXEC) < 0 || pipe2(status, O_CLOEXEC) < 0) {
		r = -errno;
		goto out;
	}
	pid = fork();
	if (pid < 0) {
		r = -errno;
		goto out;
	}
	if (pid == 0) {
		char c;
		int e;

		prctl(PR_SET_PDEATHSIG, SIGKILL);
		if (getppid() != parent)
			_exit(127);
		if (read(go[0], &c, 1) != 1)
			_exit(127);
		setsid();
		if (setns(ns_fd, CLONE_NEWNET) < 0)
			goto child_fail;
		int devnull = open("/dev/null", O_RDONLY);
		if (devnull < 0 || dup2(devnull, 0) < 0)
			goto child_fail;
		if (logfd >= 0 && (dup2(logfd, 1) < 0 || dup2(logfd, 2) < 0))
			goto child_fail;
		/* dup2 clears close-on-exec on the copy: the command keeps exactly that one */
		if (o && o->fd >= 0 && dup2(o->fd, o->target_fd) < 0)
			goto child_fail;
		for (size_t i = 0; o && o->env && o->env[i]; i++)
			if (putenv(o->env[i]) != 0)
				goto child_fail;
		if (o && o->cwd && chdir(o->cwd) < 0)
			goto child_fail;
		signal(SIGPIPE, SIG_DFL);
		execvp(argv[0], argv);
child_fail:
		e = errno;
		if (write(status[1], &e, sizeof(e)) < 0)
			_exit(126);
		_exit(127);
	}
	close(go[0]);
	go[0] = -1;
	close(status[1]);
	status[1] = -1;
	r = cg ? cgroup_attach(cg, pid) : 0;
	if (r < 0) {
		kill(pid, SIGKILL);
		waitpid(pid, NULL, 0);
		goto out;
	}
	if (write(go[1], "g", 1) != 1) {
		r = -EIO;
		goto out;
	}
	int e = 0;
	n = read(status[0], &e, sizeof(e));
	if (n == sizeof(e)) {
		waitpid(pid, NULL, 0);
		r = -e;
		goto out;
	}
	*ret_pid = pid;
	r = 0;
out:
	for (int i = 0; i < 2; i++) {
		if (go[i] >= 0)
			close(go[i]);
		if (status[i] >= 0)
			close(status[i]);
	}
	if (logfd >= 0)
		close(logfd);
	return r;
}

int testbed_spawn(struct testbed *tb, int k, char *const argv[], pid_t *ret_pid)
{
	struct node *nd = k <= TESTBED_SWITCH ? NULL : &tb->nodes[k];
	int r;

	if (k <= TESTBED_SWITCH) {
		int s = TESTBED_SWITCH - k;

		if (s >= tb->n_sws || tb->sws[s].ns_fd < 0)
			return -ENOENT;
		return spawn(tb, topology_switch_name(tb->topo, s), tb->sws[s].ns_fd, NULL, argv,
			     NULL, ret_pid);
	}
	if (nd->ncmds == (int)(sizeof(nd->cmds) / sizeof(nd->cmds[0])))
		return -EMFILE;
	r = spawn(tb, testbed_node_name(tb, k), nd->ns_fd, nd->cg, argv, NULL, ret_pid);
	if (r < 0)
		return r;
	nd->cmds[nd->ncmds] = argv_dup(argv);
	if (!nd->cmds[nd->ncmds])
		return -ENOMEM;
	nd->ncmds++;
	return 0;
}

int testbed_spawn_with(struct testbed *tb, int k, char *const argv[],
		       const struct testbed_spawn_opts *o, pid_t *ret_pid)
{
	struct node *nd = &tb->nodes[k];

	if (o && o->fd >= 0 && o->target_fd <= 2)
		return -EBADF;
	return spawn(tb, testbed_node_name(tb, k), nd->ns_fd, nd->cg, argv, o, ret_pid);
}

int testbed_kill_node(struct testbed *tb, int k)
{
	int r = cgroup_kill_all(tb->nodes[k].cg, 1);

	while (waitpid(-1, NULL, WNOHANG) > 0)
		;
	return r;
}

/* Starts again every command the node was given (recovery from a kill). */
int testbed_signal_node(struct testbed *tb, int k, int sig)
{
	pid_t *pids = NULL;
	size_t n = 0;
	int r = cgroup_pids(tb->nodes[k].cg, &pids, &n);

	for (size_t i = 0; r == 0 && i < n; i++)
		if (kill(pids[i], sig) < 0 && errno != ESRCH)
			r = -errno;
	free(pids);
	return r;
}

int testbed_restart_node(struct testbed *tb, int k)
{
	struct node *nd = &tb->nodes[k];
	pid_t pid;
	int r;

	for (int i = 0; i < nd->ncmds; i++)
		if ((r = spawn(tb, testbed_node_name(tb, k), nd->ns_fd, nd->cg, nd->cmds[i], NULL, &pid)) < 0)
			return r;
	return 0;
}

int testbed_attach(struct testbed *tb, int k, pid_t pid)
{
	return cgroup_attach(tb->nodes[k].cg, pid);
}

int testbed_detach(struct testbed *tb, int k, pid_t pid)
{
	return cgroup_detach(tb->nodes[k].cg, pid);
}

int testbed_freeze_node(struct testbed *tb, int k, int frozen)
{
	return cgroup_freeze(tb->nodes[k].cg, frozen);
}

int testbed_node_usage(struct testbed *tb, int k, uint64_t *ret_cpu_ns, uint64_t *ret_rss)
{
	int r = cgroup_cpu_usage_ns(tb->nodes[k].cg, ret_cpu_ns);

	return r < 0 ? r : cgroup_rss_bytes(tb->nodes[k].cg, ret_rss);
}

int testbed_in_node(struct testbed *tb, int k, int (*fn)(void *arg), void *arg)
{
	int saved, r, r2;

	r = netns_enter(tb->nodes[k].ns_fd, &saved);
	if (r < 0)
		return r;
	r = fn(arg);
	r2 = netns_leave(saved);
	return r < 0 ? r : r2;
}

/* ---- qoslab clean ---- */

static int run_owner_alive(const char *run)
{
	char path[256];

	snprintf(path, sizeof(path), TESTBED_STATE_DIR "/%s/owner", run);
	return owner_alive(path);
}

struct clean_ctx {
	int all;
	unsigned int removed;
};

static void run_of(const char *name, char *run, size_t len)
{
	/* "qoslab-<id>-<node>" -> "qoslab-<id>" */
	const char *dash = strchr(name + strlen(TESTBED_PREFIX), '-');
	size_t n = dash ? (size_t)(dash - name) : strlen(name);

	snprintf(run, len, "%.*s", (int)n, name);
}

static void clean_cgroup_run(const char *run, void *arg)
{
	struct clean_ctx *c = arg;

	if (!c->all && run_owner_alive(run))
		return;
	if (cgroup_remove_run(run) == 0)
		c->removed++;
}

int testbed_clean(int all, unsigned int *ret_removed)
{
	struct clean_ctx c = { .all = all };
	char run[64], path[512];
	struct dirent *de;
	DIR *d;

	/* processes first: they hold namespaces alive */
	cgroup_list_runs(TESTBED_PREFIX, clean_cgroup_run, &c);
	d = opendir(NETNS_DIR);
	if (d) {
		while ((de = readdir(d))) {
			if (strncmp(de->d_name, TESTBED_PREFIX, strlen(TESTBED_PREFIX)))
				continue;
			run_of(de->d_name, run, sizeof(run));
			if (!all && run_owner_alive(run))
				continue;
			if (netns_delete(de->d_name) == 0)
				c.removed++;
		}
		closedir(d);
	}
	d = opendir(TESTBED_STATE_DIR);
	if (d) {
		while ((de = readdir(d))) {
			if (strncmp(de->d_name, TESTBED_PREFIX, strlen(TESTBED_PREFIX)))
				continue;
			if (!all && run_owner_alive(de->d_name))
				continue;
			snprintf(path, sizeof(path), TESTBED_STATE_DIR "/%s/owner", de->d_name);
			unlink(path);
			snprintf(path, sizeof(path), TESTBED_STATE_DIR "/%s", de->d_name);
			if (rmdir(path) == 0)
				c.removed++;
		}
		closedir(d);
	}
	*ret_removed = c.removed;
	return 0;
}
