// SPDX-License-Identifier: MIT
/* Scenario keys as tables: each field's type, range and factor name; setters shared by the
 * YAML walk and by sweep paths, so a swept value is checked exactly like a written one. */
#include <errno.h>
#include <float.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "units.h"
#include "models/images.h"
#include "emu/testbed.h"
#include "emu/topology.h"
#include "models/locate.h"
#include "scenarios/schema.h"
#include "scenarios/schema_table.h"

static const char *const protocols[] = { "tcp", "udp", NULL };
static const char *const reassemblies[] = { "holes", "concat", NULL };
static const char *const modes[] = { "closed", "open", NULL };
static const char *const pre_ats[] = { "auto", "worker", "edge", NULL };
static const char *const actions[] = { "impair", "fail", "recover", "add_worker",
				       "remove_worker", "set", NULL };

static const char *const restarts[] = { "never", "on-failure", NULL };
static const char *const aggregates[] = { "mean", "last", "min", "max", "sum", "median", NULL };

const char *scenario_action_name(enum scenario_action a)
{
	return (unsigned)a < sizeof(actions) / sizeof(actions[0]) - 1 ? actions[a] : "?";
}

#define N(a) (sizeof(a) / sizeof((a)[0]))
#define SC(m) offsetof(struct scenario, m)
#define LK(m) offsetof(struct scenario_link, m)
#define EV(m) offsetof(struct scenario_event, m)
#define RN(m) offsetof(struct scenario_run, m)

/* T_ARGV and T_ENV keep their count in the size_t right after the array */
_Static_assert(RN(argc) == RN(argv) + sizeof(char **) && RN(n_env) == RN(env) + sizeof(char **),
	       "a list's count follows its array");

static void link_init(void *item)
{
	struct scenario_link *l = item;

	l->dirs = SCENARIO_UP | SCENARIO_DOWN;
}

static void event_init(void *item)
{
	struct scenario_event *e = item;

	e->dirs = SCENARIO_UP | SCENARIO_DOWN;
	e->failure = FAILURE_KILL;
	e->drain = 1;
}

static void run_init(void *item)
{
	struct scenario_run *r = item;

	r->max_restarts = 3;
	r->restart_delay_s = 1;
	r->timeout_s = 600;
}

static const struct schema_field cpu_fields[] = {
	{ "client", T_NUM, SC(topology.cpu_client), 0, 1024, NULL, "client_cpu", NULL },
	{ "server", T_NUM, SC(topology.cpu_server), 0, 1024, NULL, "server_cpu", NULL },
	{ "worker", T_NUM, SC(topology.cpu_worker), 0, 1024, NULL, "worker_cpu", NULL },
};
static const struct schema_section cpu_section = {
	.name = "topology.cpu", .fields = cpu_fields, .n_fields = N(cpu_fields) };

#define TS(m) offsetof(struct scenario_tswitch, m)
#define TN(m) offsetof(struct scenario_tnode, m)
#define TL(m) offsetof(struct scenario_tlink, m)
#define NAME_SIZE SCENARIO_NODE_MAX

static const char *const roles[] = { "none", "client", "server", "worker", "edge", NULL };

static void no_init(void *item)
{
	(void)item;
}

static void tnode_init(void *item)
{
	((struct scenario_tnode *)item)->cpu = -1;
}

static const struct schema_field tswitch_fields[] = {
	{ "name", T_BUF, TS(name), 0, NAME_SIZE, NULL, NULL, NULL },
	{ "kind", T_BUF, TS(kind), 0, NAME_SIZE, NULL, NULL, NULL },
	{ "params", T_PARAMS, TS(params), 0, TOPO_PARAMS_MAX, NULL, NULL, NULL },
};
static const char *const tswitch_required[] = { "name", NULL };
static const struct schema_section tswitch_section = {
	.name = "topology.switches", .fields = tswitch_fields, .n_fields = N(tswitch_fields),
	.shorthand = "name", .required = tswitch_required,
	.list_off = SC(topology.switches), .count_off = SC(topology.n_switches),
	.item_size = sizeof(struct scenario_tswitch), .item_init = no_init };

static const struct schema_field tnode_fields[] = {
	{ "name", T_BUF, TN(name), 0, NAME_SIZE, NULL, NULL, NULL },
	{ "role", T_CHOICE, TN(role), 0, 0, roles, NULL, NULL },
	{ "cpu", T_NUM, TN(cpu), 0, 1024, NULL, NULL, NULL },
};
static const char *const tnode_required[] = { "name", NULL };
static const struct schema_section tnode_section = {
	.name = "topology.nodes", .fields = tnode_fields, .n_fields = N(tnode_fields),
	.required = tnode_required,
	.list_off = SC(topology.nodes), .count_off = SC(topology.n_nodes),
	.item_size = sizeof(struct scenario_tnode), .item_init = tnode_init };

static const struct schema_field tlink_fields[] = {
	{ "name", T_BUF, TL(name), 0, NAME_SIZE, NULL, NULL, NULL },
	{ "a", T_BUF, TL(a), 0, NAME_SIZE, NULL, NULL, NULL },
	{ "b", T_BUF, TL(b), 0, NAME_SIZE, NULL, NULL, NULL },
	{ "kind", T_BUF, TL(kind), 0, NAME_SIZE, NULL, "kind", NULL },
	{ "params", T_PARAMS, TL(params), 0, TOPO_PARAMS_MAX, NULL, "link_params", NULL },
};
static const char *const tlink_required[] = { "a", "b", NULL };
static const struct schema_section tlink_section = {
	.name = "topology.links", .fields = tlink_fields, .n_fields = N(tlink_fields),
	.required = tlink_required,
	.list_off = SC(topology.links), .count_off = SC(topology.n_links),
	.item_size = sizeof(struct scenario_tlink), .item_init = no_init };

static const struct schema_field topology_fields[] = {
	{ "workers", T_INT, SC(topology.workers), 1, TESTBED_MAX_WORKERS, NULL, "workers", NULL },
	{ "cpu", T_MAP, 0, 0, 0, NULL, NULL, &cpu_section },
	{ "subnet", T_BUF, SC(topology.subnet), 0, sizeof(((struct scenario *)0)->topology.subnet),
	  NULL, "subnet", NULL },
	{ "switches", T_LIST, 0, 0, 0, NULL, NULL, &tswitch_section },
	{ "nodes", T_LIST, 0, 0, 0, NULL, NULL, &tnode_section },
	{ "links", T_LIST, 0, 0, 0, NULL, NULL, &tlink_section },
};
static const struct schema_section topology_section = {
	.name = "topology", .fields = topology_fields, .n_fields = N(topology_fields) };

static const struct schema_field link_fields[] = {
	{ "node", T_NODE, LK(node), 0, 0, NULL, "node", NULL },
	{ "link", T_NODE, LK(link), 0, 0, NULL, NULL, NULL },
	{ "direction", T_DIRS, LK(dirs), 0, 0, NULL, "direction", NULL },
};
static const char *const node_or_link[] = { "node", "link", NULL };
static const struct schema_section link_section = {
	.name = "links", .fields = link_fields, .n_fields = N(link_fields), .impair_off = LK(im),
	.one_of = node_or_link,
	.list_off = SC(links), .count_off = SC(n_links), .item_size = sizeof(struct scenario_link),
	.item_init = link_init };

static const struct schema_field transport_fields[] = {
	{ "protocol", T_CHOICE, SC(transport.protocol), 0, 0, protocols, "transport", NULL },
	{ "chunk", T_INT, SC(transport.chunk_bytes), 128, 1400, NULL, "chunk_bytes", NULL },
	{ "reassembly", T_CHOICE, SC(transport.concat), 0, 0, reassemblies, "reassembly", NULL },
	{ "pace", T_TIME_NS, SC(transport.pace_ns), 0, 1e9, NULL, "pace_us", NULL },
};
static const struct schema_section transport_section = {
	.name = "transport", .fields = transport_fields, .n_fields = N(transport_fields),
	.shorthand = "protocol" };

static const struct schema_field preprocess_fields[] = {
	{ "grayscale", T_BOOL, SC(preprocess.grayscale), 0, 1, NULL, "grayscale", NULL },
	{ "quality", T_INT, SC(preprocess.quality), 0, 100, NULL, "quality", NULL },
	{ "resize", T_INT, SC(preprocess.resize_pct), 1, 100, NULL, "resize_pct", NULL },
	{ "at", T_CHOICE, SC(preprocess_at), 0, 0, pre_ats, "preprocess_at", NULL },
};
static const struct schema_section preprocess_section = {
	.name = "preprocess", .fields = preprocess_fields, .n_fields = N(preprocess_fields) };

static const struct schema_field workload_fields[] = {
	{ "dataset", T_DATASET, SC(workload.dataset), 0, 0, NULL, "dataset", NULL },
	{ "count", T_INT, SC(workload.count), 1, 1e8, NULL, "jobs_count", NULL },
	{ "mode", T_CHOICE, SC(workload.mode), 0, 0, modes, "mode", NULL },
	{ "concurrency", T_INT, SC(workload.concurrency), 1, 4096, NULL, "concurrency", NULL },
	{ "rate", T_NUM, SC(workload.rate_per_s), 1e-3, 1e6, NULL, "rate_per_s", NULL },
	{ "max_outstanding", T_INT, SC(workload.max_outstanding), 1, 65536, NULL,
	  "max_outstanding", NULL },
	{ "timeout", T_SECONDS, SC(workload.timeout_s), 1e-3, 1e6, NULL, "timeout_s", NULL },
	{ "retries", T_INT, SC(workload.retries), 0, 1000, NULL, "retries", NULL },
	{ "shuffle", T_BOOL, SC(workload.shuffle), 0, 1, NULL, "shuffle", NULL },
	{ "duration", T_SECONDS, SC(workload.duration_s), 0, 1e8, NULL, "duration_s", NULL },
	{ "async", T_BOOL, SC(workload.async), 0, 1, NULL, "async", NULL },
};
static const struct schema_section workload_section = {
	.name = "workload", .fields = workload_fields, .n_fields = N(workload_fields) };

static const struct schema_field event_fields[] = {
	{ "at", T_SECONDS, EV(at_s), 0, 1e6, NULL, "at_s", NULL },
	{ "action", T_CHOICE, EV(action), 0, 0, actions, "action", NULL },
	{ "node", T_NODE, EV(node), 0, 0, NULL, "node", NULL },
	{ "link", T_NODE, EV(link), 0, 0, NULL, NULL, NULL },
	{ "direction", T_DIRS, EV(dirs), 0, 0, NULL, "direction", NULL },
	{ "failure", T_FAILURE, EV(failure), 0, 0, NULL, "failure", NULL },
	{ "provisioning", T_SECONDS, EV(provisioning_s), 0, 1e5, NULL, "provisioning_s", NULL },
	{ "drain", T_BOOL, EV(drain), 0, 1, NULL, "drain", NULL },
	{ "params", T_PARAMS, EV(params), 0, TOPO_PARAMS_MAX, NULL, NULL, NULL },
};
static const char *const event_required[] = { "at", "action", NULL };
static const struct schema_section event_section = {
	.name = "timeline", .fields = event_fields, .n_fields = N(event_fields), .impair_off = EV(im),
	.required = event_required, .one_of = node_or_link,
	.list_off = SC(events), .count_off = SC(n_events), .item_size = sizeof(struct scenario_event),
	.item_init = event_init };

static const struct schema_field run_metrics_fields[] = {
	{ "fd", T_INT, RN(metrics.fd), 3, 255, NULL, NULL, NULL },
	{ "file", T_TEXT, RN(metrics.file), 0, 0, NULL, NULL, NULL },
	{ "aggregate", T_CHOICE, RN(metrics.aggregate), 0, 0, aggregates, NULL, NULL },
	{ "prefix", T_TEXT, RN(metrics.prefix), 0, 0, NULL, NULL, NULL },
};
static const struct schema_section run_metrics_section = {
	.name = "run[].metrics", .fields = run_metrics_fields, .n_fields = N(run_metrics_fields) };

static const struct schema_field run_fields[] = {
	{ "node", T_NODE, RN(node), 0, 0, NULL, NULL, NULL },
	{ "argv", T_ARGV, RN(argv), 0, 0, NULL, NULL, NULL },
	{ "env", T_ENV, RN(env), 0, 0, NULL, NULL, NULL },
	{ "name", T_BUF, RN(name), 0, SCENARIO_RUN_NAME_MAX, NULL, NULL, NULL },
	{ "restart", T_CHOICE, RN(restart), 0, 0, restarts, "restart", NULL },
	{ "max_restarts", T_INT, RN(max_restarts), 0, 100, NULL, "max_restarts", NULL },
	{ "restart_delay", T_SECONDS, RN(restart_delay_s), 0, 60, NULL, "restart_delay_s", NULL },
	{ "start", T_SECONDS, RN(start_s), 0, 1e6, NULL, "start_s", NULL },
	{ "timeout", T_SECONDS, RN(timeout_s), 0.001, 1e6, NULL, "run_timeout_s", NULL },
	{ "wait", T_BOOL, RN(wait), 0, 1, NULL, NULL, NULL },
	{ "metrics", T_MAP, 0, 0, 0, NULL, NULL, &run_metrics_section },
};
static const char *const run_required[] = { "node", "argv", NULL };
static const struct schema_section run_section = {
	.name = "run", .fields = run_fields, .n_fields = N(run_fields), .required = run_required,
	.list_off = SC(runs), .count_off = SC(n_runs), .item_size = sizeof(struct scenario_run),
	.item_init = run_init };

static const struct schema_field failures_fields[] = {
	{ "rate", T_FRACTION, SC(random_failures.rate), 0, 1, NULL, "failure_rate", NULL },
	{ "interval", T_SECONDS, SC(random_failures.interval_s), 1e-3, 1e6, NULL,
	  "failure_interval_s", NULL },
	{ "recovery", T_SECONDS, SC(random_failures.recovery_s), 0, 1e6, NULL, "recovery_s", NULL },
	{ "max_concurrent", T_INT, SC(random_failures.max_concurrent), 1, TESTBED_MAX_WORKERS,
	  NULL, "max_concurrent", NULL },
	{ "kind", T_FAILURE, SC(random_failures.kind), 0, 0, NULL, "failure_kind", NULL },
	{ "node", T_NODE, SC(random_failures.node), 0, 0, NULL, "failure_node", NULL },
};
static const struct schema_section failures_section = {
	.name = "random_failures", .fields = failures_fields, .n_fields = N(failures_fields) };

static const struct schema_field autoscaler_fields[] = {
	{ "min", T_INT, SC(autoscaler.min), 1, TESTBED_MAX_WORKERS, NULL, "autoscale_min", NULL },
	{ "max", T_INT, SC(autoscaler.max), 0, TESTBED_MAX_WORKERS, NULL, "autoscale_max", NULL },
	{ "scale_out_queue", T_INT, SC(autoscaler.scale_out_queue), 1, 1000000, NULL,
	  "scale_out_queue", NULL },
	{ "scale_in_queue", T_INT, SC(autoscaler.scale_in_queue), 0, 1000000, NULL,
	  "scale_in_queue", NULL },
	{ "cooldown", T_SECONDS, SC(autoscaler.cooldown_s), 0, 1e6, NULL, "cooldown_s", NULL },
	{ "provisioning", T_SECONDS, SC(autoscaler.provisioning_s), 0, 1e6, NULL,
	  "provisioning_s", NULL },
	{ "interval", T_SECONDS, SC(autoscaler.interval_s), 0.1, 1e4, NULL, "autoscale_interval_s",
	  NULL },
};
static const struct schema_section autoscaler_section = {
	.name = "autoscaler", .fields = autoscaler_fields, .n_fields = N(autoscaler_fields) };

static const struct schema_field root_fields[] = {
	{ "name", T_TEXT, SC(name), 0, 0, NULL, NULL, NULL },
	{ "description", T_TEXT, SC(description), 0, 0, NULL, NULL, NULL },
	{ "seed", T_U64, SC(seed), 0, 0, NULL, NULL, NULL },
	{ "repeats", T_INT, SC(repeats), 1, 10000, NULL, NULL, NULL },
	{ "paired", T_BOOL, SC(paired), 0, 1, NULL, NULL, NULL },
	{ "warmup", T_INT, SC(warmup_jobs), 0, 1e8, NULL, "warmup_jobs", NULL },
	{ "pipeline", T_BOOL, SC(pipeline), 0, 1, NULL, NULL, NULL },
	{ "topology", T_MAP, 0, 0, 0, NULL, NULL, &topology_section },
	{ "links", T_LIST, 0, 0, 0, NULL, NULL, &link_section },
	{ "transport", T_MAP, 0, 0, 0, NULL, NULL, &transport_section },
	{ "preprocess", T_MAP, 0, 0, 0, NULL, NULL, &preprocess_section },
	{ "model", T_MODEL, SC(model), 0, 0, NULL, "model", NULL },
	{ "workload", T_MAP, 0, 0, 0, NULL, NULL, &workload_section },
	{ "timeline", T_LIST, 0, 0, 0, NULL, NULL, &event_section },
	{ "run", T_LIST, 0, 0, 0, NULL, NULL, &run_section },
	{ "random_failures", T_MAP, 0, 0, 0, NULL, NULL, &failures_section },
	{ "autoscaler", T_MAP, 0, 0, 0, NULL, NULL, &autoscaler_section },
	{ "sweep", T_SWEEP, 0, 0, 0, NULL, NULL, NULL },
};
static const struct schema_section root_section = {
	.name = "the scenario", .fields = root_fields, .n_fields = N(root_fields) };

/* Impairment keys (netem/impair.c) whose values have a unit worth normalizing for plots:
 * 't' a duration (level in ms), 'r' a rate (Mbit/s), 'f' a fraction. */
static const struct {
	const char *key, *factor;
	char kind;
} impair_units[] = {
	{ "delay", "delay_ms", 't' }, { "jitter", "jitter_ms", 't' }, { "rate", "rate_mbps", 'r' },
	{ "delay_corr", NULL, 'f' }, { "loss", NULL, 'f' }, { "loss_corr", NULL, 'f' },
	{ "duplicate", NULL, 'f' }, { "duplicate_corr", NULL, 'f' }, { "corrupt", NULL, 'f' },
	{ "corrupt_corr", NULL, 'f' }, { "reorder", NULL, 'f' }, { "reorder_corr", NULL, 'f' },
};

_Static_assert(sizeof(enum scenario_transport) == sizeof(int) &&
	       sizeof(enum scenario_mode) == sizeof(int) &&
	       sizeof(enum scenario_action) == sizeof(int),
	       "T_CHOICE stores an int into these enums");

const struct schema_section *schema_root(void)
{
	return &root_section;
}

const char *schema_section_name(const struct schema_section *s)
{
	return s->name;
}

const struct schema_field *schema_find(const struct schema_section *s, const char *key)
{
	for (size_t i = 0; i < s->n_fields; i++)
		if (!strcmp(s->fields[i].key, key))
			return &s->fields[i];
	return NULL;
}

int schema_takes_impair(const struct schema_section *s)
{
	return s->impair_off != 0;
}

const char *schema_shorthand(const struct schema_section *s)
{
	return s->shorthand;
}

void schema_known(const struct schema_section *s, char *buf, size_t len)
{
	size_t n = 0;

	buf[0] = '\0';
	for (size_t i = 0; i < s->n_fields && n < len; i++)
		n += (size_t)snprintf(buf + n, len - n, "%s%s", i ? ", " : "", s->fields[i].key);
}

enum schema_kind schema_kind(const struct schema_field *f)
{
	switch (f->type) {
	case T_MAP: return SCHEMA_MAP;
	case T_LIST: return SCHEMA_LIST;
	case T_SWEEP: return SCHEMA_SWEEP;
	case T_ARGV: return SCHEMA_WORDS;
	case T_ENV: return SCHEMA_PAIRS;
	default: return SCHEMA_SCALAR;
	}
}

int schema_is_params(const struct schema_field *f)
{
	return f->type == T_PARAMS;
}

const struct schema_section *schema_sub(const struct schema_field *f)
{
	return f->sub;
}

const char *schema_what(const struct schema_field *f)
{
	switch (f->type) {
	case T_INT: return "an integer";
	case T_U64: return "an unsigned 64-bit integer";
	case T_NUM: return "a number";
	case T_SECONDS: return "seconds (a number, or with a unit: 500ms, 2s)";
	case T_TIME_NS: return "a duration with a unit (100us, 2ms)";
	case T_FRACTION: return "a fraction (0.4 or 40%)";
	case T_BOOL: return "true or false";
	case T_CHOICE: return "one word";
	case T_FAILURE: return failure_choices();
	case T_NODE: return "a node or link name: client, server, worker-K, workers or a topology name";
	case T_DIRS: return "up, down or both";
	case T_TEXT: case T_BUF: return "text";
	case T_PARAMS: return "the link kind's parameters, a mapping ({channel: wifi, distance: 30m}) or key=value,...";
	case T_MODEL: return "a model name or path prefix";
	case T_DATASET: return "a dataset directory or 'default'";
	case T_MAP: return "a mapping (key: value lines)";
	case T_LIST: return "a list (- items)";
	case T_SWEEP: return "a list of factors (- key: ..., values: [...])";
	case T_ARGV: return "a list of words ([prog, arg, ...]; no shell)";
	case T_ENV: return "a mapping of variable names to values";
	}
	return "?";
}

int schema_fail(struct schema_ctx *c, int line, const char *key, const char *fmt, ...)
{
	size_t n;
	va_list ap;

	n = (size_t)snprintf(c->err, c->errlen, "%s:%d: %s: ", c->file, line > 0 ? line : 1, key);
	if (n < c->errlen) {
		va_start(ap, fmt);
		vsnprintf(c->err + n, c->errlen - n, fmt, ap);
		va_end(ap);
	}
	/* one line, whatever the value held */
	for (char *p = c->err; *p; p++)
		if (*p == '\n' || *p == '\r')
			*p = ' ';
	return -EINVAL;
}

int schema_oom(struct schema_ctx *c)
{
	snprintf(c->err, c->errlen, "%s: out of memory", c->file);
	return -ENOMEM;
}

/* FNV-1a: the notes are a hash table, since a file of many events or links looks up
 * every one of them (a list made a 1 MiB timeline quadratic: 26 s) */
static size_t path_hash(const char *s)
{
	uint64_t h = 0xcbf29ce484222325ull;

	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 0x100000001b3ull;
	return (size_t)h;
}

/* The slot of path: where it is, or the empty one where it belongs. cap is a power of 2. */
static struct schema_line *note_slot(struct schema_line *t, size_t cap, const char *path)
{
	size_t i = path_hash(path) & (cap - 1);

	while (t[i].path && strcmp(t[i].path, path))
		i = (i + 1) & (cap - 1);
	return &t[i];
}

static int notes_grow(struct schema_ctx *c)
{
	size_t cap = c->cap_lines ? 2 * c->cap_lines : 64;
	struct schema_line *t = calloc(cap, sizeof(*t));

	if (!t)
		return schema_oom(c);
	for (size_t i = 0; i < c->cap_lines; i++)
		if (c->lines[i].path)
			*note_slot(t, cap, c->lines[i].path) = c->lines[i];
	free(c->lines);
	c->lines = t;
	c->cap_lines = cap;
	return 0;
}

int schema_note(struct schema_ctx *c, const char *path, int line)
{
	struct schema_line *slot;

	if (2 * (c->n_lines + 1) > c->cap_lines && notes_grow(c) < 0)
		return -ENOMEM;
	slot = note_slot(c->lines, c->cap_lines, path);
	if (!slot->path) {
		slot->path = strdup(path);
		if (!slot->path)
			return schema_oom(c);
		c->n_lines++;
	}
	slot->line = line;
	return 0;
}

int schema_line_of(const struct schema_ctx *c, const char *path)
{
	const struct schema_line *slot;

	if (!c->cap_lines)
		return 0;
	slot = note_slot(c->lines, c->cap_lines, path);
	return slot->path ? slot->line : 0;
}

void schema_ctx_clear(struct schema_ctx *c)
{
	for (size_t i = 0; i < c->cap_lines; i++)
		free(c->lines[i].path);
	free(c->lines);
	c->lines = NULL;
	c->n_lines = c->cap_lines = 0;
}

int schema_defaults(struct scenario *sc)
{
	sc->seed = 1;
	sc->repeats = 1;
	sc->paired = 1;
	sc->pipeline = 1;
	sc->topology.workers = 1;
	snprintf(sc->topology.subnet, sizeof(sc->topology.subnet), "10.77.0.0/16");
	sc->transport.protocol = SCENARIO_TCP;
	sc->transport.chunk_bytes = 1024;
	sc->preprocess.resize_pct = 100;
	sc->workload.count = 16;
	sc->workload.mode = SCENARIO_CLOSED;
	sc->workload.concurrency = 1;
	sc->workload.max_outstanding = 1024;
	sc->workload.timeout_s = 30;
	sc->workload.retries = 2;
	sc->workload.shuffle = 1;
	sc->random_failures.interval_s = 1;
	sc->random_failures.recovery_s = 2;
	sc->random_failures.max_concurrent = 1;
	sc->autoscaler.min = 1;
	sc->autoscaler.scale_out_queue = 1;
	sc->autoscaler.cooldown_s = 5;
	sc->autoscaler.interval_s = 1;
	sc->random_failures.kind = FAILURE_KILL;
	snprintf(sc->random_failures.node, sizeof(sc->random_failures.node), SCENARIO_ALL_WORKERS);
	return 0;
}

/* Plain numbers and times go through units.h, the one parser of scenario files and options. */
static int parse_ll(const char *s, long long *ret)
{
	long v;
	int r = units_long(s, LONG_MIN, LONG_MAX, &v);

	if (r < 0)
		return r;
	*ret = v;
	return 0;
}

static int parse_num(const char *s, double *ret)
{
	return units_double(s, -DBL_MAX, DBL_MAX, ret);
}

static int parse_bool(const char *s, int *ret)
{
	static const char *const yes[] = { "true", "yes", "on", "1" };
	static const char *const no[] = { "false", "no", "off", "0" };

	for (size_t i = 0; i < N(yes); i++) {
		if (!strcasecmp(s, yes[i])) {
			*ret = 1;
			return 0;
		}
		if (!strcasecmp(s, no[i])) {
			*ret = 0;
			return 0;
		}
	}
	return -EINVAL;
}

/* client | server | workers | worker-K with 1 <= K <= TESTBED_MAX_WORKERS: the star's. */
static int star_syntax(const char *s)
{
	long long k;

	if (!strcmp(s, "client") || !strcmp(s, "server") || !strcmp(s, SCENARIO_ALL_WORKERS))
		return 0;
	if (strncmp(s, "worker-", 7) || s[7] < '1' || s[7] > '9' || parse_ll(s + 7, &k) < 0)
		return -EINVAL;
	return k <= TESTBED_MAX_WORKERS ? 0 : -EINVAL;
}

/* A star name, or a topology name: [A-Za-z0-9_.-], not starting with '.' or '-'. */
static int node_syntax(const char *s)
{
	if (star_syntax(s) == 0)
		return 0;
	if (!*s || *s == '.' || *s == '-' || strlen(s) >= TOPO_LINK_NAME_MAX)
		return -EINVAL;
	for (; *s; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
		      (*s >= '0' && *s <= '9') || *s == '_' || *s == '.' || *s == '-'))
			return -EINVAL;
	return 0;
}

int scenario_node_range(const struct scenario *sc, const char *node, int *ret_first, int *ret_last)
{
	int k;

	if (node_syntax(node) < 0)
		return -EINVAL;
	/* topology_plan puts client, server and the workers first, in that order */
	if (!strcmp(node, "client"))
		*ret_first = *ret_last = 0;
	else if (!strcmp(node, "server"))
		*ret_first = *ret_last = 1;
	else if (!strcmp(node, SCENARIO_ALL_WORKERS)) {
		*ret_first = 2;
		*ret_last = 1 + sc->topology.workers;
	} else if (sc->topo) {
		k = topology_node_index(sc->topo, node);
		if (k < 0)
			return -ENOENT;
		*ret_first = *ret_last = k;
	} else {
		if (star_syntax(node) < 0)
			return -ENOENT;
		k = atoi(node + 7);
		if (k > sc->topology.workers)
			return -ENOENT;
		*ret_first = *ret_last = 1 + k;
	}
	return 0;
}

int scenario_links_of(const struct scenario *sc, const char *node, const char *link, int *ret,
		      int max, int *ret_bad)
{
	int first, last, n = 0, r;

	if (link && *link) {
		r = sc->topo ? topology_link_index(sc->topo, link) : -ENOENT;
		if (r < 0)
			return r;
		if (max > 0)
			ret[0] = r;
		return 1;
	}
	r = scenario_node_range(sc, node, &first, &last);
	if (r < 0)
		return r;
	for (int k = first; k <= last; k++) {
		int l = sc->topo ? topology_node_link(sc->topo, k) : k;

		if (l < 0) {
			*ret_bad = k;
			return -EMLINK;
		}
		if (n < max)
			ret[n] = l;
		n++;
	}
	return n;
}

int scenario_max_workers(const struct scenario *sc)
{
	int n = sc->topology.workers + 4 * sc->autoscaler.max;

	for (size_t i = 0; i < sc->n_events; i++)
		n += sc->events[i].action == SCENARIO_ADD_WORKER;
	return n;
}

int scenario_joins_later(const struct scenario *sc, const char *node)
{
	int first, last;

	if (sc->topology.n_nodes || strncmp(node, "worker-", 7) || star_syntax(node) < 0 ||
	    scenario_node_range(sc, node, &first, &last) != -ENOENT)
		return 0;
	return atoi(node + 7) <= scenario_max_workers(sc);
}

static int is_file(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0 && S_ISREG(st.st_mode);
}

static int is_dir(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

/* value as an absolute path or relative to the scenario's directory; malloc'ed. */
static char *join_dir(const struct schema_ctx *c, const char *value)
{
	char *p = NULL;

	if (value[0] == '/' || !c->dir)
		return strdup(value);
	if (asprintf(&p, "%s/%s", c->dir, value) < 0)
		return NULL;
	return p;
}

/* "default", a name in the models directory, or a path prefix (with a '/'). */
static int resolve_model(struct schema_ctx *c, const char *value, const char *path, int line)
{
	char *prefix = NULL, *dir = NULL, *tried = NULL, *cfg = NULL, *weights = NULL, *real = NULL;
	int r;

	if (!strcmp(value, "default")) {
		r = locate_default_model(&prefix, &tried);
		if (r < 0) {
			r = schema_fail(c, line, path, "default model %s not found (looked in %s)",
					LOCATE_DEFAULT_MODEL, tried ? tried : "nowhere");
			goto out;
		}
	} else if (strchr(value, '/')) {
		prefix = join_dir(c, value);
	} else {
		r = locate_models_dir(&dir, &tried);
		if (r < 0) {
			r = schema_fail(c, line, path, "model '%s': no models directory (looked in %s)",
					value, tried ? tried : "nowhere");
			goto out;
		}
		if (asprintf(&prefix, "%s/%s", dir, value) < 0)
			prefix = NULL;
	}
	if (!prefix || asprintf(&cfg, "%s.cfg", prefix) < 0) {
		cfg = NULL;
		r = schema_oom(c);
		goto out;
	}
	if (asprintf(&weights, "%s.weights", prefix) < 0) {
		weights = NULL;
		r = schema_oom(c);
		goto out;
	}
	if (!is_file(cfg) || !is_file(weights)) {
		r = schema_fail(c, line, path, "model '%s': %s: no such file", value,
				is_file(cfg) ? weights : cfg);
		goto out;
	}
	real = realpath(cfg, NULL);
	if (!real) {
		r = schema_oom(c);
		goto out;
	}
	real[strlen(real) - 4] = '\0'; /* the prefix: without ".cfg" */
	free(c->sc->model_prefix);
	c->sc->model_prefix = real;
	r = 0;
out:
	free(prefix);
	free(dir);
	free(tried);
	free(cfg);
	free(weights);
	return r;
}

/* At least one image by the rule qoslab client and detect list them with (models/images.h). */
static int has_images(const char *dir)
{
	char **paths = NULL;
	size_t n = 0;
	int ok = images_list(dir, &paths, &n) == 0 && n > 0;

	images_free(paths, n);
	return ok;
}

/* "default" (models/locate) or a directory with images. */
static int resolve_dataset(struct schema_ctx *c, const char *value, const char *path, int line)
{
	char *dir = NULL, *tried = NULL, *real = NULL;
	int r;

	if (!strcmp(value, "default")) {
		r = locate_dataset_dir(&dir, &tried);
		if (r < 0) {
			r = schema_fail(c, line, path, "default dataset %s not found (looked in %s)",
					LOCATE_DEFAULT_DATASET, tried ? tried : "nowhere");
			goto out;
		}
	} else {
		dir = join_dir(c, value);
		if (!dir) {
			r = schema_oom(c);
			goto out;
		}
	}
	if (!is_dir(dir)) {
		r = schema_fail(c, line, path, "%s: no such directory", dir);
		goto out;
	}
	if (!has_images(dir)) {
		r = schema_fail(c, line, path, "%s: no .jpg images in it or in its images/", dir);
		goto out;
	}
	real = realpath(dir, NULL);
	if (!real) {
		r = schema_oom(c);
		goto out;
	}
	free(c->sc->workload.dataset_dir);
	c->sc->workload.dataset_dir = real;
	r = 0;
out:
	free(dir);
	free(tried);
	return r;
}

static int choice_index(const char *const *choices, const char *s)
{
	for (int i = 0; choices[i]; i++)
		if (!strcmp(choices[i], s))
			return i;
	return -1;
}

static int choice_fail(struct schema_ctx *c, const struct schema_field *f, const char *path,
		       const char *text, int line)
{
	char buf[128];
	size_t n = 0;

	buf[0] = '\0';
	for (int i = 0; f->choices[i] && n < sizeof(buf); i++)
		n += (size_t)snprintf(buf + n, sizeof(buf) - n, "%s%s", i ? ", " : "", f->choices[i]);
	return schema_fail(c, line, path, "'%s' is not one of %s", text, buf);
}

static int range_ok(const struct schema_field *f, double v)
{
	return v >= f->lo && v <= f->hi;
}

static int range_fail(struct schema_ctx *c, const struct schema_field *f, const char *path,
		      const char *text, int line)
{
	return schema_fail(c, line, path, "%s is out of range %g..%g", text, f->lo, f->hi);
}

static int set_string(struct schema_ctx *c, char **dst, const char *text)
{
	char *s = strdup(text);

	if (!s)
		return schema_oom(c);
	free(*dst);
	*dst = s;
	return 0;
}

static int set_number(struct schema_ctx *c, const struct schema_field *f, char *p,
		      const char *path, const char *text, int line)
{
	long long ll;
	double v;
	uint64_t ns;

	switch (f->type) {
	case T_INT:
		if (parse_ll(text, &ll) < 0)
			return schema_fail(c, line, path, "'%s' is not an integer", text);
		if (!range_ok(f, (double)ll))
			return range_fail(c, f, path, text, line);
		*(int *)p = (int)ll;
		return 0;
	case T_NUM:
		if (parse_num(text, &v) < 0)
			return schema_fail(c, line, path, "'%s' is not a number", text);
		if (!range_ok(f, v))
			return range_fail(c, f, path, text, line);
		*(double *)p = v;
		return 0;
	case T_SECONDS:
		if (units_seconds(text, &v) < 0)
			return schema_fail(c, line, path, "'%s' is not %s", text, schema_what(f));
		if (!range_ok(f, v))
			return schema_fail(c, line, path, "%s is out of range %g..%g s", text, f->lo, f->hi);
		*(double *)p = v;
		return 0;
	case T_TIME_NS:
		if (units_time_ns(text, &ns) < 0)
			return schema_fail(c, line, path, "'%s' is not %s", text, schema_what(f));
		if (!range_ok(f, (double)ns))
			return schema_fail(c, line, path, "%s is out of range 0..%g s", text, f->hi / 1e9);
		*(uint64_t *)p = ns;
		return 0;
	case T_FRACTION:
		if (units_fraction(text, &v) < 0)
			return schema_fail(c, line, path, "'%s' is not %s", text, schema_what(f));
		*(double *)p = v;
		return 0;
	default:
		return -EINVAL;
	}
}

int schema_set(struct schema_ctx *c, const struct schema_field *f, void *base,
	       const char *path, const char *text, int line)
{
	char *p = (char *)base + f->off;
	enum failure_kind fk;
	int r, i;

	switch (f->type) {
	case T_INT: case T_NUM: case T_SECONDS: case T_TIME_NS: case T_FRACTION:
		r = set_number(c, f, p, path, text, line);
		break;
	case T_U64:
		if (units_u64(text, 0, UINT64_MAX, (uint64_t *)p) < 0)
			return schema_fail(c, line, path, "'%s' is not %s", text, schema_what(f));
		r = 0;
		break;
	case T_BOOL:
		if (parse_bool(text, (int *)p) < 0)
			return schema_fail(c, line, path, "'%s' is not true or false", text);
		r = 0;
		break;
	case T_CHOICE:
		i = choice_index(f->choices, text);
		if (i < 0)
			return choice_fail(c, f, path, text, line);
		*(int *)p = i;
		r = 0;
		break;
	case T_FAILURE:
		if (failure_parse(text, &fk) < 0)
			return schema_fail(c, line, path, "'%s' is not %s", text, schema_what(f));
		*(enum failure_kind *)p = fk;
		r = 0;
		break;
	case T_NODE:
		if (node_syntax(text) < 0)
			return schema_fail(c, line, path, "'%s' is not %s", text, schema_what(f));
		snprintf(p, SCENARIO_NODE_MAX, "%s", text);
		r = 0;
		break;
	case T_DIRS:
		if (!strcmp(text, "up"))
			*(int *)p = SCENARIO_UP;
		else if (!strcmp(text, "down"))
			*(int *)p = SCENARIO_DOWN;
		else if (!strcmp(text, "both"))
			*(int *)p = SCENARIO_UP | SCENARIO_DOWN;
		else
			return schema_fail(c, line, path, "'%s' is not up, down or both", text);
		r = 0;
		break;
	case T_TEXT:
		r = set_string(c, (char **)p, text);
		break;
	case T_BUF: case T_PARAMS:
		if (strlen(text) >= (size_t)f->hi)
			return schema_fail(c, line, path, "'%s' is longer than %d bytes", text,
					   (int)f->hi - 1);
		snprintf(p, (size_t)f->hi, "%s", text);
		r = 0;
		break;
	case T_MODEL:
		r = resolve_model(c, text, path, line);
		if (!r)
			r = set_string(c, (char **)p, text);
		break;
	case T_DATASET:
		r = resolve_dataset(c, text, path, line);
		if (!r)
			r = set_string(c, (char **)p, text);
		break;
	default:
		return schema_fail(c, line, path, "expected %s", schema_what(f));
	}
	if (r < 0)
		return r;
	return schema_note(c, path, line);
}

int schema_set_impair(struct schema_ctx *c, const struct schema_section *s, void *item,
		      const char *key, const char *path, const char *text, int line)
{
	struct impair *im = (struct impair *)((char *)item + s->impair_off);
	char msg[SCENARIO_ERR_MAX], known[128];
	const char *keys;
	int r;

	r = impair_set(im, key, text, msg, sizeof(msg));
	if (r == -ENOENT) {
		/* impair_set lists its keys as "(known: delay jitter ...)" */
		schema_known(s, known, sizeof(known));
		keys = strstr(msg, "(known: ");
		keys = keys ? keys + 8 : ")";
		return schema_fail(c, line, path, "unknown key in %s (known: %s; impairments: %s",
				   s->name, known, keys);
	}
	if (r < 0)
		return schema_fail(c, line, path, "%s", msg);
	if (s == &event_section)
		((struct scenario_event *)item)->n_impair_keys++;
	return schema_note(c, path, line);
}

/* [A-Za-z_][A-Za-z0-9_]*: a name a program can look up. */
static int env_name_ok(const char *s)
{
	if (!*s || (*s >= '0' && *s <= '9'))
		return 0;
	for (; *s; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
		      (*s >= '0' && *s <= '9') || *s == '_'))
			return 0;
	return 1;
}

int schema_append(struct schema_ctx *c, const struct schema_field *f, void *base,
		  const char *path, const char *name, const char *text, int line)
{
	char ***list = (char ***)((char *)base + f->off);
	size_t *n = (size_t *)((char *)base + f->off + sizeof(char **));
	char *item = NULL, **grown;

	if (f->type == T_ENV) {
		if (!env_name_ok(name))
			return schema_fail(c, line, path, "'%s' is not a variable name "
					   "([A-Za-z_][A-Za-z0-9_]*)", name);
		for (size_t i = 0; i < *n; i++)
			if (!strncmp((*list)[i], name, strlen(name)) && (*list)[i][strlen(name)] == '=')
				return schema_fail(c, line, path, "duplicate variable");
		if (asprintf(&item, "%s=%s", name, text) < 0)
			return schema_oom(c);
	} else if (!(item = strdup(text))) {
		return schema_oom(c);
	}
	grown = realloc(*list, (*n + 2) * sizeof(*grown));
	if (!grown) {
		free(item);
		return schema_oom(c);
	}
	grown[(*n)++] = item;
	grown[*n] = NULL;
	*list = grown;
	return schema_note(c, path, line);
}

void schema_strings_free(char **list)
{
	for (size_t i = 0; list && list[i]; i++)
		free(list[i]);
	free(list);
}

int schema_list_new(struct schema_ctx *c, const struct schema_field *f, size_t n)
{
	const struct schema_section *s = f->sub;
	void **list = (void **)((char *)c->sc + s->list_off);
	size_t *count = (size_t *)((char *)c->sc + s->count_off);
	char *items = NULL;

	if (n) {
		items = calloc(n, s->item_size);
		if (!items)
			return schema_oom(c);
		for (size_t i = 0; i < n; i++)
			s->item_init(items + i * s->item_size);
	}
	free(*list);
	*list = items;
	*count = n;
	return 0;
}

void *schema_list_item(struct scenario *sc, const struct schema_field *f, size_t i)
{
	const struct schema_section *s = f->sub;
	char *items = *(char **)((char *)sc + s->list_off);

	return items + i * s->item_size;
}

static size_t list_len(const struct scenario *sc, const struct schema_section *s)
{
	return *(const size_t *)((const char *)sc + s->count_off);
}

/* What a sweep path names: a field of base, or (field NULL) an impairment key of an item. */
struct target {
	const struct schema_section *s;
	const struct schema_field *f;
	void *base;
	const char *impair_key;
	const char *param_key;  /* one key of a T_PARAMS field f */
};

/* Splits "links[0]" into name and index (-1 without brackets). */
static int segment(const char *seg, char *name, size_t len, long *ret_index)
{
	const char *br = strchr(seg, '[');
	size_t n = br ? (size_t)(br - seg) : strlen(seg);
	long long idx = -1;

	if (!n || n >= len)
		return -EINVAL;
	memcpy(name, seg, n);
	name[n] = '\0';
	if (br) {
		char num[24];
		size_t m = strlen(br + 1);

		if (m < 2 || br[m] != ']' || m - 1 >= sizeof(num))
			return -EINVAL;
		memcpy(num, br + 1, m - 1);
		num[m - 1] = '\0';
		if (num[0] < '0' || num[0] > '9' || parse_ll(num, &idx) < 0)
			return -EINVAL;
	}
	*ret_index = (long)idx;
	return 0;
}

static int find_target(struct schema_ctx *c, const char *label, const char *path, int line,
		       struct target *ret)
{
	const struct schema_section *s = &root_section;
	void *base = c->sc;
	char buf[256], name[64], known[256], *save = NULL, *seg, *next;
	long idx;

	if (strlen(path) >= sizeof(buf))
		return schema_fail(c, line, label, "'%s' is too long", path);
	snprintf(buf, sizeof(buf), "%s", path);
	for (seg = strtok_r(buf, ".", &save); seg; seg = next) {
		const struct schema_field *f;

		next = strtok_r(NULL, ".", &save);
		if (segment(seg, name, sizeof(name), &idx) < 0)
			return schema_fail(c, line, label, "'%s' is not a key path such as "
					   "topology.workers or links[0].loss", path);
		f = schema_find(s, name);
		if (!f && s->impair_off && !next && idx < 0) {
			struct impair scratch = { 0 };
			char msg[SCENARIO_ERR_MAX];

			if (impair_set(&scratch, name, "0", msg, sizeof(msg)) == -ENOENT)
				return schema_fail(c, line, label, "'%s': %s", path, msg);
			*ret = (struct target){ s, NULL, base, path + (seg - buf), NULL };
			return 0;
		}
		if (!f) {
			schema_known(s, known, sizeof(known));
			return schema_fail(c, line, label, "'%s': no key '%s' in %s (known: %s)",
					   path, name, s->name, known);
		}
		if (f->type == T_LIST) {
			size_t n = list_len(c->sc, f->sub);

			if (idx < 0 || !next)
				return schema_fail(c, line, label, "'%s': name one value of one item, "
						   "e.g. %s[0].%s", path, name, f->sub->fields[0].key);
			if ((size_t)idx >= n)
				return schema_fail(c, line, label, "'%s': %s has %zu item%s", path,
						   name, n, n == 1 ? "" : "s");
			base = schema_list_item(c->sc, f, (size_t)idx);
			s = f->sub;
			continue;
		}
		if (idx >= 0)
			return schema_fail(c, line, label, "'%s': %s is not a list", path, name);
		if (f->type == T_MAP) {
			if (!next)
				return schema_fail(c, line, label, "'%s' is a section; name one of its "
						   "values, e.g. %s.%s", path, path, f->sub->fields[0].key);
			s = f->sub;
			continue;
		}
		if (f->type == T_PARAMS && next) {
			const char *key = path + (next - buf);

			if (strtok_r(NULL, ".", &save) || !*key || strspn(key,
			    "abcdefghijklmnopqrstuvwxyz_") != strlen(key))
				return schema_fail(c, line, label, "'%s': name one parameter, e.g. "
						   "%s.distance", path, name);
			*ret = (struct target){ s, f, base, NULL, key };
			return 0;
		}
		if (next)
			return schema_fail(c, line, label, "'%s': %s is a value, not a section", path, name);
		if (!f->factor)
			return schema_fail(c, line, label, "'%s' cannot be swept (it %s)", path,
					   f->type == T_SWEEP ? "is the sweep" :
					   !strcmp(f->key, "repeats") || !strcmp(f->key, "seed") ||
					   !strcmp(f->key, "paired") ?
					   "defines the trials" : "is not a parameter");
		*ret = (struct target){ s, f, base, NULL, NULL };
		return 0;
	}
	return schema_fail(c, line, label, "'%s' is not a key path", path);
}

/* One key of a "key=value,..." field replaced (or added), the rest kept in order. */
static int set_param(struct schema_ctx *c, const struct schema_field *f, void *base,
		     const char *key, const char *path, const char *text, int line)
{
	char *p = (char *)base + f->off, out[1024] = "", old[1024], *save = NULL, *item;
	size_t klen = strlen(key), n = 0;
	int found = 0;

	if (strchr(text, ',') || strchr(text, '='))
		return schema_fail(c, line, path, "'%s': one value, without ',' or '='", text);
	snprintf(old, sizeof(old), "%s", p);
	for (item = strtok_r(old, ",", &save); item; item = strtok_r(NULL, ",", &save)) {
		int mine = !strncmp(item, key, klen) && item[klen] == '=';

		n += (size_t)snprintf(out + n, n < sizeof(out) ? sizeof(out) - n : 0, "%s%s%s%s",
				      n ? "," : "", mine ? key : item, mine ? "=" : "",
				      mine ? text : "");
		found |= mine;
	}
	if (!found)
		n += (size_t)snprintf(out + n, n < sizeof(out) ? sizeof(out) - n : 0, "%s%s=%s",
				      n ? "," : "", key, text);
	if (n >= (size_t)f->hi)
		return schema_fail(c, line, path, "'%s' makes the parameters longer than %d bytes",
				   text, (int)f->hi - 1);
	snprintf(p, (size_t)f->hi, "%s", out);
	return 0;
}

int schema_set_path(struct schema_ctx *c, const char *label, const char *path, int key_line,
		    const char *text, int value_line)
{
	struct target t;
	int r;

	r = find_target(c, label, path, key_line, &t);
	if (r < 0)
		return r;
	if (t.param_key)
		return set_param(c, t.f, t.base, t.param_key, path, text, value_line);
	if (t.f)
		return schema_set(c, t.f, t.base, path, text, value_line);
	return schema_set_impair(c, t.s, t.base, t.impair_key, path, text, value_line);
}

static int level_number(double v, char **ret)
{
	return asprintf(ret, "%.10g", v) < 0 ? -ENOMEM : 0;
}

/* text in the unit of the factor name; 1 when the type has no unit to normalize. */
static int level_of(enum ftype type, const char *text, char **ret)
{
	long long ll;
	double v;
	uint64_t u;

	switch (type) {
	case T_INT:
		if (parse_ll(text, &ll) < 0)
			return 1;
		return asprintf(ret, "%lld", ll) < 0 ? -ENOMEM : 0;
	case T_NUM:
		return parse_num(text, &v) < 0 ? 1 : level_number(v, ret);
	case T_SECONDS:
		return units_seconds(text, &v) < 0 ? 1 : level_number(v, ret);
	case T_TIME_NS:
		return units_time_ns(text, &u) < 0 ? 1 : level_number((double)u / 1e3, ret);
	case T_FRACTION:
		return units_fraction(text, &v) < 0 ? 1 : level_number(v, ret);
	default:
		return 1;
	}
}

/* An impairment value as a level: ms, Mbit/s or a fraction; 1 when verbatim. */
static int impair_level(const char *key, const char *text, char **ret, const char **ret_name)
{
	double v;
	uint64_t u;

	*ret_name = key;
	for (size_t i = 0; i < N(impair_units); i++) {
		if (strcmp(impair_units[i].key, key))
			continue;
		if (impair_units[i].factor)
			*ret_name = impair_units[i].factor;
		switch (impair_units[i].kind) {
		case 't':
			return units_time_ns(text, &u) < 0 ? 1 : level_number((double)u / 1e6, ret);
		case 'r':
			return units_rate_bps(text, &u) < 0 ? 1 : level_number((double)u / 1e6, ret);
		default:
			return units_fraction(text, &v) < 0 ? 1 : level_number(v, ret);
		}
	}
	return 1;
}

int schema_level(struct schema_ctx *c, const char *label, const char *path, int key_line,
		 const char *text, char **ret_level, const char **ret_name)
{
	struct target t;
	char *level = NULL;
	int r;

	r = find_target(c, label, path, key_line, &t);
	if (r < 0)
		return r;
	if (t.param_key) {
		/* distance=30m is the number 30: metres, as the kind reads it */
		char num[64];
		size_t n = strlen(text);

		snprintf(num, sizeof(num), "%.*s", (int)(n && text[n - 1] == 'm' ? n - 1 : n), text);
		r = level_of(T_NUM, num, &level);
		*ret_name = t.param_key;
	} else if (t.f) {
		r = level_of(t.f->type, text, &level);
		*ret_name = t.f->factor;
	} else {
		r = impair_level(t.impair_key, text, &level, ret_name);
	}
	if (r > 0)
		level = strdup(text);
	if (r < 0 || !level)
		return schema_oom(c);
	*ret_level = level;
	return 0;
}
