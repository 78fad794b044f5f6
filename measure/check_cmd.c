// SPDX-License-Identifier: MIT
/* `qoslab check`: what this machine can do (measure/machine.h), and the fidelity check
 * (measure/fidelity.h) in the kernel that has netem. */
#include <getopt.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "commands.h"
#include "emu/kernel.h"
#include "emu/lateness.h"
#include "emu/ns3link.h"
#include "measure/fidelity.h"
#include "measure/machine.h"

/* ns-3 figures measured on the host, carried into the UML guest like the facts */
#define NS3_ENV "QOSLAB_CHECK_NS3"
#define FACTS_ENV "QOSLAB_CHECK_FACTS" /* host facts, carried into the UML guest */

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
	if (json_object_get(doc, "ns3_kernel") &&
	    !json_equal(json_object_get(doc, "ns3_kernel"), json_object_get(doc, "fidelity_kernel")))
		printf("  (ns3_* measured in %s: ns-3 needs no netem)\n",
		       json_string_value(json_object_get(doc, "ns3_kernel")));
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

/*
 * ns-3 links need no netem, so where the host can make taps they run on the host, as
 * `qoslab ns3link` runs them; inside UML the simulator would share the guest's one CPU with
 * the prober (seen: 1 s behind real time while 1000 probes a second went through it).
 */
static void ns3_on_host(void)
{
	char why[256], kernel[128], *text;
	json_t *items, *o;

	if (ns3link_probe(why, sizeof(why)) < 0)
		return;
	items = json_array();
	fidelity_measure_ns3(items);
	kernel_describe(kernel, sizeof(kernel));
	o = json_pack("{s:s, s:o}", "kernel", kernel, "items", items);
	text = json_dumps(o, JSON_COMPACT);
	json_decref(o);
	if (text) {
		setenv(NS3_ENV, text, 1);
		free(text);
	}
}

/* The host's ns-3 figures, or measured here where the host had none. */
static void ns3_items(json_t *doc, json_t *items)
{
	json_t *pre = getenv(NS3_ENV) ? json_loads(getenv(NS3_ENV), 0, NULL) : NULL;
	char kernel[128];

	if (pre && json_is_array(json_object_get(pre, "items"))) {
		json_array_extend(items, json_object_get(pre, "items"));
		json_object_set(doc, "ns3_kernel", json_object_get(pre, "kernel"));
		json_decref(pre);
		return;
	}
	json_decref(pre);
	fidelity_measure_ns3(items);
	kernel_describe(kernel, sizeof(kernel));
	json_object_set_new(doc, "ns3_kernel", json_string(kernel));
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
		json_t *facts = machine_facts();

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
		ns3_on_host();
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
		/* ns-3 links need no netem: they are judged all the same */
		ns3_items(doc, items);
	} else {
		r = fidelity_measure(items, &late);
		ns3_items(doc, items);
		if (r < 0) {
			json_object_set_new(doc, "error", json_string(strerror(-r)));
			ok = 0;
		}
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
	/* the timers were on time but ns-3 fell behind: the host was overloaded all the same */
	if (inconclusive && !json_object_get(doc, "overload")) {
		char msg[160];

		snprintf(msg, sizeof(msg), "host overloaded, lateness %.1f ms at p99 of the guest's "
			 "timers, but ns-3 fell behind real time: its figures say nothing", late.p99_ms);
		json_object_set_new(doc, "overload", json_string(msg));
	}
	json_object_set_new(doc, "ok", json_boolean(ok && !inconclusive));
	if (as_json)
		json_dumpf(doc, stdout, JSON_INDENT(2)), putchar('\n');
	else
		print_text(doc);
	json_decref(doc);
	return !ok ? 1 : inconclusive ? 3 : 0;
}
