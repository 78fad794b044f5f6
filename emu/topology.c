// SPDX-License-Identifier: MIT
/* Topology graphs: checks with one message per bad item, node order, addressing per segment,
 * shortest-path static routes. */
#include <arpa/inet.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "emu/linkkind.h"
#include "emu/topology.h"

#define NODE_IFINDEX0 2  /* eth0: lo is 1 in a fresh namespace */
#define PORT_IFINDEX0 10 /* switch side of link l: 10 + l */

struct topology {
	char subnet[32];
	uint32_t base;           /* host order, after plan */
	struct topo_node *nodes;
	int n_nodes, cap_nodes;
	struct tswitch {
		char name[TOPO_NAME_MAX];
		char kind[TOPO_KIND_MAX]; /* "": a bridge */
		char params[TOPO_PARAMS_MAX];
	} *switches;
	int n_switches, cap_switches;
	struct topo_link *links;
	int n_links, cap_links;
	/* endpoints by name until plan resolves them */
	char (*ends)[2][TOPO_LINK_NAME_MAX];
	int n_segments;
	int *seg_members;        /* per segment: ends on it so far (host numbers) */
	int planned;
};

static const char *const role_names[ROLE_COUNT] = { "none", "client", "server", "worker", "edge" };

const char *topology_role_name(enum topo_role r)
{
	return (unsigned)r < ROLE_COUNT ? role_names[r] : "?";
}

int topology_role_parse(const char *s, enum topo_role *ret)
{
	if (!*s) {
		*ret = ROLE_NONE;
		return 0;
	}
	for (int i = 0; i < ROLE_COUNT; i++)
		if (!strcmp(s, role_names[i])) {
			*ret = (enum topo_role)i;
			return 0;
		}
	return -EINVAL;
}

int topology_new(const char *subnet, struct topology **ret)
{
	struct topology *t = calloc(1, sizeof(*t));

	if (!t)
		return -ENOMEM;
	snprintf(t->subnet, sizeof(t->subnet), "%s", subnet && *subnet ? subnet : "10.77.0.0/16");
	*ret = t;
	return 0;
}

void topology_free(struct topology *t)
{
	if (!t)
		return;
	free(t->nodes);
	free(t->switches);
	free(t->links);
	free(t->ends);
	free(t->seg_members);
	free(t);
}

/* Grows *arr to hold one more; arrays never move once planned (readers in other threads). */
static int grow(void **arr, int *cap, int n, size_t size)
{
	void *p;
	int c;

	if (n < *cap)
		return 0;
	c = *cap ? 2 * *cap : 8;
	p = realloc(*arr, (size_t)c * size);
	if (!p)
		return -ENOMEM;
	memset((char *)p + (size_t)*cap * size, 0, (size_t)(c - *cap) * size);
	*arr = p;
	*cap = c;
	return 0;
}

int topology_add_node(struct topology *t, const char *name, enum topo_role role, double cpu)
{
	struct topo_node *nd;
	int r = grow((void **)&t->nodes, &t->cap_nodes, t->n_nodes, sizeof(*t->nodes));

	if (r < 0)
		return r;
	nd = &t->nodes[t->n_nodes++];
	memset(nd, 0, sizeof(*nd));
	/* an over-long name is kept long enough for plan to report it */
	snprintf(nd->name, sizeof(nd->name), "%s", name);
	if (strlen(name) >= sizeof(nd->name))
		nd->name[sizeof(nd->name) - 2] = '\x01';
	nd->role = role;
	nd->cpu = cpu;
	return 0;
}

int topology_add_switch(struct topology *t, const char *name)
{
	int r = grow((void **)&t->switches, &t->cap_switches, t->n_switches, sizeof(*t->switches));

	if (r < 0)
		return r;
	memset(&t->switches[t->n_switches], 0, sizeof(*t->switches));
	snprintf(t->switches[t->n_switches].name, TOPO_NAME_MAX, "%s", name);
	if (strlen(name) >= TOPO_NAME_MAX)
		t->switches[t->n_switches].name[TOPO_NAME_MAX - 2] = '\x01';
	t->n_switches++;
	return 0;
}

int topology_add_link(struct topology *t, const char *name, const char *a, const char *b,
		      const char *kind)
{
	int cap = t->cap_links, r;
	struct topo_link *l;

	r = grow((void **)&t->links, &t->cap_links, t->n_links, sizeof(*t->links));
	if (r < 0)
		return r;
	if (cap != t->cap_links) {
		void *e = realloc(t->ends, (size_t)t->cap_links * sizeof(*t->ends));

		if (!e)
			return -ENOMEM;
		t->ends = e;
	}
	l = &t->links[t->n_links];
	memset(l, 0, sizeof(*l));
	/* no name: "a-b" once plan knows which end is the node */
	if (name)
		snprintf(l->name, sizeof(l->name), "%s", name);
	snprintf(l->kind, sizeof(l->kind), "%s", kind && *kind ? kind : "veth");
	snprintf(t->ends[t->n_links][0], TOPO_LINK_NAME_MAX, "%s", a);
	snprintf(t->ends[t->n_links][1], TOPO_LINK_NAME_MAX, "%s", b);
	t->n_links++;
	return 0;
}

int topology_set_link_params(struct topology *t, int l, const char *params)
{
	if (l < 0 || l >= t->n_links)
		return -ENOENT;
	if (strlen(params) >= sizeof(t->links[l].params))
		return -ENAMETOOLONG;
	snprintf(t->links[l].params, sizeof(t->links[l].params), "%s", params);
	return 0;
}

int topology_set_switch_kind(struct topology *t, int s, const char *kind, const char *params)
{
	if (s < 0 || s >= t->n_switches)
		return -ENOENT;
	if (strlen(kind) >= sizeof(t->switches[s].kind) ||
	    strlen(params) >= sizeof(t->switches[s].params))
		return -ENAMETOOLONG;
	snprintf(t->switches[s].kind, sizeof(t->switches[s].kind), "%s", kind);
	snprintf(t->switches[s].params, sizeof(t->switches[s].params), "%s", params);
	return 0;
}

static int fail(struct topo_error *e, const char *what, int index, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
static int fail(struct topo_error *e, const char *what, int index, const char *fmt, ...)
{
	va_list ap;

	e->what = what;
	e->index = index;
	va_start(ap, fmt);
	vsnprintf(e->msg, sizeof(e->msg), fmt, ap);
	va_end(ap);
	return -EINVAL;
}

/* Names become namespace and interface names: [A-Za-z0-9_.-], not starting with '.' or '-'. */
static int name_ok(const char *s)
{
	if (!*s || *s == '.' || *s == '-' || strchr(s, '\x01'))
		return 0;
	for (; *s; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
		      (*s >= '0' && *s <= '9') || *s == '_' || *s == '.' || *s == '-'))
			return 0;
	return 1;
}

int topology_node_index(const struct topology *t, const char *name)
{
	for (int k = 0; k < t->n_nodes; k++)
		if (!strcmp(t->nodes[k].name, name))
			return k;
	return -ENOENT;
}

int topology_switch_index(const struct topology *t, const char *name)
{
	for (int s = 0; s < t->n_switches; s++)
		if (!strcmp(t->switches[s].name, name))
			return s;
	return -ENOENT;
}

int topology_link_index(const struct topology *t, const char *name)
{
	for (int l = 0; l < t->n_links; l++)
		if (!strcmp(t->links[l].name, name))
			return l;
	return -ENOENT;
}

static int check_names(const struct topology *t, struct topo_error *e)
{
	for (int k = 0; k < t->n_nodes; k++) {
		const char *n = t->nodes[k].name;

		if (!name_ok(n))
			return fail(e, "nodes", k, "name '%s': 1 to %d characters of A-Z a-z 0-9 _ . -",
				    n, TOPO_NAME_MAX - 1);
		if (topology_node_index(t, n) != k)
			return fail(e, "nodes", k, "duplicate name '%s'", n);
		if (!strcmp(n, "switch") && t->n_switches)
			return fail(e, "nodes", k, "'switch' names the star's switch; pick another");
	}
	for (int s = 0; s < t->n_switches; s++) {
		const char *n = t->switches[s].name;

		if (!name_ok(n))
			return fail(e, "switches", s, "name '%s': 1 to %d characters of A-Z a-z 0-9 _ . -",
				    n, TOPO_NAME_MAX - 1);
		if (topology_switch_index(t, n) != s || topology_node_index(t, n) >= 0)
			return fail(e, "switches", s, "duplicate name '%s' (nodes and switches share "
				    "names)", n);
	}
	return 0;
}

static int check_link_names(const struct topology *t, struct topo_error *e)
{
	for (int l = 0; l < t->n_links; l++) {
		if (!name_ok(t->links[l].name))
			return fail(e, "links", l, "name '%s': characters of A-Z a-z 0-9 _ . -",
				    t->links[l].name);
		if (topology_link_index(t, t->links[l].name) != l)
			return fail(e, "links", l, "duplicate name '%s'", t->links[l].name);
		const struct link_kind *k = link_kind_find(t->links[l].kind);
		int sw = topology_link_switch_kind(t, l);
		char msg[200];

		if (sw >= 0) {
			/* a station of the switch's channel: the switch's kind makes it */
			const struct switch_kind *sk = switch_kind_find(t->switches[sw].kind);

			if (strcmp(t->links[l].kind, "veth"))
				return fail(e, "links", l, "kind: a link to switch '%s' (kind %s) is "
					    "one station of its channel and takes no kind",
					    t->switches[sw].name, t->switches[sw].kind);
			if (sk->station_check(t->switches[sw].params, topology_station(t, l),
					      t->links[l].params, msg, sizeof(msg)) < 0)
				return fail(e, "links", l, "params: %s", msg);
			continue;
		}

		if (!k) {
			char known[128];

			link_kind_names(known, sizeof(known));
			return fail(e, "links", l, "kind '%s' is not a link kind (known: %s)",
				    t->links[l].kind, known);
		}
		if (k->params_check(t->links[l].params, msg, sizeof(msg)) < 0)
			return fail(e, "links", l, "params: %s", msg);
	}
	return 0;
}

/* A switch's kind and its parameters, with the number of stations it got. */
static int check_switch_kinds(const struct topology *t, struct topo_error *e)
{
	for (int s = 0; s < t->n_switches; s++) {
		const struct switch_kind *sk;
		char msg[200];
		int n = 0;

		if (!t->switches[s].kind[0])
			continue;
		sk = switch_kind_find(t->switches[s].kind);
		if (!sk) {
			switch_kind_names(msg, sizeof(msg));
			return fail(e, "switches", s, "kind '%s' is not a switch kind (known: %s)",
				    t->switches[s].kind, msg);
		}
		for (int l = 0; l < t->n_links; l++)
			n += t->links[l].end[1].sw == s;
		if (sk->params_check(t->switches[s].params, n, msg, sizeof(msg)) < 0)
			return fail(e, "switches", s, "%s", msg);
	}
	return 0;
}

/* Endpoints by name -> indices; per-node link lists; no self, switch-switch or double links. */
static int resolve_ends(struct topology *t, struct topo_error *e)
{
	for (int k = 0; k < t->n_nodes; k++)
		t->nodes[k].n_links = 0;
	for (int l = 0; l < t->n_links; l++) {
		struct topo_link *lk = &t->links[l];

		for (int i = 0; i < 2; i++) {
			const char *n = t->ends[l][i];

			lk->end[i].node = topology_node_index(t, n);
			lk->end[i].sw = lk->end[i].node < 0 ? topology_switch_index(t, n) : -1;
			if (lk->end[i].node < 0 && lk->end[i].sw < 0)
				return fail(e, "links", l, "%s: no node or switch '%s'", i ? "b" : "a", n);
		}
		if (lk->end[0].node < 0) {
			if (lk->end[1].node < 0)
				return fail(e, "links", l, "'%s' and '%s' are both switches: a link joins "
					    "a node to a switch or to another node", t->ends[l][0],
					    t->ends[l][1]);
			/* a is the node: up stays node -> switch */
			struct topo_end x = lk->end[0];
			char tmp[TOPO_LINK_NAME_MAX];

			lk->end[0] = lk->end[1];
			lk->end[1] = x;
			memcpy(tmp, t->ends[l][0], sizeof(tmp));
			memcpy(t->ends[l][0], t->ends[l][1], sizeof(tmp));
			memcpy(t->ends[l][1], tmp, sizeof(tmp));
		}
		if (!lk->name[0])
			snprintf(lk->name, sizeof(lk->name), "%.15s-%.15s", t->ends[l][0], t->ends[l][1]);
		if (lk->end[0].node == lk->end[1].node)
			return fail(e, "links", l, "a link from '%s' to itself", t->ends[l][0]);
		for (int j = 0; j < l; j++) {
			const struct topo_link *o = &t->links[j];
			int same = (o->end[0].node == lk->end[0].node && o->end[1].node == lk->end[1].node &&
				    o->end[1].sw == lk->end[1].sw) ||
				   (lk->end[1].node >= 0 && o->end[0].node == lk->end[1].node &&
				    o->end[1].node == lk->end[0].node);

			if (same)
				return fail(e, "links", l, "'%s' and '%s' are already linked by '%s'",
					    t->ends[l][0], t->ends[l][1], o->name);
		}
		for (int i = 0; i < 2; i++) {
			struct topo_node *nd;

			if (lk->end[i].node < 0)
				continue;
			nd = &t->nodes[lk->end[i].node];
			if (nd->n_links == TOPO_NODE_LINKS_MAX)
				return fail(e, "links", l, "'%s' has more than %d links", nd->name,
					    TOPO_NODE_LINKS_MAX);
			nd->links[nd->n_links++] = l;
		}
	}
	for (int k = 0; k < t->n_nodes; k++)
		if (!t->nodes[k].n_links)
			return fail(e, "nodes", k, "'%s' has no link", t->nodes[k].name);
	return 0;
}

/* Nodes adjacent over one segment: a BFS from src; prev[] is each node's predecessor. */
static void bfs(const struct topology *t, int src, int *dist, int *prev)
{
	int *queue = malloc(sizeof(int) * (size_t)(t->n_nodes + 1)), head = 0, tail = 0;

	for (int k = 0; k < t->n_nodes; k++)
		dist[k] = -1, prev[k] = -1;
	if (!queue)
		return;
	dist[src] = 0;
	queue[tail++] = src;
	while (head < tail) {
		int u = queue[head++];
		const struct topo_node *nu = &t->nodes[u];

		/* neighbours: every node on a segment u is on, in link order (deterministic) */
		for (int i = 0; i < nu->n_links; i++) {
			int seg = t->links[nu->links[i]].seg;

			for (int l = 0; l < t->n_links; l++) {
				if (t->links[l].seg != seg)
					continue;
				for (int j = 0; j < 2; j++) {
					int v = t->links[l].end[j].node;

					if (v >= 0 && dist[v] < 0) {
						dist[v] = dist[u] + 1;
						prev[v] = u;
						queue[tail++] = v;
					}
				}
			}
		}
	}
	free(queue);
}

static void assign_segments(struct topology *t)
{
	int seg = t->n_switches;

	for (int l = 0; l < t->n_links; l++)
		t->links[l].seg = t->links[l].end[1].sw >= 0 ? t->links[l].end[1].sw : seg++;
	t->n_segments = seg;
}

static int check_roles(struct topology *t, struct topo_error *e)
{
	int count[ROLE_COUNT] = { 0 }, first[ROLE_COUNT], *dist, *prev, server, r = 0;

	for (int i = 0; i < ROLE_COUNT; i++)
		first[i] = -1;
	for (int k = 0; k < t->n_nodes; k++) {
		enum topo_role ro = t->nodes[k].role;

		if (count[ro]++ && (ro == ROLE_CLIENT || ro == ROLE_SERVER || ro == ROLE_EDGE))
			return fail(e, "nodes", k, "'%s' is a second %s (one only; '%s' is the first)",
				    t->nodes[k].name, role_names[ro], t->nodes[first[ro]].name);
		if (first[ro] < 0)
			first[ro] = k;
	}
	if (!count[ROLE_CLIENT] || !count[ROLE_SERVER] || !count[ROLE_WORKER])
		return fail(e, NULL, 0, "no node with role %s (a topology needs one client, one "
			    "server and at least one worker)",
			    !count[ROLE_CLIENT] ? "client" : !count[ROLE_SERVER] ? "server" : "worker");
	dist = malloc(sizeof(int) * (size_t)t->n_nodes);
	prev = malloc(sizeof(int) * (size_t)t->n_nodes);
	if (!dist || !prev) {
		r = -ENOMEM;
		goto out;
	}
	server = first[ROLE_SERVER];
	bfs(t, server, dist, prev);
	for (int k = 0; k < t->n_nodes && !r; k++)
		if (t->nodes[k].role != ROLE_NONE && dist[k] < 0)
			r = fail(e, "nodes", k, "no path between %s '%s' and server '%s'",
				 role_names[t->nodes[k].role], t->nodes[k].name, t->nodes[server].name);
out:
	free(dist);
	free(prev);
	return r;
}

/* client, server, workers, then the rest; file order among equals. Links keep their order;
 * their node indices and the per-node lists follow. */
static int reorder(struct topology *t)
{
	static const int rank[ROLE_COUNT] = { 3, 0, 1, 2, 3 };
	struct topo_node *sorted = malloc(sizeof(*sorted) * (size_t)t->cap_nodes);
	int *newidx = malloc(sizeof(int) * (size_t)t->n_nodes), n = 0;

	if (!sorted || !newidx) {
		free(sorted);
		free(newidx);
		return -ENOMEM;
	}
	for (int pass = 0; pass < 4; pass++)
		for (int k = 0; k < t->n_nodes; k++)
			if (rank[t->nodes[k].role] == pass) {
				newidx[k] = n;
				sorted[n++] = t->nodes[k];
			}
	for (int l = 0; l < t->n_links; l++)
		for (int i = 0; i < 2; i++)
			if (t->links[l].end[i].node >= 0)
				t->links[l].end[i].node = newidx[t->links[l].end[i].node];
	memset(sorted + n, 0, sizeof(*sorted) * (size_t)(t->cap_nodes - n));
	free(t->nodes);
	t->nodes = sorted;
	free(newidx);
	return 0;
}

static int parse_subnet(struct topology *t, struct topo_error *e)
{
	char buf[32], *slash;
	struct in_addr a;

	snprintf(buf, sizeof(buf), "%s", t->subnet);
	slash = strchr(buf, '/');
	if (!slash || strcmp(slash, "/16") || (*slash = 0, inet_pton(AF_INET, buf, &a) != 1) ||
	    (ntohl(a.s_addr) & 0xffff))
		return fail(e, "subnet", 0, "'%s' is not an IPv4 /16 such as 10.77.0.0/16", t->subnet);
	t->base = ntohl(a.s_addr);
	return 0;
}

void topology_segment_net(const struct topology *t, int seg, uint32_t *ret_net, int *ret_prefix)
{
	/* one segment (the star): the whole /16 as ever; several: a /24 each */
	if (t->n_segments <= 1) {
		*ret_net = t->base;
		*ret_prefix = 16;
	} else {
		*ret_net = t->base + ((uint32_t)seg << 8);
		*ret_prefix = 24;
	}
}

/* Interface names, ifindexes and the address of one link's node ends. */
static int address_link(struct topology *t, int l)
{
	struct topo_link *lk = &t->links[l];
	uint32_t net;
	int prefix;

	topology_segment_net(t, lk->seg, &net, &prefix);
	for (int i = 0; i < 2; i++) {
		struct topo_end *end = &lk->end[i];
		const struct topo_node *nd;
		int j = 0;

		if (end->node < 0) {
			/* a bridge port, named after the node on the other end */
			end->ifindex = PORT_IFINDEX0 + l;
			snprintf(end->ifname, sizeof(end->ifname), "%s", t->nodes[lk->end[0].node].name);
			end->addr = 0;
			continue;
		}
		nd = &t->nodes[end->node];
		while (j < nd->n_links && nd->links[j] != l)
			j++;
		end->ifindex = NODE_IFINDEX0 + j;
		snprintf(end->ifname, sizeof(end->ifname), "eth%d", j);
		if (prefix == 24 && t->seg_members[lk->seg] >= TOPO_SEG_HOSTS_MAX)
			return -ENOSPC;
		end->addr = net + (uint32_t)++t->seg_members[lk->seg];
	}
	return 0;
}

int topology_plan(struct topology *t, struct topo_error *e)
{
	int r;

	memset(e, 0, sizeof(*e));
	if ((r = parse_subnet(t, e)) < 0 || (r = check_names(t, e)) < 0 ||
	    (r = resolve_ends(t, e)) < 0 || (r = check_switch_kinds(t, e)) < 0 ||
	    (r = check_link_names(t, e)) < 0)
		return r;
	assign_segments(t);
	if (t->n_segments > TOPO_SEGMENTS_MAX)
		return fail(e, NULL, 0, "%d segments (switches and node-node links): at most %d",
			    t->n_segments, TOPO_SEGMENTS_MAX);
	if ((r = check_roles(t, e)) < 0)
		return r;
	if ((r = reorder(t)) < 0)
		return r;
	/* per-node link lists again, in the new node order */
	for (int k = 0; k < t->n_nodes; k++)
		t->nodes[k].n_links = 0;
	for (int l = 0; l < t->n_links; l++)
		for (int i = 0; i < 2; i++)
			if (t->links[l].end[i].node >= 0) {
				struct topo_node *nd = &t->nodes[t->links[l].end[i].node];

				nd->links[nd->n_links++] = l;
			}
	free(t->seg_members);
	t->seg_members = calloc((size_t)t->n_segments + 1, sizeof(int));
	if (!t->seg_members)
		return -ENOMEM;
	/* in the star, node k's link k makes node k host k + 1 */
	for (int l = 0; l < t->n_links; l++)
		if (address_link(t, l) < 0)
			return fail(e, "links", l, "segment of '%s' has more than %d hosts (a /24 each "
				    "when there are several segments)", t->links[l].name,
				    TOPO_SEG_HOSTS_MAX);
	t->planned = 1;
	return 0;
}

int topology_copy(const struct topology *t, int extra, struct topology **ret)
{
	struct topology *c = calloc(1, sizeof(*c));

	if (!c)
		return -ENOMEM;
	*c = *t;
	c->cap_nodes = t->n_nodes + extra;
	c->cap_links = t->n_links + extra;
	c->cap_switches = t->n_switches;
	c->nodes = calloc((size_t)c->cap_nodes + 1, sizeof(*c->nodes));
	c->links = calloc((size_t)c->cap_links + 1, sizeof(*c->links));
	c->ends = calloc((size_t)c->cap_links + 1, sizeof(*c->ends));
	c->switches = calloc((size_t)c->cap_switches + 1, sizeof(*c->switches));
	c->seg_members = calloc((size_t)c->n_segments + 1, sizeof(int));
	if (!c->nodes || !c->links || !c->ends || !c->switches || !c->seg_members) {
		topology_free(c);
		return -ENOMEM;
	}
	memcpy(c->nodes, t->nodes, sizeof(*c->nodes) * (size_t)t->n_nodes);
	memcpy(c->links, t->links, sizeof(*c->links) * (size_t)t->n_links);
	if (t->ends)
		memcpy(c->ends, t->ends, sizeof(*c->ends) * (size_t)t->n_links);
	memcpy(c->switches, t->switches, sizeof(*c->switches) * (size_t)t->n_switches);
	if (t->seg_members)
		memcpy(c->seg_members, t->seg_members, sizeof(int) * (size_t)t->n_segments);
	*ret = c;
	return 0;
}

int topology_star(unsigned int workers, double cpu_client, double cpu_server, double cpu_worker,
		  const char *subnet, struct topology **ret, char *err, size_t errlen)
{
	struct topology *t = NULL;
	struct topo_error e;
	char name[TOPO_NAME_MAX];
	int r;

	r = topology_new(subnet, &t);
	if (r < 0)
		return r;
	if ((r = topology_add_switch(t, "switch")) < 0 ||
	    (r = topology_add_node(t, "client", ROLE_CLIENT, cpu_client)) < 0 ||
	    (r = topology_add_node(t, "server", ROLE_SERVER, cpu_server)) < 0)
		goto out;
	for (unsigned int w = 1; w <= workers; w++) {
		snprintf(name, sizeof(name), "worker-%u", w);
		if ((r = topology_add_node(t, name, ROLE_WORKER, cpu_worker)) < 0)
			goto out;
	}
	for (int k = 0; k < t->n_nodes; k++)
		if ((r = topology_add_link(t, t->nodes[k].name, t->nodes[k].name, "switch", NULL)) < 0)
			goto out;
	r = topology_plan(t, &e);
	if (r < 0)
		snprintf(err, errlen, "%s%s", e.what && !strcmp(e.what, "subnet") ? "subnet: " : "",
			 r == -EINVAL ? e.msg : strerror(-r));
out:
	if (r < 0) {
		topology_free(t);
		return r;
	}
	*ret = t;
	return 0;
}

int topology_node_count(const struct topology *t) { return t->n_nodes; }
int topology_switch_count(const struct topology *t) { return t->n_switches; }
int topology_link_count(const struct topology *t) { return t->n_links; }
int topology_segment_count(const struct topology *t) { return t->n_segments; }
const struct topo_node *topology_node(const struct topology *t, int k) { return &t->nodes[k]; }
const char *topology_switch_name(const struct topology *t, int s) { return t->switches[s].name; }
const char *topology_switch_kind(const struct topology *t, int s) { return t->switches[s].kind; }
const char *topology_switch_params(const struct topology *t, int s) { return t->switches[s].params; }

int topology_link_switch_kind(const struct topology *t, int l)
{
	int sw = t->links[l].end[1].sw;

	return sw >= 0 && t->switches[sw].kind[0] ? sw : -1;
}

int topology_set_ifindex(struct topology *t, int l, int i, int ifindex)
{
	if (l < 0 || l >= t->n_links || i < 0 || i > 1)
		return -ENOENT;
	t->links[l].end[i].ifindex = ifindex;
	return 0;
}

int topology_station(const struct topology *t, int l)
{
	int sw = topology_link_switch_kind(t, l), n = 0;

	if (sw < 0)
		return -ENOENT;
	for (int m = 0; m < l; m++)
		n += t->links[m].end[1].sw == sw;
	return n;
}
const struct topo_link *topology_link(const struct topology *t, int l) { return &t->links[l]; }

int topology_node_link(const struct topology *t, int node)
{
	return t->nodes[node].n_links == 1 ? t->nodes[node].links[0] : -EINVAL;
}

int topology_with_role(const struct topology *t, enum topo_role role, int *ret, int max)
{
	int n = 0;

	for (int k = 0; k < t->n_nodes; k++)
		if (t->nodes[k].role == role) {
			if (n < max)
				ret[n] = k;
			n++;
		}
	return n;
}

int topology_count_role(const struct topology *t, enum topo_role role)
{
	return topology_with_role(t, role, NULL, 0);
}

uint32_t topology_node_addr(const struct topology *t, int node)
{
	const struct topo_link *l = &t->links[t->nodes[node].links[0]];

	return l->end[0].node == node ? l->end[0].addr : l->end[1].addr;
}

int topology_forwards(const struct topology *t, int node)
{
	const struct topo_node *nd = &t->nodes[node];

	for (int i = 1; i < nd->n_links; i++)
		if (t->links[nd->links[i]].seg != t->links[nd->links[0]].seg)
			return 1;
	return 0;
}

/* The address of node on segment seg, and the link it is on there (-1: not on it). */
static int on_segment(const struct topology *t, int node, int seg, uint32_t *ret_addr)
{
	const struct topo_node *nd = &t->nodes[node];

	for (int i = 0; i < nd->n_links; i++) {
		const struct topo_link *l = &t->links[nd->links[i]];

		if (l->seg == seg) {
			if (ret_addr)
				*ret_addr = l->end[0].node == node ? l->end[0].addr : l->end[1].addr;
			return nd->links[i];
		}
	}
	return -1;
}

int topology_routes(const struct topology *t, int node, struct topo_route **ret, size_t *ret_n)
{
	int *dist = malloc(sizeof(int) * (size_t)t->n_nodes);
	int *prev = malloc(sizeof(int) * (size_t)t->n_nodes);
	struct topo_route *routes = calloc((size_t)t->n_segments + 1, sizeof(*routes));
	size_t n = 0;
	int r = 0;

	if (!dist || !prev || !routes) {
		r = -ENOMEM;
		goto out;
	}
	bfs(t, node, dist, prev);
	for (int seg = 0; seg < t->n_segments; seg++) {
		int best = -1, hop, link;

		if (on_segment(t, node, seg, NULL) >= 0)
			continue;
		/* the closest node on the segment delivers there; the first hop towards it */
		for (int k = 0; k < t->n_nodes; k++)
			if (dist[k] > 0 && on_segment(t, k, seg, NULL) >= 0 &&
			    (best < 0 || dist[k] < dist[best]))
				best = k;
		if (best < 0)
			continue; /* unreachable: nothing to route */
		for (hop = best; prev[hop] != node; hop = prev[hop])
			;
		/* the segment node and hop share */
		link = -1;
		for (int i = 0; i < t->nodes[node].n_links && link < 0; i++) {
			int s = t->links[t->nodes[node].links[i]].seg;

			if (on_segment(t, hop, s, &routes[n].gw) >= 0)
				link = t->nodes[node].links[i];
		}
		topology_segment_net(t, seg, &routes[n].dst, &routes[n].prefix);
		routes[n].link = link;
		n++;
	}
	*ret = routes;
	*ret_n = n;
	routes = NULL;
out:
	free(dist);
	free(prev);
	free(routes);
	return r;
}

int topology_add_worker(struct topology *t, int *ret_node)
{
	int last = -1, high = 0, k, l, sw;
	struct topo_node *nd;
	struct topo_link *lk;

	for (k = 0; k < t->n_nodes; k++) {
		const char *n = t->nodes[k].name;

		if (t->nodes[k].role != ROLE_WORKER)
			continue;
		last = k;
		if (!strncmp(n, "worker-", 7) && atoi(n + 7) > high)
			high = atoi(n + 7);
	}
	if (last < 0 || t->nodes[last].n_links != 1 ||
	    (sw = t->links[t->nodes[last].links[0]].end[1].sw) < 0 || t->switches[sw].kind[0])
		return -EOPNOTSUPP; /* a shared channel's stations are fixed when it starts */
	if (t->n_nodes >= t->cap_nodes || t->n_links >= t->cap_links)
		return -ENOSPC;
	k = t->n_nodes;
	l = t->n_links;
	nd = &t->nodes[k];
	memset(nd, 0, sizeof(*nd));
	snprintf(nd->name, sizeof(nd->name), "worker-%d", high + 1);
	nd->role = ROLE_WORKER;
	nd->cpu = t->nodes[last].cpu;
	nd->links[0] = l;
	nd->n_links = 1;
	lk = &t->links[l];
	*lk = t->links[t->nodes[last].links[0]];
	snprintf(lk->name, sizeof(lk->name), "%s", nd->name);
	lk->end[0].node = k;
	if (address_link(t, l) < 0)
		return -ENOSPC;
	/* counted only now: a reader never sees a half-made node */
	t->n_links = l + 1;
	t->n_nodes = k + 1;
	*ret_node = k;
	return 0;
}
