// SPDX-License-Identifier: MIT
/* How many trials fit at once: the CPU a trial's nodes may take against the cores. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "scenarios/pool.h"
#include "scenarios/scenario.h"
#include "tests/t.h"

static int load(const char *text, struct scenario **ret)
{
	char path[] = "/tmp/qoslab-pool-XXXXXX.yaml", err[SCENARIO_ERR_MAX];
	int fd = mkstemps(path, 5), r;

	if (fd < 0)
		return -errno;
	if (write(fd, text, strlen(text)) < 0) {
		close(fd);
		return -errno;
	}
	close(fd);
	r = scenario_load(path, ret, err, sizeof(err));
	if (r < 0)
		fprintf(stderr, "%s\n", err);
	unlink(path);
	return r;
}

static void cpus_per_trial(struct t *t)
{
	struct scenario *sc = NULL;
	double c = 0;

	/* 3 workers at 0.3 at the largest point, client and server capped at 0.1 */
	T_ASSERT(t, load("topology: {workers: 1, cpu: {worker: 0.3, client: 0.1, server: 0.1}}\n"
			 "sweep:\n  - {key: topology.workers, values: [1, 3, 2]}\n", &sc) == 0);
	T_ASSERT(t, pool_trial_cpus(sc, 0, &c) == 0);
	T_ASSERTF(t, c > 1.0999 && c < 1.1001, "%g", c);
	T_ASSERT(t, pool_trial_cpus(sc, 1, &c) == 0);
	T_ASSERTF(t, c == 1, "%g: a UML guest is one host thread", c);
	scenario_free(sc);
	/* unlimited nodes count one CPU each */
	T_ASSERT(t, load("topology: {workers: 2}\n", &sc) == 0);
	T_ASSERT(t, pool_trial_cpus(sc, 0, &c) == 0);
	T_ASSERTF(t, c == 4, "%g", c);
	scenario_free(sc);
	T_ASSERT(t, load("topology: {workers: 1, cpu: {worker: 0.2, client: 0.1, server: 0.1}}\n", &sc) == 0);
	T_ASSERT(t, pool_trial_cpus(sc, 1, &c) == 0);
	T_ASSERTF(t, c > 0.3999 && c < 0.4001, "%g", c);
	scenario_free(sc);
}

static void guest_memory(struct t *t)
{
	unsigned long host_mb = (unsigned long)sysconf(_SC_PHYS_PAGES) / 1024 *
				(unsigned long)sysconf(_SC_PAGESIZE) / 1024;
	struct scenario *sc = NULL;
	unsigned int mb = 0;

	/* a small pool keeps the 2 GB floor */
	T_ASSERT(t, load("topology: {workers: 2}\n", &sc) == 0);
	T_ASSERT(t, pool_guest_mem_mb(sc, &mb) == 0);
	T_EQ_INT(t, mb, 2048);
	scenario_free(sc);
	/* seed 001: pools of 1, 3 and 15 against an autoscaler up to 15; 15 start, 15 alive at
	 * once, 15 idle standbys beside a pool of 1 that grows: 1 GB + 30 x 256 MB */
	T_ASSERT(t, load("topology: {workers: 1}\nautoscaler: {max: 0, min: 1}\nsweep:\n"
			 "  - {key: topology.workers, values: [1, 3, 15]}\n"
			 "  - {key: autoscaler.max, values: [0, 15]}\n", &sc) == 0);
	T_ASSERT(t, pool_guest_mem_mb(sc, &mb) == 0);
	T_EQ_INT(t, mb, host_mb >= 4096 && host_mb / 2 < 8704 ? (long)(host_mb / 2) : 8704);
	scenario_free(sc);
	/* add_worker events count as workers alive at once */
	T_ASSERT(t, load("topology: {workers: 4}\nworkload: {count: 4}\ntimeline:\n"
			 "  - {at: 1, action: add_worker, node: workers}\n"
			 "  - {at: 2, action: add_worker, node: workers}\n", &sc) == 0);
	T_ASSERT(t, pool_guest_mem_mb(sc, &mb) == 0);
	T_EQ_INT(t, mb, 1024 + 256 * (4 + 6));
	scenario_free(sc);
}

static void fit(struct t *t)
{
	T_EQ_INT(t, pool_fit(2, 1), 2);
	T_EQ_INT(t, pool_fit(2, 0.4), 5);
	T_EQ_INT(t, pool_fit(2, 1.1), 1);
	T_EQ_INT(t, pool_fit(2, 4), 1); /* never 0: one trial runs, its caps as given */
	T_EQ_INT(t, pool_fit(4, 1.0 / 3 * 3), 4);
	T_ASSERT(t, pool_cores() >= 1);
}

int main(int argc, char **argv)
{
	static const struct t_case cases[] = {
		T_CASE(cpus_per_trial),
		T_CASE(guest_memory),
		T_CASE(fit),
		{ 0 }
	};

	return t_main(cases, argc, argv);
}
