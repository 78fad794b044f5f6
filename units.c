// SPDX-License-Identifier: MIT
/* Numbers with units as people write them: times, rates, fractions, plain numbers. */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "units.h"

#define N(a) (sizeof(a) / sizeof((a)[0]))

static int starts_number(const char *s)
{
	return (*s >= '0' && *s <= '9') || *s == '-' || *s == '+' || *s == '.';
}

/* The number at the start of s; *ret_end after it. */
static int number_prefix(const char *s, double *ret, const char **ret_end)
{
	char *end;
	double v;

	if (!s || !starts_number(s))
		return -EINVAL;
	errno = 0;
	v = strtod(s, &end);
	if (end == s || errno || !isfinite(v))
		return -EINVAL;
	*ret = v;
	*ret_end = end;
	return 0;
}

int units_double(const char *s, double lo, double hi, double *ret)
{
	const char *end;
	double v;

	if (number_prefix(s, &v, &end) < 0 || *end)
		return -EINVAL;
	if (!(v >= lo && v <= hi))
		return -ERANGE;
	*ret = v;
	return 0;
}

int units_long(const char *s, long lo, long hi, long *ret)
{
	char *end;
	long v;

	if (!s || !starts_number(s) || *s == '.')
		return -EINVAL;
	errno = 0;
	v = strtol(s, &end, 10);
	if (end == s || *end)
		return -EINVAL;
	if (errno || v < lo || v > hi)
		return -ERANGE;
	*ret = v;
	return 0;
}

int units_u64(const char *s, int base, uint64_t max, uint64_t *ret)
{
	char *end;
	unsigned long long v;

	if (!s || *s < '0' || *s > '9')
		return -EINVAL;
	errno = 0;
	v = strtoull(s, &end, base);
	if (*end)
		return -EINVAL;
	if (errno || v > max)
		return -ERANGE;
	*ret = v;
	return 0;
}

int units_time_ns(const char *s, uint64_t *ret_ns)
{
	static const struct { const char *unit; double ns; } units[] = {
		{ "ns", 1 }, { "us", 1e3 }, { "ms", 1e6 }, { "s", 1e9 }, { "", 1e6 },
	};
	const char *end;
	double v;

	if (number_prefix(s, &v, &end) < 0 || v < 0)
		return -EINVAL;
	for (size_t i = 0; i < N(units); i++) {
		if (strcasecmp(end, units[i].unit))
			continue;
		if (v * units[i].ns > 3600e9)
			return -ERANGE;
		*ret_ns = (uint64_t)llround(v * units[i].ns);
		return 0;
	}
	return -EINVAL;
}

int units_seconds(const char *s, double *ret_s)
{
	uint64_t ns;
	const char *end;
	double v;
	int r;

	if (number_prefix(s, &v, &end) < 0)
		return -EINVAL;
	if (!*end) {
		*ret_s = v; /* the caller's range: a timeline's "at" has its own bounds */
		return 0;
	}
	r = units_time_ns(s, &ns);
	if (r < 0)
		return r;
	*ret_s = (double)ns / 1e9;
	return 0;
}

int units_rate_bps(const char *s, uint64_t *ret_bps)
{
	static const struct { const char *unit; double bps; } units[] = {
		{ "bit", 1 }, { "kbit", 1e3 }, { "mbit", 1e6 }, { "gbit", 1e9 },
		{ "bps", 8 }, { "kbps", 8e3 }, { "mbps", 8e6 }, { "gbps", 8e9 },
	};
	const char *end;
	double v;

	if (number_prefix(s, &v, &end) < 0 || v <= 0)
		return -EINVAL;
	for (size_t i = 0; i < N(units); i++) {
		if (strcasecmp(end, units[i].unit))
			continue;
		if (v * units[i].bps < 8 || v * units[i].bps > 1e13)
			return -ERANGE;
		*ret_bps = (uint64_t)llround(v * units[i].bps);
		return 0;
	}
	return -EINVAL;
}

int units_fraction(const char *s, double *ret)
{
	const char *end;
	double v;

	if (number_prefix(s, &v, &end) < 0)
		return -EINVAL;
	if (!strcmp(end, "%"))
		v /= 100;
	else if (*end)
		return -EINVAL;
	if (v < 0 || v > 1)
		return -ERANGE;
	*ret = v;
	return 0;
}
