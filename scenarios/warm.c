// SPDX-License-Identifier: MIT
/* The pool of standby workers: spawned on demand, lent per trial, reaped at the end. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "clock.h"
#include "emu/testbed.h"
#include "pipeline/standby.h"
#include "scenarios/warm.h"

#define TAKE_BACK_MS 5000
/* a standby loads and warms the model in a few seconds of guest CPU each */
#define PREPARE_MS 300000

struct standby {
	pid_t pid;
	int sock;
	char *model;
	struct testbed *lent_to;       /* NULL: idle */
	int node;
	int owed;                      /* "idle" messages still to come: one when it has
					* loaded the model, one per session it was sent */
	int pending;                   /* lent while loading: the session goes once it has */
	char server[64];               /* the pending session's server and log */
	char *log_path;
	unsigned long last_used;
};

struct warm_pool {
	char *self;
	struct standby *s;
	size_t n;
	unsigned long clock;
};

int warm_pool_new(const char *self, struct warm_pool **ret)
{
	struct warm_pool *p = calloc(1, sizeof(*p));

	if (!p || !(p->self = strdup(self))) {
		free(p);
		return -ENOMEM;
	}
	*ret = p;
	return 0;
}

/* Takes standby i out of the pool: its socket closed (it exits at EOF), reaped as
 * waitpid_flags say. */
static void forget(struct warm_pool *p, size_t i, int waitpid_flags)
{
	close(p->s[i].sock);
	waitpid(p->s[i].pid, NULL, waitpid_flags);
	free(p->s[i].model);
	free(p->s[i].log_path);
	p->s[i] = p->s[--p->n];
}

static void drop(struct warm_pool *p, size_t i, int sig)
{
	if (sig)
		kill(p->s[i].pid, sig);
	forget(p, i, 0);
}

/* Forgets the standbys whose socket hung up: they died (a kill failure took a lent one).
 * Not signalled, and reaped only if still unreaped (testbed_kill_node reaps what it kills),
 * so that a pid used again since is left alone. */
static void drop_dead(struct warm_pool *p)
{
	for (size_t i = 0; i < p->n;) {
		struct pollfd pf = { .fd = p->s[i].sock, .events = 0 };

		if (poll(&pf, 1, 0) != 1 || !(pf.revents & (POLLHUP | POLLERR))) {
			i++;
			continue;
		}
		forget(p, i, WNOHANG);
	}
}

void warm_pool_free(struct warm_pool *p)
{
	if (!p)
		return;
	while (p->n)
		drop(p, p->n - 1, 0); /* EOF on its socket: the standby exits */
	free(p->s);
	free(p->self);
	free(p);
}

/* A new standby for model, loading it now; its stderr is log_path until its first session. */
static int spawn(struct warm_pool *p, const char *model, const char *log_path, size_t *ret_i)
{
	struct standby *ns = realloc(p->s, (p->n + 1) * sizeof(*ns));
	pid_t parent = getpid();
	int sv[2];

	if (!ns)
		return -ENOMEM;
	p->s = ns;
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0)
		return -errno;
	pid_t pid = fork();

	if (pid < 0) {
		int r = -errno;

		close(sv[0]);
		close(sv[1]);
		return r;
	}
	if (pid == 0) {
		int log = open(log_path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);

		prctl(PR_SET_PDEATHSIG, SIGKILL);
		if (getppid() != parent)
			_exit(1);
		if (log >= 0) {
			dup2(log, 1);
			dup2(log, 2);
		}
		dup2(sv[1], 3); /* dup2 clears close-on-exec */
		char *argv[] = { p->self, "worker", "--model", (char *)model, "--standby", "3", NULL };

		execv(p->self, argv);
		_exit(127);
	}
	close(sv[1]);
	p->s[p->n] = (struct standby){ .pid = pid, .sock = sv[0], .model = strdup(model), .owed = 1 };
	if (!p->s[p->n].model) {
		kill(pid, SIGKILL);
		close(sv[0]);
		waitpid(pid, NULL, 0);
		return -ENOMEM;
	}
	*ret_i = p->n++;
	return 0;
}

/* Reads the "idle" messages standby i owes, until deadline (ms, clock_now_ms; now: only
 * those already sent): 0 when it owes none any more, -ETIMEDOUT, or -EPIPE when it died or
 * said something else. */
static int await_idle(struct warm_pool *p, size_t i, int64_t deadline)
{
	while (p->s[i].owed > 0) {
		struct pollfd pf = { .fd = p->s[i].sock, .events = POLLIN };
		int left = (int)(deadline - clock_now_ms());
		char buf[16];
		ssize_t n;

		if (poll(&pf, 1, left > 0 ? left : 0) != 1)
			return -ETIMEDOUT;
		n = recv(p->s[i].sock, buf, sizeof(buf), 0);
		if (n != (ssize_t)sizeof(STANDBY_IDLE) - 1 || memcmp(buf, STANDBY_IDLE, (size_t)n))
			return -EPIPE;
		p->s[i].owed--;
	}
	return 0;
}

/* Sends standby i the session of the node it is lent to: 0 or -errno. */
static int send_session(struct standby *sb)
{
	int log = open(sb->log_path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644), r;

	if (log < 0)
		return -errno;
	r = standby_send(sb->sock, testbed_node_ns(sb->lent_to, sb->node), log, sb->server,
			 testbed_node_name(sb->lent_to, sb->node));
	close(log);
	if (r == 0) {
		sb->owed++;
		sb->pending = 0;
	}
	return r;
}

int warm_pool_lend(struct warm_pool *p, struct testbed *tb, int k, const char *model,
		   const char *server, const char *log_path, pid_t *ret_pid)
{
	int r = -ESRCH;

	drop_dead(p);
	/* a standby that died while idle (the guest's OOM killer, say) is found out here:
	 * dropped, and a fresh one takes its place, once */
	for (int attempt = 0; attempt < 2; attempt++) {
		size_t i, best = SIZE_MAX;
		struct standby *sb;

		for (i = 0; i < p->n; i++)
			if (!p->s[i].lent_to && !strcmp(p->s[i].model, model) &&
			    (best == SIZE_MAX || p->s[i].last_used < p->s[best].last_used))
				best = i;
		if (best == SIZE_MAX && (r = spawn(p, model, log_path, &best)) < 0)
			return r;
		i = best;
		sb = &p->s[i];
		/* the node's CPU cap holds before it serves a single job, and over its loading
		 * when it has yet to load */
		if ((r = testbed_attach(tb, k, sb->pid)) < 0)
			goto fail;
		free(sb->log_path);
		if (!(sb->log_path = strdup(log_path))) {
			r = -ENOMEM;
			goto fail;
		}
		snprintf(sb->server, sizeof(sb->server), "%s", server);
		sb->lent_to = tb;
		sb->node = k;
		sb->last_used = ++p->clock;
		sb->pending = 1;
		/* one still loading gets its session from warm_pool_poll once it has: sent now,
		 * a take-back before it loaded would find it not yet in the session */
		if (await_idle(p, i, clock_now_ms()) == -EPIPE) {
			r = -EPIPE;
			goto fail;
		}
		if (sb->owed == 0 && (r = send_session(sb)) < 0)
			goto fail;
		*ret_pid = sb->pid;
		return 0;
fail:
		drop(p, i, SIGKILL);
		if (r != -ESRCH && r != -EPIPE && r != -ECONNRESET && r != -ECONNREFUSED)
			break;
	}
	return r;
}

void warm_pool_poll(struct warm_pool *p)
{
	for (size_t i = 0; i < p->n;) {
		struct standby *sb = &p->s[i];

		if (sb->pending && (await_idle(p, i, clock_now_ms()) == -EPIPE ||
				    (sb->owed == 0 && send_session(sb) < 0))) {
			/* died loading, or its node is gone: the node stays down */
			drop(p, i, SIGKILL);
			continue;
		}
		i++;
	}
}

int warm_pool_prepare(struct warm_pool *p, const char *model, int n, const char *log_path)
{
	int64_t deadline = clock_now_ms() + PREPARE_MS;
	int have = 0, r = 0;

	drop_dead(p);
	for (size_t i = 0; i < p->n; i++)
		have += !p->s[i].lent_to && !strcmp(p->s[i].model, model);
	for (; have < n; have++) {
		size_t i;

		if ((r = spawn(p, model, log_path, &i)) < 0)
			return r;
	}
	/* all at once: they load side by side, outside any node's cgroup */
	for (size_t i = 0; i < p->n;) {
		if (p->s[i].lent_to || strcmp(p->s[i].model, model) ||
		    (r = await_idle(p, i, deadline)) == 0) {
			i++;
			continue;
		}
		drop(p, i, SIGKILL);
		if (r == -ETIMEDOUT)
			return r;
	}
	return 0;
}

void warm_pool_take_back(struct warm_pool *p, struct testbed *tb)
{
	int64_t deadline = clock_now_ms() + TAKE_BACK_MS;

	drop_dead(p);
	for (size_t i = 0; i < p->n;) {
		struct standby *sb = &p->s[i];

		if (sb->lent_to != tb) {
			i++;
			continue;
		}
		if (!sb->pending) {
			kill(sb->pid, SIGTERM);
			i++;
			continue;
		}
		/* never sent its session (a killed worker's replacement still loading): back
		 * to the pool as it is, to finish loading for the next trial */
		if (await_idle(p, i, clock_now_ms()) == -EPIPE || testbed_detach(tb, sb->node, sb->pid) < 0) {
			drop(p, i, SIGKILL);
			continue;
		}
		sb->lent_to = NULL;
		sb->pending = 0;
		i++;
	}
	for (size_t i = 0; i < p->n;) {
		if (p->s[i].lent_to != tb) {
			i++;
			continue;
		}
		if (await_idle(p, i, deadline) < 0 ||
		    testbed_detach(tb, p->s[i].node, p->s[i].pid) < 0) {
			/* stuck or unmovable: testbed_free reaps what is left */
			drop(p, i, SIGKILL);
			continue;
		}
		p->s[i].lent_to = NULL;
		i++;
	}
}
