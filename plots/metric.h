/* SPDX-License-Identifier: MIT */
/* The metric registry: every metric qoslab measures, its unit, label and aggregation. */
#ifndef QOSLAB_METRIC_H
#define QOSLAB_METRIC_H
#include <stddef.h>

/*
 * How one trial's value is made from what the trial observed. Across trials it is always
 * the same: the mean of the trials' values with a Student-t 95 % CI (plots/stats.h), per
 * sweep point, and the paired differences (plots/results.h).
 */
enum metric_agg {
	METRIC_MEAN,     /* the mean of the trial's samples (latency_mean_s, exec_time_s) */
	METRIC_QUANTILE, /* a type-7 quantile of the trial's samples (latency_p95_s) */
	METRIC_SUM,      /* a total over the trial (bytes, packets, failed jobs) */
	METRIC_RATE,     /* a total over the trial's workload span (goodput_per_s) */
	METRIC_RATIO,    /* a fraction of two totals (loss measured, precision, recall) */
	METRIC_LAST,     /* one value the trial reports once (setup_s, host_overloaded) */
};

/* Whether a larger value is a better result; the report says so next to the metric. */
enum metric_better { METRIC_NEUTRAL = 0, METRIC_HIGHER = 1, METRIC_LOWER = -1 };

struct metric_def {
	const char *name;  /* [A-Za-z0-9_-], the unit as a suffix (results.h) */
	const char *unit;  /* shown in labels: "s", "bit/s", "1/s", "count"; "" for none */
	const char *label; /* words without the unit: "latency p95" */
	enum metric_agg agg;
	enum metric_better better;
};

/*
 * The table entry for name, or NULL when name is not a built-in metric. Adding a metric:
 * a row in plots/metric.c's table, the code that measures it, a test.
 */
const struct metric_def *metric_find(const char *name);
size_t metric_count(void);
/* Table entry i (0 <= i < metric_count()), in the table's order. */
const struct metric_def *metric_at(size_t i);

/*
 * A description of any name, table or not: the table's entry when there is one; otherwise
 * (a metric whose name is known only at run time, such as a user command's, or a factor)
 * label = the name with spaces for underscores, unit = the given unit when not NULL, else
 * from the name's suffix (_bps _ms _s _per_s _pct _bytes ...: the suffix then leaves the
 * label), agg METRIC_MEAN, better METRIC_NEUTRAL. label_buf holds the label text;
 * *ret points into it and into static strings, valid while label_buf is.
 */
void metric_describe(const char *name, const char *unit, struct metric_def *ret,
		     char *label_buf, size_t label_len);

/* "label (unit)", or the label alone when the unit is "": axis and table labels. */
void metric_label(const char *name, const char *unit, char *buf, size_t len);

/*
 * One trial's value of x[0..n-1] (its samples, in order) under agg: the mean, the sum,
 * the sum over span_s (METRIC_RATE), the last sample (METRIC_LAST), the type-7 quantile q
 * (METRIC_QUANTILE); METRIC_RATIO takes x as (numerator, denominator) pairs and returns
 * sum(num) / sum(den). NaN when there is nothing to reduce (n == 0, a zero span or
 * denominator): the trial did not measure it.
 */
double metric_reduce(enum metric_agg agg, const double *x, size_t n, double q, double span_s);

/* "mean", "quantile", "sum", "rate", "ratio", "last". */
const char *metric_agg_name(enum metric_agg agg);
#endif
