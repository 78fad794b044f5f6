/* SPDX-License-Identifier: MIT */
/* A pool of trial processes: one `qoslab trial` per job slot, each in its own kernel (its
 * own UML guest on the UML path) claiming the next unclaimed trial whenever it is free, so
 * trials of one run share no testbed, a slot's standby workers stay warm, and a slot that
 * drew short trials is not left idle beside one that drew long ones. */
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
 * Runs trials[0..n-1] in min(cfg->jobs, n) processes, each given the whole list and
 * claiming trials from it in order (pool_claim), and calls done for each as its outcome
 * file arrives (status 0) or, for those without one, when the process that claimed it ends
 * (its exit status); trials no process reached get the last non-zero exit status. Outcome
 * files and claims of these trials left from before are removed first. Every process dies
 * with the caller (PDEATHSIG). Returns 0 once all have ended, -errno when a process could
 * not be started (those already running are waited for).
 */
int pool_run(const struct pool_config *cfg, const struct scenario_trial *const *trials, size_t n,
	     pool_done_fn done, void *arg);

/*
 * Claims trial name (outcome_trial_name) of the run in out for slot: out/slots/claims/NAME,
 * a symlink to "slot-K", made atomically. Returns 1 when this call claimed it, 0 when
 * another slot had, -errno otherwise.
 */
int pool_claim(const char *out, const char *name, unsigned int slot);

/* The slot that claimed trial name: 0 or -errno (-ENOENT: none did). */
int pool_claimant(const char *out, const char *name, unsigned int *ret_slot);

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
