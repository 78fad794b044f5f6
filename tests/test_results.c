// SPDX-License-Identifier: MIT
/* Tests of plots/results: trials in, per-point stats out, CSV and JSON files, round trip. */
#include <dirent.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "plots/results.h"
#include "tests/t.h"

#define T_NEAR(t, a, b) do { double _a = (a), _b = (b); if (!(fabs(_a - _b) <= 1e-9)) { \
	T_FAIL(t, "%s == %.17g, expected %s == %.17g", #a, _a, #b, _b); return; } } while (0)

/* A temporary directory, removed with its files by tmpdir_rm. */
static char *tmpdir_new(void)
{
	char tmpl[] = "/tmp/qoslab-test-results.XXXXXX";
	char *d = mkdtemp(tmpl);

	return d ? strdup(d) : NULL;
}

static size_t dir_count(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	size_t n = 0;

	if (!d)
		return 0;
	while ((e = readdir(d)))
		n += strcmp(e->d_name, ".") && strcmp(e->d_name, "..");
	closedir(d);
	return n;
}

static void tmpdir_rm(char *dir)
{
	DIR *d;
	struct dirent *e;
	char path[4096];

	if (!dir)
		return;
	d = opendir(dir);
	while (d && (e = readdir(d))) {
		if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
		unlink(path);
	}
	if (d)
		closedir(d);
	rmdir(dir);
	free(dir);
}

/* Reads a whole file into a malloc'ed string (NULL on failure). */
static char *slurp(const char *dir, const char *name)
{
	char path[4096], *buf = NULL;
	size_t len = 0;
	FILE *f, *m;
	int c;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "re");
	if (!f)
		return NULL;
	m = open_memstream(&buf, &len);
	while (m && (c = fgetc(f)) != EOF)
		fputc(c, m);
	if (m)
		fclose(m);
	fclose(f);
	return buf;
}

static size_t count_lines(const char *s)
{
	size_t n = 0;

	for (; s && *s; s++)
		n += *s == '\n';
	return n;
}

static const char *const factors[] = { "workers", "transport" };

/*
 * 4 x 2 points, 3 repetitions, added in a shuffled order. throughput_bps of trial
 * (w, tr, rep) = 1000 w + (tr == udp ? 100 : 0) + rep: at each point the reps give
 * {b, b+1, b+2}: mean b + 1, sd 1, sem 1/sqrt(3). latency_p95_s is measured only by rep 0.
 */
static int fill(struct results *r)
{
	static const char *const w[] = { "3", "1", "10", "2" };
	static const char *const tr[] = { "udp", "tcp" };
	static const unsigned reps[] = { 2, 0, 1 };

	for (size_t k = 0; k < 3; k++)
		for (size_t i = 0; i < 4; i++)
			for (size_t j = 0; j < 2; j++) {
				const char *point[] = { w[i], tr[j] };
				double b = 1000 * atof(w[i]) + (j == 0 ? 100 : 0);
				struct results_metric m[] = {
					{ "throughput_bps", b + reps[k] },
					{ "latency_p95_s", reps[k] == 0 ? 0.25 : NAN },
				};
				int e = results_add_trial(r, point, reps[k], m, 2);

				if (e < 0)
					return e;
			}
	return 0;
}

static void aggregate_points(struct t *t)
{
	struct results *r = NULL;
	const struct stats *s;
	size_t want[] = { 3, 1 }; /* workers 10 (after 1, 2, 3: by number, not text), udp */
	long p;

	T_EQ_INT(t, results_new(factors, 2, &r), 0);
	T_EQ_INT(t, fill(r), 0);
	T_EQ_INT(t, results_aggregate(r), 0);
	T_EQ_INT(t, results_n_trials(r), 24);
	T_EQ_INT(t, results_n_points(r), 8);
	T_EQ_INT(t, results_n_metrics(r), 2);
	T_ASSERT(t, results_factor_numeric(r, 0));
	T_ASSERT(t, !results_factor_numeric(r, 1));
	T_ASSERT(t, !strcmp(results_level(r, 0, 0), "1"));
	T_ASSERT(t, !strcmp(results_level(r, 0, 3), "10"));
	T_ASSERT(t, !strcmp(results_level(r, 1, 0), "tcp"));
	T_NEAR(t, results_level_value(r, 0, 3), 10.0);
	T_ASSERT(t, isnan(results_level_value(r, 1, 0)));
	/* points sorted factor by factor: (1,tcp) (1,udp) (2,tcp) ... */
	T_EQ_INT(t, results_point_level(r, 1, 0), 0);
	T_EQ_INT(t, results_point_level(r, 1, 1), 1);
	p = results_find_point(r, want);
	T_EQ_INT(t, p, 7);
	s = results_point_stats(r, (size_t)p, (size_t)results_metric_index(r, "throughput_bps"));
	T_ASSERT(t, s);
	/* {10100, 10101, 10102}: mean 10101, sd 1, CI 10101 -/+ 4.302652729749464/sqrt(3) */
	T_EQ_INT(t, s->n, 3);
	T_NEAR(t, s->mean, 10101.0);
	T_NEAR(t, s->sd, 1.0);
	T_NEAR(t, s->ci_lo, 10101.0 - 4.302652729749464 / sqrt(3.0));
	T_NEAR(t, s->ci_hi, 10101.0 + 4.302652729749464 / sqrt(3.0));
	/* measured by one rep only: n = 1, CI undefined */
	s = results_point_stats(r, 0, (size_t)results_metric_index(r, "latency_p95_s"));
	T_EQ_INT(t, s->n, 1);
	T_NEAR(t, s->mean, 0.25);
	T_ASSERT(t, isnan(s->ci_lo) && isnan(s->ci_hi));
	T_ASSERT(t, !results_point_stats(r, 8, 0));
	results_free(r);
}

static void reject_bad_trials(struct t *t)
{
	struct results *r = NULL;
	const char *const ok[] = { "1", "tcp" };
	const char *const ctl[] = { "1", "tc\np" };
	const char *const empty[] = { "", "tcp" };
	const struct results_metric m[] = { { "throughput_bps", 1.0 } };
	const struct results_metric rep2[] = { { "x_s", 1.0 }, { "x_s", 2.0 } };
	const struct results_metric inf[] = { { "y_s", INFINITY } };
	const struct results_metric badname[] = { { "a b", 1.0 } };
	const struct results_metric clash[] = { { "workers", 1.0 } };
	const struct results_metric newm[] = { { "new_metric", 1.0 } };
	const char *const newpoint[] = { "7", "tcp" };
	const char *const dup_factors[] = { "a", "a" };
	const char *const rep_factor[] = { "rep" };

	T_EQ_INT(t, results_new(dup_factors, 2, &r), -EINVAL);
	T_EQ_INT(t, results_new(rep_factor, 1, &r), -EINVAL);
	T_EQ_INT(t, results_new(factors, 2, &r), 0);
	T_EQ_INT(t, results_add_trial(r, ok, 0, m, 1), 0);
	T_ASSERT(t, results_has_trial(r, ok, 0));
	T_ASSERT(t, !results_has_trial(r, ok, 1));
	T_EQ_INT(t, results_add_trial(r, ok, 0, newm, 1), -EEXIST);
	T_EQ_INT(t, results_add_trial(r, newpoint, 0, rep2, 2), -EINVAL);
	T_EQ_INT(t, results_add_trial(r, newpoint, 0, inf, 1), -EINVAL);
	T_EQ_INT(t, results_add_trial(r, newpoint, 0, badname, 1), -EINVAL);
	T_EQ_INT(t, results_add_trial(r, newpoint, 0, clash, 1), -EINVAL);
	T_EQ_INT(t, results_add_trial(r, ctl, 0, m, 1), -EINVAL);
	T_EQ_INT(t, results_add_trial(r, empty, 0, m, 1), -EINVAL);
	/* nothing changed */
	T_EQ_INT(t, results_n_trials(r), 1);
	T_EQ_INT(t, results_n_metrics(r), 1);
	T_EQ_INT(t, results_n_levels(r, 0), 1);
	results_free(r);
	results_free(NULL);
}

static void no_factors(struct t *t)
{
	struct results *r = NULL;

	T_EQ_INT(t, results_new(NULL, 0, &r), 0);
	for (unsigned rep = 0; rep < 3; rep++) {
		const struct results_metric m[] = { { "f1", 0.25 * rep } };

		T_EQ_INT(t, results_add_trial(r, NULL, rep, m, 1), 0);
	}
	T_EQ_INT(t, results_aggregate(r), 0);
	T_EQ_INT(t, results_n_points(r), 1);
	T_EQ_INT(t, results_point_stats(r, 0, 0)->n, 3);
	T_NEAR(t, results_point_stats(r, 0, 0)->mean, 0.25);
	results_free(r);
}

static int same_double(double a, double b)
{
	return (isnan(a) && isnan(b)) || a == b;
}

/* Writes results.json, reads it back: same factors, levels, metrics, meta, trials (bit
 * for bit) and stats; writing the copy gives the same bytes. */
static void json_round_trip(struct t *t)
{
	struct results *r = NULL, *back = NULL;
	char *dir = tmpdir_new(), *dir2 = tmpdir_new(), *a = NULL, *b = NULL;
	char err[256] = "", path[4096];
	const char *const odd[] = { "0.1", "a \"quoted\", <odd> level" };
	const struct results_metric m[] = { { "throughput_bps", 1.0 / 3.0 } };

	T_ASSERT(t, dir && dir2);
	T_EQ_INT(t, results_new(factors, 2, &r), 0);
	T_EQ_INT(t, fill(r), 0);
	T_EQ_INT(t, results_add_trial(r, odd, 0, m, 1), 0);
	T_EQ_INT(t, results_set_meta(r, "scenario", "loss sweep"), 0);
	T_EQ_INT(t, results_set_meta(r, "scenario", "default"), 0);
	T_EQ_INT(t, results_write_json(r, dir), 0);
	T_EQ_INT(t, dir_count(dir), 1); /* no temporary file left */
	snprintf(path, sizeof(path), "%s/results.json", dir);
	T_ASSERTF(t, results_read_json(path, &back, err, sizeof(err)) == 0, "read: %s", err);
	T_ASSERT(t, !strcmp(results_meta(back, "scenario"), "default"));
	T_EQ_INT(t, results_n_meta(back), 1);
	T_EQ_INT(t, results_n_factors(back), 2);
	T_EQ_INT(t, results_n_levels(back, 0), 5);
	T_EQ_INT(t, results_n_levels(back, 1), 3);
	T_ASSERT(t, !strcmp(results_level(back, 0, 0), "0.1"));
	T_ASSERT(t, !strcmp(results_level(back, 1, 0), "a \"quoted\", <odd> level"));
	T_EQ_INT(t, results_n_metrics(back), results_n_metrics(r));
	T_EQ_INT(t, results_n_trials(back), results_n_trials(r));
	T_EQ_INT(t, results_n_points(back), results_n_points(r));
	for (size_t i = 0; i < results_n_trials(r); i++) {
		T_EQ_INT(t, results_trial_rep(back, i), results_trial_rep(r, i));
		for (size_t f = 0; f < 2; f++)
			T_ASSERT(t, !strcmp(results_trial_level(back, i, f), results_trial_level(r, i, f)));
		for (size_t k = 0; k < results_n_metrics(r); k++)
			T_ASSERT(t, same_double(results_trial_value(back, i, k), results_trial_value(r, i, k)));
	}
	for (size_t p = 0; p < results_n_points(r); p++)
		for (size_t k = 0; k < results_n_metrics(r); k++) {
			const struct stats *x = results_point_stats(r, p, k), *y = results_point_stats(back, p, k);

			T_EQ_INT(t, x->n, y->n);
			T_ASSERT(t, same_double(x->mean, y->mean) && same_double(x->ci_lo, y->ci_lo) &&
				    same_double(x->ci_hi, y->ci_hi) && same_double(x->sd, y->sd));
		}
	T_EQ_INT(t, results_write_json(back, dir2), 0);
	a = slurp(dir, "results.json");
	b = slurp(dir2, "results.json");
	T_ASSERT(t, a && b && !strcmp(a, b));
	T_ASSERT(t, strstr(a, "\"ci_lo\": null")); /* n = 1: null, not 0 */
	free(a);
	free(b);
	results_free(r);
	results_free(back);
	tmpdir_rm(dir);
	tmpdir_rm(dir2);
}

static void csv_files(struct t *t)
{
	struct results *r = NULL;
	char *dir = tmpdir_new(), *pts = NULL, *trs = NULL, *nl;
	const char *const comma[] = { "4", "x,y" };
	const struct results_metric m[] = { { "throughput_bps", 5.0 } };
	size_t cols = 1;

	T_ASSERT(t, dir);
	T_EQ_INT(t, results_new(factors, 2, &r), 0);
	T_EQ_INT(t, fill(r), 0);
	T_EQ_INT(t, results_add_trial(r, comma, 0, m, 1), 0);
	T_EQ_INT(t, results_write_csv(r, dir), 0);
	T_EQ_INT(t, dir_count(dir), 2);
	pts = slurp(dir, "results.csv");
	trs = slurp(dir, "trials.csv");
	T_ASSERT(t, pts && trs);
	/* 9 points (8 + the "x,y" one) plus the header; 25 trials plus the header */
	T_EQ_INT(t, count_lines(pts), 10);
	T_EQ_INT(t, count_lines(trs), 26);
	T_ASSERT(t, !strncmp(trs, "workers,transport,rep,throughput_bps,latency_p95_s\r\n", 52));
	T_ASSERT(t, !strncmp(pts, "workers,transport,throughput_bps.n,throughput_bps.mean,throughput_bps.sd,"
			     "throughput_bps.sem,throughput_bps.ci_half,throughput_bps.ci_lo,"
			     "throughput_bps.ci_hi,throughput_bps.min,throughput_bps.max,latency_p95_s.n,", 200));
	nl = strchr(pts, '\n');
	for (char *c = pts; c < nl; c++)
		cols += *c == ',';
	T_EQ_INT(t, cols, 2 + 9 * 2);
	/* first trial row: workers 3, udp, rep 2, 3102, latency missing -> empty */
	T_ASSERT(t, strstr(trs, "\r\n3,udp,2,3102,\r\n"));
	T_ASSERT(t, strstr(trs, "\r\n4,\"x,y\",0,5,\r\n"));
	/* point (4, "x,y"): one trial -> n 1, mean 5, sd/sem/CI empty, min = max = 5 */
	T_ASSERT(t, strstr(pts, "\r\n4,\"x,y\",1,5,,,,,,5,5,0,,,,,,,,\r\n"));
	free(pts);
	free(trs);
	results_free(r);
	tmpdir_rm(dir);
}

static int write_text(const char *path, const char *text)
{
	FILE *f = fopen(path, "we");

	if (!f)
		return -errno;
	fputs(text, f);
	return fclose(f) ? -errno : 0;
}

/* Writes text to DIR/results.json and expects the reader to fail naming want. */
static int read_fails(const char *dir, const char *text, const char *want)
{
	char path[4096], err[256] = "";
	struct results *r = NULL;
	int e;

	snprintf(path, sizeof(path), "%s/results.json", dir);
	if (write_text(path, text) < 0)
		return 0;
	e = results_read_json(path, &r, err, sizeof(err));
	results_free(r);
	if (e != -EINVAL || !strstr(err, want) || !strstr(err, path)) {
		fprintf(stderr, "  got %d '%s', expected -EINVAL naming '%s'\n", e, err, want);
		return 0;
	}
	return 1;
}

static void read_errors(struct t *t)
{
	char *dir = tmpdir_new();
	char err[256] = "";
	struct results *r = NULL;
	const char *head = "{\"format\": \"qoslab-results\", \"version\": 1, "
			   "\"factors\": [{\"name\": \"loss\", \"levels\": [\"0\"]}], \"metrics\": [\"f1\"], ";
	char buf[1024], path[4096];

	T_ASSERT(t, dir);
	T_EQ_INT(t, results_read_json("/nonexistent/results.json", &r, err, sizeof(err)), -ENOENT);
	T_ASSERT(t, strstr(err, "/nonexistent/results.json"));
	T_ASSERT(t, read_fails(dir, "{\"format\": \"qoslab-results\",\n \"version\": }", ":2:"));
	T_ASSERT(t, read_fails(dir, "{\"format\": \"other\", \"version\": 1}", "not a qoslab results file"));
	snprintf(buf, sizeof(buf), "%s\"trials\": [{\"point\": {\"loss\": 0}, \"rep\": 0, \"metrics\": {\"f2\": 1}}]}", head);
	T_ASSERT(t, read_fails(dir, buf, "trials[0].metrics.f2"));
	snprintf(buf, sizeof(buf), "%s\"trials\": [{\"point\": {\"loss\": 0}, \"rep\": 0, \"metrics\": {\"f1\": \"x\"}}]}", head);
	T_ASSERT(t, read_fails(dir, buf, "trials[0].metrics.f1"));
	snprintf(buf, sizeof(buf), "%s\"trials\": [{\"point\": {\"lost\": 0}, \"rep\": 0, \"metrics\": {}}]}", head);
	T_ASSERT(t, read_fails(dir, buf, "trials[0].point.loss"));
	snprintf(buf, sizeof(buf), "%s\"trials\": [{\"point\": {\"loss\": 0}, \"rep\": 0, \"metrics\": {}},"
		 "{\"point\": {\"loss\": 0}, \"rep\": 0, \"metrics\": {}}]}", head);
	T_ASSERT(t, read_fails(dir, buf, "trials[1]"));
	/* a valid one: the number 0 maps back to level "0" */
	snprintf(buf, sizeof(buf), "%s\"trials\": [{\"point\": {\"loss\": 0}, \"rep\": 0, \"metrics\": {\"f1\": null}}]}", head);
	snprintf(path, sizeof(path), "%s/results.json", dir);
	T_EQ_INT(t, write_text(path, buf), 0);
	T_EQ_INT(t, results_read_json(path, &r, err, sizeof(err)), 0);
	T_EQ_INT(t, results_n_points(r), 1);
	T_ASSERT(t, !strcmp(results_level(r, 0, 0), "0"));
	T_EQ_INT(t, results_point_stats(r, 0, 0)->n, 0);
	T_ASSERT(t, isnan(results_point_stats(r, 0, 0)->mean));
	results_free(r);
	tmpdir_rm(dir);
}

int main(int argc, char **argv)
{
	static const struct t_case cases[] = {
		T_CASE(aggregate_points), T_CASE(reject_bad_trials), T_CASE(no_factors),
		T_CASE(json_round_trip), T_CASE(csv_files), T_CASE(read_errors), { 0 },
	};
	return t_main(cases, argc, argv);
}
