// SPDX-License-Identifier: MIT
/* qoslab version (also qoslab --version): release, commit, libraries, where its files are. */
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "commands.h"
#include "emu/uml.h"
#include "models/locate.h"
#include "version.h"

static void version_usage(FILE *f)
{
	fprintf(f,
"usage: qoslab version [--json]   (also: qoslab --version)\n\n"
"Prints qoslab's release and the commit it was built from, the version of each library it\n"
"was built against and the one it runs with, and where it finds its own files (OpenCV\n"
"stand-ins, models, dataset, UML kernel, xstate preload). Every run's manifest.json holds the same facts.\n\n"
"  --json         one JSON object: release, commit, libraries\n");
}

/* One "files" line: the path found, or why not. */
static void print_place(const char *what, int r, const char *path, const char *tried)
{
	if (r == 0)
		printf("  %-14s %s\n", what, path);
	else
		printf("  %-14s not found (looked in %s)\n", what, tried ? tried : "nowhere");
}

static void print_files(void)
{
	char *p = NULL, *tried = NULL, why[256] = "", preload[PATH_MAX + 32], self[PATH_MAX];
	struct uml_kernel k;
	ssize_t n;
	int r;

	printf("files:\n");
	r = locate_helper("opencv-stub", &p);
	print_place("opencv stubs", r, p, "beside the binary and in " LOCATE_HELPER_DIR);
	free(p);
	p = NULL;
	r = locate_models_dir(&p, &tried);
	print_place("models", r, p, tried);
	free(p);
	free(tried);
	p = tried = NULL;
	r = locate_dataset_dir(&p, &tried);
	print_place("dataset", r, p, tried);
	free(p);
	free(tried);
	r = uml_kernel_find(&k, why, sizeof(why));
	if (r == 0)
		printf("  %-14s %s%s\n", "uml kernel", k.path, k.own ? " (qoslab's build)" : "");
	else
		printf("  %-14s not found (%s)\n", "uml kernel", why);
	n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	self[n > 0 ? n : 0] = '\0';
	r = uml_xstate_preload(self, preload, sizeof(preload), NULL);
	if (r == 1)
		printf("  %-14s %s\n", "xstate preload", preload);
	else
		printf("  %-14s %s\n", "xstate preload", r == 0 ? "not needed on this CPU" :
		       "needed on this CPU but not found");
}

int version_main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 }
	};
	struct version_lib libs[VERSION_LIB_MAX];
	int c, json = 0;
	size_t n;

	while ((c = getopt_long(argc, argv, "jh", opts, NULL)) != -1) {
		switch (c) {
		case 'j': json = 1; break;
		case 'h': version_usage(stdout); return 0;
		default: version_usage(stderr); return 2;
		}
	}
	if (optind != argc) {
		version_usage(stderr);
		return 2;
	}
	if (json) {
		json_t *v = version_json();

		if (!v || json_dumpf(v, stdout, JSON_INDENT(2)) < 0) {
			fprintf(stderr, "qoslab version: out of memory\n");
			json_decref(v);
			return 1;
		}
		printf("\n");
		json_decref(v);
		return 0;
	}
	printf("qoslab %s (commit %s)\n", version_release(), version_commit());
	printf("libraries:        built with  running with\n");
	n = version_libs(libs);
	for (size_t i = 0; i < n; i++)
		printf("  %-14s %-11s %s\n", libs[i].name, libs[i].built,
		       libs[i].runtime[0] ? libs[i].runtime : "(no version call)");
	print_files();
	return 0;
}
