// SPDX-License-Identifier: MIT
/* Kernel selection: probe netem on the host, else boot UML and run the same command there. */
#include <errno.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <unistd.h>

#include "emu/kernel.h"
#include "emu/link.h"
#include "netem/netem.h"

/*
 * In a child, in a throwaway network namespace: a netem qdisc with im on lo. 0 when the
 * kernel made it (and, with read_seed, reported im's seed back: -ENODATA when it did not);
 * -errno otherwise. A child, because unshare() would move the caller for good.
 */
static int netem_try(const struct impair *im, int read_seed)
{
	int status;
	pid_t pid = fork();

	if (pid < 0)
		return -errno;
	if (pid == 0) {
		struct nl_sock *sk = NULL;
		uint64_t seed = 0;
		int r = unshare(CLONE_NEWNET) < 0 ? -errno : link_sock_new(-1, &sk);

		if (!r)
			r = link_set_up(sk, 1, 1);
		if (!r)
			r = netem_apply(sk, 1, im);
		if (!r && read_seed) {
			r = netem_seed_get(sk, 1, &seed);
			if (r == -ENOENT || (!r && seed != im->seed))
				r = -ENODATA;
		}
		_exit(r < 0 ? (-r & 0xff) : 0);
	}
	if (waitpid(pid, &status, 0) < 0)
		return -errno;
	return WIFEXITED(status) ? -WEXITSTATUS(status) : -ECHILD;
}

int kernel_probe_netem(char *why, size_t len)
{
	const struct impair im = { .delay_ns = 1000000 };
	int r;

	if (geteuid() != 0) {
		snprintf(why, len, "not root: namespaces and qdiscs need CAP_NET_ADMIN");
		return -EPERM;
	}
	r = netem_try(&im, 0);
	if (!r)
		return 0;
	snprintf(why, len, "this kernel has no netem qdisc (%s)",
		 r == -ECHILD ? "probe crashed" : strerror(-r));
	return -EOPNOTSUPP;
}

int kernel_netem_seed_honoured(void)
{
	const struct impair im = { .loss = 0.1, .seed = 0x5eed, .has_seed = 1 };
	int r;

	if (geteuid() != 0)
		return -EPERM;
	r = netem_try(&im, 1);
	return !r ? 1 : r == -ENODATA ? 0 : -EOPNOTSUPP;
}

void kernel_describe(char *buf, size_t len)
{
	struct utsname u;

	uname(&u);
	snprintf(buf, len, "%s %s", uml_inside() ? "uml" : "host", u.release);
}

int kernel_enter(enum kernel_mode mode, char *const argv[], int *ret_status, char *why, size_t len)
{
	return kernel_enter_sized(mode, argv, 0, ret_status, why, len);
}

static int enter_program(enum kernel_mode mode, char *const argv[], unsigned int mem_mb,
			 int *ret_status, char *why, size_t len);

int kernel_enter_sized(enum kernel_mode mode, char *const argv[], unsigned int mem_mb,
		       int *ret_status, char *why, size_t len)
{
	int argc = 0, r;
	char **full;

	while (argv[argc])
		argc++;
	full = calloc((size_t)argc + 2, sizeof(*full));
	if (!full)
		return -ENOMEM;
	full[0] = "qoslab"; /* uml_run resolves it to this executable */
	memcpy(full + 1, argv, (size_t)argc * sizeof(*full));
	r = enter_program(mode, full, mem_mb, ret_status, why, len);
	free(full);
	return r;
}

int kernel_choose(enum kernel_mode mode, int *ret_uml, char *why, size_t len)
{
	char host_why[256] = "";
	int r;

	if (uml_inside()) {
		*ret_uml = 1;
		return 0;
	}
	if (mode == KERNEL_HOST) {
		/* the user's choice: without netem only impairments fail, when applied */
		if (geteuid() != 0) {
			snprintf(why, len, "--kernel host needs root (namespaces, qdiscs)");
			return -EPERM;
		}
		*ret_uml = 0;
		return 0;
	}
	if (mode == KERNEL_AUTO && kernel_probe_netem(host_why, sizeof(host_why)) == 0) {
		*ret_uml = 0;
		return 0;
	}
	r = uml_available(why, len);
	if (r < 0) {
		if (host_why[0]) {
			size_t n = strlen(why);

			snprintf(why + n, len - n, "; and on the host: %s", host_why);
		}
		return r;
	}
	*ret_uml = 1;
	return 0;
}

int kernel_enter_program(enum kernel_mode mode, char *const argv[], int *ret_status,
			 char *why, size_t len)
{
	return enter_program(mode, argv, 0, ret_status, why, len);
}

static int enter_program(enum kernel_mode mode, char *const argv[], unsigned int mem_mb,
			 int *ret_status, char *why, size_t len)
{
	int uml, r;

	if (uml_inside())
		return 0;
	if ((r = kernel_choose(mode, &uml, why, len)) < 0)
		return r;
	if (!uml)
		return 0;
	r = uml_run(argv, mem_mb, ret_status);
	if (r < 0) {
		snprintf(why, len, "running inside UML failed: %s", strerror(-r));
		return r;
	}
	return 1;
}
