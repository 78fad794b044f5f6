// SPDX-License-Identifier: MIT
/* Number arguments of the command lines. */
#include <errno.h>
#include <stdlib.h>

#include "cli.h"

int cli_long(const char *s, long lo, long hi, long *ret)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || end == s || *end || v < lo || v > hi)
		return -EINVAL;
	*ret = v;
	return 0;
}

int cli_double(const char *s, double lo, double hi, double *ret)
{
	char *end;
	double v;

	errno = 0;
	v = strtod(s, &end);
	/* !(in range) also refuses NaN */
	if (errno || end == s || *end || !(v >= lo && v <= hi))
		return -EINVAL;
	*ret = v;
	return 0;
}
