/* SPDX-License-Identifier: MIT */
/* Which kernel runs the testbed: the host's when it has netem and we are root, else UML. */
#ifndef QOSLAB_KERNEL_H
#define QOSLAB_KERNEL_H
#include "emu/uml.h"

/* Creates a netem qdisc in a throwaway namespace (in a child process). 0 when it works;
 * else -errno with why filled. */
int kernel_probe_netem(char *why, size_t len);

/* Whether this kernel's netem honours TCA_NETEM_PRNG_SEED (it reports the seed back): 1 or 0;
 * -errno when no netem qdisc can be made here. Same seed, same losses only where it is 1. */
int kernel_netem_seed_honoured(void);

/* Name of the kernel this process runs on, for results: "host <release>" or "uml <release>". */
void kernel_describe(char *buf, size_t len);

/* Where a command of this mode would run: *ret_uml 1 inside UML (also when already there),
 * 0 on the host. -errno with why filled when neither can (as kernel_enter). */
int kernel_choose(enum kernel_mode mode, int *ret_uml, char *why, size_t len);

/*
 * Decides where a command runs. Returns 0 when it runs in this process, 1 when it ran inside
 * UML (ret_status holds its exit status), or -errno with why filled (e.g. host asked but no
 * netem). argv is the subcommand's vector (argv[0] = its name), as its *_main got it.
 */
int kernel_enter(enum kernel_mode mode, char *const argv[], int *ret_status, char *why, size_t len);
/* The same with mem_mb of guest memory when it runs in UML (0: uml_run's default). */
int kernel_enter_sized(enum kernel_mode mode, char *const argv[], unsigned int mem_mb,
		       int *ret_status, char *why, size_t len);
/* The same for any program: argv[0] is its path (relative to the cwd, which UML keeps). */
int kernel_enter_program(enum kernel_mode mode, char *const argv[], int *ret_status,
			 char *why, size_t len);
#endif
