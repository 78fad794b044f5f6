// SPDX-License-Identifier: MIT
/* The testbed as a user sees it: nodes reach each other, failures are visible from another
 * node and recover, runs do not collide, crashes are cleaned, bad input builds nothing. */
#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "emu/capture.h"
#include "emu/kernel.h"
#include "emu/sampler.h"
#include "emu/testbed.h"
#include "measure/probe.h"
#include "scenarios/failure.h"
#include "t.h"

#define ECHO_PORT 47100

static char qoslab_bin[512];

static struct testbed *bed(struct t *t, unsigned int workers)
{
	struct testbed_config cfg = { .workers = workers };
	struct testbed *tb = NULL;
	char err[256];

	if (testbed_new(&cfg, &tb, err, sizeof(err)) < 0)
		T_FAIL(t, "%s", err);
	return tb;
}

/* Probes answered out of n, client -> node (by the echo process when port is set). */
static int answered(struct testbed *tb, int node, uint16_t port, uint32_t n)
{
	struct probe_result pr = { 0 };
	int got;

	if (probe_udp(tb, 0, node, port, n, 20000, 300, &pr) < 0)
		return -1;
	got = (int)(n - pr.lost_rtt);
	probe_result_clear(&pr);
	return got;
}

/* A freshly started process may need a moment (UML loads binaries through hostfs). */
static int answers_within(struct testbed *tb, int node, uint16_t port, int tries)
{
	while (tries-- > 0)
		if (answered(tb, node, port, 2) == 2)
			return 1;
	return 0;
}

/* qoslab objects in /run/netns and in the cgroup trees. */
static int leftovers(void)
{
	static const char *const dirs[] = { "/run/netns", "/sys/fs/cgroup", "/sys/fs/cgroup/cpu",
					    "/sys/fs/cgroup/freezer", "/run/qoslab" };
	int n = 0;

	for (size_t i = 0; i < sizeof(dirs) / sizeof(dirs[0]); i++) {
		DIR *d = opendir(dirs[i]);
		struct dirent *de;

		if (!d)
			continue;
		while ((de = readdir(d)))
			n += !strncmp(de->d_name, TESTBED_PREFIX, strlen(TESTBED_PREFIX));
		closedir(d);
	}
	return n;
}

static void all_nodes_reach_each_other(struct t *t)
{
	struct testbed *tb = bed(t, 8);

	T_ASSERT(t, tb);
	for (int k = 1; k < testbed_node_count(tb); k++)
		if (answered(tb, k, 0, 3) != 3)
			T_FAIL(t, "client cannot reach %s", testbed_node_name(tb, k));
	testbed_free(tb);
	T_EQ_INT(t, leftovers(), 0);
}

static void failure_observed_and_recovered(struct t *t, enum failure_kind kind)
{
	struct testbed *tb = bed(t, 2);
	char port[16];
	pid_t pid;
	int w = 2; /* worker-1 */

	T_ASSERT(t, tb);
	snprintf(port, sizeof(port), "%d", ECHO_PORT);
	char *echo[] = { qoslab_bin, "echo", port, NULL };
	T_ASSERT(t, testbed_spawn(tb, w, echo, &pid) == 0);
	T_ASSERTF(t, answers_within(tb, w, ECHO_PORT, 10), "echo in worker-1 does not answer");
	T_ASSERT(t, failure_inject(tb, w, kind) == 0);
	T_ASSERTF(t, answered(tb, w, ECHO_PORT, 5) == 0, "%s: worker-1 still answers", failure_name(kind));
	T_ASSERT(t, failure_recover(tb, w, kind) == 0);
	T_ASSERTF(t, answers_within(tb, w, ECHO_PORT, 10), "%s: worker-1 did not recover",
		  failure_name(kind));
	/* the other worker never noticed */
	T_ASSERT(t, answered(tb, 3, 0, 3) == 3);
	testbed_free(tb);
}

static void failure_kill(struct t *t) { failure_observed_and_recovered(t, FAILURE_KILL); }
static void failure_freeze(struct t *t) { failure_observed_and_recovered(t, FAILURE_FREEZE); }
static void failure_partition(struct t *t) { failure_observed_and_recovered(t, FAILURE_PARTITION); }
static void failure_blackhole(struct t *t) { failure_observed_and_recovered(t, FAILURE_BLACKHOLE); }

static void two_testbeds_at_once(struct t *t)
{
	struct testbed *a = bed(t, 1), *b = bed(t, 1);
	struct impair lossy = { .loss = 1 };

	T_ASSERT(t, a && b);
	T_ASSERT(t, strcmp(testbed_run_name(a), testbed_run_name(b)) != 0);
	/* same addresses in both, but a blackhole in one does not touch the other */
	T_ASSERT(t, testbed_impair(a, 1, DIR_DOWN, &lossy) == 0);
	T_EQ_INT(t, answered(a, 1, 0, 5), 0);
	T_EQ_INT(t, answered(b, 1, 0, 5), 5);
	testbed_free(a);
	T_EQ_INT(t, answered(b, 1, 0, 5), 5);
	testbed_free(b);
	T_EQ_INT(t, leftovers(), 0);
}

static void killed_controller_then_clean(struct t *t)
{
	unsigned int removed = 0;
	int status, sync[2];
	pid_t pid;
	char c;

	T_ASSERT(t, pipe(sync) == 0);
	pid = fork();
	if (pid == 0) {
		struct testbed_config cfg = { .workers = 3 };
		struct testbed *tb;
		char err[256];
		pid_t p;

		if (testbed_new(&cfg, &tb, err, sizeof(err)) < 0)
			_exit(1);
		char *sleeper[] = { "sleep", "60", NULL };
		testbed_spawn(tb, 2, sleeper, &p);
		if (write(sync[1], "u", 1) != 1)
			_exit(1);
		pause();
		_exit(0);
	}
	close(sync[1]);
	T_ASSERT(t, read(sync[0], &c, 1) == 1);
	close(sync[0]);
	kill(pid, SIGKILL);
	waitpid(pid, &status, 0);
	T_ASSERTF(t, leftovers() > 0, "a SIGKILLed controller left nothing to clean?");
	T_ASSERT(t, testbed_clean(0, &removed) == 0);
	T_ASSERT(t, removed > 0);
	T_EQ_INT(t, leftovers(), 0);
}

static void bad_input_creates_nothing(struct t *t)
{
	static const struct { const char *key, *value; } bad[] = {
		{ "loss", "150%" }, { "delay", "-5ms" }, { "rate", "0" },
		{ "distribution", "gaussian" }, { "jitter", "ten" }, { "volume", "11" },
	};
	struct testbed_config cfg = { .workers = 0 };
	struct testbed *tb = NULL;
	char err[512];

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct impair im = { 0 };

		T_ASSERT(t, impair_set(&im, bad[i].key, bad[i].value, err, sizeof(err)) < 0);
		T_ASSERTF(t, strstr(err, bad[i].key) && (strstr(err, bad[i].value) || i == 5),
			  "error '%s' does not name %s=%s", err, bad[i].key, bad[i].value);
	}
	T_ASSERT(t, testbed_new(&cfg, &tb, err, sizeof(err)) == -EINVAL);
	T_ASSERTF(t, strstr(err, "workers"), "error '%s' does not name workers", err);
	cfg = (struct testbed_config){ .workers = 1, .subnet = "10.1.2.0/24" };
	T_ASSERT(t, testbed_new(&cfg, &tb, err, sizeof(err)) == -EINVAL);
	T_ASSERTF(t, strstr(err, "subnet"), "error '%s' does not name subnet", err);
	T_EQ_INT(t, leftovers(), 0);
}

static void cpu_limit_half_a_cpu(struct t *t)
{
	struct testbed_config cfg = { .workers = 1, .cpu_worker = 0.5 };
	struct testbed *tb = NULL;
	uint64_t cpu_ns = 0, rss;
	char err[256];
	pid_t pid;

	T_ASSERT(t, testbed_new(&cfg, &tb, err, sizeof(err)) == 0);
	char *spin[] = { "timeout", "2", "sh", "-c", "while :; do :; done", NULL };
	T_ASSERT(t, testbed_spawn(tb, 2, spin, &pid) == 0);
	waitpid(pid, NULL, 0);
	T_ASSERT(t, testbed_node_usage(tb, 2, &cpu_ns, &rss) == 0);
	fprintf(stderr, "  busy loop for 2 s at 0.5 CPU used %.3f s of CPU\n", cpu_ns / 1e9);
	/* UML accounts CPU time per tick and overshoots the quota by up to ~25 % */
	if (cpu_ns < 0.8e9 || cpu_ns > 1.3e9)
		T_FAIL(t, "used %.3f s of CPU in 2 s, expected about 1.0", cpu_ns / 1e9);
	testbed_free(tb);
}

static int count_lines(const char *cmd)
{
	char line[512];
	FILE *p = popen(cmd, "r");
	int n = 0;

	if (!p)
		return -1;
	while (fgets(line, sizeof(line), p))
		n++;
	pclose(p);
	return n;
}

static void capture_reads_in_tshark(struct t *t)
{
	char dir[] = "/tmp/qoslab-test-XXXXXX", pcap[128], csv[128], cmd[512], err[256];
	struct testbed *tb = bed(t, 1);
	struct capture *cap = NULL;
	struct sampler *smp = NULL;
	uint64_t pkts = 0;

	T_ASSERT(t, tb && mkdtemp(dir));
	snprintf(pcap, sizeof(pcap), "%s/server.pcap", dir);
	snprintf(csv, sizeof(csv), "%s/samples.csv", dir);
	T_ASSERTF(t, capture_new(tb, 1, pcap, 0, &cap, err, sizeof(err)) == 0, "%s", err);
	T_ASSERT(t, sampler_new(tb, csv, 100, &smp) == 0);
	T_ASSERT(t, answered(tb, 1, 0, 10) == 10);
	capture_free(cap, &pkts, NULL);
	sampler_free(smp);
	/* 10 probes to the server and 10 answers, as tshark (the outside referee) reads them */
	snprintf(cmd, sizeof(cmd), "tshark -r %s -Y 'udp.port == 47001' 2>/dev/null", pcap);
	int n = count_lines(cmd);
	if (n < 0 || system("command -v tshark >/dev/null") != 0)
		T_SKIP(t, "tshark is not installed (Debian package tshark)");
	if (n != 20) {
		snprintf(cmd, sizeof(cmd), "tshark -r %s 2>/dev/null | head -30 >&2", pcap);
		if (system(cmd) != 0)
			T_FAIL(t, "tshark");
	}
	T_EQ_INT(t, n, 20);
	/* header + one row per node per sample, at least two samples */
	snprintf(cmd, sizeof(cmd), "grep -c ',server,' %s", csv);
	FILE *p = popen(cmd, "r");
	int rows = 0;
	T_ASSERT(t, p && fscanf(p, "%d", &rows) == 1);
	pclose(p);
	T_ASSERTF(t, rows >= 2, "%d sample rows for the server", rows);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	T_ASSERT(t, system(cmd) == 0);
	testbed_free(tb);
}

static const struct t_case cases[] = {
	T_CASE(capture_reads_in_tshark),
	T_CASE(bad_input_creates_nothing),
	T_CASE(all_nodes_reach_each_other),
	T_CASE(failure_kill),
	T_CASE(failure_freeze),
	T_CASE(failure_partition),
	T_CASE(failure_blackhole),
	T_CASE(two_testbeds_at_once),
	T_CASE(killed_controller_then_clean),
	T_CASE(cpu_limit_half_a_cpu),
	{ 0 }
};

int main(int argc, char **argv)
{
	char why[256], *slash;
	int status, r;

	r = kernel_enter_program(KERNEL_AUTO, argv, &status, why, sizeof(why));
	if (r == 1)
		return status;
	if (r < 0) {
		printf("skip - testbed: %s\n", why);
		return 0;
	}
	/* build/tests/test_testbed -> build/qoslab */
	snprintf(qoslab_bin, sizeof(qoslab_bin), "%s", argv[0]);
	slash = strrchr(qoslab_bin, '/');
	snprintf(slash ? slash + 1 : qoslab_bin, sizeof(qoslab_bin) - (size_t)(slash ? slash + 1 - qoslab_bin : 0),
		 "../qoslab");
	return t_main(cases, argc, argv);
}
