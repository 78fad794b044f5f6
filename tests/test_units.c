// SPDX-License-Identifier: MIT
/* units.c: every unit, bad input, ranges and overflow. */
#include <errno.h>
#include <float.h>
#include <limits.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>

#include "units.h"
#include "t.h"

static void times(struct t *t)
{
	static const struct { const char *s; uint64_t ns; } ok[] = {
		{ "0", 0 }, { "50", 50000000 }, { "50ms", 50000000 }, { "50MS", 50000000 },
		{ "1.5s", 1500000000 }, { "200us", 200000 }, { "10ns", 10 }, { "0.5", 500000 },
		{ "3600s", 3600000000000ULL }, { ".5ms", 500000 },
	};
	static const char *const bad[] = { "", "ms", "-1ms", "5 ms", " 5ms", "5m", "5sec", "nan",
					   "infs", "5ms ", "1e400s", "abc" };
	uint64_t ns = 7;

	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		T_ASSERTF(t, units_time_ns(ok[i].s, &ns) == 0, "'%s' refused", ok[i].s);
		T_ASSERTF(t, ns == ok[i].ns, "'%s': %llu", ok[i].s, (unsigned long long)ns);
	}
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		T_ASSERTF(t, units_time_ns(bad[i], &ns) == -EINVAL, "'%s' taken", bad[i]);
	ns = 7;
	T_EQ_INT(t, units_time_ns("3601s", &ns), -ERANGE);
	T_EQ_INT(t, units_time_ns("1e30ms", &ns), -ERANGE);
	T_EQ_INT(t, ns, 7);
}

static void seconds(struct t *t)
{
	double s = 0;

	T_ASSERT(t, units_seconds("3", &s) == 0 && s == 3);
	T_ASSERT(t, units_seconds("2.5", &s) == 0 && s == 2.5);
	T_ASSERT(t, units_seconds("500ms", &s) == 0 && s == 0.5);
	T_ASSERT(t, units_seconds("2s", &s) == 0 && s == 2);
	T_ASSERT(t, units_seconds("-1", &s) == 0 && s == -1); /* the caller's range */
	T_ASSERT(t, units_seconds("1e7", &s) == 0 && s == 1e7);
	T_EQ_INT(t, units_seconds("-1s", &s), -EINVAL);
	T_EQ_INT(t, units_seconds("2 s", &s), -EINVAL);
	T_EQ_INT(t, units_seconds("", &s), -EINVAL);
	T_EQ_INT(t, units_seconds("inf", &s), -EINVAL);
	T_EQ_INT(t, units_seconds("2h", &s), -EINVAL);
}

static void rates(struct t *t)
{
	static const struct { const char *s; uint64_t bps; } ok[] = {
		{ "800bit", 800 }, { "64kbit", 64000 }, { "10mbit", 10000000 }, { "10Mbit", 10000000 },
		{ "1gbit", 1000000000 }, { "1bps", 8 }, { "1kbps", 8000 }, { "1mbps", 8000000 },
		{ "1gbps", 8000000000ULL }, { "1.5mbit", 1500000 }, { "10000gbit", 10000000000000ULL },
	};
	static const char *const bad[] = { "", "10", "0mbit", "-1mbit", "10 mbit", "10mb", "mbit",
					   "10mbit/s", "nanmbit" };
	uint64_t v = 3;

	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		T_ASSERTF(t, units_rate_bps(ok[i].s, &v) == 0, "'%s' refused", ok[i].s);
		T_ASSERTF(t, v == ok[i].bps, "'%s': %llu", ok[i].s, (unsigned long long)v);
	}
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		T_ASSERTF(t, units_rate_bps(bad[i], &v) == -EINVAL, "'%s' taken", bad[i]);
	v = 3;
	T_EQ_INT(t, units_rate_bps("7bit", &v), -ERANGE);     /* below 1 byte/s */
	T_EQ_INT(t, units_rate_bps("10001gbit", &v), -ERANGE); /* above 10 Tbit/s */
	T_EQ_INT(t, units_rate_bps("1e300gbit", &v), -ERANGE);
	T_EQ_INT(t, v, 3);
}

static void fractions(struct t *t)
{
	double v = 9;

	T_ASSERT(t, units_fraction("0.1", &v) == 0 && v == 0.1);
	T_ASSERT(t, units_fraction("10%", &v) == 0 && fabs(v - 0.1) < 1e-15);
	T_ASSERT(t, units_fraction("0", &v) == 0 && v == 0);
	T_ASSERT(t, units_fraction("100%", &v) == 0 && v == 1);
	T_ASSERT(t, units_fraction("1", &v) == 0 && v == 1);
	T_ASSERT(t, units_fraction("0.5%", &v) == 0 && v == 0.005);
	v = 9;
	T_EQ_INT(t, units_fraction("101%", &v), -ERANGE);
	T_EQ_INT(t, units_fraction("1.1", &v), -ERANGE);
	T_EQ_INT(t, units_fraction("-0.1", &v), -ERANGE);
	T_EQ_INT(t, units_fraction("10 %", &v), -EINVAL);
	T_EQ_INT(t, units_fraction("10%%", &v), -EINVAL);
	T_EQ_INT(t, units_fraction("%", &v), -EINVAL);
	T_EQ_INT(t, units_fraction("nan", &v), -EINVAL);
	T_EQ_INT(t, units_fraction("", &v), -EINVAL);
	T_ASSERT(t, v == 9);
}

static void plain_numbers(struct t *t)
{
	double d = 0;
	long l = 0;
	uint64_t u = 0;

	T_ASSERT(t, units_double("2.5", 0, 10, &d) == 0 && d == 2.5);
	T_ASSERT(t, units_double("-1e3", -DBL_MAX, DBL_MAX, &d) == 0 && d == -1000);
	T_ASSERT(t, units_double(".5", 0, 1, &d) == 0 && d == 0.5);
	T_EQ_INT(t, units_double("11", 0, 10, &d), -ERANGE);
	T_EQ_INT(t, units_double("1e400", -DBL_MAX, DBL_MAX, &d), -EINVAL);
	T_EQ_INT(t, units_double("inf", -INFINITY, INFINITY, &d), -EINVAL);
	T_EQ_INT(t, units_double("nan", 0, 1, &d), -EINVAL);
	T_EQ_INT(t, units_double(" 1", 0, 10, &d), -EINVAL);
	T_EQ_INT(t, units_double("1x", 0, 10, &d), -EINVAL);
	T_EQ_INT(t, units_double("", 0, 10, &d), -EINVAL);

	T_ASSERT(t, units_long("42", 0, 100, &l) == 0 && l == 42);
	T_ASSERT(t, units_long("-7", -10, 10, &l) == 0 && l == -7);
	T_ASSERT(t, units_long("+7", -10, 10, &l) == 0 && l == 7);
	T_EQ_INT(t, units_long("101", 0, 100, &l), -ERANGE);
	T_EQ_INT(t, units_long("99999999999999999999", LONG_MIN, LONG_MAX, &l), -ERANGE);
	T_EQ_INT(t, units_long("1.5", 0, 10, &l), -EINVAL);
	T_EQ_INT(t, units_long("0x10", 0, 100, &l), -EINVAL);
	T_EQ_INT(t, units_long(" 1", 0, 10, &l), -EINVAL);
	T_EQ_INT(t, units_long("", 0, 10, &l), -EINVAL);
	T_EQ_INT(t, l, 7);

	T_ASSERT(t, units_u64("18446744073709551615", 10, UINT64_MAX, &u) == 0 && u == UINT64_MAX);
	T_ASSERT(t, units_u64("0x10", 0, UINT64_MAX, &u) == 0 && u == 16);
	T_EQ_INT(t, units_u64("0x10", 10, UINT64_MAX, &u), -EINVAL);
	T_EQ_INT(t, units_u64("18446744073709551616", 10, UINT64_MAX, &u), -ERANGE);
	T_EQ_INT(t, units_u64("101", 10, 100, &u), -ERANGE);
	T_EQ_INT(t, units_u64("-1", 10, UINT64_MAX, &u), -EINVAL);
	T_EQ_INT(t, units_u64("+1", 10, UINT64_MAX, &u), -EINVAL);
	T_EQ_INT(t, units_u64("", 10, UINT64_MAX, &u), -EINVAL);
	T_EQ_INT(t, units_u64(NULL, 10, UINT64_MAX, &u), -EINVAL);
	T_ASSERT(t, u == 16);
}

int main(int argc, char **argv)
{
	static const struct t_case cases[] = {
		T_CASE(times), T_CASE(seconds), T_CASE(rates), T_CASE(fractions),
		T_CASE(plain_numbers), { NULL, NULL },
	};

	return t_main(cases, argc, argv);
}
