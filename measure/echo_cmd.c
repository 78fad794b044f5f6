// SPDX-License-Identifier: MIT
/* `qoslab echo`: the UDP echo service that probes and failure tests talk to inside a node. */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "units.h"
#include "commands.h"
#include "measure/probe.h"

int echo_main(int argc, char **argv)
{
	double seconds = 0;
	long port = 0;
	int r;

	if (argc < 2 || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
		printf("usage: qoslab echo PORT [SECONDS]\nA UDP echo service (what failure tests "
		       "and probes talk to inside a node).\n");
		return argc < 2 ? 2 : 0;
	}
	if (units_long(argv[1], 1, 65535, &port) < 0) {
		fprintf(stderr, "qoslab echo: PORT '%s' is not in 1..65535\n", argv[1]);
		return 2;
	}
	if (argc > 2 && units_double(argv[2], 0, 1e9, &seconds) < 0) {
		fprintf(stderr, "qoslab echo: SECONDS '%s' is not a number >= 0\n", argv[2]);
		return 2;
	}
	r = probe_echo_serve((uint16_t)port, seconds);
	if (r < 0) {
		fprintf(stderr, "qoslab echo: port %ld: %s\n", port, strerror(-r));
		return 1;
	}
	return 0;
}
