// SPDX-License-Identifier: MIT
/* Parsing and validation of link impairments; one table maps keys to setters. */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "netem/impair.h"
#include "units.h"

static int parse_fractions(const char *s, double *out, int min, int max, int *ret_n)
{
	char buf[256], *save = NULL, *tok;
	int n = 0;

	if (strlen(s) >= sizeof(buf))
		return -EINVAL;
	strcpy(buf, s);
	for (tok = strtok_r(buf, " /", &save); tok; tok = strtok_r(NULL, " /", &save)) {
		if (n == max || units_fraction(tok, &out[n]) < 0)
			return -EINVAL;
		n++;
	}
	if (n < min)
		return -EINVAL;
	*ret_n = n;
	return 0;
}

enum kind { K_TIME, K_FRACTION, K_RATE, K_U32, K_U64, K_DIST, K_GE, K_4STATE };

static const struct key {
	const char *name;
	enum kind kind;
	size_t off;
	const char *what;
} keys[] = {
#define F(m) offsetof(struct impair, m)
	{ "delay",          K_TIME,     F(delay_ns),       "one-way delay, e.g. 50ms" },
	{ "jitter",         K_TIME,     F(jitter_ns),      "delay variation, e.g. 10ms" },
	{ "delay_corr",     K_FRACTION, F(delay_corr),     "delay correlation, e.g. 25%" },
	{ "distribution",   K_DIST,     F(dist),           "uniform|normal|pareto|paretonormal" },
	{ "loss",           K_FRACTION, F(loss),           "random loss, e.g. 10% or 0.1" },
	{ "loss_corr",      K_FRACTION, F(loss_corr),      "loss correlation" },
	{ "loss_gemodel",   K_GE,       F(ge),             "Gilbert-Elliott: p[/r[/1-h[/1-k]]]" },
	{ "loss_state",     K_4STATE,   F(state4),         "4-state: p13[/p31[/p32[/p23[/p14]]]]" },
	{ "duplicate",      K_FRACTION, F(duplicate),      "duplication probability" },
	{ "duplicate_corr", K_FRACTION, F(duplicate_corr), "duplication correlation" },
	{ "corrupt",        K_FRACTION, F(corrupt),        "bit-error probability per packet" },
	{ "corrupt_corr",   K_FRACTION, F(corrupt_corr),   "corruption correlation" },
	{ "reorder",        K_FRACTION, F(reorder),        "probability of sending immediately" },
	{ "reorder_corr",   K_FRACTION, F(reorder_corr),   "reorder correlation" },
	{ "gap",            K_U32,      F(gap),            "reorder every gap-th packet" },
	{ "rate",           K_RATE,     F(rate_bps),       "rate limit, e.g. 10mbit" },
	{ "limit",          K_U32,      F(limit_pkts),     "queue limit in packets" },
	{ "seed",           K_U64,      F(seed),           "netem PRNG seed" },
#undef F
};

static const char *const dist_names[] = { "uniform", "normal", "pareto", "paretonormal" };

const char *impair_dist_name(enum impair_dist d)
{
	return (unsigned)d < 4 ? dist_names[d] : "?";
}

static int set_value(struct impair *im, const struct key *k, const char *v)
{
	char *p = (char *)im + k->off;
	uint64_t u;
	int n, r = -EINVAL;

	switch (k->kind) {
	case K_TIME:
		return units_time_ns(v, (uint64_t *)p);
	case K_FRACTION:
		return units_fraction(v, (double *)p);
	case K_RATE:
		return units_rate_bps(v, (uint64_t *)p);
	case K_U32:
		r = units_u64(v, 0, UINT32_MAX, &u);
		if (!r)
			*(uint32_t *)p = (uint32_t)u;
		return r;
	case K_U64:
		r = units_u64(v, 0, UINT64_MAX, &u);
		if (!r) {
			*(uint64_t *)p = u;
			im->has_seed = 1;
		}
		return r;
	case K_DIST:
		for (int i = 0; i < 4; i++)
			if (!strcasecmp(v, dist_names[i])) {
				im->dist = (enum impair_dist)i;
				return 0;
			}
		return -EINVAL;
	case K_GE: {
		/* tc's defaults: r = 1 - p, 1-h = 1, 1-k = 0 */
		double ge[4] = { 0, 0, 1, 0 };

		r = parse_fractions(v, ge, 1, 4, &n);
		if (r)
			return r;
		if (n < 2)
			ge[1] = 1 - ge[0];
		memcpy(im->ge, ge, sizeof(ge));
		im->loss_model = LOSS_GEMODEL;
		return 0;
	}
	case K_4STATE: {
		/* tc's defaults: p31 = 1 - p13, others 0 */
		double s4[5] = { 0 };

		r = parse_fractions(v, s4, 1, 5, &n);
		if (r)
			return r;
		if (n < 2)
			s4[1] = 1 - s4[0];
		memcpy(im->state4, s4, sizeof(s4));
		im->loss_model = LOSS_4STATE;
		return 0;
	}
	}
	return r;
}

const char *impair_key(size_t i, enum impair_value *ret_value, const char **ret_what)
{
	static const enum impair_value values[] = {
		[K_TIME] = IMPAIR_TIME, [K_FRACTION] = IMPAIR_FRACTION, [K_RATE] = IMPAIR_RATE,
		[K_U32] = IMPAIR_U32, [K_U64] = IMPAIR_U64, [K_DIST] = IMPAIR_DIST,
		[K_GE] = IMPAIR_FRACTIONS, [K_4STATE] = IMPAIR_FRACTIONS,
	};

	if (i >= sizeof(keys) / sizeof(keys[0]))
		return NULL;
	*ret_value = values[keys[i].kind];
	*ret_what = keys[i].what;
	return keys[i].name;
}

int impair_set(struct impair *im, const char *key, const char *value, char *err, size_t errlen)
{
	for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
		if (strcmp(key, keys[i].name))
			continue;
		if (set_value(im, &keys[i], value) < 0) {
			snprintf(err, errlen, "invalid %s '%s' (expected %s)", key, value, keys[i].what);
			return -EINVAL;
		}
		return 0;
	}
	size_t len = (size_t)snprintf(err, errlen, "unknown impairment '%s' (known:", key);

	for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]) && len < errlen; i++)
		len += (size_t)snprintf(err + len, errlen - len, " %s", keys[i].name);
	if (len < errlen)
		snprintf(err + len, errlen - len, ")");
	return -ENOENT;
}

int impair_validate(const struct impair *im, char *err, size_t errlen)
{
	if (im->loss_model != LOSS_RANDOM && im->loss > 0) {
		snprintf(err, errlen, "loss and %s are exclusive: netem has one loss model",
			 im->loss_model == LOSS_GEMODEL ? "loss_gemodel" : "loss_state");
		return -EINVAL;
	}
	if ((im->reorder > 0 || im->gap) && !im->delay_ns) {
		snprintf(err, errlen, "reorder needs a delay (netem reorders by sending some "
			 "packets without the delay)");
		return -EINVAL;
	}
	if (im->jitter_ns > im->delay_ns * 4 + 1 && im->dist != DIST_UNIFORM) {
		/* tables span about +-4 sigma; more jitter than that clamps at zero delay */
		snprintf(err, errlen, "jitter %.3f ms is more than 4x delay %.3f ms",
			 im->jitter_ns / 1e6, im->delay_ns / 1e6);
		return -EINVAL;
	}
	if (im->dist != DIST_UNIFORM && !im->jitter_ns) {
		snprintf(err, errlen, "distribution %s needs a jitter", impair_dist_name(im->dist));
		return -EINVAL;
	}
	return 0;
}

int impair_is_zero(const struct impair *im)
{
	static const struct impair zero;

	return !memcmp(im, &zero, sizeof(zero));
}

uint32_t impair_limit(const struct impair *im)
{
	double rate = im->rate_bps ? (double)im->rate_bps : 1e9;
	double bdp_pkts = rate / 8 * (im->delay_ns + im->jitter_ns) / 1e9 / 1500;
	double limit = ceil(1.5 * bdp_pkts);

	if (im->limit_pkts)
		return im->limit_pkts;
	if (limit < 1000)
		return 1000;
	return limit > 1e7 ? 10000000u : (uint32_t)limit;
}

int impair_spec_parse(const char *spec, char *node, size_t nodelen, int *ret_dirs,
		      struct impair *im, char *err, size_t errlen)
{
	char buf[1024], *dir, *kvs, *save = NULL, *kv;

	if (strlen(spec) >= sizeof(buf)) {
		snprintf(err, errlen, "impairment spec too long");
		return -EINVAL;
	}
	strcpy(buf, spec);
	dir = strchr(buf, ':');
	kvs = dir ? strchr(dir + 1, ':') : NULL;
	if (!dir || !kvs) {
		snprintf(err, errlen, "'%s': expected NODE:up|down|both:KEY=VALUE[,KEY=VALUE...]", spec);
		return -EINVAL;
	}
	*dir++ = 0;
	*kvs++ = 0;
	snprintf(node, nodelen, "%s", buf);
	if (!strcmp(dir, "up"))
		*ret_dirs = 1;
	else if (!strcmp(dir, "down"))
		*ret_dirs = 2;
	else if (!strcmp(dir, "both"))
		*ret_dirs = 3;
	else {
		snprintf(err, errlen, "'%s': direction '%s' is not up, down or both", spec, dir);
		return -EINVAL;
	}
	for (kv = strtok_r(kvs, ",", &save); kv; kv = strtok_r(NULL, ",", &save)) {
		char *eq = strchr(kv, '=');
		int r;

		if (!eq) {
			snprintf(err, errlen, "'%s': expected KEY=VALUE", kv);
			return -EINVAL;
		}
		*eq = 0;
		r = impair_set(im, kv, eq + 1, err, errlen);
		if (r < 0)
			return r;
	}
	return impair_validate(im, err, errlen);
}
