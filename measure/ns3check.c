// SPDX-License-Identifier: MIT
/* ns-3 point-to-point fidelity: one link, three settings in turn, probes through it. */
#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "emu/netns.h"
#include "emu/ns3link.h"
#include "measure/ns3check.h"
#include "measure/probe.h"

/* what netem's check configures, so that the two kinds of link are judged alike */
#define DELAY_MS 20.0
#define LOSS 0.10
#define RATE_BPS 10e6
/* Fewer and slower than netem's 4000 every 250 us: inside UML the prober's poll loop and the
 * simulator share the guest's one CPU, and the sender spins between probes less than 1 ms
 * apart; ns-3 then fell behind by more than a second. The interval stays 99.9 % binomial. */
#define LOSS_PROBES 2000
#define LOSS_INTERVAL_US 1000

static int measure(struct ns3link *l, const struct probe_end *a, const struct probe_end *b,
		   struct ns3check_result *res)
{
	struct probe_result pr = { 0 };
	struct ns3link_stats s0, s1;
	double med, sd;
	int r;

	/* delay: one-way, both ends on this kernel's clock */
	if ((r = probe_udp_ends(a, b, 0, 200, 5000, 300, &pr)) < 0 ||
	    (r = probe_stats(pr.owd_ns, pr.count, &med, &sd)) < 0)
		goto out;
	res->delay_median_ms = med / 1e6;
	probe_result_clear(&pr);

	/* loss on b's receive side, as its error model counted it */
	if ((r = ns3link_set(l, 1, NS3LINK_ERROR_RATE, LOSS)) < 0 || (r = ns3link_stats(l, &s0)) < 0 ||
	    (r = probe_udp_ends(a, b, 0, LOSS_PROBES, LOSS_INTERVAL_US, 300, &pr)) < 0 || (r = ns3link_stats(l, &s1)) < 0)
		goto out;
	res->loss_drops = s1.dev[1].error_drops - s0.dev[1].error_drops;
	res->loss_frames = s1.dev[1].received - s0.dev[1].received + res->loss_drops;
	res->probes_missing = pr.lost_fwd;
	probe_result_clear(&pr);

	/* rate a -> b: a's device sends at it */
	if ((r = ns3link_set(l, 1, NS3LINK_ERROR_RATE, 0)) < 0 ||
	    (r = ns3link_set(l, 0, NS3LINK_RATE_BPS, RATE_BPS)) < 0 ||
	    (r = probe_tcp_rate_ends(a, b, 3.0, 1.0, &res->rate_measured_bps)) < 0)
		goto out;
out:
	probe_result_clear(&pr);
	return r;
}

int ns3check_run(unsigned int hard_limit_ms, struct ns3check_result *ret)
{
	struct ns3link_config cfg = { .channel = NS3LINK_P2P, .rate_bps = 100000000,
				      .delay_us = (uint64_t)(DELAY_MS * 1000), .seed = 1,
				      .hard_limit_ms = hard_limit_ms };
	struct ns3link_endpoint eps[2] = {
		{ .ifname = "ns3c-1", .cidr = "10.79.0.1/24" },
		{ .ifname = "ns3c-2", .cidr = "10.79.0.2/24" },
	};
	struct ns3check_result res = { .delay_ms = DELAY_MS, .loss = LOSS, .rate_bps = RATE_BPS };
	struct ns3link *l = NULL;
	int ns[2] = { -1, -1 }, r, r2;

	for (int i = 0; i < 2; i++) {
		r = netns_new_anonymous(&ns[i]);
		if (r < 0)
			goto out;
		eps[i].ns_fd = ns[i];
	}
	r = ns3link_new(&cfg, eps, 2, &l);
	if (r < 0)
		goto out;
	struct probe_end a = { ns[0], "10.79.0.1" }, b = { ns[1], "10.79.0.2" };

	r = measure(l, &a, &b, &res);
out:
	/* a simulator that fell behind at any point invalidates every figure it gave */
	r2 = ns3link_free(l, NULL);
	if (r2 == -NS3LINK_EBEHIND || (!r && r2 < 0))
		r = r2;
	for (int i = 0; i < 2; i++)
		if (ns[i] >= 0)
			close(ns[i]);
	if (!r)
		*ret = res;
	return r;
}
