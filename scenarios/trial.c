// SPDX-License-Identifier: MIT
/* A trial from testbed to metrics. The pipeline runs as real processes in the nodes; the
 * controller plays the timeline and reads the client's records when it is done. */
#include <curl/curl.h>
#include <errno.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "clock.h"
#include "emu/lateness.h"
#include "emu/sampler.h"
#include "emu/testbed.h"
#include "models/accuracy.h"
#include "models/record.h"
#include "plots/stats.h"
#include "scenarios/failure.h"
#include "scenarios/scenario.h"
#include "scenarios/sweep.h"
#include "scenarios/trial.h"
#include "scenarios/usercmd.h"
#include "scenarios/warm.h"

#define HTTP_PORT 8080
#define WORKER_PORT 9090
#define UDP_PORT 9091
#define EDGE_PORT 8081
/* workers load darknet and its ~250 OpenCV libraries; inside UML, through hostfs and at a
 * CPU cap, the first load of a run took 164 s here */
#define READY_TIMEOUT_S 600.0

static void sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000 };

	nanosleep(&ts, NULL);
}

/* ---- readiness: GET /v1/health from inside the client's namespace ---- */

struct health {
	const char *url;
	char body[512];
	size_t len;
};

static size_t health_write(char *p, size_t size, size_t n, void *arg)
{
	struct health *h = arg;
	size_t take = size * n;

	if (take > sizeof(h->body) - 1 - h->len)
		take = sizeof(h->body) - 1 - h->len;
	memcpy(h->body + h->len, p, take);
	h->len += take;
	h->body[h->len] = 0;
	return size * n;
}

static int health_get(void *arg)
{
	struct health *h = arg;
	CURL *c = curl_easy_init();
	CURLcode rc;

	if (!c)
		return -ENOMEM;
	h->len = 0;
	h->body[0] = 0;
	curl_easy_setopt(c, CURLOPT_URL, h->url);
	curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, 1000L);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, health_write);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, h);
	rc = curl_easy_perform(c); /* the socket is made here, in the client's namespace */
	curl_easy_cleanup(c);
	return rc == CURLE_OK ? 0 : -EAGAIN;
}

/* The node with the role (client, server): the trial finds them by role, not by index. */
static int role_node(const struct testbed *tb, enum topo_role role)
{
	int k = -1;

	testbed_with_role(tb, role, &k, 1);
	return k;
}

static int wait_ready(struct testbed *tb, int workers, struct warm_pool *warm,
		      volatile sig_atomic_t *stop)
{
	char url[96];
	struct health h = { .url = url };
	double until = clock_now_s() + READY_TIMEOUT_S;

	snprintf(url, sizeof(url), "http://%s:%d/v1/health",
		 testbed_node_addr(tb, role_node(tb, ROLE_SERVER)), HTTP_PORT);
	while (clock_now_s() < until && !*stop) {
		const char *p;

		if (testbed_in_node(tb, role_node(tb, ROLE_CLIENT), health_get, &h) == 0 && (p = strstr(h.body, "\"workers\":")) &&
		    atoi(p + 10) >= workers)
			return 0;
		if (warm)
			warm_pool_poll(warm);
		sleep_ms(100);
	}
	return *stop ? -EINTR : -ETIMEDOUT;
}

/* ---- processes ---- */

static int spawn_worker(struct testbed *tb, const struct scenario *t, const char *bin, int k)
{
	char listen[64], name[32];
	pid_t pid;

	snprintf(listen, sizeof(listen), "%s:%d", testbed_node_addr(tb, role_node(tb, ROLE_SERVER)),
		 WORKER_PORT);
	snprintf(name, sizeof(name), "%s", testbed_node_name(tb, k));
	char *worker[] = { (char *)bin, "worker", "--server", listen, "--model",
			   t->model_prefix, "--name", name, NULL };

	return testbed_spawn(tb, k, worker, &pid);
}

/* ---- the edge tier (qoslab edge) ---- */

/* Whether the edge preprocesses (else the workers do). */
static int edge_preprocesses(const struct scenario *t)
{
	return t->preprocess_at == SCENARIO_AT_EDGE || (t->preprocess_at == SCENARIO_AT_AUTO &&
							topology_count_role(t->topo, ROLE_EDGE) > 0);
}

/* The node that runs qoslab edge, or -1 (none: the client talks to the server): the node
 * with role edge (a plain relay when preprocess.at is worker); without one, the client's own
 * node when the edge preprocesses: the device preprocesses before its uplink, so the
 * client's link towards the server carries the reduced bytes. */
static int edge_node(const struct testbed *tb, const struct scenario *t)
{
	int k = role_node(tb, ROLE_EDGE);

	if (k >= 0)
		return k;
	return edge_preprocesses(t) ? role_node(tb, ROLE_CLIENT) : -1;
}

static int spawn_edge(struct testbed *tb, const struct scenario *t, const char *bin, int k,
		      char *err, size_t errlen)
{
	char http[64], server[96], quality[16], resize[16], timeout[32], max[16];
	pid_t pid;
	int r, n;

	snprintf(http, sizeof(http), "%s:%d", testbed_node_addr(tb, k), EDGE_PORT);
	snprintf(server, sizeof(server), "http://%s:%d",
		 testbed_node_addr(tb, role_node(tb, ROLE_SERVER)), HTTP_PORT);
	/* the client gives up first: its attempts, not the edge, decide a job's fate */
	snprintf(timeout, sizeof(timeout), "%.0f",
		 ceil(t->workload.timeout_s * (t->workload.retries + 1)) + 5);
	/* every job the client may have outstanding is in work at the edge, never refused */
	snprintf(max, sizeof(max), "%d", 16 + (t->workload.mode == SCENARIO_OPEN ?
					      t->workload.max_outstanding : t->workload.concurrency));
	char *edge[24] = { (char *)bin, "edge", "--http", http, "--server", server, "--timeout",
			   timeout, "--max-jobs", max, "--max-conns", max };
	n = 12;
	/* otherwise a plain relay: the workers preprocess */
	if (edge_preprocesses(t) && t->preprocess.grayscale)
		edge[n++] = "--grayscale";
	if (edge_preprocesses(t) && t->preprocess.quality > 0) {
		snprintf(quality, sizeof(quality), "%d", t->preprocess.quality);
		edge[n++] = "--quality";
		edge[n++] = quality;
	}
	if (edge_preprocesses(t) && t->preprocess.resize_pct > 0 && t->preprocess.resize_pct < 100) {
		snprintf(resize, sizeof(resize), "%d", t->preprocess.resize_pct);
		edge[n++] = "--resize";
		edge[n++] = resize;
	}
	edge[n] = NULL;
	if ((r = testbed_spawn(tb, k, edge, &pid)) < 0)
		snprintf(err, errlen, "starting the edge on %s: %s", testbed_node_name(tb, k),
			 strerror(-r));
	return r;
}

/* The edge answers (its own counters) once it listens. */
static int wait_edge(struct testbed *tb, int k, volatile sig_atomic_t *stop)
{
	char url[96];
	struct health h = { .url = url };
	double until = clock_now_s() + READY_TIMEOUT_S;

	snprintf(url, sizeof(url), "http://%s:%d/v1/edge/stats", testbed_node_addr(tb, k), EDGE_PORT);
	while (clock_now_s() < until && !*stop) {
		if (testbed_in_node(tb, role_node(tb, ROLE_CLIENT), health_get, &h) == 0 &&
		    strstr(h.body, "\"bytes_in\":"))
			return 0;
		sleep_ms(100);
	}
	return *stop ? -EINTR : -ETIMEDOUT;
}

static long stat_field(const char *body, const char *key);
static void put(struct trial_metrics *m, const char *name, double v);

/* The edge node's link towards the server: the server's own, or one to a switch the server
 * is on; -1 when the way goes through other nodes (or the edge is the client's node and
 * shares the client's link). */
static int edge_server_link(const struct testbed *tb, int edge, int server)
{
	const int *el, *sl;
	int ne = testbed_node_links(tb, edge, &el), ns = testbed_node_links(tb, server, &sl);

	for (int i = 0; i < ne; i++) {
		int a, b, far;

		testbed_link_ends(tb, el[i], &a, &b);
		far = a == edge ? b : a;
		if (far == server)
			return el[i];
		for (int j = 0; far <= TESTBED_SWITCH && j < ns; j++) {
			int c, d;

			testbed_link_ends(tb, sl[j], &c, &d);
			if (d == far)
				return el[i];
		}
	}
	return -1;
}

/* Wire bytes (headers, acknowledgements and all) on the edge's link towards the server. */
static void edge_link_metrics(struct testbed *tb, int k, struct trial_metrics *m)
{
	int l = edge_server_link(tb, k, role_node(tb, ROLE_SERVER)), a, b;
	struct link_stats ls;

	if (testbed_node_role(tb, k) != ROLE_EDGE || l < 0 || testbed_link_stats(tb, l, &ls) < 0)
		return;
	testbed_link_ends(tb, l, &a, &b);
	/* the counters are the a end's: tx is a -> b */
	put(m, "edge_to_server_bytes", (double)(a == k ? ls.tx_bytes : ls.rx_bytes));
	put(m, "server_to_edge_bytes", (double)(a == k ? ls.rx_bytes : ls.tx_bytes));
}

/* Image bytes into and out of the edge: the saving the edge -> server link sees. */
static void edge_metrics(struct testbed *tb, int k, struct trial_metrics *m)
{
	char url[96];
	struct health h = { .url = url };
	long in, out, images;

	snprintf(url, sizeof(url), "http://%s:%d/v1/edge/stats", testbed_node_addr(tb, k), EDGE_PORT);
	if (testbed_in_node(tb, role_node(tb, ROLE_CLIENT), health_get, &h) < 0)
		return;
	in = stat_field(h.body, "\"bytes_in\":");
	out = stat_field(h.body, "\"bytes_out\":");
	images = stat_field(h.body, "\"images\":");
	if (in < 0 || out < 0 || images < 0)
		return;
	edge_link_metrics(tb, k, m);
	put(m, "edge_in_bytes", (double)in);
	put(m, "edge_out_bytes", (double)out);
	if (in > 0)
		put(m, "edge_out_pct", 100.0 * (double)out / (double)in);
}

/* Whether standby workers can stand in for the workers: not where workers come and go (a
 * removed worker must not take a standby along). A killed one is replaced on recovery
 * (struct relend). */
static int warm_ok(const struct scenario *t)
{
	if (t->autoscaler.max > 0)
		return 0;
	for (size_t i = 0; i < t->n_events; i++)
		if (t->events[i].action == SCENARIO_ADD_WORKER ||
		    t->events[i].action == SCENARIO_REMOVE_WORKER)
			return 0;
	return 1;
}

/* What a worker node killed while served by a standby needs to come back: the standby died
 * with the node and testbed_restart_node has no command of its own to start, so recovery
 * lends it another one. That one loads the model under the node's CPU cap when no idle
 * standby is left, as a worker restarted on a real machine would. */
struct relend {
	struct warm_pool *warm; /* NULL: workers are the testbed's commands */
	const char *model;
	char server[64];
	const char *logs;
};

static int lend_worker(struct testbed *tb, const struct relend *rl, int k)
{
	char log[1024];
	pid_t pid;

	snprintf(log, sizeof(log), "%s/%s.log", rl->logs, testbed_node_name(tb, k));
	return warm_pool_lend(rl->warm, tb, k, rl->model, rl->server, log, &pid);
}

static int spawn_service(struct testbed *tb, const struct scenario *t, const char *bin,
			 const struct relend *rl, char *err, size_t errlen)
{
	int server_node = role_node(tb, ROLE_SERVER);
	const char *srv = testbed_node_addr(tb, server_node);
	char http[64], udp[64], job_timeout[32];
	pid_t pid;
	int r, n = 0;

	snprintf(http, sizeof(http), "%s:%d", srv, HTTP_PORT);
	snprintf(udp, sizeof(udp), "%s:%d", srv, UDP_PORT);
	/* the server answers 504 a little after the client's last attempt gave up */
	snprintf(job_timeout, sizeof(job_timeout), "%.0f",
		 ceil(t->workload.timeout_s * (t->workload.retries + 1)) + 5);
	char *server[16] = { (char *)bin, "server", "--http", http, "--listen", (char *)rl->server,
			     "--job-timeout", job_timeout, "--queue", "4096" };
	n = 10;
	if (t->transport.protocol == SCENARIO_UDP) {
		server[n++] = "--udp";
		server[n++] = udp;
	}
	server[n] = NULL;
	if ((r = testbed_spawn(tb, server_node, server, &pid)) < 0) {
		snprintf(err, errlen, "starting the server: %s", strerror(-r));
		return r;
	}
	for (int w = 0; w < testbed_node_count(tb); w++) {
		if (testbed_node_role(tb, w) != ROLE_WORKER)
			continue;
		r = rl->warm ? lend_worker(tb, rl, w) : spawn_worker(tb, t, bin, w);
		if (r < 0) {
			snprintf(err, errlen, "starting %s: %s", testbed_node_name(tb, w), strerror(-r));
			return r;
		}
	}
	return 0;
}

static int spawn_client(struct testbed *tb, const struct scenario *t, const char *bin,
			const char *dir, int edge, pid_t *ret_client, char *err, size_t errlen)
{
	const char *srv = testbed_node_addr(tb, role_node(tb, ROLE_SERVER));
	char udp[64], url[96], records[1024], count[16], conc[16], rate[32], timeout[32];
	char retries[16], seed[32], quality[16], resize[16], chunk[16];
	int r, n;

	snprintf(udp, sizeof(udp), "%s:%d", srv, UDP_PORT);
	if (edge >= 0)
		snprintf(url, sizeof(url), "http://%s:%d", testbed_node_addr(tb, edge), EDGE_PORT);
	else
		snprintf(url, sizeof(url), "http://%s:%d", srv, HTTP_PORT);
	snprintf(records, sizeof(records), "%s/records.jsonl", dir);
	snprintf(count, sizeof(count), "%d", t->workload.count);
	snprintf(conc, sizeof(conc), "%d", t->workload.concurrency);
	snprintf(rate, sizeof(rate), "%g", t->workload.rate_per_s);
	snprintf(timeout, sizeof(timeout), "%g", t->workload.timeout_s);
	snprintf(retries, sizeof(retries), "%d", t->workload.retries);
	/* the client takes a 32-bit seed */
	snprintf(seed, sizeof(seed), "%u", (unsigned)(scenario_seed_for(t->trial_seed, "jobs") & 0xffffffffu));
	char *client[48] = { (char *)bin, "client", "--server", url, "--dataset",
			     t->workload.dataset_dir, "--out", records, "--count", count,
			     "--timeout", timeout, "--retries", retries, "--seed", seed };
	n = 16;
	if (t->workload.mode == SCENARIO_OPEN) {
		client[n++] = "--rate";
		client[n++] = rate;
	} else {
		client[n++] = "--concurrency";
		client[n++] = conc;
	}
	if (t->workload.shuffle)
		client[n++] = "--shuffle";
	if (t->workload.async)
		client[n++] = "--async";
	/* the edge preprocesses, or the workers, never both */
	if (!edge_preprocesses(t) && t->preprocess.grayscale)
		client[n++] = "--grayscale";
	if (!edge_preprocesses(t) && t->preprocess.quality > 0) {
		snprintf(quality, sizeof(quality), "%d", t->preprocess.quality);
		client[n++] = "--quality";
		client[n++] = quality;
	}
	if (!edge_preprocesses(t) && t->preprocess.resize_pct > 0 && t->preprocess.resize_pct < 100) {
		snprintf(resize, sizeof(resize), "%d", t->preprocess.resize_pct);
		client[n++] = "--resize";
		client[n++] = resize;
	}
	if (t->transport.protocol == SCENARIO_UDP) {
		snprintf(chunk, sizeof(chunk), "%d", t->transport.chunk_bytes);
		client[n++] = "--udp";
		client[n++] = udp;
		client[n++] = "--chunk";
		client[n++] = chunk;
		client[n++] = "--reassembly";
		client[n++] = t->transport.concat ? "concat" : "holes";
	}
	client[n] = NULL;
	if ((r = testbed_spawn(tb, role_node(tb, ROLE_CLIENT), client, ret_client)) < 0) {
		snprintf(err, errlen, "starting the client: %s", strerror(-r));
		return r;
	}
	return 0;
}

/* ---- impairments and the timeline ---- */

static int apply_impair(struct testbed *tb, const struct scenario *t, const char *node,
			const char *link, int dirs, const struct impair *im)
{
	int n_links = testbed_link_count(tb), *links, bad, n, r = 0;

	links = malloc(sizeof(int) * (size_t)(n_links + 1));
	if (!links)
		return -ENOMEM;
	n = scenario_links_of(t, node, link, links, n_links + 1, &bad);
	if (n < 0)
		r = n;
	for (int i = 0; i < n && !r; i++)
		for (int d = 0; d < 2 && !r; d++) {
			struct impair x = *im;
			char purpose[64];

			if (!(dirs & (d ? SCENARIO_DOWN : SCENARIO_UP)))
				continue;
			if (!x.has_seed) {
				/* the star's links are named after their nodes: the seeds it
				 * always had */
				snprintf(purpose, sizeof(purpose), "netem %s %s",
					 testbed_link_name(tb, links[i]), d ? "down" : "up");
				x.seed = scenario_seed_for(t->trial_seed, purpose);
				x.has_seed = 1;
			}
			r = testbed_impair(tb, links[i], (enum link_dir)d, &x);
		}
	free(links);
	return r;
}

static int names_node(const struct testbed *tb, const char *node, int k)
{
	return !strcmp(node, SCENARIO_ALL_WORKERS) || !strcmp(node, testbed_node_name(tb, k));
}

/* The link of worker node k (which joined during the trial), as a scenario entry naming the
 * node would impair it: up is what leaves the node. */
static int impair_joined_link(struct testbed *tb, const struct scenario *t, int k, int dirs,
			      const struct impair *im)
{
	const int *links;
	int a, b, r;

	if (testbed_node_links(tb, k, &links) != 1)
		return -EMLINK;
	testbed_link_ends(tb, links[0], &a, &b);
	for (int d = 0; d < 2; d++) {
		struct impair x = *im;
		char purpose[64];

		if (!(dirs & (d ? SCENARIO_DOWN : SCENARIO_UP)))
			continue;
		if (!x.has_seed) {
			snprintf(purpose, sizeof(purpose), "netem %s %s",
				 testbed_link_name(tb, links[0]), d ? "down" : "up");
			x.seed = scenario_seed_for(t->trial_seed, purpose);
			x.has_seed = 1;
		}
		if ((r = testbed_impair(tb, links[0], (enum link_dir)(a == k ? d : !d), &x)) < 0)
			return r;
	}
	return 0;
}

/* A worker node that just joined gets what its link would have had from the start: the
 * links: entries naming it or every worker, then the timeline's impairments on them played
 * so far, in their order. */
static int impair_joined(struct testbed *tb, const struct scenario *t, size_t played, int k)
{
	int r;

	for (size_t i = 0; i < t->n_links; i++)
		if (!t->links[i].link[0] && names_node(tb, t->links[i].node, k) &&
		    (r = impair_joined_link(tb, t, k, t->links[i].dirs, &t->links[i].im)) < 0)
			return r;
	for (size_t i = 0; i < played; i++)
		if (t->events[i].action == SCENARIO_IMPAIR && !t->events[i].link[0] &&
		    names_node(tb, t->events[i].node, k) &&
		    (r = impair_joined_link(tb, t, k, t->events[i].dirs, &t->events[i].im)) < 0)
			return r;
	return 0;
}

/* Failed nodes: the kind, and when a random failure recovers (0: by the timeline). */
struct failed {
	int on;
	enum failure_kind kind;
	double recover_at;
};

static int fail_node(struct testbed *tb, struct failed *f, int k, enum failure_kind kind, double recover_at)
{
	int r;

	if (f[k].on)
		return 0;
	r = failure_inject(tb, k, kind);
	if (!r)
		f[k] = (struct failed){ 1, kind, recover_at };
	return r;
}

/* rl: a worker killed while a standby served it gets another one (NULL: the trial ends,
 * none is needed) */
static int recover_node(struct testbed *tb, const struct relend *rl, struct failed *f, int k)
{
	int r;

	if (!f[k].on)
		return 0;
	r = failure_recover(tb, k, f[k].kind);
	f[k].on = 0;
	if (r == 0 && rl && rl->warm && f[k].kind == FAILURE_KILL &&
	    testbed_node_role(tb, k) == ROLE_WORKER)
		r = lend_worker(tb, rl, k);
	return r;
}

/* Workers joining: the node exists from the event on, its worker starts after the
 * provisioning delay (an instance booting). */
struct joins {
	int *node;
	double *start_at;          /* trial seconds; < 0: started or cancelled */
	size_t n;
	size_t played;             /* timeline events played so far */
};

static int add_worker(struct testbed *tb, const struct scenario *t, struct joins *j, double now,
		      double provisioning_s)
{
	int k, r = testbed_add_worker(tb, &k);

	if (r < 0)
		return r;
	/* impaired before its worker starts: the join's first packets cross the same netem */
	if ((r = impair_joined(tb, t, j->played, k)) < 0)
		return r;
	j->node[j->n] = k;
	j->start_at[j->n++] = now + provisioning_s;
	return 0;
}

static int remove_worker(struct testbed *tb, struct joins *j, const char *name, int drain)
{
	int k = testbed_node_index(tb, name);

	if (k < 0 || testbed_node_role(tb, k) != ROLE_WORKER)
		return -ENOENT;
	for (size_t i = 0; i < j->n; i++)
		if (j->node[i] == k)
			j->start_at[i] = -1; /* still provisioning: it never starts */
	/* drain: the worker answers the job it runs, then says BYE */
	return drain ? testbed_signal_node(tb, k, SIGTERM) : testbed_kill_node(tb, k);
}

static int start_joined(struct testbed *tb, const struct scenario *t, const char *bin,
			struct joins *j, double now)
{
	for (size_t i = 0; i < j->n; i++) {
		int r;

		if (j->start_at[i] < 0 || now < j->start_at[i])
			continue;
		j->start_at[i] = -1;
		if ((r = spawn_worker(tb, t, bin, j->node[i])) < 0)
			return r;
	}
	return 0;
}

/* ---- the time series and seed 001's autoscaler ---- */

/* Every interval: the server's view (GET /v1/stats from the client's node) as one row of
 * timeseries.csv; with an autoscaler, also a scaling decision. */
struct scaler {
	FILE *ts;
	char url[96];
	double next_look, last_decision;
	int active;               /* workers started or provisioning, not removed */
	int *order;               /* worker nodes, oldest first: scale-in drains the newest */
	size_t n_order;
	int peak;
	int seen_work;            /* a job has been queued or run: the workload has begun */
	double quiet_since;       /* since when nothing waits and a worker idles; < 0: not so */
	double worker_s;          /* integral of active workers over time (cost) */
	double last_t;
};

static long stat_field(const char *body, const char *key)
{
	const char *p = strstr(body, key);

	return p ? atol(p + strlen(key)) : -1;
}

static int scaler_step(struct testbed *tb, const struct scenario *t, struct scaler *s,
		       struct joins *j, double now)
{
	const struct scenario_autoscaler *as = &t->autoscaler;
	struct health h = { .url = s->url };
	long queue, running, connected, idle;
	int r;

	s->worker_s += s->active * (now - s->last_t);
	s->last_t = now;
	if (now < s->next_look)
		return 0;
	s->next_look = now + (as->interval_s > 0 ? as->interval_s : 1);
	/* the first members of the answer are these counters (jansson keeps the order) */
	if (testbed_in_node(tb, role_node(tb, ROLE_CLIENT), health_get, &h) < 0)
		return 0; /* the server is busy or restarting: look again next time */
	queue = stat_field(h.body, "\"queue_depth\":");
	running = stat_field(h.body, "\"running\":");
	connected = stat_field(h.body, "\"connected\":");
	idle = stat_field(h.body, "\"idle\":");
	if (queue < 0 || running < 0 || connected < 0 || idle < 0)
		return 0;
	if (s->ts)
		fprintf(s->ts, "%.3f,%ld,%ld,%ld,%ld,%d\n", now, queue, running, connected, idle, s->active);
	/* the pool meets the workload's first jobs at its starting size: before them every
	 * worker is idle, and draining them then left 15 starting workers at 1 when the burst came */
	s->seen_work |= queue + running > 0;
	if (queue > as->scale_in_queue || idle == 0)
		s->quiet_since = -1;
	else if (s->quiet_since < 0)
		s->quiet_since = now;
	if (!as->max || !s->seen_work || now - s->last_decision < as->cooldown_s)
		return 0;
	if (queue >= as->scale_out_queue && s->active < as->max) {
		/* seed 001: as many instances as messages waiting and in work, at most max */
		long want = running + queue < as->max ? running + queue : as->max;

		for (long n = want - s->active; n > 0; n--) {
			if ((r = add_worker(tb, t, j, now, as->provisioning_s)) < 0)
				return r == -ENOSPC ? 0 : r;
			s->order[s->n_order++] = j->node[j->n - 1];
			s->active++;
		}
		s->last_decision = now;
	} else if (s->quiet_since >= 0 && now - s->quiet_since >= as->cooldown_s &&
		   s->active > as->min) {
		/* quiet for a cooldown, not for one look: a burst that is still being uploaded
		 * leaves the queue empty for a moment (seen: 15 starting workers drained to 1 at
		 * its first job, the other 59 then waited for provisioning) */
		for (long n = idle < s->active - as->min ? idle : s->active - as->min; n > 0; n--) {
			int k = s->order[--s->n_order];

			if ((r = remove_worker(tb, j, testbed_node_name(tb, k), 1)) < 0)
				return r;
			s->active--;
		}
		s->last_decision = now;
	}
	if (s->active > s->peak)
		s->peak = s->active;
	return 0;
}

/* A set event: each key=value of its params changed in the running link (checked at load). */
static int set_params(struct testbed *tb, const struct scenario_event *e)
{
	char buf[sizeof(e->params)], *save = NULL, *item;
	int l = testbed_link_index(tb, e->link), r = 0;

	if (l < 0)
		return l;
	snprintf(buf, sizeof(buf), "%s", e->params);
	for (item = strtok_r(buf, ",", &save); item && !r; item = strtok_r(NULL, ",", &save)) {
		char *eq = strchr(item, '=');

		if (!eq)
			return -EINVAL;
		*eq = '\0';
		r = testbed_link_param_set(tb, l, item, eq + 1);
	}
	return r;
}

static int play_event(struct testbed *tb, const struct scenario *t, const struct scenario_event *e,
		      const struct relend *rl, struct failed *f, struct joins *j, double now)
{
	int first, last, r = 0;

	if (e->action == SCENARIO_IMPAIR) {
		r = apply_impair(tb, t, e->node, e->link, e->dirs, &e->im);
		/* "workers" is every worker by now, the joined ones too */
		for (size_t i = 0; i < j->n && !r && !e->link[0]; i++)
			if (!strcmp(e->node, SCENARIO_ALL_WORKERS))
				r = impair_joined_link(tb, t, j->node[i], e->dirs, &e->im);
		return r;
	}
	if (e->action == SCENARIO_SET)
		return set_params(tb, e);
	if (e->action == SCENARIO_ADD_WORKER)
		return add_worker(tb, t, j, now, e->provisioning_s);
	if (e->action == SCENARIO_REMOVE_WORKER)
		return remove_worker(tb, j, e->node, e->drain);
	if ((r = scenario_node_range(t, e->node, &first, &last)) < 0)
		return r;
	for (int k = first; k <= last && !r; k++)
		r = e->action == SCENARIO_FAIL ? fail_node(tb, f, k, e->failure, 0) : recover_node(tb, rl, f, k);
	return r;
}

/* xorshift64*: the random failures' stream, seeded per trial */
static double uniform(uint64_t *s)
{
	*s ^= *s >> 12;
	*s ^= *s << 25;
	*s ^= *s >> 27;
	return (double)((*s * 2685821657736338717ull) >> 11) / 9007199254740992.0;
}

static int random_failures(struct testbed *tb, const struct scenario *t, const struct relend *rl,
			   struct failed *f, uint64_t *rng, double now)
{
	int first, last, down = 0, r;

	if ((r = scenario_node_range(t, t->random_failures.node, &first, &last)) < 0)
		return r;
	for (int k = first; k <= last; k++) {
		if (f[k].on && f[k].recover_at > 0 && now >= f[k].recover_at &&
		    (r = recover_node(tb, rl, f, k)) < 0)
			return r;
		down += f[k].on;
	}
	for (int k = first; k <= last; k++) {
		if (f[k].on || down >= t->random_failures.max_concurrent)
			continue;
		if (uniform(rng) < t->random_failures.rate) {
			double at = t->random_failures.recovery_s > 0 ? now + t->random_failures.recovery_s : 0;

			if ((r = fail_node(tb, f, k, t->random_failures.kind, at)) < 0)
				return r;
			down++;
		}
	}
	return 0;
}

/* A simulated link that fell behind real time did not delay, pace or lose what the scenario
 * asked: the trial fails, naming the link, rather than report its figures. */
static int links_valid(struct testbed *tb, char *err, size_t errlen)
{
	for (int l = 0; l < testbed_link_count(tb); l++) {
		int r = testbed_link_check(tb, l);

		if (r < 0) {
			snprintf(err, errlen, "link %s (%s): %s", testbed_link_name(tb, l),
				 testbed_link_kind(tb, l), r == -ETIME ?
				 "ns-3 fell behind real time: this trial's figures are not valid" :
				 "the simulator ended early");
			return r;
		}
	}
	return 0;
}

/* Until the client (0: no pipeline) and the run: commands the trial waits for are done:
 * events at their times, random failures every interval, the commands supervised. */
static int play(struct testbed *tb, const struct scenario *t, const char *bin,
		const struct relend *rl, pid_t client, struct usercmds *u, struct scaler *s,
		volatile sig_atomic_t *stop, int *ret_status, char *err, size_t errlen)
{
	struct failed *f = calloc((size_t)testbed_node_count(tb), sizeof(*f));
	size_t cap = t->n_events + 4 * (size_t)t->autoscaler.max + 1;
	struct joins j = { .node = calloc(cap, sizeof(int)), .start_at = calloc(cap, sizeof(double)) };
	uint64_t rng = scenario_seed_for(t->trial_seed, "failures") | 1;
	double t0 = clock_now_s(), next_random = t->random_failures.interval_s;
	/* bounded: every job's every attempt times out, plus slack */
	double limit = t->workload.duration_s > 0 ? t->workload.duration_s + 60 :
		       t->workload.count * t->workload.timeout_s * (t->workload.retries + 1) + 120;
	size_t ev = 0;
	int r = 0, st;

	if (!f || !j.node || !j.start_at) {
		r = -ENOMEM;
		goto out;
	}
	for (;;) {
		double now = clock_now_s() - t0;

		if (client > 0 && waitpid(client, &st, WNOHANG) == client) {
			*ret_status = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
			client = 0;
		}
		if (!client && usercmds_waited(u))
			break;
		/* the commands' own timeouts bound a trial without the pipeline */
		if (*stop || (client > 0 && now > limit)) {
			if (client > 0) {
				kill(client, SIGTERM);
				waitpid(client, &st, 0);
			}
			r = *stop ? -EINTR : -ETIMEDOUT;
			snprintf(err, errlen, "%s", *stop ? "interrupted" : "the client ran past its time limit");
			break;
		}
		if ((r = usercmds_step(u, now, err, errlen)) < 0)
			goto out;
		if ((r = links_valid(tb, err, errlen)) < 0) {
			if (client > 0) {
				kill(client, SIGTERM);
				waitpid(client, &st, 0);
			}
			break;
		}
		while (ev < t->n_events && t->events[ev].at_s <= now) {
			if ((r = play_event(tb, t, &t->events[ev], rl, f, &j, now)) < 0) {
				snprintf(err, errlen, "timeline event at %g s (line %d): %s",
					 t->events[ev].at_s, t->events[ev].line, strerror(-r));
				goto out;
			}
			j.played = ++ev;
		}
		if (t->pipeline && (r = scaler_step(tb, t, s, &j, now)) < 0) {
			snprintf(err, errlen, "autoscaler: %s", strerror(-r));
			goto out;
		}
		if ((r = start_joined(tb, t, bin, &j, now)) < 0) {
			snprintf(err, errlen, "starting a joined worker: %s", strerror(-r));
			goto out;
		}
		if (t->random_failures.rate > 0 && now >= next_random) {
			if ((r = random_failures(tb, t, rl, f, &rng, now)) < 0) {
				snprintf(err, errlen, "random failure: %s", strerror(-r));
				goto out;
			}
			next_random += t->random_failures.interval_s;
		}
		if (rl->warm)
			warm_pool_poll(rl->warm);
		sleep_ms(20);
	}
out:
	/* f covers the initial nodes: only those fail and recover */
	for (int k = 0; f && k < topology_node_count(t->topo); k++)
		recover_node(tb, NULL, f, k);
	free(f);
	free(j.node);
	free(j.start_at);
	return r;
}

/* ---- metrics ---- */

static void put(struct trial_metrics *m, const char *name, double v)
{
	if (m->n < TRIAL_METRICS_MAX)
		m->m[m->n++] = (struct results_metric){ name, v };
}

/* The run: commands' metrics after the built-in ones; a name both have would make one of
 * them silently wrong, so it fails the trial. */
static int put_user(struct trial_metrics *m, const struct scenario *t, struct usercmds *u,
		    char *err, size_t errlen)
{
	int r = usercmds_metrics(u, m->user, TRIAL_USER_METRICS_MAX, &m->n_user, err, errlen);

	if (r == -E2BIG)
		snprintf(err, errlen, "the run: commands gave more than %d metrics",
			 TRIAL_USER_METRICS_MAX - 1);
	if (r < 0)
		return r;
	for (size_t i = 0; i < m->n_user; i++) {
		/* the two that trial_run puts last */
		int taken = !strcmp(m->user[i].name, "trial_wall_s") ||
			    !strcmp(m->user[i].name, "overhead_s");

		for (size_t j = 0; j < m->n; j++)
			taken |= !strcmp(m->m[j].name, m->user[i].name);
		/* a trial's scenario has the names the file gives factors (the defaults are
		 * the loaded scenario's; results_add_trial refuses those) */
		for (size_t f = 0; f < t->n_factors; f++)
			if (t->factors && t->factors[f].name)
				taken |= 2 * !strcmp(t->factors[f].name, m->user[i].name);
		if (taken) {
			snprintf(err, errlen, "metric %s of a run: command is a %s name (set "
				 "metrics.prefix)", m->user[i].name,
				 taken & 2 ? "sweep factor's" : "built-in metric's");
			return -EINVAL;
		}
		put(m, m->user[i].name, m->user[i].value);
	}
	return 0;
}

/* The labels of the images this trial submitted, so images it never sent don't count as
 * missed. */
static int subset_labels(const struct record *recs, size_t n, const char *labels_dir,
			 const char *dir, char *ret_dir, size_t len)
{
	snprintf(ret_dir, len, "%s/labels", dir);
	if (mkdir(ret_dir, 0755) < 0 && errno != EEXIST)
		return -errno;
	for (size_t i = 0; i < n; i++) {
		char stem[256], from[1024], to[1024];
		char *dot;

		/* the record names a file of the dataset: a '/' or a leading '.' would put the link
		 * outside labels/ */
		if (!recs[i].image[0] || recs[i].image[0] == '.' || strchr(recs[i].image, '/'))
			continue;
		snprintf(stem, sizeof(stem), "%s", recs[i].image);
		if ((dot = strrchr(stem, '.')))
			*dot = 0;
		snprintf(from, sizeof(from), "%s/%s.txt", labels_dir, stem);
		snprintf(to, sizeof(to), "%s/%s.txt", ret_dir, stem);
		if (access(from, F_OK) == 0 && symlink(from, to) < 0 && errno != EEXIST)
			return -errno;
	}
	return 0;
}

int trial_metrics_from_records(const char *records, const char *labels_dir, const char *dir,
			       int warmup, struct trial_metrics *m)
{
	struct record *recs = NULL;
	struct accuracy *acc = NULL;
	size_t n = 0, ok = 0, done = 0, timeouts = 0, errors = 0;
	double t_first = INFINITY, t_last = -INFINITY, bytes = 0, exec = 0, span, p50 = NAN;
	double *lat = NULL;
	char subset[1024];
	int r, line = 0;

	m->n = 0;
	r = records_read(records, &recs, &n, &line);
	if (r < 0)
		return r;
	lat = calloc(n ? n : 1, sizeof(*lat));
	if (!lat) {
		r = -ENOMEM;
		goto out;
	}
	long first_job = n ? recs[0].job : 0;
	for (size_t i = 0; i < n; i++)
		if (recs[i].job < first_job)
			first_job = recs[i].job;
	for (size_t i = 0; i < n; i++) {
		const struct record *x = &recs[i];

		if (x->job < first_job + warmup)
			continue; /* warm-up: darknet's first inference, connections */
		done++;
		t_first = fmin(t_first, x->t_submit);
		t_last = fmax(t_last, x->t_done);
		if (x->status == RECORD_TIMEOUT)
			timeouts++;
		else if (x->status == RECORD_ERROR)
			errors++;
		if (x->status != RECORD_OK)
			continue;
		lat[ok++] = x->t_done - x->t_submit;
		bytes += (double)x->bytes;
		exec += (x->res.t_decode_ms + x->res.t_pre_ms + x->res.t_infer_ms) / 1e3;
	}
	span = t_last > t_first ? t_last - t_first : NAN;
	{
		/* the workload including warm-up jobs, and what the first inference costs more
		 * than the median one (darknet touching its buffers: page faults) */
		double w0 = INFINITY, w1 = -INFINITY, first = NAN, *inf = calloc(n ? n : 1, sizeof(*inf));
		size_t ni = 0;

		for (size_t i = 0; i < n; i++) {
			w0 = fmin(w0, recs[i].t_submit);
			w1 = fmax(w1, recs[i].t_done);
			if (recs[i].status != RECORD_OK)
				continue;
			if (recs[i].job == first_job)
				first = recs[i].res.t_infer_ms;
			else if (inf)
				inf[ni++] = recs[i].res.t_infer_ms;
		}
		put(m, "workload_s", w1 > w0 ? w1 - w0 : NAN);
		if (inf && ni && !isnan(first)) {
			double q = 0.5, med;

			if (stats_quantiles(inf, ni, &q, 1, &med) == 0)
				put(m, "first_infer_extra_s", (first - med) / 1e3);
		}
		free(inf);
	}
	put(m, "throughput_bps", bytes * 8 / span);
	put(m, "requests_per_s", done / span);
	put(m, "goodput_per_s", ok / span);
	put(m, "ok_jobs", (double)ok);
	put(m, "timeouts", (double)timeouts);
	put(m, "failed_jobs", (double)errors);
	if (ok) {
		struct stats_latency l;
		double sum = 0;

		for (size_t i = 0; i < ok; i++)
			sum += lat[i];
		put(m, "latency_mean_s", sum / ok);
		if (stats_latency(lat, ok, &l) == 0) {
			p50 = l.p50;
			put(m, "latency_p50_s", l.p50);
			put(m, "latency_p95_s", l.p95);
			put(m, "latency_p99_s", l.p99);
		}
		put(m, "exec_time_s", exec / ok);
	}
	if (labels_dir && subset_labels(recs, n, labels_dir, dir, subset, sizeof(subset)) == 0 &&
	    accuracy_evaluate(subset, recs, n, 0.25, &acc, NULL) == 0) {
		put(m, "map50", acc->map50);
		put(m, "f1", acc->f1);
		put(m, "precision", acc->precision);
		put(m, "recall", acc->recall);
		put(m, "mean_conf", acc->mean_tp_conf);
	}
	snprintf(m->summary, sizeof(m->summary), "%zu/%zu ok, %.2f img/s, latency p50 %.2f s",
		 ok, done, ok / span, p50);
	r = 0;
out:
	accuracy_free(acc);
	free(lat);
	records_free(recs, n);
	return r;
}

double trial_workload_s(const struct trial_metrics *m)
{
	for (size_t i = 0; i < m->n; i++)
		if (!strcmp(m->m[i].name, "workload_s"))
			return m->m[i].value;
	return NAN;
}

static void link_metrics(struct testbed *tb, struct trial_metrics *m)
{
	static const char *const names[][4] = {
		{ "client_up_bytes", "client_down_bytes", "client_up_packets", "client_down_packets" },
		{ "server_up_bytes", "server_down_bytes", "server_up_packets", "server_down_packets" },
		{ "workers_up_bytes", "workers_down_bytes", "workers_up_packets", "workers_down_packets" },
	};
	static const char *const loss_names[][2] = {
		{ "client_up_loss_measured", "client_down_loss_measured" },
		{ "server_up_loss_measured", "server_down_loss_measured" },
		{ "workers_up_loss_measured", "workers_down_loss_measured" },
	};
	double sum[3][4] = { { 0 } }, sent[3][2] = { { 0 } }, drops[3][2] = { { 0 } };
	int has_netem[3][2] = { { 0 } };

	for (int k = 0; k < testbed_node_count(tb); k++) {
		enum topo_role role = testbed_node_role(tb, k);
		int row = role == ROLE_CLIENT ? 0 : role == ROLE_SERVER ? 1 : 2;
		const int *links;
		int n;

		if (role != ROLE_CLIENT && role != ROLE_SERVER && role != ROLE_WORKER)
			continue;
		n = testbed_node_links(tb, k, &links);
		for (int i = 0; i < n; i++) {
			struct link_stats ls;
			int a, b, mine;

			/* up is what leaves the node: a -> b when the node is a */
			testbed_link_ends(tb, links[i], &a, &b);
			mine = a == k ? 0 : 1;
			/* netem's own count: measured loss next to the configured one */
			for (int d = 0; d < 2; d++) {
				uint64_t p, x;

				if (testbed_netem_stats(tb, links[i], (enum link_dir)(d ^ mine), &p, &x) == 0) {
					has_netem[row][d] = 1;
					sent[row][d] += (double)p;
					drops[row][d] += (double)x;
				}
			}
			if (testbed_link_stats(tb, links[i], &ls) < 0)
				continue;
			if (mine) {
				/* the a end's counters, seen from b */
				uint64_t tb_ = ls.tx_bytes, tp = ls.tx_packets;

				ls.tx_bytes = ls.rx_bytes;
				ls.tx_packets = ls.rx_packets;
				ls.rx_bytes = tb_;
				ls.rx_packets = tp;
			}
			sum[row][0] += (double)ls.tx_bytes;
			sum[row][1] += (double)ls.rx_bytes;
			sum[row][2] += (double)ls.tx_packets;
			sum[row][3] += (double)ls.rx_packets;
		}
	}
	for (int row = 0; row < 3; row++) {
		for (int c = 0; c < 4; c++)
			put(m, names[row][c], sum[row][c]);
		for (int d = 0; d < 2; d++)
			if (has_netem[row][d] && sent[row][d] + drops[row][d] > 0)
				put(m, loss_names[row][d], drops[row][d] / (sent[row][d] + drops[row][d]));
	}
}

/* links.csv: every link at the trial's end (joined workers' too), each way: the impairment
 * it was given and what netem counted in the kernel (empty: no netem there). */
static int write_links(struct testbed *tb, const char *path)
{
	FILE *f = fopen(path, "we");
	int r = 0;

	if (!f)
		return -errno;
	fprintf(f, "link,direction,delay_ms,jitter_ms,loss,rate_bps,netem_packets,netem_drops\n");
	for (int l = 0; l < testbed_link_count(tb); l++)
		for (int d = 0; d < 2; d++) {
			const struct impair *im = testbed_impairment(tb, l, (enum link_dir)d);
			uint64_t p, x;

			fprintf(f, "%s,%s,%g,%g,%g,%llu,", testbed_link_name(tb, l), d ? "down" : "up",
				im->delay_ns / 1e6, im->jitter_ns / 1e6, im->loss,
				(unsigned long long)im->rate_bps);
			if (testbed_netem_stats(tb, l, (enum link_dir)d, &p, &x) == 0)
				fprintf(f, "%llu,%llu\n", (unsigned long long)p, (unsigned long long)x);
			else
				fprintf(f, ",\n");
		}
	if (ferror(f))
		r = -EIO;
	if (fclose(f) != 0 && !r)
		r = -errno;
	return r;
}

int trial_run(const struct scenario *t, const char *bin, const char *dir, struct warm_pool *warm,
	      volatile sig_atomic_t *stop, struct trial_metrics *ret, char *err, size_t errlen)
{
	struct testbed_config cfg = {
		.topology = t->topo,
		.workers = (unsigned int)t->topology.workers,
		.subnet = t->topology.subnet[0] ? t->topology.subnet : NULL,
		.cpu_client = t->topology.cpu_client,
		.cpu_server = t->topology.cpu_server,
		.cpu_worker = t->topology.cpu_worker,
		.seed = scenario_seed_for(t->trial_seed, "links"),
	};

	/* every scale-out is a fresh node, as a fresh instance would be */
	cfg.max_workers = (unsigned int)scenario_max_workers(t);
	char logs[1024], path[1024], labels[1024];
	struct testbed *tb = NULL;
	struct sampler *smp = NULL;
	struct trial_metrics links = { .n = 0 };
	struct lateness *late = NULL;
	struct lateness_stats ls = { 0 };
	struct scaler sc = { 0 };
	struct usercmds *u = NULL;
	struct relend rl = { .model = t->model_prefix, .logs = logs };
	pid_t client = 0;
	int r, status = 0, edge;
	/* where a trial's time goes besides its workload: testbed, process start and model load
	 * until every worker registered, the client, teardown */
	double t_start = clock_now_s(), t_built = NAN, t_ready = NAN, t_client = NAN, t_played = NAN;
	double standby_load_s = 0;

	snprintf(logs, sizeof(logs), "%s/logs", dir);
	if (mkdir(dir, 0755) < 0 && errno != EEXIST)
		return -errno;
	if (mkdir(logs, 0755) < 0 && errno != EEXIST)
		return -errno;
	if (warm && (!warm_ok(t) || !t->pipeline))
		warm = NULL;
	if (warm) {
		/* standbys this kernel lacks load now, uncapped and outside the trial: its
		 * workers' CPU caps are the experiment's, not a model load's (standby_load_s) */
		snprintf(path, sizeof(path), "%s/standby.log", logs);
		if (warm_pool_prepare(warm, t->model_prefix, t->topology.workers, path) == 0)
			standby_load_s = clock_now_s() - t_start;
		t_start = clock_now_s();
	}
	cfg.log_dir = logs;
	r = testbed_new(&cfg, &tb, err, errlen);
	if (r < 0)
		return r;
	edge = edge_node(tb, t);
	/* netem's seeded decisions meet the same packets only without ARP in between */
	if ((r = testbed_pin_neighbours(tb)) < 0) {
		snprintf(err, errlen, "neighbour entries: %s", strerror(-r));
		goto out;
	}
	/* late timers mean the host, not netem, shaped this trial: measured all along */
	if ((r = lateness_new(10.0, &late)) < 0) {
		snprintf(err, errlen, "timer lateness meter: %s", strerror(-r));
		goto out;
	}
	for (size_t i = 0; i < t->n_links; i++)
		if ((r = apply_impair(tb, t, t->links[i].node, t->links[i].link, t->links[i].dirs,
				      &t->links[i].im)) < 0 &&
		    !(r == -ENOENT && scenario_joins_later(t, t->links[i].node))) {
			snprintf(err, errlen, "links[%zu] (line %d): netem: %s", i, t->links[i].line,
				 strerror(-r));
			goto out;
		}
	t_built = clock_now_s();
	if ((r = usercmds_new(t, tb, dir, &u)) < 0) {
		snprintf(err, errlen, "%s/" USERCMD_DIR ": %s", dir, strerror(-r));
		goto out;
	}
	/* the server and workers first; the client only once every worker has registered */
	rl.warm = warm;
	if (t->pipeline) {
		snprintf(rl.server, sizeof(rl.server), "%s:%d",
			 testbed_node_addr(tb, role_node(tb, ROLE_SERVER)), WORKER_PORT);
		r = spawn_service(tb, t, bin, &rl, err, errlen);
		if (r < 0)
			goto out;
		r = wait_ready(tb, t->topology.workers, warm, stop);
		if (r < 0) {
			snprintf(err, errlen, "%s", r == -EINTR ? "interrupted" :
				 "the workers did not register with the server in time (see logs/)");
			goto out;
		}
	}
	if (t->pipeline && edge >= 0 && ((r = spawn_edge(tb, t, bin, edge, err, errlen)) < 0 ||
					 (r = wait_edge(tb, edge, stop)) < 0)) {
		if (r == -EINTR || r == -ETIMEDOUT)
			snprintf(err, errlen, "%s", r == -EINTR ? "interrupted" :
				 "the edge did not answer in time (see logs/)");
		goto out;
	}
	t_ready = clock_now_s();
	if (t->pipeline) {
		r = spawn_client(tb, t, bin, dir, edge, &client, err, errlen);
		if (r < 0)
			goto out;
	}
	t_client = clock_now_s();
	snprintf(path, sizeof(path), "%s/samples.csv", dir);
	r = sampler_new(tb, path, 1000, &smp);
	if (r < 0) {
		snprintf(err, errlen, "%s: %s", path, strerror(-r));
		goto out;
	}
	snprintf(path, sizeof(path), "%s/timeseries.csv", dir);
	sc.ts = t->pipeline ? fopen(path, "we") : NULL;
	if (sc.ts)
		fprintf(sc.ts, "t_s,queue_depth,in_flight,workers_connected,workers_idle,workers_target\n");
	snprintf(sc.url, sizeof(sc.url), "http://%s:%d/v1/stats", testbed_node_addr(tb, 1), HTTP_PORT);
	sc.active = sc.peak = t->topology.workers;
	/* the cooldown follows a decision: the first burst is answered at the first look */
	sc.last_decision = -INFINITY;
	sc.quiet_since = -1;
	sc.order = calloc((size_t)t->topology.workers + 4 * (size_t)t->autoscaler.max + 1, sizeof(int));
	if (!sc.order) {
		r = -ENOMEM;
		goto out;
	}
	for (int w = 0; w < t->topology.workers; w++)
		sc.order[sc.n_order++] = 2 + w;
	r = play(tb, t, bin, &rl, client, u, &sc, stop, &status, err, errlen);
	t_played = clock_now_s();
	/* before the counters: a command stopped now still sends (a FIN, a last report) */
	usercmds_stop(u);
	if (r == 0)
		r = links_valid(tb, err, errlen);
	link_metrics(tb, &links);
	{
		/* samples that could not be written are results lost: the trial failed */
		int rs = sampler_free(smp);

		smp = NULL;
		if (r == 0 && rs < 0) {
			r = rs;
			snprintf(err, errlen, "%s: %s", path, strerror(-rs));
		}
	}
	snprintf(path, sizeof(path), "%s/links.csv", dir);
	if (r == 0 && (r = write_links(tb, path)) < 0)
		snprintf(err, errlen, "%s: %s", path, strerror(-r));
	if (r < 0)
		goto out;
	/* 3: no job succeeded, which heavy impairment can cause: still a measurement */
	if (status != 0 && status != 3) {
		snprintf(err, errlen, "the client exited with status %d (see %s/client.log)", status, logs);
		r = -EIO;
		goto out;
	}
	if (t->pipeline) {
		snprintf(path, sizeof(path), "%s/records.jsonl", dir);
		snprintf(labels, sizeof(labels), "%s/labels", t->workload.dataset_dir);
		r = trial_metrics_from_records(path, access(labels, F_OK) == 0 ? labels : NULL, dir,
					       t->warmup_jobs, ret);
		if (r < 0) {
			snprintf(err, errlen, "reading %s: %s", path, strerror(-r));
			goto out;
		}
	} else {
		/* the workload is the commands: from their clock's start to the last one waited for */
		ret->n = 0;
		put(ret, "workload_s", t_played - t_client);
		snprintf(ret->summary, sizeof(ret->summary), "%zu command%s, %.1f s", t->n_runs,
			 t->n_runs == 1 ? "" : "s", t_played - t_client);
	}
	for (size_t i = 0; i < links.n; i++)
		put(ret, links.m[i].name, links.m[i].value);
	if (edge >= 0)
		edge_metrics(tb, edge, ret);
	lateness_free(late, &ls);
	late = NULL;
	put(ret, "setup_s", t_built - t_start);
	if (t->pipeline) {
		put(ret, "workers_ready_s", t_ready - t_built);
		put(ret, "client_s", t_played - t_client);
		put(ret, "warm_workers", warm != NULL);
		put(ret, "standby_load_s", standby_load_s);
		put(ret, "workers_peak", sc.peak);
		put(ret, "worker_s", sc.worker_s);
	}
	put(ret, "timer_lateness_p99_ms", ls.p99_ms);
	put(ret, "host_overloaded", lateness_overloaded(&ls));
	if ((r = put_user(ret, t, u, err, errlen)) < 0)
		goto out;
	if (lateness_overloaded(&ls)) {
		size_t n = strlen(ret->summary);

		snprintf(ret->summary + n, sizeof(ret->summary) - n,
			 "; host overloaded, lateness %.1f ms", ls.p99_ms);
	}
out:
	usercmds_free(u);
	if (sc.ts)
		fclose(sc.ts);
	free(sc.order);
	lateness_free(late, NULL);
	sampler_free(smp);
	if (warm && tb)
		warm_pool_take_back(warm, tb);
	testbed_free(tb);
	if (r == 0) {
		/* everything that is not the workload (first submission to last answer) */
		double wall = clock_now_s() - t_start, work = trial_workload_s(ret);

		put(ret, "trial_wall_s", wall);
		put(ret, "overhead_s", wall - work);
	}
	return r;
}
