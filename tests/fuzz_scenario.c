// SPDX-License-Identifier: MIT
/* libFuzzer target: scenario_load_text on arbitrary text, then trials and one resolve. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "scenarios/scenario.h"
#include "scenarios/sweep.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct scenario *sc = NULL, *res = NULL;
	struct scenario_trial *trials = NULL;
	char err[SCENARIO_ERR_MAX];
	char *text = malloc(size + 1);
	size_t n = 0;

	if (!text)
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';
	if (scenario_load_text("/tmp/fuzz.yaml", text, &sc, err, sizeof(err)) == 0 &&
	    scenario_trials(sc, &trials, &n) == 0 && n > 0 &&
	    scenario_resolve(sc, &trials[n - 1], &res, err, sizeof(err)) != 0)
		abort(); /* every point was validated at load: a resolve cannot fail */
	scenario_free(res);
	scenario_trials_free(trials);
	scenario_free(sc);
	free(text);
	return 0;
}
