/* SPDX-License-Identifier: MIT */
/* A trial's outcome file: what a trial process (a parallel job, a Slurm array task) hands to
 * the run that merges it into results.json. */
#ifndef QOSLAB_OUTCOME_H
#define QOSLAB_OUTCOME_H
#include <stddef.h>

#include "plots/results.h"
#include "scenarios/scenario.h"
#include "scenarios/sweep.h"
#include "scenarios/trial.h"

#define OUTCOME_FILE "outcome.json"
/* The host that ran the trial, set before entering UML (whose guest has no host name). */
#define OUTCOME_HOST_ENV "QOSLAB_TRIAL_HOST"

/*
 * DIR/trials/NAME/outcome.json: {format: "qoslab-trial", version: 1, order, point, rep,
 * factors [names], levels [texts], status, error, summary, host, kernel, wall_s, metrics {name:
 * value|null}}. The trial's levels travel with it, so a merge needs neither the scenario
 * nor the trial's position in it. "pending" is written when a trial is handed out (a
 * Slurm task that never ran leaves it), "failed" with the error when it ran and failed.
 */
enum outcome_status { OUTCOME_PENDING, OUTCOME_OK, OUTCOME_FAILED };

struct outcome {
	enum outcome_status status;
	size_t order, point;
	int rep;
	double wall_s;        /* the trial's wall time, testbed included; NaN when unknown */
	char summary[256];
	char error[512];
	char name[64];        /* the trial directory's name, e.g. 003-p1-r0 */
};

/* The trial directory's name: "%03zu-p%zu-r%d" of order, point, rep. */
void outcome_trial_name(const struct scenario_trial *tr, char *buf, size_t len);

/*
 * Writes out/trials/NAME/outcome.json (made when missing) atomically for trial tr of sc:
 * o->status, error, summary, wall_s, and m's metrics when status is OUTCOME_OK (m may be
 * NULL otherwise). Returns 0 or -errno.
 */
int outcome_write(const char *out, const struct scenario *sc, const struct scenario_trial *tr,
		  const struct outcome *o, const struct trial_metrics *m);

/*
 * Reads out/trials/NAME/outcome.json into *ret and, when its status is ok and res does not
 * hold its (levels, rep) yet, adds the trial to res. Returns 1 when it added the trial, 0
 * when it did not (*ret says why: pending, failed, or already in res), -ENOENT when there
 * is no such file, -EINVAL for a malformed file or factors other than res's (err says
 * which), other -errno.
 */
int outcome_merge(const char *out, const char *name, struct results *res, struct outcome *ret,
		  char *err, size_t errlen);

/* Reads out/trials/NAME/outcome.json into *ret. 0, -ENOENT, -EINVAL or -errno. */
int outcome_peek(const char *out, const char *name, struct outcome *ret);

/*
 * Every out/trials/<name>/outcome.json not yet in res merged into it. Trials that are not
 * in res afterwards (pending or failed) are counted in *ret_missing and listed in meta
 * "trials_missing" ("NAME: pending" or "NAME: failed: ERROR", "; "-separated; a trial
 * directory without an outcome file counts as failed; "0" when none
 * is), so a report never shows fewer trials without saying which and why. *ret_added counts the trials added. Returns 0 or the first error (err).
 */
int outcome_merge_all(const char *out, struct results *res, size_t *ret_added,
		      size_t *ret_missing, char *err, size_t errlen);
#endif
