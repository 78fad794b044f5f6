// SPDX-License-Identifier: MIT
/* Acceptance of the netem layer on a real kernel (the host's, or UML's where the host has no
 * netem): iproute2 reads back what we configured, and probes measure what we asked for. */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "emu/kernel.h"
#include "emu/testbed.h"
#include "measure/probe.h"
#include "netem/netem.h"
#include "t.h"

static struct testbed *bed(struct t *t)
{
	struct testbed_config cfg = { .workers = 1 };
	struct testbed *tb = NULL;
	char err[256];

	if (testbed_new(&cfg, &tb, err, sizeof(err)) < 0)
		T_FAIL(t, "%s", err);
	return tb;
}

static int impair(struct testbed *tb, const char *spec)
{
	struct impair im = { 0 };
	char node[32], err[256];
	int dirs, r;

	r = impair_spec_parse(spec, node, sizeof(node), &dirs, &im, err, sizeof(err));
	if (r < 0) {
		fprintf(stderr, "  %s\n", err);
		return r;
	}
	for (int d = 0; d < 2; d++)
		if (dirs & (1 << d) && (r = testbed_impair(tb, testbed_node_index(tb, node),
							   (enum link_dir)d, &im)) < 0)
			return r;
	return 0;
}

/* `tc -s -d qdisc show dev server` in the switch namespace, first line. */
static int tc_show(struct testbed *tb, const char *dev, char *buf, size_t len)
{
	char cmd[256];
	FILE *p;

	snprintf(cmd, sizeof(cmd), "ip netns exec %s-switch tc -d qdisc show dev %s",
		 testbed_run_name(tb), dev);
	p = popen(cmd, "r");
	if (!p)
		return -errno;
	if (!fgets(buf, (int)len, p))
		buf[0] = 0;
	pclose(p);
	buf[strcspn(buf, "\n")] = 0;
	return 0;
}

/* Delay tables come from $TC_LIB_DIR when set, as tc takes them, else iproute2's folder. */
static void dist_tables_from_tc_lib_dir(struct t *t)
{
	char dir[] = "/tmp/qoslab-tcdir.XXXXXX", path[64];
	int16_t *tab = NULL;
	uint32_t n = 0;
	FILE *f;
	int r;

	T_ASSERT(t, mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/normal.dist", dir);
	f = fopen(path, "w");
	T_ASSERT(t, f);
	fputs("# a table of our own\n1 2 3\n-4 5\n", f);
	fclose(f);
	setenv("TC_LIB_DIR", dir, 1);
	r = netem_dist_load(DIST_NORMAL, &tab, &n);
	unsetenv("TC_LIB_DIR");
	unlink(path);
	rmdir(dir);
	T_EQ_INT(t, r, 0);
	T_EQ_INT(t, n, 5);
	T_ASSERT(t, tab[0] == 1 && tab[3] == -4 && tab[4] == 5);
	free(tab);
	T_EQ_INT(t, netem_dist_load(DIST_NORMAL, &tab, &n), 0);
	T_ASSERT(t, n > 1000); /* iproute2's own normal.dist */
	free(tab);
}

static void readback_matches_tc(struct t *t)
{
	static const struct {
		const char *spec, *want;
	} cases[] = {
		{ "server:down:delay=50ms,jitter=10ms,distribution=normal,rate=10mbit,limit=500",
		  "limit 500 delay 50ms  10ms rate 10Mbit" },
		/* no rate: the queue is sized for 1 Gbit/s x 20 ms x 1.5 = 2500 packets */
		{ "server:down:delay=20ms,loss=10%,loss_corr=25%,duplicate=1%,corrupt=0.5%,reorder=25%,gap=5",
		  "limit 2500 delay 20ms loss 10% 25% duplicate 1% reorder 25% corrupt 0.5% gap 5" },
		{ "server:down:loss_gemodel=1%/10%/70%/0.1%",
		  "limit 1000 loss gemodel p 1% r 10% 1-h 70% 1-k 0.1%" },
		{ "server:down:loss_state=1%/20%/5%/3%/0.5%",
		  "limit 1000 loss state p13 1% p31 20% p32 5% p23 3% p14 0.5%" },
		/* the queue sized from the bandwidth-delay product: 1.5 x 2 Gbit/s x 20 ms */
		{ "server:down:delay=20ms,rate=2gbit", "limit 5000 delay 20ms rate 2Gbit" },
	};
	struct testbed *tb = bed(t);
	char got[512];

	T_ASSERT(t, tb);
	/* applied in sequence on one live qdisc: every change is a replace */
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		T_ASSERTF(t, impair(tb, cases[i].spec) == 0, "apply %s", cases[i].spec);
		tc_show(tb, "server", got, sizeof(got));
		if (!strstr(got, cases[i].want))
			T_FAIL(t, "tc shows '%s', expected '%s'", got, cases[i].want);
	}
	testbed_free(tb);
}

/* RTT median and stddev over n probes. Inside UML a busy host delays the guest's timers, so
 * a measurement gets a second attempt before it counts (both are printed). */
static int rtt(struct t *t, struct testbed *tb, uint32_t n, double *med, double *sd, int attempt)
{
	struct probe_result pr = { 0 };
	int r = probe_udp(tb, 0, 1, 0, n, 5000, 500, &pr);

	if (!r)
		r = probe_stats(pr.rtt_ns, pr.count, med, sd);
	if (!r)
		fprintf(stderr, "  attempt %d: RTT median %.3f ms, stddev %.3f ms, lost %u/%u\n",
			attempt, *med / 1e6, *sd / 1e6, pr.lost_rtt, n);
	probe_result_clear(&pr);
	if (r < 0)
		T_FAIL(t, "probe: %s", strerror(-r));
	return r;
}

static void delay_50ms_one_direction(struct t *t)
{
	struct testbed *tb = bed(t);
	double med = 0, sd;

	T_ASSERT(t, tb);
	T_ASSERT(t, impair(tb, "server:down:delay=50ms") == 0);
	for (int a = 1; a <= 2; a++)
		if (rtt(t, tb, 200, &med, &sd, a) < 0 || fabs(med / 1e6 - 50) <= 1)
			break;
	if (fabs(med / 1e6 - 50) > 1)
		T_FAIL(t, "median RTT %.3f ms, expected 50 +- 1 ms", med / 1e6);
	testbed_free(tb);
}

static void jitter_10ms_normal(struct t *t)
{
	struct testbed *tb = bed(t);
	double med, sd = 0;

	T_ASSERT(t, tb);
	T_ASSERT(t, impair(tb, "server:down:delay=50ms,jitter=10ms,distribution=normal") == 0);
	for (int a = 1; a <= 2; a++)
		if (rtt(t, tb, 400, &med, &sd, a) < 0 || (sd / 1e6 >= 7 && sd / 1e6 <= 13))
			break;
	if (sd / 1e6 < 7 || sd / 1e6 > 13)
		T_FAIL(t, "RTT stddev %.2f ms, expected 10 ms +- 30 %%", sd / 1e6);
	testbed_free(tb);
}

/* Lost probe numbers with loss 10 % and a seed. */
/* interval_us: a probe every that many microseconds; a busy host drops or delays a dense
 * stream on its own, which a comparison of lost sets must not see. ret_drops (may be NULL):
 * what the client's netem itself dropped. */
static int lost_seqs_drops(struct t *t, const char *spec, uint32_t n, uint32_t interval_us,
			   uint32_t *ret_lost, uint64_t *ret_drops, char *seqs, size_t len)
{
	struct testbed *tb = bed(t);
	struct probe_result pr = { 0 };
	uint64_t sent = 0, drops = 0;
	size_t off = 0;

	if (!tb)
		return -1;
	/* no ARP through netem: it would use random numbers too */
	if (testbed_pin_neighbours(tb) < 0) {
		testbed_free(tb);
		return -1;
	}
	if (impair(tb, spec) < 0 || probe_udp(tb, 0, 1, 0, n, interval_us, 1000, &pr) < 0 ||
	    (ret_drops && testbed_netem_stats(tb, 0, DIR_UP, &sent, &drops) < 0)) {
		probe_result_clear(&pr);
		testbed_free(tb);
		return -1;
	}
	if (ret_drops)
		*ret_drops = drops;
	*ret_lost = pr.lost_fwd;
	seqs[0] = 0;
	for (uint32_t i = 0; i < n && off + 12 < len; i++)
		if (pr.owd_ns[i] < 0)
			off += (size_t)snprintf(seqs + off, len - off, "%u ", i);
	probe_result_clear(&pr);
	testbed_free(tb);
	return 0;
}

static int lost_seqs(struct t *t, const char *spec, uint32_t n, uint32_t interval_us,
		     uint32_t *ret_lost, char *seqs, size_t len)
{
	return lost_seqs_drops(t, spec, n, interval_us, ret_lost, NULL, seqs, len);
}

static void loss_10pct_binomial(struct t *t)
{
	uint32_t n = 10000, lost = 0;
	char seqs[16384];
	double p = 0.10, half = 3.2905 * sqrt(p * (1 - p) / n);

	T_ASSERT(t, lost_seqs(t, "client:up:loss=10%", n, 100, &lost, seqs, sizeof(seqs)) == 0);
	fprintf(stderr, "  loss 10 %%: %u/%u lost = %.2f %% (99.9 %% interval %.2f..%.2f %%)\n", lost, n,
		100.0 * lost / n, 100 * (p - half), 100 * (p + half));
	if (fabs((double)lost / n - p) > half)
		T_FAIL(t, "measured loss %.3f outside %.3f +- %.4f", (double)lost / n, p, half);
}

static void loss_same_seed_same_packets(struct t *t)
{
	uint32_t lost1 = 0, lost2 = 0;
	uint64_t drops1 = 0, drops2 = 0;
	static char a[16384], b[16384];
	char why[64];

	/* Same seed, same decisions: netem's own drop counts must agree, and so must the lost
	 * sets; a set that differs while the counts agree lost a probe outside netem (the host),
	 * so that comparison gets one more try. */
	for (int attempt = 1; attempt <= 2; attempt++) {
		T_ASSERT(t, lost_seqs_drops(t, "client:up:loss=10%,seed=42", 2000, 1000, &lost1,
					    &drops1, a, sizeof(a)) == 0);
		T_ASSERT(t, lost_seqs_drops(t, "client:up:loss=10%,seed=42", 2000, 1000, &lost2,
					    &drops2, b, sizeof(b)) == 0);
		if (!strcmp(a, b) || drops1 != drops2)
			break;
		fprintf(stderr, "  attempt %d: netem dropped %llu both times, the receiver missed %u and "
			"%u: a probe lost outside netem\n", attempt, (unsigned long long)drops1, lost1, lost2);
	}
	if (strcmp(a, b)) {
		kernel_describe(why, sizeof(why));
		fprintf(stderr, "  kernel %s: runs lost %u and %u probes (netem dropped %llu and %llu), "
			"different ones\n", why, lost1, lost2, (unsigned long long)drops1,
			(unsigned long long)drops2);
		/* a kernel that reports the seed back claims to honour it: then this is a failure */
		if (kernel_netem_seed_honoured() == 1)
			T_FAIL(t, "the kernel honours TCA_NETEM_PRNG_SEED, yet the same seed lost different probes");
		else
			T_SKIP(t, "this kernel ignores netem's PRNG seed (Linux < 6.7 without `make kernel`)");
		return;
	}
	T_ASSERT(t, lost1 > 0);
	fprintf(stderr, "  same seed twice: the same %u of 2000 probes lost\n", lost1);
}

static void rate_10mbit_tcp(struct t *t)
{
	struct testbed *tb = bed(t);
	double bps = 0;

	T_ASSERT(t, tb);
	T_ASSERT(t, impair(tb, "server:down:rate=10mbit") == 0);
	T_ASSERT(t, probe_tcp_rate(tb, 0, 1, 4.0, 1.0, &bps) == 0);
	fprintf(stderr, "  rate 10 Mbit/s: TCP goodput %.2f Mbit/s\n", bps / 1e6);
	if (bps < 9.0e6 || bps > 10.0e6)
		T_FAIL(t, "TCP goodput %.2f Mbit/s, expected 9.0..10.0", bps / 1e6);
	testbed_free(tb);
}

/* TCP the node sends itself, lost on its own egress: netem must decide and count per wire
 * packet. TCP builds GSO packets whatever ethtool says (Linux >= 4.13) and they are cut only
 * after the qdisc; without one segment per GSO packet netem dropped bursts and counted
 * each as one drop (seed 004's client uplink: 4.6 % counted for 10 % asked). */
static void tcp_loss_per_wire_packet(struct t *t)
{
	struct testbed *tb = bed(t);
	uint64_t sent = 0, drops = 0;
	double bps = 0, p = 0.05, measured, half;

	T_ASSERT(t, tb);
	T_ASSERT(t, impair(tb, "client:up:loss=5%") == 0);
	/* 5 % loss may take the SYN or the probe's first exchange: a failed probe is tried
	 * again (the counts add up over the attempts, which is what is checked) */
	int r = -1;

	for (int attempt = 0; attempt < 3 && r != 0; attempt++)
		r = probe_tcp_rate(tb, 0, 1, 2.0, 0.0, &bps);
	T_ASSERT(t, r == 0);
	T_ASSERT(t, testbed_netem_stats(tb, 0, DIR_UP, &sent, &drops) == 0);
	measured = (double)drops / (double)(sent + drops);
	half = 3.2905 * sqrt(p * (1 - p) / (double)(sent + drops));
	fprintf(stderr, "  TCP, 5 %% loss on the sender's egress: %llu of %llu packets dropped = "
		"%.2f %% (99.9 %% interval %.2f..%.2f %%)\n", (unsigned long long)drops,
		(unsigned long long)(sent + drops), 100 * measured, 100 * (p - half), 100 * (p + half));
	if (sent + drops < 1000 || fabs(measured - p) > half)
		T_FAIL(t, "netem dropped %.3f of %llu TCP packets, expected %.3f +- %.4f", measured,
		       (unsigned long long)(sent + drops), p, half);
	testbed_free(tb);
}

static const struct t_case cases[] = {
	T_CASE(dist_tables_from_tc_lib_dir),
	T_CASE(readback_matches_tc),
	T_CASE(delay_50ms_one_direction),
	T_CASE(jitter_10ms_normal),
	T_CASE(loss_10pct_binomial),
	T_CASE(loss_same_seed_same_packets),
	T_CASE(rate_10mbit_tcp),
	T_CASE(tcp_loss_per_wire_packet),
	{ 0 }
};

int main(int argc, char **argv)
{
	char why[256];
	int status, r;

	r = kernel_enter_program(KERNEL_AUTO, argv, &status, why, sizeof(why));
	if (r == 1)
		return status;
	if (r < 0) {
		printf("skip - netem: %s\n", why);
		return 0;
	}
	return t_main(cases, argc, argv);
}
