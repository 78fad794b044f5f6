// SPDX-License-Identifier: MIT
/* Tests of plots/stats: Student-t CIs against scipy's t.interval, quantiles, n = 1. */
#include <errno.h>
#include <math.h>

#include "plots/stats.h"
#include "tests/t.h"

/*
 * scipy.stats.t.ppf(0.975, df), the quantiles scipy's t.interval(0.95, df, loc, scale)
 * uses: interval = loc -/+ ppf * scale. GSL's gsl_cdf_tdist_Pinv agrees to < 1e-14:
 * 12.706204736174696, 4.3026527297494619, 2.7764451051977925, 2.0452296421327016.
 */
#define T975_DF1  12.706204736174707
#define T975_DF2  4.302652729749464
#define T975_DF4  2.7764451051977934
#define T975_DF29 2.045229642132703

#define TOL 1e-9

#define T_NEAR(t, a, b) do { double _a = (a), _b = (b); if (!(fabs(_a - _b) <= TOL)) { \
	T_FAIL(t, "%s == %.17g, expected %s == %.17g", #a, _a, #b, _b); return; } } while (0)

/*
 * Checks mean, sem and the CI of x against hand-computed mean and sem and the scipy
 * interval loc -/+ t * scale (lo, hi written out from a 40-digit decimal evaluation).
 */
static void check_ci(struct t *t, const double *x, size_t n, double mean, double sem,
		     double tq, double lo, double hi)
{
	struct stats s;

	T_EQ_INT(t, stats_compute(x, n, &s), 0);
	T_EQ_INT(t, s.n, n);
	T_NEAR(t, s.mean, mean);
	T_NEAR(t, s.sem, sem);
	T_NEAR(t, stats_t975(n - 1), tq);
	T_NEAR(t, s.ci_lo, mean - tq * sem);
	T_NEAR(t, s.ci_hi, mean + tq * sem);
	T_NEAR(t, s.ci_lo, lo);
	T_NEAR(t, s.ci_hi, hi);
	T_NEAR(t, s.ci_half, (hi - lo) / 2);
}

/* {1, 3}: mean 4/2 = 2; deviations -1, 1; SS = 2; var = 2/1 = 2; sem = sqrt(2/2) = 1. */
static void ci_n2(struct t *t)
{
	const double x[] = { 1, 3 };

	check_ci(t, x, 2, 2.0, 1.0, T975_DF1, -10.706204736174707, 14.706204736174707);
}

/* {0, 3, 6}: mean 9/3 = 3; deviations -3, 0, 3; SS = 18; var = 18/2 = 9; sd = 3;
 * sem = 3/sqrt(3) = sqrt(3) = 1.7320508075688772. */
static void ci_n3(struct t *t)
{
	const double x[] = { 0, 3, 6 };

	check_ci(t, x, 3, 3.0, sqrt(3.0), T975_DF2, -4.4524131352509934689, 10.452413135250993469);
}

/* {10, 12, 9, 11, 13}: mean 55/5 = 11; deviations -1, 1, -2, 0, 2; SS = 1+1+4+0+4 = 10;
 * var = 10/4 = 2.5; sem = sqrt(2.5/5) = sqrt(0.5) = 0.70710678118654752. */
static void ci_n5(struct t *t)
{
	const double x[] = { 10, 12, 9, 11, 13 };

	check_ci(t, x, 5, 11.0, sqrt(0.5), T975_DF4, 9.0367568385224429796, 12.963243161477557020);
}

/* 1..30: mean = 31/2 = 15.5; var of 1..n = n(n+1)/12 = 30*31/12 = 77.5 (SS = 2247.5 over
 * 29); sem = sqrt(77.5/30) = sqrt(2.58333...) = 1.6072751268321592. Given shuffled. */
static void ci_n30(struct t *t)
{
	double x[30];

	for (int i = 0; i < 30; i++)
		x[i] = (double)((i * 7) % 30 + 1); /* 7 is coprime to 30: a permutation of 1..30 */
	check_ci(t, x, 30, 15.5, sqrt(77.5 / 30.0), T975_DF29, 12.212753267540268284, 18.787246732459731716);
}

/* Sample stddev (n - 1), and no cancellation with a large mean: {1e9+1, 1e9+2, 1e9+3}
 * has deviations -1, 0, 1, SS = 2, var = 2/2 = 1. */
static void sd_large_mean(struct t *t)
{
	const double x[] = { 1e9 + 1, 1e9 + 2, 1e9 + 3 };
	struct stats s;

	T_EQ_INT(t, stats_compute(x, 3, &s), 0);
	T_NEAR(t, s.mean, 1e9 + 2);
	T_NEAR(t, s.sd, 1.0);
	T_NEAR(t, s.min, 1e9 + 1);
	T_NEAR(t, s.max, 1e9 + 3);
}

/* One trial: the mean is the value, the spread and the CI are undefined (NaN, not 0). */
static void n1_ci_undefined(struct t *t)
{
	const double x[] = { 42.5 };
	struct stats s;

	T_EQ_INT(t, stats_compute(x, 1, &s), 0);
	T_EQ_INT(t, s.n, 1);
	T_NEAR(t, s.mean, 42.5);
	T_ASSERT(t, isnan(s.sd));
	T_ASSERT(t, isnan(s.sem));
	T_ASSERT(t, isnan(s.ci_half));
	T_ASSERT(t, isnan(s.ci_lo));
	T_ASSERT(t, isnan(s.ci_hi));
	T_ASSERT(t, isnan(stats_t975(0)));
}

static void bad_input(struct t *t)
{
	const double x[] = { 1, NAN, 3 };
	const double y[] = { 1, 2 };
	const double p_bad[] = { 1.5 };
	struct stats s = { .n = 77 };
	double q;

	T_EQ_INT(t, stats_compute(y, 0, &s), -EINVAL);
	T_EQ_INT(t, stats_compute(x, 3, &s), -EINVAL);
	T_EQ_INT(t, s.n, 77); /* untouched on failure */
	T_EQ_INT(t, stats_quantiles(y, 0, p_bad, 0, &q), -EINVAL);
	T_EQ_INT(t, stats_quantiles(y, 2, p_bad, 1, &q), -EINVAL);
}

/* Type 7: h = (n-1)p, Q = x[floor h] + frac(h) (x[floor h + 1] - x[floor h]). */
static void quantiles_type7(struct t *t)
{
	const double four[] = { 4, 1, 3, 2 }; /* sorted 1 2 3 4 */
	const double p[] = { 0.0, 0.25, 0.5, 1.0 };
	double q[4];

	T_EQ_INT(t, stats_quantiles(four, 4, p, 4, q), 0);
	T_NEAR(t, q[0], 1.0);  /* min */
	T_NEAR(t, q[1], 1.75); /* h = 3*0.25 = 0.75: 1 + 0.75*(2-1) */
	T_NEAR(t, q[2], 2.5);  /* h = 1.5: 2 + 0.5*(3-2) */
	T_NEAR(t, q[3], 4.0);  /* max */
	T_NEAR(t, four[0], 4.0); /* input untouched */
}

/* Latency percentiles of 1..100 in reverse: p50 h = 99*0.5 = 49.5 -> 50 + 0.5 = 50.5;
 * p95 h = 94.05 -> 95 + 0.05 = 95.05; p99 h = 98.01 -> 99 + 0.01 = 99.01. One sample:
 * every percentile is that sample. */
static void latency_percentiles(struct t *t)
{
	double x[100];
	struct stats_latency l;

	for (int i = 0; i < 100; i++)
		x[i] = 100 - i;
	T_EQ_INT(t, stats_latency(x, 100, &l), 0);
	T_NEAR(t, l.p50, 50.5);
	T_NEAR(t, l.p95, 95.05);
	T_NEAR(t, l.p99, 99.01);
	T_EQ_INT(t, stats_latency(x, 1, &l), 0);
	T_NEAR(t, l.p50, 100.0);
	T_NEAR(t, l.p99, 100.0);
}

int main(int argc, char **argv)
{
	static const struct t_case cases[] = {
		T_CASE(ci_n2), T_CASE(ci_n3), T_CASE(ci_n5), T_CASE(ci_n30),
		T_CASE(sd_large_mean), T_CASE(n1_ci_undefined), T_CASE(bad_input),
		T_CASE(quantiles_type7), T_CASE(latency_percentiles), { 0 },
	};
	return t_main(cases, argc, argv);
}
