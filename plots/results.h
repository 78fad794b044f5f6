/* SPDX-License-Identifier: MIT */
/* A run's results: factors, sweep points, per-trial metric values, aggregates, CSV/JSON. */
#ifndef QOSLAB_RESULTS_H
#define QOSLAB_RESULTS_H
#include <stddef.h>

#include "plots/stats.h"

/*
 * Model. A run sweeps factors (e.g. "workers", "loss"); a sweep point gives each factor
 * one level; each point runs repeatedly; each trial (point, rep) yields metric values.
 * Levels are kept as the text the scenario gave ("0.1", "tcp"); a factor whose levels all
 * parse as finite numbers is numeric and is sorted and plotted by value, otherwise by
 * text. Points are the distinct level tuples of the trials, sorted factor by factor.
 *
 * Names of factors and metrics: [A-Za-z0-9_-], at most 64 bytes, units as a suffix
 * (throughput_bps, latency_p95_s, delay_ms, loss_pct); "rep" is reserved. Plots and the
 * report derive axis labels and units from the suffix.
 *
 * Files (results_write_*): results.csv, one row per point: the factors, then for every
 * metric M the columns M.n M.mean M.sd M.sem M.ci_half M.ci_lo M.ci_hi M.min M.max
 * (undefined values as empty cells); trials.csv, one row per trial: factors, rep, metrics
 * (missing values empty); results.json: {format, version, meta, factors, metrics, points
 * [{point, stats}], trials [{point, rep, metrics}], paired {baseline, points [{point, stats}]},
 * metric_units {metric: unit} (only for metrics registered with a unit)}
 * (paired: with two points or more; the differences from point 0, see results_paired_stats),
 * undefined values as null. The per-point
 * stats in results.json are derived: results_read_json recomputes them from the trials.
 */
struct results;

/* One metric value of a trial. NaN means "not measured in this trial" (e.g. no latency
 * because every job failed): kept as empty/null, left out of that metric's n. */
struct results_metric {
	const char *name;
	double value;
};

/* factors[0..n_factors-1]: the sweep's factor names, in the scenario's order (may be 0). */
int results_new(const char *const *factors, size_t n_factors, struct results **ret);
void results_free(struct results *r);

/* Free-form run metadata written to results.json "meta" (scenario name, start time...);
 * set again to replace. Returns 0, -EINVAL or -ENOMEM. */
int results_set_meta(struct results *r, const char *key, const char *value);
/* NULL when unset. */
const char *results_meta(const struct results *r, const char *key);
size_t results_n_meta(const struct results *r);
/* i-th metadata pair in insertion order. -ERANGE past the end. */
int results_meta_at(const struct results *r, size_t i, const char **ret_key, const char **ret_value);

/*
 * Records trial (point, rep): point[f] is the level text of factor f, for every factor;
 * metrics[0..n_metrics-1] its values, any names in any order (metrics first seen here are
 * added; metrics of other trials not given here are missing). Returns 0; -EEXIST when
 * (point, rep) is already recorded; -EINVAL for a bad name, an empty or control-character
 * level, a repeated metric or an infinite value; -ENOMEM. Nothing changes on failure.
 */
int results_add_trial(struct results *r, const char *const *point, unsigned rep,
		      const struct results_metric *metrics, size_t n_metrics);
/* 1 when (point, rep) is recorded (for --resume), else 0. */
int results_has_trial(const struct results *r, const char *const *point, unsigned rep);

/*
 * Sorts the levels and the points and computes, per point and metric, the stats over
 * that point's repetitions. The point, level and stats getters below show the state of
 * the last call; the writers call it themselves. Returns 0 or -ENOMEM.
 */
int results_aggregate(struct results *r);

size_t results_n_factors(const struct results *r);
const char *results_factor_name(const struct results *r, size_t f);
/* 1 when every level of factor f is a number. */
int results_factor_numeric(const struct results *r, size_t f);
size_t results_n_levels(const struct results *r, size_t f);
const char *results_level(const struct results *r, size_t f, size_t level);
/* The level's number; NaN for a categorical factor. */
double results_level_value(const struct results *r, size_t f, size_t level);

size_t results_n_metrics(const struct results *r);
const char *results_metric_name(const struct results *r, size_t m);
/* Index of the metric called name, or -ENOENT. */
long results_metric_index(const struct results *r, const char *name);

#define RESULTS_UNIT_MAX 32
/*
 * A metric whose name is known only at run time (a user command's): adds it (so that it
 * has a column even before a trial measures it) with the unit its labels show (NULL: the
 * registry's or the name's suffix, plots/metric.h). Built-in metrics need no call; any
 * name a trial reports gets CIs, and a plot labelled by its name. The unit is kept in
 * results.json ("metric_units"). Returns 0, -EINVAL (a bad name, a factor's name, a unit
 * with control characters or longer than RESULTS_UNIT_MAX) or -ENOMEM.
 */
int results_register_metric(struct results *r, const char *name, const char *unit);
/* The unit results_register_metric gave metric m; NULL when none. */
const char *results_metric_unit(const struct results *r, size_t m);
/* Axis and table label of metric m: plots/metric.h's metric_label with its unit. */
void results_metric_label(const struct results *r, size_t m, char *buf, size_t len);

size_t results_n_points(const struct results *r);
/* Level index of factor f at point p. */
size_t results_point_level(const struct results *r, size_t p, size_t f);
/* Point whose level indices are levels[0..n_factors-1], or -ENOENT. */
long results_find_point(const struct results *r, const size_t *levels);
/* Stats of metric m over the repetitions of point p; n == 0 (all NaN) when no trial of
 * the point measured it. NULL when p or m is out of range. */
const struct stats *results_point_stats(const struct results *r, size_t p, size_t m);

/*
 * Paired difference of point p from point base for metric m: over the repetitions k that
 * both points measured, the stats of value(p, k) - value(base, k); its CI is the paired-t
 * 95 % CI (scipy's ttest_rel(p, base).confidence_interval()). Meaningful when repetition k
 * drew the same random numbers at every point (scenario `paired: true`). State of the
 * last results_aggregate. Returns 0 (n == 0 when no repetition pairs up) or -EINVAL,
 * -ENOMEM.
 */
int results_paired_stats(const struct results *r, size_t p, size_t base, size_t m, struct stats *ret);

size_t results_n_trials(const struct results *r);
/* Trials in the order they were added. */
unsigned results_trial_rep(const struct results *r, size_t t);
const char *results_trial_level(const struct results *r, size_t t, size_t f);
/* NaN when trial t did not measure metric m. */
double results_trial_value(const struct results *r, size_t t, size_t m);

/* DIR/results.csv and DIR/trials.csv, each written to a temporary name and renamed.
 * Returns 0 or -errno. */
int results_write_csv(struct results *r, const char *dir);
/* DIR/results.json, the same way. Returns 0 or -errno. */
int results_write_json(struct results *r, const char *dir);

/*
 * Reads a results.json (factors, metrics, meta and trials; points are recomputed) into
 * a new, aggregated struct results. Returns 0, -errno from the file, -EINVAL for
 * malformed content, -ENOMEM. When err is not NULL it receives one line naming the file
 * and the bad field (or the JSON line and column).
 */
int results_read_json(const char *path, struct results **ret, char *err, size_t err_len);
#endif
