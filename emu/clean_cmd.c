// SPDX-License-Identifier: MIT
/* `qoslab clean`: removes what runs whose controller died left behind. */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "commands.h"
#include "emu/testbed.h"
#include "emu/uml.h"

int clean_main(int argc, char **argv)
{
	unsigned int removed = 0, uml_removed = 0;
	int all = 0;

	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--all")) {
			all = 1;
		} else if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
			printf("usage: qoslab clean [--all]\nRemoves namespaces, cgroups, processes and run "
			       "state that qoslab runs left behind\nwhen their controller died, and the "
			       "kernels and job directories (" UML_JOB_PREFIX "*)\nof UML runs.\n"
			       "--all also removes those of runs still alive.\n");
			return 0;
		} else {
			fprintf(stderr, "qoslab clean: unknown argument '%s'\n", argv[i]);
			return 2;
		}
	}
	/* UML runs first: their kernels may hold the host's testbed objects of nothing, but their
	 * job directories and processes are one's own, root or not */
	uml_clean(all, &uml_removed);
	if (geteuid() == 0)
		testbed_clean(all, &removed);
	else if (!uml_removed)
		fprintf(stderr, "qoslab clean: not root: only UML runs of this user were looked at\n");
	removed += uml_removed;
	printf("removed %u object%s\n", removed, removed == 1 ? "" : "s");
	return 0;
}
