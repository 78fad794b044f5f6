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

/* The child's side: output to the trial's log, then exec. Never returns. */
static void child(const struct pool_config *cfg, const struct scenario_trial *tr, pid_t parent)
{
	char name[64], dir[PATH_MAX], log[PATH_MAX + 16], order[32];
	int fd;

	/* the controller forwards Ctrl-C itself, once, and the trial dies with it */
	setpgid(0, 0);
	prctl(PR_SET_PDEATHSIG, SIGTERM);
	if (getppid() != parent)
		_exit(128 + SIGTERM);
	signal(SIGPIPE, SIG_DFL);
	outcome_trial_name(tr, name, sizeof(name));
	snprintf(dir, sizeof(dir), "%s/trials/%s", cfg->out, name);
	mkdir(dir, 0755);
	snprintf(log, sizeof(log), "%s/trial.log", dir);
	fd = open(log, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
	if (fd >= 0) {
		dup2(fd, 1);
		dup2(fd, 2);
	}
	fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
	if (fd >= 0)
		dup2(fd, 0);
	snprintf(order, sizeof(order), "%zu", tr->order);
	char *argv[] = { (char *)cfg->self, "trial", (char *)cfg->scenario, "--out", (char *)cfg->out,
			 "--trials", order, "--kernel", (char *)cfg->kernel, NULL };
	execv(cfg->self, argv);
	fprintf(stderr, "qoslab: exec %s: %s\n", cfg->self, strerror(errno));
	_exit(127);
}

int pool_run(const struct pool_config *cfg, const struct scenario_trial *const *trials, size_t n,
	     pool_done_fn done, void *arg)
{
	struct slot {
		pid_t pid;
		const struct scenario_trial *tr;
	} *slots = calloc(cfg->jobs, sizeof(*slots));
	size_t next = 0, running = 0;
	int r = 0, forwarded = 0;
	pid_t self = getpid();

	if (!slots)
		return -ENOMEM;
	while (running || (next < n && !*cfg->stop && r == 0)) {
		struct timespec tick = { 0, 100 * 1000000L };
		int st;
		pid_t w;

		for (unsigned int s = 0; s < cfg->jobs && next < n && !*cfg->stop && r == 0; s++) {
			if (slots[s].pid)
				continue;
			slots[s].tr = trials[next];
			slots[s].pid = fork();
			if (slots[s].pid < 0) {
				r = -errno;
				slots[s].pid = 0;
				break;
			}
			if (slots[s].pid == 0)
				child(cfg, trials[next], self);
			next++;
			running++;
		}
		if (*cfg->stop && !forwarded) {
			for (unsigned int s = 0; s < cfg->jobs; s++)
				if (slots[s].pid)
					kill(slots[s].pid, SIGINT);
			forwarded = 1;
		}
		w = waitpid(-1, &st, WNOHANG);
		if (w <= 0) {
			nanosleep(&tick, NULL);
			continue;
		}
		for (unsigned int s = 0; s < cfg->jobs; s++)
			if (slots[s].pid == w) {
				slots[s].pid = 0;
				running--;
				done(arg, slots[s].tr, WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st));
			}
	}
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
