// SPDX-License-Identifier: MIT
/* `qoslab report DIR`: merges the trials' outcomes into DIR/results.json and redraws the
 * report. A scenarios command, not a plots one: the outcome files it merges are the trials'. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "commands.h"
#include "plots/report.h"
#include "plots/results.h"
#include "scenarios/outcome.h"

static void report_usage(FILE *f)
{
	fputs("usage: qoslab report [--quiet] DIR\n\n"
	      "Merges the trials' outcome files (DIR/trials/*/outcome.json) not yet in DIR/results.json,\n"
	      "then redraws the plots (DIR/plots/METRIC-vs-FACTOR.png and .svg, and each point's\n"
	      "workers and queue over time) and DIR/report.html from the trials, and rewrites what\n"
	      "derives from them (points and paired differences, results.csv, trials.csv);\n"
	      "DIR/scenario.yaml and DIR/manifest.json are shown when present.\n\n"
	      "  -q, --quiet   print nothing on success\n"
	      "  -h, --help    this text\n", f);
}

int report_main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "help", no_argument, NULL, 'h' },
		{ "quiet", no_argument, NULL, 'q' },
		{ NULL, 0, NULL, 0 },
	};
	struct results *r = NULL;
	char path[4096], err[1024] = "";
	size_t n = 0, added = 0, missing = 0;
	int c, quiet = 0, e;

	optind = 1;
	while ((c = getopt_long(argc, argv, "hq", opts, NULL)) != -1) {
		switch (c) {
		case 'h':
			report_usage(stdout);
			return 0;
		case 'q':
			quiet = 1;
			break;
		default:
			report_usage(stderr);
			return 2;
		}
	}
	if (optind != argc - 1) {
		fprintf(stderr, "qoslab report: expected one run directory\n");
		report_usage(stderr);
		return 2;
	}
	snprintf(path, sizeof(path), "%s/results.json", argv[optind]);
	e = results_read_json(path, &r, err, sizeof(err));
	if (e < 0) {
		fprintf(stderr, "qoslab report: %s\n", err);
		return 1;
	}
	/* trials that ran elsewhere (parallel jobs, Slurm tasks) and are not in it yet */
	e = outcome_merge_all(argv[optind], r, &added, &missing, err, sizeof(err));
	if (e < 0) {
		fprintf(stderr, "qoslab report: %s\n", err);
		results_free(r);
		return 1;
	}
	if (missing)
		fprintf(stderr, "qoslab report: %zu trials missing: %s\n", missing,
			results_meta(r, "trials_missing"));
	/* the derived parts (points, paired differences, CSVs) follow the trials it holds */
	if (results_write_json(r, argv[optind]) < 0 || results_write_csv(r, argv[optind]) < 0) {
		fprintf(stderr, "qoslab report: cannot write results to %s\n", argv[optind]);
		results_free(r);
		return 1;
	}
	e = report_render(r, argv[optind], err, sizeof(err), &n);
	results_free(r);
	if (e < 0) {
		fprintf(stderr, "qoslab report: %s\n", err);
		return 1;
	}
	if (!quiet)
		printf("%s/report.html (%zu plots in %s/" REPORT_PLOTS_DIR ")\n", argv[optind], n, argv[optind]);
	if (fflush(stdout) != 0 || ferror(stdout)) {
		fprintf(stderr, "qoslab report: standard output: %s\n", strerror(errno ? errno : EIO));
		return 1;
	}
	return 0;
}
