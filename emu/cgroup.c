// SPDX-License-Identifier: MIT
/* Control groups for nodes. v2 where its root offers cpu (UML, modern hosts); else the
 * v1 cpu, cpuacct and freezer hierarchies (this machine mounts v1 only). */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "emu/cgroup.h"
#include "regfile.h"

#define ROOT "/sys/fs/cgroup"

enum hier { H_CPU, H_ACCT, H_FREEZER, H_MAX };

struct cgroup {
	enum cgroup_version ver;
	char dir[H_MAX][320];
};

/* A kernel file's text into buf (cut at len - 1 bytes: only its start is parsed). */
static int kernel_text(const char *path, char *buf, size_t len)
{
	char *text = NULL;
	size_t n;
	int r = regfile_read(path, 65536, &text, &n);

	if (r < 0)
		return r;
	snprintf(buf, len, "%s", text);
	free(text);
	return (int)(n < len ? n : len - 1);
}

static int write_file(const char *path, const char *s)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC);
	ssize_t len = (ssize_t)strlen(s), n;

	if (fd < 0)
		return -errno;
	n = write(fd, s, (size_t)len);
	if (n < 0)
		n = -errno;
	close(fd);
	return n < 0 ? (int)n : (n == len ? 0 : -EIO);
}

static int write_at(const char *dir, const char *file, const char *s)
{
	char path[512];

	snprintf(path, sizeof(path), "%s/%s", dir, file);
	return write_file(path, s);
}

enum cgroup_version cgroup_detect(void)
{
	char buf[512];
	struct stat st;

	if (kernel_text(ROOT "/cgroup.controllers", buf, sizeof(buf)) >= 0 && strstr(buf, "cpu"))
		return CGROUP_V2;
	if (stat(ROOT "/cpu/cpu.cfs_quota_us", &st) == 0)
		return CGROUP_V1;
	return CGROUP_NONE;
}

/* v1 roots; cpu and cpuacct may be one co-mounted hierarchy. */
static const char *v1_root(enum hier h)
{
	static const char *const roots[H_MAX] = {
		ROOT "/cpu", ROOT "/cpuacct", ROOT "/freezer",
	};
	return roots[h];
}

static int mkdir_p1(const char *path)
{
	return mkdir(path, 0755) < 0 && errno != EEXIST ? -errno : 0;
}

int cgroup_new(const char *run, const char *node, struct cgroup **ret)
{
	struct cgroup *cg = calloc(1, sizeof(*cg));
	char rundir[256];
	int r = 0;

	if (!cg)
		return -ENOMEM;
	cg->ver = cgroup_detect();
	if (cg->ver == CGROUP_NONE) {
		r = -ENOTSUP;
		goto fail;
	}
	for (int h = 0; h < H_MAX; h++) {
		const char *root = cg->ver == CGROUP_V2 ? ROOT : v1_root((enum hier)h);

		snprintf(rundir, sizeof(rundir), "%s/%s", root, run);
		snprintf(cg->dir[h], sizeof(cg->dir[h]), "%s/%s", rundir, node);
		if (h > 0 && !strcmp(cg->dir[h], cg->dir[h - 1]))
			continue;
		if ((r = mkdir_p1(rundir)) < 0)
			goto fail;
		if (cg->ver == CGROUP_V2) {
			/* delegate cpu down to the node groups; the root may already do so */
			write_at(ROOT, "cgroup.subtree_control", "+cpu");
			write_at(rundir, "cgroup.subtree_control", "+cpu");
		}
		if ((r = mkdir_p1(cg->dir[h])) < 0)
			goto fail;
	}
	*ret = cg;
	return 0;
fail:
	cgroup_free(cg);
	return r;
}

int cgroup_set_cpu(struct cgroup *cg, double cpus)
{
	char buf[64];
	long period = 100000, quota = cpus > 0 ? (long)(cpus * period + 0.5) : -1;

	if (cpus > 0 && quota < 1000)
		return -EINVAL; /* the kernel refuses quotas under 1 ms */
	if (cg->ver == CGROUP_V2) {
		if (quota < 0)
			snprintf(buf, sizeof(buf), "max %ld", period);
		else
			snprintf(buf, sizeof(buf), "%ld %ld", quota, period);
		return write_at(cg->dir[H_CPU], "cpu.max", buf);
	}
	snprintf(buf, sizeof(buf), "%ld", period);
	int r = write_at(cg->dir[H_CPU], "cpu.cfs_period_us", buf);

	if (r < 0)
		return r;
	snprintf(buf, sizeof(buf), "%ld", quota);
	return write_at(cg->dir[H_CPU], "cpu.cfs_quota_us", buf);
}

int cgroup_attach(struct cgroup *cg, pid_t pid)
{
	char buf[32];
	int r;

	snprintf(buf, sizeof(buf), "%d", (int)pid);
	for (int h = 0; h < H_MAX; h++) {
		if (h > 0 && !strcmp(cg->dir[h], cg->dir[h - 1]))
			continue;
		r = write_at(cg->dir[h], "cgroup.procs", buf);
		if (r < 0)
			return r;
	}
	return 0;
}

int cgroup_detach(struct cgroup *cg, pid_t pid)
{
	char buf[32];
	int r;

	snprintf(buf, sizeof(buf), "%d", (int)pid);
	for (int h = 0; h < H_MAX; h++) {
		if (h > 0 && !strcmp(cg->dir[h], cg->dir[h - 1]))
			continue;
		/* the root: v2 allows no process in a group whose children have controllers */
		r = write_at(cg->ver == CGROUP_V2 ? ROOT : v1_root((enum hier)h), "cgroup.procs", buf);
		if (r < 0)
			return r;
	}
	return 0;
}

int cgroup_freeze(struct cgroup *cg, int frozen)
{
	if (cg->ver == CGROUP_V2)
		return write_at(cg->dir[H_FREEZER], "cgroup.freeze", frozen ? "1" : "0");
	return write_at(cg->dir[H_FREEZER], "freezer.state", frozen ? "FROZEN" : "THAWED");
}

int cgroup_cpu_usage_ns(struct cgroup *cg, uint64_t *ret)
{
	char path[512], buf[1024], *p;
	int r;

	if (cg->ver == CGROUP_V2) {
		snprintf(path, sizeof(path), "%s/cpu.stat", cg->dir[H_CPU]);
		if ((r = kernel_text(path, buf, sizeof(buf))) < 0)
			return r;
		p = strstr(buf, "usage_usec ");
		if (!p)
			return -EIO;
		*ret = strtoull(p + 11, NULL, 10) * 1000;
		return 0;
	}
	snprintf(path, sizeof(path), "%s/cpuacct.usage", cg->dir[H_ACCT]);
	if ((r = kernel_text(path, buf, sizeof(buf))) < 0)
		return r;
	*ret = strtoull(buf, NULL, 10);
	return 0;
}

static int pids_of(const char *dir, pid_t **ret, size_t *ret_n)
{
	char path[512];
	pid_t *pids = NULL;
	size_t n = 0, cap = 0;
	FILE *f;
	int pid;

	snprintf(path, sizeof(path), "%s/cgroup.procs", dir);
	f = fopen(path, "re");
	if (!f)
		return -errno;
	while (fscanf(f, "%d", &pid) == 1) {
		if (n == cap) {
			pid_t *np = realloc(pids, (cap = cap ? cap * 2 : 16) * sizeof(*pids));

			if (!np) {
				free(pids);
				fclose(f);
				return -ENOMEM;
			}
			pids = np;
		}
		pids[n++] = pid;
	}
	fclose(f);
	*ret = pids;
	*ret_n = n;
	return 0;
}

int cgroup_pids(struct cgroup *cg, pid_t **ret, size_t *ret_n)
{
	return pids_of(cg->dir[H_CPU], ret, ret_n);
}

int cgroup_rss_bytes(struct cgroup *cg, uint64_t *ret)
{
	long page = sysconf(_SC_PAGESIZE);
	pid_t *pids;
	size_t n;
	uint64_t sum = 0;
	int r = cgroup_pids(cg, &pids, &n);

	if (r < 0)
		return r;
	for (size_t i = 0; i < n; i++) {
		char path[64], buf[128];
		unsigned long size, rss;

		snprintf(path, sizeof(path), "/proc/%d/statm", (int)pids[i]);
		if (kernel_text(path, buf, sizeof(buf)) > 0 && sscanf(buf, "%lu %lu", &size, &rss) == 2)
			sum += (uint64_t)rss * (uint64_t)page;
	}
	free(pids);
	*ret = sum;
	return 0;
}

static int kill_dir(const char *dir, const char *freezer_dir, enum cgroup_version ver, int wait)
{
	struct timespec pause = { 0, 10 * 1000 * 1000 };
	int r = 0;

	for (int round = 0; round < 200; round++) {
		pid_t *pids;
		size_t n;

		r = pids_of(dir, &pids, &n);
		if (r < 0)
			return r == -ENOENT ? 0 : r;
		for (size_t i = 0; i < n; i++)
			kill(pids[i], SIGKILL);
		free(pids);
		/* v1 frozen tasks die only once thawed */
		if (freezer_dir)
			write_at(freezer_dir, ver == CGROUP_V2 ? "cgroup.freeze" : "freezer.state",
				 ver == CGROUP_V2 ? "0" : "THAWED");
		if (!n || !wait)
			return 0;
		nanosleep(&pause, NULL);
	}
	return -EBUSY;
}

int cgroup_kill_all(struct cgroup *cg, int wait)
{
	return kill_dir(cg->dir[H_CPU], cg->dir[H_FREEZER], cg->ver, wait);
}

void cgroup_free(struct cgroup *cg)
{
	if (!cg)
		return;
	if (cg->dir[H_CPU][0])
		cgroup_kill_all(cg, 1);
	for (int h = 0; h < H_MAX; h++)
		if (cg->dir[h][0])
			rmdir(cg->dir[h]);
	free(cg);
}

/* Kills members of every node group under root/run and removes them and run. */
static int remove_tree(const char *root, const char *run, enum cgroup_version ver)
{
	char rundir[256], dir[600];
	struct dirent *de;
	DIR *d;

	snprintf(rundir, sizeof(rundir), "%s/%s", root, run);
	d = opendir(rundir);
	if (!d)
		return errno == ENOENT ? 0 : -errno;
	while ((de = readdir(d))) {
		if (de->d_type != DT_DIR || de->d_name[0] == '.')
			continue;
		snprintf(dir, sizeof(dir), "%s/%s", rundir, de->d_name);
		kill_dir(dir, dir, ver, 1);
		rmdir(dir);
	}
	closedir(d);
	return rmdir(rundir) < 0 && errno != ENOENT ? -errno : 0;
}

int cgroup_remove_run(const char *run)
{
	enum cgroup_version ver = cgroup_detect();
	int r = 0, r2;

	if (ver == CGROUP_V2)
		return remove_tree(ROOT, run, ver);
	/* freezer first, so that killed tasks can die */
	for (int h = H_MAX - 1; h >= 0; h--)
		if ((r2 = remove_tree(v1_root((enum hier)h), run, ver)) < 0)
			r = r2;
	return r;
}

int cgroup_list_runs(const char *prefix, void (*fn)(const char *run, void *arg), void *arg)
{
	enum cgroup_version ver = cgroup_detect();
	const char *roots[H_MAX] = { ROOT };
	int nroots = 1;

	if (ver == CGROUP_V1) {
		for (int h = 0; h < H_MAX; h++)
			roots[h] = v1_root((enum hier)h);
		nroots = H_MAX;
	}
	for (int i = 0; i < nroots; i++) {
		DIR *d = opendir(roots[i]);
		struct dirent *de;

		if (!d)
			continue;
		while ((de = readdir(d)))
			if (de->d_type == DT_DIR && !strncmp(de->d_name, prefix, strlen(prefix)))
				fn(de->d_name, arg);
		closedir(d);
	}
	return 0;
}
