// SPDX-License-Identifier: MIT
/* An output file written under a temporary name and renamed into place when complete. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "plots/outfile.h"

struct outfile {
	FILE *f;
	char *tmp, *path;
};

int outfile_open(const char *dir, const char *name, struct outfile **ret)
{
	struct outfile *o = calloc(1, sizeof(*o));
	int e = 0;

	if (!o)
		return -ENOMEM;
	if (asprintf(&o->tmp, "%s/.%s.tmp-%ld", dir, name, (long)getpid()) < 0) {
		o->tmp = NULL;
		e = -ENOMEM;
		goto out;
	}
	if (asprintf(&o->path, "%s/%s", dir, name) < 0) {
		o->path = NULL;
		e = -ENOMEM;
		goto out;
	}
	o->f = fopen(o->tmp, "we");
	if (!o->f) {
		e = -errno;
		goto out;
	}
	*ret = o;
	o = NULL;
out:
	if (o) {
		free(o->tmp);
		free(o->path);
		free(o);
	}
	return e;
}

FILE *outfile_stream(struct outfile *o)
{
	return o->f;
}

int outfile_close(struct outfile *o, int e)
{
	if (!o)
		return e;
	if (ferror(o->f) && e >= 0)
		e = -EIO;
	if (fclose(o->f) != 0 && e >= 0)
		e = -errno;
	if (e >= 0 && rename(o->tmp, o->path) < 0)
		e = -errno;
	if (e < 0)
		unlink(o->tmp);
	free(o->tmp);
	free(o->path);
	free(o);
	return e < 0 ? e : 0;
}
