// SPDX-License-Identifier: MIT
/* `qoslab check`: what this machine can do, and a fidelity self-check on a two-node testbed:
 * configured vs measured one-way delay, loss and rate. */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "commands.h"
#include "emu/cgroup.h"
#include "emu/kernel.h"
#include "emu/lateness.h"
#include "emu/ns3check.h"
#include "emu/ns3link.h"
#include "emu/xstate.h"
#include "emu/testbed.h"
#include "netem/probe.h"

#define FACTS_ENV "QOSLAB_CHECK_FACTS" /* host facts, carried into the UML guest */

static json_t *host_facts(void)
{
	char why[256] = "", kernel[128];
	enum cgroup_version cg = cgroup_detect();
	struct uml_kernel uk;
	size_t xsave = 0;
	int netem = kernel_probe_netem(why, sizeof(why)) == 0;
	json_t *o = json_object();

	kernel_describe(kernel, sizeof(kernel));
	json_object_set_new(o, "kernel", json_string(kernel));
	json_object_set_new(o, "root", json_boolean(geteuid() == 0));
	json_object_set_new(o, "netem_on_host", json_boolean(netem));
	if (!netem)
		json_object_set_new(o, "netem_on_host_why", json_string(why));
	why[0] = 0;
	json_object_set_new(o, "uml_available", json_boolean(uml_available(why, sizeof(why)) == 0));
	if (why[0])
		json_object_set_new(o, "uml_why", json_string(why));
	if (uml_kernel_find(&uk, why, sizeof(why)) == 0) {
		json_object_set_new(o, "uml_kernel", json_string(uk.path));
		json_object_set_new(o, "uml_kernel_seeded_netem", json_boolean(uk.own));
	}
	if (xstate_host_size(&xsave) == 0) {
		char self[PATH_MAX], preload[PATH_MAX + 32];
		ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);

		self[n > 0 ? n : 0] = 0;
		json_object_set_new(o, "xsave_bytes", json_integer((json_int_t)xsave));
		/* what uml_run will do: UML 6.1 moves 2696 bytes; more needs the preload */
		json_object_set_new(o, "uml_xstate_preload",
				    json_string(uml_xstate_preload(self, preload, sizeof(preload), NULL) == 1 ?
						preload : xsave > XSTATE_UML61_BYTES ? "needed, not built" : "not needed"));
	}
	json_object_set_new(o, "cgroup", json_string(cg == CGROUP_V2 ? "v2" : cg == CGROUP_V1 ? "v1" : "none"));
	return o;
}

/* One impairment on its own: whatever the link had before is replaced. */
static int apply(struct testbed *tb, const char *node, enum link_dir dir, const char *key, const char *v)
{
	struct impair im = { 0 };
	char err[256];

	if (impair_set(&im, key, v, err, sizeof(err)) < 0)
		return -EINVAL;
	return testbed_impair(tb, testbed_node_index(tb, node), dir, &im);
}

static json_t *item(const char *name, const char *unit, double configured, double measured,
		    double lo, double hi)
{
	int ok = measured >= lo && measured <= hi;

	return json_pack("{s:s, s:s, s:f, s:f, s:f, s:f, s:b, s:s}", "name", name, "unit", unit,
			 "configured", configured, "measured", measured, "min", lo, "max", hi,
			 "ok", ok, "status", ok ? "ok" : "out_of_tolerance");
}

/* Lost probes of n sent from the client to the server through netem with a seed, after the
 * seed is (re)applied: the kernel's generator restarts there. seqs: lost probe numbers. */
static int seeded_losses(struct testbed *tb, uint32_t n, char *seqs, size_t len, uint32_t *ret_lost)
{
	struct probe_result pr = { 0 };
	size_t off = 0;
	int r;

	struct impair im = { 0 };
	char err[256];

	if (impair_set(&im, "loss", "10%", err, sizeof(err)) < 0)
		return -EINVAL;
	im.seed = 42;
	im.has_seed = 1;
	if ((r = testbed_impair(tb, 1, DIR_DOWN, &im)) < 0 ||
	    (r = probe_udp(tb, 0, 1, 0, n, 250, 300, &pr)) < 0)
		return r;
	seqs[0] = 0;
	for (uint32_t i = 0; i < n && off + 12 < len; i++)
		if (pr.owd_ns[i] < 0)
			off += (size_t)snprintf(seqs + off, len - off, "%u ", i);
	*ret_lost = pr.lost_fwd;
	probe_result_clear(&pr);
	return 0;
}

/*
 * Same seed, same packets, same losses: two runs of 2000 probes must lose exactly the same
 * ones. "unsupported" where the kernel does not even report the seed back (Linux 6.1 as
 * Debian ships it); a kernel that reports it and still differs is out of tolerance.
 */
static int seeded_loss(struct testbed *tb, json_t *items)
{
	static char a[32768], b[32768];
	uint32_t lost_a = 0, lost_b = 0;
	uint64_t seed = 0;
	int r, honoured, same;
	json_t *it;

	if ((r = seeded_losses(tb, 2000, a, sizeof(a), &lost_a)) < 0)
		return r;
	honoured = testbed_netem_seed(tb, 1, DIR_DOWN, &seed) == 0 && seed == 42;
	if ((r = seeded_losses(tb, 2000, b, sizeof(b), &lost_b)) < 0)
		return r;
	same = lost_a > 0 && !strcmp(a, b);
	it = json_pack("{s:s, s:s, s:i, s:i, s:i, s:b, s:b, s:b, s:s}", "name", "seeded_loss",
		       "unit", "probes", "configured", 42, "lost_first", (int)lost_a, "lost_second",
		       (int)lost_b, "identical", same, "kernel_honours_seed", honoured, "ok", same,
		       "status", same ? "ok" : honoured ? "out_of_tolerance" : "unsupported");
	if (!honoured)
		json_object_set_new(it, "why", json_string("this kernel ignores TCA_NETEM_PRNG_SEED "
				    "(Linux < 6.7); `make kernel` builds qoslab's UML kernel, which honours it"));
	json_array_append_new(items, it);
	return 0;
}

/* 99.9 % binomial interval around p for n trials: a correct model fails it once in a thousand
 * checks */
static json_t *loss_item(const char *name, double p, uint64_t n, uint64_t drops)
{
	double half = n > 0 ? 3.2905 * sqrt(p * (1 - p) / (double)n) : 1;

	return item(name, "%", 100 * p, n > 0 ? 100.0 * (double)drops / (double)n : 0,
		    100 * (p - half), 100 * (p + half));
}

static json_t *not_measured(const char *name, const char *status, const char *why)
{
	return json_pack("{s:s, s:b, s:s, s:s}", "name", name, "ok", !strcmp(status, "skipped"),
			 "status", status, "why", why);
}

/*
 * An ns-3 point-to-point link judged like netem (same settings, same tolerances). ns-3 needs
 * no netem, only taps in namespaces; where it is not installed the check says so and passes.
 * Inside UML the simulator gets more lateness before it counts as fallen behind: the guest's
 * timers are coarse.
 */
static void ns3_fidelity(json_t *items)
{
	struct ns3check_result res;
	char why[256];
	json_t *it;
	int r;

	if (ns3link_probe(why, sizeof(why)) < 0) {
		json_array_append_new(items, not_measured("ns3", "skipped", why));
		return;
	}
	r = ns3check_run(uml_inside() ? 1000 : 0, &res);
	if (r == -ENOENT) {
		json_array_append_new(items, not_measured("ns3", "skipped", "ns-3 not installed"));
		return;
	}
	if (r < 0) {
		json_array_append_new(items, not_measured("ns3", r == -NS3LINK_EBEHIND ? "overloaded" : "error",
				      r == -NS3LINK_EBEHIND ? "ns-3 fell behind real time" : strerror(-r)));
		return;
	}
	json_array_append_new(items, item("ns3_delay", "ms", res.delay_ms, res.delay_median_ms,
					  res.delay_ms - 1, res.delay_ms + 1));
	it = loss_item("ns3_loss", res.loss, res.loss_frames, res.loss_drops);
	json_object_set_new(it, "ns3_frames", json_integer((json_int_t)res.loss_frames));
	json_object_set_new(it, "ns3_drops", json_integer((json_int_t)res.loss_drops));
	json_object_set_new(it, "probes_missing", json_integer(res.probes_missing));
	json_array_append_new(items, it);
	json_array_append_new(items, item("ns3_rate", "Mbit/s", res.rate_bps / 1e6,
					  res.rate_measured_bps / 1e6, 0.9 * res.rate_bps / 1e6,
					  res.rate_bps / 1e6));
}

/* Runs in the kernel that has netem. */
static int fidelity(json_t *items, struct lateness_stats *ret_late)
{
	struct testbed_config cfg = { .workers = 1 };
	struct probe_result pr = { 0 };
	struct testbed *tb = NULL;
	struct lateness *late = NULL;
	uint64_t p0 = 0, d0 = 0, p1 = 0, d1 = 0;
	double med, sd, bps, p = 0.10, n;
	char err[256];
	json_t *it;
	int r;

	r = testbed_new(&cfg, &tb, err, sizeof(err));
	if (r < 0)
		return r;
	if ((r = testbed_pin_neighbours(tb)) < 0 || (r = lateness_new(10.0, &late)) < 0)
		goto out;
	/* one-way delay client -> server, imposed on the server's downlink */
	if ((r = apply(tb, "server", DIR_DOWN, "delay", "20ms")) < 0 ||
	    (r = probe_udp(tb, 0, 1, 0, 200, 5000, 300, &pr)) < 0 ||
	    (r = probe_stats(pr.owd_ns, pr.count, &med, &sd)) < 0)
		goto out;
	json_array_append_new(items, item("delay", "ms", 20, med / 1e6, 19, 21));
	probe_result_clear(&pr);

	/* loss as netem counted it: probes missing at the receiver may only be late */
	if ((r = apply(tb, "server", DIR_DOWN, "loss", "10%")) < 0 ||
	    (r = testbed_netem_stats(tb, 1, DIR_DOWN, &p0, &d0)) < 0 ||
	    (r = probe_udp(tb, 0, 1, 0, 4000, 250, 300, &pr)) < 0 ||
	    (r = testbed_netem_stats(tb, 1, DIR_DOWN, &p1, &d1)) < 0)
		goto out;
	n = (double)(p1 - p0) + (double)(d1 - d0);
	it = loss_item("loss", p, (uint64_t)n, d1 - d0);
	json_object_set_new(it, "netem_packets", json_integer((json_int_t)n));
	json_object_set_new(it, "netem_drops", json_integer((json_int_t)(d1 - d0)));
	json_object_set_new(it, "probes_missing", json_integer(pr.lost_fwd));
	json_object_set_new(it, "probes_late_or_lost_elsewhere",
			    json_integer(pr.lost_fwd > d1 - d0 ? (json_int_t)(pr.lost_fwd - (d1 - d0)) : 0));
	json_array_append_new(items, it);
	probe_result_clear(&pr);

	if ((r = seeded_loss(tb, items)) < 0)
		goto out;

	if ((r = apply(tb, "server", DIR_DOWN, "loss", "0%")) < 0 ||
	    (r = apply(tb, "server", DIR_DOWN, "rate", "10mbit")) < 0 ||
	    (r = probe_tcp_rate(tb, 0, 1, 3.0, 1.0, &bps)) < 0)
		goto out;
	json_array_append_new(items, item("rate", "Mbit/s", 10, bps / 1e6, 9.0, 10.0));
out:
	lateness_free(late, ret_late);
	probe_result_clear(&pr);
	testbed_free(tb);
	return r;
}

static void print_machine(json_t *doc)
{
	json_t *facts = json_object_get(doc, "machine"), *v;
	const char *k;

	json_object_foreach(facts, k, v) {
		if (json_is_string(v))
			printf("%-20s %s\n", k, json_string_value(v));
		else if (json_is_integer(v))
			printf("%-20s %lld\n", k, (long long)json_integer_value(v));
		else
			printf("%-20s %s\n", k, json_is_true(v) ? "yes" : "no");
	}
}

static void print_text(json_t *doc)
{
	json_t *v;
	size_t i;

	print_machine(doc);
	printf("fidelity (in %s; delays one-way, per direction):\n",
	       json_string_value(json_object_get(doc, "fidelity_kernel")));
	json_array_foreach(json_object_get(doc, "fidelity"), i, v) {
		const char *st = json_string_value(json_object_get(v, "status"));

		if (!json_object_get(v, "configured") && json_object_get(v, "why")) {
			printf("  %-11s %s: %s\n", json_string_value(json_object_get(v, "name")), st,
			       json_string_value(json_object_get(v, "why")));
			continue;
		}
		if (json_object_get(v, "identical")) {
			printf("  %-11s two runs with seed 42 lost %lld and %lld probes, %s  %s\n",
			       json_string_value(json_object_get(v, "name")),
			       json_integer_value(json_object_get(v, "lost_first")),
			       json_integer_value(json_object_get(v, "lost_second")),
			       json_is_true(json_object_get(v, "identical")) ? "the same ones" : "different ones",
			       st);
			if (json_object_get(v, "why"))
				printf("              %s\n", json_string_value(json_object_get(v, "why")));
			continue;
		}
		printf("  %-11s configured %8.3f %-6s measured %8.3f   [%.3f, %.3f]  %s\n",
		       json_string_value(json_object_get(v, "name")),
		       json_real_value(json_object_get(v, "configured")),
		       json_string_value(json_object_get(v, "unit")),
		       json_real_value(json_object_get(v, "measured")),
		       json_real_value(json_object_get(v, "min")),
		       json_real_value(json_object_get(v, "max")), st);
	}
	if (json_object_get(doc, "timer_lateness_ms"))
		printf("timer lateness      median %.2f ms, p99 %.2f ms, max %.2f ms\n",
		       json_real_value(json_object_get(json_object_get(doc, "timer_lateness_ms"), "median")),
		       json_real_value(json_object_get(json_object_get(doc, "timer_lateness_ms"), "p99")),
		       json_real_value(json_object_get(json_object_get(doc, "timer_lateness_ms"), "max")));
	if (json_object_get(doc, "overload"))
		printf("%s\n", json_string_value(json_object_get(doc, "overload")));
	if (json_object_get(doc, "error"))
		printf("error: %s\n", json_string_value(json_object_get(doc, "error")));
}

int check_main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "kernel", required_argument, NULL, 'k' },
		{ "json", no_argument, NULL, 'j' },
		{ "machine", no_argument, NULL, 'm' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 }
	};
	enum kernel_mode mode = KERNEL_AUTO;
	json_t *doc = NULL, *items;
	int as_json = 0, machine_only = 0, c, r, status = 0, ok = 1, overloaded = 0, inconclusive = 0;
	struct lateness_stats late = { 0 };
	char why[256], kernel[128], *facts_text;
	size_t i;
	json_t *v;

	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 'k':
			if (kernel_mode_parse(optarg, &mode) < 0) {
				fprintf(stderr, "qoslab check: --kernel '%s' is not auto, host or uml\n", optarg);
				return 2;
			}
			break;
		case 'j': as_json = 1; break;
		case 'm': machine_only = 1; break;
		case 'h':
			printf("usage: qoslab check [--kernel auto|host|uml] [--json] [--machine]\n"
			       "Tells what this machine can do and measures configured vs real delay, loss\n"
			       "(netem's own counters), seeded loss (same seed, same lost packets) and rate\n"
			       "on a two-node testbed, while timing the kernel's timers; then delay, loss\n"
			       "and rate through an ns-3 point-to-point link (skipped without ns-3).\n"
			       "Exit status: 0 all within tolerance (seeded_loss may be unsupported by the\n"
			       "kernel); 1 a figure out of tolerance; 3 the host was overloaded (timers\n"
			       "late by more than %.0f ms at p99), so figures out of tolerance say nothing.\n"
			       "--machine prints only what the machine can do (no testbed, in a second).\n",
			       LATENESS_OVERLOAD_MS);
			return 0;
		default: return 2;
		}
	}
	if (!uml_inside()) {
		json_t *facts = host_facts();

		if (machine_only) {
			doc = json_pack("{s:o}", "machine", facts);
			if (as_json)
				json_dumpf(doc, stdout, JSON_INDENT(2)), putchar('\n');
			else
				print_machine(doc);
			json_decref(doc);
			return fflush(stdout) == 0 && !ferror(stdout) ? 0 : 1;
		}
		facts_text = json_dumps(facts, JSON_COMPACT);
		json_decref(facts);
		if (facts_text) {
			setenv(FACTS_ENV, facts_text, 1);
			free(facts_text);
		}
	}
	r = kernel_enter(mode, argv, &status, why, sizeof(why));
	if (r == 1)
		return status;
	doc = json_object();
	json_object_set_new(doc, "machine", json_loads(getenv(FACTS_ENV) ? getenv(FACTS_ENV) : "{}", 0, NULL));
	kernel_describe(kernel, sizeof(kernel));
	json_object_set_new(doc, "fidelity_kernel", json_string(r < 0 ? "none" : kernel));
	items = json_array();
	json_object_set_new(doc, "fidelity", items);
	if (r < 0) {
		json_object_set_new(doc, "error", json_string(why));
		ok = 0;
	} else {
		r = fidelity(items, &late);
		if (r < 0) {
			json_object_set_new(doc, "error", json_string(strerror(-r)));
			ok = 0;
		}
		ns3_fidelity(items);
		overloaded = lateness_overloaded(&late);
		json_object_set_new(doc, "timer_lateness_ms",
				    json_pack("{s:f, s:f, s:f, s:i}", "median", late.median_ms, "p99",
					      late.p99_ms, "max", late.max_ms, "samples", late.samples));
		json_object_set_new(doc, "overloaded", json_boolean(overloaded));
		if (overloaded) {
			char msg[128];

			snprintf(msg, sizeof(msg), "host overloaded, lateness %.1f ms (p99 of the "
				 "guest's 10 ms timers; over %.0f ms the figures are the host's "
				 "scheduling, not netem)", late.p99_ms, LATENESS_OVERLOAD_MS);
			json_object_set_new(doc, "overload", json_string(msg));
		}
	}
	json_array_foreach(items, i, v) {
		const char *st = json_string_value(json_object_get(v, "status"));

		/* an out-of-tolerance figure taken on an overloaded host says nothing of netem */
		if (overloaded && st && !strcmp(st, "out_of_tolerance")) {
			json_object_set_new(v, "status", json_string("overloaded"));
			st = "overloaded";
		}
		if (st && !strcmp(st, "overloaded"))
			inconclusive = 1;
		else if (!st || (strcmp(st, "ok") && strcmp(st, "unsupported") && strcmp(st, "skipped")))
			ok = 0;
	}
	json_object_set_new(doc, "ok", json_boolean(ok && !inconclusive));
	if (as_json)
		json_dumpf(doc, stdout, JSON_INDENT(2)), putchar('\n');
	else
		print_text(doc);
	json_decref(doc);
	return !ok ? 1 : inconclusive ? 3 : 0;
}
