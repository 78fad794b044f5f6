// SPDX-License-Identifier: MIT
/*
 * Writes tests/data/report/results.json, the fixture of tests/test_report.sh, through the
 * results API as the trial runner would. Not built by make; to regenerate:
 *   cc -std=c11 -D_GNU_SOURCE -I. -o /tmp/make_fixture tests/data/report/make_fixture.c \
 *      build/libqoslab.a $(pkg-config --libs gsl jansson) -lm && /tmp/make_fixture tests/data/report
 * Content: factors workers {1,2,3} x loss {0,0.1,0.3} x transport {tcp,udp}, 3 repetitions,
 * 5 metrics from a fixed-seed generator; point (3, 0.3, tcp) has one repetition only (no
 * CI), failed_jobs is missing (null) in repetition 1 at loss 0.3.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "plots/results.h"

/* One LCG step (Knuth's MMIX constants): uniform in [0, 1). */
static double u(unsigned long long *s)
{
	*s = *s * 6364136223846793005ULL + 1442695040888963407ULL;
	return (double)(*s >> 11) / 9007199254740992.0;
}

static int trial(struct results *r, unsigned long long *s, int rep, int i, int j, int k)
{
	static const char *const w[] = { "1", "2", "3" }, *const l[] = { "0", "0.1", "0.3" },
			  *const t[] = { "tcp", "udp" };
	const char *pt[] = { w[i], l[j], t[k] };
	double W = atof(w[i]), L = atof(l[j]), ips, lat, map, failed;

	ips = 5.5 * W * (1 - L * (k ? 0.3 : 1.5)) * (1 + 0.08 * (u(s) - 0.5));
	if (ips < 0.2)
		ips = 0.2 + 0.1 * u(s);
	lat = 0.18 / (1 - L * 0.9) * (1 + 0.2 * u(s));
	map = k ? 0.279 * (1 - 1.6 * L) * (1 + 0.05 * (u(s) - 0.5)) : 0.279 * (1 + 0.01 * (u(s) - 0.5));
	failed = (j == 2 && rep == 1) ? NAN : floor(3 * u(s) + L * 10 * u(s));

	const struct results_metric m[] = {
		{ "throughput_bps", ips * 160000 * 8 },
		{ "requests_per_s", ips },
		{ "latency_p95_s", lat },
		{ "map50", map },
		{ "failed_jobs", failed },
	};
	return results_add_trial(r, pt, (unsigned)rep, m, 5);
}

int main(int argc, char **argv)
{
	const char *fac[] = { "workers", "loss", "transport" };
	unsigned long long s = 42;
	struct results *r = NULL;
	int e;

	if (results_new(fac, 3, &r))
		return 1;
	results_set_meta(r, "scenario", "fixture: workers x loss x transport");
	results_set_meta(r, "started", "2026-11-22T10:00:00Z");
	for (int rep = 0; rep < 3; rep++)
		for (int i = 0; i < 3; i++)
			for (int j = 0; j < 3; j++)
				for (int k = 0; k < 2; k++) {
					if (rep > 0 && i == 2 && j == 2 && k == 0)
						continue; /* one repetition only: no CI */
					if (trial(r, &s, rep, i, j, k) < 0) {
						results_free(r);
						return 2;
					}
				}
	e = results_write_json(r, argc > 1 ? argv[1] : ".");
	results_free(r);
	if (e < 0) {
		fprintf(stderr, "make_fixture: writing results.json: error %d\n", e);
		return 3;
	}
	return 0;
}
