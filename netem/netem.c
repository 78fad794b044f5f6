// SPDX-License-Identifier: MIT
/* netem requests laid out as iproute2's tc/q_netem.c does, sent through libnl. */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/pkt_sched.h>
#include <linux/rtnetlink.h>
#include <netlink/errno.h>
#include <netlink/msg.h>
#include <netlink/netlink.h>
#include <netlink/attr.h>
#include <netlink/route/qdisc.h>
#include <netlink/route/tc.h>

#include "netem/netem.h"

#ifndef TCA_NETEM_PRNG_SEED
#define TCA_NETEM_PRNG_SEED 14 /* uapi since Linux 6.7; older kernels ignore it */
#endif

/* iproute2's tables: $TC_LIB_DIR as tc reads it, else the multiarch folder this was built
 * for (the Makefile passes it; Debian installs the tables there) */
#ifndef TC_LIB_DIR_DEFAULT
#define TC_LIB_DIR_DEFAULT "/usr/lib/x86_64-linux-gnu/tc"
#endif
#define DIST_MAX 16384 /* the kernel's limit on table entries */

uint32_t netem_prob_u32(double f)
{
	if (f <= 0)
		return 0;
	if (f >= 1)
		return UINT32_MAX;
	return (uint32_t)llrint(f * UINT32_MAX);
}

uint32_t netem_ns_to_ticks(uint64_t ns, uint32_t ns_per_tick)
{
	uint64_t t = ns / (ns_per_tick ? ns_per_tick : 64);

	return t > UINT32_MAX ? UINT32_MAX : (uint32_t)t;
}

int netem_ns_per_tick(uint32_t *ret)
{
	unsigned int t2us, ns_per_tick;
	FILE *f = fopen("/proc/net/psched", "re");
	int r = -EIO;

	if (!f)
		return -errno;
	/* fields: NSEC_PER_USEC, PSCHED_TICKS2NS(1), 1000000, clock resolution */
	if (fscanf(f, "%x %x", &t2us, &ns_per_tick) == 2 && ns_per_tick) {
		*ret = ns_per_tick;
		r = 0;
	}
	fclose(f);
	return r;
}

int nl_to_errno(int e)
{
	if (e >= 0)
		return e;
	switch (-e) {
	case NLE_NOMEM: return -ENOMEM;
	case NLE_EXIST: return -EEXIST;
	case NLE_OBJ_NOTFOUND: return -ENOENT;
	case NLE_NODEV: return -ENODEV;
	case NLE_PERM: return -EPERM;
	case NLE_BUSY: return -EBUSY;
	case NLE_INVAL: case NLE_RANGE: case NLE_MSGSIZE: return -EINVAL;
	case NLE_OPNOTSUPP: return -EOPNOTSUPP;
	case NLE_AGAIN: return -EAGAIN;
	case NLE_NOACCESS: return -EACCES;
	case NLE_NOADDR: return -EADDRNOTAVAIL;
	default: return -EIO;
	}
}

int netem_dist_load(enum impair_dist dist, int16_t **ret_table, uint32_t *ret_n)
{
	const char *dir = getenv("TC_LIB_DIR");
	char path[256], line[512];
	int16_t *t = NULL;
	uint32_t n = 0;
	FILE *f;
	int r = 0;

	snprintf(path, sizeof(path), "%s/%s.dist", dir && *dir ? dir : TC_LIB_DIR_DEFAULT,
		 impair_dist_name(dist));
	f = fopen(path, "re");
	if (!f)
		return -errno;
	t = malloc(DIST_MAX * sizeof(*t));
	if (!t) {
		r = -ENOMEM;
		goto out;
	}
	while (fgets(line, sizeof(line), f)) {
		char *p = line, *end;

		if (*p == '#')
			continue;
		for (;;) {
			long v = strtol(p, &end, 10);

			if (end == p)
				break;
			if (n == DIST_MAX || v < INT16_MIN || v > INT16_MAX) {
				r = -E2BIG;
				goto out;
			}
			t[n++] = (int16_t)v;
			p = end;
		}
	}
	if (!n)
		r = -EINVAL;
out:
	fclose(f);
	if (r) {
		free(t);
		return r;
	}
	*ret_table = t;
	*ret_n = n;
	return 0;
}

static int put_loss_model(struct nl_msg *m, const struct impair *im)
{
	struct nlattr *nest;
	int r;

	if (im->loss_model == LOSS_RANDOM)
		return 0; /* absent TCA_NETEM_LOSS: the kernel resets to random loss */
	nest = nla_nest_start(m, TCA_NETEM_LOSS | NLA_F_NESTED);
	if (!nest)
		return -NLE_NOMEM;
	if (im->loss_model == LOSS_GEMODEL) {
		/* tc takes 1-h and 1-k; the kernel keeps h (so invert) and k1, which is 1-k */
		struct tc_netem_gemodel ge = {
			.p = netem_prob_u32(im->ge[0]),
			.r = netem_prob_u32(im->ge[1]),
			.h = UINT32_MAX - netem_prob_u32(im->ge[2]),
			.k1 = netem_prob_u32(im->ge[3]),
		};
		r = nla_put(m, NETEM_LOSS_GE, sizeof(ge), &ge);
	} else {
		struct tc_netem_gimodel gi = {
			.p13 = netem_prob_u32(im->state4[0]),
			.p31 = netem_prob_u32(im->state4[1]),
			.p32 = netem_prob_u32(im->state4[2]),
			.p23 = netem_prob_u32(im->state4[3]),
			.p14 = netem_prob_u32(im->state4[4]),
		};
		r = nla_put(m, NETEM_LOSS_GI, sizeof(gi), &gi);
	}
	if (r < 0)
		return r;
	return nla_nest_end(m, nest);
}

static int put_options(struct nl_msg *m, const struct impair *im, uint32_t ns_per_tick,
		       const int16_t *dist, uint32_t dist_n)
{
	struct tc_netem_qopt qopt = {
		.latency = netem_ns_to_ticks(im->delay_ns, ns_per_tick),
		.jitter = netem_ns_to_ticks(im->jitter_ns, ns_per_tick),
		.limit = impair_limit(im),
		.loss = im->loss_model == LOSS_RANDOM ? netem_prob_u32(im->loss) : 0,
		.gap = im->gap,
		.duplicate = netem_prob_u32(im->duplicate),
	};
	struct tc_netem_corr corr = {
		.delay_corr = netem_prob_u32(im->delay_corr),
		.loss_corr = netem_prob_u32(im->loss_corr),
		.dup_corr = netem_prob_u32(im->duplicate_corr),
	};
	struct tc_netem_reorder reorder = {
		.probability = netem_prob_u32(im->reorder),
		.correlation = netem_prob_u32(im->reorder_corr),
	};
	struct tc_netem_corrupt corrupt = {
		.probability = netem_prob_u32(im->corrupt),
		.correlation = netem_prob_u32(im->corrupt_corr),
	};
	uint64_t rate_Bps = im->rate_bps / 8;
	struct tc_netem_rate rate = { .rate = rate_Bps >= UINT32_MAX ? UINT32_MAX : (uint32_t)rate_Bps };
	int64_t lat64 = (int64_t)im->delay_ns, jit64 = (int64_t)im->jitter_ns;
	struct nlattr *opts;
	int r;

	/* TCA_OPTIONS is not a plain nest: struct tc_netem_qopt, then attributes, and the
	 * outer length covers both (see tc/q_netem.c). */
	opts = nla_reserve(m, TCA_OPTIONS, sizeof(qopt));
	if (!opts)
		return -NLE_NOMEM;
	memcpy(nla_data(opts), &qopt, sizeof(qopt));

	if ((r = nla_put(m, TCA_NETEM_CORR, sizeof(corr), &corr)) < 0 ||
	    (r = nla_put(m, TCA_NETEM_REORDER, sizeof(reorder), &reorder)) < 0 ||
	    (r = nla_put(m, TCA_NETEM_CORRUPT, sizeof(corrupt), &corrupt)) < 0 ||
	    (r = put_loss_model(m, im)) < 0 ||
	    (r = nla_put(m, TCA_NETEM_RATE, sizeof(rate), &rate)) < 0 ||
	    (r = nla_put_u32(m, TCA_NETEM_ECN, 0)) < 0 ||
	    (r = nla_put(m, TCA_NETEM_LATENCY64, sizeof(lat64), &lat64)) < 0 ||
	    (r = nla_put(m, TCA_NETEM_JITTER64, sizeof(jit64), &jit64)) < 0)
		return r;
	if (rate_Bps >= UINT32_MAX && (r = nla_put_u64(m, TCA_NETEM_RATE64, rate_Bps)) < 0)
		return r;
	if (dist && dist_n &&
	    (r = nla_put(m, TCA_NETEM_DELAY_DIST, (int)(dist_n * sizeof(*dist)), dist)) < 0)
		return r;
	if (im->has_seed && (r = nla_put_u64(m, TCA_NETEM_PRNG_SEED, im->seed)) < 0)
		return r;
	opts->nla_len = (uint16_t)((char *)nlmsg_tail(nlmsg_hdr(m)) - (char *)opts);
	return 0;
}

int netem_msg_build(int ifindex, const struct impair *im, uint32_t ns_per_tick,
		    const int16_t *dist, uint32_t dist_n, int flags, struct nl_msg **ret)
{
	struct tcmsg tc = {
		.tcm_family = AF_UNSPEC,
		.tcm_ifindex = ifindex,
		.tcm_handle = 0x10000u,  /* 1: */
		.tcm_parent = TC_H_ROOT,
	};
	struct nl_msg *m;
	int r;

	/* room for the largest distribution table plus headers */
	m = nlmsg_alloc_size(DIST_MAX * 2 + 4096);
	if (!m)
		return -ENOMEM;
	if (!nlmsg_put(m, NL_AUTO_PORT, NL_AUTO_SEQ, RTM_NEWQDISC, 0, flags) ||
	    nlmsg_append(m, &tc, sizeof(tc), NLMSG_ALIGNTO) < 0 ||
	    nla_put_string(m, TCA_KIND, "netem") < 0) {
		r = -ENOMEM;
		goto fail;
	}
	r = put_options(m, im, ns_per_tick, dist, dist_n);
	if (r < 0) {
		r = nl_to_errno(r);
		goto fail;
	}
	*ret = m;
	return 0;
fail:
	nlmsg_free(m);
	return r;
}

int netem_apply(struct nl_sock *sk, int ifindex, const struct impair *im)
{
	int16_t *dist = NULL;
	uint32_t dist_n = 0, ns_per_tick;
	struct nl_msg *m = NULL;
	int r;

	r = netem_ns_per_tick(&ns_per_tick);
	if (r < 0)
		return r; /* never guess: a wrong tick unit makes delays ~15x off */
	if (im->dist != DIST_UNIFORM) {
		r = netem_dist_load(im->dist, &dist, &dist_n);
		if (r < 0)
			goto out;
	}
	r = netem_msg_build(ifindex, im, ns_per_tick, dist, dist_n,
			    NLM_F_CREATE | NLM_F_REPLACE | NLM_F_REQUEST | NLM_F_ACK, &m);
	if (r < 0)
		goto out;
	r = nl_send_auto_complete(sk, m);
	if (r >= 0)
		r = nl_wait_for_ack(sk);
	r = nl_to_errno(r);
out:
	nlmsg_free(m);
	free(dist);
	return r < 0 ? r : 0;
}

int netem_remove(struct nl_sock *sk, int ifindex)
{
	struct tcmsg tc = {
		.tcm_family = AF_UNSPEC,
		.tcm_ifindex = ifindex,
		.tcm_parent = TC_H_ROOT,
	};
	struct nl_msg *m = nlmsg_alloc_simple(RTM_DELQDISC, NLM_F_REQUEST | NLM_F_ACK);
	int r;

	if (!m)
		return -ENOMEM;
	r = nlmsg_append(m, &tc, sizeof(tc), NLMSG_ALIGNTO);
	if (r >= 0)
		r = nl_send_auto_complete(sk, m);
	if (r >= 0)
		r = nl_wait_for_ack(sk);
	nlmsg_free(m);
	r = nl_to_errno(r);
	/* deleting the default root qdisc answers ENOENT/EINVAL: nothing to remove */
	return r == -EINVAL ? -ENOENT : (r < 0 ? r : 0);
}

int netem_stats(struct nl_sock *sk, int ifindex, uint64_t *ret_packets, uint64_t *ret_drops)
{
	struct nl_cache *cache = NULL;
	struct rtnl_qdisc *q;
	int r = nl_to_errno(rtnl_qdisc_alloc_cache(sk, &cache));

	if (r < 0)
		return r;
	q = rtnl_qdisc_get(cache, ifindex, 0x10000u); /* 1:, as netem_msg_build names it */
	if (!q || strcmp(rtnl_tc_get_kind(TC_CAST(q)) ? rtnl_tc_get_kind(TC_CAST(q)) : "", "netem")) {
		r = -ENOENT;
	} else {
		*ret_packets = rtnl_tc_get_stat(TC_CAST(q), RTNL_TC_PACKETS);
		*ret_drops = rtnl_tc_get_stat(TC_CAST(q), RTNL_TC_DROPS);
	}
	rtnl_qdisc_put(q);
	nl_cache_free(cache);
	return r;
}

struct seed_query {
	int ifindex;
	int found;
	uint64_t seed;
};

/* One RTM_NEWQDISC of the dump: the seed attribute of our netem, when the kernel sent one. */
static int seed_cb(struct nl_msg *msg, void *arg)
{
	struct seed_query *q = arg;
	struct nlmsghdr *nlh = nlmsg_hdr(msg);
	struct nlattr *tb[TCA_MAX + 1], *ntb[TCA_NETEM_PRNG_SEED + 1];
	struct tcmsg *tcm = nlmsg_data(nlh);
	int off = NLA_ALIGN(sizeof(struct tc_netem_qopt)), len;

	if (nlmsg_parse(nlh, sizeof(*tcm), tb, TCA_MAX, NULL) < 0 || tcm->tcm_ifindex != q->ifindex ||
	    tcm->tcm_handle != 0x10000u || !tb[TCA_KIND] || !tb[TCA_OPTIONS] ||
	    strcmp(nla_get_string(tb[TCA_KIND]), "netem"))
		return NL_OK;
	/* netem's options: struct tc_netem_qopt, then attributes (nla_nest_compat) */
	len = nla_len(tb[TCA_OPTIONS]) - off;
	if (len < 0 || nla_parse(ntb, TCA_NETEM_PRNG_SEED, (struct nlattr *)((char *)nla_data(tb[TCA_OPTIONS]) + off),
				 len, NULL) < 0)
		return NL_OK;
	if (ntb[TCA_NETEM_PRNG_SEED] && nla_len(ntb[TCA_NETEM_PRNG_SEED]) >= 8) {
		q->seed = nla_get_u64(ntb[TCA_NETEM_PRNG_SEED]);
		q->found = 1;
	}
	return NL_OK;
}

int netem_seed_get(struct nl_sock *sk, int ifindex, uint64_t *ret_seed)
{
	struct tcmsg tcm = { .tcm_family = AF_UNSPEC };
	struct seed_query q = { .ifindex = ifindex };
	struct nl_cb *saved = nl_socket_get_cb(sk), *cb = nl_cb_clone(saved);
	int r;

	if (!cb) {
		nl_cb_put(saved);
		return -ENOMEM;
	}
	nl_cb_set(cb, NL_CB_VALID, NL_CB_CUSTOM, seed_cb, &q);
	r = nl_send_simple(sk, RTM_GETQDISC, NLM_F_DUMP, &tcm, sizeof(tcm));
	if (r >= 0)
		r = nl_recvmsgs(sk, cb);
	nl_cb_put(cb);
	nl_cb_put(saved);
	if (r < 0)
		return nl_to_errno(r);
	if (!q.found)
		return -ENOENT;
	*ret_seed = q.seed;
	return 0;
}
