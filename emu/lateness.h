/* SPDX-License-Identifier: MIT */
/*
 * How late this kernel's timers fire: a thread (real-time priority where allowed) sleeps a
 * fixed period again and again and records by how much each wake-up overshoots. Inside UML the guest's timers are the host's
 * signals to one host process, so a busy host shows up here first, as late timers: delays
 * measured then are the host's scheduling, not netem. Trials and `qoslab check` run one to
 * say "host overloaded, lateness X ms" instead of reporting a wrong figure.
 */
#ifndef QOSLAB_LATENESS_H
#define QOSLAB_LATENESS_H

/* p99 lateness above this many ms marks a measurement as taken on an overloaded host.
 * Measured inside qoslab's UML kernel on a quiet 2-core host: p99 1.5-1.8 ms during `qoslab
 * check`, 1.8-3.5 ms during the default scenario's trials; with two CPU hogs on the host
 * 6.9-28 ms. */
#define LATENESS_OVERLOAD_MS 4.0

struct lateness;

struct lateness_stats {
	unsigned int samples;
	double median_ms, p99_ms, max_ms;
};

/* Starts measuring with wake-ups every period_ms. */
int lateness_new(double period_ms, struct lateness **ret);
/* Stops, fills ret (zeros when nothing was measured) and frees. NULL-safe. */
void lateness_free(struct lateness *l, struct lateness_stats *ret);
/* Whether stats say the host was overloaded. */
int lateness_overloaded(const struct lateness_stats *s);
#endif
