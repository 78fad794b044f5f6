// SPDX-License-Identifier: MIT
/* qoslab trial: some trials of a scenario into a run directory, each leaving an outcome file.
 * What `qoslab run --jobs N` starts per trial and what a Slurm array task runs. */
#include <errno.h>
#include <getopt.h>
#include <jansson.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "clock.h"
#include "commands.h"
#include "emu/kernel.h"
#include "plots/outfile.h"
#include "regfile.h"
#include "scenarios/manifest.h"
#include "scenarios/outcome.h"
#include "scenarios/pool.h"
#include "scenarios/scenario.h"
#include "scenarios/sweep.h"
#include "scenarios/trial.h"
#include "scenarios/warm.h"

#define TASK_ENV "SLURM_ARRAY_TASK_ID"

static void trial_usage(FILE *f)
{
	fprintf(f,
"usage: qoslab trial SCENARIO.yaml --out DIR (--trials LIST [--slot K] | --task-list FILE)\n"
"                    [--kernel K] [--cold-workers]\n\n"
"Runs the listed trials of the scenario (positions in its run order, as `qoslab scenario\n"
"check --trials` shows them) one after another in one kernel, each in a fresh testbed, and\n"
"writes DIR/trials/NNN-pP-rR/outcome.json for each; a trial whose outcome is already ok is\n"
"skipped. DIR/manifest.json is written when missing. `qoslab run --jobs` and `--slurm` start\n"
"it; `qoslab run --resume` or `qoslab report DIR` merge the outcomes into results.json.\n\n"
"  --trials LIST      comma-separated run-order positions and ranges, e.g. 0-3,5,7\n"
"  --task-list FILE   line $" TASK_ENV " (0-based) of FILE is the LIST (Slurm job arrays)\n"
"  --slot K           run only the listed trials this process claims first for slot K\n"
"                     (DIR/slots/claims/; how `qoslab run --jobs` shares one list)\n"
"  --kernel K         auto (default), host or uml\n"
"  --cold-workers     fresh workers for every trial (default: standby workers that loaded\n"
"                     the model in an earlier trial of the list serve the next ones)\n"
"Exit status: 0 every trial ok, 1 some failed (see their outcome.json), 2 usage, 130 interrupted.\n");
}

/* Line index (0-based) of a task list file, without its newline, into buf. */
static int task_line(const char *path, long index, char *buf, size_t len)
{
	FILE *f = regfile_fopen(path);
	int r = -ERANGE;

	if (!f)
		return -errno;
	for (long i = 0; fgets(buf, (int)len, f); i++)
		if (i == index) {
			buf[strcspn(buf, "\n")] = 0;
			r = 0;
			break;
		}
	fclose(f);
	return r;
}

/* Parses "0,5,7" or "0-3,7" into orders (each < n). Returns the count or -EINVAL. */
static long parse_list(const char *s, size_t n, size_t *orders, size_t max)
{
	long k = 0;

	while (*s) {
		char *end;
		unsigned long v, last;

		errno = 0;
		v = last = strtoul(s, &end, 10);
		if (!errno && end != s && *end == '-') {
			s = end + 1;
			last = strtoul(s, &end, 10);
		}
		if (errno || end == s || last < v || last >= n || (*end && *end != ','))
			return -EINVAL;
		for (; v <= last; v++) {
			if ((size_t)k >= max)
				return -EINVAL;
			orders[k++] = v;
		}
		s = *end ? end + 1 : end;
	}
	return k;
}

/* DIR/manifest.json, when no trial wrote it yet or one on another kernel did (a resumed run
 * whose first tasks ran elsewhere): the kernel facts are only known in here. Computing it
 * hashes the model and dataset, so trials on the same kernel keep the one they find. */
static int manifest_once(const struct scenario *sc, const char *self, const char *out)
{
	char path[PATH_MAX], kernel[128];
	struct outfile *of = NULL;
	json_t *m = NULL;
	int outside = 0, r;

	snprintf(path, sizeof(path), "%s/manifest.json", out);
	kernel_describe(kernel, sizeof(kernel));
	m = json_load_file(path, 0, NULL);
	r = m && !strcmp(json_string_value(json_object_get(m, "kernel")) ?: "", kernel);
	json_decref(m);
	m = NULL;
	if (r)
		return 0;
	if ((r = manifest_new(sc, self, &m, &outside)) < 0)
		return r;
	/* concurrent first trials write equal content; the rename keeps it whole */
	if ((r = outfile_open(out, "manifest.json", &of)) == 0)
		r = outfile_close(of, json_dumpf(m, outfile_stream(of), JSON_INDENT(2)) < 0 ? -EIO : 0);
	json_decref(m);
	return r;
}

/* slot < 0: every listed trial; otherwise those this call claims for slot (pool_claim) */
static int run_listed(const struct scenario *sc, const struct scenario_trial *trials,
		      const size_t *orders, size_t k, const char *out, long slot, const char *self,
		      struct warm_pool *warm)
{
	int status = 0;

	for (size_t i = 0; i < k && !qoslab_stop; i++) {
		const struct scenario_trial *tr = &trials[orders[i]];
		struct trial_metrics m = { .n = 0 };
		struct outcome o = { .status = OUTCOME_OK };
		struct outcome prev;
		struct scenario *t = NULL;
		char dir[PATH_MAX], err[SCENARIO_ERR_MAX] = "";
		double t0 = clock_now_s();
		int r;

		outcome_trial_name(tr, o.name, sizeof(o.name));
		snprintf(dir, sizeof(dir), "%s/trials/%s", out, o.name);
		if (slot >= 0 && (r = pool_claim(out, o.name, (unsigned int)slot)) <= 0) {
			if (r == 0)
				continue; /* another slot runs it */
			fprintf(stderr, "qoslab trial: claiming %s in %s/slots/claims/: %s\n", o.name,
				out, strerror(-r));
			return 1; /* the controller reports the unclaimed trials */
		}
		if (outcome_peek(out, o.name, &prev) == 0 && prev.status == OUTCOME_OK)
			continue;
		r = scenario_resolve(sc, tr, &t, err, sizeof(err));
		if (r == 0)
			r = trial_run(t, self, dir, warm, &qoslab_stop, &m, err, sizeof(err));
		scenario_free(t);
		if (r == -EINTR)
			break; /* neither ok nor failed: the outcome stays as it was */
		o.wall_s = clock_now_s() - t0;
		if (r < 0) {
			o.status = OUTCOME_FAILED;
			snprintf(o.error, sizeof(o.error), "%s", err);
			fprintf(stderr, "qoslab trial: %s FAILED: %s\n", o.name, err);
			status = 1;
		} else {
			snprintf(o.summary, sizeof(o.summary), "%s", m.summary);
		}
		if ((r = outcome_write(out, sc, tr, &o, &m)) < 0) {
			fprintf(stderr, "qoslab trial: %s/trials/%s/" OUTCOME_FILE ": %s\n", out, o.name,
				strerror(-r));
			status = 1;
		}
	}
	return qoslab_stop ? 130 : status;
}

int trial_main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "out", required_argument, NULL, 'o' },
		{ "trials", required_argument, NULL, 't' },
		{ "task-list", required_argument, NULL, 'l' },
		{ "kernel", required_argument, NULL, 'k' },
		{ "slot", required_argument, NULL, 's' },
		{ "cold-workers", no_argument, NULL, 'C' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 }
	};
	enum kernel_mode mode = KERNEL_AUTO;
	const char *out = NULL, *list = NULL, *task_list = NULL, *kernel = "auto";
	struct scenario *sc = NULL;
	struct scenario_trial *trials = NULL;
	size_t n = 0, *orders = NULL;
	char err[SCENARIO_ERR_MAX], line[65536], self[PATH_MAX];
	struct warm_pool *warm = NULL;
	long k, slot = -1;
	ssize_t len;
	int c, r, status = 2, cold = 0;

	while ((c = getopt_long(argc, argv, "o:h", opts, NULL)) != -1) {
		switch (c) {
		case 'o': out = optarg; break;
		case 't': list = optarg; break;
		case 'l': task_list = optarg; break;
		case 'C': cold = 1; break;
		case 's': {
			char *end;

			errno = 0;
			slot = strtol(optarg, &end, 10);
			if (errno || end == optarg || *end || slot < 0 || slot > 65535) {
				fprintf(stderr, "qoslab trial: --slot '%s' is not a number 0..65535\n", optarg);
				return 2;
			}
			break;
		}
		case 'k':
			kernel = optarg;
			if (kernel_mode_parse(optarg, &mode) < 0) {
				fprintf(stderr, "qoslab trial: --kernel '%s' is not auto, host or uml\n", optarg);
				return 2;
			}
			break;
		case 'h': trial_usage(stdout); return 0;
		default: trial_usage(stderr); return 2;
		}
	}
	if (optind != argc - 1 || !out || !list == !task_list) {
		trial_usage(stderr);
		return 2;
	}
	if (task_list) {
		/* resolved here: the guest sees only QOSLAB_* variables of the environment */
		const char *id = getenv(TASK_ENV);

		if (!id || (r = task_line(task_list, atol(id), line, sizeof(line))) < 0) {
			fprintf(stderr, "qoslab trial: --task-list %s: %s\n", task_list,
				id ? strerror(-r) : "$" TASK_ENV " is not set");
			return 2;
		}
		char *args[] = { "trial", argv[optind], "--out", (char *)out, "--trials", line,
				 "--kernel", (char *)kernel, cold ? "--cold-workers" : NULL, NULL };

		optind = 0; /* getopt starts over on the new vector */
		return trial_main(8 + cold, args);
	}
	if ((r = scenario_load(argv[optind], &sc, err, sizeof(err))) < 0) {
		fprintf(stderr, "%s\n", err);
		return 2;
	}
	if (scenario_trials(sc, &trials, &n) < 0 || !(orders = calloc(n + 1, sizeof(*orders)))) {
		status = 1;
		goto out;
	}
	if ((k = parse_list(list, n, orders, n)) < 0) {
		fprintf(stderr, "qoslab trial: --trials '%s': expected positions 0..%zu and ranges, comma-separated\n",
			list, n - 1);
		goto out;
	}
	if (!uml_inside()) {
		char host[256] = "";

		/* which machine ran a trial (a Slurm node), not the guest's name */
		gethostname(host, sizeof(host) - 1);
		setenv(OUTCOME_HOST_ENV, host, 1);
	}
	unsigned int mem_mb = 0;

	pool_guest_mem_mb(sc, &mem_mb);
	r = kernel_enter_sized(mode, argv, mem_mb, &status, err, sizeof(err));
	if (r < 0) {
		fprintf(stderr, "qoslab trial: %s\n", err);
		status = 1;
		goto out;
	}
	if (r == 1)
		goto out;
	len = readlink("/proc/self/exe", self, sizeof(self) - 1);
	if (len < 0) {
		status = 1;
		goto out;
	}
	self[len] = 0;
	qoslab_catch_signals();
	if ((r = manifest_once(sc, self, out)) < 0)
		fprintf(stderr, "qoslab trial: %s/manifest.json: %s\n", out, strerror(-r));
	if (!cold && k > 1 && sc->pipeline && warm_pool_new(self, &warm) < 0) {
		status = 1;
		goto out;
	}
	status = run_listed(sc, trials, orders, (size_t)k, out, slot, self, warm);
	warm_pool_free(warm);
	if (r < 0 && !status)
		status = 1;
out:
	free(orders);
	scenario_trials_free(trials);
	scenario_free(sc);
	return status;
}
