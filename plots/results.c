// SPDX-License-Identifier: MIT
/* A run's results: factors, sweep points, per-trial metric values, aggregates, CSV/JSON. */
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "regfile.h"
#include "plots/metric.h"
#include "plots/outfile.h"
#include "plots/results.h"

#define NAME_MAX_LEN  64
#define LEVEL_MAX_LEN 256
#define RESULTS_FORMAT "qoslab-results"
#define RESULTS_VERSION 1

struct factor {
	char *name;
	char **levels; /* text as given */
	double *values; /* strtod of each level, NaN when not a number */
	size_t n_levels;
	int numeric;
};

struct trial {
	size_t *lv;    /* level index per factor */
	unsigned rep;
	double *v;     /* per metric index, NaN when missing */
	size_t n_v;
};

struct results {
	struct factor *f;
	size_t nf;
	char **metrics;
	char **units;  /* per metric: the unit results_register_metric gave, or NULL */
	size_t nm;
	struct trial *t;
	size_t nt;
	char **meta_k, **meta_v;
	size_t n_meta;
	/* Aggregates, rebuilt by results_aggregate. */
	size_t *plv;        /* n_points * nf level indices */
	size_t np;
	struct stats *st;   /* n_points * st_nm */
	size_t st_nm;
	size_t *rep_trial;  /* n_points * n_reps: 1 + the trial index of (point, rep), 0 none */
	size_t n_reps;      /* 1 + the largest rep */
};

static int name_valid(const char *s)
{
	size_t n = 0;

	if (!s || !*s)
		return 0;
	for (; s[n]; n++)
		if (!((s[n] >= 'a' && s[n] <= 'z') || (s[n] >= 'A' && s[n] <= 'Z') ||
		      (s[n] >= '0' && s[n] <= '9') || s[n] == '_' || s[n] == '-'))
			return 0;
	return n <= NAME_MAX_LEN && strcmp(s, "rep") != 0;
}

static int level_valid(const char *s)
{
	size_t n = 0;

	if (!s || !*s)
		return 0;
	for (; s[n]; n++)
		if ((unsigned char)s[n] < 0x20 || s[n] == 0x7f)
			return 0;
	return n <= LEVEL_MAX_LEN;
}

/* The number a level text denotes, NaN when the whole text is not a finite number. */
static double level_number(const char *s)
{
	char *end = NULL;
	double v;

	errno = 0;
	v = strtod(s, &end);
	if (errno || end == s || *end || !isfinite(v))
		return NAN;
	return v;
}

static void *grow(void *p, size_t n, size_t size)
{
	if (size && n > SIZE_MAX / size)
		return NULL;
	return realloc(p, n * size);
}

int results_new(const char *const *factors, size_t n_factors, struct results **ret)
{
	struct results *r = NULL;
	int e = 0;

	for (size_t i = 0; i < n_factors; i++) {
		if (!name_valid(factors[i]))
			return -EINVAL;
		for (size_t j = 0; j < i; j++)
			if (!strcmp(factors[i], factors[j]))
				return -EINVAL;
	}
	r = calloc(1, sizeof(*r));
	if (!r)
		return -ENOMEM;
	r->f = calloc(n_factors ? n_factors : 1, sizeof(*r->f));
	if (!r->f) {
		e = -ENOMEM;
		goto out;
	}
	r->nf = n_factors;
	for (size_t i = 0; i < n_factors; i++) {
		r->f[i].name = strdup(factors[i]);
		r->f[i].numeric = 1;
		if (!r->f[i].name) {
			e = -ENOMEM;
			goto out;
		}
	}
	*ret = r;
	r = NULL;
out:
	results_free(r);
	return e;
}

void results_free(struct results *r)
{
	if (!r)
		return;
	for (size_t i = 0; i < r->nf; i++) {
		for (size_t j = 0; j < r->f[i].n_levels; j++)
			free(r->f[i].levels[j]);
		free(r->f[i].levels);
		free(r->f[i].values);
		free(r->f[i].name);
	}
	free(r->f);
	for (size_t i = 0; i < r->nm; i++) {
		free(r->metrics[i]);
		free(r->units[i]);
	}
	free(r->metrics);
	free(r->units);
	for (size_t i = 0; i < r->nt; i++) {
		free(r->t[i].lv);
		free(r->t[i].v);
	}
	free(r->t);
	for (size_t i = 0; i < r->n_meta; i++) {
		free(r->meta_k[i]);
		free(r->meta_v[i]);
	}
	free(r->meta_k);
	free(r->meta_v);
	free(r->plv);
	free(r->st);
	free(r->rep_trial);
	free(r);
}

int results_set_meta(struct results *r, const char *key, const char *value)
{
	char *k = NULL, *v = NULL, **nk, **nv;

	if (!key || !*key || !value)
		return -EINVAL;
	v = strdup(value);
	if (!v)
		return -ENOMEM;
	for (size_t i = 0; i < r->n_meta; i++)
		if (!strcmp(r->meta_k[i], key)) {
			free(r->meta_v[i]);
			r->meta_v[i] = v;
			return 0;
		}
	k = strdup(key);
	nk = grow(r->meta_k, r->n_meta + 1, sizeof(*nk));
	if (nk)
		r->meta_k = nk;
	nv = grow(r->meta_v, r->n_meta + 1, sizeof(*nv));
	if (nv)
		r->meta_v = nv;
	if (!k || !nk || !nv) {
		free(k);
		free(v);
		return -ENOMEM;
	}
	r->meta_k[r->n_meta] = k;
	r->meta_v[r->n_meta] = v;
	r->n_meta++;
	return 0;
}

const char *results_meta(const struct results *r, const char *key)
{
	for (size_t i = 0; i < r->n_meta; i++)
		if (!strcmp(r->meta_k[i], key))
			return r->meta_v[i];
	return NULL;
}

size_t results_n_meta(const struct results *r)
{
	return r->n_meta;
}

int results_meta_at(const struct results *r, size_t i, const char **ret_key, const char **ret_value)
{
	if (i >= r->n_meta)
		return -ERANGE;
	*ret_key = r->meta_k[i];
	*ret_value = r->meta_v[i];
	return 0;
}

static long level_find(const struct factor *f, const char *text)
{
	for (size_t i = 0; i < f->n_levels; i++)
		if (!strcmp(f->levels[i], text))
			return (long)i;
	return -ENOENT;
}

/* Index of level text in f, appending it when new. Returns the index or -ENOMEM. */
static long level_intern(struct factor *f, const char *text)
{
	long i = level_find(f, text);
	char **nl;
	double *nv;
	char *dup;

	if (i >= 0)
		return i;
	nl = grow(f->levels, f->n_levels + 1, sizeof(*nl));
	if (nl)
		f->levels = nl;
	nv = grow(f->values, f->n_levels + 1, sizeof(*nv));
	if (nv)
		f->values = nv;
	dup = strdup(text);
	if (!nl || !nv || !dup) {
		free(dup);
		return -ENOMEM;
	}
	f->levels[f->n_levels] = dup;
	f->values[f->n_levels] = level_number(text);
	if (isnan(f->values[f->n_levels]))
		f->numeric = 0;
	return (long)f->n_levels++;
}

long results_metric_index(const struct results *r, const char *name)
{
	for (size_t i = 0; i < r->nm; i++)
		if (!strcmp(r->metrics[i], name))
			return (long)i;
	return -ENOENT;
}

static long metric_intern(struct results *r, const char *name)
{
	long i = results_metric_index(r, name);
	char **nm, **nu, *dup;

	if (i >= 0)
		return i;
	nm = grow(r->metrics, r->nm + 1, sizeof(*nm));
	if (nm)
		r->metrics = nm;
	nu = grow(r->units, r->nm + 1, sizeof(*nu));
	if (nu)
		r->units = nu;
	dup = strdup(name);
	if (!nm || !nu || !dup) {
		free(dup);
		return -ENOMEM;
	}
	r->metrics[r->nm] = dup;
	r->units[r->nm] = NULL;
	return (long)r->nm++;
}

/* Printable ASCII and UTF-8 text of at most RESULTS_UNIT_MAX bytes: it reaches labels,
 * HTML (escaped) and gnuplot (quoted). */
static int unit_valid(const char *u)
{
	size_t n = 0;

	if (!u)
		return 0;
	for (; u[n]; n++)
		if ((unsigned char)u[n] < 0x20 || u[n] == 0x7f)
			return 0;
	return n <= RESULTS_UNIT_MAX;
}

int results_register_metric(struct results *r, const char *name, const char *unit)
{
	long m;
	char *dup = NULL;

	if (!name_valid(name) || (unit && !unit_valid(unit)))
		return -EINVAL;
	for (size_t f = 0; f < r->nf; f++)
		if (!strcmp(r->f[f].name, name))
			return -EINVAL;
	if (unit && !(dup = strdup(unit)))
		return -ENOMEM;
	m = metric_intern(r, name);
	if (m < 0) {
		free(dup);
		return (int)m;
	}
	if (dup) {
		free(r->units[m]);
		r->units[m] = dup;
	}
	return 0;
}

const char *results_metric_unit(const struct results *r, size_t m)
{
	return m < r->nm ? r->units[m] : NULL;
}

void results_metric_label(const struct results *r, size_t m, char *buf, size_t len)
{
	metric_label(results_metric_name(r, m), results_metric_unit(r, m), buf, len);
}

/* Index of the trial at (point, rep), -ENOENT when none. */
static long trial_find(const struct results *r, const char *const *point, unsigned rep)
{
	for (size_t t = 0; t < r->nt; t++) {
		size_t f;

		if (r->t[t].rep != rep)
			continue;
		for (f = 0; f < r->nf; f++)
			if (strcmp(r->f[f].levels[r->t[t].lv[f]], point[f]))
				break;
		if (f == r->nf)
			return (long)t;
	}
	return -ENOENT;
}

int results_has_trial(const struct results *r, const char *const *point, unsigned rep)
{
	return trial_find(r, point, rep) >= 0;
}

static int trial_args_valid(const struct results *r, const char *const *point,
			    const struct results_metric *m, size_t n_metrics)
{
	for (size_t f = 0; f < r->nf; f++)
		if (!level_valid(point[f]))
			return 0;
	for (size_t i = 0; i < n_metrics; i++) {
		if (!name_valid(m[i].name) || isinf(m[i].value))
			return 0;
		for (size_t f = 0; f < r->nf; f++)
			if (!strcmp(m[i].name, r->f[f].name))
				return 0;
		for (size_t j = 0; j < i; j++)
			if (!strcmp(m[i].name, m[j].name))
				return 0;
	}
	return 1;
}

int results_add_trial(struct results *r, const char *const *point, unsigned rep,
		      const struct results_metric *metrics, size_t n_metrics)
{
	struct trial t = { .rep = rep };
	struct trial *nt;
	size_t nm_before = r->nm, *nl_before = NULL;
	int e = 0;

	if ((r->nf && !point) || (n_metrics && !metrics) || !trial_args_valid(r, point, metrics, n_metrics))
		return -EINVAL;
	if (trial_find(r, point, rep) >= 0)
		return -EEXIST;
	nl_before = calloc(r->nf + 1, sizeof(*nl_before));
	if (!nl_before)
		return -ENOMEM;
	for (size_t f = 0; f < r->nf; f++)
		nl_before[f] = r->f[f].n_levels;
	t.lv = calloc(r->nf + 1, sizeof(*t.lv));
	nt = grow(r->t, r->nt + 1, sizeof(*nt));
	if (nt)
		r->t = nt;
	if (!t.lv || !nt) {
		e = -ENOMEM;
		goto out;
	}
	for (size_t f = 0; f < r->nf; f++) {
		long l = level_intern(&r->f[f], point[f]);

		if (l < 0) {
			e = (int)l;
			goto out;
		}
		t.lv[f] = (size_t)l;
	}
	for (size_t i = 0; i < n_metrics; i++) {
		long m = metric_intern(r, metrics[i].name);

		if (m < 0) {
			e = (int)m;
			goto out;
		}
	}
	t.n_v = r->nm;
	t.v = malloc((r->nm ? r->nm : 1) * sizeof(*t.v));
	if (!t.v) {
		e = -ENOMEM;
		goto out;
	}
	for (size_t i = 0; i < r->nm; i++)
		t.v[i] = NAN;
	for (size_t i = 0; i < n_metrics; i++)
		t.v[results_metric_index(r, metrics[i].name)] = metrics[i].value;
	r->t[r->nt++] = t;
	free(nl_before);
	return 0;
out:
	/* Roll back levels and metrics this call added: nothing changes on failure. */
	for (size_t f = 0; f < r->nf; f++) {
		while (r->f[f].n_levels > nl_before[f])
			free(r->f[f].levels[--r->f[f].n_levels]);
		r->f[f].numeric = 1;
		for (size_t l = 0; l < r->f[f].n_levels; l++)
			if (isnan(r->f[f].values[l]))
				r->f[f].numeric = 0;
	}
	while (r->nm > nm_before) {
		free(r->metrics[--r->nm]);
		free(r->units[r->nm]);
	}
	free(nl_before);
	free(t.lv);
	free(t.v);
	return e;
}

/* Sorting levels: by number for a numeric factor, else by text (deterministic whatever
 * the shuffled trial order was). */
struct level_sort {
	char *text;
	double value;
	size_t old;
	int numeric;
};

static int level_cmp(const void *a, const void *b)
{
	const struct level_sort *x = a, *y = b;

	if (x->numeric && x->value != y->value)
		return x->value < y->value ? -1 : 1;
	return strcmp(x->text, y->text);
}

static int factor_sort(struct results *r, struct factor *f, size_t fi)
{
	struct level_sort *ls = NULL;
	size_t *map = NULL;
	int e = 0;

	if (f->n_levels < 2)
		return 0;
	ls = calloc(f->n_levels, sizeof(*ls));
	map = calloc(f->n_levels, sizeof(*map));
	if (!ls || !map) {
		e = -ENOMEM;
		goto out;
	}
	for (size_t i = 0; i < f->n_levels; i++)
		ls[i] = (struct level_sort){ f->levels[i], f->values[i], i, f->numeric };
	qsort(ls, f->n_levels, sizeof(*ls), level_cmp);
	for (size_t i = 0; i < f->n_levels; i++) {
		f->levels[i] = ls[i].text;
		f->values[i] = ls[i].value;
		map[ls[i].old] = i;
	}
	for (size_t t = 0; t < r->nt; t++)
		r->t[t].lv[fi] = map[r->t[t].lv[fi]];
out:
	free(ls);
	free(map);
	return e;
}

struct tuple_sort {
	const size_t *lv;
	size_t nf;
};

static int tuple_cmp(const void *a, const void *b)
{
	const struct tuple_sort *x = a, *y = b;

	for (size_t f = 0; f < x->nf; f++)
		if (x->lv[f] != y->lv[f])
			return x->lv[f] < y->lv[f] ? -1 : 1;
	return 0;
}

/* Rebuilds r->plv from the trials: the distinct level tuples, sorted. */
static int points_build(struct results *r)
{
	struct tuple_sort *ts = NULL;
	size_t *plv = NULL, np = 0;
	int e = 0;

	if (r->nt) {
		ts = calloc(r->nt, sizeof(*ts));
		plv = calloc(r->nt * (r->nf ? r->nf : 1), sizeof(*plv));
		if (!ts || !plv) {
			e = -ENOMEM;
			goto out;
		}
	}
	for (size_t t = 0; t < r->nt; t++)
		ts[t] = (struct tuple_sort){ r->t[t].lv, r->nf };
	if (r->nt)
		qsort(ts, r->nt, sizeof(*ts), tuple_cmp);
	for (size_t t = 0; t < r->nt; t++) {
		if (t && !tuple_cmp(&ts[t], &ts[t - 1]))
			continue;
		if (r->nf)
			memcpy(plv + np * r->nf, ts[t].lv, r->nf * sizeof(*plv));
		np++;
	}
	free(r->plv);
	r->plv = plv;
	plv = NULL;
	r->np = np;
out:
	free(ts);
	free(plv);
	return e;
}

static int trial_at_point(const struct results *r, const struct trial *t, size_t p)
{
	return !r->nf || !memcmp(t->lv, r->plv + p * r->nf, r->nf * sizeof(*t->lv));
}

static double trial_value(const struct trial *t, size_t m)
{
	return m < t->n_v ? t->v[m] : NAN;
}

static void stats_point(const struct results *r, size_t p, size_t m, double *buf, struct stats *ret)
{
	size_t n = 0;

	for (size_t t = 0; t < r->nt; t++) {
		double v = trial_value(&r->t[t], m);

		if (trial_at_point(r, &r->t[t], p) && !isnan(v))
			buf[n++] = v;
	}
	if (stats_compute(buf, n, ret) < 0)
		*ret = (struct stats){ .n = 0, .mean = NAN, .sd = NAN, .sem = NAN, .ci_half = NAN,
				       .ci_lo = NAN, .ci_hi = NAN, .min = NAN, .max = NAN };
}

/* Which trial is (point, rep), for pairing repetitions across points. */
static int rep_map_build(struct results *r)
{
	size_t nrep = 0, *map;

	for (size_t t = 0; t < r->nt; t++)
		if (r->t[t].rep + (size_t)1 > nrep)
			nrep = r->t[t].rep + (size_t)1;
	map = calloc(r->np * nrep + 1, sizeof(*map));
	if (!map)
		return -ENOMEM;
	for (size_t t = 0; t < r->nt; t++)
		for (size_t p = 0; p < r->np; p++)
			if (trial_at_point(r, &r->t[t], p)) {
				map[p * nrep + r->t[t].rep] = t + 1;
				break;
			}
	free(r->rep_trial);
	r->rep_trial = map;
	r->n_reps = nrep;
	return 0;
}

int results_paired_stats(const struct results *r, size_t p, size_t base, size_t m, struct stats *ret)
{
	double *d;
	size_t n = 0;
	int e;

	if (p >= r->np || base >= r->np || m >= r->nm || !r->rep_trial)
		return -EINVAL;
	d = calloc(r->n_reps + 1, sizeof(*d));
	if (!d)
		return -ENOMEM;
	for (size_t k = 0; k < r->n_reps; k++) {
		size_t a = r->rep_trial[p * r->n_reps + k], b = r->rep_trial[base * r->n_reps + k];
		double x, y;

		if (!a || !b)
			continue;
		x = trial_value(&r->t[a - 1], m);
		y = trial_value(&r->t[b - 1], m);
		if (!isnan(x) && !isnan(y))
			d[n++] = x - y;
	}
	e = stats_compute(d, n, ret);
	free(d);
	if (e < 0)
		*ret = (struct stats){ .n = 0, .mean = NAN, .sd = NAN, .sem = NAN, .ci_half = NAN,
				       .ci_lo = NAN, .ci_hi = NAN, .min = NAN, .max = NAN };
	return 0;
}

int results_aggregate(struct results *r)
{
	struct stats *st = NULL;
	double *buf = NULL;
	int e = 0;

	for (size_t f = 0; f < r->nf; f++) {
		e = factor_sort(r, &r->f[f], f);
		if (e < 0)
			goto out;
	}
	e = points_build(r);
	if (e < 0)
		goto out;
	st = calloc(r->np * r->nm + 1, sizeof(*st));
	buf = calloc(r->nt ? r->nt : 1, sizeof(*buf));
	if (!st || !buf) {
		e = -ENOMEM;
		goto out;
	}
	for (size_t p = 0; p < r->np; p++)
		for (size_t m = 0; m < r->nm; m++)
			stats_point(r, p, m, buf, &st[p * r->nm + m]);
	free(r->st);
	r->st = st;
	r->st_nm = r->nm;
	st = NULL;
	e = rep_map_build(r);
out:
	free(st);
	free(buf);
	return e;
}

size_t results_n_factors(const struct results *r)
{
	return r->nf;
}

const char *results_factor_name(const struct results *r, size_t f)
{
	return f < r->nf ? r->f[f].name : NULL;
}

int results_factor_numeric(const struct results *r, size_t f)
{
	return f < r->nf && r->f[f].numeric;
}

size_t results_n_levels(const struct results *r, size_t f)
{
	return f < r->nf ? r->f[f].n_levels : 0;
}

const char *results_level(const struct results *r, size_t f, size_t level)
{
	return f < r->nf && level < r->f[f].n_levels ? r->f[f].levels[level] : NULL;
}

double results_level_value(const struct results *r, size_t f, size_t level)
{
	if (f >= r->nf || level >= r->f[f].n_levels || !r->f[f].numeric)
		return NAN;
	return r->f[f].values[level];
}

size_t results_n_metrics(const struct results *r)
{
	return r->nm;
}

const char *results_metric_name(const struct results *r, size_t m)
{
	return m < r->nm ? r->metrics[m] : NULL;
}

size_t results_n_points(const struct results *r)
{
	return r->np;
}

size_t results_point_level(const struct results *r, size_t p, size_t f)
{
	return p < r->np && f < r->nf ? r->plv[p * r->nf + f] : 0;
}

long results_find_point(const struct results *r, const size_t *levels)
{
	for (size_t p = 0; p < r->np; p++)
		if (!r->nf || !memcmp(r->plv + p * r->nf, levels, r->nf * sizeof(*levels)))
			return (long)p;
	return -ENOENT;
}

const struct stats *results_point_stats(const struct results *r, size_t p, size_t m)
{
	if (p >= r->np || m >= r->st_nm)
		return NULL;
	return &r->st[p * r->st_nm + m];
}

size_t results_n_trials(const struct results *r)
{
	return r->nt;
}

unsigned results_trial_rep(const struct results *r, size_t t)
{
	return t < r->nt ? r->t[t].rep : 0;
}

const char *results_trial_level(const struct results *r, size_t t, size_t f)
{
	return t < r->nt && f < r->nf ? r->f[f].levels[r->t[t].lv[f]] : NULL;
}

double results_trial_value(const struct results *r, size_t t, size_t m)
{
	return t < r->nt ? trial_value(&r->t[t], m) : NAN;
}

/* ---- writing ---- */

/* Shortest of %.15g / %.17g that reads back as the same double; empty for NaN. */
static void num_put(FILE *f, double v)
{
	char buf[32];

	if (isnan(v))
		return;
	snprintf(buf, sizeof(buf), "%.15g", v);
	if (strtod(buf, NULL) != v)
		snprintf(buf, sizeof(buf), "%.17g", v);
	fputs(buf, f);
}

/* RFC 4180 field: quoted when it holds a comma, quote or line break. */
static void csv_put(FILE *f, const char *s)
{
	if (!strpbrk(s, ",\"\r\n")) {
		fputs(s, f);
		return;
	}
	fputc('"', f);
	for (; *s; s++) {
		if (*s == '"')
			fputc('"', f);
		fputc(*s, f);
	}
	fputc('"', f);
}

static const char *const stat_cols[] = { "n", "mean", "sd", "sem", "ci_half", "ci_lo", "ci_hi", "min", "max" };

/* One point's columns for a metric; sep: a comma before the first one. */
static void stats_put(FILE *f, const struct stats *s, int sep)
{
	const double v[] = { s->mean, s->sd, s->sem, s->ci_half, s->ci_lo, s->ci_hi, s->min, s->max };

	fprintf(f, "%s%zu", sep ? "," : "", s->n);
	for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		fputc(',', f);
		num_put(f, v[i]);
	}
}

static void factors_header(const struct results *r, FILE *f)
{
	for (size_t i = 0; i < r->nf; i++)
		fprintf(f, "%s%s", i ? "," : "", r->f[i].name);
}

static void points_csv(const struct results *r, FILE *f)
{
	factors_header(r, f);
	for (size_t m = 0; m < r->nm; m++)
		for (size_t c = 0; c < sizeof(stat_cols) / sizeof(stat_cols[0]); c++)
			fprintf(f, "%s%s.%s", r->nf || m || c ? "," : "", r->metrics[m], stat_cols[c]);
	fputs("\r\n", f);
	for (size_t p = 0; p < r->np; p++) {
		for (size_t i = 0; i < r->nf; i++) {
			if (i)
				fputc(',', f);
			csv_put(f, r->f[i].levels[r->plv[p * r->nf + i]]);
		}
		for (size_t m = 0; m < r->nm; m++)
			stats_put(f, &r->st[p * r->st_nm + m], r->nf || m);
		fputs("\r\n", f);
	}
}

static void trials_csv(const struct results *r, FILE *f)
{
	factors_header(r, f);
	fprintf(f, "%srep", r->nf ? "," : "");
	for (size_t m = 0; m < r->nm; m++)
		fprintf(f, ",%s", r->metrics[m]);
	fputs("\r\n", f);
	for (size_t t = 0; t < r->nt; t++) {
		for (size_t i = 0; i < r->nf; i++) {
			csv_put(f, r->f[i].levels[r->t[t].lv[i]]);
			fputc(',', f);
		}
		fprintf(f, "%u", r->t[t].rep);
		for (size_t m = 0; m < r->nm; m++) {
			fputc(',', f);
			num_put(f, trial_value(&r->t[t], m));
		}
		fputs("\r\n", f);
	}
}

static int csv_write(struct results *r, const char *dir, const char *name,
		     void (*fn)(const struct results *, FILE *))
{
	struct outfile *o = NULL;
	int e = outfile_open(dir, name, &o);

	if (e < 0)
		return e;
	fn(r, outfile_stream(o));
	return outfile_close(o, 0);
}

int results_write_csv(struct results *r, const char *dir)
{
	int e = results_aggregate(r);

	if (e < 0)
		return e;
	e = csv_write(r, dir, "results.csv", points_csv);
	if (e < 0)
		return e;
	return csv_write(r, dir, "trials.csv", trials_csv);
}

/* ---- JSON ---- */

/* JSON has no NaN: undefined statistics and missing values are null. */
static json_t *jnum(double v)
{
	return isfinite(v) ? json_real(v) : json_null();
}

/* A numeric level as the number it is (an integer when integral), else its text. */
static json_t *jlevel(const struct factor *f, size_t l)
{
	double v = f->values[l];

	if (!f->numeric)
		return json_string(f->levels[l]);
	if (v == floor(v) && fabs(v) < 9007199254740992.0)
		return json_integer((json_int_t)v);
	return json_real(v);
}

/* json_object_set_new that remembers a failure (a NULL value or no memory) in *bad. */
static void jset(json_t *o, const char *key, json_t *v, int *bad)
{
	if (!o || !v || json_object_set_new(o, key, v) < 0)
		*bad = 1;
}

static void jpush(json_t *a, json_t *v, int *bad)
{
	if (!a || !v || json_array_append_new(a, v) < 0)
		*bad = 1;
}

static json_t *jpoint(const struct results *r, const size_t *lv, int *bad)
{
	json_t *o = json_object();

	for (size_t f = 0; f < r->nf; f++)
		jset(o, r->f[f].name, jlevel(&r->f[f], lv[f]), bad);
	return o;
}

static json_t *jstats(const struct stats *s, int *bad)
{
	json_t *o = json_object();

	jset(o, "n", json_integer((json_int_t)s->n), bad);
	jset(o, "mean", jnum(s->mean), bad);
	jset(o, "sd", jnum(s->sd), bad);
	jset(o, "sem", jnum(s->sem), bad);
	jset(o, "ci_half", jnum(s->ci_half), bad);
	jset(o, "ci_lo", jnum(s->ci_lo), bad);
	jset(o, "ci_hi", jnum(s->ci_hi), bad);
	jset(o, "min", jnum(s->min), bad);
	jset(o, "max", jnum(s->max), bad);
	return o;
}

static json_t *jfactors(const struct results *r, int *bad)
{
	json_t *a = json_array();

	for (size_t f = 0; f < r->nf; f++) {
		json_t *o = json_object(), *lv = json_array();

		for (size_t l = 0; l < r->f[f].n_levels; l++)
			jpush(lv, json_string(r->f[f].levels[l]), bad);
		jset(o, "name", json_string(r->f[f].name), bad);
		jset(o, "numeric", json_boolean(r->f[f].numeric), bad);
		jset(o, "levels", lv, bad);
		jpush(a, o, bad);
	}
	return a;
}

static json_t *jpoints(const struct results *r, int *bad)
{
	json_t *a = json_array();

	for (size_t p = 0; p < r->np; p++) {
		json_t *o = json_object(), *st = json_object();

		for (size_t m = 0; m < r->nm; m++)
			jset(st, r->metrics[m], jstats(&r->st[p * r->st_nm + m], bad), bad);
		jset(o, "point", jpoint(r, r->plv + p * r->nf, bad), bad);
		jset(o, "stats", st, bad);
		jpush(a, o, bad);
	}
	return a;
}

static json_t *jtrials(const struct results *r, int *bad)
{
	json_t *a = json_array();

	for (size_t t = 0; t < r->nt; t++) {
		json_t *o = json_object(), *mv = json_object();

		for (size_t m = 0; m < r->nm; m++)
			jset(mv, r->metrics[m], jnum(trial_value(&r->t[t], m)), bad);
		jset(o, "point", jpoint(r, r->t[t].lv, bad), bad);
		jset(o, "rep", json_integer(r->t[t].rep), bad);
		jset(o, "metrics", mv, bad);
		jpush(a, o, bad);
	}
	return a;
}

/* Per point other than the baseline (point 0), per metric: the differences of its
 * repetitions from the baseline's same repetitions, summarized. */
static json_t *jpaired(const struct results *r, int *bad)
{
	json_t *o = json_object(), *a = json_array();

	for (size_t p = 1; p < r->np; p++) {
		json_t *e = json_object(), *st = json_object();

		for (size_t m = 0; m < r->nm; m++) {
			struct stats s;

			if (results_paired_stats(r, p, 0, m, &s) < 0)
				*bad = 1;
			else
				jset(st, r->metrics[m], jstats(&s, bad), bad);
		}
		jset(e, "point", jpoint(r, r->plv + p * r->nf, bad), bad);
		jset(e, "stats", st, bad);
		jpush(a, e, bad);
	}
	jset(o, "baseline", jpoint(r, r->plv, bad), bad);
	jset(o, "points", a, bad);
	return o;
}

static json_t *jresults(const struct results *r, int *bad)
{
	json_t *root = json_object(), *meta = json_object(), *metrics = json_array();
	json_t *units = json_object();

	for (size_t i = 0; i < r->n_meta; i++)
		jset(meta, r->meta_k[i], json_string(r->meta_v[i]), bad);
	for (size_t m = 0; m < r->nm; m++) {
		jpush(metrics, json_string(r->metrics[m]), bad);
		if (r->units[m])
			jset(units, r->metrics[m], json_string(r->units[m]), bad);
	}
	jset(root, "format", json_string(RESULTS_FORMAT), bad);
	jset(root, "version", json_integer(RESULTS_VERSION), bad);
	jset(root, "meta", meta, bad);
	jset(root, "factors", jfactors(r, bad), bad);
	jset(root, "metrics", metrics, bad);
	if (json_object_size(units))
		jset(root, "metric_units", units, bad);
	else
		json_decref(units);
	jset(root, "points", jpoints(r, bad), bad);
	jset(root, "trials", jtrials(r, bad), bad);
	if (r->np > 1)
		jset(root, "paired", jpaired(r, bad), bad);
	return root;
}

int results_write_json(struct results *r, const char *dir)
{
	struct outfile *o = NULL;
	json_t *root = NULL;
	int bad = 0, e;

	e = results_aggregate(r);
	if (e < 0)
		return e;
	root = jresults(r, &bad);
	if (bad || !root) {
		e = -ENOMEM;
		goto out;
	}
	e = outfile_open(dir, "results.json", &o);
	if (e < 0)
		goto out;
	/* 17 significant digits: every double reads back exactly. */
	e = json_dumpf(root, outfile_stream(o), JSON_INDENT(1) | JSON_REAL_PRECISION(17)) < 0 ? -EIO : 0;
	if (!e)
		fputc('\n', outfile_stream(o));
	e = outfile_close(o, e);
out:
	json_decref(root);
	return e;
}

static void err_set(char *err, size_t len, const char *fmt, ...)
{
	va_list ap;

	if (!err || !len)
		return;
	va_start(ap, fmt);
	vsnprintf(err, len, fmt, ap);
	va_end(ap);
}

/* Level text of factor f for a point value: its text, or the declared level with that
 * number, or the number's shortest exact text. NULL when v is neither. */
static const char *level_text(const struct factor *f, const json_t *v, char *buf, size_t len)
{
	double x;

	if (json_is_string(v))
		return json_string_value(v);
	if (!json_is_number(v))
		return NULL;
	x = json_number_value(v);
	for (size_t l = 0; l < f->n_levels; l++)
		if (f->values[l] == x)
			return f->levels[l];
	snprintf(buf, len, "%.15g", x);
	if (strtod(buf, NULL) != x)
		snprintf(buf, len, "%.17g", x);
	return buf;
}

struct reader {
	const char *path;
	char *err;
	size_t err_len;
};

static int read_factors(const struct reader *rd, const json_t *root, struct results **ret)
{
	const json_t *fa = json_object_get(root, "factors"), *fo;
	const char **names = NULL;
	size_t i;
	int e = 0;

	if (!json_is_array(fa)) {
		err_set(rd->err, rd->err_len, "%s: \"factors\": missing or not an array", rd->path);
		return -EINVAL;
	}
	names = calloc(json_array_size(fa) + 1, sizeof(*names));
	if (!names)
		return -ENOMEM;
	json_array_foreach(fa, i, fo) {
		names[i] = json_string_value(json_object_get(fo, "name"));
		if (!name_valid(names[i])) {
			err_set(rd->err, rd->err_len, "%s: factors[%zu].name: missing or not a valid name", rd->path, i);
			e = -EINVAL;
			goto out;
		}
	}
	e = results_new(names, json_array_size(fa), ret);
	if (e == -EINVAL)
		err_set(rd->err, rd->err_len, "%s: \"factors\": repeated factor name", rd->path);
	if (e < 0)
		goto out;
	/* Declared levels first, so that numbers in points map back to the exact text. */
	json_array_foreach(fa, i, fo) {
		const json_t *lv = json_object_get(fo, "levels"), *l;
		size_t j;

		json_array_foreach(lv, j, l) {
			if (!level_valid(json_string_value(l))) {
				err_set(rd->err, rd->err_len, "%s: factors[%zu].levels[%zu]: not a valid level", rd->path, i, j);
				e = -EINVAL;
				goto out;
			}
			if (level_intern(&(*ret)->f[i], json_string_value(l)) < 0) {
				e = -ENOMEM;
				goto out;
			}
		}
	}
out:
	if (e < 0) {
		results_free(*ret);
		*ret = NULL;
	}
	free(names);
	return e;
}

static int read_meta(const struct reader *rd, const json_t *root, struct results *r)
{
	const json_t *meta = json_object_get(root, "meta"), *v;
	const char *k;

	if (!meta)
		return 0;
	if (!json_is_object(meta)) {
		err_set(rd->err, rd->err_len, "%s: \"meta\": not an object", rd->path);
		return -EINVAL;
	}
	json_object_foreach((json_t *)meta, k, v) {
		int e;

		if (!json_is_string(v)) {
			err_set(rd->err, rd->err_len, "%s: meta.%s: not a string", rd->path, k);
			return -EINVAL;
		}
		e = results_set_meta(r, k, json_string_value(v));
		if (e < 0)
			return e;
	}
	return 0;
}

/* "metric_units" (optional): units of metrics outside the registry (results_register_metric). */
static int read_units(const struct reader *rd, const json_t *root, struct results *r)
{
	const json_t *mu = json_object_get(root, "metric_units"), *v;
	const char *k;

	if (!mu)
		return 0;
	if (!json_is_object(mu)) {
		err_set(rd->err, rd->err_len, "%s: \"metric_units\": not an object", rd->path);
		return -EINVAL;
	}
	json_object_foreach((json_t *)mu, k, v) {
		int e;

		if (results_metric_index(r, k) < 0 || !json_is_string(v) || !unit_valid(json_string_value(v))) {
			err_set(rd->err, rd->err_len, "%s: metric_units.%s: not a listed metric with a unit of at most %d characters",
				rd->path, k, RESULTS_UNIT_MAX);
			return -EINVAL;
		}
		e = results_register_metric(r, k, json_string_value(v));
		if (e < 0)
			return e;
	}
	return 0;
}

/* Metrics in the file's order, so that tables and columns keep it. */
static int read_metrics(const struct reader *rd, const json_t *root, struct results *r)
{
	const json_t *ma = json_object_get(root, "metrics"), *m;
	size_t i;

	if (!json_is_array(ma)) {
		err_set(rd->err, rd->err_len, "%s: \"metrics\": missing or not an array", rd->path);
		return -EINVAL;
	}
	json_array_foreach(ma, i, m) {
		const char *name = json_string_value(m);
		long k;

		if (!name_valid(name) || results_metric_index(r, name) >= 0) {
			err_set(rd->err, rd->err_len, "%s: metrics[%zu]: not a valid, new metric name", rd->path, i);
			return -EINVAL;
		}
		k = metric_intern(r, name);
		if (k < 0)
			return (int)k;
	}
	return read_units(rd, root, r);
}

static int read_trial(const struct reader *rd, size_t i, const json_t *to, struct results *r,
		      const char **point, char (*numbuf)[32], struct results_metric *mv)
{
	const json_t *po = json_object_get(to, "point"), *rep = json_object_get(to, "rep");
	const json_t *mo = json_object_get(to, "metrics"), *v;
	const char *k;
	size_t n = 0;
	int e;

	if (!json_is_object(po) || !json_is_integer(rep) || json_integer_value(rep) < 0 ||
	    json_integer_value(rep) > (json_int_t)UINT32_MAX || !json_is_object(mo)) {
		err_set(rd->err, rd->err_len, "%s: trials[%zu]: needs \"point\" (object), \"rep\" (integer >= 0) and \"metrics\" (object)", rd->path, i);
		return -EINVAL;
	}
	for (size_t f = 0; f < r->nf; f++) {
		point[f] = level_text(&r->f[f], json_object_get(po, r->f[f].name), numbuf[f], sizeof(numbuf[f]));
		if (!point[f]) {
			err_set(rd->err, rd->err_len, "%s: trials[%zu].point.%s: missing, or not a string or number", rd->path, i, r->f[f].name);
			return -EINVAL;
		}
	}
	json_object_foreach((json_t *)mo, k, v) {
		if (!json_is_number(v) && !json_is_null(v)) {
			err_set(rd->err, rd->err_len, "%s: trials[%zu].metrics.%s: not a number or null", rd->path, i, k);
			return -EINVAL;
		}
		if (n >= r->nm || results_metric_index(r, k) < 0) {
			err_set(rd->err, rd->err_len, "%s: trials[%zu].metrics.%s: not listed in \"metrics\"", rd->path, i, k);
			return -EINVAL;
		}
		mv[n++] = (struct results_metric){ k, json_is_null(v) ? NAN : json_number_value(v) };
	}
	e = results_add_trial(r, point, (unsigned)json_integer_value(rep), mv, n);
	if (e == -EEXIST) {
		err_set(rd->err, rd->err_len, "%s: trials[%zu]: a trial with the same point and rep came before", rd->path, i);
		e = -EINVAL;
	} else if (e == -EINVAL)
		err_set(rd->err, rd->err_len, "%s: trials[%zu]: invalid level or metric value", rd->path, i);
	return e;
}

static int read_trials(const struct reader *rd, const json_t *root, struct results *r)
{
	const json_t *ta = json_object_get(root, "trials"), *to;
	const char **point = NULL;
	char (*numbuf)[32] = NULL;
	struct results_metric *mv = NULL;
	size_t i;
	int e = 0;

	if (!json_is_array(ta)) {
		err_set(rd->err, rd->err_len, "%s: \"trials\": missing or not an array", rd->path);
		return -EINVAL;
	}
	point = calloc(r->nf + 1, sizeof(*point));
	numbuf = calloc(r->nf + 1, sizeof(*numbuf));
	mv = calloc(r->nm + 1, sizeof(*mv));
	if (!point || !numbuf || !mv) {
		e = -ENOMEM;
		goto out;
	}
	json_array_foreach(ta, i, to) {
		e = read_trial(rd, i, to, r, point, numbuf, mv);
		if (e < 0)
			goto out;
	}
out:
	free(point);
	free(numbuf);
	free(mv);
	return e;
}

int results_read_json(const char *path, struct results **ret, char *err, size_t err_len)
{
	const struct reader rd = { path, err, err_len };
	struct results *r = NULL;
	json_error_t jerr;
	json_t *root = NULL;
	const json_t *fmt, *ver;
	int e = 0;
	FILE *f = regfile_fopen(path);

	if (!f) {
		e = -errno;
		err_set(err, err_len, "%s: %s", path, strerror(-e));
		return e;
	}
	root = json_loadf(f, JSON_REJECT_DUPLICATES, &jerr);
	fclose(f);
	if (!root) {
		err_set(err, err_len, "%s:%d:%d: %s", path, jerr.line, jerr.column, jerr.text);
		return -EINVAL;
	}
	fmt = json_object_get(root, "format");
	ver = json_object_get(root, "version");
	if (!json_is_string(fmt) || strcmp(json_string_value(fmt), RESULTS_FORMAT) ||
	    !json_is_integer(ver) || json_integer_value(ver) != RESULTS_VERSION) {
		err_set(err, err_len, "%s: not a qoslab results file (\"format\": \"%s\", \"version\": %d expected)",
			path, RESULTS_FORMAT, RESULTS_VERSION);
		e = -EINVAL;
		goto out;
	}
	e = read_factors(&rd, root, &r);
	if (e >= 0)
		e = read_meta(&rd, root, r);
	if (e >= 0)
		e = read_metrics(&rd, root, r);
	if (e >= 0)
		e = read_trials(&rd, root, r);
	if (e >= 0)
		e = results_aggregate(r);
	if (e == -ENOMEM)
		err_set(err, err_len, "%s: out of memory", path);
	if (e < 0)
		goto out;
	*ret = r;
	r = NULL;
out:
	results_free(r);
	json_decref(root);
	return e;
}
