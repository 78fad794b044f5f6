// SPDX-License-Identifier: MIT
/* The run report: DIR/report.html with scenario, manifest, per-metric tables and plots. */
#include <errno.h>
#include <glob.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "regfile.h"
#include "plots/metric.h"
#include "plots/outfile.h"
#include "plots/plot.h"
#include "plots/report.h"

#define SCENARIO_MAX_BYTES (1 << 20)

static void err_set(char *err, size_t len, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void err_set(char *err, size_t len, const char *fmt, ...)
{
	va_list ap;

	if (!err || !len)
		return;
	va_start(ap, fmt);
	vsnprintf(err, len, fmt, ap);
	va_end(ap);
}

/* Text as HTML content or attribute value: & < > " ' escaped; control characters other
 * than tab and newline (invalid in HTML) dropped. */
static void esc_n(FILE *f, const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		switch (c) {
		case '&': fputs("&amp;", f); break;
		case '<': fputs("&lt;", f); break;
		case '>': fputs("&gt;", f); break;
		case '"': fputs("&quot;", f); break;
		case '\'': fputs("&#39;", f); break;
		default:
			if (c >= 0x20 || c == '\t' || c == '\n')
				fputc(c, f);
			else if (c == '\r' && (i + 1 == n || s[i + 1] != '\n'))
				fputc('\n', f);
		}
	}
}

static void esc(FILE *f, const char *s)
{
	esc_n(f, s, strlen(s));
}

/* Numbers for tables: whole numbers from 10^4 up (bit/s, bytes), else 4 significant
 * digits; NaN as an em dash. */
static void num_html(FILE *f, double v)
{
	if (isnan(v))
		fputs("&#8212;", f);
	else if (fabs(v) >= 1e4 && fabs(v) < 1e15)
		fprintf(f, "%.0f", v);
	else
		fprintf(f, "%.4g", v);
}

static int file_exists(const char *dir, const char *name)
{
	char path[4096];

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	return access(path, R_OK) == 0;
}

static const char style[] =
	"body{font-family:sans-serif;margin:1.5em auto;max-width:72em;padding:0 1em;color:#222}"
	"h1{font-size:1.6em}h2{border-bottom:1px solid #ccc;padding-bottom:.2em;margin-top:1.6em}"
	"table{border-collapse:collapse;margin:.6em 0}"
	"th,td{border:1px solid #ccc;padding:.2em .6em;text-align:right}"
	"th{background:#f2f2f2}td.k,th.k{text-align:left}"
	"pre{background:#f7f7f7;border:1px solid #ddd;padding:.6em;overflow-x:auto}"
	"figure{margin:.8em 0}img{max-width:100%;height:auto;border:1px solid #eee}"
	"figcaption{font-size:.9em;color:#555}.note{color:#666}.warn{color:#a00}"
	"nav ul{columns:3}";

static const char *title_of(const struct results *r, const char *dir)
{
	const char *t = results_meta(r, "scenario");
	const char *slash;

	if (t && *t)
		return t;
	slash = strrchr(dir, '/');
	return slash && slash[1] ? slash + 1 : dir;
}

static void head_put(FILE *f, const struct results *r, const char *dir)
{
	char when[64] = "";
	time_t now = time(NULL);
	struct tm tm;

	if (gmtime_r(&now, &tm))
		strftime(when, sizeof(when), "%Y-%m-%d %H:%M:%S UTC", &tm);
	fputs("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
	      "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n<title>qoslab report: ", f);
	esc(f, title_of(r, dir));
	fprintf(f, "</title>\n<style>%s</style>\n</head>\n<body>\n<h1>qoslab report: ", style);
	esc(f, title_of(r, dir));
	fprintf(f, "</h1>\n<p>%zu trials at %zu sweep points; %zu metrics. Report drawn %s from "
		"<code>results.json</code> (statistics: mean over repetitions, sample standard deviation, "
		"95 %% confidence interval with Student's t, t(0.975; n&#8722;1)&#183;sd/&#8730;n; "
		"undefined for n = 1).</p>\n",
		results_n_trials(r), results_n_points(r), results_n_metrics(r), when);
}

static int ts_any(const struct results *r, const char *dir);

static void nav_put(FILE *f, const struct results *r, const char *dir)
{
	char lab[160];

	fputs("<nav>\n<ul>\n<li><a href=\"#scenario\">Scenario</a></li>\n<li><a href=\"#manifest\">Manifest</a></li>\n"
	      "<li><a href=\"#run\">Run</a></li>\n", f);
	for (size_t m = 0; m < results_n_metrics(r); m++) {
		results_metric_label(r, m, lab, sizeof(lab));
		fprintf(f, "<li><a href=\"#m-%s\">", results_metric_name(r, m));
		esc(f, lab);
		fputs("</a></li>\n", f);
	}
	if (ts_any(r, dir))
		fputs("<li><a href=\"#over-time\">Over time</a></li>\n", f);
	fputs("</ul>\n</nav>\n", f);
}

static void scenario_put(FILE *f, const char *dir)
{
	char path[4096], *buf = NULL;
	size_t n = 0;
	FILE *in;

	snprintf(path, sizeof(path), "%s/scenario.yaml", dir);
	fputs("<h2 id=\"scenario\">Scenario</h2>\n", f);
	in = regfile_fopen(path); /* a FIFO in a shared run directory must not block */
	if (!in) {
		fputs("<p class=\"note\">No <code>scenario.yaml</code> in the run directory.</p>\n", f);
		return;
	}
	buf = malloc(SCENARIO_MAX_BYTES);
	if (buf)
		n = fread(buf, 1, SCENARIO_MAX_BYTES, in);
	fputs("<p>As run (<a href=\"scenario.yaml\">scenario.yaml</a>):</p>\n<pre>", f);
	if (buf)
		esc_n(f, buf, n);
	fputs("</pre>\n", f);
	if (!buf || !feof(in))
		fputs("<p class=\"warn\">Shown in part: the file is longer than 1 MiB or could not be read whole.</p>\n", f);
	free(buf);
	fclose(in);
}

static void kv_row(FILE *f, const char *key, const char *value)
{
	fputs("<tr><td class=\"k\">", f);
	esc(f, key);
	fputs("</td><td class=\"k\">", f);
	esc(f, value);
	fputs("</td></tr>\n", f);
}

/* One row per scalar of a JSON document: nested keys joined with '.', array items [i]. */
static void json_rows(FILE *f, const char *prefix, const json_t *v, int depth)
{
	char key[512], val[64];
	const char *k;
	json_t *c;
	size_t i;

	if (depth > 16) {
		kv_row(f, prefix, "(nested too deep)");
		return;
	}
	switch (json_typeof(v)) {
	case JSON_OBJECT:
		json_object_foreach((json_t *)v, k, c) {
			snprintf(key, sizeof(key), "%s%s%s", prefix, *prefix ? "." : "", k);
			json_rows(f, key, c, depth + 1);
		}
		break;
	case JSON_ARRAY:
		json_array_foreach(v, i, c) {
			snprintf(key, sizeof(key), "%s[%zu]", prefix, i);
			json_rows(f, key, c, depth + 1);
		}
		break;
	case JSON_STRING:
		kv_row(f, prefix, json_string_value(v));
		break;
	case JSON_INTEGER:
		snprintf(val, sizeof(val), "%" JSON_INTEGER_FORMAT, json_integer_value(v));
		kv_row(f, prefix, val);
		break;
	case JSON_REAL:
		snprintf(val, sizeof(val), "%.15g", json_real_value(v));
		kv_row(f, prefix, val);
		break;
	case JSON_TRUE:
		kv_row(f, prefix, "true");
		break;
	case JSON_FALSE:
		kv_row(f, prefix, "false");
		break;
	case JSON_NULL:
		kv_row(f, prefix, "null");
		break;
	}
}

static void manifest_put(FILE *f, const char *dir)
{
	char path[4096];
	json_error_t jerr;
	json_t *m;

	snprintf(path, sizeof(path), "%s/manifest.json", dir);
	fputs("<h2 id=\"manifest\">Manifest</h2>\n", f);
	if (access(path, F_OK) != 0) {
		fputs("<p class=\"note\">No <code>manifest.json</code> in the run directory.</p>\n", f);
		return;
	}
	{
		FILE *mf = regfile_fopen(path);

		m = mf ? json_loadf(mf, JSON_REJECT_DUPLICATES, &jerr) : NULL;
		if (!mf)
			snprintf(jerr.text, sizeof(jerr.text), "%s", strerror(errno));
		if (mf)
			fclose(mf);
	}
	if (!m) {
		fputs("<p class=\"warn\"><code>manifest.json</code> could not be read: ", f);
		fprintf(f, "line %d, column %d: ", jerr.line, jerr.column);
		esc(f, jerr.text);
		fputs("</p>\n", f);
		return;
	}
	fputs("<p>Kernel, versions, commit, hashes and machine (<a href=\"manifest.json\">manifest.json</a>):</p>\n"
	      "<table>\n<thead><tr><th class=\"k\">key</th><th class=\"k\">value</th></tr></thead>\n<tbody>\n", f);
	json_rows(f, "", m, 0);
	fputs("</tbody>\n</table>\n", f);
	json_decref(m);
}

static void run_put(FILE *f, const struct results *r, const char *dir)
{
	static const char *const files[] = { "results.json", "results.csv", "trials.csv" };
	const char *k, *v;
	int first = 1;

	fputs("<h2 id=\"run\">Run</h2>\n", f);
	v = results_meta(r, "trials_missing");
	if (v && strcmp(v, "0")) {
		/* fewer trials than planned: the CIs rest on the n shown, and these are why */
		fputs("<p class=\"warn\">Trials missing (failed or never run; n per point below counts "
		      "what remains): ", f);
		esc(f, v);
		fputs("</p>\n", f);
	}
	fputs("<table>\n<tbody>\n", f);
	for (size_t i = 0; results_meta_at(r, i, &k, &v) == 0; i++)
		kv_row(f, k, v);
	for (size_t g = 0; g < results_n_factors(r); g++) {
		char key[128];
		char *levels = NULL;
		size_t len = 0;
		FILE *m = open_memstream(&levels, &len);

		if (!m)
			continue;
		for (size_t l = 0; l < results_n_levels(r, g); l++)
			fprintf(m, "%s%s", l ? ", " : "", results_level(r, g, l));
		fclose(m);
		snprintf(key, sizeof(key), "factor %s", results_factor_name(r, g));
		kv_row(f, key, levels);
		free(levels);
	}
	fputs("</tbody>\n</table>\n<p>Data:", f);
	for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++)
		if (file_exists(dir, files[i])) {
			fprintf(f, "%s <a href=\"%s\">%s</a>", first ? "" : ",", files[i], files[i]);
			first = 0;
		}
	fputs(first ? " none besides this page.</p>\n" : ".</p>\n", f);
}

/* Per point: n, mean, CI, spread; with two points or more also the paired difference from
 * the first point (same repetitions), which removes what the points' draws share. */
static void table_put(FILE *f, const struct results *r, size_t m)
{
	int paired = results_n_points(r) > 1;

	fputs("<table>\n<thead><tr>", f);
	for (size_t g = 0; g < results_n_factors(r); g++) {
		fputs("<th class=\"k\">", f);
		esc(f, results_factor_name(r, g));
		fputs("</th>", f);
	}
	fputs("<th>n</th><th>mean</th><th>&#177; 95 % CI</th><th>sd</th><th>min</th><th>max</th>", f);
	if (paired)
		fputs("<th>paired &#916; vs first point</th><th>95 % CI (paired t)</th><th>pairs</th>", f);
	fputs("</tr></thead>\n<tbody>\n", f);
	for (size_t p = 0; p < results_n_points(r); p++) {
		const struct stats *s = results_point_stats(r, p, m);

		fputs("<tr>", f);
		for (size_t g = 0; g < results_n_factors(r); g++) {
			fputs("<td class=\"k\">", f);
			esc(f, results_level(r, g, results_point_level(r, p, g)));
			fputs("</td>", f);
		}
		fprintf(f, "<td>%zu</td><td>", s->n);
		num_html(f, s->mean);
		fputs("</td><td>", f);
		num_html(f, s->ci_half);
		fputs("</td><td>", f);
		num_html(f, s->sd);
		fputs("</td><td>", f);
		num_html(f, s->min);
		fputs("</td><td>", f);
		num_html(f, s->max);
		fputs("</td>", f);
		if (paired && p == 0) {
			fputs("<td class=\"k\">baseline</td><td></td><td></td>", f);
		} else if (paired) {
			struct stats d;

			if (results_paired_stats(r, p, 0, m, &d) < 0)
				d = (struct stats){ .n = 0, .mean = NAN, .ci_lo = NAN, .ci_hi = NAN };
			fputs("<td>", f);
			num_html(f, d.mean);
			fputs("</td><td>", f);
			num_html(f, d.ci_lo);
			fputs(" &#8230; ", f);
			num_html(f, d.ci_hi);
			fprintf(f, "</td><td>%zu</td>", d.n);
		}
		fputs("</tr>\n", f);
	}
	fputs("</tbody>\n</table>\n", f);
}

static void figures_put(FILE *f, const struct results *r, const char *dir, size_t m)
{
	char stem[160], name[200], mlab[160], flab[160];

	for (size_t g = 0; g < results_n_factors(r); g++) {
		plot_stem(r, m, g, stem, sizeof(stem));
		snprintf(name, sizeof(name), REPORT_PLOTS_DIR "/%s.png", stem);
		if (!file_exists(dir, name))
			continue;
		results_metric_label(r, m, mlab, sizeof(mlab));
		metric_label(results_factor_name(r, g), NULL, flab, sizeof(flab));
		/* stems are [A-Za-z0-9_-] only (results.h): safe in a URL as they are */
		fprintf(f, "<figure>\n<a href=\"" REPORT_PLOTS_DIR "/%s.svg\"><img src=\"" REPORT_PLOTS_DIR
			"/%s.png\" width=\"960\" height=\"600\" alt=\"", stem, stem);
		esc(f, mlab);
		fputs(" against ", f);
		esc(f, flab);
		fputs(": mean with 95 % confidence intervals\"></a>\n<figcaption>", f);
		esc(f, mlab);
		fputs(" against ", f);
		esc(f, flab);
		fprintf(f, " (<a href=\"" REPORT_PLOTS_DIR "/%s.svg\">SVG</a>)</figcaption>\n</figure>\n", stem);
	}
}

static void metrics_put(FILE *f, const struct results *r, const char *dir)
{
	char lab[160];

	for (size_t m = 0; m < results_n_metrics(r); m++) {
		const char *name = results_metric_name(r, m);

		const struct metric_def *d = metric_find(name);

		results_metric_label(r, m, lab, sizeof(lab));
		fprintf(f, "<section id=\"m-%s\">\n<h2>", name);
		esc(f, lab);
		fprintf(f, " <small><code>%s</code></small></h2>\n", name);
		if (d && d->better != METRIC_NEUTRAL)
			fprintf(f, "<p class=\"note\">%s is better.</p>\n",
				d->better == METRIC_HIGHER ? "Higher" : "Lower");
		table_put(f, r, m);
		figures_put(f, r, dir, m);
		fputs("</section>\n", f);
	}
	if (!results_n_metrics(r))
		fputs("<p class=\"note\">No metric was recorded.</p>\n", f);
	else if (!results_n_factors(r))
		fputs("<p class=\"note\">No sweep factor: nothing to plot against.</p>\n", f);
}

/* ---- over time: each sweep point's first repetition that ran, from its timeseries.csv ---- */

#define REPORT_TS_MAX 64 /* points drawn over time; a bigger sweep shows the first ones */

/* 1 when the trial whose outcome.json is at path ran point p of r and is ok; its rep. */
static int ts_trial_is(const struct results *r, size_t p, const char *path, int *ret_rep)
{
	FILE *f = regfile_fopen(path);
	json_t *o = f ? json_loadf(f, 0, NULL) : NULL;
	json_t *names, *levels;
	int match = 0;

	if (f)
		fclose(f);
	names = json_object_get(o, "factors");
	levels = json_object_get(o, "levels");
	if (!json_is_string(json_object_get(o, "status")) ||
	    strcmp(json_string_value(json_object_get(o, "status")), "ok") ||
	    json_array_size(names) != results_n_factors(r) ||
	    json_array_size(levels) != results_n_factors(r))
		goto out;
	for (size_t g = 0; g < results_n_factors(r); g++) {
		const char *name = json_string_value(json_array_get(names, g));
		const char *level = json_string_value(json_array_get(levels, g));

		if (!name || !level || strcmp(name, results_factor_name(r, g)) ||
		    strcmp(level, results_level(r, g, results_point_level(r, p, g))))
			goto out;
	}
	*ret_rep = (int)json_integer_value(json_object_get(o, "rep"));
	match = 1;
out:
	json_decref(o);
	return match;
}

/*
 * The time series of point p's first repetition that has one with at least two samples.
 * Found by the levels in the trials' outcome files: a trial directory's -pN is the
 * scenario's numbering, not the sorted points of the results (they differ for levels
 * swept out of order, or points missing).
 */
static int ts_csv(const struct results *r, const char *dir, size_t p, char *buf, size_t len,
		  int *ret_rep)
{
	char pattern[4096], line[256], outcome[4200];
	int best = -1, rows = 0, rep;
	glob_t g;
	FILE *f;

	snprintf(pattern, sizeof(pattern), "%s/trials/*/timeseries.csv", dir);
	if (glob(pattern, 0, NULL, &g) != 0)
		return -ENOENT;
	for (size_t i = 0; i < g.gl_pathc; i++) {
		char *slash;

		snprintf(outcome, sizeof(outcome), "%s", g.gl_pathv[i]);
		if (!(slash = strrchr(outcome, '/')))
			continue;
		snprintf(slash + 1, sizeof(outcome) - (size_t)(slash + 1 - outcome), "outcome.json");
		if (!ts_trial_is(r, p, outcome, &rep) || (best >= 0 && rep >= best))
			continue;
		f = regfile_fopen(g.gl_pathv[i]);
		for (rows = 0; f && rows < 3 && fgets(line, sizeof(line), f);)
			rows++;
		if (f)
			fclose(f);
		if (rows < 3)
			continue; /* a header and two samples */
		best = rep;
		snprintf(buf, len, "%s", g.gl_pathv[i]);
	}
	globfree(&g);
	if (best < 0)
		return -ENODATA;
	*ret_rep = best;
	return 0;
}

/* "delay_ms=50 workers=3": what point p is, for titles and captions. */
static void point_text(const struct results *r, size_t p, char *buf, size_t len)
{
	size_t n = 0;

	buf[0] = 0;
	for (size_t g = 0; g < results_n_factors(r) && n < len; g++)
		n += (size_t)snprintf(buf + n, len - n, "%s%s=%s", g ? " " : "", results_factor_name(r, g),
				      results_level(r, g, results_point_level(r, p, g)));
	if (!results_n_factors(r))
		snprintf(buf, len, "the only point");
}

static size_t ts_points(const struct results *r)
{
	size_t n = results_n_points(r);

	return n < REPORT_TS_MAX ? n : REPORT_TS_MAX;
}

static int ts_plot_all(const struct results *r, const char *dir, const char *plots, char *err,
		       size_t err_len, size_t *ret_n)
{
	char csv[4096], png[4200], svg[4200], what[512], title[600];

	for (size_t p = 0; p < ts_points(r); p++) {
		int e, rep;

		if (ts_csv(r, dir, p, csv, sizeof(csv), &rep) < 0)
			continue;
		point_text(r, p, what, sizeof(what));
		snprintf(title, sizeof(title), "%s, repetition %d", what, rep + 1);
		snprintf(png, sizeof(png), "%s/timeseries-p%zu.png", plots, p);
		snprintf(svg, sizeof(svg), "%s/timeseries-p%zu.svg", plots, p);
		e = plot_timeseries(csv, png, svg, title, err, err_len);
		if (e < 0)
			return e;
		(*ret_n)++;
	}
	return 0;
}

static int ts_any(const struct results *r, const char *dir)
{
	char name[64];

	for (size_t p = 0; p < ts_points(r); p++) {
		snprintf(name, sizeof(name), REPORT_PLOTS_DIR "/timeseries-p%zu.png", p);
		if (file_exists(dir, name))
			return 1;
	}
	return 0;
}

static void ts_put(FILE *f, const struct results *r, const char *dir)
{
	char name[64], what[512];
	int any = 0;

	for (size_t p = 0; p < ts_points(r); p++) {
		snprintf(name, sizeof(name), REPORT_PLOTS_DIR "/timeseries-p%zu.png", p);
		if (!file_exists(dir, name))
			continue;
		if (!any++)
			fputs("<section id=\"over-time\">\n<h2>Over time</h2>\n<p class=\"note\">Each "
			      "point's first repetition that ran, sampled every autoscaler interval (1 s unless "
			      "the scenario says otherwise) from the server's <code>/v1/stats</code> "
			      "(<code>trials/*/timeseries.csv</code>), from the client's start to its end: "
			      "workers connected and wanted (with an autoscaler: started or still "
			      "provisioning) on the left axis, jobs queued and in flight on the right.</p>\n", f);
		point_text(r, p, what, sizeof(what));
		fprintf(f, "<figure>\n<a href=\"" REPORT_PLOTS_DIR "/timeseries-p%zu.svg\"><img src=\""
			REPORT_PLOTS_DIR "/timeseries-p%zu.png\" width=\"960\" height=\"360\" alt=\"", p, p);
		esc(f, what);
		fputs(": workers and queue over time\"></a>\n<figcaption>", f);
		esc(f, what);
		fprintf(f, " (<a href=\"" REPORT_PLOTS_DIR "/timeseries-p%zu.svg\">SVG</a>)</figcaption>\n"
			"</figure>\n", p);
	}
	if (any)
		fputs("</section>\n", f);
}

int report_write_html(const struct results *r, const char *dir, char *err, size_t err_len)
{
	struct outfile *o = NULL;
	FILE *f;
	int e = outfile_open(dir, "report.html", &o);

	if (e < 0) {
		err_set(err, err_len, "%s/report.html: %s", dir, strerror(-e));
		return e;
	}
	f = outfile_stream(o);
	head_put(f, r, dir);
	nav_put(f, r, dir);
	scenario_put(f, dir);
	manifest_put(f, dir);
	run_put(f, r, dir);
	metrics_put(f, r, dir);
	ts_put(f, r, dir);
	fputs("</body>\n</html>\n", f);
	e = outfile_close(o, 0);
	if (e < 0)
		err_set(err, err_len, "%s/report.html: %s", dir, strerror(-e));
	return e;
}

int report_render(const struct results *r, const char *dir, char *err, size_t err_len, size_t *ret_plots)
{
	char plots[4096];
	size_t n = 0;
	int e;

	snprintf(plots, sizeof(plots), "%s/" REPORT_PLOTS_DIR, dir);
	if (results_n_factors(r) && results_n_metrics(r)) {
		if (plot_gnuplot_found() < 0) {
			err_set(err, err_len, "gnuplot not found on PATH (Debian package gnuplot-nox)");
			return -ENOENT;
		}
		if (mkdir(plots, 0755) < 0 && errno != EEXIST) {
			e = -errno;
			err_set(err, err_len, "%s: %s", plots, strerror(-e));
			return e;
		}
		e = plot_all(r, plots, err, err_len, &n);
		if (e < 0) {
			if (e != -EIO)
				err_set(err, err_len, "plotting into %s: %s", plots, strerror(-e));
			return e;
		}
	}
	if (results_n_points(r) && plot_gnuplot_found() == 0) {
		if (mkdir(plots, 0755) < 0 && errno != EEXIST) {
			e = -errno;
			err_set(err, err_len, "%s: %s", plots, strerror(-e));
			return e;
		}
		e = ts_plot_all(r, dir, plots, err, err_len, &n);
		if (e < 0) {
			if (e != -EIO)
				err_set(err, err_len, "plotting over time into %s: %s", plots, strerror(-e));
			return e;
		}
	}
	e = report_write_html(r, dir, err, err_len);
	if (e >= 0 && ret_plots)
		*ret_plots = n;
	return e;
}
