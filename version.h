/* SPDX-License-Identifier: MIT */
/* What this qoslab is: release, commit it was built from, library versions it runs with. */
#ifndef QOSLAB_VERSION_H
#define QOSLAB_VERSION_H
#include <jansson.h>
#include <stddef.h>

#define VERSION_LIB_MAX 8

struct version_lib {
	const char *name;     /* pkg-config name, e.g. "libnl-3.0" */
	const char *built;    /* the headers compiled against (pkg-config --modversion) */
	char runtime[64];     /* what the loaded library reports; "" when it has no version API */
};

/* Release from debian/changelog, e.g. "0.1.0". */
const char *version_release(void);
/* `git describe --always --dirty` of the tree at build time; "unknown" outside git. */
const char *version_commit(void);
/* Fills libs (at most VERSION_LIB_MAX) and returns how many. */
size_t version_libs(struct version_lib *libs);
/* {"release", "commit", "libraries": {NAME: {"built", "runtime"}}}; NULL on ENOMEM. */
json_t *version_json(void);
#endif
