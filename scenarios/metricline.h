/* SPDX-License-Identifier: MIT */
/* Metric lines: what a scenario's own command reports, one JSON object per line. */
#ifndef QOSLAB_METRICLINE_H
#define QOSLAB_METRICLINE_H
#include <stddef.h>

#include "scenarios/scenario.h" /* enum scenario_aggregate */

#define METRICLINE_NAME_MAX 64        /* bytes of a metric name, prefix included (results.h) */
#define METRICLINE_KEYS_MAX 32        /* metrics of one command */
#define METRICLINE_LINE_MAX 65536     /* bytes of one line */
#define METRICLINE_SAMPLES_MAX 1000000 /* samples of one key in one trial */

struct metricline_value {
	char name[METRICLINE_NAME_MAX + 1];
	double value;                 /* the key's samples reduced to one */
	size_t samples;
};

/*
 * Reads path: every non-blank line one JSON object; each member whose value is a number
 * (true/false count as 1/0; strings, null, arrays and objects are skipped) is a sample of
 * metric PREFIX+key. Per key, the samples reduce by agg (mean, median, last and sum as
 * plots/metric.h's metric_reduce does them; min, max) into
 * ret[] in the order keys first appear; *ret_n of them (0 for a file that does not exist or
 * holds no numbers). Returns 0; -EINVAL with err "FILE:LINE: message" for a line that is not
 * a JSON object, a name that is not [A-Za-z0-9_-] of at most METRICLINE_NAME_MAX bytes or is
 * "rep", a line longer than METRICLINE_LINE_MAX; -E2BIG beyond METRICLINE_KEYS_MAX keys or
 * METRICLINE_SAMPLES_MAX samples of one key;
 * -errno from the file. ret is the caller's array of METRICLINE_KEYS_MAX.
 */
int metricline_read(const char *path, const char *prefix, enum scenario_aggregate agg,
		    struct metricline_value *ret, size_t *ret_n, char *err, size_t errlen);
#endif
