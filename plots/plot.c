// SPDX-License-Identifier: MIT
/* gnuplot through a pipe: per metric and factor, mean with 95 % CI error bars (PNG, SVG). */
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "plots/metric.h"
#include "plots/plot.h"

#define PLOT_SIZE "960,600"
#define PLOT_FONT "DejaVu Sans,11"
#define PLOT_TS_SIZE "960,360"

int plot_gnuplot_found(void)
{
	const char *path = getenv("PATH");
	char *dirs = NULL, *save = NULL, buf[4096];
	int e = -ENOENT;

	dirs = strdup(path && *path ? path : "/usr/local/bin:/usr/bin:/bin");
	if (!dirs)
		return -ENOMEM;
	for (char *d = strtok_r(dirs, ":", &save); d; d = strtok_r(NULL, ":", &save)) {
		snprintf(buf, sizeof(buf), "%s/gnuplot", *d ? d : ".");
		if (access(buf, X_OK) == 0) {
			e = 0;
			break;
		}
	}
	free(dirs);
	return e;
}

void plot_stem(const struct results *r, size_t metric, size_t factor, char *buf, size_t len)
{
	snprintf(buf, len, "%s-vs-%s", results_metric_name(r, metric), results_factor_name(r, factor));
}

/* A gnuplot single-quoted string: no escapes and no `command` substitution inside, '' for
 * a quote; control characters (which would end the command) become '?'. */
static void gq(FILE *f, const char *s)
{
	fputc('\'', f);
	for (; *s; s++) {
		if (*s == '\'')
			fputs("''", f);
		else if ((unsigned char)*s < 0x20 || *s == 0x7f)
			fputc('?', f);
		else
			fputc(*s, f);
	}
	fputc('\'', f);
}

/* Shortest of %.15g / %.17g that reads back as the same double. */
static void num_put(FILE *f, double v)
{
	char buf[32];

	snprintf(buf, sizeof(buf), "%.15g", v);
	if (strtod(buf, NULL) != v)
		snprintf(buf, sizeof(buf), "%.17g", v);
	fputs(buf, f);
}

/* What one plot shows: x factor, optional series factor, the rest held at level 0. */
struct layout {
	const struct results *r;
	size_t metric, x;
	long series;   /* factor index, -1 for none */
	size_t n_series;
	int numeric_x;
	double dodge;  /* x offset between neighbouring series, so their bars do not overlap */
};

static const struct stats *stats_at(const struct layout *l, size_t xl, size_t sl)
{
	size_t nf = results_n_factors(l->r), lv[64] = { 0 };
	long p;

	if (nf > sizeof(lv) / sizeof(lv[0]))
		return NULL;
	lv[l->x] = xl;
	if (l->series >= 0)
		lv[l->series] = sl;
	p = results_find_point(l->r, lv);
	return p < 0 ? NULL : results_point_stats(l->r, (size_t)p, l->metric);
}

static double x_of(const struct layout *l, size_t xl, size_t s)
{
	double x = l->numeric_x ? results_level_value(l->r, l->x, xl) : (double)xl;

	return x + l->dodge * ((double)s - (double)(l->n_series - 1) / 2.0);
}

/* Datablocks $mS (x mean) and $eS (x mean lo hi) of series s; counts into *n_mean,
 * *n_bar and *n_nobar. An empty $eS gets one undefined row so plot numbering holds. */
static void series_data(FILE *f, const struct layout *l, size_t s, size_t *n_mean, size_t *n_bar,
			size_t *n_nobar)
{
	size_t nx = results_n_levels(l->r, l->x), bars = 0;

	fprintf(f, "$m%zu << EOD\n", s);
	for (size_t xl = 0; xl < nx; xl++) {
		const struct stats *st = stats_at(l, xl, s);

		if (!st || isnan(st->mean))
			continue;
		num_put(f, x_of(l, xl, s));
		fputc(' ', f);
		num_put(f, st->mean);
		fputc('\n', f);
		(*n_mean)++;
	}
	fprintf(f, "EOD\n$e%zu << EOD\n", s);
	for (size_t xl = 0; xl < nx; xl++) {
		const struct stats *st = stats_at(l, xl, s);

		if (!st || isnan(st->mean))
			continue;
		if (isnan(st->ci_lo) || isnan(st->ci_hi)) {
			(*n_nobar)++;
			continue;
		}
		num_put(f, x_of(l, xl, s));
		fputc(' ', f);
		num_put(f, st->mean);
		fputc(' ', f);
		num_put(f, st->ci_lo);
		fputc(' ', f);
		num_put(f, st->ci_hi);
		fputc('\n', f);
		bars++;
	}
	if (!bars)
		fputs("NaN NaN NaN NaN\n", f);
	*n_bar += bars;
	fputs("EOD\n", f);
}

static void title_put(FILE *f, const struct layout *l, size_t n_nobar)
{
	const struct results *r = l->r;
	char ylab[160], xlab[160], buf[512];
	size_t nf = results_n_factors(r);
	int held = 0;

	results_metric_label(r, l->metric, ylab, sizeof(ylab));
	metric_label(results_factor_name(r, l->x), NULL, xlab, sizeof(xlab));
	snprintf(buf, sizeof(buf), "%s vs %s", ylab, xlab);
	fputs("set title ", f);
	gq(f, buf);
	buf[0] = '\0';
	if (l->series >= 0)
		snprintf(buf, sizeof(buf), "one line per %s", results_factor_name(r, l->series));
	for (size_t g = 0; g < nf; g++) {
		size_t used = strlen(buf);

		if (g == l->x || (long)g == l->series)
			continue;
		snprintf(buf + used, sizeof(buf) - used, "%s%s = %s", used ? (held ? ", " : "; ") : "",
			 results_factor_name(r, g), results_level(r, g, 0));
		held++;
	}
	if (held) {
		size_t used = strlen(buf);

		snprintf(buf + used, sizeof(buf) - used, " (held at first level, not averaged)");
	}
	if (buf[0]) {
		fputs(".\"\\n\".", f);
		gq(f, buf);
	}
	fputs(".\"\\n\".", f);
	gq(f, "mean over repetitions with 95 % CI bars (Student t)");
	if (n_nobar || l->series >= 0) {
		snprintf(buf, sizeof(buf), "%s%s%s", n_nobar ? "no bar where n = 1 (CI undefined)" : "",
			 n_nobar && l->series >= 0 ? "; " : "",
			 l->series >= 0 ? "lines offset slightly in x for legibility" : "");
		fputs(".\"\\n\".", f);
		gq(f, buf);
	}
	fputs("\nset xlabel ", f);
	gq(f, xlab);
	fputs("\nset ylabel ", f);
	gq(f, ylab);
	fputc('\n', f);
}

/* Largest |mean| or |CI bound| drawn. */
static double y_abs_max(const struct layout *l)
{
	double m = 0;

	for (size_t s = 0; s < l->n_series; s++)
		for (size_t xl = 0; xl < results_n_levels(l->r, l->x); xl++) {
			const struct stats *st = stats_at(l, xl, s);

			if (!st)
				continue;
			m = fmax(m, fabs(st->mean)); /* fmax ignores NaN */
			m = fmax(m, fmax(fabs(st->ci_lo), fabs(st->ci_hi)));
		}
	return m;
}

static void axes_put(FILE *f, const struct layout *l)
{
	size_t nx = results_n_levels(l->r, l->x);

	/* 25.0M rather than 2.5e+07 for bit/s and byte counts */
	if (y_abs_max(l) >= 1e4)
		fputs("set format y '%.1s%c'\n", f);
	if (l->numeric_x && nx <= 12) {
		/* tics exactly at the swept levels */
		fputs("set xtics (", f);
		for (size_t i = 0; i < nx; i++) {
			if (i)
				fputs(", ", f);
			num_put(f, results_level_value(l->r, l->x, i));
		}
		fputs(")\n", f);
	}

	if (!l->numeric_x) {
		fputs("set xtics (", f);
		for (size_t i = 0; i < nx; i++) {
			if (i)
				fputs(", ", f);
			gq(f, results_level(l->r, l->x, i));
			fprintf(f, " %zu", i);
		}
		fprintf(f, ")\nset xrange [-0.5:%zu.5]\n", nx - 1);
	} else if (nx == 1) {
		double v = results_level_value(l->r, l->x, 0), d = v ? fabs(v) / 2 : 1;

		fputs("set xrange [", f);
		num_put(f, v - d);
		fputc(':', f);
		num_put(f, v + d);
		fputs("]\n", f);
	}
}

static void plot_cmd(FILE *f, const struct layout *l)
{
	char lab[400];

	fputs("plot ", f);
	for (size_t s = 0; s < l->n_series; s++) {
		fprintf(f, "%s$m%zu using 1:2 with linespoints lw 2 pt 7 ps 1.2 lc %zu title ", s ? ", " : "", s, s + 1);
		if (l->series < 0) {
			gq(f, "mean");
		} else {
			snprintf(lab, sizeof(lab), "%s = %s", results_factor_name(l->r, l->series),
				 results_level(l->r, l->series, s));
			gq(f, lab);
		}
		fprintf(f, ", $e%zu using 1:2:3:4 with yerrorbars lw 1.5 pt 7 ps 1.2 lc %zu notitle", s, s + 1);
	}
	fputc('\n', f);
}

/* The gnuplot script of one plot into a malloc'ed buffer; *ret_points counts means. */
static int script_build(const struct layout *l, const char *png, const char *svg, char **ret,
			size_t *ret_len, size_t *ret_points)
{
	size_t n_mean = 0, n_bar = 0, n_nobar = 0;
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	if (!f)
		return -ENOMEM;
	/* reset: whatever a ~/.gnuplot init file set does not leak into the plot */
	fputs("reset\nset encoding utf8\nset terminal pngcairo size " PLOT_SIZE " noenhanced font '" PLOT_FONT "'\n", f);
	fputs("set output ", f);
	gq(f, png);
	fputs("\nset grid lc rgb '#dddddd'\nset key below\nset bars large\n"
	      "set offsets graph 0.04, graph 0.04, graph 0.08, graph 0.08\n", f);
	for (size_t s = 0; s < l->n_series; s++)
		series_data(f, l, s, &n_mean, &n_bar, &n_nobar);
	title_put(f, l, n_nobar);
	axes_put(f, l);
	plot_cmd(f, l);
	fputs("set terminal svg size " PLOT_SIZE " noenhanced font '" PLOT_FONT "' background '#ffffff'\n", f);
	fputs("set output ", f);
	gq(f, svg);
	fputs("\nreplot\nunset output\n", f);
	if (fclose(f) != 0) {
		free(buf);
		return -ENOMEM;
	}
	*ret = buf;
	*ret_len = len;
	*ret_points = n_mean;
	return 0;
}

/*
 * Writes all of buf to fd. A gnuplot that dies early would raise SIGPIPE, which would
 * kill the whole controller: SIGPIPE is blocked in this thread for the write and a
 * pending one is consumed, so the error comes back as -EPIPE instead (no global
 * signal disposition changes).
 */
static int write_all_nosigpipe(int fd, const char *buf, size_t len)
{
	sigset_t pipe_set, old;
	int e = 0;

	sigemptyset(&pipe_set);
	sigaddset(&pipe_set, SIGPIPE);
	pthread_sigmask(SIG_BLOCK, &pipe_set, &old);
	while (len) {
		ssize_t n = write(fd, buf, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			e = -errno;
			break;
		}
		buf += n;
		len -= (size_t)n;
	}
	if (e == -EPIPE && !sigismember(&old, SIGPIPE)) {
		const struct timespec zero = { 0, 0 };

		while (sigtimedwait(&pipe_set, NULL, &zero) < 0 && errno == EINTR)
			;
	}
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	return e;
}

/* gnuplot's messages, condensed to one line: the "line N: ..." and "system error" lines,
 * without the echoed command and its caret. */
static void err_from(int fd, char *err, size_t err_len)
{
	char buf[2048], *save = NULL;
	ssize_t n;
	size_t used = 0;

	if (!err || !err_len)
		return;
	err[0] = '\0';
	if (lseek(fd, 0, SEEK_SET) < 0 || (n = read(fd, buf, sizeof(buf) - 1)) <= 0) {
		snprintf(err, err_len, "gnuplot failed without a message");
		return;
	}
	buf[n] = '\0';
	for (char *line = strtok_r(buf, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		char *w;

		line += strspn(line, " \t");
		w = line;
		if (!*line || *line == '^' || !strncmp(line, "gnuplot>", 8))
			continue;
		/* one space for each run of blanks; no control characters */
		for (char *c = line; *c; c++) {
			if ((*c == ' ' || *c == '\t') && w > line && w[-1] == ' ')
				continue;
			*w++ = (unsigned char)*c < 0x20 ? ' ' : *c;
		}
		*w = '\0';
		used += (size_t)snprintf(err + used, err_len - used, "%s%s", used ? "; " : "gnuplot: ", line);
		if (used >= err_len)
			break;
	}
}

/* Runs gnuplot with script on its stdin (a pipe); its stderr goes to an anonymous memory
 * file, read back for the error message; its stdout (where a terminal writes when "set
 * output" failed) to /dev/null. */
static int gnuplot_run(const char *script, size_t len, char *err, size_t err_len)
{
	char *argv[] = { "gnuplot", NULL };
	int in[2] = { -1, -1 }, out = -1, null = -1, e = 0, st = 0;
	posix_spawn_file_actions_t fa;
	pid_t pid = -1;

	if (plot_gnuplot_found() < 0) {
		if (err && err_len)
			snprintf(err, err_len, "gnuplot not found on PATH (Debian package gnuplot-nox)");
		return -ENOENT;
	}
	if (pipe2(in, O_CLOEXEC) < 0)
		return -errno;
	out = memfd_create("qoslab-gnuplot", MFD_CLOEXEC);
	null = open("/dev/null", O_WRONLY | O_CLOEXEC);
	if (out < 0 || null < 0) {
		e = -errno;
		goto out;
	}
	/* dup2 onto 0, 1, 2 clears close-on-exec there; the originals close at exec. */
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_adddup2(&fa, in[0], 0);
	posix_spawn_file_actions_adddup2(&fa, null, 1);
	posix_spawn_file_actions_adddup2(&fa, out, 2);
	e = -posix_spawnp(&pid, "gnuplot", &fa, NULL, argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	if (e < 0) {
		pid = -1;
		goto out;
	}
	close(in[0]);
	in[0] = -1;
	e = write_all_nosigpipe(in[1], script, len);
	close(in[1]);
	in[1] = -1;
	while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
		;
	pid = -1;
	if (!WIFEXITED(st) || WEXITSTATUS(st) != 0 || e < 0) {
		err_from(out, err, err_len);
		e = -EIO;
	}
out:
	if (in[0] >= 0)
		close(in[0]);
	if (in[1] >= 0)
		close(in[1]);
	if (out >= 0)
		close(out);
	if (null >= 0)
		close(null);
	return e;
}

static void layout_init(struct layout *l, const struct results *r, size_t metric, size_t x)
{
	*l = (struct layout){ .r = r, .metric = metric, .x = x, .series = -1, .n_series = 1,
			      .numeric_x = results_factor_numeric(r, x) };
	for (size_t g = 0; g < results_n_factors(r); g++)
		if (g != x) {
			l->series = (long)g;
			l->n_series = results_n_levels(r, g);
			break;
		}
	if (l->n_series > 1) {
		/* all series together span 12 % of the smallest gap between x levels */
		double gap = 1.0;

		for (size_t i = 1; l->numeric_x && i < results_n_levels(r, x); i++) {
			double d = results_level_value(r, x, i) - results_level_value(r, x, i - 1);

			if (i == 1 || d < gap)
				gap = d;
		}
		if (l->numeric_x && results_n_levels(r, x) < 2)
			gap = fabs(results_level_value(r, x, 0)) / 2 + (results_level_value(r, x, 0) == 0);
		l->dodge = 0.12 * gap / (double)(l->n_series - 1);
	}
}

int plot_metric(const struct results *r, size_t metric, size_t factor, const char *dir,
		char *err, size_t err_len)
{
	char stem[160], *png = NULL, *svg = NULL, *script = NULL;
	size_t len = 0, points = 0;
	struct layout l;
	int e;

	if (metric >= results_n_metrics(r) || factor >= results_n_factors(r) ||
	    results_n_factors(r) > 64 || !results_n_levels(r, factor))
		return -EINVAL;
	layout_init(&l, r, metric, factor);
	plot_stem(r, metric, factor, stem, sizeof(stem));
	if (asprintf(&png, "%s/%s.png", dir, stem) < 0) {
		png = NULL;
		e = -ENOMEM;
		goto out;
	}
	if (asprintf(&svg, "%s/%s.svg", dir, stem) < 0) {
		svg = NULL;
		e = -ENOMEM;
		goto out;
	}
	e = script_build(&l, png, svg, &script, &len, &points);
	if (e < 0)
		goto out;
	if (!points) {
		e = -ENODATA;
		goto out;
	}
	e = gnuplot_run(script, len, err, err_len);
	if (e < 0) {
		unlink(png);
		unlink(svg);
	}
out:
	free(script);
	free(png);
	free(svg);
	return e;
}

int plot_all(const struct results *r, const char *dir, char *err, size_t err_len, size_t *ret_n)
{
	size_t n = 0;
	int e = 0;

	for (size_t m = 0; m < results_n_metrics(r) && e >= 0; m++)
		for (size_t f = 0; f < results_n_factors(r) && e >= 0; f++) {
			e = plot_metric(r, m, f, dir, err, err_len);
			if (e == -ENODATA)
				e = 0;
			else if (e == 0)
				n++;
		}
	if (ret_n)
		*ret_n = n;
	return e;
}

int plot_timeseries(const char *csv, const char *png, const char *svg, const char *title,
		    char *err, size_t err_len)
{
	char *script = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&script, &len);
	int e;

	if (!f)
		return -ENOMEM;
	fputs("reset\nset encoding utf8\nset terminal pngcairo size " PLOT_TS_SIZE " noenhanced font '"
	      PLOT_FONT "'\nset output ", f);
	gq(f, png);
	/* workers (a handful) and jobs (a burst of 60) on axes of their own: on one, a pool of 1
	 * lay on the x axis under 'in flight'; the rows count from the client's start, and its
	 * first jobs come a moment later */
	fputs("\nset datafile separator ','\nset grid lc rgb '#dddddd'\nset key below\n"
	      "set xlabel 'time since the client started (s)'\nset ylabel 'workers'\n"
	      "set y2label 'jobs'\nset ytics nomirror\nset y2tics\n", f);
	/* whole workers: integer tics, and headroom so that a constant pool is not the frame */
	fputs("stats ", f);
	gq(f, csv);
	fputs(" every ::1 using 4 nooutput prefix 'C'\nstats ", f);
	gq(f, csv);
	fputs(" every ::1 using 6 nooutput prefix 'W'\nstats ", f);
	gq(f, csv);
	fputs(" every ::1 using 2 nooutput prefix 'Q'\nstats ", f);
	gq(f, csv);
	fputs(" every ::1 using 3 nooutput prefix 'F'\nwmax = C_max > W_max ? C_max : W_max\n"
	      "jmax = Q_max > F_max ? Q_max : F_max\n"
	      "set yrange [0:wmax + 1 + int(wmax / 10)]\nset ytics 0, (wmax > 10 ? 5 : 1)\n"
	      "set y2range [0:jmax + 1 + int(jmax / 10)]\nset title ", f);
	gq(f, title);
	/* columns of timeseries.csv: t_s, queue_depth, in_flight, workers_connected,
	 * workers_idle, workers_target; 'every ::1' skips its header */
	fputs("\nplot ", f);
	gq(f, csv);
	fputs(" every ::1 using 1:4 axes x1y1 with steps lw 3 lc 1 title 'workers connected', '' "
	      "every ::1 using 1:6 axes x1y1 with steps lw 2 dt 2 lc 4 title 'workers wanted "
	      "(started or provisioning)', '' every ::1 using 1:2 axes x1y2 with steps lw 1.5 lc 2 "
	      "title 'jobs queued (right axis)', '' every ::1 using 1:3 axes x1y2 with steps lw 2 "
	      "dt 3 lc 7 title 'jobs in flight (right axis)'\n", f);
	fputs("set terminal svg size " PLOT_TS_SIZE " noenhanced font '" PLOT_FONT "' background '#ffffff'\n"
	      "set output ", f);
	gq(f, svg);
	fputs("\nreplot\nunset output\n", f);
	if (fclose(f) != 0) {
		free(script);
		return -ENOMEM;
	}
	e = gnuplot_run(script, len, err, err_len);
	if (e < 0) {
		unlink(png);
		unlink(svg);
	}
	free(script);
	return e;
}
