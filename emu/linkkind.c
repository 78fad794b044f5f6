// SPDX-License-Identifier: MIT
/* The table of link kinds, and the one every link had before there were kinds: a veth pair
 * with netem on each end's egress. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "emu/linkkind.h"
#include "netem/netem.h"

static int veth_params_check(const char *params, char *err, size_t errlen)
{
	if (!*params)
		return 0;
	snprintf(err, errlen, "veth takes no parameters (impairments go in links:)");
	return -EINVAL;
}

static int veth_create(const struct link_kind_ctx *ctx, const struct link_end_ctx *a,
		       const struct link_end_ctx *b, void **ret_priv)
{
	/* made from the bridge side when there is one: link_veth_add enslaves its own end */
	const struct link_end_ctx *near = b->master ? b : a, *far = b->master ? a : b;
	int r;

	(void)ctx;
	r = link_veth_add(near->sk, near->ifname, near->ifindex, near->master, far->ifname,
			  far->ifindex, far->ns_fd);
	if (r < 0)
		return r;
	/* netem must see, drop and count wire-sized packets, also of TCP sent by the node
	 * itself (it would otherwise drop a GSO burst as one, and count it as one drop) */
	if ((r = link_offloads_off(a->ns_fd, a->ifname)) < 0 ||
	    (r = link_offloads_off(b->ns_fd, b->ifname)) < 0 ||
	    (r = link_gso_single(a->sk, a->ifindex)) < 0 ||
	    (r = link_gso_single(b->sk, b->ifindex)) < 0 ||
	    (r = link_set_up(far->sk, far->ifindex, 1)) < 0)
		return r;
	*ret_priv = NULL;
	return 0;
}

static int veth_impair(const struct link_end_ctx *end, void *priv, const struct impair *old,
		       const struct impair *im)
{
	int r;

	(void)priv;
	if (impair_is_zero(im)) {
		r = netem_remove(end->sk, end->ifindex);
		return r == -ENOENT ? 0 : r;
	}
	/* the kernel keeps a distribution table it was once given; dropping it needs a
	 * fresh qdisc */
	if (old->dist != DIST_UNIFORM && im->dist == DIST_UNIFORM)
		netem_remove(end->sk, end->ifindex);
	return netem_apply(end->sk, end->ifindex, im);
}

static int veth_stats(const struct link_end_ctx *end, void *priv, struct link_stats *ret)
{
	(void)priv;
	return link_get_stats(end->sk, end->ifindex, ret);
}

static int veth_set_up(const struct link_end_ctx *a, const struct link_end_ctx *b, void *priv,
		       int up)
{
	(void)a;
	(void)priv;
	/* the other end's carrier follows: one side is enough (the switch port in a star) */
	return link_set_up(b->sk, b->ifindex, up);
}

static int veth_check(void *priv)
{
	(void)priv;
	return 0;
}

static void veth_destroy(void *priv)
{
	(void)priv;
}

static const struct link_kind veth = {
	.name = "veth", .params_check = veth_params_check, .create = veth_create,
	.impair = veth_impair, .stats = veth_stats, .set_up = veth_set_up, .check = veth_check,
	.destroy = veth_destroy,
};

extern const struct link_kind link_kind_ns3; /* emu/ns3kind.c */
extern const struct switch_kind switch_kind_ns3;

static const struct switch_kind *const switch_kinds[] = { &switch_kind_ns3 };

const struct switch_kind *switch_kind_find(const char *name)
{
	for (size_t i = 0; i < sizeof(switch_kinds) / sizeof(switch_kinds[0]); i++)
		if (!strcmp(switch_kinds[i]->name, name))
			return switch_kinds[i];
	return NULL;
}

void switch_kind_names(char *buf, size_t len)
{
	size_t n = 0;

	buf[0] = '\0';
	for (size_t i = 0; i < sizeof(switch_kinds) / sizeof(switch_kinds[0]) && n < len; i++)
		n += (size_t)snprintf(buf + n, len - n, "%s%s", i ? ", " : "", switch_kinds[i]->name);
}

static const struct link_kind *const kinds[] = { &veth, &link_kind_ns3 };

const struct link_kind *link_kind_find(const char *name)
{
	for (size_t i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++)
		if (!strcmp(kinds[i]->name, name))
			return kinds[i];
	return NULL;
}

void link_kind_names(char *buf, size_t len)
{
	size_t n = 0;

	buf[0] = '\0';
	for (size_t i = 0; i < sizeof(kinds) / sizeof(kinds[0]) && n < len; i++)
		n += (size_t)snprintf(buf + n, len - n, "%s%s", i ? ", " : "", kinds[i]->name);
}
