// SPDX-License-Identifier: MIT
/* What this machine offers qoslab, as `qoslab check` reports it and carries into its guest. */
#include <jansson.h>
#include <limits.h>
#include <unistd.h>

#include "emu/cgroup.h"
#include "emu/kernel.h"
#include "emu/xstate.h"
#include "measure/machine.h"

json_t *machine_facts(void)
{
	char why[256] = "", kernel[128];
	enum cgroup_version cg = cgroup_detect();
	struct uml_kernel uk;
	size_t xsave = 0;
	int netem = kernel_probe_netem(why, sizeof(why)) == 0;
	json_t *o = json_object();

	kernel_describe(kernel, sizeof(kernel));
	json_object_set_new(o, "kernel", json_string(kernel));
	json_object_set_new(o, "root", json_boolean(geteuid() == 0));
	json_object_set_new(o, "netem_on_host", json_boolean(netem));
	if (!netem)
		json_object_set_new(o, "netem_on_host_why", json_string(why));
	why[0] = 0;
	json_object_set_new(o, "uml_available", json_boolean(uml_available(why, sizeof(why)) == 0));
	if (why[0])
		json_object_set_new(o, "uml_why", json_string(why));
	if (uml_kernel_find(&uk, why, sizeof(why)) == 0) {
		json_object_set_new(o, "uml_kernel", json_string(uk.path));
		json_object_set_new(o, "uml_kernel_seeded_netem", json_boolean(uk.own));
	}
	if (xstate_host_size(&xsave) == 0) {
		char self[PATH_MAX], preload[PATH_MAX + 32];
		ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);

		self[n > 0 ? n : 0] = 0;
		json_object_set_new(o, "xsave_bytes", json_integer((json_int_t)xsave));
		/* what uml_run will do: UML 6.1 moves 2696 bytes; more needs the preload */
		json_object_set_new(o, "uml_xstate_preload",
				    json_string(uml_xstate_preload(self, preload, sizeof(preload), NULL) == 1 ?
						preload : xsave > XSTATE_UML61_BYTES ? "needed, not built" : "not needed"));
	}
	json_object_set_new(o, "cgroup", json_string(cg == CGROUP_V2 ? "v2" : cg == CGROUP_V1 ? "v1" : "none"));
	return o;
}
