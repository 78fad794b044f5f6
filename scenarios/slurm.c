// SPDX-License-Identifier: MIT
/* Slurm submission: task lists, a two-line task script, sbatch run with argument vectors. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "scenarios/outcome.h"
#include "scenarios/slurm.h"

/* sbatch needs a script; the command and its arguments come as the script's arguments, so
 * no path or name is ever parsed by a shell. */
static const char task_script[] =
	"#!/bin/sh\n"
	"# written by qoslab run --slurm: runs its arguments (qoslab trial ... or qoslab report ...)\n"
	"exec \"$@\"\n";

static int write_file(const char *path, const char *text, mode_t mode)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
	size_t len = strlen(text);
	int r = 0;

	if (fd < 0)
		return -errno;
	if (write(fd, text, len) != (ssize_t)len)
		r = errno ? -errno : -EIO;
	if (close(fd) < 0 && !r)
		r = -errno;
	return r;
}

/* Runs argv (argv[0] from PATH), stdout into buf (NUL-terminated, trailing newline cut),
 * stderr into err. 0 when it exited 0; else -EIO (-ENOENT when it could not be run). */
static int run_capture(char *const argv[], char *buf, size_t len, char *err, size_t errlen)
{
	int out[2], errp[2], st;
	size_t n = 0, en = 0;
	ssize_t k;
	pid_t pid;

	if (pipe2(out, O_CLOEXEC) < 0)
		return -errno;
	if (pipe2(errp, O_CLOEXEC) < 0) {
		close(out[0]);
		close(out[1]);
		return -errno;
	}
	pid = fork();
	if (pid < 0) {
		int r = -errno;

		close(out[0]); close(out[1]); close(errp[0]); close(errp[1]);
		return r;
	}
	if (pid == 0) {
		dup2(out[1], 1);
		dup2(errp[1], 2);
		execvp(argv[0], argv);
		fprintf(stderr, "%s: %s", argv[0], strerror(errno));
		_exit(127);
	}
	close(out[1]);
	close(errp[1]);
	while (n + 1 < len && (k = read(out[0], buf + n, len - 1 - n)) > 0)
		n += (size_t)k;
	buf[n] = 0;
	while (en + 1 < errlen && (k = read(errp[0], err + en, errlen - 1 - en)) > 0)
		en += (size_t)k;
	if (errlen)
		err[en < errlen ? en : errlen - 1] = 0;
	close(out[0]);
	close(errp[0]);
	if (waitpid(pid, &st, 0) < 0)
		return -errno;
	buf[strcspn(buf, "\n")] = 0;
	if (errlen)
		err[strcspn(err, "\n")] = 0;
	if (WIFEXITED(st) && WEXITSTATUS(st) == 127)
		return -ENOENT;
	return WIFEXITED(st) && WEXITSTATUS(st) == 0 ? 0 : -EIO;
}

/* sbatch [user options] EXTRA... SCRIPT ARGS...: the job id into id. */
static int sbatch(const struct slurm_submit *cfg, const char *const *extra, const char *script,
		  const char *const *args, char *id, size_t idlen, char *err, size_t errlen)
{
	size_t n = 0, na = 0, k = 0;
	char **argv;
	int r;

	while (cfg->sbatch[n])
		n++;
	while (args[na])
		na++;
	argv = calloc(n + na + 16, sizeof(*argv));
	if (!argv)
		return -ENOMEM;
	argv[k++] = "sbatch";
	argv[k++] = "--parsable";
	for (size_t i = 0; i < n; i++)
		argv[k++] = cfg->sbatch[i];
	for (size_t i = 0; extra[i]; i++)
		argv[k++] = (char *)extra[i];
	argv[k++] = (char *)script;
	for (size_t i = 0; args[i]; i++)
		argv[k++] = (char *)args[i];
	r = run_capture(argv, id, idlen, err, errlen);
	free(argv);
	/* --parsable: "jobid" or "jobid;cluster" */
	id[strcspn(id, ";")] = 0;
	if (r == 0 && !id[0])
		r = -EIO;
	return r;
}

/* SELF run SCENARIO --out OUT --resume --kernel K --chunk C --slurm-retries R --slurm
 * SBATCH...: the retry round's command line (*ret allocated; the strings are borrowed). */
static int retry_args(const struct slurm_submit *cfg, const char *chunk_s, const char *retries_s,
		      const char ***ret)
{
	size_t n = 0, k = 0;
	const char **a;

	while (cfg->sbatch[n])
		n++;
	a = calloc(n + 16, sizeof(*a));
	if (!a)
		return -ENOMEM;
	a[k++] = cfg->self;
	a[k++] = "run";
	a[k++] = cfg->scenario;
	a[k++] = "--out";
	a[k++] = cfg->out;
	a[k++] = "--resume";
	a[k++] = "--kernel";
	a[k++] = cfg->kernel;
	a[k++] = "--chunk";
	a[k++] = chunk_s;
	a[k++] = "--slurm-retries";
	a[k++] = retries_s;
	a[k++] = "--slurm";
	for (size_t i = 0; i < n; i++)
		a[k++] = cfg->sbatch[i];
	*ret = a;
	return 0;
}

int slurm_submit_run(const struct slurm_submit *cfg, const struct scenario *sc,
		     const struct scenario_trial *const *trials, size_t n, struct slurm_jobs *ret,
		     char *err, size_t errlen)
{
	char dir[PATH_MAX], script[PATH_MAX + 16], list[PATH_MAX + 64], stamp[32], array[64];
	char output[PATH_MAX + 64], dep[96], merge_out[PATH_MAX + 64], why[1024] = "";
	char chunk_s[24], retries_s[16];
	size_t tasks = (n + cfg->chunk - 1) / cfg->chunk;
	time_t now = time(NULL);
	FILE *f;
	int r;

	if (!n || !cfg->chunk || cfg->retries < 0)
		return -EINVAL;
	snprintf(chunk_s, sizeof(chunk_s), "%zu", cfg->chunk);
	snprintf(retries_s, sizeof(retries_s), "%d", cfg->retries - 1);
	snprintf(dir, sizeof(dir), "%s/" SLURM_DIR, cfg->out);
	if (mkdir(dir, 0755) < 0 && errno != EEXIST) {
		r = -errno;
		snprintf(err, errlen, "%s: %s", dir, strerror(-r));
		return r;
	}
	snprintf(script, sizeof(script), "%s/task.sh", dir);
	if ((r = write_file(script, task_script, 0755)) < 0) {
		snprintf(err, errlen, "%s: %s", script, strerror(-r));
		return r;
	}
	/* one list per submission: a --resume submits other trials while old tasks may still
	 * be queued */
	strftime(stamp, sizeof(stamp), "%Y%m%d-%H%M%S", localtime(&now));
	snprintf(list, sizeof(list), "%s/tasks-%s-%ld.txt", dir, stamp, (long)getpid());
	if (!(f = fopen(list, "we"))) {
		r = -errno;
		snprintf(err, errlen, "%s: %s", list, strerror(-r));
		return r;
	}
	for (size_t t = 0; t < tasks; t++) {
		for (size_t i = t * cfg->chunk; i < n && i < (t + 1) * cfg->chunk; i++)
			fprintf(f, "%s%zu", i > t * cfg->chunk ? "," : "", trials[i]->order);
		fputc('\n', f);
	}
	if (fclose(f) != 0) {
		r = -errno;
		snprintf(err, errlen, "%s: %s", list, strerror(-r));
		return r;
	}
	for (size_t i = 0; i < n; i++) {
		struct outcome o = { .status = OUTCOME_PENDING, .wall_s = NAN };

		snprintf(o.error, sizeof(o.error), "submitted to Slurm, not run yet");
		if ((r = outcome_write(cfg->out, sc, trials[i], &o, NULL)) < 0) {
			snprintf(err, errlen, "%s/trials: %s", cfg->out, strerror(-r));
			return r;
		}
	}
	snprintf(array, sizeof(array), "--array=0-%zu", tasks - 1);
	snprintf(output, sizeof(output), "--output=%s/task-%%A_%%a.log", dir);
	const char *extra[] = { array, output, "--job-name=qoslab-trials", NULL };
	const char *args[] = { cfg->self, "trial", cfg->scenario, "--out", cfg->out, "--task-list",
			       list, "--kernel", cfg->kernel, NULL };

	r = sbatch(cfg, extra, script, args, ret->array, sizeof(ret->array), why, sizeof(why));
	if (r < 0) {
		snprintf(err, errlen, "sbatch (the trials): %s", r == -ENOENT ? "not found on PATH" :
			 why[0] ? why : "failed");
		return r;
	}
	snprintf(dep, sizeof(dep), "--dependency=afterany:%s", ret->array);
	snprintf(merge_out, sizeof(merge_out), "--output=%s/merge-%%j.log", dir);
	const char *mextra[] = { dep, merge_out, "--job-name=qoslab-report", NULL };
	const char *margs[] = { cfg->self, "report", cfg->out, NULL };
	const char **rargs = NULL;

	if (cfg->retries > 0) {
		/* the same submission again, for what is missing then: a lost task is retried
		 * by the cluster's own scheduler, not by a loop of ours */
		if ((r = retry_args(cfg, chunk_s, retries_s, &rargs)) < 0) {
			snprintf(err, errlen, "the retry job: %s", strerror(-r));
			return r;
		}
	}
	r = sbatch(cfg, mextra, script, rargs ? rargs : margs, ret->merge, sizeof(ret->merge), why,
		   sizeof(why));
	free(rargs);
	if (r < 0) {
		snprintf(err, errlen, "sbatch (the report, after job %s): %s", ret->array,
			 why[0] ? why : "failed");
		return r;
	}
	ret->tasks = tasks;
	return 0;
}
