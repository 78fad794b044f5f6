/* SPDX-License-Identifier: MIT */
/* Trial expansion of a scenario's sweep: points x repeats in a seeded order, seeds per trial. */
#ifndef QOSLAB_SWEEP_H
#define QOSLAB_SWEEP_H
#include <stddef.h>
#include <stdint.h>

#include "scenarios/scenario.h"

/*
 * One run of one sweep point. Points are numbered in mixed radix over the factors, the
 * first factor varying slowest (point p gives factor f the value index
 * (p / prod(n_values[f+1..])) % n_values[f]).
 */
struct scenario_trial {
	size_t order;             /* position in the run order, 0 .. n-1 */
	size_t point;             /* 0 .. n_points-1 */
	int rep;                  /* 0 .. repeats-1 */
	uint64_t seed;            /* scenario_seed_of(sc, point, rep) */
	const char *const *values; /* [n_factors] as written in the sweep (owned by the scenario) */
	const char *const *levels; /* [n_factors] for results_add_trial (owned by the scenario) */
};

/*
 * Every trial (n_points x repeats), in run order: a Fisher-Yates shuffle driven by a
 * splitmix64 stream seeded with sc->seed, so the order depends on the seed only.
 * *ret_trials is one allocation (scenario_trials_free); valid while sc lives.
 * Returns 0 or -ENOMEM.
 */
int scenario_trials(const struct scenario *sc, struct scenario_trial **ret_trials, size_t *ret_n);
void scenario_trials_free(struct scenario_trial *trials);

/* The value index of factor f at sweep point p (mixed radix, factor 0 slowest). */
size_t scenario_point_value(const struct scenario *sc, size_t point, size_t f);

/* splitmix64's output function (Steele, Lea, Flood 2014): a bijection on 64 bits. */
uint64_t scenario_mix64(uint64_t x);

/* mix(mix(mix(seed) ^ point) ^ rep), with mix = scenario_mix64: distinct for distinct
 * (point, rep) of one scenario seed, and unrelated across scenario seeds. */
uint64_t scenario_trial_seed(uint64_t scenario_seed, size_t point, int rep);

/*
 * The seed of trial (point, rep) of sc: with sc->paired (the default) the same for every
 * point, scenario_trial_seed(sc->seed, 0, rep), so that repetition r sees the same images
 * in the same order, the same losses where netem honours seeds and the same failure times
 * at every point (common random numbers: differences between points come from the
 * factors); with paired: false scenario_trial_seed(sc->seed, point, rep), independent draws.
 */
uint64_t scenario_seed_of(const struct scenario *sc, size_t point, int rep);

/* A seed for one use inside a trial, e.g. "netem worker-1 up", "failures", "jobs":
 * mix(trial_seed ^ fnv1a64(purpose)). Different purposes give unrelated streams. */
uint64_t scenario_seed_for(uint64_t trial_seed, const char *purpose);
#endif
