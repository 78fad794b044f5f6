/* SPDX-License-Identifier: MIT */
/* The job board's static files (pipeline/web/), compiled into the binary. */
#ifndef QOSLAB_WEB_H
#define QOSLAB_WEB_H
#include <stddef.h>

struct web_file {
	const char *name;            /* file name in pipeline/web/ */
	const unsigned char *data;
	size_t len;
};

/* Generated at build time (pipeline/web/embed.sh); read-only. */
extern const struct web_file web_files[];
extern const size_t web_files_n;

/*
 * The file a GET of url serves: "/" the board (index.html), "/jobs/ID" a job's page
 * (job.html, which reads ID from its address), "/static/NAME" NAME itself. 0 and ret_*
 * set, or -ENOENT.
 */
int web_lookup(const char *url, const struct web_file **ret_file, const char **ret_type);
#endif
