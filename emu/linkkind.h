/* SPDX-License-Identifier: MIT */
/*
 * Link kinds: how a topology link is made between its two ends. The testbed makes the
 * namespaces, bridges, addresses and routes; a kind makes the interfaces, impairs one
 * direction (the egress of one end) and reads counters. Adding a kind: its ops in a new
 * file and one line in the table of emu/linkkind.c (DESIGN.md, Testbed).
 */
#ifndef QOSLAB_LINKKIND_H
#define QOSLAB_LINKKIND_H
#include <stddef.h>
#include <stdint.h>

#include "emu/link.h"
#include "netem/impair.h"

struct nl_sock;

/* One end as the testbed gives it: where it lives and what it is called there. */
struct link_end_ctx {
	int ns_fd;                /* the end's namespace */
	struct nl_sock *sk;       /* a route socket in that namespace */
	const char *ifname;
	int ifindex;
	int master;               /* bridge ifindex on a switch end; 0 on a node */
	uint32_t addr;            /* the address the testbed gives it after create (host
				   * order; 0 on a switch end): kinds without ARP pin it */
};

/* What a kind knows of its link beyond the two ends. */
struct link_kind_ctx {
	int link;                 /* index in the topology */
	const char *params;       /* the link's kind parameters, "key=value,..." ("": none) */
	uint64_t seed;            /* the run's seed: a kind's own randomness derives from it */
};

struct link_kind {
	const char *name;
	/* Checks params without making anything (scenario check, topology_plan): 0 or -EINVAL
	 * with err naming the parameter. */
	int (*params_check)(const char *params, char *err, size_t errlen);
	/* Makes both ends, up, with segmentation offloads off; priv: the kind's state. */
	int (*create)(const struct link_kind_ctx *ctx, const struct link_end_ctx *a,
		      const struct link_end_ctx *b, void **ret_priv);
	/* The impairment of traffic leaving end (old: what it had), changed in place;
	 * a zero impairment removes it. */
	int (*impair)(const struct link_end_ctx *end, void *priv, const struct impair *old,
		      const struct impair *im);
	/* Counters as end sees them (tx: leaving end). */
	int (*stats)(const struct link_end_ctx *end, void *priv, struct link_stats *ret);
	/* Administrative state of both ends. */
	int (*set_up)(const struct link_end_ctx *a, const struct link_end_ctx *b, void *priv, int up);
	/* 0 while the link still carries what it was asked to; -ETIME when a simulated link
	 * fell behind real time (its figures are not valid), -EPIPE when it died. */
	int (*check)(void *priv);
	/* Frees priv; interfaces die with their namespaces. NULL-safe priv. */
	void (*destroy)(void *priv);
};

/* NULL for an unknown name. */
const struct link_kind *link_kind_find(const char *name);
/* "veth, ..." into buf, for messages. */
void link_kind_names(char *buf, size_t len);
#endif
