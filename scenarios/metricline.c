// SPDX-License-Identifier: MIT
/* Metric lines read with jansson and reduced per key (scenarios/README.md, run). */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include "plots/metric.h"
#include "regfile.h"
#include "scenarios/metricline.h"

static int name_ok(const char *s)
{
	if (!*s || strlen(s) > METRICLINE_NAME_MAX || !strcmp(s, "rep"))
		return 0;
	for (; *s; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
		      (*s >= '0' && *s <= '9') || *s == '_' || *s == '-'))
			return 0;
	return 1;
}

/* One key's samples while the file is read. */
struct series {
	double *x;
	size_t n, cap;
};

static int sample(struct series *sr, double x)
{
	if (sr->n == METRICLINE_SAMPLES_MAX)
		return -E2BIG;
	if (sr->n == sr->cap) {
		size_t cap = sr->cap ? 2 * sr->cap : 16;
		double *grown = realloc(sr->x, cap * sizeof(*grown));

		if (!grown)
			return -ENOMEM;
		sr->x = grown;
		sr->cap = cap;
	}
	sr->x[sr->n++] = x;
	return 0;
}

/* The trial's value: mean, median, last and sum as the metric registry defines them
 * (plots/metric.h), so a user metric is reduced like a built-in one; min and max here. */
static double reduce(enum scenario_aggregate agg, const struct series *sr)
{
	double v;

	switch (agg) {
	case SCENARIO_AGG_MEAN: return metric_reduce(METRIC_MEAN, sr->x, sr->n, 0, 0);
	case SCENARIO_AGG_MEDIAN: return metric_reduce(METRIC_QUANTILE, sr->x, sr->n, 0.5, 0);
	case SCENARIO_AGG_LAST: return metric_reduce(METRIC_LAST, sr->x, sr->n, 0, 0);
	case SCENARIO_AGG_SUM: return metric_reduce(METRIC_SUM, sr->x, sr->n, 0, 0);
	case SCENARIO_AGG_MIN: case SCENARIO_AGG_MAX:
		break;
	}
	v = sr->x[0];
	for (size_t i = 1; i < sr->n; i++)
		v = agg == SCENARIO_AGG_MIN ? fmin(v, sr->x[i]) : fmax(v, sr->x[i]);
	return v;
}

static int blank(const char *s)
{
	return s[strspn(s, " \t\r\n")] == '\0';
}

/* One object's members into ret. */
static int take(json_t *obj, const char *prefix, struct series *series,
		struct metricline_value *ret, size_t *n, char *why, size_t whylen)
{
	const char *key;
	json_t *v;

	json_object_foreach(obj, key, v) {
		char name[METRICLINE_NAME_MAX + 2];
		double x;
		size_t i;

		if (json_is_number(v))
			x = json_number_value(v);
		else if (json_is_boolean(v))
			x = json_is_true(v);
		else
			continue;
		if (snprintf(name, sizeof(name), "%s%s", prefix, key) > METRICLINE_NAME_MAX ||
		    !name_ok(name)) {
			snprintf(why, whylen, "'%s%s' is not a metric name ([A-Za-z0-9_-], at most "
				 "%d bytes, not 'rep')", prefix, key, METRICLINE_NAME_MAX);
			return -EINVAL;
		}
		for (i = 0; i < *n && strcmp(ret[i].name, name); i++)
			;
		if (i == *n) {
			if (*n == METRICLINE_KEYS_MAX) {
				snprintf(why, whylen, "more than %d metrics", METRICLINE_KEYS_MAX);
				return -E2BIG;
			}
			memset(&ret[i], 0, sizeof(ret[i]));
			snprintf(ret[i].name, sizeof(ret[i].name), "%s", name);
			(*n)++;
		}
		if (sample(&series[i], x) < 0) {
			snprintf(why, whylen, "more than %d samples of %s", METRICLINE_SAMPLES_MAX, name);
			return -E2BIG;
		}
		ret[i].samples = series[i].n;
	}
	return 0;
}

int metricline_read(const char *path, const char *prefix, enum scenario_aggregate agg,
		    struct metricline_value *ret, size_t *ret_n, char *err, size_t errlen)
{
	int fd = regfile_open(path); /* a command could leave a FIFO there */
	FILE *f;
	struct series series[METRICLINE_KEYS_MAX] = { { 0 } };
	char *line = NULL, why[160];
	size_t cap = 0, n = 0;
	ssize_t len;
	int r = 0, lineno = 0;

	*ret_n = 0;
	if (fd < 0)
		return fd == -ENOENT ? 0 : fd;
	if (!(f = fdopen(fd, "r"))) {
		r = -errno;
		close(fd);
		return r;
	}
	while ((len = getline(&line, &cap, f)) >= 0) {
		json_error_t je;
		json_t *obj;

		lineno++;
		if (len > METRICLINE_LINE_MAX) {
			snprintf(why, sizeof(why), "a line longer than %d bytes", METRICLINE_LINE_MAX);
			r = -EINVAL;
			break;
		}
		if (blank(line))
			continue;
		obj = json_loadb(line, (size_t)len, JSON_REJECT_DUPLICATES, &je);
		if (!obj || !json_is_object(obj)) {
			snprintf(why, sizeof(why), "not a JSON object (%s)", obj ? "another JSON value" : je.text);
			json_decref(obj);
			r = -EINVAL;
			break;
		}
		r = take(obj, prefix ? prefix : "", series, ret, &n, why, sizeof(why));
		json_decref(obj);
		if (r < 0)
			break;
	}
	if (r == 0 && ferror(f))
		r = -EIO;
	else if (r < 0)
		snprintf(err, errlen, "%s:%d: %s", path, lineno, why);
	free(line);
	fclose(f);
	for (size_t i = 0; i < n; i++) {
		if (r == 0)
			ret[i].value = reduce(agg, &series[i]);
		free(series[i].x);
	}
	if (r == 0)
		*ret_n = n;
	return r;
}
