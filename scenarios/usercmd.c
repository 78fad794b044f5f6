// SPDX-License-Identifier: MIT
/* Supervision of the scenario's own commands: one child per command at a time, in its
 * node's namespace and cgroup and its own session (testbed_spawn_with), so that stopping
 * it is one signal to its process group; what escapes the group dies with the cgroup. */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <math.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "clock.h"
#include "emu/testbed.h"
#include "scenarios/scenario.h"
#include "scenarios/sweep.h"
#include "scenarios/usercmd.h"

struct usercmd {
	const struct scenario_run *run;
	int node;
	char **argv, **env;       /* placeholders replaced; env with QOSLAB_* added */
	char log[1024], metrics[1024];
	const char *cwd;          /* the trial directory: the command's files land there */
	int metrics_fd;           /* metrics.fd: the file the command's descriptor writes */
	pid_t pid;                /* 0: not running */
	double start_at;          /* next start, trial seconds; < 0: never again */
	int restarts;
	int done;                 /* exited 0 (wait commands: the trial may end) */
};

struct usercmds {
	struct testbed *tb;
	char *dir;                /* the trial directory, absolute: commands chdir there */
	struct usercmd *cmds;
	size_t n;
	int stopped;
};

/* A line of our own in the command's log: what the supervisor did, and when. */
static void note(const struct usercmd *c, double now, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void note(const struct usercmd *c, double now, const char *fmt, ...)
{
	FILE *f = fopen(c->log, "ae");
	va_list ap;

	if (!f)
		return;
	if (isnan(now))
		fputs("qoslab: ", f);
	else
		fprintf(f, "qoslab: %.3f s: ", now);
	va_start(ap, fmt);
	vfprintf(f, fmt, ap);
	va_end(ap);
	fputc('\n', f);
	fclose(f);
}

/* s with every "{addr:NODE}" replaced by the node's address (validated at load). */
static char *expand(struct testbed *tb, const char *s)
{
	char *out = NULL;
	size_t len = 0;
	FILE *m = open_memstream(&out, &len);
	const char *p;

	if (!m)
		return NULL;
	while ((p = strstr(s, "{addr:"))) {
		const char *end = strchr(p, '}');
		char node[SCENARIO_NODE_MAX];
		int k;

		if (!end || (size_t)(end - p - 6) >= sizeof(node))
			break;
		memcpy(node, p + 6, (size_t)(end - p - 6));
		node[end - p - 6] = '\0';
		fwrite(s, 1, (size_t)(p - s), m);
		k = testbed_node_index(tb, node);
		fputs(k >= 0 ? testbed_node_addr(tb, k) : node, m);
		s = end + 1;
	}
	fputs(s, m);
	if (fclose(m) != 0) {
		free(out);
		return NULL;
	}
	return out;
}

static void strings_free(char **v)
{
	for (size_t i = 0; v && v[i]; i++)
		free(v[i]);
	free(v);
}

static int prepare(struct usercmds *u, struct usercmd *c, const struct scenario *t,
		   const char *dir, const char *rundir)
{
	const struct scenario_run *run = c->run;
	size_t n_env = 0;
	char seed[80];
	int r;

	c->metrics_fd = -1;
	c->cwd = dir;
	c->start_at = run->start_s;
	if ((c->node = testbed_node_index(u->tb, run->node)) < 0)
		return c->node;
	snprintf(c->log, sizeof(c->log), "%s/%s.log", rundir, run->name);
	if (run->metrics.fd) {
		snprintf(c->metrics, sizeof(c->metrics), "%s/%s.metrics.jsonl", rundir, run->name);
		/* the command and its restarts append to one file: every line counts */
		c->metrics_fd = open(c->metrics, O_WRONLY | O_CREAT | O_APPEND | O_TRUNC | O_CLOEXEC, 0644);
		if (c->metrics_fd < 0)
			return -errno;
	} else if (run->metrics.file) {
		snprintf(c->metrics, sizeof(c->metrics), "%s/%s", dir, run->metrics.file);
		if (unlink(c->metrics) < 0 && errno != ENOENT)
			return -errno;
	}
	c->argv = calloc(run->argc + 1, sizeof(char *));
	c->env = calloc(run->n_env + 8, sizeof(char *));
	if (!c->argv || !c->env)
		return -ENOMEM;
	for (size_t i = 0; i < run->argc; i++)
		if (!(c->argv[i] = expand(u->tb, run->argv[i])))
			return -ENOMEM;
	for (size_t i = 0; i < run->n_env; i++)
		if (!(c->env[n_env++] = expand(u->tb, run->env[i])))
			return -ENOMEM;
	/* seeds: the command's own stream of the trial, as netem and the failures have */
	snprintf(seed, sizeof(seed), "run %s", run->name);
	r = asprintf(&c->env[n_env++], "QOSLAB_TRIAL_SEED=%" PRIu64,
		     scenario_seed_for(t->trial_seed, seed));
	if (r >= 0)
		r = asprintf(&c->env[n_env++], "QOSLAB_TRIAL_DIR=%s", dir);
	if (r >= 0)
		r = asprintf(&c->env[n_env++], "QOSLAB_NODE=%s", run->node);
	if (r >= 0)
		r = asprintf(&c->env[n_env++], "QOSLAB_RUN_NAME=%s", run->name);
	if (r >= 0 && run->metrics.fd)
		r = asprintf(&c->env[n_env++], "QOSLAB_METRICS_FD=%d", run->metrics.fd);
	if (r >= 0 && run->metrics.file)
		r = asprintf(&c->env[n_env++], "QOSLAB_METRICS_FILE=%s", c->metrics);
	if (r < 0) {
		c->env[n_env - 1] = NULL;
		return -ENOMEM;
	}
	return 0;
}

int usercmds_new(const struct scenario *t, struct testbed *tb, const char *dir,
		 struct usercmds **ret)
{
	struct usercmds *u = calloc(1, sizeof(*u));
	char rundir[1024];
	int r = -ENOMEM;

	if (!u)
		return -ENOMEM;
	u->tb = tb;
	u->n = t->n_runs;
	if (!(u->dir = realpath(dir, NULL))) {
		r = -errno;
		goto out;
	}
	dir = u->dir;
	if (u->n && !(u->cmds = calloc(u->n, sizeof(*u->cmds))))
		goto out;
	for (size_t i = 0; i < u->n; i++) {
		u->cmds[i].run = &t->runs[i];
		u->cmds[i].metrics_fd = -1;
	}
	snprintf(rundir, sizeof(rundir), "%s/" USERCMD_DIR, dir);
	if (u->n && mkdir(rundir, 0755) < 0 && errno != EEXIST) {
		r = -errno;
		goto out;
	}
	for (size_t i = 0; i < u->n; i++)
		if ((r = prepare(u, &u->cmds[i], t, dir, rundir)) < 0)
			goto out;
	*ret = u;
	u = NULL;
	r = 0;
out:
	usercmds_free(u);
	return r;
}

static int start(struct usercmds *u, struct usercmd *c, double now)
{
	struct testbed_spawn_opts o = { .log_path = c->log, .env = c->env, .cwd = c->cwd,
					.fd = c->metrics_fd,
					.target_fd = c->run->metrics.fd };
	int r = testbed_spawn_with(u->tb, c->node, c->argv, &o, &c->pid);

	if (r < 0) {
		c->pid = 0;
		return r;
	}
	note(c, now, "started %s in %s (pid %d)%s", c->argv[0], c->run->node, (int)c->pid,
	     c->restarts ? " again" : "");
	return 0;
}

/* What happened to a child that exited: restart it, let it be, or fail the trial. */
static int exited(struct usercmd *c, int st, double now, char *err, size_t errlen)
{
	const struct scenario_run *run = c->run;
	char how[64];
	int ok = WIFEXITED(st) && WEXITSTATUS(st) == 0;

	if (WIFEXITED(st))
		snprintf(how, sizeof(how), "exited with status %d", WEXITSTATUS(st));
	else if (WIFSIGNALED(st))
		snprintf(how, sizeof(how), "killed by signal %d", WTERMSIG(st));
	else
		snprintf(how, sizeof(how), "gone (reaped elsewhere: a node kill)");
	c->pid = 0;
	if (ok) {
		c->done = 1;
		c->start_at = -1;
		note(c, now, "%s", how);
		return 0;
	}
	if (run->restart == SCENARIO_RESTART_ON_FAILURE && c->restarts < run->max_restarts) {
		double delay = run->restart_delay_s * ldexp(1.0, c->restarts);

		c->restarts++;
		c->start_at = now + delay;
		note(c, now, "%s; restart %d of %d in %g s", how, c->restarts, run->max_restarts, delay);
		return 0;
	}
	c->start_at = -1;
	note(c, now, "%s; not restarted (%s)", how, run->restart == SCENARIO_RESTART_ON_FAILURE ?
	     "max_restarts reached" : "restart: never");
	if (!run->wait)
		return 0;
	snprintf(err, errlen, "run %s (line %d) %s (see %s)", run->name, run->line, how, c->log);
	return -EIO;
}

int usercmds_step(struct usercmds *u, double now, char *err, size_t errlen)
{
	for (size_t i = 0; u && i < u->n && !u->stopped; i++) {
		struct usercmd *c = &u->cmds[i];
		int st = 0, r;

		if (c->pid > 0) {
			pid_t w = waitpid(c->pid, &st, WNOHANG);

			if (w == 0) {
				if (c->run->wait && now > c->run->start_s + c->run->timeout_s) {
					snprintf(err, errlen, "run %s (line %d) still ran after its timeout "
						 "(%g s; see %s)", c->run->name, c->run->line,
						 c->run->timeout_s, c->log);
					note(c, now, "timeout: stopped");
					return -ETIMEDOUT;
				}
				continue;
			}
			if (w < 0 && errno != ECHILD)
				continue;
			if (w < 0)
				st = -1; /* reaped by a node kill's waitpid(-1): neither exit nor signal */
			if ((r = exited(c, st, now, err, errlen)) < 0)
				return r;
		}
		if (c->start_at >= 0 && now >= c->start_at) {
			c->start_at = -1;
			if ((r = start(u, c, now)) < 0) {
				snprintf(err, errlen, "run %s (line %d): starting %s in %s: %s", c->run->name,
					 c->run->line, c->argv[0], c->run->node, strerror(-r));
				return r;
			}
		}
	}
	return 0;
}

int usercmds_waited(const struct usercmds *u)
{
	for (size_t i = 0; u && i < u->n; i++)
		if (u->cmds[i].run->wait && !u->cmds[i].done)
			return 0;
	return 1;
}

static void sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000 };

	nanosleep(&ts, NULL);
}

void usercmds_stop(struct usercmds *u)
{
	double until = clock_now_ms() / 1e3 + USERCMD_STOP_GRACE_S;
	size_t running = 0;

	if (!u || u->stopped)
		return;
	u->stopped = 1;
	for (size_t i = 0; i < u->n; i++)
		if (u->cmds[i].pid > 0) {
			kill(-u->cmds[i].pid, SIGTERM);
			running++;
		}
	while (running && clock_now_ms() / 1e3 < until) {
		running = 0;
		for (size_t i = 0; i < u->n; i++) {
			struct usercmd *c = &u->cmds[i];

			if (c->pid > 0 && waitpid(c->pid, NULL, WNOHANG) != 0) {
				c->pid = 0;
				note(c, NAN, "stopped with the trial (SIGTERM)");
			}
			running += c->pid > 0;
		}
		if (running)
			sleep_ms(20);
	}
	for (size_t i = 0; i < u->n; i++) {
		struct usercmd *c = &u->cmds[i];

		if (c->pid > 0) {
			kill(-c->pid, SIGKILL);
			waitpid(c->pid, NULL, 0);
			c->pid = 0;
			note(c, NAN, "still running %g s after SIGTERM: SIGKILL", USERCMD_STOP_GRACE_S);
		}
	}
}

int usercmds_metrics(struct usercmds *u, struct metricline_value *ret, size_t max,
		     size_t *ret_n, char *err, size_t errlen)
{
	struct metricline_value got[METRICLINE_KEYS_MAX];
	size_t n = 0, k;
	int restarts = 0, r;

	for (size_t i = 0; u && i < u->n; i++) {
		const struct usercmd *c = &u->cmds[i];

		restarts += c->restarts;
		if (!c->metrics[0])
			continue;
		r = metricline_read(c->metrics, c->run->metrics.prefix, c->run->metrics.aggregate,
				    got, &k, err, errlen);
		if (r < 0) {
			if (r == -E2BIG)
				snprintf(err, errlen, "%s: more than %d metrics", c->metrics,
					 METRICLINE_KEYS_MAX);
			return r;
		}
		for (size_t j = 0; j < k; j++) {
			for (size_t x = 0; x < n; x++)
				if (!strcmp(ret[x].name, got[j].name)) {
					snprintf(err, errlen, "run %s: metric %s comes from another "
						 "command too (set metrics.prefix)", c->run->name,
						 got[j].name);
					return -EINVAL;
				}
			if (n == max)
				return -E2BIG;
			ret[n++] = got[j];
		}
	}
	if (u && u->n) {
		if (n == max)
			return -E2BIG;
		ret[n] = (struct metricline_value){ .value = restarts, .samples = 1 };
		snprintf(ret[n].name, sizeof(ret[n].name), "run_restarts");
		n++;
	}
	*ret_n = n;
	return 0;
}

void usercmds_free(struct usercmds *u)
{
	if (!u)
		return;
	usercmds_stop(u);
	for (size_t i = 0; i < u->n; i++) {
		strings_free(u->cmds[i].argv);
		strings_free(u->cmds[i].env);
		if (u->cmds[i].metrics_fd >= 0)
			close(u->cmds[i].metrics_fd);
	}
	free(u->cmds);
	free(u->dir);
	free(u);
}
