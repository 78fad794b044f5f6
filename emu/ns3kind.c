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

/*
 * A timeline `set` on a running link: what ns-3 can change in place (ns3link_set). The
 * value is parsed as in params, into a copy of them, so the same words and ranges hold.
 */
static int settable(const struct ns3params *base, int station, const char *key, const char *value,
		    struct ns3params *ret, char *err, size_t len)
{
	int wifi = base->channel == NS3LINK_WIFI;

	*ret = *base;
	if (!strcmp(key, "distance") ? !wifi || !station :
	    (strcmp(key, "delay") && strcmp(key, "rate") && strcmp(key, "loss")) || wifi ||
	    station >= 0) {
		snprintf(err, len, "'%s' cannot change on a running %s %s (it can: %s)", key,
			 wifi ? "wifi" : base->channel == NS3LINK_CSMA ? "csma" : "p2p",
			 station >= 0 ? "station" : "link",
			 station == 0 ? "nothing, the first station is the hub" :
			 wifi ? "distance" : station >= 0 ? "nothing" : "delay, rate, loss");
		return -EINVAL;
	}
	return param_set(ret, key, value, err, len);
}

static int ns3_param_check(const char *params, int station, const char *key, const char *value,
			   char *err, size_t len)
{
	struct ns3params p, q;
	int r = params_parse(params, &p, err, len);

	return r < 0 ? r : settable(&p, station, key, value, &q, err, len);
}

static int ns3_param_set(void *priv, const char *key, const char *value)
{
	struct ns3kind *k = priv;
	struct ns3params q;
	char err[160];
	int r = settable(&k->p, -1, key, value, &q, err, sizeof(err));

	if (r < 0)
		return r;
	if (!strcmp(key, "distance"))
		r = ns3link_set(k->link, 1, NS3LINK_DISTANCE_M, q.distance_m);
	else if (!strcmp(key, "delay"))
		r = ns3link_set(k->link, -1, NS3LINK_DELAY_US, (double)q.delay_ns / 1000.0);
	else
		for (int d = 0; d < 2 && r >= 0; d++) {
			if (!strcmp(key, "loss"))
				r = ns3link_set(k->link, d, NS3LINK_ERROR_RATE, q.loss);
			else if (k->p.channel == NS3LINK_P2P || !d)
				r = ns3link_set(k->link, k->p.channel == NS3LINK_P2P ? d : -1,
						NS3LINK_RATE_BPS, (double)q.rate_bps);
		}
	if (r >= 0)
		k->p = q;
	return r;
}

const struct link_kind link_kind_ns3 = {
	.name = "ns3", .params_check = ns3_params_check, .create = ns3_create,
	.impair = ns3_impair, .stats = ns3_stats, .set_up = ns3_set_up, .check = ns3_check,
	.destroy = ns3_destroy, .param_check = ns3_param_check, .param_set = ns3_param_set,
};

/* ---- the ns3 switch: one channel, every node linked to it a station ---- */

struct ns3switch;

struct ns3station {
	struct ns3switch *sw;
	int dev;
};

struct ns3switch {
	struct ns3link *link;
	struct ns3params p;
	struct ns3station st[NS3LINK_MAX_ENDPOINTS];
};

static int sw_params_check(const char *params, int stations, char *err, size_t len)
{
	struct ns3params p;
	int r = params_parse(params, &p, err, len);

	if (r < 0)
		return r;
	if (p.channel == NS3LINK_P2P) {
		snprintf(err, len, "params: channel: a switch is a shared channel, csma or wifi "
			 "(p2p joins two nodes: a node-node link of kind ns3)");
		return -EINVAL;
	}
	if (p.distance_m > 0) {
		snprintf(err, len, "params: distance is a station's: it goes on the link to the switch");
		return -EINVAL;
	}
	if (stations < 2 || stations > NS3LINK_MAX_ENDPOINTS) {
		snprintf(err, len, "%d stations linked to it: an ns3 switch takes 2..%d", stations,
			 NS3LINK_MAX_ENDPOINTS);
		return -EINVAL;
	}
	return 0;
}

/* A station's own parameter is its distance (wifi, not the hub); the rest is the channel's. */
static int station_parse(const char *sw_params, int station, const char *params, double *ret_m,
			 char *err, size_t len)
{
	struct ns3params sp, p;
	int r = params_parse(sw_params, &sp, err, len);

	if (r < 0)
		return r;
	if (!*params) {
		*ret_m = 0;
		return 0;
	}
	r = params_parse(params, &p, err, len);
	if (r < 0)
		return r;
	if (strncmp(params, "distance=", 9) || strchr(params, ',') ||
	    sp.channel != NS3LINK_WIFI || !station) {
		snprintf(err, len, "a station of an ns3 switch takes only distance, on wifi, and "
			 "not the first station (the hub at the origin); the channel's params go "
			 "on the switch");
		return -EINVAL;
	}
	*ret_m = p.distance_m;
	return 0;
}

static int station_check(const char *sw_params, int station, const char *params, char *err,
			 size_t len)
{
	double m;

	return station_parse(sw_params, station, params, &m, err, len);
}

static int sw_create(const struct link_kind_ctx *ctx, const struct link_end_ctx *ends,
		     const char *const *station_params, int n, void **ret_priv)
{
	struct ns3link_endpoint eps[NS3LINK_MAX_ENDPOINTS] = { { 0 } };
	struct ns3link_config cfg;
	struct ns3switch *w = NULL;
	char err[200];
	int r;

	if (n < 2 || n > NS3LINK_MAX_ENDPOINTS)
		return -EINVAL;
	w = calloc(1, sizeof(*w));
	if (!w)
		return -ENOMEM;
	r = params_parse(ctx->params, &w->p, err, sizeof(err));
	for (int i = 0; i < n && r >= 0; i++) {
		const uint8_t mac[6] = { 0x02, 0x54, 0, (uint8_t)ctx->link, 0, (uint8_t)(i + 1) };

		eps[i].ns_fd = ends[i].ns_fd;
		eps[i].ifname = ends[i].ifname;
		memcpy(eps[i].mac, mac, 6);
		r = station_parse(ctx->params, i, station_params[i], &eps[i].distance_m, err,
				  sizeof(err));
		w->st[i] = (struct ns3station){ .sw = w, .dev = i };
	}
	if (r < 0)
		goto out;
	cfg = (struct ns3link_config){
		.channel = w->p.channel, .rate_bps = w->p.rate_bps, .delay_us = w->p.delay_ns / 1000,
		.queue_packets = w->p.queue, .error_rate = w->p.loss,
		.standard = w->p.standard[0] ? w->p.standard : NULL,
		.wifi_rate = w->p.wifi_rate[0] ? w->p.wifi_rate : NULL,
		.exponent = w->p.exponent, .nakagami = w->p.nakagami,
		/* its own stream, apart from every link's (those multiply link + 1 < 65536) */
		.seed = (ctx->seed ^ (0x9e3779b97f4a7c15ull * (uint64_t)(0x10000 + ctx->link))) | 1,
		.hard_limit_ms = w->p.hard_limit_ms,
	};
	r = ns3link_new(&cfg, eps, (unsigned int)n, &w->link);
	if (r < 0)
		goto out;
	*ret_priv = w;
	return 0;
out:
	free(w);
	return r;
}

static void *sw_station_priv(void *priv, int station)
{
	struct ns3switch *w = priv;

	return &w->st[station];
}

static void sw_destroy(void *priv)
{
	struct ns3switch *w = priv;

	if (!w)
		return;
	ns3link_free(w->link, NULL);
	free(w);
}

static int st_params_check(const char *params, char *err, size_t len)
{
	(void)params;
	snprintf(err, len, "a station is made by its switch");
	return -EINVAL;
}

static int st_create(const struct link_kind_ctx *ctx, const struct link_end_ctx *a,
		     const struct link_end_ctx *b, void **ret_priv)
{
	(void)ctx, (void)a, (void)b, (void)ret_priv;
	return -EOPNOTSUPP; /* sw_create made it */
}

static int st_impair(const struct link_end_ctx *end, void *priv, const struct impair *old,
		     const struct impair *im)
{
	(void)end, (void)priv, (void)old;
	/* loss and delay come from the radio or the channel's params: scenarios refuse them */
	return impair_is_zero(im) ? 0 : -EOPNOTSUPP;
}

static int st_stats(const struct link_end_ctx *end, void *priv, struct link_stats *ret)
{
	struct ns3station *st = priv;

	(void)end;
	return ns3link_dev_stats(st->sw->link, (unsigned int)st->dev, ret);
}

static int st_set_up(const struct link_end_ctx *a, const struct link_end_ctx *b, void *priv, int up)
{
	(void)b, (void)priv;
	/* b is the channel: no interface of its own */
	return link_set_up(a->sk, a->ifindex, up);
}

static int st_check(void *priv)
{
	struct ns3station *st = priv;
	int r = ns3link_check(st->sw->link);

	return r == 0 || r == -NS3LINK_EBEHIND ? r : -EPIPE;
}

static void st_destroy(void *priv)
{
	(void)priv; /* sw_destroy ends the channel */
}

static int st_param_check(const char *sw_params, int station, const char *key, const char *value,
			  char *err, size_t len)
{
	return ns3_param_check(sw_params, station, key, value, err, len);
}

static int st_param_set(void *priv, const char *key, const char *value)
{
	struct ns3station *st = priv;
	struct ns3params q;
	char err[160];
	int r = settable(&st->sw->p, st->dev, key, value, &q, err, sizeof(err));

	return r < 0 ? r : ns3link_set(st->sw->link, st->dev, NS3LINK_DISTANCE_M, q.distance_m);
}

static const struct link_kind ns3_station = {
	.name = "ns3", .params_check = st_params_check, .create = st_create,
	.impair = st_impair, .stats = st_stats, .set_up = st_set_up, .check = st_check,
	.destroy = st_destroy, .param_check = st_param_check, .param_set = st_param_set,
};

const struct switch_kind switch_kind_ns3 = {
	.name = "ns3", .params_check = sw_params_check, .station_check = station_check,
	.create = sw_create, .station = &ns3_station, .station_priv = sw_station_priv,
	.destroy = sw_destroy,
};
