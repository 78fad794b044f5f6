// SPDX-License-Identifier: MIT
/* Descriptive statistics of a sample: mean, sample stddev, Student-t 95 % CI, quantiles. */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_cdf.h>
#include <gsl/gsl_sort.h>
#include <gsl/gsl_statistics_double.h>

#include "plots/stats.h"

static int all_finite(const double *x, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (!isfinite(x[i]))
			return 0;
	return 1;
}

double stats_t975(size_t df)
{
	if (df == 0)
		return NAN;
	return gsl_cdf_tdist_Pinv(0.975, (double)df);
}

int stats_compute(const double *x, size_t n, struct stats *ret)
{
	struct stats s = { .n = n, .sd = NAN, .sem = NAN, .ci_half = NAN, .ci_lo = NAN, .ci_hi = NAN };

	if (n == 0 || !x || !all_finite(x, n))
		return -EINVAL;
	/* GSL's two-pass mean and variance: no catastrophic cancellation for large means. */
	s.mean = gsl_stats_mean(x, 1, n);
	gsl_stats_minmax(&s.min, &s.max, x, 1, n);
	if (n >= 2) {
		s.sd = gsl_stats_sd_m(x, 1, n, s.mean);
		s.sem = s.sd / sqrt((double)n);
		s.ci_half = stats_t975(n - 1) * s.sem;
		s.ci_lo = s.mean - s.ci_half;
		s.ci_hi = s.mean + s.ci_half;
	}
	*ret = s;
	return 0;
}

int stats_quantiles(const double *x, size_t n, const double *p, size_t k, double *ret)
{
	double *sorted = NULL;
	int r = 0;

	if (n == 0 || !x || !all_finite(x, n))
		return -EINVAL;
	for (size_t i = 0; i < k; i++)
		if (!(p[i] >= 0.0 && p[i] <= 1.0))
			return -EINVAL;
	sorted = malloc(n * sizeof(*sorted));
	if (!sorted) {
		r = -ENOMEM;
		goto out;
	}
	memcpy(sorted, x, n * sizeof(*sorted));
	gsl_sort(sorted, 1, n);
	for (size_t i = 0; i < k; i++)
		ret[i] = gsl_stats_quantile_from_sorted_data(sorted, 1, n, p[i]);
out:
	free(sorted);
	return r;
}

int stats_latency(const double *x, size_t n, struct stats_latency *ret)
{
	static const double p[3] = { 0.50, 0.95, 0.99 };
	double q[3];
	int r = stats_quantiles(x, n, p, 3, q);

	if (r < 0)
		return r;
	*ret = (struct stats_latency){ .p50 = q[0], .p95 = q[1], .p99 = q[2] };
	return 0;
}
