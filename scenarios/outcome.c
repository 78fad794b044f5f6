// SPDX-License-Identifier: MIT
/* Trial outcome files: written by whichever process ran the trial, merged by the run. */
#include <dirent.h>
#include <errno.h>
#include <jansson.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "emu/kernel.h"
#include "plots/outfile.h"
#include "regfile.h"
#include "scenarios/outcome.h"

static const char *const status_names[] = { "pending", "ok", "failed" };

void outcome_trial_name(const struct scenario_trial *tr, char *buf, size_t len)
{
	snprintf(buf, len, "%03zu-p%zu-r%d", tr->order, tr->point, tr->rep);
}

static json_t *number_or_null(double v)
{
	return isfinite(v) ? json_real(v) : json_null();
}

int outcome_write(const char *out, const struct scenario *sc, const struct scenario_trial *tr,
		  const struct outcome *o, const struct trial_metrics *m)
{
	json_t *root = NULL, *factors = json_array(), *levels = json_array(), *metrics = json_object();
	struct outfile *of = NULL;
	char dir[PATH_MAX], name[64], host[256] = "", kernel[128];
	int r = -ENOMEM;

	if (!factors || !levels || !metrics)
		goto out;
	outcome_trial_name(tr, name, sizeof(name));
	snprintf(dir, sizeof(dir), "%s/trials/%s", out, name);
	if (mkdir(dir, 0755) < 0 && errno != EEXIST) {
		r = -errno;
		goto out;
	}
	for (size_t f = 0; f < sc->n_factors; f++)
		if (json_array_append_new(factors, json_string(sc->factors[f].name)) < 0 ||
		    json_array_append_new(levels, json_string(tr->levels[f])) < 0)
			goto out;
	if (o->status == OUTCOME_OK && m)
		for (size_t i = 0; i < m->n; i++)
			if (json_object_set_new(metrics, m->m[i].name, number_or_null(m->m[i].value)) < 0)
				goto out;
	if (getenv(OUTCOME_HOST_ENV))
		snprintf(host, sizeof(host), "%s", getenv(OUTCOME_HOST_ENV));
	else
		gethostname(host, sizeof(host) - 1);
	kernel_describe(kernel, sizeof(kernel));
	root = json_pack("{s:s, s:i, s:I, s:I, s:i, s:O, s:O, s:s, s:s, s:s, s:s, s:s, s:o, s:O}",
			 "format", "qoslab-trial", "version", 1, "order", (json_int_t)tr->order,
			 "point", (json_int_t)tr->point, "rep", tr->rep, "factors", factors,
			 "levels", levels, "status", status_names[o->status], "error", o->error,
			 "summary", o->summary, "host", host, "kernel", kernel,
			 "wall_s", number_or_null(o->wall_s),
			 "metrics", metrics);
	if (!root)
		goto out;
	if ((r = outfile_open(dir, OUTCOME_FILE, &of)) < 0)
		goto out;
	r = json_dumpf(root, outfile_stream(of), JSON_INDENT(1)) < 0 ? -EIO : 0;
	r = outfile_close(of, r);
out:
	json_decref(root);
	json_decref(factors);
	json_decref(levels);
	json_decref(metrics);
	return r;
}

static int bad(char *err, size_t errlen, const char *path, const char *what)
{
	snprintf(err, errlen, "%s: %s", path, what);
	return -EINVAL;
}

/* The trial's levels in res's factor order, from the file's factors and levels. */
static int levels_of(const json_t *root, const struct results *res, const char **lv,
		     const char *path, char *err, size_t errlen)
{
	json_t *factors = json_object_get(root, "factors"), *levels = json_object_get(root, "levels");
	size_t nf = results_n_factors(res);

	if (!json_is_array(factors) || !json_is_array(levels) || json_array_size(factors) != nf ||
	    json_array_size(levels) != nf)
		return bad(err, errlen, path, "factors and levels do not match the run's factors");
	for (size_t f = 0; f < nf; f++) {
		const char *fn = json_string_value(json_array_get(factors, f));

		lv[f] = json_string_value(json_array_get(levels, f));
		if (!fn || !lv[f] || strcmp(fn, results_factor_name(res, f)))
			return bad(err, errlen, path, "factors and levels do not match the run's factors");
	}
	return 0;
}

static int add_trial(const json_t *root, struct results *res, const char **lv, unsigned rep,
		     const char *path, char *err, size_t errlen)
{
	json_t *metrics = json_object_get(root, "metrics"), *v;
	struct results_metric *m;
	const char *key;
	size_t n = 0;
	int r;

	if (!json_is_object(metrics))
		return bad(err, errlen, path, "no metrics object");
	m = calloc(json_object_size(metrics) + 1, sizeof(*m));
	if (!m)
		return -ENOMEM;
	json_object_foreach(metrics, key, v) {
		if (!json_is_number(v) && !json_is_null(v)) {
			free(m);
			return bad(err, errlen, path, "a metric is not a number or null");
		}
		m[n++] = (struct results_metric){ key, json_is_null(v) ? NAN : json_number_value(v) };
	}
	r = results_add_trial(res, lv, rep, m, n);
	free(m);
	if (r == -EINVAL)
		return bad(err, errlen, path, "invalid metric name, value or level");
	return r;
}

/* Reads the outcome file of trial directory name into *ret and *ret_root. */
static int load(const char *out, const char *name, json_t **ret_root, struct outcome *ret,
		char *err, size_t errlen)
{
	char path[PATH_MAX];
	json_error_t jerr;
	json_t *root, *x;
	const char *s;
	json_int_t rep;
	FILE *f;
	int r;

	snprintf(path, sizeof(path), "%s/trials/%s/" OUTCOME_FILE, out, name);
	memset(ret, 0, sizeof(*ret));
	snprintf(ret->name, sizeof(ret->name), "%s", name);
	/* written by other processes, maybe on other hosts: never block on a FIFO */
	if (!(f = regfile_fopen(path))) {
		r = -errno;
		if (r != -ENOENT)
			snprintf(err, errlen, "%s: %s", path, strerror(-r));
		return r;
	}
	root = json_loadf(f, JSON_REJECT_DUPLICATES, &jerr);
	fclose(f);
	if (!root) {
		snprintf(err, errlen, "%s:%d:%d: %s", path, jerr.line, jerr.column, jerr.text);
		return -EINVAL;
	}
	s = json_string_value(json_object_get(root, "format"));
	rep = json_integer_value(json_object_get(root, "rep"));
	if (!s || strcmp(s, "qoslab-trial") || rep < 0 || rep > INT_MAX) {
		json_decref(root);
		return bad(err, errlen, path, "not a qoslab trial outcome");
	}
	s = json_string_value(json_object_get(root, "status"));
	ret->status = !s ? OUTCOME_FAILED : !strcmp(s, "ok") ? OUTCOME_OK :
		      !strcmp(s, "pending") ? OUTCOME_PENDING : OUTCOME_FAILED;
	ret->order = (size_t)json_integer_value(json_object_get(root, "order"));
	ret->point = (size_t)json_integer_value(json_object_get(root, "point"));
	ret->rep = (int)rep;
	x = json_object_get(root, "wall_s");
	ret->wall_s = json_is_number(x) ? json_number_value(x) : NAN;
	s = json_string_value(json_object_get(root, "summary"));
	snprintf(ret->summary, sizeof(ret->summary), "%s", s ? s : "");
	s = json_string_value(json_object_get(root, "error"));
	snprintf(ret->error, sizeof(ret->error), "%s", s ? s : "");
	*ret_root = root;
	return 0;
}

int outcome_peek(const char *out, const char *name, struct outcome *ret)
{
	json_t *root = NULL;
	char err[8];
	int r = load(out, name, &root, ret, err, sizeof(err));

	json_decref(root);
	return r;
}

int outcome_merge(const char *out, const char *name, struct results *res, struct outcome *ret,
		  char *err, size_t errlen)
{
	char path[PATH_MAX];
	json_t *root = NULL;
	const char **lv = NULL;
	int r;

	if ((r = load(out, name, &root, ret, err, errlen)) < 0)
		return r;
	snprintf(path, sizeof(path), "%s/trials/%s/" OUTCOME_FILE, out, name);
	lv = calloc(results_n_factors(res) + 1, sizeof(*lv));
	if (!lv) {
		r = -ENOMEM;
		goto out;
	}
	if ((r = levels_of(root, res, lv, path, err, errlen)) < 0)
		goto out;
	if (ret->status != OUTCOME_OK || results_has_trial(res, lv, (unsigned)ret->rep)) {
		r = 0;
		goto out;
	}
	r = add_trial(root, res, lv, (unsigned)ret->rep, path, err, errlen);
	if (r == 0)
		r = 1;
out:
	free(lv);
	json_decref(root);
	return r;
}

/* Appends "; NAME: pending" or "; NAME: failed: ERROR" to *list (a malloc'd string). */
static int list_append(char **list, const struct outcome *o)
{
	char *n;
	int len;

	len = asprintf(&n, "%s%s%s: %s%s%s", *list ? *list : "", *list ? "; " : "", o->name,
		       o->status == OUTCOME_PENDING ? "pending" : "failed",
		       o->status == OUTCOME_PENDING ? "" : ": ", o->status == OUTCOME_PENDING ? "" : o->error);
	if (len < 0)
		return -ENOMEM;
	free(*list);
	*list = n;
	return 0;
}

static int by_name(const struct dirent **a, const struct dirent **b)
{
	return strcmp((*a)->d_name, (*b)->d_name);
}

int outcome_merge_all(const char *out, struct results *res, size_t *ret_added,
		      size_t *ret_missing, char *err, size_t errlen)
{
	struct dirent **ents = NULL;
	char dir[PATH_MAX], *list = NULL, *meta = NULL;
	size_t added = 0, missing = 0;
	int n, r = 0;

	snprintf(dir, sizeof(dir), "%s/trials", out);
	n = scandir(dir, &ents, NULL, by_name);
	if (n < 0) {
		r = errno == ENOENT ? 0 : -errno;
		if (r < 0)
			snprintf(err, errlen, "%s: %s", dir, strerror(-r));
		n = 0;
		goto done;
	}
	for (int i = 0; i < n && r >= 0; i++) {
		struct outcome o;
		int m;

		if (ents[i]->d_name[0] == '.')
			continue;
		m = outcome_merge(out, ents[i]->d_name, res, &o, err, errlen);
		if (m == -ENOENT) {
			/* begun and never ended (interrupted, killed, exec failed) */
			o.status = OUTCOME_FAILED;
			snprintf(o.error, sizeof(o.error), "no " OUTCOME_FILE " (interrupted or killed?)");
			m = 0;
		}
		if (m < 0) {
			r = m;
			break;
		}
		added += m == 1;
		if (o.status != OUTCOME_OK) {
			missing++;
			r = list_append(&list, &o);
		}
	}
done:
	if (r >= 0) {
		if (asprintf(&meta, "%zu%s%s", missing, list ? ": " : "", list ? list : "") < 0) {
			meta = NULL;
			r = -ENOMEM;
		} else {
			r = results_set_meta(res, "trials_missing", meta);
		}
	}
	for (int i = 0; i < n; i++)
		free(ents[i]);
	free(ents);
	free(list);
	free(meta);
	*ret_added = added;
	*ret_missing = missing;
	return r;
}
