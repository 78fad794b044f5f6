// SPDX-License-Identifier: MIT
/* End-to-end tests with real processes on loopback: server + darknet workers + client over
 * the 64 dev images; accuracy equals offline detect; worker kill/freeze/join keeps every
 * job answered exactly once; UDP transfer at 0 % loss gives the same detections as TCP, and
 * damaged (lossy) transfers still get one answer each. */
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <libgen.h>
#include <limits.h>
#include <math.h>
#include <signal.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>

#include "clock.h"
#include "models/accuracy.h"
#include "models/locate.h"
#include "models/record.h"
#include "tests/t.h"

#define N_IMAGES 64

/* What the cases share: paths found once, and the offline reference (slow to compute). */
struct env {
	char qoslab[PATH_MAX];
	char *dataset, *model;
	char labels[PATH_MAX], images[PATH_MAX];
	char tmp[64];
	char ref[PATH_MAX];     /* qoslab detect records of all images, once made */
	int have_ref;
};

/* The harness gives cases no context argument; this file is the test's main program. */
static struct env env;

static void sleep_ms(int ms)
{
	nanosleep(&(struct timespec){ ms / 1000, (long)(ms % 1000) * 1000000 }, NULL);
}

/* Starts qoslab with args (NULL-terminated), output to log; dies with the test. */
static pid_t spawn(const char *log, ...)
{
	char *argv[64];
	va_list ap;
	int n = 0;
	pid_t pid;

	argv[n++] = env.qoslab;
	va_start(ap, log);
	while (n < 63 && (argv[n] = va_arg(ap, char *)))
		n++;
	va_end(ap);
	argv[n] = NULL;
	pid = fork();
	if (pid == 0) {
		int fd = open(log, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);

		prctl(PR_SET_PDEATHSIG, SIGKILL);
		if (fd >= 0) {
			dup2(fd, 1);
			dup2(fd, 2);
		}
		execv(env.qoslab, argv);
		_exit(127);
	}
	return pid;
}

/* Exit status, or -1 when pid is still running after timeout_ms. */
static int wait_exit(pid_t pid, int timeout_ms)
{
	int64_t end = clock_now_ms() + timeout_ms;
	int st;

	for (;;) {
		pid_t r = waitpid(pid, &st, WNOHANG);

		if (r == pid)
			return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
		if (r < 0 || clock_now_ms() > end)
			return -1;
		sleep_ms(20);
	}
}

/* SIGTERM (after SIGCONT, for a frozen one); its exit status, or -1 if it had to be killed. */
static int stop(pid_t pid)
{
	int st;

	if (pid <= 0)
		return 0;
	kill(pid, SIGCONT);
	kill(pid, SIGTERM);
	st = wait_exit(pid, 5000);
	if (st < 0) {
		kill(pid, SIGKILL);
		waitpid(pid, NULL, 0);
	}
	return st;
}

static long count_lines(const char *path)
{
	FILE *f = fopen(path, "re");
	long n = 0;
	int c;

	if (!f)
		return 0;
	while ((c = fgetc(f)) != EOF)
		n += c == '\n';
	fclose(f);
	return n;
}

static void path(char *buf, const char *name)
{
	snprintf(buf, PATH_MAX, "%s/%s", env.tmp, name);
}

/* Server addresses from its ready file. */
struct srv {
	pid_t pid;
	char http[80], url[96], listen[64], udp[64];
};

/* Stops the server; it must exit 0 (under ASan this also catches its memory errors). */
static void server_stop(struct t *t, struct srv *s)
{
	int st = stop(s->pid);

	s->pid = -1;
	if (st != 0)
		T_FAIL(t, "server exited with status %d", st);
}

static int server_start(struct srv *s, const char *tag, ...)
{
	char ready[PATH_MAX], log[PATH_MAX], name[64];
	char *argv[32];
	json_t *j = NULL;
	va_list ap;
	int n = 0;

	snprintf(name, sizeof(name), "%s.ready", tag);
	path(ready, name);
	snprintf(name, sizeof(name), "%s.server.log", tag);
	path(log, name);
	argv[n++] = env.qoslab;
	argv[n++] = "server";
	argv[n++] = "--http";
	argv[n++] = "127.0.0.1:0";
	argv[n++] = "--listen";
	argv[n++] = "127.0.0.1:0";
	argv[n++] = "--ready-file";
	argv[n++] = ready;
	va_start(ap, tag);
	while (n < 31 && (argv[n] = va_arg(ap, char *)))
		n++;
	va_end(ap);
	argv[n] = NULL;
	s->pid = fork();
	if (s->pid == 0) {
		int fd = open(log, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);

		prctl(PR_SET_PDEATHSIG, SIGKILL);
		if (fd >= 0) {
			dup2(fd, 1);
			dup2(fd, 2);
		}
		execv(env.qoslab, argv);
		_exit(127);
	}
	for (int i = 0; i < 200 && !j; i++) {
		j = json_load_file(ready, 0, NULL);
		if (!j)
			sleep_ms(25);
	}
	if (!j)
		return -ETIMEDOUT;
	snprintf(s->http, sizeof(s->http), "%s", json_string_value(json_object_get(j, "http")));
	snprintf(s->listen, sizeof(s->listen), "%s", json_string_value(json_object_get(j, "listen")));
	snprintf(s->udp, sizeof(s->udp), "%s",
		 json_string_value(json_object_get(j, "udp")) ? : "");
	snprintf(s->url, sizeof(s->url), "http://%s", s->http);
	json_decref(j);
	return 0;
}

static pid_t worker_start(const struct srv *s, const char *name, const char *tag)
{
	char log[PATH_MAX], file[96];

	snprintf(file, sizeof(file), "%s.%s.log", tag, name);
	path(log, file);
	return spawn(log, "worker", "--server", s->listen, "--model", env.model, "--name", name,
		     NULL);
}

static size_t on_body(char *p, size_t size, size_t nmemb, void *arg)
{
	char **buf = arg;
	size_t old = *buf ? strlen(*buf) : 0, n = size * nmemb;
	char *nb = realloc(*buf, old + n + 1);

	if (!nb)
		return 0;
	memcpy(nb + old, p, n);
	nb[old + n] = 0;
	*buf = nb;
	return n;
}

/* GET url/v1/stats -> counters object value of key, -1 on failure. */
static long stat_counter(const struct srv *s, const char *key)
{
	char url[160], *body = NULL;
	CURL *h = curl_easy_init();
	json_t *j = NULL;
	long v = -1;

	snprintf(url, sizeof(url), "%s/v1/stats", s->url);
	curl_easy_setopt(h, CURLOPT_URL, url);
	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(h, CURLOPT_WRITEDATA, &body);
	curl_easy_setopt(h, CURLOPT_TIMEOUT, 5L);
	if (curl_easy_perform(h) == CURLE_OK && body)
		j = json_loads(body, 0, NULL);
	if (j)
		v = (long)json_integer_value(json_object_get(json_object_get(j, "counters"), key));
	json_decref(j);
	free(body);
	curl_easy_cleanup(h);
	return v;
}

/* Records of one run: n ok (or answered with an error when allow_error), each job index
 * 0..n-1 once, each image once. */
static int check_answered_once(struct t *t, const struct record *r, size_t n, long want,
			       int allow_error)
{
	char seen_job[N_IMAGES] = { 0 };

	if ((long)n != want) {
		T_FAIL(t, "%zu records, expected %ld", n, want);
		return -1;
	}
	for (size_t i = 0; i < n; i++) {
		if (r[i].status != RECORD_OK && !(allow_error && r[i].status == RECORD_ERROR)) {
			T_FAIL(t, "job %ld (%s): status %s: %s", r[i].job, r[i].image,
			       record_status_name(r[i].status), r[i].error);
			return -1;
		}
		if (r[i].job < 0 || r[i].job >= want || seen_job[r[i].job]++) {
			T_FAIL(t, "job %ld recorded twice or out of range", r[i].job);
			return -1;
		}
		for (size_t k = 0; k < i; k++)
			if (!strcmp(r[k].image, r[i].image)) {
				T_FAIL(t, "image %s answered twice", r[i].image);
				return -1;
			}
	}
	return 0;
}

static int check_exactly_once(struct t *t, const struct record *r, size_t n, long want)
{
	return check_answered_once(t, r, n, want, 0);
}

static const struct record *find_image(const struct record *r, size_t n, const char *image)
{
	for (size_t i = 0; i < n; i++)
		if (!strcmp(r[i].image, image))
			return &r[i];
	return NULL;
}

/* Same detections (class, confidence, box) for every image of got as in ref. */
static int same_detections(struct t *t, const struct record *got, size_t n_got,
			   const struct record *ref, size_t n_ref)
{
	for (size_t i = 0; i < n_got; i++) {
		const struct record *r = find_image(ref, n_ref, got[i].image);

		if (!r || r->res.n != got[i].res.n) {
			T_FAIL(t, "%s: %zu detections, reference has %zu", got[i].image, got[i].res.n,
			       r ? r->res.n : 0);
			return -1;
		}
		for (size_t k = 0; k < r->res.n; k++) {
			const struct detection *a = &got[i].res.dets[k], *b = &r->res.dets[k];
			int same = a->cls == b->cls && fabsf(a->conf - b->conf) < 1e-6f;

			for (int c = 0; c < 4; c++)
				same &= fabsf(a->box[c] - b->box[c]) < 1e-6f;
			if (!same) {
				T_FAIL(t, "%s: detection %zu differs from the reference", got[i].image, k);
				return -1;
			}
		}
	}
	return 0;
}

static int map50(const struct record *r, size_t n, double *ret)
{
	struct accuracy *a = NULL;
	int rc = accuracy_evaluate(env.labels, r, n, ACCURACY_CONF_DEFAULT, &a, NULL);

	if (rc == 0)
		*ret = a->map50;
	accuracy_free(a);
	return rc;
}

/* The offline reference for all 64 images, computed once. */
static int make_reference(void)
{
	char log[PATH_MAX];
	pid_t pid;

	if (env.have_ref)
		return 0;
	path(env.ref, "detect.jsonl");
	path(log, "detect.log");
	pid = spawn(log, "detect", "--model", env.model, "--out", env.ref, env.images, NULL);
	if (wait_exit(pid, 300000) != 0)
		return -EIO;
	env.have_ref = 1;
	return 0;
}

#define NEED_DATA(t) do { if (!env.dataset || !env.model) \
	T_SKIP(t, "../shared (models and coco-val2017-64) missing: set QOSLAB_MODELS/QOSLAB_DATASET"); \
	} while (0)

static void two_workers_64_images_map_equals_detect(struct t *t)
{
	struct srv s = { 0 };
	pid_t w1 = -1, w2 = -1, cl;
	char out[PATH_MAX], log[PATH_MAX];
	struct record *recs = NULL, *ref = NULL;
	size_t n = 0, n_ref = 0, on_w1 = 0;
	double map_pipe = 0, map_ref = 0;

	NEED_DATA(t);
	T_ASSERT(t, server_start(&s, "e2e", NULL) == 0);
	w1 = worker_start(&s, "w1", "e2e");
	w2 = worker_start(&s, "w2", "e2e");
	path(out, "e2e.jsonl");
	path(log, "e2e.client.log");
	cl = spawn(log, "client", "--server", s.url, "--dataset", env.dataset, "--out", out,
		   "--concurrency", "4", "--timeout", "120", NULL);
	if (wait_exit(cl, 240000) != 0) {
		T_FAIL(t, "client failed or hung (see %s)", log);
		goto out;
	}
	if (records_read(out, &recs, &n, NULL) < 0) {
		T_FAIL(t, "cannot read %s", out);
		goto out;
	}
	if (check_exactly_once(t, recs, n, N_IMAGES) < 0)
		goto out;
	for (size_t i = 0; i < n; i++)
		on_w1 += !strcmp(recs[i].worker, "w1");
	if (!on_w1 || on_w1 == n)
		T_FAIL(t, "one worker ran all jobs (w1: %zu of %zu)", on_w1, n);
	if (stat_counter(&s, "completed") != N_IMAGES || stat_counter(&s, "redispatched") != 0)
		T_FAIL(t, "server counters: completed %ld, redispatched %ld",
		       stat_counter(&s, "completed"), stat_counter(&s, "redispatched"));
	stop(w1);
	stop(w2);
	w1 = w2 = -1;
	if (make_reference() < 0 || records_read(env.ref, &ref, &n_ref, NULL) < 0) {
		T_FAIL(t, "qoslab detect reference failed");
		goto out;
	}
	if (map50(recs, n, &map_pipe) < 0 || map50(ref, n_ref, &map_ref) < 0) {
		T_FAIL(t, "accuracy evaluation failed");
		goto out;
	}
	fprintf(stderr, "  mAP@0.5 pipeline %.4f, detect %.4f\n", map_pipe, map_ref);
	if (fabs(map_pipe - map_ref) > 0.002)
		T_FAIL(t, "mAP@0.5 %.4f differs from detect's %.4f by more than 0.002", map_pipe,
		       map_ref);
	same_detections(t, recs, n, ref, n_ref);
	server_stop(t, &s);
out:
	records_free(recs, n);
	records_free(ref, n_ref);
	stop(w1);
	stop(w2);
	stop(s.pid);
}

/* Waits until the client has written at least n records (or exited). */
static void wait_records(const char *file, long n, pid_t client)
{
	int64_t end = clock_now_ms() + 120000;

	while (count_lines(file) < n && clock_now_ms() < end && waitpid(client, NULL, WNOHANG) == 0)
		sleep_ms(20);
}

static void kill_stop_and_join_keep_exactly_once(struct t *t)
{
	struct srv s = { 0 };
	pid_t w1 = -1, w2 = -1, w3 = -1, cl;
	char out[PATH_MAX], log[PATH_MAX];
	struct record *recs = NULL;
	size_t n = 0, on_w3 = 0;
	long lost, redispatched;

	NEED_DATA(t);
	T_ASSERT(t, server_start(&s, "kill", "--heartbeat-ms", "200", "--heartbeat-timeout", "1",
				 NULL) == 0);
	w1 = worker_start(&s, "w1", "kill");
	w2 = worker_start(&s, "w2", "kill");
	path(out, "kill.jsonl");
	path(log, "kill.client.log");
	/* No client retries: a job the server lost would show up as a timeout, not be hidden. */
	cl = spawn(log, "client", "--server", s.url, "--dataset", env.dataset, "--out", out,
		   "--concurrency", "3", "--timeout", "120", "--retries", "0", NULL);
	wait_records(out, 8, cl);
	kill(w1, SIGKILL);
	waitpid(w1, NULL, 0);
	w1 = -1;
	wait_records(out, 16, cl);
	kill(w2, SIGSTOP);
	w3 = worker_start(&s, "w3", "kill");
	if (wait_exit(cl, 240000) != 0) {
		T_FAIL(t, "client failed or hung (see %s)", log);
		goto out;
	}
	if (records_read(out, &recs, &n, NULL) < 0) {
		T_FAIL(t, "cannot read %s", out);
		goto out;
	}
	if (check_exactly_once(t, recs, n, N_IMAGES) < 0)
		goto out;
	for (size_t i = 0; i < n; i++) {
		on_w3 += !strcmp(recs[i].worker, "w3");
		if (recs[i].attempts != 1)
			T_FAIL(t, "job %ld took %d client attempts", recs[i].job, recs[i].attempts);
	}
	lost = stat_counter(&s, "workers_lost");
	redispatched = stat_counter(&s, "redispatched");
	fprintf(stderr, "  workers lost %ld, jobs re-dispatched %ld, jobs on w3 %zu\n", lost,
		redispatched, on_w3);
	if (stat_counter(&s, "completed") != N_IMAGES)
		T_FAIL(t, "server completed %ld jobs", stat_counter(&s, "completed"));
	if (lost < 2 || redispatched < 1 || !on_w3)
		T_FAIL(t, "workers lost %ld (want >= 2), re-dispatched %ld (want >= 1), w3 ran %zu",
		       lost, redispatched, on_w3);
	/* The frozen worker wakes up to a closed connection, rejoins, and leaves at shutdown. */
	kill(w2, SIGCONT);
	for (int i = 0; i < 500 && stat_counter(&s, "workers_joined") < 4; i++)
		sleep_ms(20);
	if (stat_counter(&s, "workers_joined") < 4)
		T_FAIL(t, "the resumed worker did not rejoin");
	server_stop(t, &s);
	if (wait_exit(w2, 10000) != 0)
		T_FAIL(t, "the resumed worker did not exit cleanly at server shutdown");
	else
		w2 = -1;
out:
	records_free(recs, n);
	stop(w1);
	stop(w2);
	stop(w3);
	stop(s.pid);
}

static void udp_zero_loss_matches_tcp_lossy_answers(struct t *t)
{
	struct srv s = { 0 };
	pid_t w = -1, cl;
	char out[PATH_MAX], log[PATH_MAX];
	struct record *recs = NULL, *ref = NULL;
	size_t n = 0, n_ref = 0;
	static const struct { const char *chunk, *mode, *count; } runs[] = {
		{ "512", "holes", "8" }, { "128", "concat", "4" }, { "1400", "holes", "4" },
	};

	NEED_DATA(t);
	if (make_reference() < 0 || records_read(env.ref, &ref, &n_ref, NULL) < 0) {
		T_FAIL(t, "qoslab detect reference failed");
		goto out;
	}
	T_ASSERT(t, server_start(&s, "udp", "--udp", "127.0.0.1:0", NULL) == 0);
	w = worker_start(&s, "w1", "udp");
	for (size_t k = 0; k < sizeof(runs) / sizeof(runs[0]); k++) {
		char name[64];

		snprintf(name, sizeof(name), "udp-%s-%s.jsonl", runs[k].chunk, runs[k].mode);
		path(out, name);
		path(log, "udp.client.log");
		cl = spawn(log, "client", "--server", s.url, "--dataset", env.dataset, "--out", out,
			   "--count", runs[k].count, "--concurrency", "2", "--timeout", "120",
			   "--udp", s.udp, "--chunk", runs[k].chunk, "--reassembly", runs[k].mode, NULL);
		if (wait_exit(cl, 120000) != 0) {
			T_FAIL(t, "client failed or hung (see %s)", log);
			goto out;
		}
		if (records_read(out, &recs, &n, NULL) < 0) {
			T_FAIL(t, "cannot read %s", out);
			goto out;
		}
		if (check_exactly_once(t, recs, n, atol(runs[k].count)) < 0 ||
		    same_detections(t, recs, n, ref, n_ref) < 0)
			goto out;
		records_free(recs, n);
		recs = NULL;
		n = 0;
	}
	if (stat_counter(&s, "udp_bad") != 0)
		T_FAIL(t, "server saw %ld bad datagrams", stat_counter(&s, "udp_bad"));
	/* Lossy (the client drops 10 % of its datagrams): damaged images, yet every job gets
	 * exactly one answer, detections or an error, and no timeout. */
	path(out, "udp-lossy.jsonl");
	cl = spawn(log, "client", "--server", s.url, "--dataset", env.dataset, "--out", out,
		   "--count", "8", "--concurrency", "2", "--timeout", "120", "--retries", "0",
		   "--udp", s.udp, "--chunk", "256", "--udp-drop", "0.1", NULL);
	if (wait_exit(cl, 120000) != 0) {
		T_FAIL(t, "lossy client failed or hung (see %s)", log);
		goto out;
	}
	if (records_read(out, &recs, &n, NULL) < 0 || check_answered_once(t, recs, n, 8, 1) < 0)
		goto out;
	server_stop(t, &s);
out:
	records_free(recs, n);
	records_free(ref, n_ref);
	stop(w);
	stop(s.pid);
}

static void env_setup(void)
{
	char exe[PATH_MAX];
	char *tried = NULL;
	ssize_t len = readlink("/proc/self/exe", exe, sizeof(exe) - 1);

	if (len > 0) {
		exe[len] = 0;
		/* build/tests/test_pipeline -> build/qoslab */
		snprintf(env.qoslab, sizeof(env.qoslab), "%s/../qoslab", dirname(exe));
	}
	if (locate_dataset_dir(&env.dataset, &tried) < 0)
		env.dataset = NULL;
	free(tried);
	tried = NULL;
	if (locate_default_model(&env.model, &tried) < 0)
		env.model = NULL;
	free(tried);
	if (env.dataset) {
		snprintf(env.labels, sizeof(env.labels), "%s/labels", env.dataset);
		snprintf(env.images, sizeof(env.images), "%s/images", env.dataset);
	}
	snprintf(env.tmp, sizeof(env.tmp), "/tmp/qoslab-pipeline.XXXXXX");
	if (!mkdtemp(env.tmp))
		env.tmp[0] = 0;
}

static void env_teardown(void)
{
	char cmd[128];

	if (env.tmp[0] && !getenv("QOSLAB_KEEP_TMP")) {
		snprintf(cmd, sizeof(cmd), "rm -rf '%s'", env.tmp);
		if (system(cmd) != 0)
			fprintf(stderr, "cannot remove %s\n", env.tmp);
	}
	free(env.dataset);
	free(env.model);
}

int main(int argc, char **argv)
{
	static const struct t_case cases[] = {
		T_CASE(two_workers_64_images_map_equals_detect),
		T_CASE(kill_stop_and_join_keep_exactly_once),
		T_CASE(udp_zero_loss_matches_tcp_lossy_answers),
		{ 0 },
	};
	int r;

	curl_global_init(CURL_GLOBAL_DEFAULT);
	env_setup();
	r = t_main(cases, argc, argv);
	env_teardown();
	curl_global_cleanup();
	return r;
}
