// SPDX-License-Identifier: MIT
/* qoslab edge: command line, event log, ready file and final counters around edge. */
#include <curl/curl.h>
#include <errno.h>
#include <getopt.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "commands.h"
#include "pipeline/eventlog.h"
#include "pipeline/edge.h"
#include "units.h"

struct edge_opts {
	const char *http, *ready_file;
	char upstream[1100];
	struct edge_config cfg;
	double grace_s;
	int quiet;
};

static void usage(FILE *f)
{
	fprintf(f,
		"usage: qoslab edge --http ADDR:PORT --server URL [--grayscale] [--quality Q]\n"
		"                   [--resize PCT] [--max-pixels N] [--max-body-mb MB] [--max-jobs N]\n"
		"                   [--max-conns N] [--timeout S] [--grace S] [--ready-file FILE]\n"
		"                   [--quiet]\n"
		"\n"
		"An edge tier in front of a qoslab server: takes POST /v1/jobs like the server,\n"
		"preprocesses each image (grayscale, JPEG quality, resize) and forwards the reduced\n"
		"JPEG to the server, then relays its answer with \"edge\":{bytes_in, bytes_out, width,\n"
		"height, pre_ms} added. GET, HEAD and DELETE of other paths (job polls, lists,\n"
		"health, the job board) are relayed as they are, so clients poll through the edge.\n"
		"GET /v1/edge/stats: the edge's counters (image bytes in and out, answers).\n"
		"At exit (SIGTERM, SIGINT) the counters are printed as one JSON line on stdout.\n"
		"\n"
		"  --http ADDR:PORT    address to serve (port 0: a free one, see --ready-file)\n"
		"  --server URL        the server's API, e.g. http://10.77.0.2:8080\n"
		"  --grayscale, --quality Q (1..100), --resize PCT (1..100)\n"
		"                      the preprocessing (as the worker's); none: images pass as they are\n"
		"  --max-pixels N      larger images are decoded down-scaled, or refused with 422\n"
		"                      (default 1048576)\n"
		"  --max-body-mb MB    larger uploads get 413 (default 32)\n"
		"  --max-jobs N        images in work at once; more get 503 busy (default 32)\n"
		"  --max-conns N       client connections at once, a thread each (default 256)\n"
		"  --timeout S         one forwarded request, end to end; then 504 (default 120)\n"
		"  --grace S           at exit, time given to requests in flight (default 5)\n"
		"  --ready-file FILE   write the bound address as JSON once ready\n"
		"  --quiet             no event log on standard error\n");
}

static int bad(const char *opt, const char *s, const char *want)
{
	fprintf(stderr, "qoslab edge: %s '%s': expected %s\n", opt, s, want);
	return -EINVAL;
}

static int parse_opts(int argc, char **argv, struct edge_opts *o)
{
	static const struct option longopts[] = {
		{ "http", required_argument, NULL, 'H' },
		{ "server", required_argument, NULL, 's' },
		{ "grayscale", no_argument, NULL, 'g' },
		{ "quality", required_argument, NULL, 'q' },
		{ "resize", required_argument, NULL, 'z' },
		{ "max-pixels", required_argument, NULL, 'p' },
		{ "max-body-mb", required_argument, NULL, 'm' },
		{ "max-jobs", required_argument, NULL, 'j' },
		{ "max-conns", required_argument, NULL, 'c' },
		{ "timeout", required_argument, NULL, 't' },
		{ "grace", required_argument, NULL, 'G' },
		{ "ready-file", required_argument, NULL, 'R' },
		{ "quiet", no_argument, NULL, 'Q' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	const char *server = NULL;
	double d;
	long v;
	int c, r = 0;

	while (!r && (c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		switch (c) {
		case 'H': o->http = optarg; break;
		case 's': server = optarg; break;
		case 'R': o->ready_file = optarg; break;
		case 'Q': o->quiet = 1; break;
		case 'g': o->cfg.pp.grayscale = 1; break;
		case 'q':
			if (units_long(optarg, 1, 100, &v) < 0)
				return bad("--quality", optarg, "1..100");
			o->cfg.pp.quality = (int)v;
			break;
		case 'z':
			if (units_long(optarg, 1, 100, &v) < 0)
				return bad("--resize", optarg, "1..100");
			o->cfg.pp.resize_pct = (int)v;
			break;
		case 'p':
			if (units_long(optarg, 1, 1L << 30, &v) < 0)
				return bad("--max-pixels", optarg, "1..1073741824");
			o->cfg.pp.max_pixels = (uint64_t)v;
			break;
		case 'm':
			if (units_long(optarg, 1, 4000, &v) < 0)
				return bad("--max-body-mb", optarg, "1..4000");
			o->cfg.max_body_bytes = (size_t)v << 20;
			break;
		case 'j':
			if (units_long(optarg, 1, 100000, &v) < 0)
				return bad("--max-jobs", optarg, "1..100000");
			o->cfg.max_jobs = (unsigned int)v;
			break;
		case 'c':
			if (units_long(optarg, 1, 100000, &v) < 0)
				return bad("--max-conns", optarg, "1..100000");
			o->cfg.max_conns = (unsigned int)v;
			break;
		case 't':
			if (units_seconds(optarg, &d) < 0 || d < 0.001 || d > 86400)
				return bad("--timeout", optarg, "seconds in [0.001, 86400]");
			o->cfg.timeout_ms = (long)(d * 1000 + 0.5);
			break;
		case 'G':
			if (units_seconds(optarg, &d) < 0 || d < 0 || d > 3600)
				return bad("--grace", optarg, "seconds in [0, 3600]");
			o->grace_s = d;
			break;
		case 'h':
			usage(stdout);
			exit(0);
		default:
			fprintf(stderr, "qoslab edge: see 'qoslab edge --help'\n");
			return -EINVAL;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "qoslab edge: unexpected argument '%s'\n", argv[optind]);
		return -EINVAL;
	}
	if (!o->http || !server) {
		fprintf(stderr, "qoslab edge: --http and --server are required (see --help)\n");
		return -EINVAL;
	}
	/* the server's base URL; a trailing '/' would double the paths' own */
	snprintf(o->upstream, sizeof(o->upstream), "%s", server);
	while (strlen(o->upstream) > 7 && o->upstream[strlen(o->upstream) - 1] == '/')
		o->upstream[strlen(o->upstream) - 1] = 0;
	if (strncmp(o->upstream, "http://", 7) || strlen(o->upstream) <= 7 ||
	    strlen(server) > 1024 || strpbrk(o->upstream + 7, "/?#@ \t\r\n"))
		return bad("--server", server, "http://HOST:PORT (the server's API, plain HTTP)");
	o->cfg.upstream = o->upstream;
	return 0;
}

static int write_ready(const char *path, const struct sock_addr *http)
{
	char tmp[4096], h[64];
	FILE *f;

	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	f = fopen(tmp, "we");
	if (!f)
		return -errno;
	sock_addr_str(http, h, sizeof(h));
	fprintf(f, "{\"http\": \"%s\"}\n", h);
	if (fclose(f) != 0 || rename(tmp, path) < 0)
		return -errno;
	return 0;
}

int edge_main(int argc, char **argv)
{
	struct edge_opts o = {
		.cfg = { .max_body_bytes = 32u << 20, .max_jobs = 32, .max_conns = 256,
			 .timeout_ms = 120000 },
		.grace_s = 5,
	};
	struct sock_addr http, bound;
	struct edge *e = NULL;
	char h[64], *stats = NULL;
	sigset_t set;
	int sig, r, ret = 1;

	if (parse_opts(argc, argv, &o) < 0)
		return 2;
	r = sock_addr_parse(o.http, &http);
	if (r < 0) {
		fprintf(stderr, "qoslab edge: --http '%s': %s\n", o.http,
			r == -ENOENT ? "unknown host" : "expected ADDR:PORT");
		return 2;
	}
	if (!o.quiet)
		o.cfg.log = eventlog_stderr;
	o.cfg.log_arg = (void *)"qoslab edge";
	/* before any thread exists: MHD's threads must not take the signals; this one waits
	 * for them */
	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
		fprintf(stderr, "qoslab edge: libcurl did not initialise\n");
		return 1;
	}
	r = edge_new(&http, &o.cfg, &e);
	if (r < 0) {
		fprintf(stderr, "qoslab edge: cannot serve HTTP on --http %s: %s\n", o.http,
			strerror(-r));
		goto out;
	}
	edge_addr(e, &bound);
	sock_addr_str(&bound, h, sizeof(h));
	if (o.ready_file && (r = write_ready(o.ready_file, &bound)) < 0) {
		fprintf(stderr, "qoslab edge: --ready-file %s: %s\n", o.ready_file, strerror(-r));
		goto out;
	}
	if (!o.quiet)
		eventlog_stderr((void *)"qoslab edge", "http %s, server %s, grayscale %d, quality %d, resize %d%%", h,
			   o.upstream, o.cfg.pp.grayscale, o.cfg.pp.quality,
			   o.cfg.pp.resize_pct ? o.cfg.pp.resize_pct : 100);
	do
		sig = sigwaitinfo(&set, NULL);
	while (sig < 0 && errno == EINTR);
	ret = 0;
out:
	if (e) {
		/* stopped first, so the counters include what was answered during the grace */
		edge_stop(e, (long)(o.grace_s * 1000));
		stats = edge_stats_text(e);
		edge_free(e);
	}
	if (stats) {
		printf("%s\n", stats);
		if (fflush(stdout) != 0)
			ret = 1;
	}
	free(stats);
	curl_global_cleanup();
	return ret;
}
