/* SPDX-License-Identifier: MIT */
/* One trial: a fresh testbed, the real pipeline in it, the timeline played, metrics out. */
#ifndef QOSLAB_TRIAL_H
#define QOSLAB_TRIAL_H
#include <signal.h>
#include <stddef.h>

#include "plots/results.h"
#include "scenarios/metricline.h"

struct scenario;
struct warm_pool;

#define TRIAL_USER_METRICS_MAX 48 /* from the scenario's run: commands, run_restarts included */
#define TRIAL_METRICS_MAX (64 + TRIAL_USER_METRICS_MAX)

/* m[i].name of a user metric points into user[]: do not copy the struct by value. */
struct trial_metrics {
	struct results_metric m[TRIAL_METRICS_MAX];
	size_t n;
	struct metricline_value user[TRIAL_USER_METRICS_MAX];
	size_t n_user;
	char summary[256];  /* one line for the progress display */
};

/*
 * Runs the resolved scenario t (scenario_resolve) in a new testbed: server, workers and
 * client are `qoslab` processes started from qoslab_bin in their nodes; the timeline and
 * random failures are played from the first job on. With warm (scenarios/warm.h), standby
 * workers that loaded the model in an earlier trial serve the worker nodes (not when a
 * kill failure could hit them: then fresh ones, as without warm). Everything the trial writes goes to
 * dir (records.jsonl, samples.csv, logs/NODE.log, labels/, run/ of the run: commands). The
 * scenario's run: commands start on the timeline's clock (usercmd.h); the trial ends when the
 * client and every wait: true command are done (without the pipeline: the commands alone),
 * and their metric lines join the metrics (an error when one has a built-in's name). Stops early when *stop becomes
 * non-zero (-EINTR). The testbed is gone when it returns. err: one line.
 */
int trial_run(const struct scenario *t, const char *qoslab_bin, const char *dir,
	      struct warm_pool *warm, volatile sig_atomic_t *stop, struct trial_metrics *ret,
	      char *err, size_t errlen);

/* The trial's workload_s metric (first submission to last answer, warm-up included); NaN
 * when absent. trial_run also reports setup_s (testbed and links), workers_ready_s (server
 * and workers started until all registered: process start and model load), client_s,
 * first_infer_extra_s (the first inference over the median one), trial_wall_s and
 * overhead_s = trial_wall_s - workload_s: everything that is not the workload. */
double trial_workload_s(const struct trial_metrics *m);

/* Metrics of a finished trial from its records (and the labels of the dataset): also used
 * to recompute a trial from its directory. warmup: jobs (by job number) left out. */
int trial_metrics_from_records(const char *records, const char *labels_dir, const char *dir,
			       int warmup, struct trial_metrics *ret);
#endif
