// SPDX-License-Identifier: MIT
/* qoslab run: every trial of a scenario in its own testbed, then statistics and the report. */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <jansson.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

#include "clock.h"
#include "commands.h"
#include "emu/kernel.h"
#include "plots/report.h"
#include "plots/results.h"
#include "scenarios/manifest.h"
#include "scenarios/scenario.h"
#include "scenarios/sweep.h"
#include "scenarios/trial.h"

#define TTY_ENV "QOSLAB_TTY" /* whether the user's terminal is a tty, carried into UML */
#define COLUMNS_ENV "QOSLAB_COLUMNS" /* its width: UML's console has none */

/* The terminal's width on stderr (or what the host said before UML); 0 when unknown. */
static int term_columns(void)
{
	const char *v = getenv(COLUMNS_ENV);
	struct winsize ws;

	if (v)
		return atoi(v);
	return ioctl(2, TIOCGWINSZ, &ws) == 0 ? ws.ws_col : 0;
}

static void run_usage(FILE *f)
{
	fprintf(f,
"usage: qoslab run SCENARIO.yaml [--out DIR] [--kernel auto|host|uml] [--resume]\n\n"
"Runs every trial of the scenario (sweep points x repeats, in the scenario's shuffled order),\n"
"each in a fresh testbed with the real server, workers and client, then writes DIR/:\n"
"results.json, results.csv, trials.csv, plots/, report.html, scenario.yaml, manifest.json\n"
"and trials/*/ (records, samples, node logs). The scenario is validated first: nothing is\n"
"created for an invalid one. Ctrl-C stops after cleaning up and keeps finished trials;\n"
"--resume with the same --out continues from them.\n\n"
"  --out DIR      output directory (default results/NAME-YYYYmmdd-HHMMSS)\n"
"  --kernel K     auto (default: the host when it has netem, else UML), host or uml\n"
"  --resume       continue the run in --out\n");
}

static int write_text(const char *dir, const char *name, const char *text)
{
	char path[PATH_MAX];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "we");
	if (!f)
		return -errno;
	if (fputs(text, f) < 0 || fflush(f) < 0) {
		int r = -errno;

		fclose(f);
		return r;
	}
	return fclose(f) < 0 ? -errno : 0;
}

static void fmt_duration(double s, char *buf, size_t len)
{
	long t = (long)(s + 0.5);

	snprintf(buf, len, "%ld:%02ld:%02ld", t / 3600, t / 60 % 60, t % 60);
}

/* One line per finished trial, cut to the terminal's width so that it never wraps. */
static void progress_line(const struct scenario *sc, const struct scenario_trial *tr, size_t done,
			  size_t todo, const char *summary, const char *el, const char *eta, int columns)
{
	char line[2048];
	size_t n;

	n = (size_t)snprintf(line, sizeof(line), "trial %zu/%zu point %zu rep %d:", done, todo,
			     tr->point, tr->rep);
	for (size_t f = 0; f < sc->n_factors && n < sizeof(line); f++)
		n += (size_t)snprintf(line + n, sizeof(line) - n, " %s=%s", sc->factors[f].name,
				      tr->values[f]);
	if (n < sizeof(line))
		snprintf(line + n, sizeof(line) - n, " %s  (elapsed %s, ETA %s)", summary, el, eta);
	/* the last column stays free: a full line wraps on some terminals */
	if (columns > 4 && strlen(line) > (size_t)columns - 1)
		strcpy(line + columns - 4, "...");
	fprintf(stderr, "%s\n", line);
}

/* Runs the trials not yet in res; 0, or the first trial error (others still run). */
static int run_trials(const struct scenario *sc, const struct scenario_trial *trials, size_t n,
		      struct results *res, const char *out, const char *self, int tty)
{
	int columns = term_columns();
	double start = clock_now_s();
	size_t done = 0, todo = 0, ran = 0;
	int status = 0;

	for (size_t i = 0; i < n; i++)
		todo += !results_has_trial(res, trials[i].levels, (unsigned)trials[i].rep);
	for (size_t i = 0; i < n && !qoslab_stop; i++) {
		const struct scenario_trial *tr = &trials[i];
		struct trial_metrics m = { .n = 0 };
		struct scenario *t = NULL;
		char dir[PATH_MAX], err[SCENARIO_ERR_MAX], el[32], eta[32];
		int r;

		if (results_has_trial(res, tr->levels, (unsigned)tr->rep))
			continue;
		snprintf(dir, sizeof(dir), "%s/trials/%03zu-p%zu-r%d", out, tr->order, tr->point, tr->rep);
		r = scenario_resolve(sc, tr, &t, err, sizeof(err));
		if (r == 0)
			r = trial_run(t, self, dir, &qoslab_stop, &m, err, sizeof(err));
		scenario_free(t);
		ran++;
		if (r == 0) {
			r = results_add_trial(res, tr->levels, (unsigned)tr->rep, m.m, m.n);
			if (r == 0)
				r = results_write_json(res, out); /* a checkpoint for --resume */
			if (r < 0)
				snprintf(err, sizeof(err), "saving results: %s", strerror(-r));
		}
		done++;
		fmt_duration(clock_now_s() - start, el, sizeof(el));
		fmt_duration((clock_now_s() - start) / ran * (double)(todo - done), eta, sizeof(eta));
		if (r < 0) {
			fprintf(stderr, "trial %zu/%zu point %zu rep %d:", done, todo, tr->point, tr->rep);
			for (size_t f = 0; f < sc->n_factors; f++)
				fprintf(stderr, " %s=%s", sc->factors[f].name, tr->values[f]);
			fprintf(stderr, " FAILED: %s\n", err);
		} else if (tty) {
			progress_line(sc, tr, done, todo, m.summary, el, eta, columns);
		}
		if (r < 0 && r != -EINTR && !status)
			status = r;
	}
	return status;
}

int run_main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "out", required_argument, NULL, 'o' },
		{ "kernel", required_argument, NULL, 'k' },
		{ "resume", no_argument, NULL, 'r' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 }
	};
	enum kernel_mode mode = KERNEL_AUTO;
	struct scenario *sc = NULL;
	struct scenario_trial *trials = NULL;
	struct results *res = NULL;
	char err[SCENARIO_ERR_MAX], out[PATH_MAX] = "", self[PATH_MAX], path[PATH_MAX + 32];
	const char *out_opt = NULL;
	size_t n = 0, plots = 0;
	int resume = 0, c, r, status = 0, tty;
	ssize_t len;

	while ((c = getopt_long(argc, argv, "o:h", opts, NULL)) != -1) {
		switch (c) {
		case 'o': out_opt = optarg; break;
		case 'k':
			if (kernel_mode_parse(optarg, &mode) < 0) {
				fprintf(stderr, "qoslab run: --kernel '%s' is not auto, host or uml\n", optarg);
				return 2;
			}
			break;
		case 'r': resume = 1; break;
		case 'h': run_usage(stdout); return 0;
		default: run_usage(stderr); return 2;
		}
	}
	if (optind != argc - 1) {
		run_usage(stderr);
		return 2;
	}
	if (resume && !out_opt) {
		fprintf(stderr, "qoslab run: --resume needs the --out of the run to continue\n");
		return 2;
	}
	/* all of the scenario is checked before any kernel or namespace is touched */
	r = scenario_load(argv[optind], &sc, err, sizeof(err));
	if (r < 0) {
		fprintf(stderr, "%s\n", err);
		return 2;
	}
	if (out_opt) {
		snprintf(out, sizeof(out), "%s", out_opt);
	} else {
		time_t now = time(NULL);
		char stamp[32];

		strftime(stamp, sizeof(stamp), "%Y%m%d-%H%M%S", localtime(&now));
		snprintf(out, sizeof(out), "results/%s-%s", sc->name, stamp);
	}
	if (!uml_inside()) {
		setenv(TTY_ENV, isatty(2) ? "1" : "0", 1);
		if (isatty(2) && term_columns() > 0) {
			char cols[16];

			snprintf(cols, sizeof(cols), "%d", term_columns());
			setenv(COLUMNS_ENV, cols, 1);
		}
		/* what the guest writes must land where the user asked, also for relative paths */
		mkdir("results", 0755);
		if (mkdir(out, 0755) < 0 && errno != EEXIST) {
			fprintf(stderr, "qoslab run: --out %s: %s\n", out, strerror(errno));
			status = 2;
			goto done;
		}
		if (!out_opt) {
			/* the guest must use the same directory name */
			char **args = calloc((size_t)argc + 3, sizeof(*args));

			if (!args) {
				status = 1;
				goto done;
			}
			memcpy(args, argv, (size_t)argc * sizeof(*args));
			args[argc] = "--out";
			args[argc + 1] = out;
			r = kernel_enter(mode, args, &status, err, sizeof(err));
			free(args);
		} else {
			r = kernel_enter(mode, argv, &status, err, sizeof(err));
		}
		if (r < 0) {
			fprintf(stderr, "qoslab run: %s\n", err);
			status = 1;
			goto done;
		}
		if (r == 1) {
			if (status == 0 || status == 130)
				printf("report: %s/report.html\n", out);
			goto done;
		}
	}
	tty = getenv(TTY_ENV) ? atoi(getenv(TTY_ENV)) : isatty(2);
	len = readlink("/proc/self/exe", self, sizeof(self) - 1);
	if (len < 0) {
		status = 1;
		goto done;
	}
	self[len] = 0;
	mkdir(out, 0755);
	snprintf(path, sizeof(path), "%s/trials", out);
	mkdir(path, 0755);
	snprintf(path, sizeof(path), "%s/results.json", out);
	if (resume) {
		r = results_read_json(path, &res, err, sizeof(err));
		if (r < 0) {
			fprintf(stderr, "qoslab run: --resume: %s\n", err);
			status = 2;
			goto done;
		}
	} else if (access(path, F_OK) == 0) {
		fprintf(stderr, "qoslab run: %s already holds a run (use --resume, or another --out)\n", out);
		status = 2;
		goto done;
	} else if ((r = results_new(sc->factor_names, sc->n_factors, &res)) < 0) {
		status = 1;
		goto done;
	}
	results_set_meta(res, "scenario", sc->name);
	results_set_meta(res, "kernel", uml_inside() ? "uml" : "host");
	r = write_text(out, "scenario.yaml", sc->text);
	if (r < 0) {
		fprintf(stderr, "qoslab run: %s/scenario.yaml: %s\n", out, strerror(-r));
		status = 1;
		goto done;
	}
	{
		json_t *m = NULL;
		int outside = 0;

		r = manifest_new(sc, self, &m, &outside);
		snprintf(path, sizeof(path), "%s/manifest.json", out);
		if (r == 0 && json_dump_file(m, path, JSON_INDENT(2)) < 0)
			r = errno ? -errno : -EIO;
		json_decref(m);
		if (r < 0) {
			fprintf(stderr, "qoslab run: %s: %s\n", path, strerror(-r));
			status = 1;
			goto done;
		}
		/* a shared scenario may name any file the user can read: say so */
		if (outside & 1)
			fprintf(stderr, "qoslab run: note: the model %s is outside the scenario's "
				"directory and the shared models (manifest.json says so)\n", sc->model_prefix);
		if (outside & 2)
			fprintf(stderr, "qoslab run: note: the dataset %s is outside the scenario's "
				"directory and the shared datasets (manifest.json says so)\n",
				sc->workload.dataset_dir);
	}
	qoslab_catch_signals();
	r = scenario_trials(sc, &trials, &n);
	if (r == 0)
		r = run_trials(sc, trials, n, res, out, self, tty);
	if (r < 0)
		status = 1;
	snprintf(err, sizeof(err), "cannot write results to %s", out);
	if (results_write_json(res, out) < 0 || results_write_csv(res, out) < 0 ||
	    report_render(res, out, err, sizeof(err), &plots) < 0) {
		fprintf(stderr, "qoslab run: report: %s\n", err);
		status = 1;
	}
	if (qoslab_stop) {
		fprintf(stderr, "qoslab run: interrupted; finished trials are in %s (--resume continues)\n", out);
		status = 130;
	}
	if (!uml_inside())
		printf("report: %s/report.html\n", out);
done:
	if ((fflush(stdout) != 0 || ferror(stdout)) && !status) {
		fprintf(stderr, "qoslab run: standard output: %s\n", strerror(errno ? errno : EIO));
		status = 1;
	}
	scenario_trials_free(trials);
	results_free(res);
	scenario_free(sc);
	return status;
}
