// SPDX-License-Identifier: MIT
/* Scenario files: libyaml's document walked against the schema, cross-field validation,
 * the sweep's factors; resolve re-reads the same text with a trial's values applied. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <yaml.h>

#include "emu/linkkind.h"
#include "emu/topology.h"
#include "regfile.h"
#include "scenarios/scenario.h"
#include "scenarios/schema.h"
#include "scenarios/sweep.h"

#define PATH_BUF 256

/* A value that replaces what the file says: a sweep factor's value for one point. */
struct override {
	const char *label;      /* "sweep[0].key", for errors about the path */
	const char *key;        /* "links[0].loss" */
	const char *value;
	int key_line, value_line;
};

struct walk {
	struct schema_ctx *c;
	yaml_document_t *doc;
};

static yaml_node_t *node_get(const struct walk *w, int i)
{
	return yaml_document_get_node(w->doc, i);
}

static int node_line(const yaml_node_t *n)
{
	return (int)n->start_mark.line + 1;
}

static const char *node_text(const yaml_node_t *n)
{
	return (const char *)n->data.scalar.value;
}

static const char *node_type_name(const yaml_node_t *n)
{
	switch (n->type) {
	case YAML_MAPPING_NODE: return "a mapping";
	case YAML_SEQUENCE_NODE: return "a list";
	default: return "a single value";
	}
}

/* "key:" with nothing after it, "~" or "null" (YAML's null), unquoted. */
static int node_is_null(const yaml_node_t *n)
{
	const char *s;

	if (n->type != YAML_SCALAR_NODE || n->data.scalar.style != YAML_PLAIN_SCALAR_STYLE)
		return 0;
	s = node_text(n);
	return !*s || !strcmp(s, "~") || !strcmp(s, "null") || !strcmp(s, "Null") ||
	       !strcmp(s, "NULL");
}

static int path_join(struct schema_ctx *c, char *buf, const char *prefix, const char *key,
		     int line)
{
	int n = snprintf(buf, PATH_BUF, "%s%s%s", prefix, *prefix ? "." : "", key);

	if (n < 0 || n >= PATH_BUF)
		return schema_fail(c, line, prefix, "key '%.40s...' is too long", key);
	return 0;
}

/* A mapping's key: a plain word, not repeated. */
static int map_key(struct walk *w, const yaml_node_t *map, const yaml_node_pair_t *pair,
		   const char *prefix, char *path)
{
	const yaml_node_t *k = node_get(w, pair->key);
	const char *where = *prefix ? prefix : "scenario";

	if (!k || k->type != YAML_SCALAR_NODE)
		return schema_fail(w->c, k ? node_line(k) : 0, where, "keys are words, not %s",
				   k ? node_type_name(k) : "nothing");
	if (strlen(node_text(k)) != k->data.scalar.length)
		return schema_fail(w->c, node_line(k), where, "a key holds a NUL byte");
	for (const yaml_node_pair_t *q = map->data.mapping.pairs.start; q < pair; q++) {
		const yaml_node_t *kq = node_get(w, q->key);

		if (kq && kq->type == YAML_SCALAR_NODE && !strcmp(node_text(kq), node_text(k))) {
			path_join(w->c, path, prefix, node_text(k), node_line(k));
			return schema_fail(w->c, node_line(k), path, "duplicate key (first on line %d)",
					   node_line(kq));
		}
	}
	return path_join(w->c, path, prefix, node_text(k), node_line(k));
}

/* A scalar value: present, and text without NUL. */
static int scalar_value(struct walk *w, const yaml_node_t *v, const char *path, const char *what)
{
	if (v->type != YAML_SCALAR_NODE)
		return schema_fail(w->c, node_line(v), path, "expected %s, got %s", what,
				   node_type_name(v));
	if (node_is_null(v))
		return schema_fail(w->c, node_line(v), path, "no value (expected %s)", what);
	if (strlen(node_text(v)) != v->data.scalar.length)
		return schema_fail(w->c, node_line(v), path, "the value holds a NUL byte");
	return 0;
}

static int walk_map(struct walk *w, const struct schema_section *s, void *base,
		    const yaml_node_t *map, const char *prefix);

static int walk_list(struct walk *w, const struct schema_field *f, const yaml_node_t *v,
		     const char *path)
{
	const yaml_node_item_t *start = v->data.sequence.items.start;
	size_t n = (size_t)(v->data.sequence.items.top - start);
	char item_path[PATH_BUF];
	int r;

	r = schema_list_new(w->c, f, n);
	for (size_t i = 0; i < n && r == 0; i++) {
		const yaml_node_t *item = node_get(w, start[i]);

		snprintf(item_path, sizeof(item_path), "%s[%zu]", path, i);
		if (item->type == YAML_SCALAR_NODE && schema_shorthand(schema_sub(f))) {
			/* switches: [lan, wan]  is  switches: [{name: lan}, {name: wan}] */
			const struct schema_section *sub = schema_sub(f);
			char key_path[PATH_BUF];

			r = scalar_value(w, item, item_path, "a name");
			if (r == 0)
				r = schema_note(w->c, item_path, node_line(item));
			if (r == 0)
				r = path_join(w->c, key_path, item_path, schema_shorthand(sub),
					      node_line(item));
			if (r == 0)
				r = schema_set(w->c, schema_find(sub, schema_shorthand(sub)),
					       schema_list_item(w->c->sc, f, i), key_path,
					       node_text(item), node_line(item));
			continue;
		}
		if (item->type != YAML_MAPPING_NODE)
			return schema_fail(w->c, node_line(item), item_path, "expected a mapping "
					   "(key: value lines), got %s", node_type_name(item));
		r = schema_note(w->c, item_path, node_line(item));
		if (r == 0)
			r = walk_map(w, schema_sub(f), schema_list_item(w->c->sc, f, i), item, item_path);
	}
	return r;
}

static int sweep_values(struct walk *w, struct scenario_factor *f, const yaml_node_t *v,
			const char *path)
{
	const yaml_node_item_t *start;
	size_t n;
	int r;

	if (node_is_null(v))
		return schema_fail(w->c, node_line(v), path, "empty: a factor needs at least one value");
	if (v->type != YAML_SEQUENCE_NODE)
		return schema_fail(w->c, node_line(v), path, "expected a list of values, e.g. "
				   "[0, 0.05, 0.1], got %s", node_type_name(v));
	start = v->data.sequence.items.start;
	n = (size_t)(v->data.sequence.items.top - start);
	if (!n)
		return schema_fail(w->c, node_line(v), path, "empty: a factor needs at least one value");
	f->values = calloc(n, sizeof(*f->values));
	f->value_lines = calloc(n, sizeof(*f->value_lines));
	if (!f->values || !f->value_lines)
		return schema_oom(w->c);
	for (size_t i = 0; i < n; i++) {
		const yaml_node_t *item = node_get(w, start[i]);

		r = scalar_value(w, item, path, "a value");
		if (r < 0)
			return r;
		f->values[i] = strdup(node_text(item));
		if (!f->values[i])
			return schema_oom(w->c);
		f->value_lines[i] = node_line(item);
		f->n_values = i + 1;
	}
	return 0;
}

/* sweep[i]: {key: PATH, name: NAME, values: [...]} */
static int sweep_factor(struct walk *w, struct scenario_factor *f, const yaml_node_t *item,
			const char *prefix)
{
	char path[PATH_BUF];
	int r;

	for (const yaml_node_pair_t *p = item->data.mapping.pairs.start;
	     p < item->data.mapping.pairs.top; p++) {
		const yaml_node_t *v = node_get(w, p->value);
		const char *key;

		r = map_key(w, item, p, prefix, path);
		if (r < 0)
			return r;
		key = node_text(node_get(w, p->key));
		if (!strcmp(key, "values")) {
			r = sweep_values(w, f, v, path);
		} else if (!strcmp(key, "key") || !strcmp(key, "name")) {
			char **dst = key[0] == 'k' ? &f->key : &f->name;

			r = scalar_value(w, v, path, key[0] == 'k' ? "a key path such as "
					 "topology.workers" : "a factor name");
			if (r == 0 && !(*dst = strdup(node_text(v))))
				r = schema_oom(w->c);
			if (key[0] == 'k')
				f->line = node_line(v);
		} else {
			r = schema_fail(w->c, node_line(node_get(w, p->key)), path,
					"unknown key in sweep (known: key, name, values)");
		}
		if (r < 0)
			return r;
		r = schema_note(w->c, path, node_line(v));
		if (r < 0)
			return r;
	}
	if (!f->key)
		return schema_fail(w->c, node_line(item), prefix, "no key: name the swept value, e.g. "
				   "key: topology.workers");
	if (!f->n_values)
		return schema_fail(w->c, node_line(item), prefix, "no values: e.g. values: [1, 2, 3]");
	return 0;
}

static int walk_sweep(struct walk *w, const yaml_node_t *v, const char *path)
{
	struct scenario *sc = w->c->sc;
	const yaml_node_item_t *start;
	char item_path[PATH_BUF];
	size_t n;
	int r;

	if (node_is_null(v))
		return 0;
	if (v->type != YAML_SEQUENCE_NODE)
		return schema_fail(w->c, node_line(v), path, "expected a list of factors "
				   "(- key: ..., values: [...]), got %s", node_type_name(v));
	start = v->data.sequence.items.start;
	n = (size_t)(v->data.sequence.items.top - start);
	if (n > SCENARIO_FACTORS_MAX)
		return schema_fail(w->c, node_line(v), path, "%zu factors: at most %d", n,
				   SCENARIO_FACTORS_MAX);
	sc->factors = calloc(n ? n : 1, sizeof(*sc->factors));
	if (!sc->factors)
		return schema_oom(w->c);
	for (size_t i = 0; i < n; i++) {
		const yaml_node_t *item = node_get(w, start[i]);

		sc->n_factors = i + 1;
		snprintf(item_path, sizeof(item_path), "%s[%zu]", path, i);
		if (item->type != YAML_MAPPING_NODE)
			return schema_fail(w->c, node_line(item), item_path, "expected a factor "
					   "(key: ..., values: [...]), got %s", node_type_name(item));
		r = sweep_factor(w, &sc->factors[i], item, item_path);
		if (r < 0)
			return r;
	}
	return 0;
}

/* argv: [prog, arg, ...], every item a scalar (numbers are words too). */
static int walk_words(struct walk *w, const struct schema_field *f, void *base,
		      const yaml_node_t *v, const char *path)
{
	char item_path[PATH_BUF];
	int r = 0;

	if (node_is_null(v) || v->type != YAML_SEQUENCE_NODE)
		return schema_fail(w->c, node_line(v), path, "expected %s, got %s", schema_what(f),
				   node_is_null(v) ? "nothing" : node_type_name(v));
	for (const yaml_node_item_t *i = v->data.sequence.items.start;
	     i < v->data.sequence.items.top && r == 0; i++) {
		const yaml_node_t *item = node_get(w, *i);

		snprintf(item_path, sizeof(item_path), "%s[%td]", path, i - v->data.sequence.items.start);
		r = scalar_value(w, item, item_path, "a word");
		if (r == 0)
			r = schema_append(w->c, f, base, item_path, NULL, node_text(item), node_line(item));
	}
	return r < 0 ? r : schema_note(w->c, path, node_line(v));
}

/* env: {NAME: value, ...}; an empty value is allowed ("" quoted). */
static int walk_pairs(struct walk *w, const struct schema_field *f, void *base,
		      const yaml_node_t *v, const char *path)
{
	char key_path[PATH_BUF];
	int r = 0;

	if (node_is_null(v))
		return 0;
	if (v->type != YAML_MAPPING_NODE)
		return schema_fail(w->c, node_line(v), path, "expected %s, got %s", schema_what(f),
				   node_type_name(v));
	for (const yaml_node_pair_t *p = v->data.mapping.pairs.start;
	     p < v->data.mapping.pairs.top && r == 0; p++) {
		const yaml_node_t *val = node_get(w, p->value);

		r = map_key(w, v, p, path, key_path);
		if (r == 0 && (val->type != YAML_SCALAR_NODE ||
			       strlen(node_text(val)) != val->data.scalar.length))
			r = schema_fail(w->c, node_line(val), key_path, "expected text, got %s",
					node_type_name(val));
		if (r == 0)
			r = schema_append(w->c, f, base, key_path, node_text(node_get(w, p->key)),
					  node_is_null(val) ? "" : node_text(val), node_line(val));
	}
	return r < 0 ? r : schema_note(w->c, path, node_line(v));
}

/* params: {channel: wifi, distance: 30m} is the text "channel=wifi,distance=30m", which
 * the link kind checks (and a sweep path may name one key of). */
static int walk_params(struct walk *w, const struct schema_field *f, void *base,
		       const yaml_node_t *v, const char *path)
{
	char key_path[PATH_BUF], text[1024] = "";
	size_t n = 0;
	int r = 0;

	for (const yaml_node_pair_t *p = v->data.mapping.pairs.start;
	     p < v->data.mapping.pairs.top && r == 0; p++) {
		const yaml_node_t *val = node_get(w, p->value);
		const char *k = node_text(node_get(w, p->key)), *t;

		r = map_key(w, v, p, path, key_path);
		if (r < 0)
			break;
		r = scalar_value(w, val, key_path, "a value");
		if (r < 0)
			break;
		t = node_text(val);
		if (strpbrk(t, ",=") || !*t)
			return schema_fail(w->c, node_line(val), key_path, "'%s' is not a value "
					   "(no ',' or '=' in it)", t);
		if (n + strlen(k) + strlen(t) + 3 > sizeof(text))
			return schema_fail(w->c, node_line(val), key_path, "too many parameters");
		n += (size_t)snprintf(text + n, sizeof(text) - n, "%s%s=%s", n ? "," : "", k, t);
	}
	return r < 0 ? r : schema_set(w->c, f, base, path, text, node_line(v));
}

static int walk_value(struct walk *w, const struct schema_field *f, void *base,
		      const yaml_node_t *v, const char *path)
{
	const struct schema_section *sub = schema_sub(f);
	char sub_path[PATH_BUF];
	int r;

	switch (schema_kind(f)) {
	case SCHEMA_MAP:
		if (node_is_null(v))
			return 0;
		if (v->type == YAML_SCALAR_NODE && schema_shorthand(sub)) {
			/* transport: udp  is  transport: {protocol: udp} */
			path_join(w->c, sub_path, path, schema_shorthand(sub), node_line(v));
			return schema_set(w->c, schema_find(sub, schema_shorthand(sub)), base, sub_path,
					  node_text(v), node_line(v));
		}
		if (v->type != YAML_MAPPING_NODE)
			return schema_fail(w->c, node_line(v), path, "expected %s, got %s",
					   schema_what(f), node_type_name(v));
		r = schema_note(w->c, path, node_line(v));
		return r < 0 ? r : walk_map(w, sub, base, v, path);
	case SCHEMA_LIST:
		if (node_is_null(v))
			return schema_list_new(w->c, f, 0);
		if (v->type != YAML_SEQUENCE_NODE)
			return schema_fail(w->c, node_line(v), path, "expected %s, got %s",
					   schema_what(f), node_type_name(v));
		return walk_list(w, f, v, path);
	case SCHEMA_SWEEP:
		r = schema_note(w->c, path, node_line(v));
		return r < 0 ? r : walk_sweep(w, v, path);
	case SCHEMA_WORDS:
		return walk_words(w, f, base, v, path);
	case SCHEMA_PAIRS:
		return walk_pairs(w, f, base, v, path);
	case SCHEMA_SCALAR:
		if (v->type == YAML_MAPPING_NODE && schema_is_params(f))
			return walk_params(w, f, base, v, path);
		break;
	}
	r = scalar_value(w, v, path, schema_what(f));
	return r < 0 ? r : schema_set(w->c, f, base, path, node_text(v), node_line(v));
}

static int walk_map(struct walk *w, const struct schema_section *s, void *base,
		    const yaml_node_t *map, const char *prefix)
{
	char path[PATH_BUF], known[256];
	int r;

	for (const yaml_node_pair_t *p = map->data.mapping.pairs.start;
	     p < map->data.mapping.pairs.top; p++) {
		const yaml_node_t *k, *v = node_get(w, p->value);
		const struct schema_field *f;

		r = map_key(w, map, p, prefix, path);
		if (r < 0)
			return r;
		k = node_get(w, p->key);
		f = schema_find(s, node_text(k));
		if (f) {
			r = walk_value(w, f, base, v, path);
		} else if (schema_takes_impair(s)) {
			r = scalar_value(w, v, path, "an impairment value");
			if (r == 0)
				r = schema_set_impair(w->c, s, base, node_text(k), path, node_text(v),
						      node_line(v));
		} else {
			schema_known(s, known, sizeof(known));
			r = schema_fail(w->c, node_line(k), path, "unknown key in %s (known: %s)",
					schema_section_name(s), known);
		}
		if (r < 0)
			return r;
	}
	return 0;
}

/* Node index -> name, for messages. */
static void node_name(const struct scenario *sc, int n, char *buf, size_t len)
{
	snprintf(buf, len, "%s", topology_node(sc->topo, n)->name);
}

/* path "links[3].node" (printf-style) as a line number, for messages. */
static int line_of(const struct schema_ctx *c, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static int line_of(const struct schema_ctx *c, const char *fmt, ...)
{
	char path[PATH_BUF];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(path, sizeof(path), fmt, ap);
	va_end(ap);
	return schema_line_of(c, path);
}

static int node_check(struct schema_ctx *c, const char *node, const char *path, int line,
		      int *ret_first, int *ret_last)
{
	int r = scenario_node_range(c->sc, node, ret_first, ret_last);

	if (r == -ENOENT && (c->sc->topology.n_nodes || strncmp(node, "worker-", 7)))
		return schema_fail(c, line, path, "'%s' is not a node of the topology (client, "
				   "server, workers or a node's name)", node);
	if (r == -ENOENT)
		return schema_fail(c, line, path, "%s does not exist: topology.workers is %d", node,
				   c->sc->topology.workers);
	if (r < 0)
		return schema_fail(c, line, path, "'%s' is not a node", node);
	return 0;
}

/* The links an impairment (a links[] item or an impair event) names: node or link. */
static int impair_links(struct schema_ctx *c, const char *item, int line, const char *node,
			const char *link, int **ret, int *ret_n)
{
	struct scenario *sc = c->sc;
	int n_links = topology_link_count(sc->topo), bad = -1, n;
	char path[PATH_BUF];
	int *list;

	snprintf(path, sizeof(path), "%s.%s", item, *link ? "link" : "node");
	if (*link && *node)
		return schema_fail(c, line, item, "node or link, not both (link names one topology "
				   "link; node, the node's only link)");
	if (!*link && !*node)
		return schema_fail(c, line, item, "missing: whose link (node: client, server, "
				   "worker-K, workers or a node; or link: a topology link)");
	list = malloc(sizeof(int) * (size_t)(n_links + 1));
	if (!list)
		return schema_oom(c);
	n = scenario_links_of(sc, node, link, list, n_links + 1, &bad);
	if (n == -ENOENT && *link) {
		free(list);
		return schema_fail(c, schema_line_of(c, path), path, "no topology link '%s'%s", link,
				   sc->topology.n_nodes ? "" : " (the star's links are named after "
				   "their nodes)");
	}
	if (n == -EMLINK) {
		free(list);
		return schema_fail(c, schema_line_of(c, path), path, "%s has %d links: name one "
				   "with link: instead of node:", topology_node(sc->topo, bad)->name,
				   topology_node(sc->topo, bad)->n_links);
	}
	if (n < 0) {
		int first, last;

		free(list);
		return node_check(c, node, path, schema_line_of(c, path), &first, &last);
	}
	for (int j = 0; j < n; j++) {
		int sw = topology_link_switch_kind(sc->topo, list[j]), l = list[j];

		if (sw < 0)
			continue;
		free(list);
		return schema_fail(c, line, item, "link %s is a station of switch %s (kind %s): its "
				   "loss and delay come from the channel, not from netem (change the "
				   "switch's params, or a station's distance with a set event)",
				   topology_link(sc->topo, l)->name,
				   topology_switch_name(sc->topo, sw), topology_switch_kind(sc->topo, sw));
	}
	*ret = list;
	*ret_n = n;
	return 0;
}

/* A set event: a topology link by name, and each key=value of params one its kind can
 * change while it runs. */
static int validate_set(struct schema_ctx *c, size_t i, const char *path)
{
	const struct scenario_event *e = &c->sc->events[i];
	const struct topology *t = c->sc->topo;
	char buf[TOPO_PARAMS_MAX], msg[SCENARIO_ERR_MAX], *save = NULL, *item;
	const char *params;
	const struct link_kind *k;
	int l, sw, station = -1;

	if (*e->node || !*e->link)
		return schema_fail(c, e->line, path, "set takes link: a topology link (a station's "
				   "link on a switch of a kind, or a node-node link of a kind)");
	if (e->n_impair_keys || line_of(c, "timeline[%zu].direction", i) ||
	    line_of(c, "timeline[%zu].failure", i))
		return schema_fail(c, e->line, path, "set takes params, not impairment keys, "
				   "direction or failure");
	if (!*e->params)
		return schema_fail(c, e->line, path, "set needs params: what changes "
				   "({distance: 80m})");
	l = topology_link_index(t, e->link);
	if (l < 0)
		return schema_fail(c, line_of(c, "timeline[%zu].link", i), path,
				   "no topology link '%s'", e->link);
	sw = topology_link_switch_kind(t, l);
	if (sw >= 0) {
		k = switch_kind_find(topology_switch_kind(t, sw))->station;
		params = topology_switch_params(t, sw);
		station = topology_station(t, l);
	} else {
		k = link_kind_find(topology_link(t, l)->kind);
		params = topology_link(t, l)->params;
	}
	if (!k || !k->param_check)
		return schema_fail(c, line_of(c, "timeline[%zu].link", i), path, "link %s (kind "
				   "%s) has nothing that changes while it runs", e->link,
				   k ? k->name : "?");
	snprintf(buf, sizeof(buf), "%s", e->params);
	for (item = strtok_r(buf, ",", &save); item; item = strtok_r(NULL, ",", &save)) {
		char *eq = strchr(item, '=');

		if (!eq)
			return schema_fail(c, line_of(c, "timeline[%zu].params", i), path,
					   "params: '%s': key=value expected", item);
		*eq = '\0';
		if (k->param_check(params, station, item, eq + 1, msg, sizeof(msg)) < 0)
			return schema_fail(c, line_of(c, "timeline[%zu].params", i), path,
					   "params: link %s: %s", e->link, msg);
	}
	return 0;
}

static int validate_links(struct schema_ctx *c)
{
	struct scenario *sc = c->sc;
	int n_links = topology_link_count(sc->topo), *owner, r = 0;
	char path[PATH_BUF], msg[SCENARIO_ERR_MAX];

	owner = malloc(sizeof(*owner) * 2 * (size_t)n_links);
	if (!owner)
		return schema_oom(c);
	for (int i = 0; i < 2 * n_links; i++)
		owner[i] = -1;
	for (size_t i = 0; i < sc->n_links && r == 0; i++) {
		struct scenario_link *l = &sc->links[i];
		int *list = NULL, n = 0;

		l->line = line_of(c, "links[%zu]", i);
		snprintf(path, sizeof(path), "links[%zu]", i);
		if (!l->link[0] && scenario_joins_later(sc, l->node)) {
			/* a worker that joins later (add_worker, autoscaler) */
			if (impair_validate(&l->im, msg, sizeof(msg)) < 0)
				r = schema_fail(c, l->line, path, "%s", msg);
			continue;
		}
		if (!l->link[0] && !sc->topology.n_nodes && !strncmp(l->node, "worker-", 7) &&
		    atoi(l->node + 7) > sc->topology.workers) {
			snprintf(path, sizeof(path), "links[%zu].node", i);
			r = schema_fail(c, schema_line_of(c, path), path,
					"%s does not exist: topology.workers is %d and at most %d "
					"workers join", l->node, sc->topology.workers,
					scenario_max_workers(sc) - sc->topology.workers);
			break;
		}
		r = impair_links(c, path, l->line, l->node, l->link, &list, &n);
		if (r < 0)
			break;
		if (impair_validate(&l->im, msg, sizeof(msg)) < 0) {
			free(list);
			r = schema_fail(c, l->line, path, "%s", msg);
			break;
		}
		for (int j = 0; j < n && r == 0; j++)
			for (int d = 0; d < 2 && r == 0; d++) {
				int k = list[j];

				if (!(l->dirs & (1 << d)))
					continue;
				if (owner[2 * k + d] >= 0)
					r = schema_fail(c, l->line, path, "%s %s is already impaired "
							"by links[%d] (one entry per link and direction)",
							topology_link(sc->topo, k)->name, d ? "down" : "up",
							owner[2 * k + d]);
				owner[2 * k + d] = (int)i;
			}
		free(list);
	}
	free(owner);
	return r;
}

/* [A-Za-z0-9_-] (and '.' where dot is set, not first), 1 to max - 1 bytes. */
static int word_ok(const char *s, size_t max, int dot)
{
	size_t n = strlen(s);

	if (!n || n >= max || s[0] == '.')
		return 0;
	for (; *s; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
		      (*s >= '0' && *s <= '9') || *s == '_' || *s == '-' || (dot && *s == '.')))
			return 0;
	return 1;
}

/* Every "{addr:NODE}" in text names one node of the testbed. */
static int placeholders_check(struct schema_ctx *c, const char *text, const char *path, int line)
{
	for (const char *p = strstr(text, "{addr:"); p; p = strstr(p + 1, "{addr:")) {
		const char *end = strchr(p, '}');
		char node[SCENARIO_NODE_MAX];
		int first, last;

		if (!end || (size_t)(end - p - 6) >= sizeof(node))
			return schema_fail(c, line, path, "'{addr:' without a node name and '}'");
		memcpy(node, p + 6, (size_t)(end - p - 6));
		node[end - p - 6] = '\0';
		if (!strcmp(node, SCENARIO_ALL_WORKERS) ||
		    node_check(c, node, path, line, &first, &last) < 0)
			return schema_fail(c, line, path, "{addr:%s}: not a node of the testbed "
					   "(client, server, worker-K up to topology.workers)", node);
	}
	return 0;
}

/* argv[0]: a path with a '/' relative to the scenario's directory, else found in PATH now,
 * so that a typo fails at load and not in the middle of a run. */
static int program_resolve(struct schema_ctx *c, struct scenario_run *run, const char *path,
			   int line)
{
	const char *prog = run->argv[0], *dirs = getenv("PATH");
	char *abs = NULL, *copy, *save = NULL;

	if (!*prog)
		return schema_fail(c, line, path, "empty program name");
	if (strchr(prog, '/')) {
		if (prog[0] != '/' && c->dir && asprintf(&abs, "%s/%s", c->dir, prog) < 0)
			return schema_oom(c);
		if (access(abs ? abs : prog, X_OK) < 0) {
			schema_fail(c, line, path, "%s: %s", abs ? abs : prog, strerror(errno));
			free(abs);
			return -EINVAL;
		}
		/* absolute: the command runs in the trial directory */
		char *real = realpath(abs ? abs : prog, NULL);

		free(abs);
		if (!real)
			return schema_oom(c);
		free(run->argv[0]);
		run->argv[0] = real;
		return 0;
	}
	copy = strdup(dirs ? dirs : "/usr/local/bin:/usr/bin:/bin");
	if (!copy)
		return schema_oom(c);
	for (char *d = strtok_r(copy, ":", &save); d; d = strtok_r(NULL, ":", &save)) {
		if (asprintf(&abs, "%s/%s", d, prog) < 0) {
			free(copy);
			return schema_oom(c);
		}
		int ok = access(abs, X_OK) == 0;

		free(abs);
		if (ok) {
			free(copy);
			return 0;
		}
	}
	free(copy);
	return schema_fail(c, line, path, "%s: no such program in PATH", prog);
}

static int validate_run(struct schema_ctx *c, size_t i)
{
	struct scenario_run *run = &c->sc->runs[i];
	char path[PATH_BUF];
	int first, last, r, line;

	run->line = line_of(c, "run[%zu]", i);
	snprintf(path, sizeof(path), "run[%zu].node", i);
	if (!(line = schema_line_of(c, path)))
		return schema_fail(c, run->line, path, "missing: the node the command runs in");
	if (!strcmp(run->node, SCENARIO_ALL_WORKERS))
		return schema_fail(c, line, path, "'workers' is several nodes: give one "
				   "(client, server, worker-K)");
	if ((r = node_check(c, run->node, path, line, &first, &last)) < 0)
		return r;
	snprintf(path, sizeof(path), "run[%zu].argv", i);
	if (!run->argc)
		return schema_fail(c, schema_line_of(c, path) ? schema_line_of(c, path) : run->line,
				   path, "%s: the program and its arguments, e.g. [iperf3, -s]",
				   schema_line_of(c, path) ? "empty" : "missing");
	if ((r = program_resolve(c, run, path, line_of(c, "run[%zu].argv[0]", i))) < 0)
		return r;
	for (size_t a = 0; a < run->argc; a++)
		if ((r = placeholders_check(c, run->argv[a], path, line_of(c, "run[%zu].argv[%zu]", i, a))) < 0)
			return r;
	snprintf(path, sizeof(path), "run[%zu].env", i);
	for (size_t e = 0; e < run->n_env; e++)
		if ((r = placeholders_check(c, run->env[e], path, schema_line_of(c, path))) < 0)
			return r;
	snprintf(path, sizeof(path), "run[%zu].name", i);
	if (!run->name[0])
		snprintf(run->name, sizeof(run->name), "run-%zu", i);
	else if (!word_ok(run->name, sizeof(run->name), 0))
		return schema_fail(c, schema_line_of(c, path), path, "'%s' is not [A-Za-z0-9_-], "
				   "1..%d bytes (it names the log and metrics files)", run->name,
				   SCENARIO_RUN_NAME_MAX - 1);
	for (size_t j = 0; j < i; j++)
		if (!strcmp(c->sc->runs[j].name, run->name))
			return schema_fail(c, schema_line_of(c, path) ? schema_line_of(c, path) : run->line,
					   path, "'%s' is also run[%zu]'s name", run->name, j);
	snprintf(path, sizeof(path), "run[%zu].metrics", i);
	line = schema_line_of(c, path);
	if (run->metrics.fd && run->metrics.file)
		return schema_fail(c, line, path, "fd and file exclude each other");
	if (line && !run->metrics.fd && !run->metrics.file)
		return schema_fail(c, line, path, "where metric lines come from: fd (3..255) or "
				   "file (a name in the trial directory)");
	if (run->metrics.file && !word_ok(run->metrics.file, 128, 1))
		return schema_fail(c, line_of(c, "run[%zu].metrics.file", i), "run.metrics.file",
				   "'%s' is not a file name in the trial directory ([A-Za-z0-9_.-], "
				   "not starting with '.')", run->metrics.file);
	if (run->metrics.prefix && !word_ok(run->metrics.prefix, 32, 0))
		return schema_fail(c, line_of(c, "run[%zu].metrics.prefix", i), "run.metrics.prefix",
				   "'%s' is not [A-Za-z0-9_-], 1..31 bytes", run->metrics.prefix);
	return 0;
}

static int validate_runs(struct schema_ctx *c)
{
	struct scenario *sc = c->sc;
	int r, waits = 0;

	for (size_t i = 0; i < sc->n_runs; i++) {
		if ((r = validate_run(c, i)) < 0)
			return r;
		waits += sc->runs[i].wait;
	}
	if (sc->pipeline)
		return 0;
	if (!waits)
		return schema_fail(c, schema_line_of(c, "pipeline"), "pipeline", "false needs a run: "
				   "command with wait: true (its end is the trial's end)");
	if (sc->autoscaler.max)
		return schema_fail(c, schema_line_of(c, "autoscaler"), "autoscaler",
				   "needs the pipeline (it starts qoslab workers)");
	for (size_t i = 0; i < sc->n_events; i++)
		if (sc->events[i].action == SCENARIO_ADD_WORKER)
			return schema_fail(c, line_of(c, "timeline[%zu].action", i), "timeline",
					   "add_worker needs the pipeline (it starts a qoslab worker)");
	return 0;
}

/* add_worker names the pool ("workers"): its node is worker-(N+1) for the first, and so on
 * in time order. remove_worker names one worker that exists by then: one of the topology's,
 * or one an earlier add_worker made. */
static int validate_join_leave(struct schema_ctx *c, size_t i, const char *path)
{
	struct scenario_event *e = &c->sc->events[i];
	int line = line_of(c, "timeline[%zu].node", i), adds = 0, k;
	char *end = NULL;

	if (e->n_impair_keys || line_of(c, "timeline[%zu].direction", i) ||
	    line_of(c, "timeline[%zu].failure", i))
		return schema_fail(c, e->line, path, "impairment keys, direction and failure do not "
				   "belong to %s events", scenario_action_name(e->action));
	if (e->action == SCENARIO_ADD_WORKER) {
		if (strcmp(e->node, SCENARIO_ALL_WORKERS))
			return schema_fail(c, line, path, "add_worker takes node: workers (the new "
					   "node is named worker-N after the last one)");
		return 0;
	}
	for (size_t j = 0; j < c->sc->n_events; j++)
		adds += c->sc->events[j].action == SCENARIO_ADD_WORKER &&
			c->sc->events[j].at_s <= e->at_s;
	k = strncmp(e->node, "worker-", 7) ? 0 : (int)strtol(e->node + 7, &end, 10);
	if (k < 1 || *end || k > c->sc->topology.workers + adds)
		return schema_fail(c, line, path, "remove_worker takes one worker-K that exists at "
				   "%g s (%d from topology.workers, %d added by then)", e->at_s,
				   c->sc->topology.workers, adds);
	return 0;
}

/* One event's own rules, before the timeline's order is looked at. */
static int validate_event(struct schema_ctx *c, size_t i)
{
	struct scenario_event *e = &c->sc->events[i];
	static const char *const required[] = { "at", "action" };
	char path[PATH_BUF], msg[SCENARIO_ERR_MAX];
	int first, last;

	e->line = line_of(c, "timeline[%zu]", i);
	snprintf(path, sizeof(path), "timeline[%zu]", i);
	for (size_t k = 0; k < 2; k++)
		if (!line_of(c, "timeline[%zu].%s", i, required[k]))
			return schema_fail(c, e->line, path, "missing %s (every event has at, "
					   "action and node)", required[k]);
	if (e->action != SCENARIO_SET && *e->params)
		return schema_fail(c, line_of(c, "timeline[%zu].params", i), path, "params belong "
				   "to set events");
	if (e->action == SCENARIO_SET)
		return validate_set(c, i, path);
	if (e->action == SCENARIO_IMPAIR) {
		int *list = NULL, n = 0;

		if (line_of(c, "timeline[%zu].failure", i))
			return schema_fail(c, e->line, path, "failure belongs to fail and recover "
					   "events, not impair");
		if (impair_links(c, path, e->line, e->node, e->link, &list, &n) < 0)
			return -EINVAL;
		free(list);
		if (impair_validate(&e->im, msg, sizeof(msg)) < 0)
			return schema_fail(c, e->line, path, "%s", msg);
		return 0;
	}
	if (*e->link)
		return schema_fail(c, line_of(c, "timeline[%zu].link", i), path, "link belongs to "
				   "impair events; %s takes node", scenario_action_name(e->action));
	if (!*e->node)
		return schema_fail(c, e->line, path, "missing node (every event has at, action and "
				   "node)");
	if (e->action != SCENARIO_ADD_WORKER && line_of(c, "timeline[%zu].provisioning", i))
		return schema_fail(c, e->line, path, "provisioning belongs to add_worker events");
	if (e->action != SCENARIO_REMOVE_WORKER && line_of(c, "timeline[%zu].drain", i))
		return schema_fail(c, e->line, path, "drain belongs to remove_worker events");
	if (e->action == SCENARIO_ADD_WORKER || e->action == SCENARIO_REMOVE_WORKER)
		return validate_join_leave(c, i, path);
	if (node_check(c, e->node, path, line_of(c, "timeline[%zu].node", i), &first, &last) < 0)
		return -EINVAL;
	if (e->n_impair_keys || line_of(c, "timeline[%zu].direction", i))
		return schema_fail(c, e->line, path, "impairment keys and direction belong to impair "
				   "events, not %s", scenario_action_name(e->action));
	return 0;
}

struct event_key {
	double at_s;
	size_t index;
};

/* Time order; file order among equal times. */
static int event_cmp(const void *a, const void *b)
{
	const struct event_key *x = a, *y = b;

	if (x->at_s != y->at_s)
		return x->at_s < y->at_s ? -1 : 1;
	return x->index < y->index ? -1 : x->index > y->index;
}

/* Fail and recover in time order: a node fails while up, recovers while failed. */
static int replay_failures(struct schema_ctx *c, const struct event_key *order, int *kinds)
{
	struct scenario *sc = c->sc;
	char path[PATH_BUF], name[SCENARIO_NODE_MAX];

	for (size_t k = 0; k < sc->n_events; k++) {
		size_t i = order[k].index;
		struct scenario_event *e = &sc->events[i];
		int first, last, given = line_of(c, "timeline[%zu].failure", i) != 0;

		if (e->action == SCENARIO_IMPAIR || e->action == SCENARIO_ADD_WORKER ||
		    e->action == SCENARIO_REMOVE_WORKER || e->action == SCENARIO_SET)
			continue;
		scenario_node_range(sc, e->node, &first, &last);
		snprintf(path, sizeof(path), "timeline[%zu]", i);
		for (int n = first; n <= last; n++) {
			node_name(sc, n, name, sizeof(name));
			if (e->action == SCENARIO_FAIL && kinds[n] >= 0)
				return schema_fail(c, e->line, path, "%s is already failed at %g s "
						   "(recover it first)", name, e->at_s);
			if (e->action == SCENARIO_RECOVER && kinds[n] < 0)
				return schema_fail(c, e->line, path, "%s is not failed at %g s (a "
						   "recover follows a fail of the same node)", name, e->at_s);
			if (e->action == SCENARIO_RECOVER && given && kinds[n] != (int)e->failure)
				return schema_fail(c, e->line, path, "%s failed with %s, not %s", name,
						   failure_name((enum failure_kind)kinds[n]),
						   failure_name(e->failure));
			if (e->action == SCENARIO_RECOVER && kinds[n] != kinds[first])
				return schema_fail(c, e->line, path, "%s nodes failed in different "
						   "ways; recover them one by one", e->node);
		}
		for (int n = first; n <= last; n++) {
			if (e->action == SCENARIO_RECOVER)
				e->failure = (enum failure_kind)kinds[n];
			kinds[n] = e->action == SCENARIO_FAIL ? (int)e->failure : -1;
		}
	}
	return 0;
}

static int validate_timeline(struct schema_ctx *c)
{
	struct scenario *sc = c->sc;
	struct scenario_event *sorted = NULL;
	struct event_key *order = NULL;
	int *kinds = NULL, r = 0;

	for (size_t i = 0; i < sc->n_events; i++) {
		r = validate_event(c, i);
		if (r < 0)
			return r;
	}
	if (!sc->n_events)
		return 0;
	order = malloc(sc->n_events * sizeof(*order));
	sorted = malloc(sc->n_events * sizeof(*sorted));
	kinds = malloc((size_t)topology_node_count(sc->topo) * sizeof(*kinds));
	if (!order || !sorted || !kinds) {
		r = schema_oom(c);
		goto out;
	}
	for (size_t i = 0; i < sc->n_events; i++)
		order[i] = (struct event_key){ sc->events[i].at_s, i };
	for (int n = 0; n < topology_node_count(sc->topo); n++)
		kinds[n] = -1;
	qsort(order, sc->n_events, sizeof(*order), event_cmp);
	r = replay_failures(c, order, kinds);
	if (r < 0)
		goto out;
	for (size_t k = 0; k < sc->n_events; k++)
		sorted[k] = sc->events[order[k].index];
	free(sc->events);
	sc->events = sorted;
	sorted = NULL;
out:
	free(order);
	free(sorted);
	free(kinds);
	return r;
}

static int validate_failures(struct schema_ctx *c)
{
	const char *node = c->sc->random_failures.node;
	int line = schema_line_of(c, "random_failures.node"), first, last;

	if (!line)
		line = schema_line_of(c, "random_failures");
	if (!strcmp(node, "client") || !strcmp(node, "server"))
		return schema_fail(c, line, "random_failures.node", "only workers fail at random "
				   "(workers or worker-K); fail the %s in the timeline", node);
	return node_check(c, node, "random_failures.node", line, &first, &last);
}

static int valid_factor_name(const char *s)
{
	size_t n = strlen(s);

	if (!n || n > 64 || !strcmp(s, "rep"))
		return 0;
	for (; *s; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
		      (*s >= '0' && *s <= '9') || *s == '_' || *s == '-'))
			return 0;
	return 1;
}

/* Levels, names and the point count of the sweep. */
static int prepare_sweep(struct schema_ctx *c)
{
	struct scenario *sc = c->sc;
	char label[PATH_BUF];
	size_t points = 1;
	int r;

	sc->factor_names = calloc(sc->n_factors ? sc->n_factors : 1, sizeof(*sc->factor_names));
	if (!sc->factor_names)
		return schema_oom(c);
	for (size_t i = 0; i < sc->n_factors; i++) {
		struct scenario_factor *f = &sc->factors[i];
		const char *name = NULL;

		/* before the levels, whose duplicate check is quadratic in the values */
		if (points > SCENARIO_POINTS_MAX / f->n_values)
			return schema_fail(c, f->line, "sweep", "more than %d points", SCENARIO_POINTS_MAX);
		points *= f->n_values;
		snprintf(label, sizeof(label), "sweep[%zu].key", i);
		for (size_t j = 0; j < i; j++)
			if (!strcmp(sc->factors[j].key, f->key))
				return schema_fail(c, f->line, label, "%s is already swept by sweep[%zu]",
						   f->key, j);
		f->levels = calloc(f->n_values, sizeof(*f->levels));
		if (!f->levels)
			return schema_oom(c);
		for (size_t v = 0; v < f->n_values; v++) {
			r = schema_level(c, label, f->key, f->line, f->values[v], &f->levels[v], &name);
			if (r < 0)
				return r;
			for (size_t u = 0; u < v; u++)
				if (!strcmp(f->levels[u], f->levels[v]))
					return schema_fail(c, f->value_lines[v], f->key, "value '%s' is "
							   "given twice (as '%s' on line %d)", f->values[v],
							   f->values[u], f->value_lines[u]);
		}
		snprintf(label, sizeof(label), "sweep[%zu].name", i);
		if (!f->name && !(f->name = strdup(name)))
			return schema_oom(c);
		if (!valid_factor_name(f->name))
			return schema_fail(c, schema_line_of(c, label) ? schema_line_of(c, label) : f->line,
					   label, "'%s' is not a factor name ([A-Za-z0-9_-], at most "
					   "64 bytes, not 'rep')", f->name);
		for (size_t j = 0; j < i; j++)
			if (!strcmp(sc->factors[j].name, f->name))
				return schema_fail(c, f->line, label, "factor name '%s' is taken by "
						   "sweep[%zu]; give this factor a name: NAME", f->name, j);
		sc->factor_names[i] = f->name;
	}
	sc->n_points = points;
	return 0;
}

/* "A.B.0.0/16", as emu/testbed.c takes it. */
static int subnet_ok(const char *subnet)
{
	char buf[32], *slash;
	struct in_addr a;

	snprintf(buf, sizeof(buf), "%s", subnet);
	slash = strchr(buf, '/');
	if (!slash || strcmp(slash, "/16"))
		return 0;
	*slash = '\0';
	return inet_pton(AF_INET, buf, &a) == 1 && !(ntohl(a.s_addr) & 0xffff);
}

/* The graph form: nodes, switches and links as written, planned. */
static int build_graph(struct schema_ctx *c, struct topology *t)
{
	struct scenario *sc = c->sc;
	const double by_role[] = { 0, sc->topology.cpu_client, sc->topology.cpu_server,
				   sc->topology.cpu_worker, 0 };
	struct topo_error e;
	char path[PATH_BUF];
	int r = 0;

	if (schema_line_of(c, "topology.workers"))
		return schema_fail(c, schema_line_of(c, "topology.workers"), "topology.workers",
				   "belongs to the star; in a graph the workers are the nodes with "
				   "role: worker");
	for (size_t i = 0; i < sc->topology.n_nodes; i++)
		if (!line_of(c, "topology.nodes[%zu].name", i)) {
			snprintf(path, sizeof(path), "topology.nodes[%zu]", i);
			return schema_fail(c, line_of(c, "topology.nodes[%zu]", i), path,
					   "missing name");
		}
	for (size_t i = 0; i < sc->topology.n_links; i++)
		for (int e = 0; e < 2; e++)
			if (!line_of(c, "topology.links[%zu].%s", i, e ? "b" : "a")) {
				snprintf(path, sizeof(path), "topology.links[%zu]", i);
				return schema_fail(c, line_of(c, "topology.links[%zu]", i), path,
						   "missing %s (a link joins a to b: a node and a "
						   "switch, or two nodes)", e ? "b" : "a");
			}
	for (size_t i = 0; i < sc->topology.n_switches && !r; i++) {
		const struct scenario_tswitch *w = &sc->topology.switches[i];

		if (!*w->kind && *w->params)
			return schema_fail(c, line_of(c, "topology.switches[%zu].params", i),
					   "topology.switches", "%s: params belong to a switch of a "
					   "kind (kind: ns3); a bridge takes none", w->name);
		r = topology_add_switch(t, w->name);
		if (!r && *w->kind)
			r = topology_set_switch_kind(t, (int)i, w->kind, w->params);
	}
	for (size_t i = 0; i < sc->topology.n_nodes && !r; i++) {
		const struct scenario_tnode *n = &sc->topology.nodes[i];

		r = topology_add_node(t, n->name, (enum topo_role)n->role,
				      n->cpu >= 0 ? n->cpu : by_role[n->role]);
	}
	for (size_t i = 0; i < sc->topology.n_links && !r; i++) {
		const struct scenario_tlink *l = &sc->topology.links[i];

		r = topology_add_link(t, l->name, l->a, l->b, l->kind);
		if (!r)
			r = topology_set_link_params(t, topology_link_count(t) - 1, l->params);
	}
	if (r < 0)
		return schema_oom(c);
	r = topology_plan(t, &e);
	if (r == -ENOMEM)
		return schema_oom(c);
	if (r < 0) {
		if (e.what && strcmp(e.what, "subnet"))
			snprintf(path, sizeof(path), "topology.%s[%d]", e.what, e.index);
		else
			snprintf(path, sizeof(path), "topology%s", e.what ? ".subnet" : "");
		return schema_fail(c, schema_line_of(c, path) ? schema_line_of(c, path) :
				   schema_line_of(c, "topology"), path, "%s", e.msg);
	}
	for (size_t i = 0; i < sc->topology.n_nodes; i++) {
		const struct scenario_tnode *n = &sc->topology.nodes[i];

		if (n->cpu > 0 && n->cpu < 0.01)
			return schema_fail(c, line_of(c, "topology.nodes[%zu].cpu", i),
					   "topology.nodes", "%s: %g CPUs: a limit is 0 (none) or at "
					   "least 0.01", n->name, n->cpu);
	}
	sc->topology.workers = topology_count_role(t, ROLE_WORKER);
	return 0;
}

/* sc->topo from the star's keys or from the graph. */
static int build_topology(struct schema_ctx *c)
{
	struct scenario *sc = c->sc;
	struct topology *t = NULL;
	char err[SCENARIO_ERR_MAX];
	int r;

	topology_free(sc->topo);
	sc->topo = NULL;
	if (!sc->topology.n_nodes && !sc->topology.n_switches && !sc->topology.n_links) {
		r = topology_star((unsigned int)sc->topology.workers, sc->topology.cpu_client,
				  sc->topology.cpu_server, sc->topology.cpu_worker, sc->topology.subnet,
				  &sc->topo, err, sizeof(err));
		if (r == -ENOMEM)
			return schema_oom(c);
		return r < 0 ? schema_fail(c, schema_line_of(c, "topology"), "topology", "%s", err) : 0;
	}
	if (topology_new(sc->topology.subnet, &t) < 0)
		return schema_oom(c);
	r = build_graph(c, t);
	if (r < 0) {
		topology_free(t);
		return r;
	}
	sc->topo = t;
	return 0;
}

/* Workers that join go on the last worker's switch (topology_add_worker). */
static int validate_joins(struct schema_ctx *c)
{
	struct scenario *sc = c->sc;
	int joins = sc->autoscaler.max > 0, last = 1 + sc->topology.workers;
	const struct topo_node *nd = topology_node(sc->topo, last);

	for (size_t i = 0; i < sc->n_events; i++)
		joins |= sc->events[i].action == SCENARIO_ADD_WORKER;
	if (!joins || (nd->n_links == 1 && topology_link(sc->topo, nd->links[0])->end[1].sw >= 0))
		return 0;
	return schema_fail(c, schema_line_of(c, "topology"), "topology", "workers that join go on "
			   "the last worker's switch, but %s is not on exactly one switch", nd->name);
}

static int set_default(struct schema_ctx *c, const char *path)
{
	if (schema_line_of(c, path))
		return 0;
	return schema_set_path(c, path, path, 1, "default", 1);
}

static int validate(struct schema_ctx *c)
{
	struct scenario *sc = c->sc;
	int r;

	/* without the pipeline nothing loads a model or reads a dataset: a machine without
	 * them runs such a scenario too */
	r = sc->pipeline ? set_default(c, "model") : 0;
	if (r == 0 && sc->pipeline)
		r = set_default(c, "workload.dataset");
	if (r < 0)
		return r;
	if (!sc->description && !(sc->description = strdup("")))
		return schema_oom(c);
	if (sc->warmup_jobs >= sc->workload.count)
		return schema_fail(c, schema_line_of(c, "warmup"), "warmup", "%d jobs left out of "
				   "%d (workload.count) leaves nothing to measure", sc->warmup_jobs,
				   sc->workload.count);
	static const char *const cpus[] = { "client", "server", "worker" };
	const double cpu[] = { sc->topology.cpu_client, sc->topology.cpu_server,
			       sc->topology.cpu_worker };
	for (int i = 0; i < 3; i++)
		if (cpu[i] > 0 && cpu[i] < 0.01)
			return schema_fail(c, line_of(c, "topology.cpu.%s", cpus[i]), "topology.cpu",
					   "%s: %g CPUs: a limit is 0 (none) or at least 0.01",
					   cpus[i], cpu[i]);
	if (!subnet_ok(sc->topology.subnet))
		return schema_fail(c, schema_line_of(c, "topology.subnet"), "topology.subnet",
				   "'%s' is not an IPv4 /16 such as 10.77.0.0/16", sc->topology.subnet);
	r = build_topology(c);
	if (r < 0)
		return r;
	if (sc->workload.mode == SCENARIO_OPEN && sc->workload.rate_per_s <= 0)
		return schema_fail(c, schema_line_of(c, "workload.mode"), "workload.rate",
				   "mode open needs a rate (jobs/s)");
	if (sc->preprocess_at == SCENARIO_AT_EDGE && sc->transport.protocol == SCENARIO_UDP)
		return schema_fail(c, schema_line_of(c, "preprocess.at"), "preprocess.at",
				   "edge: the edge takes images over HTTP; UDP transfers go to the "
				   "server itself (transport: tcp, or preprocess.at: worker)");
	/* the client talks to the edge node's qoslab edge, which relays HTTP only */
	if (topology_count_role(sc->topo, ROLE_EDGE) && sc->transport.protocol == SCENARIO_UDP)
		return schema_fail(c, schema_line_of(c, "transport"), "transport",
				   "udp: the client sends through the edge node, which takes images "
				   "over HTTP only");
	if (sc->autoscaler.max && (sc->autoscaler.max < sc->autoscaler.min ||
				   sc->autoscaler.max < sc->topology.workers ||
				   sc->autoscaler.min > sc->topology.workers))
		return schema_fail(c, schema_line_of(c, "autoscaler"), "autoscaler",
				   "needs min <= topology.workers (%d, the start) <= max", sc->topology.workers);
	if (sc->autoscaler.max && sc->autoscaler.scale_in_queue >= sc->autoscaler.scale_out_queue)
		return schema_fail(c, schema_line_of(c, "autoscaler"), "autoscaler",
				   "scale_in_queue must be below scale_out_queue");
	r = validate_links(c);
	if (r == 0)
		r = validate_runs(c);
	if (r == 0)
		r = validate_timeline(c);
	if (r == 0)
		r = validate_failures(c);
	if (r == 0)
		r = validate_joins(c);
	return r;
}

int scenario_name_valid(const char *s)
{
	size_t n = strlen(s);

	if (!n || n > SCENARIO_NAME_MAX || s[0] == '.')
		return 0;
	for (; *s; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
		      (*s >= '0' && *s <= '9') || *s == '_' || *s == '-' || *s == '.'))
			return 0;
	return 1;
}

/* "dir/name.yaml" -> "name". */
static int default_name(struct scenario *sc)
{
	const char *base = strrchr(sc->path, '/');
	const char *dot;

	base = base ? base + 1 : sc->path;
	dot = strrchr(base, '.');
	sc->name = strndup(base, dot && dot != base ? (size_t)(dot - base) : strlen(base));
	return sc->name ? 0 : -ENOMEM;
}

static int yaml_fail(struct schema_ctx *c, const yaml_parser_t *p)
{
	const char *problem = p->problem ? p->problem : "cannot parse";

	if (p->error == YAML_MEMORY_ERROR)
		return schema_oom(c);
	if (p->context)
		return schema_fail(c, (int)p->problem_mark.line + 1, "syntax", "%s %s (line %d)",
				   problem, p->context, (int)p->context_mark.line + 1);
	return schema_fail(c, (int)p->problem_mark.line + 1, "syntax", "%s", problem);
}

/* The line of an event, 1-based. */
static int event_line(const yaml_event_t *e)
{
	return (int)e->start_mark.line + 1;
}

/*
 * The file's shape from libyaml's event parser, before a document is built: the loader's
 * cost grows faster than the file with nesting depth (a 400 KB file of '[' took 214 s) and
 * with anchors and aliases (each alias is a linear search of the anchors: 50k pairs took
 * 12 s), while a scenario needs four levels and no anchors at all. The event parser keeps
 * only a stack, so refusing here costs one linear pass.
 */
static int yaml_precheck(struct schema_ctx *c, const char *text)
{
	yaml_parser_t parser;
	yaml_event_t e;
	int depth = 0, anchors = 0, r = 0, done = 0;

	if (!yaml_parser_initialize(&parser))
		return schema_oom(c);
	yaml_parser_set_input_string(&parser, (const unsigned char *)text, strlen(text));
	while (!done && r == 0) {
		const yaml_char_t *anchor = NULL;

		if (!yaml_parser_parse(&parser, &e)) {
			r = yaml_fail(c, &parser);
			break;
		}
		switch (e.type) {
		case YAML_SEQUENCE_START_EVENT:
		case YAML_MAPPING_START_EVENT:
			anchor = e.type == YAML_SEQUENCE_START_EVENT ? e.data.sequence_start.anchor :
				 e.data.mapping_start.anchor;
			if (++depth > SCENARIO_DEPTH_MAX)
				r = schema_fail(c, event_line(&e), "syntax", "nested deeper than %d "
						"levels (a scenario needs 4)", SCENARIO_DEPTH_MAX);
			break;
		case YAML_SEQUENCE_END_EVENT:
		case YAML_MAPPING_END_EVENT:
			depth--;
			break;
		case YAML_SCALAR_EVENT:
			anchor = e.data.scalar.anchor;
			break;
		case YAML_ALIAS_EVENT:
			anchor = e.data.alias.anchor;
			break;
		case YAML_STREAM_END_EVENT:
			done = 1;
			break;
		default:
			break;
		}
		if (anchor && ++anchors > SCENARIO_ANCHORS_MAX)
			r = schema_fail(c, event_line(&e), "syntax", "more than %d anchors and aliases "
					"(&name, *name)", SCENARIO_ANCHORS_MAX);
		yaml_event_delete(&e);
	}
	yaml_parser_delete(&parser);
	return r;
}

/* Walks the document, applies the overrides, validates. */
static int read_document(struct schema_ctx *c, const struct override *ov, size_t n_ov)
{
	struct scenario *sc = c->sc;
	yaml_document_t doc, extra;
	yaml_parser_t parser;
	yaml_node_t *root;
	int r, have_doc = 0, have_extra = 0;

	r = yaml_precheck(c, sc->text);
	if (r < 0)
		return r;
	if (!yaml_parser_initialize(&parser))
		return schema_oom(c);
	yaml_parser_set_input_string(&parser, (const unsigned char *)sc->text, strlen(sc->text));
	if (!yaml_parser_load(&parser, &doc)) {
		r = yaml_fail(c, &parser);
		goto out;
	}
	have_doc = 1;
	root = yaml_document_get_root_node(&doc);
	if (!root) {
		r = schema_fail(c, 1, "scenario", "the file is empty: expected sections such as "
				"topology:, links:, workload:, sweep:");
		goto out;
	}
	if (root->type != YAML_MAPPING_NODE) {
		r = schema_fail(c, node_line(root), "scenario", "expected a mapping of sections "
				"(topology:, workload:, ...), got %s", node_type_name(root));
		goto out;
	}
	if (!yaml_parser_load(&parser, &extra)) {
		r = yaml_fail(c, &parser);
		goto out;
	}
	have_extra = 1;
	if (yaml_document_get_root_node(&extra)) {
		r = schema_fail(c, (int)extra.start_mark.line + 1, "scenario", "a second YAML "
				"document ('---'): a scenario file holds one");
		goto out;
	}
	r = walk_map(&(struct walk){ c, &doc }, schema_root(), sc, root, "");
	for (size_t i = 0; i < n_ov && r == 0; i++)
		r = schema_set_path(c, ov[i].label, ov[i].key, ov[i].key_line, ov[i].value,
				    ov[i].value_line);
	if (r == 0)
		r = validate(c);
	/* a sweep point's scenario needs no levels (the trials take them from the loaded
	 * one), and computing them for every point made a load cubic in the values */
	if (r == 0 && !n_ov)
		r = prepare_sweep(c);
out:
	if (have_extra)
		yaml_document_delete(&extra);
	if (have_doc)
		yaml_document_delete(&doc);
	yaml_parser_delete(&parser);
	return r;
}

/* A scenario from text (the content of path) with the overrides applied. */
static int parse(const char *path, const char *text, const struct override *ov, size_t n_ov,
		 struct scenario **ret, char *err, size_t errlen)
{
	struct schema_ctx c = { .file = path, .err = err, .errlen = errlen };
	struct scenario *sc;
	char *dir = NULL;
	const char *slash = strrchr(path, '/');
	int r;

	sc = calloc(1, sizeof(*sc));
	if (!sc) {
		snprintf(err, errlen, "%s: out of memory", path);
		return -ENOMEM;
	}
	c.sc = sc;
	schema_defaults(sc);
	sc->path = strdup(path);
	sc->text = strdup(text);
	dir = slash ? strndup(path, slash == path ? 1 : (size_t)(slash - path)) : strdup(".");
	if (!sc->path || !sc->text || !dir || default_name(sc) < 0) {
		r = schema_oom(&c);
		goto out;
	}
	c.dir = dir;
	r = read_document(&c, ov, n_ov);
	if (r < 0)
		goto out;
	if (!scenario_name_valid(sc->name)) {
		int line = schema_line_of(&c, "name");

		/* the name becomes results/NAME-STAMP: nothing in it may leave results/ */
		r = schema_fail(&c, line ? line : 1, "name", "'%.80s'%s is not a scenario name "
				"([A-Za-z0-9_.-], 1 to %d bytes, not starting with '.')%s", sc->name,
				strlen(sc->name) > 80 ? "..." : "", SCENARIO_NAME_MAX,
				line ? "" : "; the default is the file name: give the scenario a name:");
		goto out;
	}
	*ret = sc;
	sc = NULL;
out:
	schema_ctx_clear(&c);
	scenario_free(sc);
	free(dir);
	return r;
}

/* The overrides of sweep point p. */
static void point_overrides(const struct scenario *sc, size_t point, struct override *ov,
			    char (*labels)[32])
{
	for (size_t f = 0; f < sc->n_factors; f++) {
		const struct scenario_factor *fa = &sc->factors[f];
		size_t v = scenario_point_value(sc, point, f);

		snprintf(labels[f], sizeof(labels[f]), "sweep[%zu].key", f);
		ov[f] = (struct override){ labels[f], fa->key, fa->values[v], fa->line,
					   fa->value_lines[v] };
	}
}

static int parse_point(const struct scenario *sc, size_t point, struct scenario **ret,
		       char *err, size_t errlen)
{
	struct override *ov = calloc(sc->n_factors ? sc->n_factors : 1, sizeof(*ov));
	char (*labels)[32] = calloc(sc->n_factors ? sc->n_factors : 1, sizeof(*labels));
	int r;

	if (!ov || !labels) {
		snprintf(err, errlen, "%s: out of memory", sc->path);
		r = -ENOMEM;
		goto out;
	}
	point_overrides(sc, point, ov, labels);
	r = parse(sc->path, sc->text, ov, sc->n_factors, ret, err, errlen);
out:
	free(ov);
	free(labels);
	return r;
}

/* Appends " (sweep point P: k=v, ...)" to err. */
static void point_context(const struct scenario *sc, size_t point, char *err, size_t errlen)
{
	size_t n = strlen(err);

	n += (size_t)snprintf(err + n, n < errlen ? errlen - n : 0, " (sweep point %zu:", point);
	for (size_t f = 0; f < sc->n_factors && n < errlen; f++)
		n += (size_t)snprintf(err + n, errlen - n, "%s %s=%s", f ? "," : "", sc->factors[f].key,
				      sc->factors[f].values[scenario_point_value(sc, point, f)]);
	if (n < errlen)
		snprintf(err + n, errlen - n, ")");
}

static int load_text(const char *path, char **ret, char *err, size_t errlen)
{
	size_t len;
	int r = regfile_read(path, SCENARIO_FILE_MAX, ret, &len);

	if (r == -EFBIG)
		snprintf(err, errlen, "%s: larger than 1 MiB: not a scenario", path);
	else if (r == -EINVAL || r == -EISDIR)
		snprintf(err, errlen, "%s: not a regular file", path);
	else if (r < 0)
		snprintf(err, errlen, "%s: %s", path, strerror(-r));
	else if (strlen(*ret) != len) {
		snprintf(err, errlen, "%s:1: scenario: the file holds a NUL byte: not YAML text", path);
		free(*ret);
		r = -EINVAL;
	}
	return r;
}

int scenario_load_text(const char *name, const char *text, struct scenario **ret, char *err,
		       size_t errlen)
{
	struct scenario *sc = NULL, *pt = NULL;
	int r;

	if (strlen(text) > SCENARIO_FILE_MAX) {
		snprintf(err, errlen, "%s: larger than 1 MiB: not a scenario", name);
		return -EFBIG;
	}
	r = parse(name, text, NULL, 0, &sc, err, errlen);
	if (r < 0)
		return r;
	/* every point re-reads the whole text: 10000 points of a 1 MiB file took minutes */
	if (sc->n_factors && sc->n_points > SCENARIO_VALIDATE_BYTES_MAX / (strlen(text) + 1)) {
		snprintf(err, errlen, "%s:%d: sweep: %zu points x %zu bytes of YAML: validating every "
			 "point would read more than %d MiB (shorten the file or the sweep)", name,
			 sc->factors[0].line, sc->n_points, strlen(text),
			 SCENARIO_VALIDATE_BYTES_MAX >> 20);
		scenario_free(sc);
		return -E2BIG;
	}
	/* Every point is built now so that no trial fails later on what the file says. */
	for (size_t p = 0; p < sc->n_points && sc->n_factors; p++) {
		r = parse_point(sc, p, &pt, err, errlen);
		scenario_free(pt);
		pt = NULL;
		if (r < 0) {
			point_context(sc, p, err, errlen);
			scenario_free(sc);
			return r;
		}
	}
	*ret = sc;
	return 0;
}

int scenario_load(const char *path, struct scenario **ret, char *err, size_t errlen)
{
	char *text = NULL;
	int r;

	r = load_text(path, &text, err, errlen);
	if (r == 0)
		r = scenario_load_text(path, text, ret, err, errlen);
	free(text);
	return r;
}

int scenario_resolve(const struct scenario *sc, const struct scenario_trial *trial,
		     struct scenario **ret_resolved, char *err, size_t errlen)
{
	struct scenario *res = NULL;
	int r;

	if (!trial || trial->point >= sc->n_points || trial->rep < 0 || trial->rep >= sc->repeats) {
		snprintf(err, errlen, "%s: no such trial", sc->path);
		return -EINVAL;
	}
	r = parse_point(sc, trial->point, &res, err, errlen);
	if (r < 0) {
		point_context(sc, trial->point, err, errlen);
		return r;
	}
	res->is_trial = 1;
	res->point = trial->point;
	res->rep = trial->rep;
	res->trial_seed = scenario_seed_of(sc, trial->point, trial->rep);
	*ret_resolved = res;
	return 0;
}

void scenario_free(struct scenario *sc)
{
	if (!sc)
		return;
	for (size_t i = 0; i < sc->n_factors; i++) {
		struct scenario_factor *f = &sc->factors[i];

		for (size_t v = 0; v < f->n_values; v++) {
			free(f->values[v]);
			if (f->levels)
				free(f->levels[v]);
		}
		free(f->values);
		free(f->levels);
		free(f->value_lines);
		free(f->key);
		free(f->name);
	}
	free(sc->factors);
	free(sc->factor_names);
	topology_free(sc->topo);
	free(sc->topology.switches);
	free(sc->topology.nodes);
	free(sc->topology.links);
	free(sc->links);
	free(sc->events);
	for (size_t i = 0; i < sc->n_runs; i++) {
		schema_strings_free(sc->runs[i].argv);
		schema_strings_free(sc->runs[i].env);
		free(sc->runs[i].metrics.file);
		free(sc->runs[i].metrics.prefix);
	}
	free(sc->runs);
	free(sc->model);
	free(sc->model_prefix);
	free(sc->workload.dataset);
	free(sc->workload.dataset_dir);
	free(sc->name);
	free(sc->description);
	free(sc->text);
	free(sc->path);
	free(sc);
}

/* The topology: key of the document alone: the rest of a scenario file is not looked at. */
static int read_topology(struct schema_ctx *c)
{
	const struct schema_field *f = schema_find(schema_root(), "topology");
	yaml_parser_t parser;
	yaml_document_t doc;
	yaml_node_t *root;
	int r = -EINVAL, have_doc = 0;

	if (yaml_precheck(c, c->sc->text) < 0)
		return -EINVAL;
	if (!yaml_parser_initialize(&parser))
		return schema_oom(c);
	yaml_parser_set_input_string(&parser, (const unsigned char *)c->sc->text,
				     strlen(c->sc->text));
	if (!yaml_parser_load(&parser, &doc)) {
		r = yaml_fail(c, &parser);
		goto out;
	}
	have_doc = 1;
	root = yaml_document_get_root_node(&doc);
	if (!root || root->type != YAML_MAPPING_NODE) {
		r = schema_fail(c, 1, "topology", "expected a mapping with a topology: key");
		goto out;
	}
	for (yaml_node_pair_t *p = root->data.mapping.pairs.start; p < root->data.mapping.pairs.top; p++) {
		yaml_node_t *k = yaml_document_get_node(&doc, p->key);

		if (k && k->type == YAML_SCALAR_NODE && !strcmp(node_text(k), "topology")) {
			r = walk_value(&(struct walk){ c, &doc }, f, c->sc,
				       yaml_document_get_node(&doc, p->value), "topology");
			break;
		}
	}
	if (r == -EINVAL && !c->err[0])
		r = schema_fail(c, 1, "topology", "no topology: key");
	if (r == 0 && !subnet_ok(c->sc->topology.subnet))
		r = schema_fail(c, schema_line_of(c, "topology.subnet"), "topology.subnet",
				"'%s' is not an IPv4 /16 such as 10.77.0.0/16", c->sc->topology.subnet);
	if (r == 0)
		r = build_topology(c);
out:
	if (have_doc)
		yaml_document_delete(&doc);
	yaml_parser_delete(&parser);
	return r;
}

int scenario_load_topology(const char *path, struct topology **ret, char *err, size_t errlen)
{
	struct schema_ctx c = { .file = path, .err = err, .errlen = errlen };
	struct scenario *sc = calloc(1, sizeof(*sc));
	int r;

	if (!sc)
		return -ENOMEM;
	err[0] = '\0';
	c.sc = sc;
	schema_defaults(sc);
	r = load_text(path, &sc->text, err, errlen);
	if (r == 0)
		r = read_topology(&c);
	if (r == 0) {
		*ret = sc->topo;
		sc->topo = NULL;
	}
	schema_ctx_clear(&c);
	scenario_free(sc);
	return r;
}
