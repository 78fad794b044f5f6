/* SPDX-License-Identifier: MIT */
/* A pool of trial processes: one `qoslab trial` per job slot, each in its own kernel (its
 * own UML guest on the UML path) running its share of the trials one after another, so
 * trials of one run share no testbed and a slot's standby workers stay warm. */
#ifndef QOSLAB_POOL_H
#define QOSLAB_POOL_H
#include <signal.h>
#include <stddef.h>

#include "scenarios/scenario.h"
#include "scenarios/sweep.h"

struct pool_config {
	const char *self;      /* the qoslab binary */
	const char *scenario;  /* the scenario file as the user gave it */
	const char *out;       /* the run directory; slot logs go to slots/slot-K.log */
	const char *kernel;    /* "auto", "host" or "uml", passed to every trial process */
	unsigned int jobs;     /* >= 1 processes at once */
	int cold;              /* --cold-workers for every trial process */
	volatile sig_atomic_t *stop; /* once set: no new trial; running ones get SIGINT */
};

/* Called in the caller's process when trial tr's process ended with exit status status
 * (128 + signal when killed). */
typedef void (*pool_done_fn)(void *arg, const struct scenario_trial *tr, int status);

/*
 * Runs trials[0..n-1] in min(cfg->jobs, n) processes, trial i in slot i mod jobs, and calls
 * done for each as its outcome file arrives (status 0) or, for those without one, when its
 * slot's process ends (its exit status). Outcome files of these trials left from before are
 * removed first. Every process dies with the caller (PDEATHSIG). Returns 0 once all have
 * ended, -errno when a process could not be started (those already running are waited for).
 */
int pool_run(const struct pool_config *cfg, const struct scenario_trial *const *trials, size_t n,
	     pool_done_fn done, void *arg);

/*
 * The most CPU one trial of sc can take, over its sweep points: the nodes' CPU caps summed,
 * a node without a cap counted as one CPU; in UML at most 1 (the guest is one host
 * thread). Returns 0 or an error of scenario_resolve (-EINVAL, -ENOMEM).
 */
int pool_trial_cpus(const struct scenario *sc, int uml, double *ret_cpus);

/*
 * Guest memory for running sc's trials in one UML kernel: 1 GB, and 256 MB per darknet
 * worker that may be alive at once (the most any point starts with or grows to, and as many
 * idle standbys as the most any point starts with); at least uml_run's 2 GB, at most half
 * the host's memory (the host backs only what the guest touches). 0 or scenario_resolve's
 * error.
 */
int pool_guest_mem_mb(const struct scenario *sc, unsigned int *ret_mb);

/* CPUs this process may run on (its affinity mask), at least 1. */
unsigned int pool_cores(void);

/* Trials that fit at once: floor(cores / cpus_per_trial), at least 1. */
unsigned int pool_fit(unsigned int cores, double cpus_per_trial);
#endif
