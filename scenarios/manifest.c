// SPDX-License-Identifier: MIT
/* The run manifest. Everything in it that a scenario names (model, dataset) is hashed here
 * with nettle and listed with fts(3): those strings come from files people share, and no
 * such string may reach a shell. */
#include <errno.h>
#include <fcntl.h>
#include <fts.h>
#include <limits.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <unistd.h>

#include <nettle/sha2.h>

#include "emu/kernel.h"
#include "version.h"
#include "models/locate.h"
#include "scenarios/manifest.h"

#define OUTPUT_MAX (64 * 1024) /* bytes kept of a program's output */

extern char **environ;

static void hex(const uint8_t *d, char out[MANIFEST_HEX_LEN + 1])
{
	for (int i = 0; i < SHA256_DIGEST_SIZE; i++)
		snprintf(out + 2 * i, 3, "%02x", d[i]);
}

/* Feeds one regular file to ctx. O_NONBLOCK: opening a FIFO must not wait for a writer. */
static int hash_file(struct sha256_ctx *ctx, const char *path)
{
	uint8_t buf[65536];
	struct stat st;
	ssize_t n;
	int fd, r = 0;

	fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
	if (fd < 0)
		return -errno;
	if (fstat(fd, &st) < 0) {
		r = -errno;
		goto out;
	}
	if (!S_ISREG(st.st_mode)) {
		r = -EINVAL;
		goto out;
	}
	while ((n = read(fd, buf, sizeof(buf))) > 0)
		sha256_update(ctx, (size_t)n, buf);
	if (n < 0)
		r = -errno;
out:
	close(fd);
	return r;
}

int manifest_hash_files(const char *const *paths, size_t n, char ret_hex[MANIFEST_HEX_LEN + 1])
{
	struct sha256_ctx ctx;
	uint8_t d[SHA256_DIGEST_SIZE];
	int r;

	sha256_init(&ctx);
	for (size_t i = 0; i < n; i++) {
		r = hash_file(&ctx, paths[i]);
		if (r < 0)
			return r;
	}
	sha256_digest(&ctx, sizeof(d), d);
	hex(d, ret_hex);
	return 0;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* "./sub/file" of every regular file below dir, malloc'ed, unsorted. */
static int list_files(const char *dir, char ***ret, size_t *ret_n)
{
	char *const roots[] = { (char *)dir, NULL };
	char **list = NULL;
	size_t n = 0, cap = 0, skip = strlen(dir);
	FTSENT *e;
	FTS *fts;
	int r = 0;

	/* fts, not nftw: nftw's callback has no context pointer, so collecting the names would
	 * need a mutable global */
	fts = fts_open(roots, FTS_PHYSICAL | FTS_NOCHDIR, NULL);
	if (!fts)
		return -errno;
	while ((e = fts_read(fts))) {
		char *s;

		if (e->fts_info == FTS_DNR || e->fts_info == FTS_ERR || e->fts_info == FTS_NS) {
			r = -(e->fts_errno ? e->fts_errno : EIO);
			goto out;
		}
		if (e->fts_info != FTS_F || !S_ISREG(e->fts_statp->st_mode))
			continue;
		if (n == cap) {
			char **l = realloc(list, (cap = cap ? 2 * cap : 256) * sizeof(*l));

			if (!l) {
				r = -ENOMEM;
				goto out;
			}
			list = l;
		}
		if (asprintf(&s, ".%s", e->fts_path + skip) < 0) {
			r = -ENOMEM;
			goto out;
		}
		list[n++] = s;
	}
	if (errno) { /* fts_read's NULL at the end sets errno to 0 */
		r = -errno;
		goto out;
	}
	*ret = list;
	*ret_n = n;
	list = NULL;
	n = 0;
out:
	for (size_t i = 0; i < n; i++)
		free(list[i]);
	free(list);
	fts_close(fts);
	return r;
}

int manifest_hash_tree(const char *dir, char ret_hex[MANIFEST_HEX_LEN + 1])
{
	struct sha256_ctx all;
	uint8_t d[SHA256_DIGEST_SIZE];
	char **files = NULL, file_hex[MANIFEST_HEX_LEN + 1];
	size_t n = 0, dlen = strlen(dir);
	int r;

	while (dlen > 1 && dir[dlen - 1] == '/')
		dlen--;
	r = list_files(dir, &files, &n);
	if (r < 0)
		return r;
	qsort(files, n, sizeof(*files), cmp_str);
	sha256_init(&all);
	for (size_t i = 0; i < n && r == 0; i++) {
		char *path = NULL;
		const char *one[1];

		if (asprintf(&path, "%.*s/%s", (int)dlen, dir, files[i] + 2) < 0) {
			r = -ENOMEM;
			break;
		}
		one[0] = path;
		r = manifest_hash_files(one, 1, file_hex);
		free(path);
		if (r < 0)
			break;
		/* sha256sum's line: "HEX  NAME\n" */
		sha256_update(&all, MANIFEST_HEX_LEN, (const uint8_t *)file_hex);
		sha256_update(&all, 2, (const uint8_t *)"  ");
		sha256_update(&all, strlen(files[i]), (const uint8_t *)files[i]);
		sha256_update(&all, 1, (const uint8_t *)"\n");
	}
	if (r == 0) {
		sha256_digest(&all, sizeof(d), d);
		hex(d, ret_hex);
	}
	for (size_t i = 0; i < n; i++)
		free(files[i]);
	free(files);
	return r;
}

int manifest_path_below(const char *path, const char *root)
{
	size_t n;

	if (!root)
		return 0;
	n = strlen(root);
	while (n > 1 && root[n - 1] == '/')
		n--;
	return !strncmp(path, root, n) && (path[n] == '/' || path[n] == '\0' || n == 1);
}

/*
 * Output of a program run with an argument vector (no shell), stderr discarded; at most
 * OUTPUT_MAX bytes are kept, *ret_lines counts every line. NULL when it could not run or
 * exited non-zero.
 */
static char *run_output(char *const argv[], size_t *ret_lines)
{
	posix_spawn_file_actions_t fa;
	char *buf = NULL;
	size_t len = 0, lines = 0;
	pid_t pid;
	int pfd[2], status, ok = 0;

	if (pipe2(pfd, O_CLOEXEC) < 0)
		return NULL;
	buf = malloc(OUTPUT_MAX + 1);
	if (!buf || posix_spawn_file_actions_init(&fa) != 0)
		goto out;
	posix_spawn_file_actions_adddup2(&fa, pfd[1], 1);
	posix_spawn_file_actions_addopen(&fa, 2, "/dev/null", O_WRONLY, 0);
	if (posix_spawnp(&pid, argv[0], &fa, NULL, argv, environ) != 0) {
		posix_spawn_file_actions_destroy(&fa);
		goto out;
	}
	posix_spawn_file_actions_destroy(&fa);
	close(pfd[1]);
	pfd[1] = -1;
	for (;;) {
		char tmp[4096];
		ssize_t n = read(pfd[0], tmp, sizeof(tmp));

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		for (ssize_t i = 0; i < n; i++)
			lines += tmp[i] == '\n';
		if (len < OUTPUT_MAX) {
			size_t k = (size_t)n < OUTPUT_MAX - len ? (size_t)n : OUTPUT_MAX - len;

			memcpy(buf + len, tmp, k);
			len += k;
		}
	}
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	ok = WIFEXITED(status) && WEXITSTATUS(status) == 0;
out:
	close(pfd[0]);
	if (pfd[1] >= 0)
		close(pfd[1]);
	if (!ok) {
		free(buf);
		return NULL;
	}
	buf[len] = '\0';
	if (ret_lines)
		*ret_lines = lines;
	return buf;
}

static json_t *first_line(char *const argv[])
{
	char *out = run_output(argv, NULL);
	json_t *j;

	if (!out)
		return json_null();
	out[strcspn(out, "\n")] = '\0';
	j = *out ? json_string(out) : json_null();
	free(out);
	return j ? j : json_null();
}

/* The value after "key:" on the first line of a /proc file that starts with key. */
static json_t *proc_field(const char *path, const char *key)
{
	char line[512];
	json_t *j = json_null();
	FILE *f = fopen(path, "re");

	if (!f)
		return j;
	while (fgets(line, sizeof(line), f)) {
		char *v;

		if (strncmp(line, key, strlen(key)) || !(v = strchr(line, ':')))
			continue;
		for (v++; *v == ' ' || *v == '\t'; v++)
			;
		v[strcspn(v, "\n")] = '\0';
		json_decref(j);
		j = json_string(v);
		break;
	}
	fclose(f);
	return j ? j : json_null();
}

static json_t *packages(void)
{
	static char *const argv[] = {
		"dpkg-query", "-W", "-f=${Package} ${Version}\\n", "darknet", "libnl-route-3-200",
		"libpcap0.8", "libturbojpeg0", "libyaml-0-2", "libmicrohttpd12", "libgsl27",
		"libjansson4", "libcurl4", "libnettle8", "gnuplot-nox", "user-mode-linux", "iproute2",
		NULL
	};
	json_t *pk = json_object();
	char *out = run_output(argv, NULL), *save = NULL;

	/* dpkg-query exits 1 when one package is missing: the others are still worth listing */
	if (!out)
		return pk;
	for (char *l = strtok_r(out, "\n", &save); l; l = strtok_r(NULL, "\n", &save)) {
		char *sp = strchr(l, ' ');

		if (sp) {
			*sp = '\0';
			json_object_set_new(pk, l, json_string(sp + 1));
		}
	}
	free(out);
	return pk;
}

static void git_facts(json_t *m, const char *srcdir)
{
	char *const head[] = { "git", "-C", (char *)srcdir, "rev-parse", "HEAD", NULL };
	char *const status[] = { "git", "-C", (char *)srcdir, "status", "--porcelain",
				 "--untracked-files=no", NULL };
	size_t lines = 0;
	char *out;

	json_object_set_new(m, "git_commit", first_line(head));
	out = run_output(status, &lines);
	json_object_set_new(m, "git_modified_files", out ? json_integer((json_int_t)lines) : json_null());
	free(out);
}

/* The directories a model or dataset may come from without being remarked on. */
static int inside_tree(const char *path, const char *scenario_dir)
{
	char *models = NULL, *dataset = NULL, *shared = NULL;
	int in;

	locate_models_dir(&models, NULL);
	locate_dataset_dir(&dataset, NULL);
	if (dataset) {
		/* the default dataset's parent: every dataset beside it */
		shared = realpath(dataset, NULL);
		if (shared && strrchr(shared, '/') && strrchr(shared, '/') != shared)
			*strrchr(shared, '/') = '\0';
	}
	in = manifest_path_below(path, scenario_dir) || manifest_path_below(path, shared);
	if (!in && models) {
		char *real = realpath(models, NULL);

		in = manifest_path_below(path, real);
		free(real);
	}
	free(models);
	free(dataset);
	free(shared);
	return in;
}

static json_t *hash_json(int r, const char *hex_or_null)
{
	return r == 0 ? json_string(hex_or_null) : json_null();
}

int manifest_new(const struct scenario *sc, const char *self, json_t **ret, int *ret_outside)
{
	char kernel[128], srcdir[PATH_MAX], hexs[MANIFEST_HEX_LEN + 1], *cfg = NULL, *weights = NULL;
	char *scdir = NULL, *scpath;
	struct utsname u;
	json_t *m = json_object(), *machine;
	int outside = 0, r;

	if (!m)
		return -ENOMEM;
	kernel_describe(kernel, sizeof(kernel));
	uname(&u);
	snprintf(srcdir, sizeof(srcdir), "%s", self);
	for (int i = 0; i < 2; i++) { /* build/qoslab -> the checkout */
		char *slash = strrchr(srcdir, '/');

		if (slash)
			*slash = '\0';
	}
	/* the same facts as `qoslab version --json`: release, commit, library versions */
	json_object_set_new(m, "qoslab", version_json());
	json_object_set_new(m, "kernel", json_string(kernel));
	json_object_set_new(m, "uml", json_boolean(uml_inside()));
	/* whether a repeat of this run with the same seeds loses the same packets */
	json_object_set_new(m, "netem_seed_reproducible", json_boolean(kernel_netem_seed_honoured() == 1));
	machine = json_pack("{s:s, s:s, s:s, s:I}", "hostname", u.nodename, "release", u.release,
			    "arch", u.machine, "cpus", (json_int_t)sysconf(_SC_NPROCESSORS_ONLN));
	if (machine) {
		json_object_set_new(machine, "cpu_model", proc_field("/proc/cpuinfo", "model name"));
		json_object_set_new(machine, "memory", proc_field("/proc/meminfo", "MemTotal"));
	}
	json_object_set_new(m, "machine", machine ? machine : json_null());
	git_facts(m, srcdir);
	json_object_set_new(m, "packages", packages());

	scpath = realpath(sc->path, NULL);
	if (scpath && strrchr(scpath, '/')) {
		*strrchr(scpath, '/') = '\0';
		scdir = scpath;
	} else {
		free(scpath);
	}
	/* without the pipeline no model or dataset is used: none is named */
	if (!sc->pipeline) {
		json_object_set_new(m, "model", json_null());
		json_object_set_new(m, "dataset", json_null());
	} else {
		if (asprintf(&cfg, "%s.cfg", sc->model_prefix) < 0 ||
		    asprintf(&weights, "%s.weights", sc->model_prefix) < 0) {
			r = -ENOMEM;
			goto out;
		}
		r = manifest_hash_files((const char *const[]){ cfg, weights }, 2, hexs);
		if (!inside_tree(sc->model_prefix, scdir))
			outside |= 1;
		json_object_set_new(m, "model", json_pack("{s:s, s:o, s:b}", "prefix", sc->model_prefix,
							  "sha256", hash_json(r, hexs),
							  "outside_tree", outside & 1));
		r = manifest_hash_tree(sc->workload.dataset_dir, hexs);
		if (!inside_tree(sc->workload.dataset_dir, scdir))
			outside |= 2;
		json_object_set_new(m, "dataset", json_pack("{s:s, s:o, s:b}", "dir", sc->workload.dataset_dir,
							    "sha256", hash_json(r, hexs),
							    "outside_tree", (outside & 2) != 0));
	}
	*ret = m;
	m = NULL;
	*ret_outside = outside;
	r = 0;
out:
	json_decref(m);
	free(cfg);
	free(weights);
	free(scdir);
	return r;
}
