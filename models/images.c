// SPDX-License-Identifier: MIT
/* The images of a dataset directory: one listing rule for client, detect and scenarios. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include "models/images.h"

int images_name_ok(const char *name)
{
	const char *dot = strrchr(name, '.');

	return name[0] != '.' && dot && (!strcasecmp(dot, ".jpg") || !strcasecmp(dot, ".jpeg"));
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

void images_free(char **paths, size_t n)
{
	if (!paths)
		return;
	for (size_t i = 0; i < n; i++)
		free(paths[i]);
	free(paths);
}

/* d_type says it for most file systems; others (and symbolic links) need a stat. */
static int regular(DIR *d, const struct dirent *e)
{
	struct stat st;

	if (e->d_type == DT_REG)
		return 1;
	if (e->d_type != DT_UNKNOWN && e->d_type != DT_LNK)
		return 0;
	return fstatat(dirfd(d), e->d_name, &st, 0) == 0 && S_ISREG(st.st_mode);
}

int images_list(const char *dir, char ***ret_paths, size_t *ret_n)
{
	char *sub = NULL, **paths = NULL;
	const char *base = dir;
	struct stat st;
	struct dirent *e;
	size_t n = 0, cap = 0;
	DIR *d = NULL;
	int r = 0;

	if (asprintf(&sub, "%s/images", dir) < 0)
		return -ENOMEM;
	if (stat(sub, &st) == 0 && S_ISDIR(st.st_mode))
		base = sub;
	d = opendir(base);
	if (!d) {
		r = -errno;
		goto out;
	}
	while ((e = readdir(d))) {
		if (!images_name_ok(e->d_name) || !regular(d, e))
			continue;
		if (n == cap) {
			char **np = realloc(paths, (cap = cap ? 2 * cap : 64) * sizeof(*np));

			if (!np) {
				r = -ENOMEM;
				goto out;
			}
			paths = np;
		}
		if (asprintf(&paths[n], "%s/%s", base, e->d_name) < 0) {
			r = -ENOMEM;
			goto out;
		}
		n++;
	}
	if (n)
		qsort(paths, n, sizeof(*paths), cmp_str);
	*ret_paths = paths;
	*ret_n = n;
	paths = NULL;
out:
	images_free(paths, n);
	if (d)
		closedir(d);
	free(sub);
	return r;
}
