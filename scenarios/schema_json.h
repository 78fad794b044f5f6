/* SPDX-License-Identifier: MIT */
/* The scenario format as a JSON Schema, written from the parser's own schema table. */
#ifndef QOSLAB_SCHEMA_JSON_H
#define QOSLAB_SCHEMA_JSON_H
#include <jansson.h>

/* Identifies the schema (its "$id"); editors key their association on it. */
#define SCHEMA_JSON_ID "https://qoslab.invalid/qoslab-scenario.schema.json"

/*
 * A draft-07 JSON Schema of scenario files (editors' YAML language servers speak draft-07):
 * every key with its type, range, choices, default and a description; list items' required
 * keys; unknown keys rejected; sweep keys limited to the paths that can be swept. What it
 * cannot say (cross-field rules, that files exist, topology limits) scenario check still
 * does. 0 and *ret (a new reference), or -ENOMEM.
 */
int schema_json(json_t **ret);
#endif
