// SPDX-License-Identifier: MIT
/* The metric registry: every metric qoslab measures, its unit, label and aggregation. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "plots/metric.h"
#include "plots/stats.h"

#define N(a) (sizeof(a) / sizeof((a)[0]))

/* Adding a metric: one row here, the code that measures it, a test (DESIGN.md). Names of
 * trial metrics the testbed measures are checked against this table by test_results. */
static const struct metric_def table[] = {
	/* the workload (scenarios/trial.c, from the client's records) */
	{ "throughput_bps",        "bit/s", "throughput",                     METRIC_RATE,     METRIC_HIGHER },
	{ "requests_per_s",        "1/s",   "requests answered",              METRIC_RATE,     METRIC_HIGHER },
	{ "goodput_per_s",         "1/s",   "goodput (OK results)",           METRIC_RATE,     METRIC_HIGHER },
	{ "ok_jobs",               "count", "OK jobs",                        METRIC_SUM,      METRIC_HIGHER },
	{ "failed_jobs",           "count", "failed jobs",                    METRIC_SUM,      METRIC_LOWER },
	{ "timeouts",              "count", "timed-out jobs",                 METRIC_SUM,      METRIC_LOWER },
	{ "latency_mean_s",        "s",     "mean latency",                   METRIC_MEAN,     METRIC_LOWER },
	{ "latency_p50_s",         "s",     "latency p50",                    METRIC_QUANTILE, METRIC_LOWER },
	{ "latency_p95_s",         "s",     "latency p95",                    METRIC_QUANTILE, METRIC_LOWER },
	{ "latency_p99_s",         "s",     "latency p99",                    METRIC_QUANTILE, METRIC_LOWER },
	{ "exec_time_s",           "s",     "job execution time on the worker", METRIC_MEAN,   METRIC_LOWER },
	{ "workload_s",            "s",     "workload (first submission to last answer)", METRIC_LAST, METRIC_LOWER },
	{ "first_infer_extra_s",   "s",     "first inference over the median", METRIC_LAST,    METRIC_LOWER },
	/* accuracy (models/accuracy.c against the dataset's labels) */
	{ "map50",                 "",      "mAP@0.5",                        METRIC_LAST,     METRIC_HIGHER },
	{ "f1",                    "",      "F1 score",                       METRIC_RATIO,    METRIC_HIGHER },
	{ "precision",             "",      "precision",                      METRIC_RATIO,    METRIC_HIGHER },
	{ "recall",                "",      "recall",                         METRIC_RATIO,    METRIC_HIGHER },
	{ "mean_conf",             "",      "mean confidence of true positives", METRIC_MEAN,  METRIC_HIGHER },
	/* links: interface counters summed over the nodes of a kind, netem's own loss */
	{ "client_up_bytes",       "bytes",   "client up",                    METRIC_SUM,      METRIC_NEUTRAL },
	{ "client_down_bytes",     "bytes",   "client down",                  METRIC_SUM,      METRIC_NEUTRAL },
	{ "client_up_packets",     "packets", "client up",                    METRIC_SUM,      METRIC_NEUTRAL },
	{ "client_down_packets",   "packets", "client down",                  METRIC_SUM,      METRIC_NEUTRAL },
	{ "server_up_bytes",       "bytes",   "server up",                    METRIC_SUM,      METRIC_NEUTRAL },
	{ "server_down_bytes",     "bytes",   "server down",                  METRIC_SUM,      METRIC_NEUTRAL },
	{ "server_up_packets",     "packets", "server up",                    METRIC_SUM,      METRIC_NEUTRAL },
	{ "server_down_packets",   "packets", "server down",                  METRIC_SUM,      METRIC_NEUTRAL },
	{ "workers_up_bytes",      "bytes",   "workers up",                   METRIC_SUM,      METRIC_NEUTRAL },
	{ "workers_down_bytes",    "bytes",   "workers down",                 METRIC_SUM,      METRIC_NEUTRAL },
	{ "workers_up_packets",    "packets", "workers up",                   METRIC_SUM,      METRIC_NEUTRAL },
	{ "workers_down_packets",  "packets", "workers down",                 METRIC_SUM,      METRIC_NEUTRAL },
	{ "client_up_loss_measured",   "fraction", "client up loss (netem)",  METRIC_RATIO,    METRIC_NEUTRAL },
	{ "client_down_loss_measured", "fraction", "client down loss (netem)", METRIC_RATIO,   METRIC_NEUTRAL },
	{ "server_up_loss_measured",   "fraction", "server up loss (netem)",  METRIC_RATIO,    METRIC_NEUTRAL },
	{ "server_down_loss_measured", "fraction", "server down loss (netem)", METRIC_RATIO,   METRIC_NEUTRAL },
	{ "workers_up_loss_measured",  "fraction", "workers up loss (netem)", METRIC_RATIO,    METRIC_NEUTRAL },
	{ "workers_down_loss_measured", "fraction", "workers down loss (netem)", METRIC_RATIO, METRIC_NEUTRAL },
	/* the edge tier (pipeline/edge.c's counters; scenarios/trial.c) */
	{ "edge_in_bytes",         "bytes",   "image bytes into the edge",    METRIC_SUM,      METRIC_NEUTRAL },
	{ "edge_out_bytes",        "bytes",   "image bytes out of the edge",  METRIC_SUM,      METRIC_LOWER },
	{ "edge_out_pct",          "%",     "edge out / in",                  METRIC_LAST,     METRIC_LOWER },
	{ "edge_to_server_bytes",  "bytes",   "edge to server (its link)",    METRIC_SUM,      METRIC_LOWER },
	{ "server_to_edge_bytes",  "bytes",   "server to edge (its link)",    METRIC_SUM,      METRIC_NEUTRAL },
	/* the trial itself (scenarios/trial.c) */
	{ "setup_s",               "s",     "testbed setup",                  METRIC_LAST,     METRIC_LOWER },
	{ "workers_ready_s",       "s",     "workers ready",                  METRIC_LAST,     METRIC_LOWER },
	{ "client_s",              "s",     "client run",                     METRIC_LAST,     METRIC_LOWER },
	{ "trial_wall_s",          "s",     "trial wall time",                METRIC_LAST,     METRIC_LOWER },
	{ "overhead_s",            "s",     "overhead (wall time - workload)", METRIC_LAST,    METRIC_LOWER },
	{ "warm_workers",          "",      "warm workers (1 yes, 0 no)",     METRIC_LAST,     METRIC_NEUTRAL },
	{ "standby_load_s",        "s",     "standby workers loaded before the trial", METRIC_LAST, METRIC_LOWER },
	{ "workers_peak",          "count", "workers at the peak",            METRIC_LAST,     METRIC_NEUTRAL },
	{ "worker_s",              "s",     "worker time (workers x seconds)", METRIC_SUM,     METRIC_LOWER },
	{ "timer_lateness_p99_ms", "ms",    "timer lateness p99",             METRIC_QUANTILE, METRIC_LOWER },
	{ "host_overloaded",       "",      "host overloaded (1 yes, 0 no)",  METRIC_LAST,     METRIC_LOWER },
	{ "run_restarts",          "count", "restarts of the run: commands",  METRIC_SUM,      METRIC_LOWER },
	/* names that are usually factors */
	{ "workers",               "count", "workers",                        METRIC_LAST,     METRIC_NEUTRAL },
	{ "repeats",               "count", "repetitions",                    METRIC_LAST,     METRIC_NEUTRAL },
};

/* Units of names outside the table, from their suffix (longest first where they overlap). */
static const struct {
	const char *suffix, *unit;
} suffixes[] = {
	{ "_per_s", "1/s" }, { "_gbps", "Gbit/s" }, { "_mbps", "Mbit/s" }, { "_kbps", "kbit/s" },
	{ "_bps", "bit/s" }, { "_ms", "ms" }, { "_us", "µs" }, { "_ns", "ns" }, { "_s", "s" },
	{ "_pct", "%" }, { "_ppm", "ppm" }, { "_frac", "fraction" }, { "_bytes", "bytes" },
	{ "_packets", "packets" }, { "_pkts", "packets" }, { "_count", "count" },
	{ "_px", "pixels" }, { "_cpu", "CPUs" },
};

const struct metric_def *metric_find(const char *name)
{
	for (size_t i = 0; name && i < N(table); i++)
		if (!strcmp(name, table[i].name))
			return &table[i];
	return NULL;
}

size_t metric_count(void)
{
	return N(table);
}

const struct metric_def *metric_at(size_t i)
{
	return i < N(table) ? &table[i] : NULL;
}

static void spaced(const char *s, size_t n, char *buf, size_t len)
{
	size_t i;

	for (i = 0; i < n && i + 1 < len; i++)
		buf[i] = s[i] == '_' ? ' ' : s[i];
	if (len)
		buf[i] = '\0';
}

void metric_describe(const char *name, const char *unit, struct metric_def *ret,
		     char *label_buf, size_t label_len)
{
	const struct metric_def *d = metric_find(name);
	size_t n = strlen(name);

	if (d) {
		*ret = *d;
		snprintf(label_buf, label_len, "%s", d->label);
		ret->label = label_buf;
		return;
	}
	*ret = (struct metric_def){ .name = name, .unit = "", .label = label_buf,
				    .agg = METRIC_MEAN, .better = METRIC_NEUTRAL };
	for (size_t i = 0; i < N(suffixes); i++) {
		size_t k = strlen(suffixes[i].suffix);

		if (n > k && !strcmp(name + n - k, suffixes[i].suffix)) {
			ret->unit = suffixes[i].unit;
			/* a given unit replaces the suffix's, but the suffix still is a unit */
			n -= k;
			break;
		}
	}
	if (unit)
		ret->unit = unit;
	spaced(name, n, label_buf, label_len);
}

void metric_label(const char *name, const char *unit, char *buf, size_t len)
{
	struct metric_def d;
	char lab[160];

	metric_describe(name, unit, &d, lab, sizeof(lab));
	if (*d.unit)
		snprintf(buf, len, "%s (%s)", d.label, d.unit);
	else
		snprintf(buf, len, "%s", d.label);
}

double metric_reduce(enum metric_agg agg, const double *x, size_t n, double q, double span_s)
{
	double sum = 0, den = 0, v;

	if (!n)
		return NAN;
	switch (agg) {
	case METRIC_QUANTILE:
		return stats_quantiles(x, n, &q, 1, &v) == 0 ? v : NAN;
	case METRIC_LAST:
		return x[n - 1];
	case METRIC_RATIO:
		for (size_t i = 0; i + 1 < n; i += 2) {
			sum += x[i];
			den += x[i + 1];
		}
		return den != 0 ? sum / den : NAN;
	case METRIC_MEAN:
	case METRIC_SUM:
	case METRIC_RATE:
		break;
	}
	for (size_t i = 0; i < n; i++)
		sum += x[i];
	if (agg == METRIC_MEAN)
		return sum / (double)n;
	if (agg == METRIC_RATE)
		return span_s > 0 ? sum / span_s : NAN;
	return sum;
}

const char *metric_agg_name(enum metric_agg agg)
{
	static const char *const names[] = { "mean", "quantile", "sum", "rate", "ratio", "last" };

	return (unsigned)agg < N(names) ? names[agg] : "?";
}
