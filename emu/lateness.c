// SPDX-License-Identifier: MIT
/* Timer lateness: a thread's periodic wake-ups and their overshoot (see emu/lateness.h). */
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "clock.h"
#include "emu/lateness.h"
#include "plots/stats.h"

#define MAX_SAMPLES 65536 /* 11 minutes at 10 ms; older samples are overwritten */

struct lateness {
	pthread_t thread;
	atomic_int stop;
	int64_t period_ns;
	unsigned int n; /* samples taken (may exceed MAX_SAMPLES) */
	float late_ms[MAX_SAMPLES];
};

static void *run(void *arg)
{
	struct sched_param sp = { .sched_priority = 1 };
	struct lateness *l = arg;

	/* Real-time priority (root only; else it stays as it is): the wake-up then preempts the
	 * testbed's own busy processes at once, so what is measured is when the kernel's timer
	 * fired (late only when the host held the kernel back), not the guest's scheduling of
	 * busy user tasks, which with HZ=100 and no preemption adds up to 10 ms on its own and
	 * does not delay netem (its timers run in the kernel). */
	pthread_setschedparam(pthread_self(), SCHED_FIFO, &sp);

	while (!atomic_load(&l->stop)) {
		int64_t due = clock_now_ns() + l->period_ns, late;
		struct timespec ts = { due / 1000000000, due % 1000000000 };

		while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL) == EINTR)
			;
		late = clock_now_ns() - due;
		l->late_ms[l->n % MAX_SAMPLES] = (float)(late > 0 ? late : 0) / 1e6f;
		l->n++;
	}
	return NULL;
}

int lateness_new(double period_ms, struct lateness **ret)
{
	struct lateness *l;
	int r;

	if (!(period_ms > 0))
		return -EINVAL;
	l = calloc(1, sizeof(*l));
	if (!l)
		return -ENOMEM;
	l->period_ns = (int64_t)(period_ms * 1e6);
	r = pthread_create(&l->thread, NULL, run, l);
	if (r) {
		free(l);
		return -r;
	}
	*ret = l;
	return 0;
}

void lateness_free(struct lateness *l, struct lateness_stats *ret)
{
	unsigned int n;
	double *x;

	if (ret)
		memset(ret, 0, sizeof(*ret));
	if (!l)
		return;
	atomic_store(&l->stop, 1);
	pthread_join(l->thread, NULL);
	n = l->n < MAX_SAMPLES ? l->n : MAX_SAMPLES;
	if (ret && n > 0 && (x = malloc(n * sizeof(*x)))) {
		static const double p[3] = { 0.5, 0.99, 1 };
		double q[3];

		for (unsigned int i = 0; i < n; i++)
			x[i] = l->late_ms[i];
		/* the one quantile definition (type 7, plots/stats.h) */
		if (stats_quantiles(x, n, p, 3, q) == 0)
			*ret = (struct lateness_stats){ .samples = n, .median_ms = q[0],
							.p99_ms = q[1], .max_ms = q[2] };
		free(x);
	}
	free(l);
}

int lateness_overloaded(const struct lateness_stats *s)
{
	return s->samples > 0 && s->p99_ms > LATENESS_OVERLOAD_MS;
}
