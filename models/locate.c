// SPDX-License-Identifier: MIT
/* Search order for the shared models and datasets (environment, next to the binary, cwd) and
 * for qoslab's own helper files (build tree, then the installed layout). */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "models/locate.h"

static int is_dir(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

static int is_file(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0 && S_ISREG(st.st_mode);
}

/* Appends path to the comma-separated list *tried. */
static int tried_add(char **tried, const char *path)
{
	char *s = NULL;

	if (asprintf(&s, "%s%s%s", *tried ? *tried : "", *tried ? ", " : "", path) < 0)
		return -ENOMEM;
	free(*tried);
	*tried = s;
	return 0;
}

/* The directory of /proc/self/exe into buf. 0 or -errno. */
static int exe_dir(char *buf, size_t len)
{
	ssize_t n = readlink("/proc/self/exe", buf, len - 1);
	char *slash;

	if (n < 0)
		return -errno;
	buf[n] = '\0';
	slash = strrchr(buf, '/');
	if (slash)
		*slash = '\0';
	return 0;
}

/* Tries env (used as is), then the two shared/<sub> candidates. */
static int locate_dir(const char *env, const char *sub, char **ret_dir, char **ret_tried)
{
	char exe[PATH_MAX], *cand[3] = { NULL, NULL, NULL }, *tried = NULL;
	const char *v = getenv(env);
	int r = -ENOENT;

	if (v && *v)
		cand[0] = strdup(v);
	if (exe_dir(exe, sizeof(exe)) == 0 &&
	    asprintf(&cand[1], "%s/../../shared/%s", exe, sub) < 0)
		cand[1] = NULL;
	if (asprintf(&cand[2], "../shared/%s", sub) < 0)
		cand[2] = NULL;
	for (int i = 0; i < 3; i++) {
		char *real;

		if (!cand[i])
			continue;
		if (!is_dir(cand[i])) {
			if (tried_add(&tried, cand[i]) < 0) {
				r = -ENOMEM;
				goto out;
			}
			continue;
		}
		real = realpath(cand[i], NULL);
		if (!real) {
			r = -ENOMEM;
			goto out;
		}
		*ret_dir = real;
		r = 0;
		goto out;
	}
	if (ret_tried) {
		*ret_tried = tried;
		tried = NULL;
	}
out:
	for (int i = 0; i < 3; i++)
		free(cand[i]);
	free(tried);
	return r;
}

int locate_models_dir(char **ret_dir, char **ret_tried)
{
	return locate_dir("QOSLAB_MODELS", "models", ret_dir, ret_tried);
}

int locate_default_model(char **ret_prefix, char **ret_tried)
{
	char *dir = NULL, *prefix = NULL, *cfg = NULL;
	int r;

	r = locate_models_dir(&dir, ret_tried);
	if (r < 0)
		return r;
	if (asprintf(&prefix, "%s/%s", dir, LOCATE_DEFAULT_MODEL) < 0 ||
	    asprintf(&cfg, "%s.cfg", prefix) < 0) {
		r = -ENOMEM;
		goto out;
	}
	if (!is_file(cfg)) {
		r = -ENOENT;
		if (ret_tried)
			*ret_tried = strdup(cfg);
		goto out;
	}
	*ret_prefix = prefix;
	prefix = NULL;
out:
	free(cfg);
	free(prefix);
	free(dir);
	return r;
}

int locate_dataset_dir(char **ret_dir, char **ret_tried)
{
	return locate_dir("QOSLAB_DATASET", "datasets/" LOCATE_DEFAULT_DATASET, ret_dir, ret_tried);
}

int locate_helper(const char *name, char **ret_path)
{
	static const char *const fmt[] = { "%s/%s", "%s/../%s", "%s/" LOCATE_HELPER_DIR "/%s" };
	char exe[PATH_MAX], path[2 * PATH_MAX];
	struct stat st;
	int r;

	r = exe_dir(exe, sizeof(exe));
	if (r < 0)
		return r;
	for (size_t i = 0; i < sizeof(fmt) / sizeof(fmt[0]); i++) {
		snprintf(path, sizeof(path), fmt[i], exe, name);
		if (stat(path, &st) == 0) {
			*ret_path = realpath(path, NULL);
			return *ret_path ? 0 : -errno;
		}
	}
	return -ENOENT;
}
