// SPDX-License-Identifier: MIT
/* `qoslab uml`: one command inside a User-Mode Linux kernel. */
#include <stdio.h>
#include <string.h>

#include "commands.h"
#include "emu/uml.h"

int uml_main(int argc, char **argv)
{
	int status = 0, r;

	if (argc < 2 || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
		printf("usage: qoslab uml [--] COMMAND [ARGS...]\nRuns COMMAND inside a User-Mode Linux "
		       "kernel with the host's filesystem, netem and the testbed's modules.\n");
		return argc < 2 ? 2 : 0;
	}
	argv++;
	if (!strcmp(argv[0], "--"))
		argv++;
	if (!argv[0])
		return 2;
	char why[256];
	if (uml_available(why, sizeof(why)) < 0) {
		fprintf(stderr, "qoslab uml: %s\n", why);
		return 1;
	}
	r = uml_run(argv, 0, &status);
	if (r < 0) {
		fprintf(stderr, "qoslab uml: %s\n", strerror(-r));
		return 1;
	}
	return status;
}
