// SPDX-License-Identifier: MIT
/* qoslab client: command line and summary line around client_run. */
#include <curl/curl.h>
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include "models/images.h"
#include "units.h"
#include "commands.h"
#include "pipeline/client.h"
#include "pipeline/udp.h"

struct client_opts {
	const char *server, *dataset, *out, *udp;
	struct client_config cfg;
	int have_concurrency;
};

static void usage(FILE *f)
{
	fprintf(f,
		"usage: qoslab client --server URL --dataset DIR --out FILE.jsonl [--count N]\n"
		"                     [--concurrency K | --rate R] [--timeout S] [--retries N]\n"
		"                     [--duration S] [--seed S] [--shuffle] [--grayscale] [--quality Q]\n"
		"                     [--resize PCT] [--async [--poll-ms MS]] [--udp ADDR:PORT [--chunk BYTES]\n"
		"                     [--reassembly holes|concat] [--udp-pace-us US] [--udp-drop P]]\n"
		"\n"
		"Submits the dataset's images (DIR/images/*.jpg, or DIR/*.jpg) to a qoslab server and\n"
		"writes one JSON line per job (job, image, status ok|timeout|error, error, t_submit,\n"
		"t_done, bytes, worker, attempts, detections...). Prints a summary line at the end.\n"
		"\n"
		"  --server URL          the server's HTTP API, e.g. http://10.0.0.1:8080\n"
		"  --dataset DIR         images/ (+ labels/ for qoslab accuracy)\n"
		"  --out FILE            records ('-': standard output)\n"
		"  --count N             jobs (default: one per image; images repeat when N is larger)\n"
		"  --concurrency K       closed loop: K jobs outstanding (default 1)\n"
		"  --rate R              open loop: Poisson arrivals at R jobs/s\n"
		"  --max-outstanding N   open loop: arrivals wait while N jobs run (default 1024)\n"
		"  --timeout S           per attempt (default 30)\n"
		"  --retries N           more attempts after a timeout, 5xx or transport error (default 2)\n"
		"  --duration S          stop after S s; unfinished jobs are recorded as errors\n"
		"  --seed S              seed of the arrivals and the shuffle (default 1)\n"
		"  --shuffle             send the images in a seeded random order\n"
		"  --grayscale, --quality Q, --resize PCT   preprocessing on the worker\n"
		"  --async               submit with wait=0 (202 + job id), then poll GET /v1/jobs/ID;\n"
		"                        the limits above apply to submissions; records say mode async\n"
		"  --poll-ms MS          async: between two polls of one job (default 200)\n"
		"  --udp ADDR:PORT       send each image as UDP datagrams to the server's --udp port\n"
		"  --chunk BYTES         image bytes per datagram, %d..%d (default 1024)\n"
		"  --reassembly MODE     holes (missing chunks zero-filled, default) or concat\n"
		"  --udp-pace-us US      pause between datagrams (default 0)\n"
		"  --udp-drop P          test aid without netem: the client skips a seeded share P\n"
		"                        (0..1) of its datagrams (client -> server hop only)\n"
		"\n"
		"Exit status: 0 when every record was written and at least one job succeeded;\n"
		"1 when records could not be written (disk full, I/O error: the run stops) or the\n"
		"run could not start; 2 for a usage error; 3 when no job succeeded (server down or\n"
		"unreachable, wrong URL, every job failed or timed out); 130 when interrupted.\n",
		UDP_CHUNK_MIN, UDP_CHUNK_MAX);
}

static int num(const char *opt, const char *s, double lo, double hi, double *ret)
{
	if (units_double(s, lo, hi, ret) < 0) {
		fprintf(stderr, "qoslab client: %s '%s': expected a number in [%g, %g]\n", opt, s, lo, hi);
		return -EINVAL;
	}
	return 0;
}

static int parse_opts(int argc, char **argv, struct client_opts *o)
{
	static const struct option longopts[] = {
		{ "server", required_argument, NULL, 's' },
		{ "dataset", required_argument, NULL, 'd' },
		{ "out", required_argument, NULL, 'o' },
		{ "count", required_argument, NULL, 'n' },
		{ "concurrency", required_argument, NULL, 'k' },
		{ "rate", required_argument, NULL, 'R' },
		{ "max-outstanding", required_argument, NULL, 'M' },
		{ "timeout", required_argument, NULL, 't' },
		{ "retries", required_argument, NULL, 'r' },
		{ "duration", required_argument, NULL, 'D' },
		{ "seed", required_argument, NULL, 'S' },
		{ "shuffle", no_argument, NULL, 'X' },
		{ "grayscale", no_argument, NULL, 'g' },
		{ "quality", required_argument, NULL, 'q' },
		{ "resize", required_argument, NULL, 'z' },
		{ "udp", required_argument, NULL, 'u' },
		{ "chunk", required_argument, NULL, 'c' },
		{ "reassembly", required_argument, NULL, 'A' },
		{ "udp-pace-us", required_argument, NULL, 'P' },
		{ "udp-drop", required_argument, NULL, 'L' },
		{ "async", no_argument, NULL, 'a' },
		{ "poll-ms", required_argument, NULL, 'p' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	struct client_config *c = &o->cfg;
	double v;
	int ch, r = 0;

	while ((ch = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		switch (ch) {
		case 's': o->server = optarg; break;
		case 'd': o->dataset = optarg; break;
		case 'o': o->out = optarg; break;
		case 'u': o->udp = optarg; break;
		case 'g': c->grayscale = 1; break;
		case 'X': c->shuffle = 1; break;
		case 'a': c->async = 1; break;
		case 'p': r = num("--poll-ms", optarg, 1, 600000, &v); c->poll_ms = (int)v; break;
		case 'n': r = num("--count", optarg, 1, 1e8, &v); c->count = (long)v; break;
		case 'k':
			r = num("--concurrency", optarg, 1, 4096, &v);
			c->concurrency = (int)v;
			o->have_concurrency = 1;
			break;
		case 'R': r = num("--rate", optarg, 1e-3, 1e6, &c->rate); break;
		case 'M': r = num("--max-outstanding", optarg, 1, 65536, &v); c->max_outstanding = (int)v; break;
		case 't': r = num("--timeout", optarg, 1e-3, 1e6, &c->timeout_s); break;
		case 'r': r = num("--retries", optarg, 0, 1000, &v); c->retries = (int)v; break;
		case 'D': r = num("--duration", optarg, 1e-3, 1e8, &c->duration_s); break;
		case 'S': r = num("--seed", optarg, 0, 4294967295.0, &v); c->seed = (uint64_t)v; break;
		case 'q': r = num("--quality", optarg, 1, 100, &v); c->quality = (int)v; break;
		case 'z': r = num("--resize", optarg, 1, 100, &v); c->resize_pct = (int)v; break;
		case 'c':
			r = num("--chunk", optarg, UDP_CHUNK_MIN, UDP_CHUNK_MAX, &v);
			c->chunk_bytes = (int)v;
			break;
		case 'P': r = num("--udp-pace-us", optarg, 0, 1e6, &v); c->udp_pace_us = (int)v; break;
		case 'L': r = num("--udp-drop", optarg, 0, 1, &v); c->udp_drop_ppm = (uint32_t)(v * 1e6 + 0.5); break;
		case 'A':
			if (!strcmp(optarg, "holes") || !strcmp(optarg, "concat")) {
				c->concat = !strcmp(optarg, "concat");
			} else {
				fprintf(stderr, "qoslab client: --reassembly '%s': expected holes or concat\n", optarg);
				r = -EINVAL;
			}
			break;
		case 'h':
			usage(stdout);
			exit(0);
		default:
			fprintf(stderr, "qoslab client: see 'qoslab client --help'\n");
			return -EINVAL;
		}
		if (r < 0)
			return r;
	}
	if (optind < argc) {
		fprintf(stderr, "qoslab client: unexpected argument '%s'\n", argv[optind]);
		return -EINVAL;
	}
	if (!o->server || !o->dataset || !o->out) {
		fprintf(stderr, "qoslab client: --server, --dataset and --out are required (see --help)\n");
		return -EINVAL;
	}
	if (c->async && o->udp) {
		fprintf(stderr, "qoslab client: --async and --udp exclude each other (UDP jobs are "
			"synchronous)\n");
		return -EINVAL;
	}
	if (o->have_concurrency && c->rate > 0) {
		fprintf(stderr, "qoslab client: --concurrency and --rate exclude each other\n");
		return -EINVAL;
	}
	return 0;
}

int client_main(int argc, char **argv)
{
	struct client_opts o = { .cfg = { .concurrency = 1, .timeout_s = 30, .retries = 2,
					  .seed = 1, .chunk_bytes = 1024, .max_outstanding = 1024,
					  .poll_ms = 200, .sig_fd = -1 } };
	struct client_summary sum = { 0 };
	char **paths = NULL, *url = NULL;
	size_t n_paths = 0;
	FILE *out = NULL;
	sigset_t set;
	int r, ret = 1;

	if (parse_opts(argc, argv, &o) < 0)
		return 2;
	if (o.udp && (r = sock_addr_parse(o.udp, &o.cfg.udp_addr)) < 0) {
		fprintf(stderr, "qoslab client: --udp '%s': %s\n", o.udp,
			r == -ENOENT ? "unknown host" : "expected ADDR:PORT");
		return 2;
	}
	o.cfg.udp = !!o.udp;
	r = images_list(o.dataset, &paths, &n_paths);
	if (r < 0 || !n_paths) {
		fprintf(stderr, "qoslab client: --dataset %s: %s\n", o.dataset,
			r < 0 ? strerror(-r) : "no .jpg images in it or in its images/");
		images_free(paths, n_paths);
		return 1;
	}
	/* Accept "host:port" as well as a URL; no trailing slash. */
	if (asprintf(&url, "%s%s", strstr(o.server, "://") ? "" : "http://", o.server) < 0)
		goto out;
	while (strlen(url) > 8 && url[strlen(url) - 1] == '/')
		url[strlen(url) - 1] = 0;
	out = strcmp(o.out, "-") ? fopen(o.out, "we") : stdout;
	if (!out) {
		fprintf(stderr, "qoslab client: --out %s: %s\n", o.out, strerror(errno));
		goto out;
	}
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
		fprintf(stderr, "qoslab client: libcurl initialisation failed\n");
		goto out;
	}
	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	sigprocmask(SIG_BLOCK, &set, NULL);
	o.cfg.sig_fd = signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);
	o.cfg.url = url;
	o.cfg.images = paths;
	o.cfg.n_images = n_paths;
	o.cfg.out = out;
	if (!o.cfg.count)
		o.cfg.count = (long)n_paths;
	r = client_run(&o.cfg, &sum);
	curl_global_cleanup();
	if (r < 0) {
		fprintf(stderr, "qoslab client: %s\n", strerror(-r));
		goto out;
	}
	printf("qoslab client: %ld jobs in %.2f s: %ld ok, %ld timeout, %ld error, %ld retries; "
	       "%.2f ok/s; latency ms mean %.1f p50 %.1f p95 %.1f p99 %.1f%s\n",
	       sum.jobs, sum.elapsed_s, sum.ok, sum.timeout, sum.error, sum.retries,
	       sum.jobs_per_s, sum.lat_mean_ms, sum.lat_p50_ms, sum.lat_p95_ms, sum.lat_p99_ms,
	       sum.interrupted ? " (interrupted)" : "");
	if (fflush(stdout) != 0 || ferror(stdout)) {
		if (!sum.write_err)
			sum.write_err = errno ? -errno : -EIO;
	}
	if (sum.write_err) {
		fprintf(stderr, "qoslab client: --out %s: %s: records were lost\n", o.out,
			strerror(-sum.write_err));
		ret = 1;
	} else if (sum.interrupted) {
		ret = 130;
	} else if (!sum.ok && sum.jobs) {
		fprintf(stderr, "qoslab client: no job succeeded (%ld timeout, %ld error)\n",
			sum.timeout, sum.error);
		ret = 3;
	} else {
		ret = 0;
	}
out:
	if (o.cfg.sig_fd >= 0)
		close(o.cfg.sig_fd);
	if (out && out != stdout && fclose(out) != 0 && (!ret || ret == 3)) {
		fprintf(stderr, "qoslab client: --out %s: %s\n", o.out, strerror(errno));
		ret = 1;
	}
	images_free(paths, n_paths);
	free(url);
	return ret;
}
