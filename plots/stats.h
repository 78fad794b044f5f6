/* SPDX-License-Identifier: MIT */
/* Descriptive statistics of a sample: mean, sample stddev, Student-t 95 % CI, quantiles. */
#ifndef QOSLAB_STATS_H
#define QOSLAB_STATS_H
#include <stddef.h>

/*
 * Summary of n samples. Undefined quantities are NaN, never 0: with n = 1 the sample
 * stddev, the standard error and the confidence interval are NaN (one trial says nothing
 * about spread); JSON writers turn NaN into null.
 */
struct stats {
	size_t n;
	double mean;
	double sd;      /* sample standard deviation, divisor n - 1 */
	double sem;     /* standard error of the mean, sd / sqrt(n) */
	double ci_half; /* half-width of the 95 % CI: t(0.975; n - 1) * sem */
	double ci_lo, ci_hi; /* mean -/+ ci_half; scipy's t.interval(0.95, n-1, mean, sem) */
	double min, max;
};

/*
 * Computes *ret from x[0..n-1]. Returns 0, or -EINVAL when n == 0 or a sample is not
 * finite (callers drop missing values first); *ret is untouched on failure.
 */
int stats_compute(const double *x, size_t n, struct stats *ret);

/* t(0.975; df), the two-sided 95 % Student-t quantile (GSL); NaN for df == 0. */
double stats_t975(size_t df);

/*
 * Quantiles p[0..k-1] (each in [0,1]) of x[0..n-1] into ret[0..k-1]. Definition: linear
 * interpolation between order statistics, Hyndman & Fan type 7 (numpy's and R's
 * default, GSL's gsl_stats_quantile_from_sorted_data): with x sorted and h = (n-1)p,
 * Q(p) = x[floor h] + (h - floor h) (x[floor h + 1] - x[floor h]). So p50 of {1,2,3,4}
 * is 2.5 and p95 of 1..100 is 95.05. x is not modified. Returns 0, -EINVAL (n == 0, a
 * non-finite sample, p outside [0,1]) or -ENOMEM.
 */
int stats_quantiles(const double *x, size_t n, const double *p, size_t k, double *ret);

/* The latency summary every trial reports: p50, p95, p99 by stats_quantiles. */
struct stats_latency {
	double p50, p95, p99;
};
int stats_latency(const double *x, size_t n, struct stats_latency *ret);
#endif
