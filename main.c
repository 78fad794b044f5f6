// SPDX-License-Identifier: MIT
/* qoslab: network emulation testbed for distributed inference. Dispatches subcommands. */
#include <stdio.h>
#include <string.h>

#include "commands.h"

static const struct command {
	const char *name;
	int (*fn)(int argc, char **argv);
	const char *help;
} commands[] = {
	/* keep sorted by name */
	{ "accuracy", accuracy_main, "precision, recall, F1 and mAP@0.5 of records against labels" },
	{ "client", client_main, "load generator: submit a dataset's images to a server, write records" },
	{ "detect", detect_main, "run the detector offline on images, write JSON-lines records" },
	{ "server", server_main, "job server: HTTP API for clients, dispatch to connected workers" },
	{ "worker", worker_main, "detector worker: connect to a server and run the jobs it sends" },
	{ 0 }
};

static void usage(FILE *f)
{
	fprintf(f, "usage: qoslab COMMAND [ARGS...]   (qoslab COMMAND --help for details)\n\ncommands:\n");
	for (const struct command *c = commands; c->name; c++)
		fprintf(f, "  %-10s %s\n", c->name, c->help);
}

int main(int argc, char **argv)
{
	if (argc < 2 || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") || !strcmp(argv[1], "help")) {
		usage(argc < 2 ? stderr : stdout);
		return argc < 2 ? 2 : 0;
	}
	for (const struct command *c = commands; c->name; c++)
		if (!strcmp(argv[1], c->name))
			return c->fn(argc - 1, argv + 1);
	fprintf(stderr, "qoslab: unknown command '%s'\n", argv[1]);
	usage(stderr);
	return 2;
}
