/* SPDX-License-Identifier: MIT */
/* Running a qoslab command inside a User-Mode Linux kernel (Debian's user-mode-linux) with the
 * host's filesystem as root, for hosts without netem or users without root. */
#ifndef QOSLAB_UML_H
#define QOSLAB_UML_H

#define UML_KERNEL "/usr/bin/linux.uml"
#define UML_MODULES "/usr/lib/uml/modules"
#define UML_JOB_ENV "QOSLAB_UML_JOB"   /* set for init (pid 1) inside the guest */
#define UML_INSIDE_ENV "QOSLAB_IN_UML" /* set for the command run inside the guest */

enum kernel_mode { KERNEL_AUTO, KERNEL_HOST, KERNEL_UML };

/* "auto|host|uml" -> mode; -EINVAL otherwise. */
int kernel_mode_parse(const char *s, enum kernel_mode *ret);
/* 0 when UML can run here; else -ENOENT with why filled. */
int uml_available(char *why, size_t len);
/* Whether this process runs inside the guest qoslab booted. */
int uml_inside(void);

/*
 * Boots UML, runs argv (argv[0] is resolved to this executable when it is "qoslab") in the
 * guest with the caller's cwd and QOSLAB_* environment, its stdout/stderr on ours, and
 * returns its exit status in ret_status. SIGINT/SIGTERM are passed on to the command.
 * mem_mb: guest memory (0: 1024).
 */
int uml_run(char *const argv[], unsigned int mem_mb, int *ret_status);

/* Entry point when the binary runs as the guest's init. Never returns. */
int uml_init_main(void);
#endif
