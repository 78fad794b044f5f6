// SPDX-License-Identifier: MIT
/* Scenario files: the shipped ones load, trials and seeds are deterministic, resolve applies
 * factors, and every kind of invalid file fails with FILE:LINE: KEY. No kernel involved. */
#include <errno.h>
#include <ftw.h>
#include <glob.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "emu/topology.h"
#include "scenarios/scenario.h"
#include "scenarios/sweep.h"
#include "tests/t.h"

struct tmp {
	char dir[64];
	char path[128];
};

/* Writes text to DIR/name.yaml in a fresh temporary directory. */
static int tmp_write(struct tmp *tmp, const char *name, const char *text)
{
	FILE *f;

	if (!tmp->dir[0]) {
		snprintf(tmp->dir, sizeof(tmp->dir), "/tmp/qoslab-scenario.XXXXXX");
		if (!mkdtemp(tmp->dir))
			return -errno;
	}
	snprintf(tmp->path, sizeof(tmp->path), "%s/%s.yaml", tmp->dir, name);
	f = fopen(tmp->path, "we");
	if (!f)
		return -errno;
	fputs(text, f);
	return fclose(f) ? -errno : 0;
}

static int rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st; (void)flag; (void)ftw;
	return remove(path);
}

static void tmp_clean(struct tmp *tmp)
{
	if (tmp->dir[0])
		nftw(tmp->dir, rm_entry, 8, FTW_DEPTH | FTW_PHYS);
	tmp->dir[0] = '\0';
}

/* Loads text as a scenario file; err gets the message. */
static int load_text(struct tmp *tmp, const char *text, struct scenario **ret, char *err, size_t len)
{
	int r = tmp_write(tmp, "s", text);

	if (r < 0) {
		snprintf(err, len, "cannot write %s: %s", tmp->path, strerror(-r));
		return r;
	}
	return scenario_load(tmp->path, ret, err, len);
}

static void shipped_files_load(struct t *t)
{
	glob_t g = { 0 };
	char err[SCENARIO_ERR_MAX];
	int seen_default = 0;

	T_ASSERT(t, glob("scenarios/*.yaml", 0, NULL, &g) == 0);
	T_ASSERTF(t, g.gl_pathc >= 8, "%zu scenario files, expected default + 7 seed files",
		  g.gl_pathc);
	for (size_t i = 0; i < g.gl_pathc; i++) {
		struct scenario *sc = NULL;
		struct scenario_trial *tr = NULL;
		size_t n = 0;
		int r = scenario_load(g.gl_pathv[i], &sc, err, sizeof(err));

		if (r < 0) {
			T_FAIL(t, "%s", err);
			continue;
		}
		if (scenario_trials(sc, &tr, &n) < 0 || n != sc->n_points * (size_t)sc->repeats)
			T_FAIL(t, "%s: %zu trials for %zu points x %d repeats", g.gl_pathv[i], n,
			       sc->n_points, sc->repeats);
		if (!sc->n_factors || sc->repeats < 2)
			T_FAIL(t, "%s: a shipped scenario sweeps something and repeats it", g.gl_pathv[i]);
		if (strstr(g.gl_pathv[i], "/default.yaml")) {
			seen_default = 1;
			/* the default must finish in minutes: few trials, few images */
			if (n > 12 || sc->workload.count > 32)
				T_FAIL(t, "default.yaml: %zu trials of %d jobs", n, sc->workload.count);
		}
		scenario_trials_free(tr);
		scenario_free(sc);
	}
	globfree(&g);
	T_ASSERT(t, seen_default);
}

static const char *const sweep_yaml =
	"name: sweep-test\n"
	"seed: %d\n"
	"repeats: 3\n"
	"topology:\n"
	"  workers: 2\n"
	"links:\n"
	"  - node: workers\n"
	"    direction: both\n"
	"    delay: 10ms\n"
	"sweep:\n"
	"  - key: links[0].loss\n"
	"    values: [0, 5%%, 0.1]\n"
	"  - key: topology.workers\n"
	"    values: [1, 2]\n"
	"paired: %s\n";

/* Independent draws per point (paired: false), unless load_paired. */
static int load_draws(struct tmp *tmp, int seed, int paired, struct scenario **sc,
		      struct scenario_trial **tr, size_t *n, char *err, size_t len)
{
	char text[1024];
	int r;

	snprintf(text, sizeof(text), sweep_yaml, seed, paired ? "true" : "false");
	r = load_text(tmp, text, sc, err, len);
	return r < 0 ? r : scenario_trials(*sc, tr, n);
}

static int load_seeded(struct tmp *tmp, int seed, struct scenario **sc,
		       struct scenario_trial **tr, size_t *n, char *err, size_t len)
{
	return load_draws(tmp, seed, 0, sc, tr, n, err, len);
}

static int same_order(const struct scenario_trial *a, const struct scenario_trial *b, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (a[i].point != b[i].point || a[i].rep != b[i].rep || a[i].seed != b[i].seed)
			return 0;
	return 1;
}

static void trials_deterministic(struct t *t)
{
	struct scenario *a = NULL, *b = NULL, *c = NULL;
	struct scenario_trial *ta = NULL, *tb = NULL, *tc = NULL;
	size_t na = 0, nb = 0, nc = 0;
	char err[SCENARIO_ERR_MAX];
	struct tmp tmp = { 0 };
	int seen[6][3] = { { 0 } }, in_order = 1;

	T_ASSERTF(t, load_seeded(&tmp, 7, &a, &ta, &na, err, sizeof(err)) == 0, "%s", err);
	T_ASSERTF(t, load_seeded(&tmp, 7, &b, &tb, &nb, err, sizeof(err)) == 0, "%s", err);
	T_ASSERTF(t, load_seeded(&tmp, 8, &c, &tc, &nc, err, sizeof(err)) == 0, "%s", err);
	T_EQ_INT(t, a->n_points, 6);
	T_EQ_INT(t, na, 18);
	T_EQ_INT(t, nb, 18);
	T_EQ_INT(t, nc, 18);
	T_ASSERTF(t, same_order(ta, tb, na), "same seed, different order");
	T_ASSERTF(t, !same_order(ta, tc, na), "seeds 7 and 8 gave the same order");
	for (size_t i = 0; i < na; i++) {
		T_EQ_INT(t, ta[i].order, i);
		T_ASSERT(t, ta[i].point < 6 && ta[i].rep >= 0 && ta[i].rep < 3);
		seen[ta[i].point][ta[i].rep]++;
		in_order &= i == 0 || ta[i].point * 3 + (size_t)ta[i].rep >
				      ta[i - 1].point * 3 + (size_t)ta[i - 1].rep;
	}
	for (int p = 0; p < 6; p++)
		for (int r = 0; r < 3; r++)
			T_ASSERTF(t, seen[p][r] == 1, "point %d rep %d run %d times", p, r, seen[p][r]);
	T_ASSERTF(t, !in_order, "the order is not shuffled");
	/* point 4 = loss 0.1 (index 2), workers 1 (index 0): factor 0 varies slowest */
	for (size_t i = 0; i < na; i++)
		if (ta[i].point == 4) {
			T_ASSERT(t, !strcmp(ta[i].values[0], "0.1") && !strcmp(ta[i].values[1], "1"));
			T_ASSERT(t, !strcmp(ta[i].levels[0], "0.1"));
		}
	for (size_t i = 0; i < na; i++)
		if (ta[i].point == 2 || ta[i].point == 3)
			T_ASSERT(t, !strcmp(ta[i].values[0], "5%") && !strcmp(ta[i].levels[0], "0.05"));
	scenario_trials_free(ta);
	scenario_trials_free(tb);
	scenario_trials_free(tc);
	scenario_free(a);
	scenario_free(b);
	scenario_free(c);
	tmp_clean(&tmp);
}

/* paired: true (the default): repetition r has one seed at every point, so the images, their
 * order, netem's and the failures' streams are the same; other repetitions differ. */
static void seeds_paired(struct t *t)
{
	struct scenario *a = NULL, *d = NULL, *one = NULL;
	struct scenario_trial *ta = NULL, *td = NULL;
	size_t na = 0, nd = 0;
	char err[SCENARIO_ERR_MAX];
	struct tmp tmp = { 0 };

	T_ASSERTF(t, load_draws(&tmp, 7, 1, &a, &ta, &na, err, sizeof(err)) == 0, "%s", err);
	T_ASSERT(t, a->paired == 1);
	for (size_t i = 0; i < na; i++) {
		T_ASSERT(t, ta[i].seed == scenario_trial_seed(7, 0, ta[i].rep));
		for (size_t j = 0; j < na; j++)
			T_ASSERTF(t, (ta[i].seed == ta[j].seed) == (ta[i].rep == ta[j].rep),
				  "trials %zu and %zu", i, j);
		T_ASSERT(t, scenario_resolve(a, &ta[i], &one, err, sizeof(err)) == 0);
		T_ASSERT(t, one->trial_seed == ta[i].seed);
		scenario_free(one);
		one = NULL;
	}
	/* the default is paired */
	T_ASSERT(t, load_text(&tmp, "seed: 7\nrepeats: 2\nsweep:\n  - {key: \"links[0].loss\", values: [0, 0.1]}\n"
			      "links:\n  - {node: workers, loss: 0}\n", &d, err, sizeof(err)) == 0);
	T_ASSERT(t, d->paired == 1);
	T_ASSERT(t, scenario_trials(d, &td, &nd) == 0);
	for (size_t i = 0; i < nd; i++)
		for (size_t j = 0; j < nd; j++)
			if (td[i].rep == td[j].rep)
				T_ASSERT(t, td[i].seed == td[j].seed);
	scenario_trials_free(ta);
	scenario_trials_free(td);
	scenario_free(a);
	scenario_free(d);
	tmp_clean(&tmp);
}

static void seeds_differ(struct t *t)
{
	struct scenario *a = NULL, *c = NULL;
	struct scenario_trial *ta = NULL, *tc = NULL;
	size_t na = 0, nc = 0;
	char err[SCENARIO_ERR_MAX];
	struct tmp tmp = { 0 };

	T_ASSERTF(t, load_seeded(&tmp, 7, &a, &ta, &na, err, sizeof(err)) == 0, "%s", err);
	T_ASSERTF(t, load_seeded(&tmp, 8, &c, &tc, &nc, err, sizeof(err)) == 0, "%s", err);
	for (size_t i = 0; i < na; i++) {
		T_ASSERT(t, ta[i].seed == scenario_trial_seed(7, ta[i].point, ta[i].rep));
		for (size_t j = 0; j < i; j++)
			T_ASSERTF(t, ta[i].seed != ta[j].seed, "trials %zu and %zu share a seed", i, j);
		for (size_t j = 0; j < nc; j++)
			T_ASSERT(t, ta[i].seed != tc[j].seed);
	}
	/* documented mixing: splitmix64's finalizer, chained over seed, point and rep */
	T_ASSERT(t, scenario_trial_seed(1, 2, 3) ==
		    scenario_mix64(scenario_mix64(scenario_mix64(1) ^ 2) ^ 3));
	T_ASSERT(t, scenario_mix64(0) == 0); /* the finalizer alone maps 0 to 0 */
	T_ASSERT(t, scenario_mix64(1) != 1);
	T_ASSERT(t, scenario_seed_for(ta[0].seed, "netem worker-1 up") !=
		    scenario_seed_for(ta[0].seed, "netem worker-1 down"));
	T_ASSERT(t, scenario_seed_for(ta[0].seed, "jobs") == scenario_seed_for(ta[0].seed, "jobs"));
	scenario_trials_free(ta);
	scenario_trials_free(tc);
	scenario_free(a);
	scenario_free(c);
	tmp_clean(&tmp);
}

static const struct scenario_trial *find_trial(const struct scenario_trial *tr, size_t n,
					       size_t point, int rep)
{
	for (size_t i = 0; i < n; i++)
		if (tr[i].point == point && tr[i].rep == rep)
			return &tr[i];
	return NULL;
}

static void resolve_applies_factors(struct t *t)
{
	static const char text[] =
		"repeats: 2\n"
		"topology: {workers: 3, cpu: {worker: 0.3}}\n"
		"links:\n"
		"  - node: workers\n"
		"    delay: 5ms\n"
		"  - node: client\n"
		"    direction: up\n"
		"    loss: 1%\n"
		"transport: udp\n"
		"sweep:\n"
		"  - key: links[0].delay\n"
		"    values: [0ms, 50ms]\n"
		"  - key: links[1].loss\n"
		"    name: client_loss\n"
		"    values: [0.2]\n"
		"  - key: model\n"
		"    values: [yolo-fastest-1.1-xl, yolo-fastest-1.1]\n"
		"  - key: transport.chunk\n"
		"    values: [128, 1400]\n";
	struct scenario *sc = NULL, *res = NULL;
	struct scenario_trial *tr = NULL;
	const struct scenario_trial *one;
	char err[SCENARIO_ERR_MAX];
	struct tmp tmp = { 0 };
	size_t n = 0;

	T_ASSERTF(t, load_text(&tmp, text, &sc, err, sizeof(err)) == 0, "%s", err);
	T_EQ_INT(t, sc->n_factors, 4);
	T_ASSERT(t, !strcmp(sc->factor_names[0], "delay_ms"));
	T_ASSERT(t, !strcmp(sc->factor_names[1], "client_loss"));
	T_ASSERT(t, !strcmp(sc->factor_names[2], "model"));
	T_ASSERT(t, !strcmp(sc->factor_names[3], "chunk_bytes"));
	T_ASSERT(t, !strcmp(sc->factors[0].levels[1], "50"));
	/* the file's own values, before any factor */
	T_ASSERT(t, sc->links[0].im.delay_ns == 5000000 && fabs(sc->links[1].im.loss - 0.01) < 1e-12);
	T_ASSERT(t, sc->transport.chunk_bytes == 1024);
	T_ASSERT(t, scenario_trials(sc, &tr, &n) == 0);
	T_EQ_INT(t, n, 16);
	/* 2 x 1 x 2 x 2 points; point 3 = delay 0ms, loss 0.2, model yolo-fastest-1.1, chunk 1400 */
	one = find_trial(tr, n, 3, 1);
	T_ASSERT(t, one);
	T_ASSERTF(t, scenario_resolve(sc, one, &res, err, sizeof(err)) == 0, "%s", err);
	T_EQ_INT(t, res->links[0].im.delay_ns, 0);
	T_ASSERT(t, fabs(res->links[1].im.loss - 0.2) < 1e-12);
	T_ASSERT(t, res->links[1].dirs == SCENARIO_UP);
	T_EQ_INT(t, res->transport.chunk_bytes, 1400);
	T_ASSERT(t, res->transport.protocol == SCENARIO_UDP);
	T_ASSERT(t, strlen(res->model_prefix) > 17 &&
		    !strcmp(res->model_prefix + strlen(res->model_prefix) - 17, "/yolo-fastest-1.1"));
	T_ASSERT(t, res->is_trial && res->point == 3 && res->rep == 1);
	T_ASSERT(t, res->trial_seed == one->seed);
	T_ASSERT(t, fabs(res->topology.cpu_worker - 0.3) < 1e-12 && res->topology.workers == 3);
	scenario_free(res);
	res = NULL;
	/* point 4 = delay 50ms, loss 0.2, model XL, chunk 128 */
	one = find_trial(tr, n, 4, 0);
	T_ASSERT(t, one);
	T_ASSERTF(t, scenario_resolve(sc, one, &res, err, sizeof(err)) == 0, "%s", err);
	T_EQ_INT(t, res->links[0].im.delay_ns, 50000000);
	T_EQ_INT(t, res->transport.chunk_bytes, 128);
	T_ASSERT(t, strstr(res->model_prefix, "yolo-fastest-1.1-xl"));
	scenario_free(res);
	res = NULL;
	T_ASSERT(t, scenario_resolve(sc, &(struct scenario_trial){ .point = 8 }, &res, err,
				     sizeof(err)) == -EINVAL && !res);
	scenario_trials_free(tr);
	scenario_free(sc);
	tmp_clean(&tmp);
}

static void defaults_and_timeline(struct t *t)
{
	static const char text[] =
		"workload:\n"
		"  dataset: ds\n"             /* relative to the scenario's directory */
		"  mode: open\n"
		"  rate: 2.5\n"
		"  timeout: 500ms\n"
		"timeline:\n"
		"  - {at: 8, action: recover, node: worker-1}\n"
		"  - {at: 2, action: impair, node: client, direction: down, delay: 50ms, loss: 1%}\n"
		"  - {at: 5, action: fail, node: worker-1, failure: freeze}\n"
		"random_failures: {rate: 40%, interval: 500ms}\n";
	struct scenario *sc = NULL;
	char err[SCENARIO_ERR_MAX], ds[160];
	struct tmp tmp = { 0 };

	T_ASSERT(t, tmp_write(&tmp, "unused", "{}\n") == 0);
	snprintf(ds, sizeof(ds), "%s/ds", tmp.dir);
	T_ASSERT(t, mkdir(ds, 0755) == 0);
	snprintf(ds, sizeof(ds), "%s/ds/images", tmp.dir);
	T_ASSERT(t, mkdir(ds, 0755) == 0);
	snprintf(ds, sizeof(ds), "%s/ds/images/a.jpg", tmp.dir);
	{
		FILE *img = fopen(ds, "we"); /* a dataset has images */

		T_ASSERT(t, img && fclose(img) == 0);
	}
	T_ASSERTF(t, load_text(&tmp, text, &sc, err, sizeof(err)) == 0, "%s", err);
	T_ASSERT(t, !strcmp(sc->name, "s"));      /* the file name without .yaml */
	T_ASSERT(t, sc->seed == 1 && sc->repeats == 1 && sc->n_points == 1 && sc->n_factors == 0);
	T_ASSERT(t, sc->topology.workers == 1 && !strcmp(sc->topology.subnet, "10.77.0.0/16"));
	T_ASSERT(t, sc->workload.count == 16 && sc->workload.mode == SCENARIO_OPEN);
	T_ASSERT(t, sc->workload.rate_per_s == 2.5 && sc->workload.timeout_s == 0.5);
	T_ASSERT(t, sc->workload.retries == 2 && sc->workload.shuffle == 1);
	T_ASSERT(t, strstr(sc->workload.dataset_dir, "/ds") && sc->workload.dataset_dir[0] == '/');
	T_ASSERT(t, sc->transport.protocol == SCENARIO_TCP && sc->preprocess.resize_pct == 100);
	T_ASSERT(t, sc->preprocess_at == SCENARIO_AT_AUTO);
	T_ASSERT(t, fabs(sc->random_failures.rate - 0.4) < 1e-12);
	T_ASSERT(t, sc->random_failures.interval_s == 0.5 && sc->random_failures.recovery_s == 2);
	T_ASSERT(t, !strcmp(sc->random_failures.node, "workers"));
	/* events in time order; the recover knows what it undoes */
	T_EQ_INT(t, sc->n_events, 3);
	T_ASSERT(t, sc->events[0].action == SCENARIO_IMPAIR && sc->events[0].at_s == 2);
	T_ASSERT(t, sc->events[0].dirs == SCENARIO_DOWN && sc->events[0].im.delay_ns == 50000000);
	T_ASSERT(t, sc->events[1].action == SCENARIO_FAIL && sc->events[1].failure == FAILURE_FREEZE);
	T_ASSERT(t, sc->events[2].action == SCENARIO_RECOVER && sc->events[2].failure == FAILURE_FREEZE);
	T_EQ_INT(t, sc->events[2].line, 7);
	/* every kind parses back from its name and the messages name it */
	for (int k = 0; k < FAILURE_KIND_COUNT; k++) {
		enum failure_kind fk;

		T_ASSERT(t, failure_parse(failure_name((enum failure_kind)k), &fk) == 0 && (int)fk == k);
		T_ASSERTF(t, strstr(failure_choices(), failure_name((enum failure_kind)k)) != NULL,
			  "failure_choices() misses %s", failure_name((enum failure_kind)k));
	}
	int first, last;
	T_ASSERT(t, scenario_node_range(sc, "workers", &first, &last) == 0 && first == 2 && last == 2);
	T_ASSERT(t, scenario_node_range(sc, "worker-2", &first, &last) == -ENOENT);
	T_ASSERT(t, scenario_node_range(sc, "server", &first, &last) == 0 && first == 1);
	scenario_free(sc);
	tmp_clean(&tmp);
}

/* An invalid file: the error names this line and key and says this. */
struct bad {
	const char *what, *yaml;
	int line;
	const char *key, *says;
};

/* three stations on one ns-3 Wi-Fi channel (lines 1-10) */
#define AIR "topology:\n  switches: [{name: air, kind: ns3, params: {channel: wifi}}]\n" \
	"  nodes:\n    - {name: client, role: client}\n    - {name: server, role: server}\n" \
	"    - {name: w, role: worker}\n  links:\n    - {a: server, b: air}\n" \
	"    - {a: client, b: air, params: {distance: 10m}}\n" \
	"    - {name: wl, a: w, b: air, params: {distance: 20m}}\n"
#define AIR_AS(sw) "topology:\n  switches: [" sw "]\n" \
	"  nodes:\n    - {name: client, role: client}\n    - {name: server, role: server}\n" \
	"    - {name: w, role: worker}\n  links:\n    - {a: server, b: air}\n" \
	"    - {a: client, b: air}\n    - {name: wl, a: w, b: air}\n"

static const struct bad bad_files[] = {
	{ "switch of an unknown kind", AIR_AS("{name: air, kind: radio}"), 2, "topology.switches[0]",
	  "kind 'radio' is not a switch kind (known: ns3)" },
	{ "ns3 switch of p2p", AIR_AS("{name: air, kind: ns3, params: {channel: p2p}}"), 2,
	  "topology.switches[0]", "a switch is a shared channel" },
	{ "params on a bridge", AIR_AS("{name: air, params: {channel: wifi}}"), 2,
	  "topology.switches", "a bridge takes none" },
	{ "station with a channel's key", "topology:\n  switches: [{name: air, kind: ns3, params: "
	  "{channel: wifi}}]\n  nodes:\n    - {name: client, role: client}\n"
	  "    - {name: server, role: server}\n  links:\n    - {a: server, b: air}\n"
	  "    - {a: client, b: air, params: {distance: 10m, rate: 5mbit}}\n", 8, "topology.links[1]",
	  "takes only distance" },
	{ "impairment on a station", AIR "links:\n  - {link: wl, loss: 1%}\n", 12, "links[0]",
	  "link wl is a station of switch air (kind ns3)" },
	{ "set: no such link", AIR "timeline:\n  - {at: 1, action: set, link: nope, params: "
	  "{distance: 5m}}\n", 12, "timeline[0]", "no topology link 'nope'" },
	{ "set: what a station cannot change", AIR "timeline:\n  - {at: 1, action: set, link: wl, "
	  "params: {rate: 5mbit}}\n", 12, "timeline[0]", "'rate' cannot change on a running wifi station" },
	{ "set: the hub does not move", AIR "timeline:\n  - {at: 1, action: set, link: server-air, "
	  "params: {distance: 5m}}\n", 12, "timeline[0]", "the first station is the hub" },
	{ "set: a bad distance", AIR "timeline:\n  - {at: 1, action: set, link: wl, "
	  "params: {distance: far}}\n", 12, "timeline[0]", "distance=far: metres" },
	{ "set without params", AIR "timeline:\n  - {at: 1, action: set, link: wl}\n", 12,
	  "timeline[0]", "set needs params" },
	{ "params on an impair event", "timeline:\n  - {at: 1, action: impair, node: client, "
	  "delay: 5ms, params: {distance: 5m}}\n", 2, "timeline[0]", "params belong to set events" },

	{ "unknown key", "topology:\n  workers: 2\n  wrkers: 3\n", 3, "topology.wrkers",
	  "unknown key in topology" },
	{ "unknown top-level key", "name: x\nworkload: {count: 4}\nsweeps: []\n", 3, "sweeps",
	  "unknown key in the scenario" },
	{ "unknown impairment key", "links:\n  - node: client\n    lsos: 5%\n", 3, "links[0].lsos",
	  "unknown key in links" },
	{ "wrong type: text for an integer", "repeats: many\n", 1, "repeats", "not an integer" },
	{ "wrong type: list for a number", "topology:\n  workers: [1, 2]\n", 2, "topology.workers",
	  "expected an integer, got a list" },
	{ "wrong type: mapping for a list", "links:\n  node: client\n", 2, "links",
	  "expected a list" },
	{ "loss 150 %", "links:\n  - node: worker-1\n    loss: 150%\n", 3, "links[0].loss",
	  "invalid loss '150%'" },
	{ "negative delay", "links:\n  - node: server\n    delay: -5ms\n", 3, "links[0].delay",
	  "invalid delay '-5ms'" },
	{ "rate 0", "links:\n  - node: server\n    rate: 0mbit\n", 3, "links[0].rate",
	  "invalid rate '0mbit'" },
	{ "workers 0", "topology:\n  workers: 0\n", 2, "topology.workers", "out of range 1..4096" },
	{ "edge with udp", "transport: udp\npreprocess:\n  quality: 50\n  at: edge\n", 4,
	  "preprocess.at", "UDP transfers go to the server itself" },
	{ "preprocess at nowhere", "preprocess:\n  at: cloud\n", 2, "preprocess.at", "cloud" },
	{ "chunk 50", "transport:\n  protocol: udp\n  chunk: 50\n", 3, "transport.chunk",
	  "out of range 128..1400" },
	{ "missing dataset", "workload:\n  count: 4\n  dataset: /nonexistent/qoslab-ds\n", 3,
	  "workload.dataset", "/nonexistent/qoslab-ds: no such directory" },
	{ "missing model", "seed: 5\nmodel: no-such-model\n", 2, "model", "no-such-model.cfg: no such file" },
	{ "empty sweep", "sweep:\n  - key: topology.workers\n    values: []\n", 3, "sweep[0].values",
	  "empty" },
	{ "sweep without values", "sweep:\n  - key: topology.workers\n", 2, "sweep[0]",
	  "no values" },
	{ "sweep on an unknown key", "sweep:\n  - key: topology.wrkers\n    values: [1, 2]\n", 2,
	  "sweep[0].key", "no key 'wrkers' in topology" },
	{ "sweep on a missing link", "sweep:\n  - key: links[2].loss\n    values: [0]\n", 2,
	  "sweep[0].key", "links has 0 items" },
	{ "sweep value out of range", "links:\n  - node: client\nsweep:\n  - key: links[0].loss\n"
	  "    values:\n      - 0\n      - 1.5\n", 7, "links[0].loss", "sweep point 1" },
	{ "sweep point invalid", "topology: {workers: 3}\nlinks:\n  - node: worker-3\n    loss: 1%\n"
	  "sweep:\n  - key: topology.workers\n    values: [3, 2]\n", 3, "links[0].node",
	  "worker-3 does not exist" },
	{ "duplicate key", "seed: 1\nrepeats: 2\nseed: 2\n", 3, "seed", "duplicate key (first on line 1)" },
	{ "duplicate factor name", "links:\n  - {node: client}\n  - {node: server}\nsweep:\n"
	  "  - key: links[0].loss\n    values: [0]\n  - key: links[1].loss\n    values: [0]\n", 7,
	  "sweep[1].name", "taken by sweep[0]" },
	{ "YAML syntax", "topology:\n  workers: [1, 2\n", 3, "syntax", "" },
	{ "not a mapping", "- workers: 2\n", 1, "scenario", "expected a mapping" },
	{ "graph: link to an unknown node", "topology:\n  switches: [lan, wan]\n  nodes:\n    - {name: client, role: client}\n    - {name: r1}\n    - {name: server, role: server}\n    - {name: w, role: worker}\n  links:\n"
	  "    - {a: client, b: lan}\n    - {a: r9, b: wan}\n", 10, "topology.links[1]",
	  "no node or switch 'r9'" },
	{ "graph: a node without a link", "topology:\n  switches: [lan, wan]\n  nodes:\n    - {name: client, role: client}\n    - {name: r1}\n    - {name: server, role: server}\n    - {name: w, role: worker}\n  links:\n"
	  "    - {a: client, b: lan}\n    - {a: server, b: lan}\n    - {a: w, b: lan}\n", 5,
	  "topology.nodes[1]", "'r1' has no link" },
	{ "graph: duplicate name", "topology:\n  switches: [lan]\n  nodes:\n"
	  "    - {name: client, role: client}\n    - {name: lan, role: server}\n", 2,
	  "topology.switches[0]", "duplicate name 'lan'" },
	{ "graph: no path to the server", "topology:\n  switches: [lan, wan]\n  nodes:\n    - {name: client, role: client}\n    - {name: r1}\n    - {name: server, role: server}\n    - {name: w, role: worker}\n  links:\n"
	  "    - {a: client, b: lan}\n    - {a: r1, b: lan}\n    - {a: server, b: wan}\n"
	  "    - {a: w, b: wan}\n", 4, "topology.nodes[0]", "no path between client 'client' and server" },
	{ "graph: an edge node with udp", "transport: udp\ntopology:\n  switches: [lan]\n  nodes:\n"
	  "    - {name: c, role: client}\n    - {name: e, role: edge}\n    - {name: s, role: server}\n"
	  "    - {name: w, role: worker}\n  links:\n    - {a: c, b: lan}\n    - {a: e, b: lan}\n"
	  "    - {a: s, b: lan}\n    - {a: w, b: lan}\n", 1, "transport",
	  "sends through the edge node" },
	{ "graph: two servers", "topology:\n  switches: [lan]\n  nodes:\n"
	  "    - {name: a, role: server}\n    - {name: b, role: server}\n"
	  "  links:\n    - {a: a, b: lan}\n    - {a: b, b: lan}\n", 5,
	  "topology.nodes[1]", "second server" },
	{ "graph: unknown role", "topology:\n  nodes:\n    - {name: a, role: boss}\n", 3,
	  "topology.nodes[0].role", "not one of none, client, server, worker, edge" },
	{ "graph: workers with nodes", "topology:\n  workers: 2\n  switches: [lan]\n", 2,
	  "topology.workers", "belongs to the star" },
	{ "graph: node of a router names no one link", "topology:\n  switches: [lan, wan]\n  nodes:\n    - {name: client, role: client}\n    - {name: r1}\n    - {name: server, role: server}\n    - {name: w, role: worker}\n  links:\n""    - {name: access, a: client, b: lan}\n    - {a: r1, b: lan}\n    - {a: r1, b: wan}\n    - {a: server, b: wan}\n    - {a: w, b: wan}\n"
	  "links:\n  - {node: r1, delay: 5ms}\n", 15, "links[0].node", "r1 has 2 links" },
	{ "graph: unknown link", "topology:\n  switches: [lan, wan]\n  nodes:\n    - {name: client, role: client}\n    - {name: r1}\n    - {name: server, role: server}\n    - {name: w, role: worker}\n  links:\n""    - {name: access, a: client, b: lan}\n    - {a: r1, b: lan}\n    - {a: r1, b: wan}\n    - {a: server, b: wan}\n    - {a: w, b: wan}\n"
	  "links:\n  - {link: nowhere, delay: 5ms}\n", 15, "links[0].link", "no topology link 'nowhere'" },
	{ "graph: node and link both", "topology:\n  switches: [lan, wan]\n  nodes:\n    - {name: client, role: client}\n    - {name: r1}\n    - {name: server, role: server}\n    - {name: w, role: worker}\n  links:\n""    - {name: access, a: client, b: lan}\n    - {a: r1, b: lan}\n    - {a: r1, b: wan}\n    - {a: server, b: wan}\n    - {a: w, b: wan}\n"
	  "links:\n  - {node: client, link: access, delay: 5ms}\n", 15, "links[0]", "not both" },
	{ "graph: one link twice", "topology:\n  switches: [lan, wan]\n  nodes:\n    - {name: client, role: client}\n    - {name: r1}\n    - {name: server, role: server}\n    - {name: w, role: worker}\n  links:\n""    - {name: access, a: client, b: lan}\n    - {a: r1, b: lan}\n    - {a: r1, b: wan}\n    - {a: server, b: wan}\n    - {a: w, b: wan}\n"
	  "links:\n  - {link: access, delay: 5ms}\n  - {node: client, loss: 1%}\n", 16,
	  "links[1]", "access up is already impaired" },
	{ "graph: fail an unknown node", "topology:\n  switches: [lan, wan]\n  nodes:\n    - {name: client, role: client}\n    - {name: r1}\n    - {name: server, role: server}\n    - {name: w, role: worker}\n  links:\n""    - {name: access, a: client, b: lan}\n    - {a: r1, b: lan}\n    - {a: r1, b: wan}\n    - {a: server, b: wan}\n    - {a: w, b: wan}\n"
	  "timeline:\n  - {at: 1, action: fail, node: r2}\n", 15, "timeline[0]",
	  "'r2' is not a node of the topology" },
	{ "star: link by a name it has not", "links:\n  - {link: uplink, delay: 5ms}\n", 2,
	  "links[0].link", "named after their nodes" },
	{ "link to a worker that does not exist", "links:\n  - node: worker-2\n    delay: 5ms\n", 2,
	  "links[0].node", "worker-2 does not exist" },
	{ "two entries for one link", "links:\n  - {node: workers, loss: 1%}\n"
	  "  - {node: worker-1, direction: up, delay: 5ms}\n", 3, "links[1]", "already impaired" },
	{ "recover without fail", "timeline:\n  - {at: 3, action: recover, node: worker-1}\n", 2,
	  "timeline[0]", "not failed" },
	{ "event without action", "timeline:\n  - at: 3\n    node: worker-1\n", 2, "timeline[0]",
	  "missing action" },
	{ "open loop without rate", "workload:\n  mode: open\n", 2, "workload.rate", "needs a rate" },
	{ "bad failure kind", "random_failures:\n  kind: explode\n", 2, "random_failures.kind",
	  "'explode'" },
	{ "warmup eats everything", "warmup: 4\nworkload: {count: 4}\n", 1, "warmup",
	  "nothing to measure" },
	{ "ns3: unknown parameter", "topology:\n  switches: [lan]\n  nodes:\n    - {name: client, role: client}\n    - {name: server, role: server}\n    - {name: w, role: worker}\n  links:\n"
	  "    - {a: client, b: server, kind: ns3, params: \"channel=wifi,colour=red\"}\n"
	  "    - {a: server, b: lan}\n    - {a: w, b: lan}\n", 8, "topology.links[0]",
	  "params: unknown key 'colour'" },
	{ "ns3: bad distance", "topology:\n  switches: [lan]\n  nodes:\n    - {name: client, role: client}\n    - {name: server, role: server}\n    - {name: w, role: worker}\n  links:\n"
	  "    - {a: client, b: server, kind: ns3, params: \"channel=wifi,distance=far\"}\n"
	  "    - {a: server, b: lan}\n    - {a: w, b: lan}\n", 8, "topology.links[0]",
	  "distance=far: metres" },
	{ "ns3: loss on wifi", "topology:\n  switches: [lan]\n  nodes:\n    - {name: client, role: client}\n    - {name: server, role: server}\n    - {name: w, role: worker}\n  links:\n"
	  "    - {a: client, b: server, kind: ns3, params: \"channel=wifi,loss=1%\"}\n"
	  "    - {a: server, b: lan}\n    - {a: w, b: lan}\n", 8, "topology.links[0]",
	  "come from the radio" },
	{ "veth takes no params", "topology:\n  switches: [lan]\n  nodes:\n    - {name: client, role: client}\n    - {name: server, role: server}\n    - {name: w, role: worker}\n  links:\n"
	  "    - {a: client, b: server, params: \"delay=5ms\"}\n"
	  "    - {a: server, b: lan}\n    - {a: w, b: lan}\n", 8, "topology.links[0]",
	  "veth takes no parameters" },
	{ "sweep of a params key", "topology:\n  switches: [lan]\n  nodes:\n    - {name: client, role: client}\n    - {name: server, role: server}\n    - {name: w, role: worker}\n  links:\n"
	  "    - {a: client, b: server, kind: ns3, params: \"channel=wifi\"}\n"
	  "    - {a: server, b: lan}\n    - {a: w, b: lan}\n"
	  "sweep:\n  - key: topology.links[0].params.distance.x\n    values: [1]\n", 12,
	  "sweep[0].key", "name one parameter" },
	{ "ns3 params: a value with a comma", "topology:\n  switches: [lan]\n  nodes:\n    - {name: client, role: client}\n    - {name: server, role: server}\n    - {name: w, role: worker}\n  links:\n"
	  "    - {a: client, b: server, kind: ns3, params: {channel: \"wifi,x\"}}\n"
	  "    - {a: server, b: lan}\n    - {a: w, b: lan}\n", 8, "topology.links[0].params.channel",
	  "no ',' or '='" },
	{ "reorder without delay", "links:\n  - node: client\n    reorder: 10%\n", 2, "links[0]",
	  "reorder needs a delay" },
	/* run: (bring your own processes) */
	{ "run: unknown node", "run:\n  - node: worker-3\n    argv: [true]\n", 2, "run[0].node",
	  "worker-3 does not exist" },
	{ "run: several nodes", "run:\n  - node: workers\n    argv: [true]\n", 2, "run[0].node",
	  "several nodes" },
	{ "run: node missing", "run:\n  - argv: [true]\n", 2, "run[0].node", "missing" },
	{ "run: empty argv", "run:\n  - node: client\n    argv: []\n", 3, "run[0].argv", "empty" },
	{ "run: argv missing", "run:\n  - node: client\n", 2, "run[0].argv", "missing" },
	{ "run: argv a string", "run:\n  - node: client\n    argv: true\n", 3, "run[0].argv",
	  "expected a list of words" },
	{ "run: no such program", "run:\n  - node: client\n    argv: [qoslab-no-such-prog]\n", 3,
	  "run[0].argv", "no such program in PATH" },
	{ "run: no such script", "run:\n  - node: client\n    argv: [./nope.sh]\n", 3,
	  "run[0].argv", "nope.sh" },
	{ "run: fd 2", "run:\n  - node: client\n    argv: [true]\n    metrics: {fd: 2}\n", 4,
	  "run[0].metrics.fd", "out of range 3..255" },
	{ "run: fd and file", "run:\n  - node: client\n    argv: [true]\n    metrics: {fd: 3, file: m}\n",
	  4, "run[0].metrics", "exclude each other" },
	{ "run: metrics without a source", "run:\n  - node: client\n    argv: [true]\n    metrics: {prefix: a_}\n",
	  4, "run[0].metrics", "fd (3..255) or file" },
	{ "run: file outside the trial", "run:\n  - node: client\n    argv: [true]\n    metrics: {file: ../x}\n",
	  4, "run.metrics.file", "not a file name" },
	{ "run: bad restart", "run:\n  - node: client\n    argv: [true]\n    restart: always\n", 4,
	  "run[0].restart", "not one of never, on-failure" },
	{ "run: bad env name", "run:\n  - node: client\n    argv: [true]\n    env: {A-B: 1}\n", 4,
	  "run[0].env.A-B", "not a variable name" },
	{ "run: address of no node", "run:\n  - node: client\n    argv: [ping, \"{addr:host9}\"]\n", 3,
	  "run[0].argv", "{addr:host9}: not a node" },
	{ "run: names twice", "run:\n  - {node: client, argv: [true], name: a}\n  - {node: server, argv: [true], name: a}\n",
	  3, "run[1].name", "also run[0]'s name" },
	{ "run: bad name", "run:\n  - {node: client, argv: [true], name: a/b}\n", 2, "run[0].name", "not [A-Za-z0-9_-]" },
	{ "pipeline false without wait", "pipeline: false\nrun:\n  - {node: client, argv: [true]}\n", 1,
	  "pipeline", "wait: true" },
	{ "pipeline false with add_worker", "pipeline: false\nrun:\n  - {node: client, argv: [true], wait: true}\n"
	  "timeline:\n  - {at: 1, action: add_worker, node: workers}\n", 5, "timeline", "needs the pipeline" },
};

static void invalid_scenarios(struct t *t)
{
	struct tmp tmp = { 0 };

	for (size_t i = 0; i < sizeof(bad_files) / sizeof(bad_files[0]); i++) {
		const struct bad *b = &bad_files[i];
		struct scenario *sc = NULL;
		char err[SCENARIO_ERR_MAX], want[256];
		int r = load_text(&tmp, b->yaml, &sc, err, sizeof(err));

		snprintf(want, sizeof(want), "%s:%d: %s: ", tmp.path, b->line, b->key);
		if (r != -EINVAL || sc) {
			T_FAIL(t, "%s: loaded (r = %d)", b->what, r);
			scenario_free(sc);
			continue;
		}
		if (strncmp(err, want, strlen(want)) || !strstr(err + strlen(want), b->says) ||
		    strchr(err, '\n'))
			T_FAIL(t, "%s: got \"%s\", expected \"%s...%s...\"", b->what, err, want, b->says);
	}
	tmp_clean(&tmp);
}

/* run: commands and pipeline: false, as the runner sees them */
static void run_commands(struct t *t)
{
	struct scenario *sc = NULL;
	struct tmp tmp = { 0 };
	char err[SCENARIO_ERR_MAX];
	const struct scenario_run *r;

	T_ASSERTF(t, load_text(&tmp, "pipeline: false\n"
			       "run:\n"
			       "  - {node: server, argv: [sleep, 10]}\n"
			       "  - node: client\n"
			       "    name: probe\n"
			       "    argv: [ping, -c, 3, \"{addr:server}\"]\n"
			       "    env: {A: 1, B: \"x y\", C: ''}\n"
			       "    restart: on-failure\n"
			       "    start: 500ms\n"
			       "    wait: true\n"
			       "    metrics: {fd: 3, aggregate: last, prefix: p_}\n", &sc, err,
			       sizeof(err)) == 0, "%s", err);
	/* no model or dataset looked for without the pipeline */
	T_ASSERT(t, !sc->pipeline && !sc->model_prefix && !sc->workload.dataset_dir);
	T_EQ_INT(t, sc->n_runs, 2);
	r = &sc->runs[0];
	T_ASSERT(t, !strcmp(r->name, "run-0") && !strcmp(r->node, "server") && r->argc == 2);
	T_ASSERT(t, !strcmp(r->argv[1], "10") && !r->argv[2] && !r->wait && !r->metrics.fd);
	T_ASSERT(t, r->restart == SCENARIO_RESTART_NEVER && r->max_restarts == 3 &&
		    r->restart_delay_s == 1 && r->start_s == 0);
	r = &sc->runs[1];
	T_ASSERT(t, !strcmp(r->name, "probe") && r->argc == 4 && !strcmp(r->argv[3], "{addr:server}"));
	T_EQ_INT(t, r->n_env, 3);
	T_ASSERT(t, !strcmp(r->env[0], "A=1") && !strcmp(r->env[1], "B=x y") && !strcmp(r->env[2], "C="));
	T_ASSERT(t, r->restart == SCENARIO_RESTART_ON_FAILURE && fabs(r->start_s - 0.5) < 1e-9 && r->wait);
	T_ASSERT(t, r->metrics.fd == 3 && r->metrics.aggregate == SCENARIO_AGG_LAST &&
		    !strcmp(r->metrics.prefix, "p_"));
	scenario_free(sc);
	/* a script beside the scenario is found there and made absolute */
	T_ASSERT(t, tmp_write(&tmp, "x", "") == 0);
	{
		char script[160];
		FILE *f;

		snprintf(script, sizeof(script), "%s/m.sh", tmp.dir);
		T_ASSERT(t, (f = fopen(script, "we")) && fputs("#!/bin/sh\n", f) >= 0 && fclose(f) == 0);
		T_ASSERT(t, chmod(script, 0755) == 0);
		T_ASSERTF(t, load_text(&tmp, "run:\n  - {node: worker-1, argv: [./m.sh], start: 2}\n"
				       "sweep:\n  - {key: \"run[0].start\", values: [1, 2]}\n", &sc, err,
				       sizeof(err)) == 0, "%s", err);
		T_ASSERT(t, sc->pipeline && sc->runs[0].argv[0][0] == '/' && strstr(sc->runs[0].argv[0], "/m.sh"));
		T_ASSERT(t, !strcmp(sc->factor_names[0], "start_s"));
		scenario_free(sc);
	}
	tmp_clean(&tmp);
}

/* The graph form: roles put client, server and workers first; link: and node: impair
 * the link they name; a sweep over a graph link's delay resolves. */
static void graph_topology(struct t *t)
{
	static const char *const yaml =
		"topology:\n  switches: [lan, {name: wan}]\n  nodes:\n"
		"    - {name: r1, cpu: 0.5}\n    - {name: client, role: client}\n"
		"    - {name: server, role: server}\n    - {name: gpu, role: worker}\n"
		"    - {name: w2, role: worker}\n  cpu: {worker: 2}\n  links:\n"
		"    - {name: access, a: client, b: lan}\n    - {a: lan, b: r1}\n"
		"    - {name: uplink, a: r1, b: wan}\n    - {a: server, b: wan}\n"
		"    - {a: gpu, b: wan}\n    - {a: w2, b: server}\n"
		"links:\n  - {link: uplink, delay: 5ms}\n  - {node: gpu, loss: 1%}\n"
		"timeline:\n  - {at: 1, action: impair, link: access, delay: 9ms}\n"
		"  - {at: 2, action: fail, node: r1, failure: freeze}\n"
		"  - {at: 3, action: recover, node: r1}\n"
		"sweep:\n  - key: links[0].delay\n    values: [1ms, 2ms]\n";
	struct tmp tmp = { 0 };
	struct scenario *sc = NULL;
	char err[SCENARIO_ERR_MAX];
	int first, last, links[8], bad, n;

	T_ASSERTF(t, load_text(&tmp, yaml, &sc, err, sizeof(err)) == 0, "%s", err);
	T_EQ_INT(t, sc->topology.workers, 2);
	T_EQ_INT(t, scenario_node_range(sc, "workers", &first, &last), 0);
	T_EQ_INT(t, first, 2);
	T_EQ_INT(t, last, 3);
	T_EQ_INT(t, scenario_node_range(sc, "r1", &first, &last), 0);
	T_EQ_INT(t, first, 5 - 1); /* client, server, gpu, w2, r1 */
	T_ASSERT(t, !strcmp(topology_node(sc->topo, 2)->name, "gpu"));
	T_ASSERT(t, topology_node(sc->topo, 2)->cpu == 2); /* the role's default */
	T_ASSERT(t, topology_node(sc->topo, 4)->cpu == 0.5);
	n = scenario_links_of(sc, "gpu", "", links, 8, &bad);
	T_EQ_INT(t, n, 1);
	T_EQ_INT(t, links[0], topology_link_index(sc->topo, "gpu-wan"));
	n = scenario_links_of(sc, "", "uplink", links, 8, &bad);
	T_EQ_INT(t, n, 1);
	T_EQ_INT(t, links[0], 2);
	T_ASSERT(t, !strcmp(topology_link(sc->topo, 1)->name, "r1-lan"));
	T_EQ_INT(t, topology_segment_count(sc->topo), 3); /* lan, wan and the w2-server cable */
	T_EQ_INT(t, sc->n_points, 2);
	scenario_free(sc);
	tmp_clean(&tmp);
}

/* ns3 links: params reach the topology; a sweep over one parameter merges it into the
 * others and gives numeric levels; a sweep over the kind changes only the kind. */
static void ns3_link_keys(struct t *t)
{
	static const char *const yaml =
		"topology:\n  switches: [lan]\n  nodes:\n    - {name: client, role: client}\n"
		"    - {name: server, role: server}\n    - {name: w, role: worker}\n  links:\n"
		"    - {name: radio, a: client, b: server, kind: ns3,\n"
		"       params: \"channel=wifi,distance=10m,fading=nakagami\"}\n"
		"    - {a: server, b: lan}\n    - {a: w, b: lan}\n"
		"sweep:\n  - key: topology.links[0].params.distance\n    name: distance_m\n"
		"    values: [10, 45m]\n  - key: topology.links[0].kind\n    values: [ns3, veth]\n";
	struct scenario *sc = NULL, *res = NULL;
	struct scenario_trial *tr = NULL;
	const struct scenario_trial *one;
	char err[SCENARIO_ERR_MAX];
	struct tmp tmp = { 0 };
	size_t n = 0;

	/* veth with ns3's params fails to plan: every point is checked at load */
	T_ASSERT(t, load_text(&tmp, yaml, &sc, err, sizeof(err)) == -EINVAL);
	T_ASSERTF(t, strstr(err, "veth takes no parameters") && strstr(err, "kind=veth"), "%s", err);
	tmp_clean(&tmp);
	char ok[1024];

	snprintf(ok, sizeof(ok), "%.*s", (int)(strstr(yaml, "  - key: topology.links[0].kind") - yaml), yaml);
	T_ASSERTF(t, load_text(&tmp, ok, &sc, err, sizeof(err)) == 0, "%s", err);
	T_ASSERT(t, !strcmp(topology_link(sc->topo, 0)->kind, "ns3"));
	T_ASSERT(t, !strcmp(topology_link(sc->topo, 0)->params, "channel=wifi,distance=10m,fading=nakagami"));
	{
		/* the mapping form is the same text */
		static const char *const map =
			"topology:\n  switches: [lan]\n  nodes:\n    - {name: client, role: client}\n"
			"    - {name: server, role: server}\n    - {name: w, role: worker}\n  links:\n"
			"    - {name: radio, a: client, b: server, kind: ns3,\n"
			"       params: {channel: wifi, distance: 10m, fading: nakagami}}\n"
			"    - {a: server, b: lan}\n    - {a: w, b: lan}\n";
		struct scenario *m = NULL;
		struct tmp tm = { 0 };

		T_ASSERTF(t, load_text(&tm, map, &m, err, sizeof(err)) == 0, "%s", err);
		T_ASSERT(t, m && !strcmp(topology_link(m->topo, 0)->params,
					 "channel=wifi,distance=10m,fading=nakagami"));
		scenario_free(m);
		tmp_clean(&tm);
	}
	T_ASSERT(t, !strcmp(sc->factor_names[0], "distance_m"));
	T_ASSERT(t, !strcmp(sc->factors[0].levels[1], "45"));
	T_ASSERT(t, scenario_trials(sc, &tr, &n) == 0);
	one = find_trial(tr, n, 1, 0);
	T_ASSERT(t, one);
	T_ASSERTF(t, scenario_resolve(sc, one, &res, err, sizeof(err)) == 0, "%s", err);
	T_ASSERTF(t, !strcmp(topology_link(res->topo, 0)->params,
			     "channel=wifi,distance=45m,fading=nakagami"), "%s",
		  topology_link(res->topo, 0)->params);
	scenario_free(res);
	scenario_trials_free(tr);
	scenario_free(sc);
	tmp_clean(&tmp);
}

/* An ns3 switch: its kind and params reach the topology, a station's distance sweeps like
 * a link's param, and a set event on a station and on a p2p link loads. */
static void ns3_switch_keys(struct t *t)
{
	static const char *const yaml = AIR
		"timeline:\n  - {at: 1, action: set, link: wl, params: {distance: 80m}}\n"
		"sweep:\n  - key: topology.links[2].params.distance\n    values: [10, 45m]\n";
	struct scenario *sc = NULL, *res = NULL;
	struct scenario_trial *tr = NULL;
	const struct scenario_trial *one;
	char err[SCENARIO_ERR_MAX];
	struct tmp tmp = { 0 };
	size_t n = 0;
	int sw;

	T_ASSERTF(t, load_text(&tmp, yaml, &sc, err, sizeof(err)) == 0, "%s", err);
	if (!sc)
		return;
	sw = topology_link_switch_kind(sc->topo, 2);
	T_ASSERT(t, sw == 0 && !strcmp(topology_switch_kind(sc->topo, 0), "ns3") &&
		 !strcmp(topology_switch_params(sc->topo, 0), "channel=wifi"));
	T_ASSERT(t, topology_station(sc->topo, 0) == 0 && topology_station(sc->topo, 2) == 2);
	T_ASSERT(t, sc->n_events == 1 && sc->events[0].action == SCENARIO_SET &&
		 !strcmp(sc->events[0].params, "distance=80m"));
	T_ASSERT(t, scenario_trials(sc, &tr, &n) == 0);
	one = find_trial(tr, n, 1, 0);
	T_ASSERT(t, one);
	T_ASSERTF(t, one && scenario_resolve(sc, one, &res, err, sizeof(err)) == 0, "%s", err);
	T_ASSERT(t, res && !strcmp(topology_link(res->topo, 2)->params, "distance=45m"));
	scenario_free(res);
	scenario_trials_free(tr);
	scenario_free(sc);
	tmp_clean(&tmp);
	{
		static const char *const p2p =
			"topology:\n  switches: [lan]\n  nodes:\n    - {name: client, role: client}\n"
			"    - {name: server, role: server}\n    - {name: w, role: worker}\n  links:\n"
			"    - {name: radio, a: client, b: server, kind: ns3, params: {delay: 5ms}}\n"
			"    - {a: server, b: lan}\n    - {a: w, b: lan}\n"
			"timeline:\n  - {at: 1, action: set, link: radio, params: {delay: 20ms, loss: 1%}}\n";
		struct scenario *m = NULL;
		struct tmp tm = { 0 };

		T_ASSERTF(t, load_text(&tm, p2p, &m, err, sizeof(err)) == 0, "%s", err);
		scenario_free(m);
		tmp_clean(&tm);
	}
}

static void unreadable_file(struct t *t)
{
	struct scenario *sc = NULL;
	char err[SCENARIO_ERR_MAX];

	T_ASSERT(t, scenario_load("/nonexistent/x.yaml", &sc, err, sizeof(err)) == -ENOENT && !sc);
	T_ASSERT(t, !strncmp(err, "/nonexistent/x.yaml: ", 21));
}

int main(int argc, char **argv)
{
	static const struct t_case cases[] = {
		T_CASE(shipped_files_load),
		T_CASE(trials_deterministic),
		T_CASE(seeds_differ),
		T_CASE(seeds_paired),
		T_CASE(resolve_applies_factors),
		T_CASE(defaults_and_timeline),
		T_CASE(graph_topology),
		T_CASE(ns3_link_keys),
		T_CASE(ns3_switch_keys),
		T_CASE(invalid_scenarios),
		T_CASE(run_commands),
		T_CASE(unreadable_file),
		{ 0 }
	};

	return t_main(cases, argc, argv);
}
