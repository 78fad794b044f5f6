/* SPDX-License-Identifier: MIT */
/* The fidelity of an ns-3 point-to-point link, for `qoslab check`: two fresh namespaces joined
 * by one, configured vs measured one-way delay, RateErrorModel loss and rate. */
#ifndef QOSLAB_NS3CHECK_H
#define QOSLAB_NS3CHECK_H
#include <stdint.h>

struct ns3check_result {
	double delay_ms;            /* configured one way */
	double delay_median_ms;     /* median one-way delay of the probes */
	double loss;                /* configured frame loss probability (RateErrorModel) */
	uint64_t loss_frames;       /* frames the receiving device's error model judged */
	uint64_t loss_drops;        /* of which it dropped */
	uint32_t probes_missing;    /* probes that never arrived (drops, or lost elsewhere) */
	double rate_bps;            /* configured */
	double rate_measured_bps;   /* TCP goodput at the receiver */
};

/*
 * Builds the link (qoslab-ns3 as ns3link finds it), changes it while it runs (ns3link_set, as a
 * timeline would) and measures; ~7 s. hard_limit_ms as in ns3link_config (0: its default).
 * -ENOENT when qoslab-ns3 is not installed, -NS3LINK_EBEHIND when the simulator fell behind
 * real time (the figures say nothing then), other -errno on failure.
 */
int ns3check_run(unsigned int hard_limit_ms, struct ns3check_result *ret);
#endif
