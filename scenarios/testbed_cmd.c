// SPDX-License-Identifier: MIT
/* `qoslab testbed`: a testbed built from the command line or a scenario's topology, kept up
 * while commands run in its nodes, removed on exit or Ctrl-C. It reads scenario files, so
 * it sits in the scenarios layer. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "units.h"
#include "clock.h"
#include "commands.h"
#include "emu/capture.h"
#include "emu/kernel.h"
#include "emu/sampler.h"
#include "emu/testbed.h"
#include "scenarios/scenario.h"

#define TESTBED_CMD_MAX 64 /* --impair and --exec options each */

/* What the command line asked for, checked before any kernel or namespace is touched. */
struct testbed_opts {
	struct testbed_config cfg;
	const char *topology_file;          /* --topology: cfg.topology comes from it */
	enum kernel_mode mode;
	struct {
		char node[64];
		int dirs; /* 1 up, 2 down */
		struct impair im;
	} impairs[TESTBED_CMD_MAX];
	const char *execs[TESTBED_CMD_MAX]; /* NODE=COMMAND */
	int nimpairs, nexecs;
	double hold;                        /* < 0: not given */
	const char *capture_dir, *samples;
	unsigned int interval_ms;
	int timing, print, stats;
};

static void testbed_usage(FILE *f)
{
	fprintf(f,
"usage: qoslab testbed [OPTIONS]\n"
"Builds a star testbed (client, server, worker-1..N, switch) or the topology of a file,\n"
"applies impairments, runs commands in nodes, and removes everything on exit or Ctrl-C.\n\n"
"      --topology FILE     the topology: of FILE (a scenario, or a file with only that\n"
"                          key; graph or star) instead of the star options below\n"
"  -w, --workers N         workers (default 2)\n"
"      --subnet A.B.0.0/16 node addresses (default 10.77.0.0/16;\n"
"                          the client is .0.1, the server .0.2, worker-i .0.(i+2))\n"
"      --cpu-worker C      CPUs per worker (0.5 = half a CPU; default unlimited)\n"
"      --cpu-server C, --cpu-client C\n"
"  -i, --impair SPEC       LINK:up|down|both:KEY=VALUE[,KEY=VALUE...]; LINK is a link's name\n"
"                          or a node with one link (the star's links are named after\n"
"                          their nodes); up is a -> b (node -> switch), down b -> a;\n"
"                          delays are one-way per direction.\n"
"                          keys: delay jitter delay_corr distribution loss loss_corr\n"
"                          loss_gemodel(p/r/1-h/1-k) loss_state(p13/p31/p32/p23/p14)\n"
"                          duplicate duplicate_corr corrupt corrupt_corr reorder reorder_corr\n"
"                          gap rate limit seed\n"
"  -e, --exec NODE=CMD     run CMD (through /bin/sh -c) in NODE (or a switch); waits for\n"
"                          the last one and exits with its status\n"
"      --hold S            keep the testbed up S seconds (0: until Ctrl-C)\n"
"      --log-dir DIR       node logs DIR/NODE.log\n"
"      --kernel K          auto|host|uml (default auto: host if it has netem, else UML)\n"
"      --capture DIR       pcap of every link (DIR/LINK.pcap, taken at its b end: the switch)\n"
"      --samples FILE      CSV of per-node CPU, memory and link counters every --interval\n"
"      --interval MS       sampling interval (default 1000)\n"
"      --stats             print each link's packet and byte counters before teardown\n"
"      --timing            print setup and teardown times (seconds)\n"
"      --print             print nodes, namespaces and addresses\n");
}

/* One option into o: 0; 1 after --help (printed); -EINVAL for bad input, named on stderr. */
static int opt_set(struct testbed_opts *o, int c, const char *arg)
{
	char err[512];
	long v;
	double d;

	switch (c) {
	case 'w':
		if (units_long(arg, 0, TESTBED_MAX_WORKERS, &v) < 0) {
			fprintf(stderr, "qoslab testbed: --workers '%s' is not in 1..%d\n", arg,
				TESTBED_MAX_WORKERS);
			return -EINVAL;
		}
		o->cfg.workers = (unsigned int)v;
		return 0;
	case 's': o->cfg.subnet = arg; return 0;
	case 'W': case 'S': case 'C':
		if (units_double(arg, 0, 4096, &d) < 0) {
			fprintf(stderr, "qoslab testbed: CPU limit '%s' is not a number >= 0\n", arg);
			return -EINVAL;
		}
		*(c == 'W' ? &o->cfg.cpu_worker : c == 'S' ? &o->cfg.cpu_server : &o->cfg.cpu_client) = d;
		return 0;
	case 'i':
		if (o->nimpairs == TESTBED_CMD_MAX) {
			fprintf(stderr, "qoslab testbed: --impair: at most %d\n", TESTBED_CMD_MAX);
			return -EINVAL;
		}
		if (impair_spec_parse(arg, o->impairs[o->nimpairs].node, sizeof(o->impairs[0].node),
				      &o->impairs[o->nimpairs].dirs, &o->impairs[o->nimpairs].im, err,
				      sizeof(err)) < 0) {
			fprintf(stderr, "qoslab testbed: --impair %s\n", err);
			return -EINVAL;
		}
		o->nimpairs++;
		return 0;
	case 'e':
		if (o->nexecs == TESTBED_CMD_MAX || !strchr(arg, '=')) {
			fprintf(stderr, "qoslab testbed: --exec '%s': expected NODE=COMMAND\n", arg);
			return -EINVAL;
		}
		o->execs[o->nexecs++] = arg;
		return 0;
	case 'H':
		if (units_double(arg, 0, 1e9, &o->hold) < 0) {
			fprintf(stderr, "qoslab testbed: --hold '%s' is not a number of seconds >= 0\n", arg);
			return -EINVAL;
		}
		return 0;
	case 'l': o->cfg.log_dir = arg; return 0;
	case 'k':
		if (kernel_mode_parse(arg, &o->mode) < 0) {
			fprintf(stderr, "qoslab testbed: --kernel '%s' is not auto, host or uml\n", arg);
			return -EINVAL;
		}
		return 0;
	case 't': o->timing = 1; return 0;
	case 'c': o->capture_dir = arg; return 0;
	case 'm': o->samples = arg; return 0;
	case 'I':
		if (units_long(arg, 10, 3600000, &v) < 0) {
			fprintf(stderr, "qoslab testbed: --interval '%s' is not 10..3600000 ms\n", arg);
			return -EINVAL;
		}
		o->interval_ms = (unsigned int)v;
		return 0;
	case 'x': o->stats = 1; return 0;
	case 'p': o->print = 1; return 0;
	case 'T': o->topology_file = arg; return 0;
	case 'h': testbed_usage(stdout); return 1;
	default: testbed_usage(stderr); return -EINVAL;
	}
}

/* Fills o from the command line: 0; 1 after --help (printed); -EINVAL for bad input, named
 * on stderr. */
static int testbed_opts_parse(int argc, char **argv, struct testbed_opts *o)
{
	static const struct option opts[] = {
		{ "workers", required_argument, NULL, 'w' },
		{ "subnet", required_argument, NULL, 's' },
		{ "cpu-worker", required_argument, NULL, 'W' },
		{ "cpu-server", required_argument, NULL, 'S' },
		{ "cpu-client", required_argument, NULL, 'C' },
		{ "impair", required_argument, NULL, 'i' },
		{ "exec", required_argument, NULL, 'e' },
		{ "hold", required_argument, NULL, 'H' },
		{ "log-dir", required_argument, NULL, 'l' },
		{ "kernel", required_argument, NULL, 'k' },
		{ "timing", no_argument, NULL, 't' },
		{ "capture", required_argument, NULL, 'c' },
		{ "samples", required_argument, NULL, 'm' },
		{ "interval", required_argument, NULL, 'I' },
		{ "stats", no_argument, NULL, 'x' },
		{ "print", no_argument, NULL, 'p' },
		{ "topology", required_argument, NULL, 'T' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 }
	};
	int c, r;

	memset(o, 0, sizeof(*o));
	o->cfg.workers = 2;
	o->mode = KERNEL_AUTO;
	o->hold = -1;
	o->interval_ms = 1000;
	while ((c = getopt_long(argc, argv, "w:i:e:h", opts, NULL)) != -1)
		if ((r = opt_set(o, c, optarg)) != 0)
			return r;
	if (o->cfg.workers < 1) {
		fprintf(stderr, "qoslab testbed: --workers 0: a testbed needs at least 1 worker\n");
		return -EINVAL;
	}
	return 0;
}

/* pcap of every link into DIR/LINK.pcap (dir NULL: none). *ret holds one capture per link,
 * also those started before a failure, for captures_stop. 0, or the exit status. */
static int captures_start(struct testbed *tb, const char *dir, struct capture ***ret)
{
	struct capture **caps;
	char err[512], path[1024];

	if (!dir)
		return 0;
	caps = calloc((size_t)testbed_link_count(tb), sizeof(*caps));
	if (!caps) {
		fprintf(stderr, "qoslab testbed: --capture: %s\n", strerror(ENOMEM));
		return 1;
	}
	*ret = caps;
	for (int k = 0; k < testbed_link_count(tb); k++) {
		snprintf(path, sizeof(path), "%s/%s.pcap", dir, testbed_link_name(tb, k));
		if (capture_new(tb, k, path, 0, &caps[k], err, sizeof(err)) < 0) {
			fprintf(stderr, "qoslab testbed: %s\n", err);
			return 1;
		}
	}
	return 0;
}

/* Stops and frees the captures (NULL: none); with stats, what each wrote. */
static void captures_stop(struct testbed *tb, struct capture **caps, int stats)
{
	for (int k = 0; caps && k < testbed_link_count(tb); k++) {
		uint64_t pkts = 0, dropped = 0;

		if (!caps[k])
			continue;
		capture_free(caps[k], &pkts, &dropped);
		if (stats)
			printf("capture %-10s %llu packets written, %llu dropped by the capture buffer\n",
			       testbed_link_name(tb, k), (unsigned long long)pkts, (unsigned long long)dropped);
	}
	free(caps);
}

/* The --impair options on the built testbed; 0, or the exit status. */
static int impairs_apply(struct testbed *tb, const struct testbed_opts *o)
{
	for (int i = 0; i < o->nimpairs; i++) {
		const char *node = o->impairs[i].node;
		int k = testbed_link_index(tb, node), r;

		if (k < 0 && (k = testbed_node_index(tb, node)) >= 0) {
			const int *links;

			/* a node stands for its only link */
			if ((r = testbed_node_links(tb, k, &links)) != 1) {
				fprintf(stderr, "qoslab testbed: --impair: %s has %d links: name one\n",
					node, r);
				return 2;
			}
			k = links[0];
		}
		if (k < 0) {
			fprintf(stderr, "qoslab testbed: --impair: no link or node '%s'\n", node);
			return 2;
		}
		for (int d = 0; d < 2; d++) {
			if (!(o->impairs[i].dirs & (1 << d)))
				continue;
			r = testbed_impair(tb, k, (enum link_dir)d, &o->impairs[i].im);
			if (r < 0) {
				fprintf(stderr, "qoslab testbed: netem on %s %s: %s\n", node,
					d ? "down" : "up", strerror(-r));
				return 1;
			}
		}
	}
	return 0;
}

/* The --exec commands, each in its node; *ret_last is the last one's pid. 0, or the exit
 * status. */
static int execs_spawn(struct testbed *tb, const struct testbed_opts *o, pid_t *ret_last)
{
	for (int i = 0; i < o->nexecs; i++) {
		const char *spec = o->execs[i], *eq = strchr(spec, '=');
		char node[64], *sh[] = { "/bin/sh", "-c", (char *)eq + 1, NULL };
		int k, r;

		snprintf(node, sizeof(node), "%.*s", (int)(eq - spec), spec);
		k = testbed_node_index(tb, node);
		if (k == -ENOENT) {
			fprintf(stderr, "qoslab testbed: --exec: no node '%s'\n", node);
			return 2;
		}
		r = testbed_spawn(tb, k, sh, ret_last);
		if (r < 0) {
			fprintf(stderr, "qoslab testbed: --exec in %s: %s\n", node, strerror(-r));
			return 1;
		}
	}
	return 0;
}

/* Until the last --exec command ends (its status), --hold runs out, or a signal (130). */
static int testbed_wait(pid_t last, double hold)
{
	if (last > 0) {
		int st = 0;

		while (waitpid(last, &st, 0) < 0 && errno == EINTR && !qoslab_stop)
			;
		return qoslab_stop ? 130 : WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
	}
	if (hold >= 0) {
		double until = clock_now_s() + hold;

		while (!qoslab_stop && (hold == 0 || clock_now_s() < until))
			usleep(50000);
	}
	return 0;
}

static void links_print(struct testbed *tb)
{
	for (int k = 0; k < testbed_link_count(tb); k++) {
		struct link_stats ls;

		if (testbed_link_stats(tb, k, &ls) == 0)
			printf("link %-10s up %llu B %llu pkt, down %llu B %llu pkt\n", testbed_link_name(tb, k),
			       (unsigned long long)ls.tx_bytes, (unsigned long long)ls.tx_packets,
			       (unsigned long long)ls.rx_bytes, (unsigned long long)ls.rx_packets);
	}
}

/* Builds the testbed o describes (in UML when the host has no netem: argv is run there
 * again), runs it and removes it; the exit status. */
static int testbed_run(const struct testbed_opts *o, char **argv)
{
	struct capture **caps = NULL;
	struct sampler *sampler = NULL;
	struct testbed *tb = NULL;
	int r, status = 0;
	pid_t last = -1;
	double t0, t1;
	char err[512];

	r = kernel_enter(o->mode, argv, &status, err, sizeof(err));
	if (r < 0) {
		fprintf(stderr, "qoslab testbed: %s\n", err);
		return 1;
	}
	if (r == 1)
		return status;

	qoslab_catch_signals();
	t0 = clock_now_s();
	r = testbed_new(&o->cfg, &tb, err, sizeof(err));
	t1 = clock_now_s();
	if (r < 0) {
		fprintf(stderr, "qoslab testbed: %s\n", err);
		return 1;
	}
	if (o->timing)
		printf("setup %.4f s (%d workers)\n", t1 - t0,
		       testbed_with_role(tb, ROLE_WORKER, NULL, 0));
	if (o->print)
		for (int k = 0; k < testbed_node_count(tb); k++)
			printf("%-12s %-16s %s-%s\n", testbed_node_name(tb, k), testbed_node_addr(tb, k),
			       testbed_run_name(tb), testbed_node_name(tb, k));
	status = captures_start(tb, o->capture_dir, &caps);
	if (status)
		goto out;
	if (o->samples && (r = sampler_new(tb, o->samples, o->interval_ms, &sampler)) < 0) {
		fprintf(stderr, "qoslab testbed: --samples %s: %s\n", o->samples, strerror(-r));
		status = 1;
		goto out;
	}
	status = impairs_apply(tb, o);
	if (!status)
		status = execs_spawn(tb, o, &last);
	if (!status)
		status = testbed_wait(last, o->hold);
out:
	if (sampler_free(sampler) < 0 && !status) {
		fprintf(stderr, "qoslab testbed: %s: cannot write the samples\n", o->samples);
		status = 1;
	}
	captures_stop(tb, caps, o->stats);
	if (o->stats)
		links_print(tb);
	t0 = clock_now_s();
	testbed_free(tb);
	if (o->timing)
		printf("teardown %.4f s\n", clock_now_s() - t0);
	return status;
}

int testbed_main(int argc, char **argv)
{
	struct testbed_opts o;
	struct topology *topo = NULL;
	char err[SCENARIO_ERR_MAX];
	int r = testbed_opts_parse(argc, argv, &o);

	if (r != 0)
		return r == 1 ? 0 : 2;
	if (o.topology_file) {
		/* checked here, before a kernel boots */
		if (scenario_load_topology(o.topology_file, &topo, err, sizeof(err)) < 0) {
			fprintf(stderr, "qoslab testbed: --topology %s\n", err);
			return 2;
		}
		o.cfg.topology = topo;
	}
	r = testbed_run(&o, argv);
	topology_free(topo);
	return r;
}
