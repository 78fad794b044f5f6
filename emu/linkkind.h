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
	/* A timeline `set`: whether key=value can change while a link of these params runs
	 * (station: its number on a switch of this kind, params the switch's; -1 otherwise),
	 * without making anything; 0 or -EINVAL with err. NULL: nothing can change. */
	int (*param_check)(const char *params, int station, const char *key, const char *value,
			   char *err, size_t errlen);
	/* Makes that change in the running link. */
	int (*param_set)(void *priv, const char *key, const char *value);
};

/*
 * Switch kinds: a switch that is one simulated shared channel instead of a bridge (no
 * namespace of its own). Each node linked to it is one station: its tap is the node's end of
 * that link, and the link's ops are the kind's station ops (DESIGN.md, Testbed).
 */
struct switch_kind {
	const char *name;
	/* The switch's params, with the number of stations linked to it. */
	int (*params_check)(const char *params, int stations, char *err, size_t errlen);
	/* One station's params (its link's), station: its number (0: the first, the hub). */
	int (*station_check)(const char *sw_params, int station, const char *params, char *err,
			     size_t errlen);
	/* The channel with n stations at ends (node ends; the taps made with their ifname,
	 * their ifindex whatever the kernel gives: the caller reads it back) and the stations'
	 * params; ctx->link is the switch's index, ctx->params its params. */
	int (*create)(const struct link_kind_ctx *ctx, const struct link_end_ctx *ends,
		      const char *const *station_params, int n, void **ret_priv);
	const struct link_kind *station; /* the ops of each station's link */
	void *(*station_priv)(void *priv, int station);
	void (*destroy)(void *priv);      /* NULL-safe */
};

/* NULL for an unknown name. */
const struct link_kind *link_kind_find(const char *name);
/* "veth, ..." into buf, for messages. */
void link_kind_names(char *buf, size_t len);
const struct switch_kind *switch_kind_find(const char *name);
void switch_kind_names(char *buf, size_t len);
#endif
