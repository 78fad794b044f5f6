// SPDX-License-Identifier: MIT
/* JSON Schema from the schema table: scalars may be YAML numbers or strings (the parser takes
 * both), so each type allows both, numbers with their range and strings with a pattern. */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "netem/impair.h"
#include "scenarios/failure.h"
#include "scenarios/schema.h"
#include "scenarios/schema_json.h"
#include "scenarios/schema_table.h"

/* ECMA-262 patterns (JSON Schema's dialect). Unsigned decimal number, as strtod reads them. */
#define UNUM "([0-9]+(\\.[0-9]*)?|\\.[0-9]+)([eE][+-]?[0-9]+)?"
#define TIME_UNIT "([nNuUmM]?[sS])"
#define PAT_INT "^[+-]?[0-9]+$"
#define PAT_U64 "^(0[xX][0-9a-fA-F]+|[0-9]+)$"
#define PAT_NUM "^[+-]?" UNUM "$"
#define PAT_SECONDS "^([+-]?" UNUM "|" UNUM TIME_UNIT ")$"
#define PAT_TIME "^" UNUM TIME_UNIT "?$"
/* 0..1, or 0%..100% */
#define FRAC "(\\+?(0*(\\.[0-9]*)?|0*1(\\.0*)?|\\.[0-9]+)|\\+?(0*100(\\.0*)?|[0-9]{1,2}(\\.[0-9]*)?|\\.[0-9]+)%)"
#define PAT_FRACTION "^" FRAC "$"
#define PAT_FRACTIONS "^ *" FRAC "([ /]+" FRAC "){0,4} *$"
#define PAT_RATE "^" UNUM "([kKmMgG]?([bB][iI][tT]|[bB][pP][sS]))$"
#define PAT_NODE "^[A-Za-z0-9_][A-Za-z0-9_.-]*$"
#define PAT_FACTOR "^[A-Za-z0-9_-]{1,64}$"

/* Adds v under key unless an earlier step failed; takes v's reference in every case. */
static void put(int *r, json_t *o, const char *key, json_t *v)
{
	if (*r == 0 && (!o || !v || json_object_set_new(o, key, v) < 0))
		*r = -ENOMEM;
	else if (*r < 0)
		json_decref(v);
}

static void push(int *r, json_t *a, json_t *v)
{
	if (*r == 0 && (!a || !v || json_array_append_new(a, v) < 0))
		*r = -ENOMEM;
	else if (*r < 0)
		json_decref(v);
}

/* {"type": [type, "string"], "pattern": pat}: a YAML number, or the same as a string. */
static json_t *typed(int *r, const char *type, const char *pat)
{
	json_t *o = json_object();

	put(r, o, "type", type ? json_pack("[ss]", type, "string") : json_string("string"));
	if (pat)
		put(r, o, "pattern", json_string(pat));
	return o;
}

static void range(int *r, json_t *o, double lo, double hi)
{
	put(r, o, "minimum", json_real(lo));
	put(r, o, "maximum", json_real(hi));
}

/* "^([tT][rR][uU][eE]|...)$" for words the parser compares with strcasecmp. */
static json_t *anycase(const char *const *words)
{
	char buf[512];
	size_t n = 0;

	n += (size_t)snprintf(buf + n, sizeof(buf) - n, "^(");
	for (int i = 0; words[i] && n < sizeof(buf); i++) {
		if (i)
			n += (size_t)snprintf(buf + n, sizeof(buf) - n, "|");
		for (const char *c = words[i]; *c && n < sizeof(buf); c++)
			n += (size_t)(*c >= 'a' && *c <= 'z' ?
				      snprintf(buf + n, sizeof(buf) - n, "[%c%c]", *c, *c - 32) :
				      snprintf(buf + n, sizeof(buf) - n, "%c", *c));
	}
	if (n < sizeof(buf))
		snprintf(buf + n, sizeof(buf) - n, ")$");
	return json_string(buf);
}

static json_t *words(int *r, const char *const *list)
{
	json_t *a = json_array();

	for (int i = 0; list[i]; i++)
		push(r, a, json_string(list[i]));
	return json_pack("{s:o}", "enum", a);
}

static json_t *boolean(int *r)
{
	static const char *const names[] = { "true", "false", "yes", "no", "on", "off", "1", "0", NULL };
	json_t *o = json_pack("{s:[{s:s}, {s:[i,i]}, {s:s}]}", "anyOf", "type", "boolean",
			      "enum", 0, 1, "type", "string");

	if (!o)
		*r = -ENOMEM;
	else
		put(r, json_array_get(json_object_get(o, "anyOf"), 2), "pattern", anycase(names));
	return o;
}

static json_t *impair_schema(int *r, enum impair_value v, const char *what)
{
	static const char *const dists[] = { "uniform", "normal", "pareto", "paretonormal", NULL };
	json_t *o = NULL;

	switch (v) {
	case IMPAIR_TIME:
		o = typed(r, "number", PAT_TIME);
		range(r, o, 0, 3600e3); /* a bare number is ms; netem/impair.c caps at an hour */
		break;
	case IMPAIR_FRACTION:
		o = typed(r, "number", PAT_FRACTION);
		range(r, o, 0, 1);
		break;
	case IMPAIR_RATE:
		o = typed(r, NULL, PAT_RATE);
		break;
	case IMPAIR_U32:
		o = typed(r, "integer", PAT_U64);
		range(r, o, 0, UINT32_MAX);
		break;
	case IMPAIR_U64:
		o = typed(r, "integer", PAT_U64);
		put(r, o, "minimum", json_integer(0));
		break;
	case IMPAIR_DIST:
		o = typed(r, NULL, NULL);
		put(r, o, "pattern", anycase(dists));
		break;
	case IMPAIR_FRACTIONS:
		o = typed(r, "number", PAT_FRACTIONS);
		range(r, o, 0, 1);
		break;
	}
	put(r, o, "description", json_string(what));
	return o;
}

/* The default held at f's offset in base (schema_defaults or the item's init), or NULL
 * when there is none worth showing (unset, or outside the range the field accepts). */
static json_t *default_of(const struct schema_field *f, const void *base)
{
	const char *p = (const char *)base + f->off;
	double v;

	switch (f->type) {
	case T_INT:
		v = *(const int *)p;
		return v >= f->lo && v <= f->hi ? json_integer(*(const int *)p) : NULL;
	case T_U64:
		return json_integer((json_int_t)*(const uint64_t *)p);
	case T_NUM: case T_SECONDS:
		v = *(const double *)p;
		return v >= f->lo && v <= f->hi ? json_real(v) : NULL;
	case T_FRACTION:
		return json_real(*(const double *)p);
	case T_TIME_NS:
		return json_real((double)*(const uint64_t *)p / 1e6); /* a bare number is ms */
	case T_BOOL:
		return json_boolean(*(const int *)p);
	case T_CHOICE:
		return json_string(f->choices[*(const int *)p]);
	case T_FAILURE:
		return json_string(failure_name(*(const enum failure_kind *)p));
	case T_DIRS:
		switch (*(const int *)p) {
		case SCENARIO_UP: return json_string("up");
		case SCENARIO_DOWN: return json_string("down");
		default: return json_string("both");
		}
	case T_NODE: case T_BUF: case T_PARAMS:
		return *p ? json_string(p) : NULL;
	default:
		return NULL;
	}
}

static json_t *section_schema(int *r, const struct schema_section *s, const void *base);

static json_t *sweep_schema(int *r);

static json_t *field_schema(int *r, const struct schema_field *f, const void *base)
{
	static const char *const dirs[] = { "up", "down", "both", NULL };
	json_t *o = NULL, *d;

	switch (f->type) {
	case T_INT:
		o = typed(r, "integer", PAT_INT);
		range(r, o, f->lo, f->hi);
		break;
	case T_U64:
		o = typed(r, "integer", PAT_U64);
		put(r, o, "minimum", json_integer(0));
		break;
	case T_NUM:
		o = typed(r, "number", PAT_NUM);
		range(r, o, f->lo, f->hi);
		break;
	case T_SECONDS:
		o = typed(r, "number", PAT_SECONDS);
		range(r, o, f->lo, f->hi);
		break;
	case T_TIME_NS:
		o = typed(r, "number", PAT_TIME);
		range(r, o, 0, f->hi / 1e6);
		break;
	case T_FRACTION:
		o = typed(r, "number", PAT_FRACTION);
		range(r, o, 0, 1);
		break;
	case T_BOOL:
		o = boolean(r);
		break;
	case T_CHOICE:
		o = words(r, f->choices);
		break;
	case T_FAILURE:
		{
			const char *failures[FAILURE_KIND_COUNT + 1] = { NULL };

			for (int k = 0; k < FAILURE_KIND_COUNT; k++)
				failures[k] = failure_name((enum failure_kind)k);
			o = words(r, failures);
		}
		break;
	case T_NODE:
		o = typed(r, NULL, PAT_NODE);
		break;
	case T_DIRS:
		o = words(r, dirs);
		break;
	case T_TEXT:
		/* name: 42 is a name too: any scalar */
		o = json_pack("{s:[sss]}", "type", "string", "number", "boolean");
		break;
	case T_BUF: case T_PARAMS:
		o = typed(r, NULL, NULL);
		put(r, o, "maxLength", json_integer((json_int_t)f->hi - 1));
		break;
	case T_MODEL: case T_DATASET:
		o = typed(r, NULL, NULL);
		break;
	case T_ARGV:
		/* numbers are words too: [sleep, 5] */
		o = json_pack("{s:s, s:i, s:{s:[sss]}}", "type", "array", "minItems", 1, "items",
			      "type", "string", "number", "boolean");
		break;
	case T_ENV:
		o = json_pack("{s:[ss], s:{s:s}, s:{s:[ssss]}}", "type", "object", "null",
			      "propertyNames", "pattern", "^[A-Za-z_][A-Za-z0-9_]*$",
			      "additionalProperties", "type", "string", "number", "boolean", "null");
		break;
	case T_MAP:
		o = section_schema(r, f->sub, base);
		break;
	case T_LIST: {
		void *item = calloc(1, f->sub->item_size);

		if (!item)
			break;
		f->sub->item_init(item);
		o = json_pack("{s:[ss], s:o}", "type", "array", "null", "items",
			      section_schema(r, f->sub, item));
		free(item);
		break;
	}
	case T_SWEEP:
		o = sweep_schema(r);
		break;
	}
	if (!o) {
		*r = -ENOMEM;
		return NULL;
	}
	if (f->type != T_MAP && f->type != T_LIST) {
		put(r, o, "description", json_string(schema_what(f)));
		d = default_of(f, base);
		if (d)
			put(r, o, "default", d);
	}
	return o;
}

static json_t *section_schema(int *r, const struct schema_section *s, const void *base)
{
	json_t *o = json_object(), *props = json_object(), *req;
	enum impair_value v;
	const char *key, *what;

	put(r, o, "type", json_pack("[ss]", "object", "null"));
	put(r, o, "additionalProperties", json_false());
	for (size_t i = 0; i < s->n_fields; i++)
		put(r, props, s->fields[i].key, field_schema(r, &s->fields[i], base));
	for (size_t i = 0; s->impair_off && (key = impair_key(i, &v, &what)); i++)
		put(r, props, key, impair_schema(r, v, what));
	put(r, o, "properties", props);
	if (s->required) {
		req = json_array();
		for (size_t i = 0; s->required[i]; i++)
			push(r, req, json_string(s->required[i]));
		put(r, o, "required", req);
		/* a list item is a mapping, never empty */
		put(r, o, "type", json_string("object"));
	}
	if (s->one_of) {
		json_t *any = json_array();

		for (size_t i = 0; s->one_of[i]; i++)
			push(r, any, json_pack("{s:[s]}", "required", s->one_of[i]));
		put(r, o, "anyOf", any);
		put(r, o, "type", json_string("object"));
	}
	if (s->shorthand) {
		json_t *alt = json_object();

		json_object_update(alt, json_object_get(props, s->shorthand));
		json_object_set_new(alt, "description", json_sprintf("short for {%s: ...}", s->shorthand));
		o = json_pack("{s:[oo]}", "anyOf", o, alt);
	}
	return o;
}

/* Appends "a|b|..." of the sweepable paths under s (prefix is already a regex) to buf. */
static void sweep_paths(const struct schema_section *s, const char *prefix, char *buf, size_t len)
{
	enum impair_value v;
	const char *key, *what;
	char sub[256];

	for (size_t i = 0; i < s->n_fields; i++) {
		const struct schema_field *f = &s->fields[i];
		size_t n = strlen(buf);

		if (f->type == T_MAP || f->type == T_LIST) {
			snprintf(sub, sizeof(sub), "%s%s%s", prefix, f->key,
				 f->type == T_LIST ? "\\[[0-9]+\\]\\." : "\\.");
			sweep_paths(f->sub, sub, buf, len);
		} else if (f->factor && n < len) {
			snprintf(buf + n, len - n, "%s%s%s", n ? "|" : "", prefix, f->key);
			/* one parameter of a link kind's list is swept alone (params.distance) */
			if (f->type == T_PARAMS && (n = strlen(buf)) < len)
				snprintf(buf + n, len - n, "|%s%s\\.[a-z_]+", prefix, f->key);
		}
	}
	for (size_t i = 0; s->impair_off && (key = impair_key(i, &v, &what)); i++) {
		size_t n = strlen(buf);

		if (n < len)
			snprintf(buf + n, len - n, "|%s%s", prefix, key);
	}
}

static json_t *sweep_schema(int *r)
{
	char paths[8192] = "", pat[8200];

	sweep_paths(schema_root(), "", paths, sizeof(paths));
	snprintf(pat, sizeof(pat), "^(%s)$", paths);
	(void)r;
	return json_pack("{s:[ss], s:{s:s, s:b, s:[ss], s:{s:{s:s, s:s, s:s}, s:{s:s, s:s, s:s},"
			 " s:{s:s, s:i, s:{s:[sss]}, s:s}}}}",
			 "type", "array", "null",
			 "items",
			 "type", "object", "additionalProperties", 0, "required", "key", "values",
			 "properties",
			 "key", "type", "string", "pattern", pat,
			 "description", "the value to vary: a key path such as links[0].loss",
			 "name", "type", "string", "pattern", PAT_FACTOR,
			 "description", "the factor's name in results and plots",
			 "values", "type", "array", "minItems", 1,
			 "items", "type", "string", "number", "boolean",
			 "description", "at least one; each is checked as if written at key");
}

int schema_json(json_t **ret)
{
	struct scenario defaults = { 0 };
	json_t *o;
	int r = 0;

	schema_defaults(&defaults);
	o = section_schema(&r, schema_root(), &defaults);
	put(&r, o, "type", json_string("object"));
	put(&r, o, "$schema", json_string("http://json-schema.org/draft-07/schema#"));
	put(&r, o, "$id", json_string(SCHEMA_JSON_ID));
	put(&r, o, "title", json_string("qoslab scenario"));
	put(&r, o, "description", json_string("A qoslab scenario file (qoslab-scenario(5)). "
					       "Generated by `qoslab scenario schema` from the "
					       "table the parser uses."));
	if (r < 0) {
		json_decref(o);
		return r;
	}
	*ret = o;
	return 0;
}
