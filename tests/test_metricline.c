// SPDX-License-Identifier: MIT
/* Metric lines (scenarios/metricline.c): aggregation per key, prefix, what is skipped, and
 * the errors that name file and line. Real files, no kernel. */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "scenarios/metricline.h"
#include "tests/t.h"

static char path[64];

static int write_lines(const char *text)
{
	int fd;
	FILE *f;

	snprintf(path, sizeof(path), "/tmp/qoslab-metricline.XXXXXX");
	fd = mkstemp(path);
	if (fd < 0 || !(f = fdopen(fd, "w")))
		return -1;
	fputs(text, f);
	return fclose(f);
}

static const struct metricline_value *find(const struct metricline_value *v, size_t n,
					   const char *name)
{
	for (size_t i = 0; i < n; i++)
		if (!strcmp(v[i].name, name))
			return &v[i];
	return NULL;
}

static const char *const lines =
	"{\"goodput_bps\": 1e6, \"rtt_ms\": 10, \"up\": true, \"label\": \"x\", \"n\": null}\n"
	"\n"
	"{\"goodput_bps\": 3e6, \"rtt_ms\": 30, \"up\": false, \"nested\": {\"a\": 1}}\n"
	"  \n"
	"{\"rtt_ms\": 20}\n";

static void aggregates(struct t *t)
{
	static const struct { enum scenario_aggregate agg; double goodput, rtt; } want[] = {
		{ SCENARIO_AGG_MEAN, 2e6, 20 }, { SCENARIO_AGG_LAST, 3e6, 20 },
		{ SCENARIO_AGG_MIN, 1e6, 10 }, { SCENARIO_AGG_MAX, 3e6, 30 },
		{ SCENARIO_AGG_SUM, 4e6, 60 }, { SCENARIO_AGG_MEDIAN, 2e6, 20 },
	};
	struct metricline_value v[METRICLINE_KEYS_MAX];
	char err[256];
	size_t n;

	T_ASSERT(t, write_lines(lines) == 0);
	for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		const struct metricline_value *g, *r, *u;

		T_ASSERTF(t, metricline_read(path, "p_", want[i].agg, v, &n, err, sizeof(err)) == 0,
			  "%s", err);
		/* strings, null and objects are skipped; booleans count as 1/0 */
		T_EQ_INT(t, n, 3);
		T_ASSERT(t, !strcmp(v[0].name, "p_goodput_bps") && !strcmp(v[1].name, "p_rtt_ms"));
		g = find(v, n, "p_goodput_bps");
		r = find(v, n, "p_rtt_ms");
		u = find(v, n, "p_up");
		T_ASSERT(t, g && r && u && g->samples == 2 && r->samples == 3 && u->samples == 2);
		T_ASSERTF(t, fabs(g->value - want[i].goodput) < 1e-6 && fabs(r->value - want[i].rtt) < 1e-9,
			  "aggregate %d: %g %g", (int)want[i].agg, g->value, r->value);
	}
	unlink(path);
}

static void missing_file_is_empty(struct t *t)
{
	struct metricline_value v[METRICLINE_KEYS_MAX];
	char err[256];
	size_t n = 99;

	T_ASSERT(t, metricline_read("/nonexistent/m.jsonl", NULL, SCENARIO_AGG_MEAN, v, &n, err,
				    sizeof(err)) == 0 && n == 0);
}

static void errors_name_the_line(struct t *t)
{
	static const struct { const char *text, *says; int r; } bad[] = {
		{ "{\"a\": 1}\nnot json\n", ":2: not a JSON object", -EINVAL },
		{ "[1, 2]\n", ":1: not a JSON object", -EINVAL },
		{ "{\"a b\": 1}\n", ":1: 'a b' is not a metric name", -EINVAL },
		{ "{\"rep\": 1}\n", "'rep' is not a metric name", -EINVAL },
		{ "{\"a\": 1, \"a\": 2}\n", ":1: not a JSON object", -EINVAL },
	};
	struct metricline_value v[METRICLINE_KEYS_MAX];
	char err[256], many[4096];
	size_t n, len = 0;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		T_ASSERT(t, write_lines(bad[i].text) == 0);
		int r = metricline_read(path, NULL, SCENARIO_AGG_MEAN, v, &n, err, sizeof(err));

		if (r != bad[i].r || !strstr(err, bad[i].says) || strncmp(err, path, strlen(path)))
			T_FAIL(t, "%s: r = %d, err \"%s\", expected \"%s\"", bad[i].text, r, err, bad[i].says);
		unlink(path);
	}
	/* more keys than a command may give */
	len += (size_t)snprintf(many + len, sizeof(many) - len, "{");
	for (int k = 0; k <= METRICLINE_KEYS_MAX; k++)
		len += (size_t)snprintf(many + len, sizeof(many) - len, "%s\"m%d\": %d", k ? ", " : "", k, k);
	snprintf(many + len, sizeof(many) - len, "}\n");
	T_ASSERT(t, write_lines(many) == 0);
	T_EQ_INT(t, metricline_read(path, NULL, SCENARIO_AGG_MEAN, v, &n, err, sizeof(err)), -E2BIG);
	unlink(path);
}

int main(int argc, char **argv)
{
	static const struct t_case cases[] = {
		T_CASE(aggregates),
		T_CASE(missing_file_is_empty),
		T_CASE(errors_name_the_line),
		{ 0 }
	};

	return t_main(cases, argc, argv);
}
