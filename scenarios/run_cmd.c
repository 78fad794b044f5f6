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

#include "units.h"
#include "clock.h"
#include "commands.h"
#include "emu/kernel.h"
#include "plots/report.h"
#include "plots/results.h"
#include "scenarios/manifest.h"
#include "scenarios/outcome.h"
#include "scenarios/pool.h"
#include "scenarios/slurm.h"
#include "scenarios/scenario.h"
#include "scenarios/sweep.h"
#include "scenarios/trial.h"
#include "version.h"
#include "scenarios/warm.h"

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
"usage: qoslab run SCENARIO.yaml [--out DIR] [--kernel auto|host|uml] [--resume] [--jobs N]\n"
"       qoslab run SCENARIO.yaml [--out DIR] [--kernel K] [--resume] [--chunk K] [--slurm-retries N]\n"
"                  --slurm [SBATCH OPTIONS...]\n\n"
"Runs every trial of the scenario (sweep points x repeats, in the scenario's shuffled order),\n"
"each in a fresh testbed with the real server, workers and client, then writes DIR/:\n"
"results.json, results.csv, trials.csv, plots/, report.html, scenario.yaml, manifest.json\n"
"and trials/*/ (records, samples, node logs). The scenario is validated first: nothing is\n"
"created for an invalid one. Ctrl-C stops after cleaning up and keeps finished trials;\n"
"--resume with the same --out continues from them.\n\n"
"  --out DIR      output directory (default results/NAME-YYYYmmdd-HHMMSS)\n"
"  --kernel K     auto (default: the host when it has netem, else UML), host or uml\n"
"  --resume       continue the run in --out\n"
"  --jobs N       trials at once, each in its own testbed and kernel (default: as many as\n"
"                 the cores hold at the CPU a trial's nodes may take; more is lowered)\n"
"  --slurm ...    submit the trials not done yet as a Slurm job array into DIR (on a\n"
"                 filesystem the nodes share) and a dependent job that retries what is\n"
"                 missing (--slurm-retries) and runs `qoslab report DIR`; the rest of the\n"
"                 line goes to sbatch (--partition=..., --time=...)\n"
"  --chunk K      with --slurm: trials per array task, run one after another (default 1)\n"
"  --slurm-retries N  with --slurm: the dependent job submits again, up to N times, the\n"
"                 trials that failed or never ran (a task cancelled, preempted, out of\n"
"                 time) before it draws the report (default 1; 0: report at once)\n"
"  --cold-workers start every trial's workers afresh instead of lending standby workers that\n"
"                 loaded the model in an earlier trial of the same kernel (warm workers)\n");
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

/* One run's state while its trials go: what the progress line and the checkpoints need. */
struct run {
	const struct scenario *sc;
	struct results *res;
	const char *out;
	int tty, status, columns; /* columns: the terminal's width, 0 when unknown */
	double start;
	size_t todo, done;
};

static void progress(struct run *run, const struct scenario_trial *tr, int failed, const char *what)
{
	char el[32], eta[32], line[2048];
	double t = clock_now_s() - run->start;
	size_t n;

	run->done++;
	fmt_duration(t, el, sizeof(el));
	fmt_duration(t / (double)run->done * (double)(run->todo - run->done), eta, sizeof(eta));
	if (!run->tty && !failed)
		return;
	n = (size_t)snprintf(line, sizeof(line), "trial %zu/%zu point %zu rep %d:", run->done,
			     run->todo, tr->point, tr->rep);
	for (size_t f = 0; f < run->sc->n_factors && n < sizeof(line); f++)
		n += (size_t)snprintf(line + n, sizeof(line) - n, " %s=%s", run->sc->factors[f].name,
				      tr->values[f]);
	if (failed) {
		/* a failure is printed whole: its message is what the user needs */
		fprintf(stderr, "%s FAILED: %s\n", line, what);
		return;
	}
	if (n < sizeof(line))
		snprintf(line + n, sizeof(line) - n, " %s  (elapsed %s, ETA %s)", what, el, eta);
	/* one line per trial, cut to the terminal's width so that it never wraps (the last
	 * column stays free: a full line wraps on some terminals) */
	if (run->columns > 4 && strlen(line) > (size_t)run->columns - 1)
		strcpy(line + run->columns - 4, "...");
	fprintf(stderr, "%s\n", line);
}

/* Runs the trials not yet in res in this kernel; 0, or the first trial error (others still
 * run). Each trial also leaves its outcome file, as a parallel run's trials do. */
static int run_trials(struct run *run, const struct scenario_trial *trials, size_t n, const char *self,
		      struct warm_pool *warm)
{
	const struct scenario *sc = run->sc;
	int status = 0;

	for (size_t i = 0; i < n; i++)
		run->todo += !results_has_trial(run->res, trials[i].levels, (unsigned)trials[i].rep);
	for (size_t i = 0; i < n && !qoslab_stop; i++) {
		const struct scenario_trial *tr = &trials[i];
		struct trial_metrics m = { .n = 0 };
		struct outcome o = { .status = OUTCOME_OK };
		struct scenario *t = NULL;
		char dir[PATH_MAX], err[SCENARIO_ERR_MAX];
		double t0 = clock_now_s();
		int r;

		if (results_has_trial(run->res, tr->levels, (unsigned)tr->rep))
			continue;
		outcome_trial_name(tr, o.name, sizeof(o.name));
		snprintf(dir, sizeof(dir), "%s/trials/%s", run->out, o.name);
		r = scenario_resolve(sc, tr, &t, err, sizeof(err));
		if (r == 0)
			r = trial_run(t, self, dir, warm, &qoslab_stop, &m, err, sizeof(err));
		scenario_free(t);
		if (r != -EINTR) {
			o.wall_s = clock_now_s() - t0;
			o.status = r < 0 ? OUTCOME_FAILED : OUTCOME_OK;
			snprintf(o.error, sizeof(o.error), "%s", r < 0 ? err : "");
			snprintf(o.summary, sizeof(o.summary), "%s", r < 0 ? "" : m.summary);
			int w = outcome_write(run->out, sc, tr, &o, &m);

			if (r == 0 && w < 0) {
				r = w;
				snprintf(err, sizeof(err), "saving %s/" OUTCOME_FILE ": %s", dir, strerror(-w));
			}
		}
		if (r == 0) {
			r = results_add_trial(run->res, tr->levels, (unsigned)tr->rep, m.m, m.n);
			if (r == 0)
				r = results_write_json(run->res, run->out); /* a checkpoint for --resume */
			if (r < 0)
				snprintf(err, sizeof(err), "saving results: %s", strerror(-r));
		}
		progress(run, tr, r < 0, r < 0 ? err : m.summary);
		if (r < 0 && r != -EINTR && !status)
			status = r;
	}
	return status;
}

/* A trial process of the pool ended: its outcome into the results, a checkpoint. */
static void trial_done(void *arg, const struct scenario_trial *tr, int status)
{
	struct run *run = arg;
	struct outcome o;
	char name[64], err[512] = "";
	int r;

	if (qoslab_stop && status != 0)
		return; /* interrupted: neither done nor failed, --resume runs it */
	outcome_trial_name(tr, name, sizeof(name));
	r = outcome_merge(run->out, name, run->res, &o, err, sizeof(err));
	if (r == -ENOENT)
		snprintf(err, sizeof(err), "its trial process exited with status %d and left no "
			 "outcome (see %s/slots/)", status, run->out);
	else if (r >= 0 && o.status != OUTCOME_OK)
		snprintf(err, sizeof(err), "%s", o.error[0] ? o.error : "failed (see trial.log)");
	else if (r >= 0 && (r = results_write_json(run->res, run->out)) < 0)
		snprintf(err, sizeof(err), "saving results: %s", strerror(-r));
	progress(run, tr, err[0] != 0, err[0] ? err : o.summary);
	if (err[0] && !run->status)
		run->status = 1;
}

/* manifest.json, written by the first trial (it knows the kernel), gets the run's N. */
static int manifest_set_jobs(const char *out, unsigned int jobs)
{
	char path[PATH_MAX];
	json_t *m;
	int r = 0;

	snprintf(path, sizeof(path), "%s/manifest.json", out);
	m = json_load_file(path, 0, NULL);
	if (!m)
		return -ENOENT;
	if (json_object_set_new(m, "jobs", json_integer(jobs)) < 0 ||
	    json_dump_file(m, path, JSON_INDENT(2)) < 0)
		r = -EIO;
	json_decref(m);
	return r;
}

/* The run directory: trials/, the results so far (resume) or new ones, scenario.yaml. */
static int setup_out(const struct scenario *sc, const char *out, int resume, struct results **ret)
{
	char path[PATH_MAX + 32], err[SCENARIO_ERR_MAX];
	size_t added, missing;
	int r;

	mkdir(out, 0755);
	snprintf(path, sizeof(path), "%s/trials", out);
	mkdir(path, 0755);
	snprintf(path, sizeof(path), "%s/results.json", out);
	if (resume) {
		r = results_read_json(path, ret, err, sizeof(err));
		if (r < 0) {
			fprintf(stderr, "qoslab run: --resume: %s\n", err);
			return 2;
		}
		/* trials a parallel run finished after its last checkpoint */
		r = outcome_merge_all(out, *ret, &added, &missing, err, sizeof(err));
		if (r < 0) {
			fprintf(stderr, "qoslab run: --resume: %s\n", err);
			return 2;
		}
	} else if (access(path, F_OK) == 0) {
		fprintf(stderr, "qoslab run: %s already holds a run (use --resume, or another --out)\n", out);
		return 2;
	} else if ((r = results_new(sc->factor_names, sc->n_factors, ret)) < 0) {
		return 1;
	}
	results_set_meta(*ret, "scenario", sc->name);
	/* whether the report's paired differences compare like with like */
	results_set_meta(*ret, "draws", sc->paired ? "paired: repetition r draws the same at every point"
						   : "independent per point (paired: false)");
	r = write_text(out, "scenario.yaml", sc->text);
	if (r == 0)
		r = results_write_json(*ret, out);
	if (r < 0) {
		fprintf(stderr, "qoslab run: %s: %s\n", out, strerror(-r));
		return 1;
	}
	return 0;
}

/* Says how many trials the fidelity guard flagged: their delays, rates and timings are
 * the host's, not the scenario's (emu/lateness.h). */
static void overload_note(const struct results *res)
{
	long m = results_metric_index(res, "host_overloaded");
	size_t k = 0, n = results_n_trials(res);

	if (m < 0)
		return;
	for (size_t t = 0; t < n; t++)
		k += results_trial_value(res, t, (size_t)m) > 0;
	if (k)
		fprintf(stderr, "qoslab run: note: %zu of %zu trials ran on an overloaded host (timer "
			"lateness p99 above 4 ms, see timer_lateness_p99_ms): fewer --jobs or a quieter "
			"host would keep delays and rates as configured\n", k, n);
}

/* results.json, CSVs, plots and report.html from what res holds; 0 or 1. Inside UML the
 * plots and report are left to the host process that booted it (redraw). */
static int finish(struct results *res, const char *out)
{
	char err[SCENARIO_ERR_MAX];
	size_t plots = 0;

	overload_note(res);
	snprintf(err, sizeof(err), "cannot write results to %s", out);
	if (results_write_json(res, out) < 0 || results_write_csv(res, out) < 0 ||
	    (!uml_inside() && report_render(res, out, err, sizeof(err), &plots) < 0)) {
		fprintf(stderr, "qoslab run: report: %s\n", err);
		return 1;
	}
	return 0;
}

/* Plots and report.html of the results the guest left in out; 0 or 1. */
static int redraw(const char *out)
{
	char err[SCENARIO_ERR_MAX], path[PATH_MAX + 16];
	struct results *res = NULL;
	size_t plots = 0;
	int r;

	snprintf(path, sizeof(path), "%s/results.json", out);
	if (access(path, F_OK) < 0)
		return 0; /* the guest stopped before the run began */
	r = results_read_json(path, &res, err, sizeof(err));
	if (r == 0)
		r = report_render(res, out, err, sizeof(err), &plots);
	results_free(res);
	if (r < 0) {
		fprintf(stderr, "qoslab run: report: %s\n", err);
		return 1;
	}
	return 0;
}

/* --jobs N > 1: the controller stays here, each trial runs in a `qoslab trial` process of
 * its own (its own UML guest on the UML path). */
static int run_parallel(const struct scenario *sc, const char *scenario_path, const char *out,
			int resume, const char *kernel, int uml, unsigned int jobs, int cold,
			const char *self)
{
	struct scenario_trial *trials = NULL;
	const struct scenario_trial **todo = NULL;
	struct results *res = NULL;
	struct run run = { .sc = sc, .out = out, .start = clock_now_s() };
	char err[SCENARIO_ERR_MAX];
	size_t n = 0, added, missing;
	int r, status;

	if ((status = setup_out(sc, out, resume, &res)) != 0)
		goto out;
	run.res = res;
	run.tty = isatty(2);
	run.columns = run.tty ? term_columns() : 0;
	results_set_meta(res, "kernel", uml ? "uml" : "host");
	qoslab_catch_signals();
	if (scenario_trials(sc, &trials, &n) < 0 || !(todo = calloc(n + 1, sizeof(*todo)))) {
		status = 1;
		goto out;
	}
	for (size_t i = 0; i < n; i++)
		if (!results_has_trial(res, trials[i].levels, (unsigned)trials[i].rep))
			todo[run.todo++] = &trials[i];
	struct pool_config cfg = { .self = self, .scenario = scenario_path, .out = out,
				   .kernel = kernel, .jobs = jobs, .cold = cold, .stop = &qoslab_stop };
	r = pool_run(&cfg, todo, run.todo, trial_done, &run);
	if (r < 0) {
		fprintf(stderr, "qoslab run: starting a trial process: %s\n", strerror(-r));
		run.status = 1;
	}
	status = run.status;
	/* failed and never-run trials are named in the results, not silently absent */
	r = outcome_merge_all(out, res, &added, &missing, err, sizeof(err));
	if (r < 0) {
		fprintf(stderr, "qoslab run: %s\n", err);
		status = 1;
	}
	if (manifest_set_jobs(out, jobs) < 0 && !qoslab_stop) {
		fprintf(stderr, "qoslab run: %s/manifest.json: missing or unwritable\n", out);
		status = 1;
	}
	if (finish(res, out) != 0)
		status = 1;
	if (qoslab_stop) {
		fprintf(stderr, "qoslab run: interrupted; finished trials are in %s (--resume continues)\n", out);
		status = 130;
	}
	printf("report: %s/report.html\n", out);
out:
	free(todo);
	scenario_trials_free(trials);
	results_free(res);
	return status;
}

/* --slurm: the trials not done yet as a job array and a dependent report job; nothing runs
 * here. The nodes see the same paths, so every path handed to them is absolute. */
static int run_slurm(const struct scenario *sc, const char *scenario_path, const char *out_rel,
		     int resume, const char *kernel, size_t chunk, int retries,
		     char *const *sbatch_opts, const char *self)
{
	struct scenario_trial *trials = NULL;
	const struct scenario_trial **todo = NULL;
	struct results *res = NULL;
	struct slurm_jobs jobs = { .tasks = 0 };
	char out[PATH_MAX], scen[PATH_MAX], err[SCENARIO_ERR_MAX], meta[256];
	size_t n = 0, k = 0;
	int status;

	if (!realpath(out_rel, out) || !realpath(scenario_path, scen)) {
		fprintf(stderr, "qoslab run: %s: %s\n", out_rel, strerror(errno));
		return 1;
	}
	if ((status = setup_out(sc, out, resume, &res)) != 0)
		goto out;
	if (scenario_trials(sc, &trials, &n) < 0 || !(todo = calloc(n + 1, sizeof(*todo)))) {
		status = 1;
		goto out;
	}
	for (size_t i = 0; i < n; i++)
		if (!results_has_trial(res, trials[i].levels, (unsigned)trials[i].rep))
			todo[k++] = &trials[i];
	if (!k) {
		fprintf(stderr, "qoslab run: every trial of %s is done; nothing to submit\n", out);
		status = finish(res, out);
		goto out;
	}
	struct slurm_submit cfg = { .self = self, .scenario = scen, .out = out, .kernel = kernel,
				    .chunk = chunk, .retries = retries, .sbatch = sbatch_opts };
	if (slurm_submit_run(&cfg, sc, todo, k, &jobs, err, sizeof(err)) < 0) {
		fprintf(stderr, "qoslab run: --slurm: %s\n", err);
		status = 1;
		goto out;
	}
	snprintf(meta, sizeof(meta), "array job %s (%zu tasks, %zu trials), report job %s",
		 jobs.array, jobs.tasks, k, jobs.merge);
	results_set_meta(res, "slurm", meta);
	if (results_write_json(res, out) < 0) {
		fprintf(stderr, "qoslab run: %s/results.json: cannot write\n", out);
		status = 1;
		goto out;
	}
	printf("submitted %zu trials as Slurm array job %s (%zu tasks) and report job %s\n"
	       "report: %s/report.html (when job %s has ended)\n", k, jobs.array, jobs.tasks,
	       jobs.merge, out, jobs.merge);
out:
	free(todo);
	scenario_trials_free(trials);
	results_free(res);
	return status;
}

/* How many trials at once: what the user asked, lowered to what the cores hold. */
static unsigned int choose_jobs(const struct scenario *sc, int uml, long asked)
{
	unsigned int cores = pool_cores(), fit;
	double cpus = 1;

	if (pool_trial_cpus(sc, uml, &cpus) < 0)
		cpus = cores;
	fit = pool_fit(cores, cpus);
	if (asked > 0 && (unsigned long)asked <= fit)
		return (unsigned int)asked;
	if (asked > 0)
		fprintf(stderr, "qoslab run: --jobs %ld lowered to %u: a trial takes up to %.2g CPU%s and "
			"this machine gives %u, more at once would break the CPU caps\n", asked, fit,
			cpus, uml ? " (one UML guest)" : "", cores);
	return fit;
}

int run_main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "out", required_argument, NULL, 'o' },
		{ "kernel", required_argument, NULL, 'k' },
		{ "resume", no_argument, NULL, 'r' },
		{ "jobs", required_argument, NULL, 'j' },
		{ "chunk", required_argument, NULL, 'c' },
		{ "slurm-retries", required_argument, NULL, 'R' },
		{ "cold-workers", no_argument, NULL, 'C' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 }
	};
	enum kernel_mode mode = KERNEL_AUTO;
	struct scenario *sc = NULL;
	struct scenario_trial *trials = NULL;
	struct results *res = NULL;
	char err[SCENARIO_ERR_MAX], out[PATH_MAX] = "", self[PATH_MAX], path[PATH_MAX + 32];
	const char *out_opt = NULL, *kernel = "auto";
	size_t n = 0;
	long asked = 0;
	unsigned int jobs = 1;
	char *const *sbatch_opts = NULL;
	unsigned long chunk = 1;
	long retries = 1;
	struct warm_pool *warm = NULL;
	int cold = 0;
	int resume = 0, c, r, status = 0, uml = 0;
	ssize_t len;

	/* everything after --slurm is sbatch's */
	for (int i = 1; i < argc; i++)
		if (!strcmp(argv[i], "--slurm")) {
			sbatch_opts = argv + i + 1;
			argc = i;
			break;
		}
	while ((c = getopt_long(argc, argv, "o:j:h", opts, NULL)) != -1) {
		switch (c) {
		case 'o': out_opt = optarg; break;
		case 'k':
			kernel = optarg;
			if (kernel_mode_parse(optarg, &mode) < 0) {
				fprintf(stderr, "qoslab run: --kernel '%s' is not auto, host or uml\n", optarg);
				return 2;
			}
			break;
		case 'r': resume = 1; break;
		case 'C': cold = 1; break;
		case 'j':
			if (units_long(optarg, 1, 4096, &asked) < 0) {
				fprintf(stderr, "qoslab run: --jobs '%s' is not a number 1..4096\n", optarg);
				return 2;
			}
			break;
		case 'c': {
			long v;

			if (units_long(optarg, 1, 100000, &v) < 0) {
				fprintf(stderr, "qoslab run: --chunk '%s' is not a number 1..100000\n", optarg);
				return 2;
			}
			chunk = (size_t)v;
			break;
		}
		case 'R':
			if (units_long(optarg, 0, 10, &retries) < 0) {
				fprintf(stderr, "qoslab run: --slurm-retries '%s' is not a number 0..10\n",
					optarg);
				return 2;
			}
			break;
		case 'h': run_usage(stdout); return 0;
		default: run_usage(stderr); return 2;
		}
	}
	if (optind != argc - 1) {
		run_usage(stderr);
		return 2;
	}
	if (uml_inside() && sbatch_opts) {
		fprintf(stderr, "qoslab run: --slurm submits from the host, not from inside UML\n");
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
	len = readlink("/proc/self/exe", self, sizeof(self) - 1);
	if (len < 0) {
		status = 1;
		goto done;
	}
	self[len] = 0;
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
		if (sbatch_opts) {
			status = run_slurm(sc, argv[optind], out, resume, kernel, chunk, (int)retries,
					   sbatch_opts, self);
			goto done;
		}
		if (kernel_choose(mode, &uml, err, sizeof(err)) < 0) {
			fprintf(stderr, "qoslab run: %s\n", err);
			status = 1;
			goto done;
		}
		jobs = choose_jobs(sc, uml, asked);
		if (jobs > 1) {
			status = run_parallel(sc, argv[optind], out, resume, kernel, uml, jobs, cold, self);
			goto done;
		}
		/* one trial at a time: one kernel for the whole run; the guest must use the same
		 * directory and know that it runs alone */
		char **args = calloc((size_t)argc + 5, sizeof(*args));

		if (!args) {
			status = 1;
			goto done;
		}
		memcpy(args, argv, (size_t)argc * sizeof(*args));
		args[argc] = "--out";
		args[argc + 1] = out;
		args[argc + 2] = "--jobs";
		args[argc + 3] = "1";
		unsigned int mem_mb = 0;

		/* 15 workers and their standbys outgrew 2 GB: the guest's OOM killer took them */
		pool_guest_mem_mb(sc, &mem_mb);
		r = kernel_enter_sized(mode, args, mem_mb, &status, err, sizeof(err));
		free(args);
		if (r < 0) {
			fprintf(stderr, "qoslab run: %s\n", err);
			status = 1;
			goto done;
		}
		if (r == 1) {
			/* gnuplot inside UML took 23 s for what takes 4 s here */
			if ((status == 0 || status == 1 || status == 130) && redraw(out) != 0 && !status)
				status = 1;
			if (status == 0 || status == 130)
				printf("report: %s/report.html\n", out);
			goto done;
		}
	}
	struct run run = { .sc = sc, .out = out, .start = clock_now_s() };

	run.tty = getenv(TTY_ENV) ? atoi(getenv(TTY_ENV)) : isatty(2);
	run.columns = run.tty ? term_columns() : 0;
	if ((status = setup_out(sc, out, resume, &res)) != 0)
		goto done;
	run.res = res;
	results_set_meta(res, "kernel", uml_inside() ? "uml" : "host");
	{
		json_t *m = NULL;
		int outside = 0;

		r = manifest_new(sc, self, &m, &outside);
		snprintf(path, sizeof(path), "%s/manifest.json", out);
		if (r == 0 && json_object_set_new(m, "jobs", json_integer(1)) < 0)
			r = -ENOMEM;
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
	if (r == 0 && !cold)
		r = sc->pipeline ? warm_pool_new(self, &warm) : 0;
	if (r == 0)
		r = run_trials(&run, trials, n, self, warm);
	warm_pool_free(warm);
	if (r < 0)
		status = 1;
	{
		size_t added, missing;

		if (outcome_merge_all(out, res, &added, &missing, err, sizeof(err)) < 0) {
			fprintf(stderr, "qoslab run: %s\n", err);
			status = 1;
		}
	}
	if (finish(res, out) != 0)
		status = 1;
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
