// SPDX-License-Identifier: MIT
/* qoslab server: command line, event log and ready file around server (workers) and api (HTTP). */
#include <errno.h>
#include <getopt.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/time.h>
#include <unistd.h>
#include <time.h>

#include "units.h"
#include "commands.h"
#include "pipeline/eventlog.h"
#include "pipeline/api.h"
#include "pipeline/server.h"

struct server_opts {
	const char *http, *listen, *udp, *ready_file, *db;
	struct server_config cfg;
	struct api_config api;
	int quiet;
};

static void usage(FILE *f)
{
	fprintf(f,
		"usage: qoslab server --http ADDR:PORT --listen ADDR:PORT [--udp ADDR:PORT]\n"
		"                     [--queue N] [--job-timeout S] [--result-timeout S]\n"
		"                     [--heartbeat-ms MS] [--heartbeat-timeout S] [--max-attempts N]\n"
		"                     [--max-body-mb MB] [--udp-wait-ms MS] [--db FILE]\n"
		"                     [--ready-file FILE] [--quiet]\n"
		"\n"
		"Serves the job API (POST /v1/jobs with a JPEG body, synchronous or with wait=0\n"
		"asynchronous; GET /v1/jobs[/ID]; DELETE /v1/jobs/ID), GET /v1/health and\n"
		"GET /v1/stats on --http, and dispatches each job to a worker connected on --listen\n"
		"(see pipeline/README.md).\n"
		"Port 0 picks a free port; --ready-file tells which.\n"
		"\n"
		"  --http ADDR:PORT        HTTP API address\n"
		"  --listen ADDR:PORT      worker protocol address\n"
		"  --udp ADDR:PORT         accept images as UDP datagrams (lossy transfer mode)\n"
		"  --queue N               jobs that may wait for a worker; more get 503 (default 64)\n"
		"  --job-timeout S         answer 504 when a job has no result after S s (default 60)\n"
		"  --result-timeout S      re-dispatch a job whose worker has not answered in S s\n"
		"                          (default 30)\n"
		"  --heartbeat-ms MS       heartbeat interval asked of workers (default 500)\n"
		"  --heartbeat-timeout S   a silent worker is presumed dead after S s (default 3)\n"
		"  --max-attempts N        dispatches of one job before it fails with 502 (default 5)\n"
		"  --max-body-mb MB        larger uploads get 413 (default 32)\n"
		"  --udp-wait-ms MS        UDP reassembly deadline after the last datagram (default 200)\n"
		"  --db FILE               keep jobs and results in this SQLite database; a restart on\n"
		"                          it runs the asynchronous jobs left unanswered (default: in\n"
		"                          memory, lost at exit)\n"
		"  --ready-file FILE       write the bound addresses as JSON once ready\n"
		"  --quiet                 no event log on standard error\n");
}

/* Seconds (a number, or with a unit: 500ms) to ms; -1 when invalid. */
static int64_t parse_seconds_ms(const char *s)
{
	double v;

	if (units_seconds(s, &v) < 0 || !(v >= 0) || v > 1e7)
		return -1;
	return (int64_t)(v * 1000 + 0.5);
}

static int parse_opts(int argc, char **argv, struct server_opts *o)
{
	static const struct option longopts[] = {
		{ "http", required_argument, NULL, 'H' },
		{ "listen", required_argument, NULL, 'l' },
		{ "udp", required_argument, NULL, 'u' },
		{ "queue", required_argument, NULL, 'q' },
		{ "job-timeout", required_argument, NULL, 'j' },
		{ "result-timeout", required_argument, NULL, 'r' },
		{ "heartbeat-ms", required_argument, NULL, 'b' },
		{ "heartbeat-timeout", required_argument, NULL, 'B' },
		{ "max-attempts", required_argument, NULL, 'a' },
		{ "max-body-mb", required_argument, NULL, 'm' },
		{ "udp-wait-ms", required_argument, NULL, 'w' },
		{ "ready-file", required_argument, NULL, 'R' },
		{ "db", required_argument, NULL, 'D' },
		{ "quiet", no_argument, NULL, 'Q' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	int c;
	long v;
	int64_t ms;

	while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		const char *name = NULL;

		switch (c) {
		case 'H': o->http = optarg; break;
		case 'l': o->listen = optarg; break;
		case 'u': o->udp = optarg; break;
		case 'R': o->ready_file = optarg; break;
		case 'D': o->db = optarg; break;
		case 'Q': o->quiet = 1; break;
		case 'q':
			if (units_long(optarg, 0, 1000000, &v) < 0)
				name = "--queue' expects 0..1000000";
			o->cfg.dispatch.queue_max = (uint32_t)v;
			break;
		case 'a':
			if (units_long(optarg, 1, 1000, &v) < 0)
				name = "--max-attempts' expects 1..1000";
			o->cfg.dispatch.max_attempts = (int)v;
			break;
		case 'b':
			if (units_long(optarg, 10, 600000, &v) < 0)
				name = "--heartbeat-ms' expects 10..600000";
			o->cfg.heartbeat_ms = (uint32_t)v;
			break;
		case 'w':
			if (units_long(optarg, 1, 600000, &v) < 0)
				name = "--udp-wait-ms' expects 1..600000";
			o->cfg.udp_wait_ms = (uint32_t)v;
			break;
		case 'm':
			if (units_long(optarg, 1, 4000, &v) < 0)
				name = "--max-body-mb' expects 1..4000";
			o->api.max_body_bytes = (size_t)v << 20;
			o->cfg.max_frame_bytes = (uint32_t)(((size_t)v << 20) + 4096);
			break;
		case 'j': case 'r': case 'B':
			ms = parse_seconds_ms(optarg);
			if (ms < 0) {
				name = "a duration' expects seconds >= 0";
				break;
			}
			if (c == 'j')
				o->cfg.dispatch.job_timeout_ms = ms;
			else if (c == 'r')
				o->cfg.dispatch.result_timeout_ms = ms;
			else
				o->cfg.dispatch.heartbeat_timeout_ms = ms;
			break;
		case 'h':
			usage(stdout);
			exit(0);
		default:
			fprintf(stderr, "qoslab server: see 'qoslab server --help'\n");
			return -EINVAL;
		}
		if (name) {
			fprintf(stderr, "qoslab server: '%s' for '%s\n", optarg, name);
			return -EINVAL;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "qoslab server: unexpected argument '%s'\n", argv[optind]);
		return -EINVAL;
	}
	if (!o->http || !o->listen) {
		fprintf(stderr, "qoslab server: --http and --listen are required (see --help)\n");
		return -EINVAL;
	}
	return 0;
}

static int parse_addr(const char *opt, const char *s, struct sock_addr *ret)
{
	int r = sock_addr_parse(s, ret);

	if (r < 0)
		fprintf(stderr, "qoslab server: %s '%s': %s\n", opt, s,
			r == -ENOENT ? "unknown host" : "expected ADDR:PORT");
	return r;
}

/* Written to a temporary name and renamed, so a reader never sees half of it. */
static int write_ready(const char *path, const struct sock_addr *http,
		       const struct sock_addr *listen, const struct sock_addr *udp)
{
	char tmp[4096], h[64], l[64], u[64] = "";
	FILE *f;

	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	f = fopen(tmp, "we");
	if (!f)
		return -errno;
	sock_addr_str(http, h, sizeof(h));
	sock_addr_str(listen, l, sizeof(l));
	if (udp)
		sock_addr_str(udp, u, sizeof(u));
	fprintf(f, "{\"http\": \"%s\", \"listen\": \"%s\", \"udp\": %s%s%s}\n", h, l,
		udp ? "\"" : "", udp ? u : "null", udp ? "\"" : "");
	if (fclose(f) != 0 || rename(tmp, path) < 0)
		return -errno;
	return 0;
}

int server_main(int argc, char **argv)
{
	struct server_opts o = {
		.cfg = {
			.dispatch = { .queue_max = 64, .job_timeout_ms = 60000,
				      .result_timeout_ms = 30000, .heartbeat_timeout_ms = 3000,
				      .max_attempts = 5 },
			.heartbeat_ms = 500, .max_frame_bytes = PROTO_FRAME_MAX_DEFAULT,
			.udp_wait_ms = 200,
		},
		.api = { .max_body_bytes = 32u << 20 },
	};
	struct sock_addr http, bound_http, bound_listen, bound_udp;
	struct server *srv = NULL;
	struct api *api = NULL;
	struct jobstore *store = NULL;
	char err[256];
	size_t recovered = 0;
	char h[64], l[64], u[64] = "-";
	sigset_t set;
	int sig_fd = -1, r, ret = 1;

	if (parse_opts(argc, argv, &o) < 0)
		return 2;
	if (parse_addr("--http", o.http, &http) < 0 ||
	    parse_addr("--listen", o.listen, &o.cfg.listen) < 0 ||
	    (o.udp && parse_addr("--udp", o.udp, &o.cfg.udp) < 0))
		return 2;
	o.cfg.have_udp = !!o.udp;
	if (!o.quiet)
		o.cfg.log = o.api.log = eventlog_stderr;
	o.cfg.log_arg = o.api.log_arg = (void *)"qoslab server";
	o.api.job_timeout_ms = o.cfg.dispatch.job_timeout_ms;
	o.api.queue_max = o.cfg.dispatch.queue_max;
	/* Before any thread exists (MHD starts one), so that no thread takes the signals:
	 * the event loop reads them from a signalfd. */
	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	sig_fd = signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);
	if (sig_fd < 0) {
		fprintf(stderr, "qoslab server: signalfd: %s\n", strerror(errno));
		return 1;
	}
	r = jobstore_new(o.db ? o.db : ":memory:", err, sizeof(err), &store);
	if (r < 0) {
		fprintf(stderr, "qoslab server: --db %s: %s\n", o.db ? o.db : ":memory:", err);
		goto out;
	}
	o.api.store = store;
	o.cfg.job_event = api_job_event;
	o.cfg.job_event_arg = store;
	r = server_new(&o.cfg, &srv);
	if (r < 0) {
		fprintf(stderr, "qoslab server: cannot listen on --listen %s%s%s: %s\n", o.listen,
			o.udp ? " / --udp " : "", o.udp ? o.udp : "", strerror(-r));
		goto out;
	}
	r = api_new(srv, &http, &o.api, &api);
	if (r < 0) {
		fprintf(stderr, "qoslab server: cannot serve HTTP on --http %s: %s\n", o.http,
			strerror(-r));
		goto out;
	}
	r = api_recover(api, &recovered);
	if (r < 0) {
		fprintf(stderr, "qoslab server: --db %s: recovering jobs: %s (%s)\n", o.db,
			strerror(-r), jobstore_error(store));
		server_stop(srv);
		server_run(srv, -1);
		goto out;
	}
	api_addr(api, &bound_http);
	server_listen_addr(srv, &bound_listen);
	sock_addr_str(&bound_http, h, sizeof(h));
	sock_addr_str(&bound_listen, l, sizeof(l));
	if (server_udp_addr(srv, &bound_udp) == 0)
		sock_addr_str(&bound_udp, u, sizeof(u));
	if (o.ready_file && (r = write_ready(o.ready_file, &bound_http, &bound_listen,
					     o.udp ? &bound_udp : NULL)) < 0) {
		fprintf(stderr, "qoslab server: --ready-file %s: %s\n", o.ready_file, strerror(-r));
		/* Answer whatever came in meanwhile before the API stops. */
		server_stop(srv);
		server_run(srv, -1);
		goto out;
	}
	if (!o.quiet)
		eventlog_stderr((void *)"qoslab server", "http %s, workers %s, udp %s, queue %u, db %s (%zu jobs recovered)",
			   h, l, u, o.cfg.dispatch.queue_max, o.db ? o.db : "in memory", recovered);
	r = server_run(srv, sig_fd);
	if (r < 0) {
		fprintf(stderr, "qoslab server: event loop: %s\n", strerror(-r));
		goto out;
	}
	ret = 0;
out:
	/* The API goes first: it waits until every suspended request got its answer. */
	api_free(api);
	server_free(srv);
	jobstore_free(store);
	if (sig_fd >= 0)
		close(sig_fd);
	return ret;
}
