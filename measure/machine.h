/* SPDX-License-Identifier: MIT */
/* What this machine offers qoslab: kernel, root, netem on the host (or why not), UML and
 * qoslab's UML kernel, the XSAVE area and its preload, cgroups. */
#ifndef QOSLAB_MACHINE_H
#define QOSLAB_MACHINE_H
#include <jansson.h>

/* A new JSON object of facts, one key each ("netem_on_host_why" and "uml_why" only when the
 * answer is no); NULL without memory. Takes a few milliseconds: nothing is built. */
json_t *machine_facts(void);
#endif
