// SPDX-License-Identifier: MIT
/* The run manifest: hashes equal sha256sum's, a scenario's model path never reaches a shell,
 * FIFOs are not read, and a dataset outside the tree is flagged. */
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "scenarios/manifest.h"
#include "scenarios/scenario.h"
#include "tests/t.h"

static int rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st; (void)flag; (void)ftw;
	return remove(path);
}

static void rm_tree(const char *dir)
{
	nftw(dir, rm_entry, 8, FTW_DEPTH | FTW_PHYS);
}

static int put(const char *dir, const char *name, const char *text)
{
	char path[PATH_MAX];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "we");
	if (!f)
		return -errno;
	fputs(text, f);
	return fclose(f) ? -errno : 0;
}

static void hash_files_is_sha256(struct t *t)
{
	char dir[] = "/tmp/qoslab-manifest.XXXXXX", a[64], b[64], hex[MANIFEST_HEX_LEN + 1];

	T_ASSERT(t, mkdtemp(dir));
	snprintf(a, sizeof(a), "%s/a", dir);
	snprintf(b, sizeof(b), "%s/b", dir);
	T_ASSERT(t, put(dir, "a", "a") == 0 && put(dir, "b", "bc") == 0);
	T_ASSERT(t, manifest_hash_files((const char *const[]){ a, b }, 2, hex) == 0);
	/* sha256("abc"), FIPS 180-2's example */
	T_ASSERTF(t, !strcmp(hex, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"),
		  "got %s", hex);
	rm_tree(dir);
}

/* The same value the earlier `find | sort | xargs sha256sum | sha256sum` gave (pinned). */
static void hash_tree_matches_sha256sum(struct t *t)
{
	char dir[] = "/tmp/qoslab-manifest.XXXXXX", sub[64], fifo[64], hex[MANIFEST_HEX_LEN + 1];
	time_t t0;

	T_ASSERT(t, mkdtemp(dir));
	snprintf(sub, sizeof(sub), "%s/images", dir);
	T_ASSERT(t, mkdir(sub, 0755) == 0);
	T_ASSERT(t, put(dir, "images/B.jpg", "two") == 0 && put(dir, "images/a.jpg", "one") == 0 &&
		    put(dir, "z.txt", "three\n") == 0);
	/* a FIFO is no regular file: not listed and, above all, not opened for a blocking read */
	snprintf(fifo, sizeof(fifo), "%s/images/pipe.jpg", dir);
	T_ASSERT(t, mkfifo(fifo, 0644) == 0);
	t0 = time(NULL);
	T_ASSERT(t, manifest_hash_tree(dir, hex) == 0);
	T_ASSERT(t, time(NULL) - t0 < 2);
	{
		char cmd[256], want[MANIFEST_HEX_LEN + 2] = "";
		FILE *p;

		/* the reference: the pipeline the manifest used before (a constant test path) */
		snprintf(cmd, sizeof(cmd), "cd %s && find . -type f | LC_ALL=C sort | "
			 "xargs sha256sum | sha256sum | cut -c1-64", dir);
		p = popen(cmd, "r");
		T_ASSERT(t, p && fgets(want, sizeof(want), p));
		pclose(p);
		want[strcspn(want, "\n")] = 0;
		T_ASSERTF(t, !strcmp(hex, want), "got %s, sha256sum says %s", hex, want);
	}
	rm_tree(dir);
}

/* A model named ./m';touch PWNED;' (cfg and weights beside it): hashed, nothing executed. */
static void model_name_reaches_no_shell(struct t *t)
{
	char dir[] = "/tmp/qoslab-manifest.XXXXXX", path[PATH_MAX], text[512], self[PATH_MAX];
	char cwd[PATH_MAX], hex[MANIFEST_HEX_LEN + 1], cfg[PATH_MAX], w[PATH_MAX];
	char err[SCENARIO_ERR_MAX];
	struct scenario *sc = NULL;
	json_t *m = NULL;
	const char *got;
	ssize_t n;
	int outside = -1;

	T_ASSERT(t, getcwd(cwd, sizeof(cwd)));
	n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	T_ASSERT(t, n > 0);
	self[n] = 0;
	T_ASSERT(t, mkdtemp(dir));
	T_ASSERT(t, put(dir, "m';touch PWNED;'.cfg", "[net]\n") == 0);
	T_ASSERT(t, put(dir, "m';touch PWNED;'.weights", "w") == 0);
	snprintf(text, sizeof(text), "name: inject\nmodel: \"./m';touch PWNED;'\"\n");
	T_ASSERT(t, put(dir, "s.yaml", text) == 0);
	snprintf(path, sizeof(path), "%s/s.yaml", dir);
	T_ASSERTF(t, scenario_load(path, &sc, err, sizeof(err)) == 0, "%s", err);
	T_ASSERT(t, chdir(dir) == 0);
	T_ASSERT(t, manifest_new(sc, self, &m, &outside) == 0);
	T_ASSERT(t, chdir(cwd) == 0);
	snprintf(path, sizeof(path), "%s/PWNED", dir);
	T_ASSERTF(t, access(path, F_OK) < 0 && access("PWNED", F_OK) < 0, "the model path ran a command");
	snprintf(cfg, sizeof(cfg), "%s.cfg", sc->model_prefix);
	snprintf(w, sizeof(w), "%s.weights", sc->model_prefix);
	T_ASSERT(t, manifest_hash_files((const char *const[]){ cfg, w }, 2, hex) == 0);
	got = json_string_value(json_object_get(json_object_get(m, "model"), "sha256"));
	T_ASSERTF(t, got && !strcmp(got, hex), "model sha256 %s, expected %s", got ? got : "null", hex);
	T_ASSERT(t, json_is_false(json_object_get(json_object_get(m, "model"), "outside_tree")));
	T_ASSERT(t, !(outside & 1));
	T_ASSERT(t, json_is_string(json_object_get(json_object_get(m, "dataset"), "sha256")));
	json_decref(m);
	scenario_free(sc);
	rm_tree(dir);
}

/* A dataset given as a path outside the scenario's directory and the shared data is named. */
static void dataset_outside_tree_flagged(struct t *t)
{
	char sdir[] = "/tmp/qoslab-manifest.XXXXXX", ddir[] = "/tmp/qoslab-dataset.XXXXXX";
	char path[PATH_MAX], text[512], err[SCENARIO_ERR_MAX];
	struct scenario *sc = NULL;
	json_t *m = NULL;
	int outside = 0;

	T_ASSERT(t, mkdtemp(sdir) && mkdtemp(ddir));
	T_ASSERT(t, put(ddir, "x.jpg", "not really") == 0);
	snprintf(text, sizeof(text), "name: far\nworkload: {dataset: \"%s\"}\n", ddir);
	T_ASSERT(t, put(sdir, "s.yaml", text) == 0);
	snprintf(path, sizeof(path), "%s/s.yaml", sdir);
	T_ASSERTF(t, scenario_load(path, &sc, err, sizeof(err)) == 0, "%s", err);
	T_ASSERT(t, manifest_new(sc, "/nonexistent/build/qoslab", &m, &outside) == 0);
	T_ASSERT(t, outside & 2);
	T_ASSERT(t, json_is_true(json_object_get(json_object_get(m, "dataset"), "outside_tree")));
	json_decref(m);
	scenario_free(sc);
	rm_tree(sdir);
	rm_tree(ddir);
}

static void path_below(struct t *t)
{
	T_ASSERT(t, manifest_path_below("/a/b/c", "/a/b"));
	T_ASSERT(t, manifest_path_below("/a/b", "/a/b/"));
	T_ASSERT(t, !manifest_path_below("/a/bc", "/a/b"));
	T_ASSERT(t, !manifest_path_below("/a", "/a/b"));
	T_ASSERT(t, !manifest_path_below("/a", NULL));
}

int main(int argc, char **argv)
{
	static const struct t_case cases[] = {
		T_CASE(hash_files_is_sha256),
		T_CASE(hash_tree_matches_sha256sum),
		T_CASE(model_name_reaches_no_shell),
		T_CASE(dataset_outside_tree_flagged),
		T_CASE(path_below),
		{ 0 }
	};

	return t_main(cases, argc, argv);
}
