/* SPDX-License-Identifier: MIT */
/* An output file written under a temporary name and renamed into place when complete. */
#ifndef QOSLAB_OUTFILE_H
#define QOSLAB_OUTFILE_H
#include <stdio.h>

/*
 * Readers (a browser refreshing report.html, a resumed run reading results.json) never
 * see a half-written file, and a failed write leaves no partial or temporary file.
 */
struct outfile;

/* Opens DIR/.NAME.tmp-PID for writing (O_CLOEXEC). Returns 0 or -errno. */
int outfile_open(const char *dir, const char *name, struct outfile **ret);
/* The stdio stream to write to. */
FILE *outfile_stream(struct outfile *o);
/*
 * Closes the stream; when e >= 0 and every write succeeded, renames the file to DIR/NAME,
 * else removes it. Frees o (NULL is fine). Returns e when e < 0, else 0 or -errno.
 */
int outfile_close(struct outfile *o, int e);
#endif
