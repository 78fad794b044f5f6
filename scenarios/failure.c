// SPDX-License-Identifier: MIT
/* Failure injection: each kind maps onto one testbed mechanism and its inverse. */
#include <errno.h>
#include <string.h>

#include "emu/testbed.h"
#include "scenarios/failure.h"

/* Each of the node's links: its own impairment with all packets lost, or the impairment
 * itself. */
static int blackhole(struct testbed *tb, int node, int on)
{
	const int *links;
	int n = testbed_node_links(tb, node, &links);

	for (int i = 0; i < n; i++)
		for (int d = 0; d < 2; d++) {
			struct impair im = *testbed_impairment(tb, links[i], (enum link_dir)d);
			int r;

			if (on) {
				im.loss_model = LOSS_RANDOM;
				im.loss = 1;
			}
			r = testbed_impair_transient(tb, links[i], (enum link_dir)d, &im);
			if (r < 0)
				return r;
		}
	return 0;
}

/* Every link of the node down (a partition) or up again. */
static int links_set(struct testbed *tb, int node, int up)
{
	const int *links;
	int n = testbed_node_links(tb, node, &links), r = 0;

	for (int i = 0; i < n && !r; i++)
		r = testbed_link_set(tb, links[i], up);
	return r;
}

static int kill_node(struct testbed *tb, int node, int on)
{
	return on ? testbed_kill_node(tb, node) : testbed_restart_node(tb, node);
}

static int freeze_node(struct testbed *tb, int node, int on)
{
	return testbed_freeze_node(tb, node, on);
}

static int partition(struct testbed *tb, int node, int on)
{
	return links_set(tb, node, !on);
}

/* One row per kind, in enum order: a new kind is its enum value and its row. */
static const struct {
	const char *name;
	int (*apply)(struct testbed *tb, int node, int on); /* on: inject, off: recover */
} kinds[] = {
	[FAILURE_KILL] = { "kill", kill_node },
	[FAILURE_FREEZE] = { "freeze", freeze_node },
	[FAILURE_PARTITION] = { "partition", partition },
	[FAILURE_BLACKHOLE] = { "blackhole", blackhole },
};
#define N_KINDS (sizeof(kinds) / sizeof(kinds[0]))
_Static_assert(N_KINDS == FAILURE_KIND_COUNT, "a failure kind without its row");

int failure_parse(const char *s, enum failure_kind *ret)
{
	for (size_t i = 0; i < N_KINDS; i++)
		if (!strcmp(s, kinds[i].name)) {
			*ret = (enum failure_kind)i;
			return 0;
		}
	return -EINVAL;
}

const char *failure_name(enum failure_kind k)
{
	return (unsigned)k < N_KINDS ? kinds[k].name : "?";
}

const char *failure_choices(void)
{
	return "kill, freeze, partition or blackhole";
}

int failure_inject(struct testbed *tb, int node, enum failure_kind k)
{
	return (unsigned)k < N_KINDS ? kinds[k].apply(tb, node, 1) : -EINVAL;
}

int failure_recover(struct testbed *tb, int node, enum failure_kind k)
{
	return (unsigned)k < N_KINDS ? kinds[k].apply(tb, node, 0) : -EINVAL;
}
