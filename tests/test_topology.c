// SPDX-License-Identifier: MIT
/* Topology graphs: plan errors name the item; the star keeps its numbering and addresses;
 * two switches joined by a router pass traffic, and each hop's delay, counters and capture
 * show on that hop (inside UML, like test_testbed). */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "emu/kernel.h"
#include "emu/testbed.h"
#include "emu/topology.h"
#include "emu/capture.h"
#include "measure/probe.h"
#include "t.h"

static void addr_str(uint32_t a, char *buf, size_t len)
{
	struct in_addr in = { htonl(a) };

	inet_ntop(AF_INET, &in, buf, (socklen_t)len);
}

/* client - lan - r1 - wan - server, worker-1; r1 declared before the roles */
static struct topology *two_switches(struct t *t)
{
	struct topology *g = NULL;
	struct topo_error e;

	if (topology_new("10.78.0.0/16", &g) < 0)
		return NULL;
	topology_add_switch(g, "lan");
	topology_add_switch(g, "wan");
	topology_add_node(g, "r1", ROLE_NONE, 0);
	topology_add_node(g, "client", ROLE_CLIENT, 0);
	topology_add_node(g, "server", ROLE_SERVER, 0);
	topology_add_node(g, "worker-1", ROLE_WORKER, 0);
	topology_add_link(g, "access", "client", "lan", NULL);
	topology_add_link(g, NULL, "r1", "lan", NULL);
	topology_add_link(g, NULL, "wan", "r1", NULL); /* the switch first: a is still r1 */
	topology_add_link(g, NULL, "server", "wan", NULL);
	topology_add_link(g, NULL, "worker-1", "wan", NULL);
	if (topology_plan(g, &e) < 0) {
		T_FAIL(t, "plan: %s[%d]: %s", e.what ? e.what : "", e.index, e.msg);
		topology_free(g);
		return NULL;
	}
	return g;
}

static void star_keeps_numbering(struct t *t)
{
	struct topology *s = NULL;
	char err[256], a[32];

	T_ASSERT(t, topology_star(3, 0, 0, 0.5, NULL, &s, err, sizeof(err)) == 0);
	T_EQ_INT(t, topology_node_count(s), 5);
	T_EQ_INT(t, topology_link_count(s), 5);
	T_EQ_INT(t, topology_segment_count(s), 1);
	T_ASSERT(t, !strcmp(topology_node(s, 0)->name, "client"));
	T_ASSERT(t, !strcmp(topology_node(s, 1)->name, "server"));
	T_ASSERT(t, !strcmp(topology_node(s, 4)->name, "worker-3"));
	for (int k = 0; k < 5; k++) {
		const struct topo_link *l = topology_link(s, k);

		T_EQ_INT(t, topology_node_link(s, k), k);
		T_EQ_INT(t, l->end[0].node, k);
		T_EQ_INT(t, l->end[0].ifindex, 2);
		T_EQ_INT(t, l->end[1].ifindex, 10 + k);
		T_ASSERT(t, !strcmp(l->end[1].ifname, topology_node(s, k)->name));
	}
	addr_str(topology_node_addr(s, 0), a, sizeof(a));
	T_ASSERT(t, !strcmp(a, "10.77.0.1"));
	addr_str(topology_node_addr(s, 3), a, sizeof(a));
	T_ASSERT(t, !strcmp(a, "10.77.0.4"));
	T_EQ_INT(t, topology_forwards(s, 0), 0);
	topology_free(s);
	T_ASSERT(t, topology_star(1, 0, 0, 0, "10.77.0.0/24", &s, err, sizeof(err)) == -EINVAL);
	T_ASSERTF(t, strstr(err, "subnet"), "%s", err);
}

static void plan_orders_addresses_routes(struct t *t)
{
	struct topology *g = two_switches(t);
	struct topo_route *rt = NULL;
	size_t n = 0;
	char a[32];
	int r1, client;

	T_ASSERT(t, g);
	/* client, server, workers, then the rest */
	client = topology_node_index(g, "client");
	r1 = topology_node_index(g, "r1");
	T_EQ_INT(t, client, 0);
	T_EQ_INT(t, topology_node_index(g, "server"), 1);
	T_EQ_INT(t, topology_node_index(g, "worker-1"), 2);
	T_EQ_INT(t, r1, 3);
	T_EQ_INT(t, topology_segment_count(g), 2);
	T_EQ_INT(t, topology_forwards(g, r1), 1);
	T_EQ_INT(t, topology_forwards(g, client), 0);
	T_EQ_INT(t, topology_node_link(g, r1), -EINVAL);
	T_EQ_INT(t, topology_link(g, 2)->end[0].node, r1); /* switch given first: a is the node */
	T_ASSERT(t, !strcmp(topology_link(g, 1)->name, "r1-lan"));
	addr_str(topology_node_addr(g, client), a, sizeof(a));
	T_ASSERTF(t, !strcmp(a, "10.78.0.1"), "client %s", a);
	addr_str(topology_node_addr(g, 1), a, sizeof(a));
	T_ASSERTF(t, !strcmp(a, "10.78.1.2"), "server %s", a);
	T_ASSERT(t, topology_routes(g, client, &rt, &n) == 0);
	T_EQ_INT(t, n, 1);
	addr_str(rt[0].dst, a, sizeof(a));
	T_ASSERTF(t, !strcmp(a, "10.78.1.0") && rt[0].prefix == 24, "route to %s", a);
	addr_str(rt[0].gw, a, sizeof(a));
	T_ASSERTF(t, !strcmp(a, "10.78.0.2"), "via %s", a); /* r1 on lan */
	free(rt);
	T_ASSERT(t, topology_routes(g, r1, &rt, &n) == 0);
	T_EQ_INT(t, n, 0);
	free(rt);
	topology_free(g);
}

/* One bad item: plan names it. */
static void expect_error(struct t *t, struct topology *g, const char *what, int index,
			 const char *needle)
{
	struct topo_error e;

	if (topology_plan(g, &e) != -EINVAL)
		T_FAIL(t, "planned, expected an error about %s", needle);
	else if ((what && (!e.what || strcmp(e.what, what) || e.index != index)) ||
		 !strstr(e.msg, needle))
		T_FAIL(t, "%s[%d]: %s (expected %s[%d]: ...%s...)", e.what ? e.what : "-", e.index,
		       e.msg, what ? what : "-", index, needle);
	topology_free(g);
}

static struct topology *base(void)
{
	struct topology *g = NULL;

	topology_new(NULL, &g);
	topology_add_switch(g, "lan");
	topology_add_node(g, "client", ROLE_CLIENT, 0);
	topology_add_node(g, "server", ROLE_SERVER, 0);
	topology_add_node(g, "w", ROLE_WORKER, 0);
	topology_add_link(g, NULL, "client", "lan", NULL);
	topology_add_link(g, NULL, "server", "lan", NULL);
	topology_add_link(g, NULL, "w", "lan", NULL);
	return g;
}

static void plan_errors_name_the_item(struct t *t)
{
	struct topology *g;

	g = base();
	topology_add_link(g, NULL, "client", "nowhere", NULL);
	expect_error(t, g, "links", 3, "no node or switch 'nowhere'");
	g = base();
	topology_add_node(g, "lan", ROLE_NONE, 0);
	expect_error(t, g, "switches", 0, "duplicate name 'lan'");
	g = base();
	topology_add_node(g, "lonely", ROLE_NONE, 0);
	expect_error(t, g, "nodes", 3, "'lonely' has no link");
	g = base();
	topology_add_switch(g, "wan");
	topology_add_link(g, NULL, "lan", "wan", NULL);
	expect_error(t, g, "links", 3, "both switches");
	g = base();
	topology_add_link(g, "again", "lan", "w", NULL);
	expect_error(t, g, "links", 3, "already linked");
	g = base();
	topology_add_node(g, "c2", ROLE_CLIENT, 0);
	topology_add_link(g, NULL, "c2", "lan", NULL);
	expect_error(t, g, "nodes", 3, "second client");
	g = base();
	topology_add_link(g, NULL, "client", "server", "carrier-pigeon");
	expect_error(t, g, "links", 3, "not a link kind");
	g = base();
	topology_add_node(g, "a-name-far-too-long", ROLE_NONE, 0);
	expect_error(t, g, "nodes", 3, "name");
	/* the server on its own segment, with nothing between */
	g = NULL;
	topology_new(NULL, &g);
	topology_add_switch(g, "lan");
	topology_add_switch(g, "wan");
	topology_add_node(g, "client", ROLE_CLIENT, 0);
	topology_add_node(g, "server", ROLE_SERVER, 0);
	topology_add_node(g, "w", ROLE_WORKER, 0);
	topology_add_link(g, NULL, "client", "lan", NULL);
	topology_add_link(g, NULL, "w", "lan", NULL);
	topology_add_link(g, NULL, "server", "wan", NULL);
	expect_error(t, g, "nodes", 0, "no path between client 'client' and server 'server'");
	g = NULL;
	topology_new(NULL, &g);
	topology_add_switch(g, "lan");
	topology_add_node(g, "client", ROLE_CLIENT, 0);
	topology_add_node(g, "server", ROLE_SERVER, 0);
	topology_add_link(g, NULL, "client", "lan", NULL);
	topology_add_link(g, NULL, "server", "lan", NULL);
	expect_error(t, g, NULL, 0, "no node with role worker");
}

static double median_rtt_ms(struct testbed *tb, int from, int to, uint32_t n, uint32_t *ret_lost)
{
	struct probe_result pr = { 0 };
	double med = -1, sd;

	if (probe_udp(tb, from, to, 0, n, 5000, 500, &pr) < 0)
		return -1;
	*ret_lost = pr.lost_rtt;
	if (probe_stats(pr.rtt_ns, pr.count, &med, &sd) < 0)
		med = -1e6;
	probe_result_clear(&pr);
	return med / 1e6;
}

static void router_between_two_switches(struct t *t)
{
	struct topology *g = two_switches(t);
	struct testbed_config cfg = { 0 };
	struct testbed *tb = NULL;
	struct impair hop1 = { .delay_ns = 10000000 }, hop2 = { .delay_ns = 5000000 };
	struct link_stats s1 = { 0 }, s2 = { 0 };
	struct capture *cap = NULL;
	uint64_t p1 = 0, p2 = 0, x, captured = 0;
	char err[256], pcap[] = "/tmp/qoslab-topology-XXXXXX";
	int access, r1wan, fd, a, b;
	uint32_t lost = 0;
	double base_ms, ms;

	T_ASSERT(t, g);
	cfg.topology = g;
	T_ASSERTF(t, testbed_new(&cfg, &tb, err, sizeof(err)) == 0, "%s", err);
	topology_free(g);
	T_ASSERT(t, testbed_pin_neighbours(tb) == 0);
	access = testbed_link_index(tb, "access");
	r1wan = testbed_link_index(tb, "r1-wan");
	T_ASSERT(t, access >= 0 && r1wan >= 0);
	testbed_link_ends(tb, r1wan, &a, &b);
	T_EQ_INT(t, a, testbed_node_index(tb, "r1"));
	T_EQ_INT(t, b, TESTBED_SWITCH - 1);
	T_EQ_INT(t, testbed_node_role(tb, 1), ROLE_SERVER);

	/* through the router, both ways, and the worker too */
	base_ms = median_rtt_ms(tb, 0, 1, 20, &lost);
	T_ASSERTF(t, base_ms >= 0 && lost == 0, "client -> server through r1: %u of 20 lost", lost);
	T_ASSERT(t, median_rtt_ms(tb, 2, 0, 5, &lost) >= 0 && lost == 0);

	fd = mkstemp(pcap);
	T_ASSERT(t, fd >= 0);
	close(fd);
	T_ASSERTF(t, capture_new(tb, r1wan, pcap, 0, &cap, err, sizeof(err)) == 0, "%s", err);
	T_ASSERT(t, testbed_link_stats(tb, access, &s1) == 0 && testbed_link_stats(tb, r1wan, &s2) == 0);
	for (int d = 0; d < 2; d++) {
		T_ASSERT(t, testbed_impair(tb, access, (enum link_dir)d, &hop1) == 0);
		T_ASSERT(t, testbed_impair(tb, r1wan, (enum link_dir)d, &hop2) == 0);
	}
	ms = median_rtt_ms(tb, 0, 1, 40, &lost);
	capture_free(cap, &captured, NULL);
	unlink(pcap);
	T_ASSERT(t, lost == 0);
	/* each hop's one-way delay, both ways: 2 x (10 + 5) ms on top of the bare path */
	printf("# rtt through r1: %.3f ms bare, %.3f ms with 10 ms + 5 ms per hop and direction\n",
	       base_ms, ms);
	T_ASSERTF(t, ms - base_ms > 29 && ms - base_ms < 31, "RTT rose by %.3f ms, expected 30",
		  ms - base_ms);

	/* counters on both hops: 40 probes each way crossed each */
	{
		struct link_stats e1, e2;

		T_ASSERT(t, testbed_link_stats(tb, access, &e1) == 0 &&
			    testbed_link_stats(tb, r1wan, &e2) == 0);
		T_ASSERTF(t, e1.tx_packets - s1.tx_packets >= 40 && e1.rx_packets - s1.rx_packets >= 40,
			  "access: %llu out, %llu in", (unsigned long long)(e1.tx_packets - s1.tx_packets),
			  (unsigned long long)(e1.rx_packets - s1.rx_packets));
		T_ASSERTF(t, e2.tx_packets - s2.tx_packets >= 40 && e2.rx_packets - s2.rx_packets >= 40,
			  "r1-wan: %llu out, %llu in", (unsigned long long)(e2.tx_packets - s2.tx_packets),
			  (unsigned long long)(e2.rx_packets - s2.rx_packets));
	}
	T_ASSERT(t, testbed_netem_stats(tb, access, DIR_UP, &p1, &x) == 0 && p1 >= 40);
	T_ASSERT(t, testbed_netem_stats(tb, r1wan, DIR_DOWN, &p2, &x) == 0 && p2 >= 40);
	T_ASSERTF(t, captured >= 80, "capture on r1-wan saw %llu packets", (unsigned long long)captured);
	testbed_free(tb);
}

/* client = r1 (a cable, no switch) and r1 - lan - server, worker */
static void node_to_node_link(struct t *t)
{
	struct topology *g = NULL;
	struct testbed_config cfg = { 0 };
	struct testbed *tb = NULL;
	struct impair d = { .delay_ns = 4000000 };
	struct topo_error e;
	char err[256];
	uint32_t lost = 0;
	double base_ms, ms;
	int cable;

	T_ASSERT(t, topology_new(NULL, &g) == 0);
	topology_add_switch(g, "lan");
	topology_add_node(g, "client", ROLE_CLIENT, 0);
	topology_add_node(g, "r1", ROLE_NONE, 0);
	topology_add_node(g, "server", ROLE_SERVER, 0);
	topology_add_node(g, "worker-1", ROLE_WORKER, 0);
	topology_add_link(g, "cable", "client", "r1", NULL);
	topology_add_link(g, NULL, "r1", "lan", NULL);
	topology_add_link(g, NULL, "server", "lan", NULL);
	topology_add_link(g, NULL, "worker-1", "lan", NULL);
	T_ASSERTF(t, topology_plan(g, &e) == 0, "%s", e.msg);
	cfg.topology = g;
	cfg.max_workers = 2;
	T_ASSERTF(t, testbed_new(&cfg, &tb, err, sizeof(err)) == 0, "%s", err);
	topology_free(g);
	T_ASSERT(t, testbed_pin_neighbours(tb) == 0);
	cable = testbed_link_index(tb, "cable");
	base_ms = median_rtt_ms(tb, 0, 1, 10, &lost);
	T_ASSERTF(t, base_ms >= 0 && lost == 0, "client -> server over the cable: %u lost", lost);
	T_ASSERT(t, testbed_impair(tb, cable, DIR_UP, &d) == 0);
	ms = median_rtt_ms(tb, 0, 1, 20, &lost);
	T_ASSERTF(t, ms - base_ms > 3.5 && ms - base_ms < 5, "RTT rose by %.3f ms, expected 4",
		  ms - base_ms);
	/* a joining worker lands on the last worker's switch and is routed to */
	{
		int k;

		T_ASSERT(t, testbed_add_worker(tb, &k) == 0);
		T_ASSERT(t, !strcmp(testbed_node_name(tb, k), "worker-2"));
		T_ASSERT(t, testbed_pin_neighbours(tb) == 0);
		T_ASSERT(t, median_rtt_ms(tb, 0, k, 5, &lost) >= 0 && lost == 0);
	}
	testbed_free(tb);
}

static const struct t_case cases[] = {
	T_CASE(star_keeps_numbering),
	T_CASE(plan_orders_addresses_routes),
	T_CASE(plan_errors_name_the_item),
	T_CASE(router_between_two_switches),
	T_CASE(node_to_node_link),
	{ 0 }
};
/* the planner alone needs no kernel: it runs where the testbed cases cannot (ASan) */
static const struct t_case plan_cases[] = {
	T_CASE(star_keeps_numbering),
	T_CASE(plan_orders_addresses_routes),
	T_CASE(plan_errors_name_the_item),
	{ 0 }
};

int main(int argc, char **argv)
{
	char why[256];
	int status, r;

	r = kernel_enter_program(KERNEL_AUTO, argv, &status, why, sizeof(why));
	if (r == 1)
		return status;
	if (r < 0) {
		printf("skip - topology testbeds: %s\n", why);
		return t_main(plan_cases, argc, argv);
	}
	return t_main(cases, argc, argv);
}
