/* SPDX-License-Identifier: MIT */
/* The scenario file's keys as tables (type, range, unit), set by YAML key or by sweep path. */
#ifndef QOSLAB_SCHEMA_H
#define QOSLAB_SCHEMA_H
#include <stddef.h>

#include "scenarios/scenario.h"

/* WORDS: a list of scalars (argv); PAIRS: a mapping of free names to scalars (env). */
enum schema_kind { SCHEMA_SCALAR, SCHEMA_MAP, SCHEMA_LIST, SCHEMA_SWEEP, SCHEMA_WORDS,
		   SCHEMA_PAIRS };

struct schema_section;
struct schema_field;

/* Where a value was set, so that cross-field errors name a line. */
struct schema_line {
	char *path;
	int line;
};

/* One load or resolve in progress: the scenario being filled and where errors go. */
struct schema_ctx {
	struct scenario *sc;
	const char *file;            /* for messages */
	const char *dir;             /* relative paths in the file start here */
	char *err;
	size_t errlen;
	struct schema_line *lines;
	size_t n_lines, cap_lines;
};

/* err = "FILE:LINE: KEY: message"; returns -EINVAL. */
int schema_fail(struct schema_ctx *c, int line, const char *key, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
/* -ENOMEM with err set (everything else reports through schema_fail). */
int schema_oom(struct schema_ctx *c);
/* Records that path got a value on line. 0 or -ENOMEM. */
int schema_note(struct schema_ctx *c, const char *path, int line);
/* Line where path was last set; 0 when never. */
int schema_line_of(const struct schema_ctx *c, const char *path);
void schema_ctx_clear(struct schema_ctx *c);

/* Sets every default (scenarios/README.md); model and dataset stay unresolved (NULL). */
int schema_defaults(struct scenario *sc);

const struct schema_section *schema_root(void);
const char *schema_section_name(const struct schema_section *s);
/* The field called key, or NULL. */
const struct schema_field *schema_find(const struct schema_section *s, const char *key);
/* 1 when the section also takes impairment keys (links, timeline events). */
int schema_takes_impair(const struct schema_section *s);
/* The key that a scalar in place of the section's mapping sets ("transport: udp"), or NULL. */
const char *schema_shorthand(const struct schema_section *s);
/* "workers, cpu, subnet" into buf, for unknown-key messages. */
void schema_known(const struct schema_section *s, char *buf, size_t len);

enum schema_kind schema_kind(const struct schema_field *f);
const struct schema_section *schema_sub(const struct schema_field *f);
/* "an integer", "a list (- items)", ... for wrong-type messages. */
const char *schema_what(const struct schema_field *f);

/* WORDS and PAIRS fields: appends text (PAIRS: as "name=text"; name must be a variable
 * name, given once) to the NULL-ended array of base. 0 or -EINVAL/-ENOMEM with err. */
int schema_append(struct schema_ctx *c, const struct schema_field *f, void *base,
		  const char *path, const char *name, const char *text, int line);
/* Frees such an array; NULL-safe. */
void schema_strings_free(char **list);
/* Lists (links, timeline): replaces the list with n items holding their defaults. */
int schema_list_new(struct schema_ctx *c, const struct schema_field *f, size_t n);
void *schema_list_item(struct scenario *sc, const struct schema_field *f, size_t i);

/* Sets scalar field f of base (sc for mappings, the item for list items) from text.
 * path and line name it in errors. 0 or -EINVAL/-ENOMEM with err. */
int schema_set(struct schema_ctx *c, const struct schema_field *f, void *base,
	       const char *path, const char *text, int line);
/* Sets impairment key of a link or event item (s takes impairment keys). -ENOENT for an
 * unknown key (err names the section's keys too), -EINVAL for a bad value. */
int schema_set_impair(struct schema_ctx *c, const struct schema_section *s, void *item,
		      const char *key, const char *path, const char *text, int line);

/*
 * Sweep paths: "topology.workers", "links[0].loss", "model". schema_set_path sets the value
 * (errors about the path at key_line, named label; about the value at value_line, named
 * path). schema_level gives the value as a results level and the factor's default name
 * (a path that sets nothing is an error, as for schema_set_path).
 */
int schema_set_path(struct schema_ctx *c, const char *label, const char *path, int key_line,
		    const char *text, int value_line);
int schema_level(struct schema_ctx *c, const char *label, const char *path, int key_line,
		 const char *text, char **ret_level, const char **ret_name);
#endif
