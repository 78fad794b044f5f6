/* SPDX-License-Identifier: MIT */
/* Impairment of one link direction: what netem is asked to do, in user units. */
#ifndef QOSLAB_IMPAIR_H
#define QOSLAB_IMPAIR_H
#include <stddef.h>
#include <stdint.h>

enum impair_dist { DIST_UNIFORM = 0, DIST_NORMAL, DIST_PARETO, DIST_PARETONORMAL };
enum impair_loss { LOSS_RANDOM = 0, LOSS_GEMODEL, LOSS_4STATE };

/*
 * Probabilities are fractions in [0, 1]. Delays are one-way, for the direction this
 * impairment is attached to. Gilbert-Elliott parameters follow tc(8): p, r, 1-h, 1-k.
 */
struct impair {
	uint64_t delay_ns, jitter_ns;
	double delay_corr;
	enum impair_dist dist;

	enum impair_loss loss_model;
	double loss, loss_corr;       /* LOSS_RANDOM */
	double ge[4];                 /* LOSS_GEMODEL: p, r, 1-h, 1-k */
	double state4[5];             /* LOSS_4STATE: p13, p31, p32, p23, p14 */

	double duplicate, duplicate_corr;
	double corrupt, corrupt_corr;
	double reorder, reorder_corr;
	uint32_t gap;

	uint64_t rate_bps;            /* 0: unlimited */
	uint32_t limit_pkts;          /* 0: sized from the bandwidth-delay product */
	uint64_t seed;                /* netem PRNG seed; meaningful when has_seed */
	int has_seed;
};

/* Sets one key ("delay", "loss", "rate", ...) from its text value;
 * Returns 0 or -EINVAL / -ENOENT (unknown key); err gets one line naming key and value. */
int impair_set(struct impair *im, const char *key, const char *value, char *err, size_t errlen);

/* What a key's value is, for descriptions of the format (the scenario JSON Schema). */
enum impair_value {
	IMPAIR_TIME,      /* units_time_ns: a bare number is ms */
	IMPAIR_FRACTION,  /* units_fraction */
	IMPAIR_RATE,      /* units_rate_bps: the unit is required */
	IMPAIR_U32,
	IMPAIR_U64,
	IMPAIR_DIST,      /* impair_dist_name(), any case */
	IMPAIR_FRACTIONS, /* fractions separated by '/' (loss_gemodel, loss_state) */
};

/* The i-th key impair_set knows (0-based), its kind of value and a short description; NULL
 * past the last one. */
const char *impair_key(size_t i, enum impair_value *ret_value, const char **ret_what);

/* Checks cross-field rules (reorder needs delay, ...). 0 or -EINVAL with err. */
int impair_validate(const struct impair *im, char *err, size_t errlen);

int impair_is_zero(const struct impair *im);
const char *impair_dist_name(enum impair_dist d);

/* The netem queue limit in packets: the configured one, or 1.5 x the bandwidth-delay
 * product in 1500-byte packets (1 Gbit/s assumed without a rate), at least 1000. */
uint32_t impair_limit(const struct impair *im);

/* "NODE:up|down|both:KEY=VALUE[,KEY=VALUE...]" (the command line's form): node name, a bit
 * mask of directions (1 up, 2 down) and the validated impairment. */
int impair_spec_parse(const char *spec, char *node, size_t nodelen, int *ret_dirs,
		      struct impair *im, char *err, size_t errlen);

#endif
