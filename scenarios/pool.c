// SPDX-License-Identifier: MIT
/* Trial processes in parallel, each a `qoslab trial` that enters its own kernel. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <math.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "scenarios/outcome.h"
#include "scenarios/pool.h"

/* A slot: one `qoslab trial` process (one kernel) that claims the next unclaimed trial of
 * the list whenever it is free, so a slot that drew short trials takes more of them and
 * standby workers serve all but its first (scenarios/warm.h). */
struct slot {
	pid_t pid;
	int status; /* its exit status once ended */
};

/* The child's side: output to the slot's log, then exec. Never returns. */
static void child(const struct pool_config *cfg, const char *list, unsigned int k, pid_t parent)
{
	char dir[PATH_MAX], log[PATH_MAX + 32], slot[16];
	int fd;

	/* the controller forwards Ctrl-C itself, once, and the trial dies with it */
	setpgid(0, 0);
	prctl(PR_SET_PDEATHSIG, SIGTERM);
	if (getppid() != parent)
		_exit(128 + SIGTERM);
	signal(SIGPIPE, SIG_DFL);
	snprintf(dir, sizeof(dir), "%s/slots", cfg->out);
	mkdir(dir, 0755);
	snprintf(log, sizeof(log), "%s/slot-%u.log", dir, k);
	fd = open(log, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
	if (fd >= 0) {
		dup2(fd, 1);
		dup2(fd, 2);
	}
	fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
	if (fd >= 0)
		dup2(fd, 0);
	snprintf(slot, sizeof(slot), "%u", k);
	char *argv[] = { (char *)cfg->self, "trial", (char *)cfg->scenario, "--out", (char *)cfg->out,
			 "--trials", (char *)list, "--slot", slot, "--kernel", (char *)cfg->kernel,
			 cfg->cold ? "--cold-workers" : NULL, NULL };
	execv(cfg->self, argv);
	fprintf(stderr, "qoslab: exec %s: %s\n", cfg->self, strerror(errno));
	_exit(127);
}

static void claim_path(const char *out, const char *name, char *buf, size_t len)
{
	snprintf(buf, len, "%s/slots/claims/%s", out, name);
}

int pool_claim(const char *out, const char *name, unsigned int slot)
{
	char path[PATH_MAX], target[32];

	/* symlink(2) is atomic and fails on an existing name on every filesystem a run
	 * directory lives on: the host's, UML's hostfs (the host's symlink(2)) and NFS, and
	 * its target carries the claimant without a second write */
	claim_path(out, name, path, sizeof(path));
	snprintf(target, sizeof(target), "slot-%u", slot);
	if (symlink(target, path) == 0)
		return 1;
	return errno == EEXIST ? 0 : -errno;
}

int pool_claimant(const char *out, const char *name, unsigned int *ret_slot)
{
	char path[PATH_MAX], target[32];
	ssize_t len;

	claim_path(out, name, path, sizeof(path));
	len = readlink(path, target, sizeof(target) - 1);
	if (len < 0)
		return -errno;
	target[len] = 0;
	if (sscanf(target, "slot-%u", ret_slot) != 1)
		return -EINVAL;
	return 0;
}

/* Trials reported so far are marked in reported[]; reports those whose outcome arrived,
 * and with ended set, those the ended slot claimed (with its exit status: it left no
 * outcome for them, or they would have been reported). */
static void report(const struct pool_config *cfg, const struct scenario_trial *const *trials,
		   size_t n, char *reported, const struct slot *ended, unsigned int ended_k,
		   pool_done_fn done, void *arg)
{
	for (size_t i = 0; i < n; i++) {
		struct outcome o;
		char name[64];
		unsigned int k;

		if (reported[i])
			continue;
		outcome_trial_name(trials[i], name, sizeof(name));
		if (outcome_peek(cfg->out, name, &o) == 0 && o.status != OUTCOME_PENDING) {
			reported[i] = 1;
			done(arg, trials[i], 0);
		} else if (ended && pool_claimant(cfg->out, name, &k) == 0 && k == ended_k) {
			reported[i] = 1;
			done(arg, trials[i], ended->status);
		}
	}
}

int pool_run(const struct pool_config *cfg, const struct scenario_trial *const *trials, size_t n,
	     pool_done_fn done, void *arg)
{
	unsigned int k = cfg->jobs < n ? cfg->jobs : (unsigned int)n;
	struct slot *slots = calloc(k + 1, sizeof(*slots));
	char *reported = calloc(n + 1, 1), *list = malloc(n * 42 + 1), *p = list;
	char path[PATH_MAX + 96];
	size_t running = 0;
	int r = 0, forwarded = 0, last = 0;
	pid_t self = getpid();

	if (!slots || !reported || !list) {
		r = -ENOMEM;
		goto out;
	}
	snprintf(path, sizeof(path), "%s/slots", cfg->out);
	mkdir(path, 0755);
	snprintf(path, sizeof(path), "%s/slots/claims", cfg->out);
	if (mkdir(path, 0755) < 0 && errno != EEXIST) {
		r = -errno;
		goto out;
	}
	for (size_t i = 0; i < n; i++) {
		char name[64];

		/* an old failed or pending outcome must not pass for this run's, nor an old
		 * claim keep a trial from being run */
		outcome_trial_name(trials[i], name, sizeof(name));
		snprintf(path, sizeof(path), "%s/trials/%s/" OUTCOME_FILE, cfg->out, name);
		unlink(path);
		claim_path(cfg->out, name, path, sizeof(path));
		unlink(path);
	}
	/* the list goes to every slot, in ranges: a guest's command line has 64 KB */
	for (size_t i = 0, j; i < n; i = j) {
		for (j = i + 1; j < n && trials[j]->order == trials[j - 1]->order + 1; j++)
			;
		p += sprintf(p, "%s%zu", i ? "," : "", trials[i]->order);
		if (j - i > 1)
			p += sprintf(p, "-%zu", trials[j - 1]->order);
	}
	for (unsigned int s = 0; s < k && !*cfg->stop; s++) {
		slots[s].pid = fork();
		if (slots[s].pid < 0) {
			r = -errno;
			slots[s].pid = 0;
			break;
		}
		if (slots[s].pid == 0)
			child(cfg, list, s, self);
		running++;
	}
	while (running) {
		struct timespec tick = { 0, 200 * 1000000L };
		int st;
		pid_t w;

		if (*cfg->stop && !forwarded) {
			for (unsigned int s = 0; s < k; s++)
				if (slots[s].pid)
					kill(slots[s].pid, SIGINT);
			forwarded = 1;
		}
		report(cfg, trials, n, reported, NULL, 0, done, arg);
		w = waitpid(-1, &st, WNOHANG);
		if (w <= 0) {
			nanosleep(&tick, NULL);
			continue;
		}
		for (unsigned int s = 0; s < k; s++)
			if (slots[s].pid == w) {
				slots[s].pid = 0;
				slots[s].status = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
				if (slots[s].status)
					last = slots[s].status;
				running--;
				report(cfg, trials, n, reported, &slots[s], s, done, arg);
			}
	}
	/* trials no slot claimed: every slot ended before reaching them */
	for (size_t i = 0; i < n; i++)
		if (!reported[i])
			done(arg, trials[i], last ? last : *cfg->stop ? 130 : 1);
out:
	free(list);
	free(reported);
	free(slots);
	return r;
}

int pool_trial_cpus(const struct scenario *sc, int uml, double *ret_cpus)
{
	double most = 0;

	for (size_t p = 0; p < sc->n_points; p++) {
		struct scenario_trial tr = { .point = p };
		char err[SCENARIO_ERR_MAX];
		struct scenario *t = NULL;
		double sum;
		int r;

		if ((r = scenario_resolve(sc, &tr, &t, err, sizeof(err))) < 0)
			return r;
		sum = (t->topology.cpu_client > 0 ? t->topology.cpu_client : 1) +
		      (t->topology.cpu_server > 0 ? t->topology.cpu_server : 1) +
		      t->topology.workers * (t->topology.cpu_worker > 0 ? t->topology.cpu_worker : 1);
		scenario_free(t);
		if (uml && sum > 1)
			sum = 1;
		if (sum > most)
			most = sum;
	}
	*ret_cpus = most;
	return 0;
}

/* A darknet worker's RSS is 185 MB (Yolo-Fastest-1.1-XL, seed-001-autoscale's samples.csv):
 * counted with room for a larger model's buffers */
#define WORKER_MB 256
#define GUEST_BASE_MB 1024

int pool_guest_mem_mb(const struct scenario *sc, unsigned int *ret_mb)
{
	unsigned long most_start = 0, most_at_once = 0, mb, host_mb;

	for (size_t p = 0; p < sc->n_points; p++) {
		struct scenario_trial tr = { .point = p };
		char err[SCENARIO_ERR_MAX];
		struct scenario *t = NULL;
		unsigned long start, at_once;
		int r;

		if ((r = scenario_resolve(sc, &tr, &t, err, sizeof(err))) < 0)
			return r;
		/* the autoscaler keeps at most max going; add_worker events add to the start */
		start = (unsigned long)t->topology.workers;
		at_once = (unsigned long)(scenario_max_workers(t) - 4 * t->autoscaler.max);
		if (t->autoscaler.max > t->topology.workers)
			at_once += (unsigned long)(t->autoscaler.max - t->topology.workers);
		scenario_free(t);
		most_start = start > most_start ? start : most_start;
		most_at_once = at_once > most_at_once ? at_once : most_at_once;
	}
	/* a trial's workers, and beside them the standbys earlier trials left idle (as many as
	 * the most any trial started with) */
	mb = GUEST_BASE_MB + WORKER_MB * (most_start + most_at_once);
	if (mb < 2048)
		mb = 2048;
	host_mb = (unsigned long)sysconf(_SC_PHYS_PAGES) / 1024 * (unsigned long)sysconf(_SC_PAGESIZE) / 1024;
	if (host_mb >= 4096 && mb > host_mb / 2)
		mb = host_mb / 2;
	*ret_mb = (unsigned int)mb;
	return 0;
}

unsigned int pool_cores(void)
{
	cpu_set_t set;
	int n;

	if (sched_getaffinity(0, sizeof(set), &set) < 0)
		return 1;
	n = CPU_COUNT(&set);
	return n > 0 ? (unsigned int)n : 1;
}

unsigned int pool_fit(unsigned int cores, double cpus_per_trial)
{
	double k = cpus_per_trial > 0 ? floor(cores / cpus_per_trial + 1e-9) : cores;

	return k >= 1 ? (unsigned int)fmin(k, 4096) : 1;
}
