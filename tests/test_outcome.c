// SPDX-License-Identifier: MIT
/* Trial outcome files: what a trial process writes is what the run merges; pending and
 * failed trials are named in the results, never silently missing. No kernel involved. */
#include <errno.h>
#include <ftw.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "plots/results.h"
#include "scenarios/outcome.h"
#include "scenarios/scenario.h"
#include "scenarios/sweep.h"
#include "tests/t.h"

static const char *const yaml =
	"seed: 3\nrepeats: 2\nlinks:\n  - {node: workers, delay: 0ms}\n"
	"sweep:\n  - {key: \"links[0].delay\", values: [0ms, 40ms]}\n";

static int rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st; (void)flag; (void)ftw;
	return remove(path);
}

struct fixture {
	char dir[64], path[128];
	struct scenario *sc;
	struct scenario_trial *tr;
	size_t n;
	struct results *res;
};

static int setup(struct fixture *x)
{
	char err[SCENARIO_ERR_MAX], trials[160];
	FILE *f;

	snprintf(x->dir, sizeof(x->dir), "/tmp/qoslab-outcome.XXXXXX");
	if (!mkdtemp(x->dir))
		return -errno;
	snprintf(x->path, sizeof(x->path), "%s/s.yaml", x->dir);
	snprintf(trials, sizeof(trials), "%s/trials", x->dir);
	mkdir(trials, 0755);
	if (!(f = fopen(x->path, "we")))
		return -errno;
	fputs(yaml, f);
	fclose(f);
	if (scenario_load(x->path, &x->sc, err, sizeof(err)) < 0) {
		fprintf(stderr, "%s\n", err);
		return -EINVAL;
	}
	if (scenario_trials(x->sc, &x->tr, &x->n) < 0)
		return -ENOMEM;
	return results_new(x->sc->factor_names, x->sc->n_factors, &x->res);
}

static void teardown(struct fixture *x)
{
	results_free(x->res);
	scenario_trials_free(x->tr);
	scenario_free(x->sc);
	if (x->dir[0])
		nftw(x->dir, rm_entry, 8, FTW_DEPTH | FTW_PHYS);
}

static void ok_failed_pending(struct t *t)
{
	struct fixture x = { .dir = "" };
	struct trial_metrics m = { .n = 2 };
	struct outcome o = { .status = OUTCOME_OK, .wall_s = 3.5 }, back;
	size_t added = 0, missing = 0;
	char err[512] = "", name[64];
	const char *meta;

	m.m[0] = (struct results_metric){ "goodput_per_s", 2.5 };
	m.m[1] = (struct results_metric){ "latency_p50_s", NAN };
	T_ASSERT(t, setup(&x) == 0);
	T_EQ_INT(t, x.n, 4);
	snprintf(o.summary, sizeof(o.summary), "3/3 ok");
	T_ASSERT(t, outcome_write(x.dir, x.sc, &x.tr[0], &o, &m) == 0);
	o = (struct outcome){ .status = OUTCOME_FAILED, .wall_s = NAN };
	snprintf(o.error, sizeof(o.error), "the workers did not register");
	T_ASSERT(t, outcome_write(x.dir, x.sc, &x.tr[1], &o, NULL) == 0);
	o = (struct outcome){ .status = OUTCOME_PENDING, .wall_s = NAN };
	T_ASSERT(t, outcome_write(x.dir, x.sc, &x.tr[2], &o, NULL) == 0);
	/* trial 3 began (its directory exists) and left no outcome: killed */
	{
		char d[256];

		outcome_trial_name(&x.tr[3], name, sizeof(name));
		snprintf(d, sizeof(d), "%s/trials/%s", x.dir, name);
		T_ASSERT(t, mkdir(d, 0755) == 0);
	}

	outcome_trial_name(&x.tr[0], name, sizeof(name));
	T_ASSERT(t, outcome_peek(x.dir, name, &back) == 0);
	T_ASSERT(t, back.status == OUTCOME_OK && back.rep == x.tr[0].rep && back.point == x.tr[0].point);
	T_ASSERT(t, back.wall_s == 3.5 && !strcmp(back.summary, "3/3 ok"));

	T_ASSERTF(t, outcome_merge_all(x.dir, x.res, &added, &missing, err, sizeof(err)) == 0, "%s", err);
	T_EQ_INT(t, added, 1);
	T_EQ_INT(t, missing, 3);
	T_ASSERT(t, results_n_trials(x.res) == 1);
	T_ASSERT(t, results_has_trial(x.res, x.tr[0].levels, (unsigned)x.tr[0].rep));
	T_ASSERT(t, isnan(results_trial_value(x.res, 0, (size_t)results_metric_index(x.res, "latency_p50_s"))));
	meta = results_meta(x.res, "trials_missing");
	T_ASSERTF(t, meta && !strncmp(meta, "3: ", 3) && strstr(meta, "failed: the workers did not register") &&
		  strstr(meta, ": pending") && strstr(meta, "failed: no outcome.json"), "%s", meta ? meta : "(none)");
	/* merging again adds nothing twice */
	T_ASSERT(t, outcome_merge_all(x.dir, x.res, &added, &missing, err, sizeof(err)) == 0);
	T_EQ_INT(t, added, 0);
	T_EQ_INT(t, results_n_trials(x.res), 1);
	teardown(&x);
}

static void malformed_is_an_error(struct t *t)
{
	struct fixture x = { .dir = "" };
	struct outcome o;
	char path[256], err[512] = "";
	FILE *f;

	T_ASSERT(t, setup(&x) == 0);
	snprintf(path, sizeof(path), "%s/trials/000-p0-r0", x.dir);
	mkdir(path, 0755);
	snprintf(path, sizeof(path), "%s/trials/000-p0-r0/" OUTCOME_FILE, x.dir);
	T_ASSERT(t, (f = fopen(path, "we")) != NULL);
	fputs("{\"format\": \"qoslab-trial\", \"rep\": 0, \"status\": \"ok\", \"factors\": [\"other\"], "
	      "\"levels\": [\"1\"], \"metrics\": {}}", f);
	fclose(f);
	T_EQ_INT(t, outcome_merge(x.dir, "000-p0-r0", x.res, &o, err, sizeof(err)), -EINVAL);
	T_ASSERTF(t, strstr(err, "factors"), "%s", err);
	T_EQ_INT(t, outcome_merge(x.dir, "no-such", x.res, &o, err, sizeof(err)), -ENOENT);
	teardown(&x);
}

int main(int argc, char **argv)
{
	static const struct t_case cases[] = {
		T_CASE(ok_failed_pending),
		T_CASE(malformed_is_an_error),
		{ 0 }
	};

	return t_main(cases, argc, argv);
}
