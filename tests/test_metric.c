// SPDX-License-Identifier: MIT
/* The metric registry: table, labels, reductions, run-time metrics, trial metrics all known. */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "models/record.h"
#include "plots/metric.h"
#include "plots/results.h"
#include "scenarios/trial.h"
#include "t.h"

static void table_sane(struct t *t)
{
	T_ASSERT(t, metric_count() > 40);
	for (size_t i = 0; i < metric_count(); i++) {
		const struct metric_def *d = metric_at(i);

		T_ASSERT(t, d && d->name && d->unit && d->label && *d->label);
		T_ASSERTF(t, strspn(d->name, "abcdefghijklmnopqrstuvwxyz0123456789_") == strlen(d->name),
			  "%s: not a metric name", d->name);
		T_ASSERTF(t, metric_find(d->name) == d, "%s: listed twice", d->name);
	}
	T_ASSERT(t, metric_at(metric_count()) == NULL);
	T_ASSERT(t, metric_find("no_such_metric") == NULL);
}

static void labels(struct t *t)
{
	char buf[160];

	metric_label("throughput_bps", NULL, buf, sizeof(buf));
	T_ASSERTF(t, !strcmp(buf, "throughput (bit/s)"), "%s", buf);
	metric_label("requests_per_s", NULL, buf, sizeof(buf));
	T_ASSERTF(t, !strcmp(buf, "requests answered (1/s)"), "%s", buf);
	metric_label("map50", NULL, buf, sizeof(buf));
	T_ASSERTF(t, !strcmp(buf, "mAP@0.5"), "%s", buf);
	/* outside the table: the suffix gives the unit, the rest the label */
	metric_label("delay_ms", NULL, buf, sizeof(buf));
	T_ASSERTF(t, !strcmp(buf, "delay (ms)"), "%s", buf);
	metric_label("queue_depth", NULL, buf, sizeof(buf));
	T_ASSERTF(t, !strcmp(buf, "queue depth"), "%s", buf);
	/* a run-time metric with its own unit */
	metric_label("frames_decoded", "frames", buf, sizeof(buf));
	T_ASSERTF(t, !strcmp(buf, "frames decoded (frames)"), "%s", buf);
	metric_label("energy_s", "J", buf, sizeof(buf));
	T_ASSERTF(t, !strcmp(buf, "energy (J)"), "%s", buf);
}

static void reduce(struct t *t)
{
	const double x[] = { 1, 2, 3, 4 };
	const double pairs[] = { 1, 10, 3, 10 };

	T_ASSERT(t, metric_reduce(METRIC_MEAN, x, 4, 0, 0) == 2.5);
	T_ASSERT(t, metric_reduce(METRIC_SUM, x, 4, 0, 0) == 10);
	T_ASSERT(t, metric_reduce(METRIC_RATE, x, 4, 0, 5) == 2);
	T_ASSERT(t, isnan(metric_reduce(METRIC_RATE, x, 4, 0, 0)));
	T_ASSERT(t, metric_reduce(METRIC_LAST, x, 4, 0, 0) == 4);
	T_ASSERT(t, metric_reduce(METRIC_QUANTILE, x, 4, 0.5, 0) == 2.5);
	T_ASSERT(t, metric_reduce(METRIC_RATIO, pairs, 4, 0, 0) == 0.2);
	T_ASSERT(t, isnan(metric_reduce(METRIC_MEAN, x, 0, 0, 0)));
	T_ASSERT(t, !strcmp(metric_agg_name(METRIC_RATE), "rate"));
}

/* A run-time metric: registered with a unit, kept through results.json, labelled by it;
 * an unregistered, unknown one still gets stats and its name as label. */
static void dynamic(struct t *t)
{
	const char *factors[] = { "loss" };
	const char *p0[] = { "0" };
	struct results_metric m[] = { { .name = "frames_decoded", .value = 3 },
				      { .name = "odd_thing", .value = 1 } };
	struct results *r = NULL, *back = NULL;
	char dir[] = "/tmp/qoslab-test-metric.XXXXXX", path[128], buf[160];
	long k;

	T_ASSERT(t, mkdtemp(dir) != NULL);
	T_ASSERT(t, results_new(factors, 1, &r) == 0);
	T_EQ_INT(t, results_register_metric(r, "frames_decoded", "frames"), 0);
	T_EQ_INT(t, results_register_metric(r, "loss", "x"), -EINVAL);
	T_EQ_INT(t, results_register_metric(r, "bad name", NULL), -EINVAL);
	T_EQ_INT(t, results_register_metric(r, "ctl", "a\nb"), -EINVAL);
	T_EQ_INT(t, results_n_metrics(r), 1);
	T_EQ_INT(t, results_add_trial(r, p0, 0, m, 2), 0);
	m[0].value = 5;
	T_EQ_INT(t, results_add_trial(r, p0, 1, m, 1), 0);
	T_EQ_INT(t, results_write_json(r, dir), 0);
	snprintf(path, sizeof(path), "%s/results.json", dir);
	T_EQ_INT(t, results_read_json(path, &back, NULL, 0), 0);
	k = results_metric_index(back, "frames_decoded");
	T_ASSERT(t, k >= 0);
	T_ASSERT(t, !strcmp(results_metric_unit(back, (size_t)k), "frames"));
	results_metric_label(back, (size_t)k, buf, sizeof(buf));
	T_ASSERTF(t, !strcmp(buf, "frames decoded (frames)"), "%s", buf);
	T_ASSERT(t, results_point_stats(back, 0, (size_t)k)->n == 2);
	T_ASSERT(t, results_point_stats(back, 0, (size_t)k)->mean == 4);
	k = results_metric_index(back, "odd_thing");
	T_ASSERT(t, k >= 0 && results_metric_unit(back, (size_t)k) == NULL);
	results_metric_label(back, (size_t)k, buf, sizeof(buf));
	T_ASSERTF(t, !strcmp(buf, "odd thing"), "%s", buf);
	results_free(r);
	results_free(back);
	unlink(path);
	rmdir(dir);
}

/* Every metric a trial computes from its records is in the table. */
static void trial_metrics_known(struct t *t)
{
	struct detection det = { .cls = 0, .name = "person", .conf = 0.9f, .box = { .5f, .5f, .2f, .2f } };
	struct record recs[3] = {
		{ .job = 1, .image = "a.jpg", .status = RECORD_OK, .t_submit = 10, .t_done = 10.5,
		  .bytes = 1000, .res = { .dets = &det, .n = 1, .t_infer_ms = 100 } },
		{ .job = 2, .image = "b.jpg", .status = RECORD_OK, .t_submit = 10.2, .t_done = 11,
		  .bytes = 1000, .res = { .t_infer_ms = 90 } },
		{ .job = 3, .image = "c.jpg", .status = RECORD_TIMEOUT, .t_submit = 10.4, .t_done = 12 },
	};
	struct trial_metrics m;
	char path[] = "/tmp/qoslab-test-metric.XXXXXX";
	FILE *f;
	int fd;

	fd = mkstemp(path);
	T_ASSERT(t, fd >= 0);
	f = fdopen(fd, "w");
	T_ASSERT(t, f != NULL);
	for (int i = 0; i < 3; i++)
		T_ASSERT(t, record_write(f, &recs[i]) == 0);
	fclose(f);
	T_EQ_INT(t, trial_metrics_from_records(path, NULL, "/tmp", 0, &m), 0);
	unlink(path);
	T_ASSERT(t, m.n >= 10);
	for (size_t i = 0; i < m.n; i++)
		T_ASSERTF(t, metric_find(m.m[i].name), "%s: not in plots/metric.c's table", m.m[i].name);
}

/* And every name scenarios/trial.c puts as a literal (the testbed's own metrics). */
static void trial_literals_known(struct t *t)
{
	FILE *f = fopen("scenarios/trial.c", "r");
	char line[512];
	int seen = 0;

	if (!f)
		T_SKIP(t, "scenarios/trial.c not here (run from the source tree)");
	while (fgets(line, sizeof(line), f)) {
		char *p = strstr(line, "put(");
		char name[80];

		if (!p || !(p = strchr(p, '"')) || sscanf(p + 1, "%79[a-z0-9_]\"", name) != 1)
			continue;
		seen++;
		if (!metric_find(name)) {
			fclose(f);
			T_ASSERTF(t, 0, "%s: not in plots/metric.c's table", name);
		}
	}
	fclose(f);
	T_ASSERT(t, seen >= 20);
}

int main(int argc, char **argv)
{
	static const struct t_case cases[] = {
		T_CASE(table_sane), T_CASE(labels), T_CASE(reduce), T_CASE(dynamic),
		T_CASE(trial_metrics_known), T_CASE(trial_literals_known), { NULL, NULL },
	};

	return t_main(cases, argc, argv);
}
