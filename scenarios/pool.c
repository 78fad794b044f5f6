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

/* A slot: one `qoslab trial` process (one kernel) running its share of the trials in
 * order, so that standby workers serve all but its first (scenarios/warm.h). */
struct slot {
	pid_t pid;
	const struct scenario_trial **tr; /* its trials */
	size_t n, reported;               /* trials reported to done so far, in order */
};

/* The child's side: output to the slot's log, then exec. Never returns. */
static void child(const struct pool_config *cfg, const struct slot *sl, unsigned int k, pid_t parent)
{
	char dir[PATH_MAX], log[PATH_MAX + 32], *list, *p;
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
	p = list = malloc(sl->n * 21 + 1);
	if (!list)
		_exit(127);
	for (size_t i = 0; i < sl->n; i++)
		p += sprintf(p, "%s%zu", i ? "," : "", sl->tr[i]->order);
	char *argv[] = { (char *)cfg->self, "trial", (char *)cfg->scenario, "--out", (char *)cfg->out,
			 "--trials", list, "--kernel", (char *)cfg->kernel,
			 cfg->cold ? "--cold-workers" : NULL, NULL };
	execv(cfg->self, argv);
	fprintf(stderr, "qoslab: exec %s: %s\n", cfg->self, strerror(errno));
	_exit(127);
}

/* Reports the slot's trials whose outcome has arrived, in order; all of them with the
 * process's exit status once it has ended. */
static void report(const struct pool_config *cfg, struct slot *sl, int ended, int status,
		   pool_done_fn done, void *arg)
{
	while (sl->reported < sl->n) {
		const struct scenario_trial *tr = sl->tr[sl->reported];
		struct outcome o;
		char name[64];

		outcome_trial_name(tr, name, sizeof(name));
		if (!ended && (outcome_peek(cfg->out, name, &o) < 0 || o.status == OUTCOME_PENDING))
			return;
		sl->reported++;
		done(arg, tr, ended ? status : 0);
	}
}

int pool_run(const struct pool_config *cfg, const struct scenario_trial *const *trials, size_t n,
	     pool_done_fn done, void *arg)
{
	unsigned int k = cfg->jobs < n ? cfg->jobs : (unsigned int)n;
	struct slot *slots = calloc(k + 1, sizeof(*slots));
	const struct scenario_trial **share = calloc(n + 1, sizeof(*share));
	size_t running = 0, used = 0;
	int r = 0, forwarded = 0;
	pid_t self = getpid();

	if (!slots || !share) {
		free(slots);
		free(share);
		return -ENOMEM;
	}
	/* round robin over the run order: every slot gets a spread of the points */
	for (unsigned int s = 0; s < k; s++) {
		slots[s].tr = share + used;
		for (size_t i = s; i < n; i += k)
			slots[s].tr[slots[s].n++] = trials[i];
		used += slots[s].n;
	}
	for (size_t i = 0; i < n; i++) {
		char name[64], path[PATH_MAX + 96];

		/* an old failed or pending outcome must not pass for this run's */
		outcome_trial_name(trials[i], name, sizeof(name));
		snprintf(path, sizeof(path), "%s/trials/%s/" OUTCOME_FILE, cfg->out, name);
		unlink(path);
	}
	for (unsigned int s = 0; s < k && !*cfg->stop; s++) {
		slots[s].pid = fork();
		if (slots[s].pid < 0) {
			r = -errno;
			slots[s].pid = 0;
			break;
		}
		if (slots[s].pid == 0)
			child(cfg, &slots[s], s, self);
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
		for (unsigned int s = 0; s < k; s++)
			if (slots[s].pid)
				report(cfg, &slots[s], 0, 0, done, arg);
		w = waitpid(-1, &st, WNOHANG);
		if (w <= 0) {
			nanosleep(&tick, NULL);
			continue;
		}
		for (unsigned int s = 0; s < k; s++)
			if (slots[s].pid == w) {
				slots[s].pid = 0;
				running--;
				report(cfg, &slots[s], 1, WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st),
				       done, arg);
			}
	}
	free(share);
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
