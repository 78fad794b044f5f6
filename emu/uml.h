/* SPDX-License-Identifier: MIT */
/* Running a qoslab command inside a User-Mode Linux kernel (Debian's user-mode-linux) with the
 * host's filesystem as root, for hosts without netem or users without root. */
#ifndef QOSLAB_UML_H
#define QOSLAB_UML_H

#define UML_KERNEL "/usr/bin/linux.uml"
#define UML_MODULES "/usr/lib/uml/modules"
#define UML_JOB_ENV "QOSLAB_UML_JOB"   /* set for init (pid 1) inside the guest */
#define UML_INSIDE_ENV "QOSLAB_IN_UML" /* set for the command run inside the guest */
/* A UML kernel to use instead of the one qoslab picks (tests compare kernels with it). */
#define UML_KERNEL_ENV "QOSLAB_UML_KERNEL"
/* Job directories of UML runs: /tmp/qoslab-uml-XXXXXX (the guest reads them through hostfs). */
#define UML_JOB_PREFIX "/tmp/qoslab-uml-"
#define UML_POWEROFF_GRACE_S 20 /* from the command's status to the kernel's exit, at most */
#include <limits.h>
#include <stddef.h>

struct uml_kernel {
	char path[PATH_MAX];
	int own; /* qoslab's build (emu/umlkernel): seeded netem, everything built in */
};

enum kernel_mode { KERNEL_AUTO, KERNEL_HOST, KERNEL_UML };

/* "auto|host|uml" -> mode; -EINVAL otherwise. */
int kernel_mode_parse(const char *s, enum kernel_mode *ret);
/* 0 when UML can run here; else -ENOENT with why filled. */
int uml_available(char *why, size_t len);
/*
 * The kernel uml_run boots: $QOSLAB_UML_KERNEL when set; else qoslab's own build from
 * `make kernel` when the cache holds one for this tree's key; else Debian's linux.uml.
 */
int uml_kernel_find(struct uml_kernel *ret, char *why, size_t len);
/*
 * Whether linux.uml needs libqoslab-xstate.so on this host (its XSAVE area is larger than the
 * 2696 bytes UML 6.1 transfers, e.g. with AMX), and where it is: 1 with path filled, 0 when
 * not needed, -ENOENT when needed but not built. QOSLAB_XSTATE_MIN_BYTES forces it (tests).
 */
int uml_xstate_preload(const char *qoslab_path, char *path, size_t len, size_t *ret_host_bytes);
/*
 * Removes UML runs whose controller is dead (all of them with all): their linux.uml processes
 * and job directories. Counts what it removed in *ret_removed. Needs no root for one's own.
 */
int uml_clean(int all, unsigned int *ret_removed);
/* Whether this process runs inside the guest qoslab booted. */
int uml_inside(void);

/*
 * Boots UML, runs argv (argv[0] is resolved to this executable when it is "qoslab") in the
 * guest with the caller's cwd and QOSLAB_* environment, its stdout/stderr on ours, and
 * returns its exit status in ret_status. SIGINT/SIGTERM are passed on to the command.
 * mem_mb: guest memory (0: 2048 MB; a sweep slot keeps standby darknet workers besides a
 * trial's own, and the host backs only what the guest touches). The kernel runs as pid 1 of
 * its own pid namespace, which dies with this process: no linux.uml process outlives its
 * controller, even on SIGKILL.
 */
int uml_run(char *const argv[], unsigned int mem_mb, int *ret_status);

/* Entry point when the binary runs as the guest's init. Never returns. */
int uml_init_main(void);
#endif
