/* SPDX-License-Identifier: MIT */
/* The fidelity check behind `qoslab check`: what the links of a testbed really do against
 * what was configured. */
#ifndef QOSLAB_FIDELITY_H
#define QOSLAB_FIDELITY_H
#include <jansson.h>

#include "emu/lateness.h"

/*
 * Builds a two-node testbed in this kernel (which must have netem) and appends one object
 * per figure to the array items: "delay" (ms), "loss" (%), "seeded_loss", "rate" (Mbit/s),
 * each with configured, measured, its tolerance (min, max), ok and status ("ok",
 * "out_of_tolerance", or "unsupported" for a kernel that ignores the netem seed).
 * ret_late: how late the kernel's 10 ms timers were meanwhile. 0 or -errno; the figures
 * taken before a failure stay in items.
 */
int fidelity_measure(json_t *items, struct lateness_stats *ret_late);
/*
 * The same delay, loss and rate through an ns-3 point-to-point link between two fresh
 * namespaces (measure/ns3check.h), appended as "ns3_delay", "ns3_loss" (the error model's own
 * counters), "ns3_rate"; or one item "ns3" with status "skipped" (ns-3 not installed, no taps
 * here; ok), "overloaded" (the simulator fell behind real time) or "error", with "why".
 */
void fidelity_measure_ns3(json_t *items);
#endif
