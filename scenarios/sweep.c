// SPDX-License-Identifier: MIT
/* Trials of a scenario: sweep points x repeats, shuffled from the seed; per-trial seeds. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "scenarios/sweep.h"

#define GOLDEN_GAMMA 0x9e3779b97f4a7c15ULL

uint64_t scenario_mix64(uint64_t z)
{
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

/* splitmix64: the state advances by the golden gamma, the output is the mix of it. */
static uint64_t splitmix64_next(uint64_t *state)
{
	*state += GOLDEN_GAMMA;
	return scenario_mix64(*state);
}

/* Uniform in [0, n), n >= 1: rejection keeps it exactly uniform. */
static uint64_t uniform_below(uint64_t *state, uint64_t n)
{
	uint64_t limit = UINT64_MAX - UINT64_MAX % n, x;

	do
		x = splitmix64_next(state);
	while (x >= limit);
	return x % n;
}

uint64_t scenario_trial_seed(uint64_t scenario_seed, size_t point, int rep)
{
	return scenario_mix64(scenario_mix64(scenario_mix64(scenario_seed) ^ (uint64_t)point) ^
			      (uint64_t)rep);
}

uint64_t scenario_seed_of(const struct scenario *sc, size_t point, int rep)
{
	return scenario_trial_seed(sc->seed, sc->paired ? 0 : point, rep);
}

uint64_t scenario_seed_for(uint64_t trial_seed, const char *purpose)
{
	uint64_t h = 0xcbf29ce484222325ULL; /* FNV-1a 64 */

	for (const unsigned char *p = (const unsigned char *)purpose; *p; p++)
		h = (h ^ *p) * 0x100000001b3ULL;
	return scenario_mix64(trial_seed ^ h);
}

size_t scenario_point_value(const struct scenario *sc, size_t point, size_t f)
{
	size_t stride = 1;

	for (size_t g = f + 1; g < sc->n_factors; g++)
		stride *= sc->factors[g].n_values;
	return point / stride % sc->factors[f].n_values;
}

int scenario_trials(const struct scenario *sc, struct scenario_trial **ret_trials, size_t *ret_n)
{
	size_t n = sc->n_points * (size_t)sc->repeats, nf = sc->n_factors;
	struct scenario_trial *t;
	const char **strs;
	uint64_t state;

	/* one block: the trials, then 2 * nf string pointers per point (values, levels) */
	t = calloc(1, n * sizeof(*t) + sc->n_points * 2 * nf * sizeof(*strs) + 1);
	if (!t)
		return -ENOMEM;
	strs = (const char **)(t + n);
	for (size_t p = 0; p < sc->n_points; p++)
		for (size_t f = 0; f < nf; f++) {
			size_t v = scenario_point_value(sc, p, f);

			strs[p * 2 * nf + f] = sc->factors[f].values[v];
			strs[p * 2 * nf + nf + f] = sc->factors[f].levels[v];
		}
	for (size_t i = 0; i < n; i++) {
		size_t p = i / (size_t)sc->repeats;

		t[i].point = p;
		t[i].rep = (int)(i % (size_t)sc->repeats);
		t[i].seed = scenario_seed_of(sc, p, t[i].rep);
		t[i].values = strs + p * 2 * nf;
		t[i].levels = strs + p * 2 * nf + nf;
	}
	/* Fisher-Yates from a stream of its own, so the order does not share draws with the
	 * trial seeds */
	state = scenario_seed_for(sc->seed, "trial order");
	for (size_t i = n; i > 1; i--) {
		size_t j = (size_t)uniform_below(&state, i);
		struct scenario_trial tmp = t[i - 1];

		t[i - 1] = t[j];
		t[j] = tmp;
	}
	for (size_t i = 0; i < n; i++)
		t[i].order = i;
	*ret_trials = t;
	*ret_n = n;
	return 0;
}

void scenario_trials_free(struct scenario_trial *trials)
{
	free(trials);
}
