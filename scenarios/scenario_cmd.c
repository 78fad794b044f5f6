// SPDX-License-Identifier: MIT
/* qoslab scenario check: loads and validates a scenario file, prints its trials. */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "commands.h"
#include "scenarios/scenario.h"
#include "scenarios/schema_json.h"
#include "scenarios/sweep.h"

static void scenario_usage(FILE *f)
{
	fprintf(f,
		"usage: qoslab scenario check [--trials] FILE.yaml\n"
		"       qoslab scenario schema\n\n"
		"Loads FILE.yaml and validates all of it before anything runs: keys, types, ranges,\n"
		"links and timeline against the topology, that the model files and the dataset\n"
		"exist, the sweep, and every sweep point. Prints the trial count and the factors;\n"
		"--trials also lists the trials in run order with their seeds.\n"
		"Exit status 0 when valid, 2 with one line FILE:LINE: KEY: message otherwise,\n"
		"1 when the output cannot be written.\n"
		"The format is documented in scenarios/README.md and qoslab-scenario(5).\n\n"
		"schema prints the format as a JSON Schema (draft-07), from the table the parser\n"
		"uses, for editors: e.g. a '# yaml-language-server: $schema=PATH' first line.\n\n"
		"  --trials       also list the trials in run order with their seeds\n");
}

static void print_summary(const struct scenario *sc, size_t n_trials)
{
	printf("%s: %s: %zu point%s x %d repeat%s = %zu trial%s (seed %" PRIu64 ")\n", sc->path,
	       sc->name, sc->n_points, sc->n_points == 1 ? "" : "s", sc->repeats,
	       sc->repeats == 1 ? "" : "s", n_trials, n_trials == 1 ? "" : "s", sc->seed);
	for (size_t f = 0; f < sc->n_factors; f++) {
		const struct scenario_factor *fa = &sc->factors[f];

		printf("  factor %s (%s):", fa->name, fa->key);
		for (size_t v = 0; v < fa->n_values; v++)
			printf(" %s", fa->values[v]);
		printf("\n");
	}
	printf("  topology: %d worker%s; links: %zu; timeline: %zu event%s; random failures: %s\n",
	       sc->topology.workers, sc->topology.workers == 1 ? "" : "s", sc->n_links,
	       sc->n_events, sc->n_events == 1 ? "" : "s",
	       sc->random_failures.rate > 0 ? "yes" : "no");
	if (sc->pipeline)
		printf("  workload: %d jobs, %s loop, %s; model %s; dataset %s\n", sc->workload.count,
		       sc->workload.mode == SCENARIO_OPEN ? "open" : "closed",
		       sc->transport.protocol == SCENARIO_UDP ? "udp" : "tcp", sc->model_prefix,
		       sc->workload.dataset_dir);
	else
		printf("  pipeline: off (no server, workers or client)\n");
	for (size_t i = 0; i < sc->n_runs; i++)
		printf("  run %s on %s: %s%s%s\n", sc->runs[i].name, sc->runs[i].node, sc->runs[i].argv[0],
		       sc->runs[i].argc > 1 ? " ..." : "", sc->runs[i].wait ? " (the trial waits for it)" : "");
}

static void print_trials(const struct scenario *sc, const struct scenario_trial *t, size_t n)
{
	printf("order point rep seed");
	for (size_t f = 0; f < sc->n_factors; f++)
		printf(" %s", sc->factors[f].name);
	printf("\n");
	for (size_t i = 0; i < n; i++) {
		printf("%zu %zu %d 0x%016" PRIx64, t[i].order, t[i].point, t[i].rep, t[i].seed);
		for (size_t f = 0; f < sc->n_factors; f++)
			printf(" %s", t[i].values[f]);
		printf("\n");
	}
}

static int scenario_check(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "trials", no_argument, NULL, 't' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 }
	};
	struct scenario *sc = NULL;
	struct scenario_trial *trials = NULL;
	char err[SCENARIO_ERR_MAX];
	size_t n = 0;
	int c, list = 0, r;

	while ((c = getopt_long(argc, argv, "th", longopts, NULL)) != -1) {
		switch (c) {
		case 't': list = 1; break;
		case 'h': scenario_usage(stdout); return 0;
		default: scenario_usage(stderr); return 2;
		}
	}
	if (optind != argc - 1) {
		scenario_usage(stderr);
		return 2;
	}
	r = scenario_load(argv[optind], &sc, err, sizeof(err));
	if (r < 0) {
		fprintf(stderr, "%s\n", err);
		return 2;
	}
	r = scenario_trials(sc, &trials, &n);
	if (r < 0) {
		fprintf(stderr, "%s: %s\n", argv[optind], strerror(-r));
		scenario_free(sc);
		return 2;
	}
	print_summary(sc, n);
	if (list)
		print_trials(sc, trials, n);
	scenario_trials_free(trials);
	scenario_free(sc);
	/* a trial list that was not written (a full disk) must not pass for a check */
	if (fflush(stdout) != 0 || ferror(stdout)) {
		fprintf(stderr, "qoslab scenario check: standard output: %s\n",
			strerror(errno ? errno : EIO));
		return 1;
	}
	return 0;
}

static int scenario_schema(int argc, char **argv)
{
	json_t *s = NULL;
	int r;

	(void)argv;
	if (argc != 1) {
		scenario_usage(stderr);
		return 2;
	}
	r = schema_json(&s);
	if (r == 0 && (json_dumpf(s, stdout, JSON_INDENT(2) | JSON_REAL_PRECISION(10)) < 0 ||
		       printf("\n") < 0 || fflush(stdout) == EOF))
		r = -EIO;
	json_decref(s);
	if (r < 0) {
		fprintf(stderr, "qoslab scenario schema: %s\n", strerror(-r));
		return 1;
	}
	return 0;
}

int scenario_main(int argc, char **argv)
{
	if (argc >= 2 && !strcmp(argv[1], "check"))
		return scenario_check(argc - 1, argv + 1);
	if (argc >= 2 && !strcmp(argv[1], "schema"))
		return scenario_schema(argc - 1, argv + 1);
	if (argc >= 2 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"))) {
		scenario_usage(stdout);
		return 0;
	}
	scenario_usage(stderr);
	return 2;
}
