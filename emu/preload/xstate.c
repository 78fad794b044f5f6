// SPDX-License-Identifier: MIT
/*
 * LD_PRELOAD library for linux.uml (built as libqoslab-xstate.so): its NT_X86_XSTATE
 * GETREGSET/SETREGSET go through emu/xstate.c's side table at the host's XSAVE size; every
 * other ptrace request goes to libc's ptrace unchanged (PEEK requests return their data
 * differently from the raw syscall). qoslab sets it only where the host needs it (see
 * uml_run); QOSLAB_XSTATE_MIN_BYTES, for tests, widens every shorter transfer to that many
 * bytes so that the path runs on any CPU.
 *
 * The table is this library's one piece of global state: a preloaded ptrace() has nowhere
 * else to keep it. UML makes its ptrace calls from one host thread.
 */
#include <dlfcn.h>
#include <elf.h>
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <sys/ptrace.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "emu/xstate.h"

typedef long (*ptrace_fn)(enum __ptrace_request, ...);

static ptrace_fn libc_ptrace;
static struct xstate_table table;
static int table_ok;

static int raw_regset(int get, pid_t pid, struct iovec *iov, void *ctx)
{
	(void)ctx;
	if (syscall(SYS_ptrace, get ? PTRACE_GETREGSET : PTRACE_SETREGSET, pid,
		    (void *)NT_X86_XSTATE, iov) < 0)
		return -errno;
	return 0;
}

/* At load time, on the main stack: dlsym and mmap are not for UML's small kernel stacks. */
__attribute__((constructor)) static void xstate_preload_init(void)
{
	struct xstate_layout layout;
	const char *min = getenv("QOSLAB_XSTATE_MIN_BYTES");

	libc_ptrace = (ptrace_fn)dlsym(RTLD_NEXT, "ptrace");
	xstate_layout_from_cpuid(&layout);
	table_ok = xstate_table_init(&table, raw_regset, NULL, &layout,
				     min ? strtoul(min, NULL, 10) : 0) == 0;
}

long ptrace(enum __ptrace_request request, ...)
{
	va_list ap;
	pid_t pid;
	void *addr, *data;
	int r;

	va_start(ap, request);
	pid = va_arg(ap, pid_t);
	addr = va_arg(ap, void *);
	data = va_arg(ap, void *);
	va_end(ap);

	if (table_ok && (uintptr_t)addr == NT_X86_XSTATE &&
	    (request == PTRACE_GETREGSET || request == PTRACE_SETREGSET)) {
		r = request == PTRACE_GETREGSET ? xstate_get(&table, pid, data)
						: xstate_set(&table, pid, data);
		if (r < 0) {
			errno = -r;
			return -1;
		}
		return 0;
	}
	if (!libc_ptrace) {
		errno = ENOSYS;
		return -1;
	}
	return libc_ptrace(request, pid, addr, data);
}
