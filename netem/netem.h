/* SPDX-License-Identifier: MIT */
/* The netem qdisc as an rtnetlink request, built attribute by attribute (libnl 3.7's
 * netem API lacks rate, loss models, 64-bit delays and the PRNG seed). */
#ifndef QOSLAB_NETEM_H
#define QOSLAB_NETEM_H
#include <stdint.h>

#include "netem/impair.h"

struct nl_msg;
struct nl_sock;

/* Kernel units, in one place. */
uint32_t netem_prob_u32(double fraction);               /* [0,1] -> [0, UINT32_MAX] */
uint32_t netem_ns_to_ticks(uint64_t ns, uint32_t ns_per_tick); /* saturates */
int netem_ns_per_tick(uint32_t *ret);                   /* from /proc/net/psched */

/* Loads a tc distribution table (text of s16 values); ret_table malloc'ed. */
int netem_dist_load(enum impair_dist dist, int16_t **ret_table, uint32_t *ret_n);

/*
 * RTM_NEWQDISC for the root netem qdisc of ifindex. flags: NLM_F_CREATE|NLM_F_REPLACE
 * changes a live qdisc in place. Every attribute is sent, zeros included, because on a
 * change the kernel keeps values of absent attributes. dist_table may be NULL.
 */
int netem_msg_build(int ifindex, const struct impair *im, uint32_t ns_per_tick,
		    const int16_t *dist_table, uint32_t dist_n, int flags, struct nl_msg **ret);

/* Builds and sends the request on sk (a socket in the link's namespace); waits for the ack. */
int netem_apply(struct nl_sock *sk, int ifindex, const struct impair *im);
/* Removes the root qdisc (back to the default); -ENOENT when there was none. */
int netem_remove(struct nl_sock *sk, int ifindex);

/* Packets the netem qdisc of ifindex sent and dropped; -ENOENT when it has none. */
int netem_stats(struct nl_sock *sk, int ifindex, uint64_t *ret_packets, uint64_t *ret_drops);

/*
 * The PRNG seed the netem qdisc of ifindex reports: kernels that honour TCA_NETEM_PRNG_SEED
 * (6.7+, or qoslab's UML kernel) dump it; -ENOENT from one that ignores it (Linux 6.1).
 */
int netem_seed_get(struct nl_sock *sk, int ifindex, uint64_t *ret_seed);

/* libnl error -> -errno, once at the boundary. */
int nl_to_errno(int nlerr);
#endif
