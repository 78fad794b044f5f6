/* SPDX-License-Identifier: MIT */
/* Numbers with units as people write them: times, rates, fractions, plain numbers. */
#ifndef QOSLAB_UNITS_H
#define QOSLAB_UNITS_H
#include <stdint.h>

/*
 * One place for every text-to-number conversion of scenario files, command lines and the
 * HTTP API (below everything; no qoslab include). Each takes the whole string: no leading
 * or trailing space, nothing after the number but its unit. Returns 0, or -EINVAL (not such
 * a value), -ERANGE (a number outside the range); *ret is untouched on failure.
 *
 * A plain number starts with a digit, a sign or '.' (so "inf", "nan" and " 1" are not
 * numbers) and is finite.
 */
int units_double(const char *s, double lo, double hi, double *ret);
/* A decimal integer in [lo, hi]. */
int units_long(const char *s, long lo, long hi, long *ret);
/* An unsigned integer up to max, digits only (no sign); base 10, or 0 for C's 0x/0 prefixes
 * (seeds). */
int units_u64(const char *s, int base, uint64_t max, uint64_t *ret);

/* A time as tc writes it: "50ms", "1.5s", "200us", "10ns" (unit in any case); a bare number
 * is milliseconds. 0 to 1 hour. */
int units_time_ns(const char *s, uint64_t *ret_ns);
/* A duration in seconds: a bare number is seconds (any finite number: the caller checks
 * its range); with a unit as units_time_ns ("500ms", 0 to 1 hour). */
int units_seconds(const char *s, double *ret_s);
/* A rate with its unit (required, any case): bit kbit mbit gbit (bits per second) or bps
 * kbps mbps gbps (bytes per second, as tc); 8 bit/s to 10 Tbit/s. */
int units_rate_bps(const char *s, uint64_t *ret_bps);
/* A probability: "0.1" or "10%", in [0, 1]. */
int units_fraction(const char *s, double *ret);
#endif
