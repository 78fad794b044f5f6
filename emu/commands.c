// SPDX-License-Identifier: MIT
/* The testbed's commands: `qoslab testbed`, `qoslab clean`, `qoslab uml`. */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "clock.h"
#include "units.h"
#include "commands.h"
#include "emu/kernel.h"
#include "emu/sampler.h"
#include "emu/testbed.h"
#include "netem/capture.h"
#include "netem/probe.h"

static void on_signal(int sig)
{
	(void)sig;
	qoslab_stop = 1;
}

void qoslab_catch_signals(void)
{
	struct sigaction sa = { .sa_handler = on_signal };

	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
}

static void testbed_usage(FILE *f)
{
	fprintf(f,
"usage: qoslab testbed [OPTIONS]\n"
"Builds a star testbed (client, server, worker-1..N, switch), applies impairments, runs\n"
"commands in nodes, and removes everything on exit or Ctrl-C.\n\n"
"  -w, --workers N         workers (default 2)\n"
"      --subnet A.B.0.0/16 node addresses (default 10.77.0.0/16;\n"
"                          the client is .0.1, the server .0.2, worker-i .0.(i+2))\n"
"      --cpu-worker C      CPUs per worker (0.5 = half a CPU; default unlimited)\n"
"      --cpu-server C, --cpu-client C\n"
"  -i, --impair SPEC       NODE:up|down|both:KEY=VALUE[,KEY=VALUE...]; up is node -> switch,\n"
"                          down is switch -> node; delays are one-way per direction.\n"
"                          keys: delay jitter delay_corr distribution loss loss_corr\n"
"                          loss_gemodel(p/r/1-h/1-k) loss_state(p13/p31/p32/p23/p14)\n"
"                          duplicate duplicate_corr corrupt corrupt_corr reorder reorder_corr\n"
"                          gap rate limit seed\n"
"  -e, --exec NODE=CMD     run CMD (through /bin/sh -c) in NODE (or 'switch'); waits for\n"
"                          the last one and exits with its status\n"
"      --hold S            keep the testbed up S seconds (0: until Ctrl-C)\n"
"      --log-dir DIR       node logs DIR/NODE.log\n"
"      --kernel K          auto|host|uml (default auto: host if it has netem, else UML)\n"
"      --capture DIR       pcap of every node's link (DIR/NODE.pcap, taken at the switch)\n"
"      --samples FILE      CSV of per-node CPU, memory and link counters every --interval\n"
"      --interval MS       sampling interval (default 1000)\n"
"      --stats             print each link's packet and byte counters before teardown\n"
"      --timing            print setup and teardown times (seconds)\n"
"      --print             print nodes, namespaces and addresses\n");
}

int testbed_main(int argc, char **argv)
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
		{ "help", no_argument, NULL, 'h' },
		{ 0 }
	};
	struct testbed_config cfg = { .workers = 2 };
	enum kernel_mode mode = KERNEL_AUTO;
	const char *impairs[64], *execs[64];
	int nimpairs = 0, nexecs = 0, timing = 0, print = 0, stats = 0, c, r, status = 0;
	const char *capture_dir = NULL, *samples = NULL;
	unsigned int interval_ms = 1000;
	struct capture **caps = NULL;
	struct sampler *sampler = NULL;
	double hold = -1, t0, t1;
	char err[512];
	struct testbed *tb = NULL;
	pid_t last = -1;

	while ((c = getopt_long(argc, argv, "w:i:e:h", opts, NULL)) != -1) {
		switch (c) {
		case 'w': {
			long v;

			if (units_long(optarg, 0, TESTBED_MAX_WORKERS, &v) < 0) {
				fprintf(stderr, "qoslab testbed: --workers '%s' is not in 1..%d\n",
					optarg, TESTBED_MAX_WORKERS);
				return 2;
			}
			cfg.workers = (unsigned int)v;
			break;
		}
		case 's': cfg.subnet = optarg; break;
		case 'W': case 'S': case 'C': {
			double v;

			if (units_double(optarg, 0, 4096, &v) < 0) {
				fprintf(stderr, "qoslab testbed: CPU limit '%s' is not a number >= 0\n", optarg);
				return 2;
			}
			*(c == 'W' ? &cfg.cpu_worker : c == 'S' ? &cfg.cpu_server : &cfg.cpu_client) = v;
			break;
		}
		case 'i':
			if (nimpairs == 64)
				return 2;
			impairs[nimpairs++] = optarg;
			break;
		case 'e':
			if (nexecs == 64 || !strchr(optarg, '=')) {
				fprintf(stderr, "qoslab testbed: --exec '%s': expected NODE=COMMAND\n", optarg);
				return 2;
			}
			execs[nexecs++] = optarg;
			break;
		case 'H':
			if (units_double(optarg, 0, 1e9, &hold) < 0) {
				fprintf(stderr, "qoslab testbed: --hold '%s' is not a number of seconds >= 0\n", optarg);
				return 2;
			}
			break;
		case 'l': cfg.log_dir = optarg; break;
		case 'k':
			if (kernel_mode_parse(optarg, &mode) < 0) {
				fprintf(stderr, "qoslab testbed: --kernel '%s' is not auto, host or uml\n", optarg);
				return 2;
			}
			break;
		case 't': timing = 1; break;
		case 'c': capture_dir = optarg; break;
		case 'm': samples = optarg; break;
		case 'I': {
			long v;

			if (units_long(optarg, 10, 3600000, &v) < 0) {
				fprintf(stderr, "qoslab testbed: --interval '%s' is not 10..3600000 ms\n", optarg);
				return 2;
			}
			interval_ms = (unsigned int)v;
			break;
		}
		case 'x': stats = 1; break;
		case 'p': print = 1; break;
		case 'h': testbed_usage(stdout); return 0;
		default: testbed_usage(stderr); return 2;
		}
	}
	/* everything the user typed is checked before any kernel or namespace is touched */
	struct { char node[64]; int dirs; struct impair im; } parsed[64];
	for (int i = 0; i < nimpairs; i++) {
		memset(&parsed[i], 0, sizeof(parsed[i]));
		if (impair_spec_parse(impairs[i], parsed[i].node, sizeof(parsed[i].node),
				      &parsed[i].dirs, &parsed[i].im, err, sizeof(err)) < 0) {
			fprintf(stderr, "qoslab testbed: --impair %s\n", err);
			return 2;
		}
	}
	if (cfg.workers < 1) {
		fprintf(stderr, "qoslab testbed: --workers 0: a testbed needs at least 1 worker\n");
		return 2;
	}

	r = kernel_enter(mode, argv, &status, err, sizeof(err));
	if (r < 0) {
		fprintf(stderr, "qoslab testbed: %s\n", err);
		return 1;
	}
	if (r == 1)
		return status;

	qoslab_catch_signals();
	t0 = clock_now_s();
	r = testbed_new(&cfg, &tb, err, sizeof(err));
	t1 = clock_now_s();
	if (r < 0) {
		fprintf(stderr, "qoslab testbed: %s\n", err);
		return 1;
	}
	if (timing)
		printf("setup %.4f s (%u workers)\n", t1 - t0, cfg.workers);
	if (print)
		for (int k = 0; k < testbed_node_count(tb); k++)
			printf("%-12s %-16s %s-%s\n", testbed_node_name(tb, k), testbed_node_addr(tb, k),
			       testbed_run_name(tb), testbed_node_name(tb, k));
	status = 0;
	if (capture_dir) {
		caps = calloc((size_t)testbed_node_count(tb), sizeof(*caps));
		for (int k = 0; caps && k < testbed_node_count(tb); k++) {
			char path[1024];

			snprintf(path, sizeof(path), "%s/%s.pcap", capture_dir, testbed_node_name(tb, k));
			if (capture_new(tb, k, path, 0, &caps[k], err, sizeof(err)) < 0) {
				fprintf(stderr, "qoslab testbed: %s\n", err);
				status = 1;
				goto out;
			}
		}
	}
	if (samples && (r = sampler_new(tb, samples, interval_ms, &sampler)) < 0) {
		fprintf(stderr, "qoslab testbed: --samples %s: %s\n", samples, strerror(-r));
		status = 1;
		goto out;
	}
	for (int i = 0; i < nimpairs; i++) {
		int k = testbed_node_index(tb, parsed[i].node);

		if (k < 0) {
			fprintf(stderr, "qoslab testbed: --impair: no node '%s'\n", parsed[i].node);
			status = 2;
			goto out;
		}
		for (int d = 0; d < 2; d++) {
			if (!(parsed[i].dirs & (1 << d)))
				continue;
			r = testbed_impair(tb, k, (enum link_dir)d, &parsed[i].im);
			if (r < 0) {
				fprintf(stderr, "qoslab testbed: netem on %s %s: %s\n", parsed[i].node,
					d ? "down" : "up", strerror(-r));
				status = 1;
				goto out;
			}
		}
	}
	for (int i = 0; i < nexecs; i++) {
		char node[64], *cmd = strchr(execs[i], '=') + 1;
		int k;

		snprintf(node, sizeof(node), "%.*s", (int)(cmd - 1 - execs[i]), execs[i]);
		k = testbed_node_index(tb, node);
		if (k < 0 && k != TESTBED_SWITCH) {
			fprintf(stderr, "qoslab testbed: --exec: no node '%s'\n", node);
			status = 2;
			goto out;
		}
		char *sh[] = { "/bin/sh", "-c", cmd, NULL };
		r = testbed_spawn(tb, k, sh, &last);
		if (r < 0) {
			fprintf(stderr, "qoslab testbed: --exec in %s: %s\n", node, strerror(-r));
			status = 1;
			goto out;
		}
	}
	if (last > 0) {
		int st;

		while (waitpid(last, &st, 0) < 0 && errno == EINTR && !qoslab_stop)
			;
		status = qoslab_stop ? 130 : WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
	} else if (hold >= 0) {
		double until = clock_now_s() + hold;

		while (!qoslab_stop && (hold == 0 || clock_now_s() < until))
			usleep(50000);
	}
out:
	if (sampler_free(sampler) < 0 && !status) {
		fprintf(stderr, "qoslab testbed: %s: cannot write the samples\n", samples);
		status = 1;
	}
	for (int k = 0; caps && k < testbed_node_count(tb); k++) {
		uint64_t pkts = 0, dropped = 0;

		if (!caps[k])
			continue;
		capture_free(caps[k], &pkts, &dropped);
		if (stats)
			printf("capture %-10s %llu packets written, %llu dropped by the capture buffer\n",
			       testbed_node_name(tb, k), (unsigned long long)pkts, (unsigned long long)dropped);
	}
	free(caps);
	for (int k = 0; stats && k < testbed_node_count(tb); k++) {
		struct link_stats ls;

		if (testbed_link_stats(tb, k, &ls) == 0)
			printf("link %-10s up %llu B %llu pkt, down %llu B %llu pkt\n", testbed_node_name(tb, k),
			       (unsigned long long)ls.tx_bytes, (unsigned long long)ls.tx_packets,
			       (unsigned long long)ls.rx_bytes, (unsigned long long)ls.rx_packets);
	}
	t0 = clock_now_s();
	testbed_free(tb);
	if (timing)
		printf("teardown %.4f s\n", clock_now_s() - t0);
	return status;
}

int clean_main(int argc, char **argv)
{
	unsigned int removed = 0, uml_removed = 0;
	int all = 0;

	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--all")) {
			all = 1;
		} else if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
			printf("usage: qoslab clean [--all]\nRemoves namespaces, cgroups, processes and run "
			       "state that qoslab runs left behind\nwhen their controller died, and the "
			       "kernels and job directories (" UML_JOB_PREFIX "*)\nof UML runs.\n"
			       "--all also removes those of runs still alive.\n");
			return 0;
		} else {
			fprintf(stderr, "qoslab clean: unknown argument '%s'\n", argv[i]);
			return 2;
		}
	}
	/* UML runs first: their kernels may hold the host's testbed objects of nothing, but their
	 * job directories and processes are one's own, root or not */
	uml_clean(all, &uml_removed);
	if (geteuid() == 0)
		testbed_clean(all, &removed);
	else if (!uml_removed)
		fprintf(stderr, "qoslab clean: not root: only UML runs of this user were looked at\n");
	removed += uml_removed;
	printf("removed %u object%s\n", removed, removed == 1 ? "" : "s");
	return 0;
}

int uml_main(int argc, char **argv)
{
	int status = 0, r;

	if (argc < 2 || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
		printf("usage: qoslab uml [--] COMMAND [ARGS...]\nRuns COMMAND inside a User-Mode Linux "
		       "kernel with the host's filesystem, netem and the testbed's modules.\n");
		return argc < 2 ? 2 : 0;
	}
	argv++;
	if (!strcmp(argv[0], "--"))
		argv++;
	if (!argv[0])
		return 2;
	char why[256];
	if (uml_available(why, sizeof(why)) < 0) {
		fprintf(stderr, "qoslab uml: %s\n", why);
		return 1;
	}
	r = uml_run(argv, 0, &status);
	if (r < 0) {
		fprintf(stderr, "qoslab uml: %s\n", strerror(-r));
		return 1;
	}
	return status;
}

int echo_main(int argc, char **argv)
{
	double seconds = 0;
	long port = 0;
	int r;

	if (argc < 2 || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
		printf("usage: qoslab echo PORT [SECONDS]\nA UDP echo service (what failure tests "
		       "and probes talk to inside a node).\n");
		return argc < 2 ? 2 : 0;
	}
	if (units_long(argv[1], 1, 65535, &port) < 0) {
		fprintf(stderr, "qoslab echo: PORT '%s' is not in 1..65535\n", argv[1]);
		return 2;
	}
	if (argc > 2 && units_double(argv[2], 0, 1e9, &seconds) < 0) {
		fprintf(stderr, "qoslab echo: SECONDS '%s' is not a number >= 0\n", argv[2]);
		return 2;
	}
	r = probe_echo_serve((uint16_t)port, seconds);
	if (r < 0) {
		fprintf(stderr, "qoslab echo: port %ld: %s\n", port, strerror(-r));
		return 1;
	}
	return 0;
}
