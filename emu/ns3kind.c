// SPDX-License-Identifier: MIT
/*
 * The ns3 link kind: the two node ends of a topology link joined by an ns-3 channel
 * (emu/ns3link.c) instead of a veth pair. A direction's netem-style impairment maps onto the
 * channel (delay, rate, random loss), so scenarios' links:, sweeps and timeline impairments
 * work unchanged; what netem has no word for comes from the link's params.
 */
#include <errno.h>
#include <math.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>

#include "units.h"
#include "emu/linkkind.h"
#include "emu/netns.h"
#include "emu/ns3link.h"
#include "emu/topology.h"
#include "emu/uml.h"

/* Inside UML the simulator shares the guest's one CPU with the workload and its timers are
 * the host's signals: measured lateness there reaches several hundred ms on a busy host
 * (DESIGN.md, ns-3 links), so the default tolerance is larger; a run beyond it still fails. */
#define HARD_LIMIT_HOST_MS 100
#define HARD_LIMIT_UML_MS 1000

struct ns3params {
	enum ns3link_channel channel;
	uint64_t rate_bps, delay_ns;
	unsigned int queue;
	double loss, distance_m, exponent;
	int nakagami;
	char standard[8], wifi_rate[48];
	unsigned int hard_limit_ms;
};

struct ns3kind {
	struct ns3link *link;
	struct ns3params p;
	int a_ns, a_ifindex;      /* end a is device 0, b device 1 */
};

static int bad(char *err, size_t len, const char *key, const char *value, const char *what)
{
	snprintf(err, len, "%s=%s: %s", key, value, what);
	return -EINVAL;
}

/* One key=value into p; err names it. */
static int param_set(struct ns3params *p, const char *key, const char *v, char *err, size_t len)
{
	uint64_t ns;
	double d;
	long n;

	if (!strcmp(key, "channel")) {
		if (ns3link_channel_parse(v, &p->channel) < 0)
			return bad(err, len, key, v, "p2p, csma or wifi");
	} else if (!strcmp(key, "rate")) {
		if (units_rate_bps(v, &p->rate_bps) < 0 || !p->rate_bps)
			return bad(err, len, key, v, "a rate with a unit (10mbit)");
	} else if (!strcmp(key, "delay")) {
		if (units_time_ns(v, &ns) < 0)
			return bad(err, len, key, v, "a duration (10ms)");
		p->delay_ns = ns;
	} else if (!strcmp(key, "queue")) {
		if (units_long(v, 1, 1000000, &n) < 0)
			return bad(err, len, key, v, "packets, 1..1000000");
		p->queue = (unsigned int)n;
	} else if (!strcmp(key, "loss")) {
		if (units_fraction(v, &p->loss) < 0)
			return bad(err, len, key, v, "a fraction (0.01 or 1%)");
	} else if (!strcmp(key, "distance")) {
		char num[32];
		size_t l = strlen(v);

		/* "30m" or "30": metres either way */
		snprintf(num, sizeof(num), "%.*s", (int)(l && v[l - 1] == 'm' ? l - 1 : l), v);
		if (units_double(num, 0, 100000, &p->distance_m) < 0)
			return bad(err, len, key, v, "metres, 0..100000 (30m)");
	} else if (!strcmp(key, "exponent")) {
		if (units_double(v, 1, 6, &d) < 0)
			return bad(err, len, key, v, "a path-loss exponent, 1..6");
		p->exponent = d;
	} else if (!strcmp(key, "fading")) {
		if (strcmp(v, "nakagami") && strcmp(v, "none"))
			return bad(err, len, key, v, "nakagami or none");
		p->nakagami = !strcmp(v, "nakagami");
	} else if (!strcmp(key, "standard")) {
		if (strcmp(v, "a") && strcmp(v, "b") && strcmp(v, "g") && strcmp(v, "n") && strcmp(v, "ac"))
			return bad(err, len, key, v, "a, b, g, n or ac");
		snprintf(p->standard, sizeof(p->standard), "%s", v);
	} else if (!strcmp(key, "wifi_rate")) {
		if (strlen(v) >= sizeof(p->wifi_rate) || strspn(v, "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
			"abcdefghijklmnopqrstuvwxyz0123456789_") != strlen(v))
			return bad(err, len, key, v, "minstrel or an ns-3 mode (OfdmRate12Mbps)");
		snprintf(p->wifi_rate, sizeof(p->wifi_rate), "%s", v);
	} else if (!strcmp(key, "hard_limit")) {
		if (units_time_ns(v, &ns) < 0 || ns < 1000000 || ns > 600000000000ull)
			return bad(err, len, key, v, "a duration, 1ms..600s");
		p->hard_limit_ms = (unsigned int)(ns / 1000000);
	} else {
		snprintf(err, len, "unknown key '%s' (known: channel, rate, delay, queue, loss, "
			 "distance, exponent, fading, standard, wifi_rate, hard_limit)", key);
		return -EINVAL;
	}
	return 0;
}

/* "key=value,..." with the defaults of a p2p link. */
static int params_parse(const char *text, struct ns3params *p, char *err, size_t len)
{
	char buf[TOPO_PARAMS_MAX], *save = NULL, *item;
	int r = 0;

	*p = (struct ns3params){ .channel = NS3LINK_P2P, .rate_bps = 100000000, .queue = 100,
				 .hard_limit_ms = uml_inside() ? HARD_LIMIT_UML_MS : HARD_LIMIT_HOST_MS };
	if (strlen(text) >= sizeof(buf)) {
		snprintf(err, len, "longer than %zu bytes", sizeof(buf) - 1);
		return -EINVAL;
	}
	snprintf(buf, sizeof(buf), "%s", text);
	for (item = strtok_r(buf, ",", &save); item && !r; item = strtok_r(NULL, ",", &save)) {
		char *eq = strchr(item, '=');

		item += strspn(item, " ");
		if (!eq) {
			snprintf(err, len, "'%s': key=value expected", item);
			return -EINVAL;
		}
		*eq = '\0';
		r = param_set(p, item, eq + 1, err, len);
	}
	if (!r && p->channel == NS3LINK_WIFI && (p->delay_ns || p->loss > 0)) {
		snprintf(err, len, "delay and loss are p2p's and csma's: on wifi they come from the "
			 "radio (distance, exponent, fading)");
		r = -EINVAL;
	}
	return r;
}

static int ns3_params_check(const char *params, char *err, size_t errlen)
{
	struct ns3params p;

	return params_parse(params, &p, err, errlen);
}

static int ifindex_in(int ns_fd, const char *name)
{
	int saved, r, idx;

	r = netns_enter(ns_fd, &saved);
	if (r < 0)
		return r;
	idx = (int)if_nametoindex(name);
	r = idx ? idx : -errno;
	if (netns_leave(saved) < 0)
		return -EIO;
	return r;
}

/* p2p carries no ARP: each end learns the other's MAC here, before the testbed adds the
 * addresses (testbed_pin_neighbours later pins the same). */
static int pin_peer(const struct link_end_ctx *e, const struct link_end_ctx *peer, const uint8_t mac[6])
{
	struct in_addr in = { htonl(peer->addr) };
	char ip[INET_ADDRSTRLEN];

	inet_ntop(AF_INET, &in, ip, sizeof(ip));
	return link_neigh_pin(e->sk, e->ifindex, ip, mac);
}

static int ns3_create(const struct link_kind_ctx *ctx, const struct link_end_ctx *a,
		      const struct link_end_ctx *b, void **ret_priv)
{
	struct ns3link_endpoint eps[2] = { { 0 } };
	struct ns3link_config cfg = { 0 };
	struct ns3kind *k = NULL;
	char err[200];
	int r;

	/* a tap cannot be given the fixed ifindex of a bridge port, and p2p and ad hoc Wi-Fi
	 * cannot be bridged (no SendFrom in ns-3 3.37): node-node links only */
	if (a->master || b->master)
		return -EOPNOTSUPP;
	k = calloc(1, sizeof(*k));
	if (!k)
		return -ENOMEM;
	r = params_parse(ctx->params, &k->p, err, sizeof(err));
	if (r < 0)
		goto out;
	for (int i = 0; i < 2; i++) {
		const struct link_end_ctx *e = i ? b : a;
		const uint8_t mac[6] = { 0x02, 0x53, (uint8_t)(ctx->link >> 8), (uint8_t)ctx->link, 0,
					 (uint8_t)(i + 1) };

		eps[i].ns_fd = e->ns_fd;
		eps[i].ifname = e->ifname;
		memcpy(eps[i].mac, mac, 6);
	}
	eps[1].distance_m = k->p.distance_m;
	cfg = (struct ns3link_config){
		.channel = k->p.channel, .rate_bps = k->p.rate_bps, .delay_us = k->p.delay_ns / 1000,
		.queue_packets = k->p.queue, .error_rate = k->p.loss,
		.standard = k->p.standard[0] ? k->p.standard : NULL,
		.wifi_rate = k->p.wifi_rate[0] ? k->p.wifi_rate : NULL,
		.exponent = k->p.exponent, .nakagami = k->p.nakagami,
		/* one stream per link, the trial's seed behind all of them */
		.seed = (ctx->seed ^ (0x9e3779b97f4a7c15ull * (uint64_t)(ctx->link + 1))) | 1,
		.hard_limit_ms = k->p.hard_limit_ms,
	};
	r = ns3link_new(&cfg, eps, 2, &k->link);
	if (r < 0)
		goto out;
	/* the testbed addresses, routes and captures the interface by the index it planned */
	for (int i = 0; i < 2 && r >= 0; i++) {
		const struct link_end_ctx *e = i ? b : a;

		r = ifindex_in(e->ns_fd, e->ifname);
		if (r >= 0 && r != e->ifindex)
			r = -EADDRINUSE;
	}
	if (r >= 0)
		r = pin_peer(a, b, eps[1].mac);
	if (r >= 0)
		r = pin_peer(b, a, eps[0].mac);
	if (r < 0)
		goto out;
	k->a_ns = a->ns_fd;
	k->a_ifindex = a->ifindex;
	*ret_priv = k;
	return 0;
out:
	if (k)
		ns3link_free(k->link, NULL);
	free(k);
	return r;
}

static int dev_of(const struct ns3kind *k, const struct link_end_ctx *end)
{
	return end->ns_fd == k->a_ns && end->ifindex == k->a_ifindex ? 0 : 1;
}

/* What ns-3's channels can do of netem's: a constant delay, a rate, independent loss. */
static int expressible(const struct impair *im)
{
	return !im->jitter_ns && !im->delay_corr && im->loss_model == LOSS_RANDOM &&
	       !im->loss_corr && !im->duplicate && !im->corrupt && !im->reorder && !im->gap;
}

/*
 * A direction's impairment on the channel: traffic leaving end goes out of its device
 * (rate: p2p's per device, csma's the channel's) and is lost by the other device's receive
 * error model. The delay is the channel's, one value for both directions: the one set
 * last wins. Zero values fall back to the link's params.
 */
static int ns3_impair(const struct link_end_ctx *end, void *priv, const struct impair *old,
		      const struct impair *im)
{
	struct ns3kind *k = priv;
	int tx = dev_of(k, end), whole = k->p.channel == NS3LINK_CSMA;
	double delay_us = (double)(k->p.delay_ns + im->delay_ns) / 1000.0;
	uint64_t rate = im->rate_bps ? im->rate_bps : k->p.rate_bps;
	double loss = im->loss > 0 ? im->loss : k->p.loss;
	int r;

	(void)old;
	if (!expressible(im))
		return -EOPNOTSUPP;
	if (k->p.channel == NS3LINK_WIFI)
		return impair_is_zero(im) ? 0 : -EOPNOTSUPP;
	if ((r = ns3link_set(k->link, -1, NS3LINK_DELAY_US, delay_us)) < 0 ||
	    (r = ns3link_set(k->link, whole ? -1 : tx, NS3LINK_RATE_BPS, (double)rate)) < 0)
		return r;
	return ns3link_set(k->link, 1 - tx, NS3LINK_ERROR_RATE, loss);
}

static int ns3_stats(const struct link_end_ctx *end, void *priv, struct link_stats *ret)
{
	struct ns3kind *k = priv;

	return ns3link_dev_stats(k->link, (unsigned int)dev_of(k, end), ret);
}

static int ns3_set_up(const struct link_end_ctx *a, const struct link_end_ctx *b, void *priv, int up)
{
	int r;

	(void)priv;
	/* a tap's carrier does not follow its peer's: both ends */
	r = link_set_up(a->sk, a->ifindex, up);
	return r < 0 ? r : link_set_up(b->sk, b->ifindex, up);
}

static int ns3_check(void *priv)
{
	struct ns3kind *k = priv;
	int r = ns3link_check(k->link);

	return r == 0 || r == -NS3LINK_EBEHIND ? r : -EPIPE;
}

static void ns3_destroy(void *priv)
{
	struct ns3kind *k = priv;

	if (!k)
		return;
	ns3link_free(k->link, NULL);
	free(k);
}

const struct link_kind link_kind_ns3 = {
	.name = "ns3", .params_check = ns3_params_check, .create = ns3_create,
	.impair = ns3_impair, .stats = ns3_stats, .set_up = ns3_set_up, .check = ns3_check,
	.destroy = ns3_destroy,
};
