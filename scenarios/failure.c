// SPDX-License-Identifier: MIT
/* Failure injection: each kind maps onto one testbed mechanism and its inverse. */
#include <errno.h>
#include <string.h>

#include "emu/testbed.h"
#include "scenarios/failure.h"

static const char *const names[] = { "kill", "freeze", "partition", "blackhole" };

int failure_parse(const char *s, enum failure_kind *ret)
{
	for (int i = 0; i < 4; i++)
		if (!strcmp(s, names[i])) {
			*ret = (enum failure_kind)i;
			return 0;
		}
	return -EINVAL;
}

const char *failure_name(enum failure_kind k)
{
	return (unsigned)k < 4 ? names[k] : "?";
}

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

int failure_inject(struct testbed *tb, int node, enum failure_kind k)
{
	switch (k) {
	case FAILURE_KILL: return testbed_kill_node(tb, node);
	case FAILURE_FREEZE: return testbed_freeze_node(tb, node, 1);
	case FAILURE_PARTITION: return links_set(tb, node, 0);
	case FAILURE_BLACKHOLE: return blackhole(tb, node, 1);
	}
	return -EINVAL;
}

int failure_recover(struct testbed *tb, int node, enum failure_kind k)
{
	switch (k) {
	case FAILURE_KILL: return testbed_restart_node(tb, node);
	case FAILURE_FREEZE: return testbed_freeze_node(tb, node, 0);
	case FAILURE_PARTITION: return links_set(tb, node, 1);
	case FAILURE_BLACKHOLE: return blackhole(tb, node, 0);
	}
	return -EINVAL;
}
