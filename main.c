// SPDX-License-Identifier: MIT
/* qoslab: network emulation testbed for distributed inference. Dispatches subcommands. */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "emu/uml.h"

#include "commands.h"

volatile sig_atomic_t qoslab_stop;

/* The flag and its handler live here, the one place with mutable globals: long loops of
 * the commands poll qoslab_stop and unwind through their cleanup. */
static void on_signal(int sig)
{
	(void)sig;
	qoslab_stop = 1;
}

void qoslab_catch_signals(void)
{
	struct sigaction sa = { .sa_handler = on_signal };

	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
}

static const struct command {
	const char *name;
	int (*fn)(int argc, char **argv);
	const char *help;
} commands[] = {
	/* keep sorted by name */
	{ "accuracy", accuracy_main, "precision, recall, F1 and mAP@0.5 of records against labels" },
	{ "check",   check_main,   "what this machine can do; netem fidelity self-check" },
	{ "clean",   clean_main,   "remove what crashed runs left behind" },
	{ "client", client_main, "load generator: submit a dataset's images to a server, write records" },
	{ "detect", detect_main, "run the detector offline on images, write JSON-lines records" },
	{ "echo",    echo_main,    "UDP echo service (for probes and failure tests)" },
	{ "edge",    edge_main,    "edge tier: preprocess clients' images, forward them to a server" },
	/* internal (no help line): one ns-3 link between fresh namespaces, for tests and trying */
	{ "ns3link", ns3link_main, NULL },
	{ "report", report_main, "redraw plots and report.html of a run from DIR/results.json" },
	{ "run",     run_main,     "run a scenario's trials; statistics and report" },
	{ "scenario", scenario_main, "check a scenario file (count, list its trials); its JSON Schema" },
	{ "server", server_main, "job server: HTTP API for clients, dispatch to connected workers" },
	{ "testbed", testbed_main, "build a testbed, impair links, run commands in nodes" },
	{ "trial",   trial_main,   "run listed trials of a scenario into a run directory (run --jobs, --slurm)" },
	{ "uml",     uml_main,     "run a command inside a User-Mode Linux kernel" },
	{ "version", version_main, "release, commit, library versions, where its files are" },
	{ "worker", worker_main, "detector worker: connect to a server and run the jobs it sends" },
	{ 0 }
};

static void usage(FILE *f)
{
	fprintf(f, "usage: qoslab COMMAND [ARGS...]   (qoslab COMMAND --help for details)\n"
		"       qoslab --version\n\ncommands:\n");
	for (const struct command *c = commands; c->name; c++)
		if (c->help)
			fprintf(f, "  %-10s %s\n", c->name, c->help);
}

int main(int argc, char **argv)
{
	/* booted by `qoslab --kernel uml` as init of a User-Mode Linux guest */
	if (getpid() == 1 && getenv(UML_JOB_ENV))
		return uml_init_main();
	if (argc < 2 || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") || !strcmp(argv[1], "help")) {
		usage(argc < 2 ? stderr : stdout);
		return argc < 2 ? 2 : 0;
	}
	if (!strcmp(argv[1], "--version") || !strcmp(argv[1], "-V"))
		return version_main(argc - 1, argv + 1);
	for (const struct command *c = commands; c->name; c++)
		if (!strcmp(argv[1], c->name))
			return c->fn(argc - 1, argv + 1);
	fprintf(stderr, "qoslab: unknown command '%s'\n", argv[1]);
	usage(stderr);
	return 2;
}
