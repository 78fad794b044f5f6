// SPDX-License-Identifier: MIT
/* qoslab worker: command line, model loading and event log around worker_run. */
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <getopt.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "units.h"
#include "commands.h"
#include "models/locate.h"
#include "pipeline/proto.h"
#include "pipeline/eventlog.h"
#include "pipeline/standby.h"
#include "pipeline/worker.h"

struct worker_opts {
	const char *server, *model, *name;
	float thresh;
	unsigned long long max_pixels;
	double connect_timeout_s;
	int udp_port, letterbox, quiet;
	int standby_fd;           /* > 0: sessions come from this Unix socket */
};

static void usage(FILE *f)
{
	fprintf(f,
		"usage: qoslab worker --server ADDR:PORT [--model PREFIX] [--name NAME] [--thresh T]\n"
		"                     [--max-pixels N] [--connect-timeout S] [--udp-port P]\n"
		"                     [--letterbox] [--quiet] [--standby FD]\n"
		"\n"
		"Connects to a server's worker port (qoslab server --listen), runs the detector on the\n"
		"jobs it sends and returns detections and timings. Reconnects when the connection is\n"
		"lost; exits when the server shuts down, on SIGINT/SIGTERM, or when the server stays\n"
		"unreachable for --connect-timeout.\n"
		"\n"
		"  --server ADDR:PORT    the server's worker port\n"
		"  --model PREFIX        PREFIX.cfg, PREFIX.weights (+ names); default: %s in the\n"
		"                        shared models directory ($QOSLAB_MODELS)\n"
		"  --name NAME           name shown in results (default: worker-PID)\n"
		"  --thresh T            detection confidence threshold (default %g, for mAP)\n"
		"  --max-pixels N        decode at most N pixels: larger images are decoded scaled down\n"
		"                        (down to 1/8 per side), beyond that refused (default %llu)\n"
		"  --connect-timeout S   keep retrying an unreachable server S s (default 60)\n"
		"  --udp-port P          local UDP port for lossy image transfer (default: any)\n"
		"  --letterbox           letterbox instead of plain resize to the network input\n"
		"  --quiet               no event log on standard error\n"
		"  --standby FD          after loading and warming the model, take sessions (a network\n"
		"                        namespace, a log, ADDR:PORT and NAME) from the Unix socket FD,\n"
		"                        one after another, until it closes (qoslab run's warm workers)\n",
		LOCATE_DEFAULT_MODEL, (double)DETECT_THRESH_MAP, (unsigned long long)JPEG_MAX_PIXELS_DEFAULT);
}

/* darknet's first inference pays for lazy allocations (seconds on a busy machine); one on a
 * small synthetic image before registering keeps that out of the first job's timings. */
static void warm_up(struct detector *det)
{
	struct jpeg_image im = { .width = 64, .height = 64 };
	struct preprocess pp = { 0 };
	struct detect_result res = { 0 };
	unsigned char *jpeg = NULL;
	size_t len = 0;

	im.rgb = calloc(64 * 64, 3);
	if (im.rgb && jpeg_encode(&im, 90, 0, &jpeg, &len) == 0 &&
	    detector_run_jpeg(det, jpeg, len, &pp, DETECT_THRESH_DEFAULT, &res) == 0)
		detect_result_clear(&res);
	free(jpeg);
	free(im.rgb);
}

/* "qoslab worker NAME": who speaks in the event log (pipeline/eventlog.h) */
#define WHO_MAX (STANDBY_TEXT_MAX + 16)

static int parse_opts(int argc, char **argv, struct worker_opts *o)
{
	static const struct option longopts[] = {
		{ "server", required_argument, NULL, 's' },
		{ "model", required_argument, NULL, 'm' },
		{ "name", required_argument, NULL, 'n' },
		{ "thresh", required_argument, NULL, 't' },
		{ "max-pixels", required_argument, NULL, 'p' },
		{ "connect-timeout", required_argument, NULL, 'c' },
		{ "udp-port", required_argument, NULL, 'u' },
		{ "letterbox", no_argument, NULL, 'L' },
		{ "quiet", no_argument, NULL, 'Q' },
		{ "standby", required_argument, NULL, 'S' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	uint64_t u;
	double d;
	long v;
	int c;

	while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		switch (c) {
		case 's': o->server = optarg; break;
		case 'm': o->model = optarg; break;
		case 'n':
			/* the server refuses any other name as a bad frame: say so now, not by
			 * reconnecting until --connect-timeout */
			if (!*optarg || strlen(optarg) > PROTO_STR_MAX ||
			    !proto_text_valid(optarg, strlen(optarg))) {
				fprintf(stderr, "qoslab worker: --name: 1 to %d bytes of UTF-8 text "
					"without control characters\n", PROTO_STR_MAX);
				return -EINVAL;
			}
			o->name = optarg;
			break;
		case 'L': o->letterbox = 1; break;
		case 'Q': o->quiet = 1; break;
		case 'S':
			if (units_long(optarg, 3, INT_MAX, &v) < 0) {
				fprintf(stderr, "qoslab worker: --standby '%s': expected a descriptor >= 3\n", optarg);
				return -EINVAL;
			}
			o->standby_fd = (int)v;
			break;
		case 't':
			if (units_double(optarg, 0, 1, &d) < 0 || d >= 1) {
				fprintf(stderr, "qoslab worker: --thresh '%s': expected a number in [0,1)\n", optarg);
				return -EINVAL;
			}
			o->thresh = (float)d;
			break;
		case 'p':
			if (units_u64(optarg, 10, UINT64_MAX, &u) < 0 || !u) {
				fprintf(stderr, "qoslab worker: --max-pixels '%s': expected a positive integer\n", optarg);
				return -EINVAL;
			}
			o->max_pixels = u;
			break;
		case 'c':
			if (units_double(optarg, 0, INT_MAX / 1000, &o->connect_timeout_s) < 0) {
				fprintf(stderr, "qoslab worker: --connect-timeout '%s': expected seconds >= 0\n", optarg);
				return -EINVAL;
			}
			break;
		case 'u':
			if (units_long(optarg, 0, 65535, &v) < 0) {
				fprintf(stderr, "qoslab worker: --udp-port '%s': expected 0..65535\n", optarg);
				return -EINVAL;
			}
			o->udp_port = (int)v;
			break;
		case 'h':
			usage(stdout);
			exit(0);
		default:
			fprintf(stderr, "qoslab worker: see 'qoslab worker --help'\n");
			return -EINVAL;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "qoslab worker: unexpected argument '%s'\n", argv[optind]);
		return -EINVAL;
	}
	if (!o->server && !o->standby_fd) {
		fprintf(stderr, "qoslab worker: --server ADDR:PORT is required (see --help)\n");
		return -EINVAL;
	}
	return 0;
}

/*
 * Sessions from the pool, one after another: enter the node's network namespace (sockets
 * made from then on live there), log to the trial's file, serve until the pool's SIGTERM
 * ends the session, come back and say so. The model stays loaded and its buffers mapped,
 * which is the point: inside UML darknet's first inference costs seconds of page faults.
 */
static int standby_loop(struct worker_config *cfg, int sock, int sig_fd, char *who)
{
	char server[STANDBY_TEXT_MAX], name[STANDBY_TEXT_MAX];
	int home = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC), r;

	if (home < 0)
		return -errno;
	/* loaded and warm: the pool may lend it (it waits for this before a trial) */
	if (send(sock, STANDBY_IDLE, sizeof(STANDBY_IDLE) - 1, MSG_NOSIGNAL) < 0) {
		r = -errno;
		close(home);
		return r;
	}
	for (;;) {
		int ns = -1, log = -1;

		r = standby_recv(sock, &ns, &log, server, sizeof(server), name, sizeof(name));
		if (r == -ENODATA) {
			r = 0; /* the pool closed: its run is over */
			break;
		}
		if (r < 0)
			break;
		dup2(log, 2);
		close(log);
		r = setns(ns, CLONE_NEWNET) < 0 ? -errno : 0;
		close(ns);
		if (r == 0)
			r = sock_addr_parse(server, &cfg->server);
		if (r < 0) {
			fprintf(stderr, "qoslab worker: standby session %s %s: %s\n", server, name, strerror(-r));
			break;
		}
		snprintf(who, WHO_MAX, "qoslab worker %s", name);
		cfg->name = name;
		/* a SIGTERM that ended no session (it came after the last one ended by itself)
		 * must not end this one */
		for (struct pollfd pf = { .fd = sig_fd, .events = POLLIN };
		     poll(&pf, 1, 0) == 1 && (pf.revents & POLLIN);) {
			struct signalfd_siginfo si;

			if (read(sig_fd, &si, sizeof(si)) != sizeof(si))
				break;
		}
		r = worker_run(cfg, sig_fd);
		if (r < 0)
			fprintf(stderr, "qoslab worker %s: server %s unreachable: %s\n", name, server, strerror(-r));
		if (setns(home, CLONE_NEWNET) < 0) {
			r = -errno;
			break;
		}
		if (send(sock, STANDBY_IDLE, sizeof(STANDBY_IDLE) - 1, MSG_NOSIGNAL) < 0) {
			r = -errno;
			break;
		}
	}
	close(home);
	return r;
}

int worker_main(int argc, char **argv)
{
	struct worker_opts o = { .thresh = DETECT_THRESH_MAP, .connect_timeout_s = 60 };
	struct worker_config cfg = { 0 };
	struct detector *det = NULL;
	char *prefix = NULL, *tried = NULL, name[STANDBY_TEXT_MAX];
	const char *model_name;
	char who[WHO_MAX];
	sigset_t set;
	int sig_fd = -1, r, ret = 1;

	if (parse_opts(argc, argv, &o) < 0)
		return 2;
	r = o.server ? sock_addr_parse(o.server, &cfg.server) : 0;
	if (r < 0) {
		fprintf(stderr, "qoslab worker: --server '%s': %s\n", o.server,
			r == -ENOENT ? "unknown host" : "expected ADDR:PORT");
		return 2;
	}
	if (!o.model) {
		r = locate_default_model(&prefix, &tried);
		if (r < 0) {
			fprintf(stderr, "qoslab worker: no --model and no default model (looked in: %s)\n",
				tried ? tried : "?");
			goto out;
		}
		o.model = prefix;
	}
	snprintf(name, sizeof(name), "worker-%d", (int)getpid());
	if (o.name)
		snprintf(name, sizeof(name), "%s", o.name);
	snprintf(who, sizeof(who), "qoslab worker %s", name);
	/* Signals are read from a signalfd by the session loop: no handler, no global. Blocked
	 * before the model loads: a thread darknet starts inherits the mask, and one without it
	 * would take a drain's SIGTERM with the default action, ending the worker without BYE. */
	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	sigprocmask(SIG_BLOCK, &set, NULL);
	r = detector_new(o.model, &det);
	if (r < 0) {
		fprintf(stderr, "qoslab worker: --model %s: cannot load %s.{cfg,weights} (+ names): %s\n",
			o.model, o.model, strerror(-r));
		goto out;
	}
	detector_set_letterbox(det, o.letterbox);
	warm_up(det);
	model_name = strrchr(o.model, '/') ? strrchr(o.model, '/') + 1 : o.model;
	sig_fd = signalfd(-1, &set, SFD_CLOEXEC);
	cfg = (struct worker_config){
		.server = cfg.server, .name = name, .model = model_name, .det = det,
		.thresh = o.thresh, .max_pixels = o.max_pixels,
		.connect_timeout_ms = (int)(o.connect_timeout_s * 1000), .udp_port = o.udp_port,
		.log = o.quiet ? NULL : eventlog_stderr, .log_arg = who,
	};
	if (o.standby_fd) {
		ret = standby_loop(&cfg, o.standby_fd, sig_fd, who) < 0;
		goto out;
	}
	r = worker_run(&cfg, sig_fd);
	if (r < 0) {
		fprintf(stderr, "qoslab worker %s: server %s unreachable for %g s: %s\n", name,
			o.server, o.connect_timeout_s, strerror(-r));
		goto out;
	}
	ret = 0;
out:
	if (sig_fd >= 0)
		close(sig_fd);
	detector_free(det);
	free(prefix);
	free(tried);
	return ret;
}
