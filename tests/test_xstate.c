// SPDX-License-Identifier: MIT
/* The xstate widening of emu/xstate.c on any CPU: against a simulated AMX host (11008-byte
 * XSAVE area, SETREGSET refusing anything shorter, as Linux does) and against this host's
 * real ptrace with a transfer narrower than its XSAVE area (the same failure, smaller). */
#include <cpuid.h>
#include <elf.h>
#include <errno.h>
#include <signal.h>
#include <stdint.h>
#include <sys/ptrace.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <unistd.h>

#include "emu/uml.h"
#include "emu/xstate.h"
#include "t.h"

/* Sapphire Rapids (AVX-512 + AMX), standard format, as CPUID leaf 0xD reports it. */
static void amx_layout(struct xstate_layout *l)
{
	static const uint32_t comp[][3] = {
		{ 0, 0, 160 }, { 1, 160, 256 }, { 2, 576, 256 }, { 5, 1088, 64 },
		{ 6, 1152, 512 }, { 7, 1664, 1024 }, { 9, 2688, 8 }, { 17, 2752, 64 },
		{ 18, 2816, 8192 },
	};

	memset(l, 0, sizeof(*l));
	for (size_t i = 0; i < sizeof(comp) / sizeof(comp[0]); i++) {
		l->offset[comp[i][0]] = comp[i][1];
		l->size[comp[i][0]] = comp[i][2];
	}
}

#define AMX_BYTES 11008

/* One host process's registers, the way the host kernel treats a regset transfer. */
struct sim_host {
	unsigned char regs[AMX_BYTES];
	unsigned int gets, sets;
};

static int sim_io(int get, pid_t pid, struct iovec *iov, void *ctx)
{
	struct sim_host *h = ctx;

	(void)pid;
	if (get) {
		size_t n = iov->iov_len < AMX_BYTES ? iov->iov_len : AMX_BYTES;

		memcpy(iov->iov_base, h->regs, n);
		iov->iov_len = n;
		h->gets++;
		return 0;
	}
	/* arch/x86/kernel/fpu/regset.c: a whole XSAVE buffer or EFAULT (longer is clamped) */
	if (iov->iov_len < AMX_BYTES)
		return -EFAULT;
	memcpy(h->regs, iov->iov_base, AMX_BYTES);
	h->sets++;
	return 0;
}

static uint64_t bv_of(const unsigned char *buf)
{
	uint64_t bv;

	memcpy(&bv, buf + XSTATE_BV_OFFSET, sizeof(bv));
	return bv;
}

static void mask_beyond_amx(struct t *t)
{
	struct xstate_layout l;

	amx_layout(&l);
	/* UML 6.1's 2696 bytes end after PKRU: only the two AMX components lie beyond */
	T_EQ_INT(t, xstate_mask_beyond(&l, XSTATE_UML61_BYTES), (1ULL << 17) | (1ULL << 18));
	T_EQ_INT(t, xstate_mask_beyond(&l, AMX_BYTES), 0);
	/* 832 bytes: legacy + AVX; opmask, ZMM and the rest are beyond */
	T_EQ_INT(t, xstate_mask_beyond(&l, 832),
		 (1ULL << 5) | (1ULL << 6) | (1ULL << 7) | (1ULL << 9) | (1ULL << 17) | (1ULL << 18));
}

static void mask_beyond_this_cpu(struct t *t)
{
	struct xstate_layout l;
	uint32_t end = 0;

	xstate_layout_from_cpuid(&l);
	for (int i = 0; i < 64; i++)
		if (l.size[i] && l.offset[i] + l.size[i] > end)
			end = l.offset[i] + l.size[i];
	T_ASSERT(t, end >= 416);
	T_EQ_INT(t, xstate_mask_beyond(&l, end), 0);
	T_ASSERT(t, xstate_mask_beyond(&l, 512) != 0 || end <= 512);
}

/* Without widening, UML's transfer fails on the simulated host exactly as it does on AMX. */
static void sim_host_refuses_uml_size(struct t *t)
{
	static struct sim_host h;
	static unsigned char buf[XSTATE_UML61_BYTES];
	struct iovec iov = { buf, sizeof(buf) };

	T_EQ_INT(t, sim_io(0, 1, &iov, &h), -EFAULT);
}

static void sim_learns_size_and_passes_full_buffers_through(struct t *t)
{
	static struct sim_host h;
	static unsigned char full[AMX_BYTES];
	struct xstate_table tab;
	struct xstate_layout l;
	struct iovec iov = { full, sizeof(full) };

	amx_layout(&l);
	T_EQ_INT(t, xstate_table_init(&tab, sim_io, &h, &l, 0), 0);
	T_EQ_INT(t, xstate_needs_widening(&tab, 1, XSTATE_UML61_BYTES), 1);
	T_EQ_INT(t, tab.host_size, AMX_BYTES);
	T_EQ_INT(t, xstate_needs_widening(&tab, 1, AMX_BYTES), 0);
	T_EQ_INT(t, xstate_set(&tab, 1, &iov), 0);
	T_EQ_INT(t, tab.used, 0); /* a full transfer needs no side buffer */
	xstate_table_release(&tab);
}

/*
 * UML's pattern for two guest tasks A and B run by one host process: SET a task's state
 * before it runs, GET it after. Task A uses AMX tiles (beyond UML's view); B never did.
 */
static void sim_tasks_keep_their_own_state(struct t *t)
{
	static struct sim_host h;
	static unsigned char a[XSTATE_UML61_BYTES], b[XSTATE_UML61_BYTES];
	struct iovec ia = { a, sizeof(a) }, ib = { b, sizeof(b) };
	struct xstate_table tab;
	struct xstate_layout l;
	uint64_t bv;

	amx_layout(&l);
	T_EQ_INT(t, xstate_table_init(&tab, sim_io, &h, &l, 0), 0);

	/* A ran and left tile data and XMM state in the host process */
	memset(h.regs + 160, 0xa1, 256);
	memset(h.regs + 2816, 0x7e, 8192);
	bv = 0x3 | (1ULL << 17) | (1ULL << 18);
	memcpy(h.regs + XSTATE_BV_OFFSET, &bv, sizeof(bv));
	T_EQ_INT(t, xstate_get(&tab, 10, &ia), 0);
	T_EQ_INT(t, ia.iov_len, XSTATE_UML61_BYTES);
	T_ASSERT(t, a[160] == 0xa1 && a[160 + 255] == 0xa1);

	/* B, new to the table (a fork's copy of A's buffer): beyond UML's view is init state */
	memcpy(b, a, sizeof(b));
	memset(b + 160, 0xb2, 256);
	T_EQ_INT(t, xstate_set(&tab, 10, &ib), 0);
	T_EQ_INT(t, h.regs[160], 0xb2);
	T_EQ_INT(t, h.regs[2816], 0);
	T_EQ_INT(t, h.regs[2816 + 8191], 0);
	T_EQ_INT(t, bv_of(h.regs) & ((1ULL << 17) | (1ULL << 18)), 0);
	T_EQ_INT(t, bv_of(h.regs) & 0x3, 0x3);
	T_EQ_INT(t, xstate_get(&tab, 10, &ib), 0);

	/* A again: its XMM state from UML's buffer and its tiles from the side table */
	T_EQ_INT(t, xstate_set(&tab, 10, &ia), 0);
	T_EQ_INT(t, h.regs[160], 0xa1);
	T_EQ_INT(t, h.regs[2816], 0x7e);
	T_EQ_INT(t, h.regs[2816 + 8191], 0x7e);
	T_EQ_INT(t, bv_of(h.regs) & (1ULL << 18), 1ULL << 18);
	T_EQ_INT(t, tab.used, 2);
	xstate_table_release(&tab);
}

/* Many tasks: the table grows, and each keeps its own bytes. */
static void sim_table_grows(struct t *t)
{
	static struct sim_host h;
	static unsigned char bufs[300][XSTATE_UML61_BYTES];
	struct xstate_table tab;
	struct xstate_layout l;

	amx_layout(&l);
	T_EQ_INT(t, xstate_table_init(&tab, sim_io, &h, &l, 0), 0);
	for (int i = 0; i < 300; i++) {
		struct iovec iov = { bufs[i], XSTATE_UML61_BYTES };

		memset(h.regs + 2816, i & 0xff, 8192); /* task i's tiles */
		T_EQ_INT(t, xstate_get(&tab, 10, &iov), 0);
	}
	T_EQ_INT(t, tab.used, 300);
	T_ASSERT(t, tab.cap >= 600);
	for (int i = 299; i >= 0; i--) {
		struct iovec iov = { bufs[i], XSTATE_UML61_BYTES };

		T_EQ_INT(t, xstate_set(&tab, 10, &iov), 0);
		T_ASSERTF(t, h.regs[2816 + 100] == (i & 0xff), "task %d got tiles of %d", i,
			  h.regs[2816 + 100]);
	}
	xstate_table_release(&tab);
}

/* ---- the real kernel: a transfer narrower than this CPU's XSAVE area ---- */

static int real_io(int get, pid_t pid, struct iovec *iov, void *ctx)
{
	(void)ctx;
	if (syscall(SYS_ptrace, get ? PTRACE_GETREGSET : PTRACE_SETREGSET, pid,
		    (void *)NT_X86_XSTATE, iov) < 0)
		return -errno;
	return 0;
}

static int has_avx(void)
{
	unsigned int a, b, c, d;

	if (!__get_cpuid(1, &a, &b, &c, &d) || !(c & bit_OSXSAVE) || !(c & bit_AVX))
		return 0;
	__asm__ volatile("xgetbv" : "=a"(a), "=d"(d) : "c"(0));
	return (a & 6) == 6;
}

/*
 * The tracee: ymm15 = 0x5a.. (AVX, beyond the first 576 bytes), xmm0 = 0x11.., then SIGSTOP
 * by a raw syscall (no libc code between), then it stores both and exits 0 if xmm0 is what the
 * tracer wrote (0xee..) and ymm15's upper half survived the narrow SET.
 */
__attribute__((target("avx"))) static void tracee(void)
{
	unsigned char in0[16], in15[32], out0[16], out15[32];
	long nr = SYS_kill, pid = getpid(), sig = SIGSTOP;

	memset(in0, 0x11, sizeof(in0));
	memset(in15, 0x5a, sizeof(in15));
	__asm__ volatile(
		"vmovdqu (%[i15]), %%ymm15\n\t"
		"movdqu (%[i0]), %%xmm0\n\t"
		"syscall\n\t"
		"vmovdqu %%ymm15, (%[o15])\n\t"
		"movdqu %%xmm0, (%[o0])\n\t"
		: "+a"(nr)
		: "D"(pid), "S"(sig), [i0] "r"(in0), [i15] "r"(in15), [o0] "r"(out0), [o15] "r"(out15)
		: "rcx", "r11", "memory", "xmm0", "xmm15");
	for (int i = 0; i < 16; i++)
		if (out0[i] != 0xee)
			_exit(1);
	for (int i = 0; i < 32; i++)
		if (out15[i] != 0x5a)
			_exit(2);
	_exit(0);
}

static void real_narrow_transfer_widened(struct t *t)
{
	static unsigned char narrow[576];
	struct iovec iov = { narrow, sizeof(narrow) };
	struct xstate_table tab;
	struct xstate_layout l;
	size_t host = 0;
	int status;
	pid_t pid;

	if (!has_avx())
		T_SKIP(t, "no AVX: nothing lies beyond the legacy area to lose");
	T_EQ_INT(t, xstate_host_size(&host), 0);
	T_ASSERT(t, host > sizeof(narrow));
	pid = fork();
	T_ASSERT(t, pid >= 0);
	if (pid == 0) {
		if (ptrace(PTRACE_TRACEME, 0, NULL, NULL) < 0)
			_exit(3);
		tracee();
	}
	T_ASSERT(t, waitpid(pid, &status, 0) == pid && WIFSTOPPED(status));

	/* what UML 6.1 does on an AMX host, here: a SET shorter than the host's area fails */
	T_EQ_INT(t, real_io(0, pid, &iov, NULL), -EFAULT);

	xstate_layout_from_cpuid(&l);
	T_EQ_INT(t, xstate_table_init(&tab, real_io, NULL, &l, 0), 0);
	T_EQ_INT(t, xstate_get(&tab, pid, &iov), 0);
	T_EQ_INT(t, tab.host_size, host);
	T_EQ_INT(t, narrow[160], 0x11); /* xmm0 */
	memset(narrow + 160, 0xee, 16);
	T_EQ_INT(t, xstate_set(&tab, pid, &iov), 0);
	xstate_table_release(&tab);

	T_ASSERT(t, ptrace(PTRACE_CONT, pid, NULL, NULL) == 0);
	T_ASSERT(t, waitpid(pid, &status, 0) == pid);
	T_ASSERTF(t, WIFEXITED(status) && WEXITSTATUS(status) == 0,
		  "tracee: %s", WIFEXITED(status) && WEXITSTATUS(status) == 2 ?
		  "ymm15's upper half was lost" : "xmm0 is not what the tracer set");
}

/* uml_run's choice: the preload exactly where this host's XSAVE area exceeds UML 6.1's. */
static void preload_decision(struct t *t)
{
	char self[4096], path[4200];
	ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 64);
	size_t host = 0;
	int r;

	T_ASSERT(t, n > 0);
	self[n] = 0;
	strcpy(strrchr(self, '/'), "/../qoslab"); /* build/tests/.. holds qoslab and the preload */
	unsetenv("QOSLAB_XSTATE_MIN_BYTES");
	r = uml_xstate_preload(self, path, sizeof(path), &host);
	T_ASSERT(t, host > 0);
	T_EQ_INT(t, r, host > XSTATE_UML61_BYTES ? 1 : 0);
	setenv("QOSLAB_XSTATE_MIN_BYTES", "11008", 1);
	r = uml_xstate_preload(self, path, sizeof(path), NULL);
	unsetenv("QOSLAB_XSTATE_MIN_BYTES");
	T_EQ_INT(t, r, 1);
	T_ASSERT(t, strstr(path, "libqoslab-xstate.so"));
	fprintf(stderr, "  this host: XSAVE %zu bytes, preload %s\n", host,
		host > XSTATE_UML61_BYTES ? "needed" : "not needed");
}

int main(int argc, char **argv)
{
	static const struct t_case cases[] = {
		T_CASE(mask_beyond_amx),
		T_CASE(mask_beyond_this_cpu),
		T_CASE(sim_host_refuses_uml_size),
		T_CASE(sim_learns_size_and_passes_full_buffers_through),
		T_CASE(sim_tasks_keep_their_own_state),
		T_CASE(sim_table_grows),
		T_CASE(real_narrow_transfer_widened),
		T_CASE(preload_decision),
		{ 0 },
	};

	return t_main(cases, argc, argv);
}
