// SPDX-License-Identifier: MIT
/* `qoslab ns3link` (internal): N fresh namespaces joined by one ns-3 link, commands run in them;
 * for trying a channel by hand and for tests/test_ns3.sh. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <jansson.h>

#include "units.h"
#include "commands.h"
#include "emu/kernel.h"
#include "emu/link.h"
#include "emu/netns.h"
#include "emu/ns3link.h"

static void usage(FILE *f)
{
	fprintf(f,
"usage: qoslab ns3link [OPTIONS]\n"
"Joins N fresh network namespaces (node 1..N, tap ns3-I with address SUBNET.I/24) by one ns-3\n"
"simulated channel run in real time, runs commands in them, and removes everything on exit.\n\n"
"  -c, --channel C         p2p|csma|wifi (default p2p)\n"
"  -n, --nodes N           endpoints (p2p: 2; csma and wifi: 2..%d; default 2)\n"
"      --subnet A.B.C      node I gets A.B.C.I/24 (default 10.78.0)\n"
"  p2p, csma:\n"
"      --rate MBIT         data rate in Mbit/s (default 100)\n"
"      --delay MS          one-way delay in ms (default 0)\n"
"      --queue N           device queue in packets (default 100)\n"
"      --loss P            frame loss in %% per direction (RateErrorModel)\n"
"      --burst P,SIZE      burst losses: start probability in %%, bursts of 1..SIZE frames\n"
"      --drop-list N,N...  the Nth frames each device receives are lost\n"
"  wifi (ad hoc; node 1 at the origin, the others around it):\n"
"      --standard S        a|b|g|n|ac (default a)\n"
"      --wifi-rate R       minstrel or a constant mode, e.g. OfdmRate12Mbps (default minstrel)\n"
"      --distance M[,M...] distance of nodes 2..N from node 1 in m (default 10; the last\n"
"                          value repeats)\n"
"      --exponent X        log-distance path-loss exponent (default 3)\n"
"      --nakagami          Nakagami fading on top\n"
"      --track I=T:D[,T:D...]  node I (2..N) moves: D m from node 1 at T s after the start,\n"
"                          linear in between\n"
"  all:\n"
"      --seed N            ns-3 RngRun (default 1)\n"
"      --pcap DIR          pcap of each simulated device (DIR/ns3-I.pcap)\n"
"      --hard-limit MS     lateness behind real time that fails the run (default 100)\n"
"      --user UID          run the ns-3 program as UID (it needs no privilege)\n"
"  -e, --exec I=CMD        run CMD (through /bin/sh -c) in node I; waits for the last one and\n"
"                          exits with its status\n"
"      --hold S            without --exec: keep the link up S seconds (0: until Ctrl-C)\n"
"      --stats             print the devices' counters as JSON on exit\n"
"      --at T:KEY=V[@I]    T s after the start change the running link: delay=MS, rate=MBIT,\n"
"                          loss=P (%%), distance=M (wifi, needs @I), of node I's device or of\n"
"                          the whole link; T:stats prints the counters then (JSON, one line)\n"
"      --print             print the nodes' addresses and the ns-3 process id\n"
"      --netns PATH        use this namespace (e.g. /run/netns/NAME) for the next node instead\n"
"                          of a fresh one; give one per node\n"
"      --kernel K          auto|host|uml (default auto: host if it can make taps, else UML)\n",
		NS3LINK_MAX_ENDPOINTS);
}

static int loopback_up(int ns_fd)
{
	struct nl_sock *sk = NULL;
	int r = link_sock_new(ns_fd, &sk);

	if (!r)
		r = link_set_up(sk, 1, 1);
	link_sock_free(sk);
	return r;
}

static pid_t spawn_in(int ns_fd, const char *cmd)
{
	pid_t parent = getpid(), pid = fork();

	if (pid != 0)
		return pid;
	if (prctl(PR_SET_PDEATHSIG, SIGKILL) < 0 || getppid() != parent)
		_exit(127);
	/* its own group, so that what the shell forks (PDEATHSIG is not inherited) goes with it */
	if (setpgid(0, 0) < 0 || setns(ns_fd, CLONE_NEWNET) < 0)
		_exit(127);
	signal(SIGPIPE, SIG_DFL);
	execl("/bin/sh", "sh", "-c", cmd, (char *)NULL);
	_exit(127);
}

static void stats_print(const struct ns3link_stats *st)
{
	json_t *o = json_object(), *devs = json_array();

	json_object_set_new(o, "fell_behind", json_boolean(st->fell_behind));
	json_object_set_new(o, "sim_time_s", json_real(st->sim_time_s));
	for (unsigned int i = 0; i < st->n; i++) {
		const struct ns3link_counters *c = &st->dev[i];

		json_array_append_new(devs, json_pack("{s:s, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I}",
			"name", c->name, "sent", (json_int_t)c->sent, "received", (json_int_t)c->received,
			"ignored", (json_int_t)c->ignored, "error_drops", (json_int_t)c->error_drops,
			"queue_drops", (json_int_t)c->queue_drops, "retry_drops", (json_int_t)c->retry_drops,
			"sent_bytes", (json_int_t)c->sent_bytes, "received_bytes", (json_int_t)c->received_bytes));
	}
	json_object_set_new(o, "devices", devs);
	json_dumpf(o, stdout, JSON_COMPACT);
	putchar('\n');
	fflush(stdout);
	json_decref(o);
}

static int parse_distances(const char *s, double *d, unsigned int max)
{
	char buf[512], *save = NULL, *tok;
	unsigned int i = 0;

	snprintf(buf, sizeof(buf), "%s", s);
	for (tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		if (i == max || units_double(tok, 0, 1e6, &d[i]) < 0)
			return -EINVAL;
		i++;
	}
	for (; i && i < max; i++)
		d[i] = d[i - 1];
	return 0;
}

/* One --at: a change of the running link, or a look at its counters. */
struct at {
	double t_s;
	int stats;             /* print the counters instead */
	int dev;               /* -1: the whole link */
	enum ns3link_param key;
	double value;          /* in the key's unit */
	const char *text;      /* as given, for messages */
};

/* "T:KEY=V[@I]" or "T:stats"; the command line's units become ns3link's. */
static int parse_at(const char *s, int nodes, struct at *ret)
{
	static const struct { const char *name; enum ns3link_param key; double scale, max; } keys[] = {
		{ "delay", NS3LINK_DELAY_US, 1e3, 1e6 }, { "rate", NS3LINK_RATE_BPS, 1e6, 1e5 },
		{ "loss", NS3LINK_ERROR_RATE, 1e-2, 100 }, { "distance", NS3LINK_DISTANCE_M, 1, 1e6 },
	};
	char key[32], val[64], *at;
	long node;
	int used = 0;

	*ret = (struct at){ .dev = -1, .text = s };
	if (sscanf(s, "%lf:%n", &ret->t_s, &used) != 1 || ret->t_s < 0)
		return -EINVAL;
	if (!strcmp(s + used, "stats")) {
		ret->stats = 1;
		return 0;
	}
	if (sscanf(s + used, "%31[a-z]=%63s", key, val) != 2)
		return -EINVAL;
	at = strchr(val, '@');
	if (at) {
		*at++ = '\0';
		if (units_long(at, 1, nodes, &node) < 0)
			return -EINVAL;
		ret->dev = (int)node - 1;
	}
	for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
		if (strcmp(key, keys[i].name))
			continue;
		if (units_double(val, 0, keys[i].max, &ret->value) < 0)
			return -EINVAL;
		ret->key = keys[i].key;
		ret->value *= keys[i].scale;
		return 0;
	}
	return -EINVAL;
}

/* "I=T:D,T:D,...": node I's track */
static int parse_track(const char *s, int *ret_node, struct ns3link_waypoint *pts, unsigned int max,
		       unsigned int *ret_n)
{
	char buf[1024], *save = NULL, *tok;
	unsigned int n = 0;
	long node;

	if (!strchr(s, '=') || sscanf(s, "%ld=", &node) != 1 || node < 2 ||
	    node > NS3LINK_MAX_ENDPOINTS)
		return -EINVAL;
	snprintf(buf, sizeof(buf), "%s", strchr(s, '=') + 1);
	for (tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		if (n == max || sscanf(tok, "%lf:%lf", &pts[n].t_s, &pts[n].distance_m) != 2 ||
		    pts[n].t_s < 0 || pts[n].distance_m < 0 || (n && pts[n].t_s < pts[n - 1].t_s))
			return -EINVAL;
		n++;
	}
	if (!n)
		return -EINVAL;
	*ret_node = (int)node;
	*ret_n = n;
	return 0;
}

int ns3link_main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "channel", required_argument, NULL, 'c' }, { "nodes", required_argument, NULL, 'n' },
		{ "subnet", required_argument, NULL, 's' }, { "rate", required_argument, NULL, 'r' },
		{ "delay", required_argument, NULL, 'd' }, { "queue", required_argument, NULL, 'q' },
		{ "loss", required_argument, NULL, 'l' }, { "burst", required_argument, NULL, 'b' },
		{ "drop-list", required_argument, NULL, 'L' }, { "standard", required_argument, NULL, 'S' },
		{ "wifi-rate", required_argument, NULL, 'R' }, { "distance", required_argument, NULL, 'D' },
		{ "exponent", required_argument, NULL, 'x' }, { "nakagami", no_argument, NULL, 'N' },
		{ "seed", required_argument, NULL, 'z' }, { "pcap", required_argument, NULL, 'P' },
		{ "hard-limit", required_argument, NULL, 'H' }, { "user", required_argument, NULL, 'u' },
		{ "exec", required_argument, NULL, 'e' }, { "hold", required_argument, NULL, 'o' },
		{ "stats", no_argument, NULL, 'T' }, { "print", no_argument, NULL, 'p' },
		{ "kernel", required_argument, NULL, 'k' }, { "help", no_argument, NULL, 'h' },
		{ "netns", required_argument, NULL, 'X' }, { "at", required_argument, NULL, 'A' },
		{ "track", required_argument, NULL, 'K' },
		{ 0 }
	};
	struct ns3link_config cfg = { .channel = NS3LINK_P2P };
	struct ns3link_endpoint eps[NS3LINK_MAX_ENDPOINTS];
	double distance[NS3LINK_MAX_ENDPOINTS] = { 0 };
	char ifname[NS3LINK_MAX_ENDPOINTS][IFNAMSIZ], cidr[NS3LINK_MAX_ENDPOINTS][32], err[512];
	const char *subnet = "10.78.0", *execs[32], *netns[NS3LINK_MAX_ENDPOINTS];
	int nnetns = 0;
	int nexecs = 0, nodes = 2, stats = 0, print = 0, c, r, status = 0;
	int ns_fd[NS3LINK_MAX_ENDPOINTS];
	enum kernel_mode mode = KERNEL_AUTO;
	struct ns3link *link = NULL;
	struct ns3link_stats st;
	double hold = -1, v;
	pid_t last = -1, spawned[32];
	const char *at_text[32], *track_text[NS3LINK_MAX_ENDPOINTS];
	struct at ats[32];
	int nats = 0, ntracks = 0, next_at = 0;
	struct ns3link_waypoint track[NS3LINK_MAX_ENDPOINTS][64];
	unsigned int ntrack[NS3LINK_MAX_ENDPOINTS] = { 0 };
	int nspawned = 0;
	long lv;

	distance[0] = 10;
	while ((c = getopt_long(argc, argv, "c:n:e:h", opts, NULL)) != -1) {
		switch (c) {
		case 'c':
			if (ns3link_channel_parse(optarg, &cfg.channel) < 0) {
				fprintf(stderr, "qoslab ns3link: --channel '%s' is not p2p, csma or wifi\n", optarg);
				return 2;
			}
			break;
		case 'n':
			if (units_long(optarg, 2, NS3LINK_MAX_ENDPOINTS, &lv) < 0) {
				fprintf(stderr, "qoslab ns3link: --nodes '%s' is not in 2..%d\n", optarg,
					NS3LINK_MAX_ENDPOINTS);
				return 2;
			}
			nodes = (int)lv;
			break;
		case 's': subnet = optarg; break;
		case 'r': case 'd': case 'l': case 'x': case 'o':
			if (units_double(optarg, 0, 1e9, &v) < 0 || (c == 'l' && v > 100)) {
				fprintf(stderr, "qoslab ns3link: '%s' is not a valid number here\n", optarg);
				return 2;
			}
			if (c == 'r')
				cfg.rate_bps = (uint64_t)(v * 1e6);
			else if (c == 'd')
				cfg.delay_us = (uint64_t)(v * 1e3);
			else if (c == 'l')
				cfg.error_rate = v / 100;
			else if (c == 'x')
				cfg.exponent = v;
			else
				hold = v;
			break;
		case 'q': case 'z': case 'H': case 'u':
			if (units_long(optarg, c == 'z' ? 0 : 1, 2147483647L, &lv) < 0) {
				fprintf(stderr, "qoslab ns3link: '%s' is not a valid whole number here\n", optarg);
				return 2;
			}
			if (c == 'q')
				cfg.queue_packets = (unsigned int)lv;
			else if (c == 'z')
				cfg.seed = (uint64_t)lv;
			else if (c == 'H')
				cfg.hard_limit_ms = (unsigned int)lv;
			else
				cfg.uid = (uid_t)lv;
			break;
		case 'b': {
			unsigned int size;
			double p;

			if (sscanf(optarg, "%lf,%u", &p, &size) != 2 || p <= 0 || p > 100 || !size) {
				fprintf(stderr, "qoslab ns3link: --burst '%s': expected P,SIZE\n", optarg);
				return 2;
			}
			cfg.burst_rate = p / 100;
			cfg.burst_size = size;
			break;
		}
		case 'L': cfg.drop_list = optarg; break;
		case 'S': cfg.standard = optarg; break;
		case 'R': cfg.wifi_rate = optarg; break;
		case 'D':
			if (parse_distances(optarg, distance, NS3LINK_MAX_ENDPOINTS) < 0) {
				fprintf(stderr, "qoslab ns3link: --distance '%s': expected M[,M...]\n", optarg);
				return 2;
			}
			break;
		case 'N': cfg.nakagami = 1; break;
		case 'P': cfg.pcap_dir = optarg; break;
		case 'e':
			if (nexecs == 32 || !strchr(optarg, '=')) {
				fprintf(stderr, "qoslab ns3link: --exec '%s': expected I=COMMAND\n", optarg);
				return 2;
			}
			execs[nexecs++] = optarg;
			break;
		case 'X':
			if (nnetns == NS3LINK_MAX_ENDPOINTS)
				return 2;
			netns[nnetns++] = optarg;
			break;
		case 'A':
			if (nats == 32)
				return 2;
			at_text[nats++] = optarg;
			break;
		case 'K':
			if (ntracks == NS3LINK_MAX_ENDPOINTS)
				return 2;
			track_text[ntracks++] = optarg;
			break;
		case 'T': stats = 1; break;
		case 'p': print = 1; break;
		case 'k':
			if (kernel_mode_parse(optarg, &mode) < 0) {
				fprintf(stderr, "qoslab ns3link: --kernel '%s' is not auto, host or uml\n", optarg);
				return 2;
			}
			break;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return 2;
		}
	}
	if (cfg.channel == NS3LINK_P2P && nodes != 2) {
		fprintf(stderr, "qoslab ns3link: a p2p link joins 2 nodes\n");
		return 2;
	}
	if (nnetns && nnetns != nodes) {
		fprintf(stderr, "qoslab ns3link: %d --netns for %d nodes\n", nnetns, nodes);
		return 2;
	}
	for (int i = 0; i < nats; i++) {
		if (parse_at(at_text[i], nodes, &ats[i]) < 0) {
			fprintf(stderr, "qoslab ns3link: --at '%s': expected T:KEY=VALUE[@NODE] (delay, "
				"rate, loss, distance) or T:stats\n", at_text[i]);
			return 2;
		}
		/* in time order; a handful, so insertion */
		for (int k = i; k > 0 && ats[k].t_s < ats[k - 1].t_s; k--) {
			struct at t = ats[k];

			ats[k] = ats[k - 1];
			ats[k - 1] = t;
		}
	}
	for (int i = 0; i < ntracks; i++) {
		int node;
		struct ns3link_waypoint pts[64];
		unsigned int n;

		if (parse_track(track_text[i], &node, pts, 64, &n) < 0 || node > nodes ||
		    cfg.channel != NS3LINK_WIFI) {
			fprintf(stderr, "qoslab ns3link: --track '%s': expected I=T:D[,T:D...] for a wifi "
				"node I in 2..%d, times in order (at most 64 points)\n", track_text[i], nodes);
			return 2;
		}
		memcpy(track[node - 1], pts, n * sizeof(pts[0]));
		ntrack[node - 1] = n;
	}
	for (int i = 0; i < nexecs; i++) {
		if (sscanf(execs[i], "%ld=", &lv) != 1 ||
		    lv < 1 || lv > nodes) {
			fprintf(stderr, "qoslab ns3link: --exec '%s': no node of that number\n", execs[i]);
			return 2;
		}
	}

	/* a tap in a namespace is all this needs of the kernel: netem is not involved */
	if (!uml_inside() && mode != KERNEL_HOST && (mode == KERNEL_UML || ns3link_probe(err, sizeof(err)) < 0)) {
		r = kernel_enter(KERNEL_UML, argv, &status, err, sizeof(err));
		if (r < 0) {
			fprintf(stderr, "qoslab ns3link: %s\n", err);
			return 1;
		}
		return status;
	}

	qoslab_catch_signals();
	for (int i = 0; i < nodes; i++)
		ns_fd[i] = -1;
	for (int i = 0; i < nodes; i++) {
		if (nnetns) {
			ns_fd[i] = open(netns[i], O_RDONLY | O_CLOEXEC);
			r = ns_fd[i] < 0 ? -errno : 0;
		} else {
			r = netns_new_anonymous(&ns_fd[i]);
		}
		if (!r)
			r = loopback_up(ns_fd[i]);
		if (r < 0) {
			fprintf(stderr, "qoslab ns3link: namespace of node %d: %s\n", i + 1, strerror(-r));
			status = 1;
			goto out;
		}
		snprintf(ifname[i], sizeof(ifname[i]), "ns3-%d", i + 1);
		snprintf(cidr[i], sizeof(cidr[i]), "%s.%d/24", subnet, i + 1);
		eps[i] = (struct ns3link_endpoint){ .ns_fd = ns_fd[i], .ifname = ifname[i], .cidr = cidr[i],
						    .distance_m = i ? distance[i - 1] : 0,
						    .track = track[i], .ntrack = ntrack[i] };
	}
	r = ns3link_new(&cfg, eps, (unsigned int)nodes, &link);
	if (r < 0) {
		fprintf(stderr, "qoslab ns3link: starting %s: %s\n", NS3LINK_PROGRAM,
			r == -NS3LINK_EBEHIND ? "ns-3 fell behind real time" :
			r == -ENOENT ? "not built (install libns3-dev: make deps; then make)" : strerror(-r));
		status = 1;
		goto out;
	}
	if (print) {
		for (int i = 0; i < nodes; i++)
			printf("node %d %s %s\n", i + 1, cidr[i], ifname[i]);
		printf("ns3 pid %d\n", (int)ns3link_pid(link));
		fflush(stdout);
	}
	for (int i = 0; i < nexecs; i++) {
		int k = atoi(execs[i]) - 1;

		last = spawn_in(ns_fd[k], strchr(execs[i], '=') + 1);
		if (last > 0)
			spawned[nspawned++] = last;
		if (last < 0) {
			fprintf(stderr, "qoslab ns3link: fork: %s\n", strerror(errno));
			status = 1;
			goto out;
		}
	}
	/* the last command, the hold time or a signal ends it, or ns-3 failing */
	struct timespec t0;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	while (!qoslab_stop) {
		struct timespec now;
		int ws;

		if (ns3link_check(link) < 0)
			break;
		if (last > 0 && waitpid(last, &ws, WNOHANG) == last) {
			status = WIFEXITED(ws) ? WEXITSTATUS(ws) : 128 + WTERMSIG(ws);
			break;
		}
		clock_gettime(CLOCK_MONOTONIC, &now);
		double t = (double)(now.tv_sec - t0.tv_sec) + (now.tv_nsec - t0.tv_nsec) / 1e9;

		for (; next_at < nats && ats[next_at].t_s <= t; next_at++) {
			const struct at *a = &ats[next_at];

			if (a->stats) {
				r = ns3link_stats(link, &st);
				if (!r)
					stats_print(&st);
			} else {
				r = ns3link_set(link, a->dev, a->key, a->value);
			}
			if (r < 0) {
				fprintf(stderr, "qoslab ns3link: --at '%s': %s\n", a->text,
					r == -EINVAL ? "the link has no such setting (or node)" : strerror(-r));
				status = 1;
				goto out;
			}
		}
		if (last < 0 && hold > 0 &&
		    (double)(now.tv_sec - t0.tv_sec) + (now.tv_nsec - t0.tv_nsec) / 1e9 >= hold)
			break;
		if (last < 0 && hold < 0)
			break;
		usleep(20000);
	}
out:
	for (int i = 0; i < nspawned; i++) {
		kill(-spawned[i], SIGKILL);
		waitpid(spawned[i], NULL, 0);
	}
	if (link) {
		memset(&st, 0, sizeof(st));
		r = ns3link_free(link, &st);
		if (stats && st.n)
			stats_print(&st);
		if (r < 0) {
			fprintf(stderr, "qoslab ns3link: %s\n", r == -NS3LINK_EBEHIND ?
				"ns-3 fell behind real time: its figures are not valid" : strerror(-r));
			status = 1;
		}
	}
	/* the commands die with us (PDEATHSIG); the namespaces with the last of them */
	for (int i = 0; i < nodes; i++)
		if (ns_fd[i] >= 0)
			close(ns_fd[i]);
	return status;
}
