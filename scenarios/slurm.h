/* SPDX-License-Identifier: MIT */
/* A run's trials as a Slurm job array, plus a dependent job that merges them and draws the
 * report, all into one run directory on a filesystem the cluster's nodes share. */
#ifndef QOSLAB_SLURM_H
#define QOSLAB_SLURM_H
#include <stddef.h>

#include "scenarios/scenario.h"
#include "scenarios/sweep.h"

#define SLURM_DIR "slurm" /* in the run directory: task lists, the task script, logs */

struct slurm_submit {
	const char *self;       /* the qoslab binary, absolute (the nodes run the same path) */
	const char *scenario;   /* the scenario file, absolute */
	const char *out;        /* the run directory, absolute */
	const char *kernel;     /* auto, host or uml: passed to every task */
	size_t chunk;           /* trials per array task, >= 1 */
	int retries;            /* rounds of resubmitting failed or lost trials, >= 0 */
	char *const *sbatch;    /* the user's sbatch options, NULL-terminated (may be empty) */
};

struct slurm_jobs {
	char array[64], merge[64]; /* job ids as sbatch --parsable printed them */
	size_t tasks;
};

/*
 * Submits trials[0..n-1] (n >= 1) as one job array of ceil(n / chunk) tasks, task i running
 * `qoslab trial SCENARIO --out OUT --task-list OUT/slurm/tasks-ARRAYSTAMP.txt` on its
 * chunk, then a job depending on the array (afterany: also when tasks failed). With retries
 * left, that job runs `qoslab run SCENARIO --out OUT --resume --slurm-retries RETRIES-1
 * --slurm SBATCH...`: it submits again what failed or never ran (a task cancelled, preempted
 * or out of time), or draws the report when nothing is missing. With none left it runs
 * `qoslab report OUT`, which merges the trials' outcome files and names the ones that failed
 * or never ran. Every trial gets a "pending" outcome first, so one whose task never ran is
 * reported, not silently missing. sbatch runs from PATH with an argument vector (no shell);
 * its output goes to OUT/slurm/. Returns 0, or -errno with err filled (sbatch's message
 * when it refused).
 */
int slurm_submit_run(const struct slurm_submit *cfg, const struct scenario *sc,
		     const struct scenario_trial *const *trials, size_t n, struct slurm_jobs *ret,
		     char *err, size_t errlen);
#endif
