// SPDX-License-Identifier: MIT
/* `qoslab check`: what this machine can do, and a fidelity self-check on a two-node testbed:
 * configured vs measured one-way delay, loss and rate. */
#include <errno.h>
#include <getopt.h>
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "commands.h"
#include "emu/cgroup.h"
#include "emu/kernel.h"
#include "emu/testbed.h"
#include "netem/probe.h"

#define FACTS_ENV "QOSLAB_CHECK_FACTS" /* host facts, carried into the UML guest */

static json_t *host_facts(void)
{
	char why[256] = "", kernel[128];
	enum cgroup_version cg = cgroup_detect();
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
	json_object_set_new(o, "cgroup", json_string(cg == CGROUP_V2 ? "v2" : cg == CGROUP_V1 ? "v1" : "none"));
	return o;
}

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
	return json_pack("{s:s, s:s, s:f, s:f, s:f, s:f, s:b}", "name", name, "unit", unit,
			 "configured", configured, "measured", measured, "min", lo, "max", hi,
			 "ok", measured >= lo && measured <= hi);
}

/* Runs in the kernel that has netem. */
static int fidelity(json_t *items)
{
	struct testbed_config cfg = { .workers = 1 };
	struct probe_result pr = { 0 };
	struct testbed *tb = NULL;
	double med, sd, bps, p = 0.10, half;
	char err[256];
	int r;

	r = testbed_new(&cfg, &tb, err, sizeof(err));
	if (r < 0)
		return r;
	/* one-way delay client -> server, imposed on the server's downlink */
	if ((r = apply(tb, "server", DIR_DOWN, "delay", "20ms")) < 0 ||
	    (r = probe_udp(tb, 0, 1, 0, 200, 5000, 300, &pr)) < 0 ||
	    (r = probe_stats(pr.owd_ns, pr.count, &med, &sd)) < 0)
		goto out;
	json_array_append_new(items, item("delay", "ms", 20, med / 1e6, 19, 21));
	probe_result_clear(&pr);

	if ((r = apply(tb, "server", DIR_DOWN, "loss", "10%")) < 0 ||
	    (r = probe_udp(tb, 0, 1, 0, 4000, 250, 300, &pr)) < 0)
		goto out;
	half = 2.5758 * sqrt(p * (1 - p) / pr.count); /* 99 % binomial interval */
	json_array_append_new(items, item("loss", "%", 100 * p, 100.0 * pr.lost_fwd / pr.count,
					  100 * (p - half), 100 * (p + half)));
	probe_result_clear(&pr);

	if ((r = apply(tb, "server", DIR_DOWN, "rate", "10mbit")) < 0 ||
	    (r = probe_tcp_rate(tb, 0, 1, 3.0, 1.0, &bps)) < 0)
		goto out;
	json_array_append_new(items, item("rate", "Mbit/s", 10, bps / 1e6, 9.0, 10.0));
out:
	probe_result_clear(&pr);
	testbed_free(tb);
	return r;
}

static void print_text(json_t *doc)
{
	json_t *facts = json_object_get(doc, "machine"), *v;
	const char *k;
	size_t i;

	json_object_foreach(facts, k, v) {
		if (json_is_string(v))
			printf("%-20s %s\n", k, json_string_value(v));
		else
			printf("%-20s %s\n", k, json_is_true(v) ? "yes" : "no");
	}
	printf("fidelity (in %s; delays one-way, per direction):\n",
	       json_string_value(json_object_get(doc, "fidelity_kernel")));
	json_array_foreach(json_object_get(doc, "fidelity"), i, v)
		printf("  %-6s configured %8.3f %-6s measured %8.3f   [%.3f, %.3f]  %s\n",
		       json_string_value(json_object_get(v, "name")),
		       json_real_value(json_object_get(v, "configured")),
		       json_string_value(json_object_get(v, "unit")),
		       json_real_value(json_object_get(v, "measured")),
		       json_real_value(json_object_get(v, "min")),
		       json_real_value(json_object_get(v, "max")),
		       json_is_true(json_object_get(v, "ok")) ? "ok" : "OUT OF TOLERANCE");
	if (json_object_get(doc, "error"))
		printf("error: %s\n", json_string_value(json_object_get(doc, "error")));
}

int check_main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "kernel", required_argument, NULL, 'k' },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 }
	};
	enum kernel_mode mode = KERNEL_AUTO;
	json_t *doc = NULL, *items;
	int as_json = 0, c, r, status = 0, ok = 1;
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
		case 'h':
			printf("usage: qoslab check [--kernel auto|host|uml] [--json]\n"
			       "Tells what this machine can do and measures configured vs real delay, loss\n"
			       "and rate on a two-node testbed. Exit 0 only when all are within tolerance.\n");
			return 0;
		default: return 2;
		}
	}
	if (!uml_inside()) {
		json_t *facts = host_facts();

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
		r = fidelity(items);
		if (r < 0) {
			json_object_set_new(doc, "error", json_string(strerror(-r)));
			ok = 0;
		}
	}
	json_array_foreach(items, i, v)
		ok &= json_is_true(json_object_get(v, "ok"));
	json_object_set_new(doc, "ok", json_boolean(ok));
	if (as_json)
		json_dumpf(doc, stdout, JSON_INDENT(2)), putchar('\n');
	else
		print_text(doc);
	json_decref(doc);
	return ok ? 0 : 1;
}
