/* SPDX-License-Identifier: MIT */
/* The schema table's types, shared by the parser's setters (schema.c) and the JSON Schema
 * written from the same table (schema_json.c); nothing else sees them. */
#ifndef QOSLAB_SCHEMA_TABLE_H
#define QOSLAB_SCHEMA_TABLE_H
#include <stddef.h>

enum ftype {
	T_INT,      /* int, decimal, in [lo, hi] */
	T_U64,      /* uint64_t, decimal or 0x hex */
	T_NUM,      /* double in [lo, hi] */
	T_SECONDS,  /* double seconds in [lo, hi]: a bare number is seconds, "500ms" has a unit */
	T_TIME_NS,  /* uint64_t ns via units_time_ns (a bare number is ms, as in tc) */
	T_FRACTION, /* double via units_fraction: 0.4 or 40% */
	T_BOOL,     /* int 0/1 */
	T_CHOICE,   /* int: index into choices */
	T_FAILURE,  /* enum failure_kind */
	T_NODE,     /* char[SCENARIO_NODE_MAX] */
	T_DIRS,     /* int SCENARIO_UP|SCENARIO_DOWN */
	T_TEXT,     /* char * (malloc'ed) */
	T_BUF,      /* char[size] */
	T_PARAMS,   /* char[size]: "key=value,..." a link kind checks; a sweep path may name one
		     * key (topology.links[0].params.distance) */
	T_MODEL,    /* char *, resolved into sc->model_prefix */
	T_DATASET,  /* char *, resolved into sc->workload.dataset_dir */
	T_ARGV,     /* char ** NULL-ended + size_t count after it: a list of words */
	T_ENV,      /* char ** "NAME=value" NULL-ended + size_t count after it: a mapping */
	T_MAP, T_LIST, T_SWEEP,
};

struct schema_field {
	const char *key;
	enum ftype type;
	size_t off;             /* in struct scenario (mappings) or in the list item */
	double lo, hi;          /* numbers: range; T_BUF: size in hi */
	const char *const *choices;
	const char *factor;     /* default factor name when swept; NULL: cannot be swept */
	const struct schema_section *sub;
};

struct schema_section {
	const char *name;
	const struct schema_field *fields;
	size_t n_fields;
	size_t impair_off;      /* offset of struct impair in the item; 0: no impairment keys */
	const char *shorthand;
	const char *const *required; /* list items: keys every item must have (NULL-ended) */
	const char *const *one_of;   /* list items: at least one of these keys (NULL-ended) */
	/* lists: the array and count in struct scenario, the item size */
	size_t list_off, count_off, item_size;
	void (*item_init)(void *item);
};
#endif
