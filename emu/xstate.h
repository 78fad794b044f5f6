/* SPDX-License-Identifier: MIT */
/*
 * Widening UML's x86 extended-state (XSAVE) transfers to the size the host kernel wants.
 *
 * UML saves and restores each guest task's FPU/vector registers with PTRACE_GETREGSET and
 * PTRACE_SETREGSET of NT_X86_XSTATE on the host process that runs the task. Linux 6.1's UML
 * passes a fixed 2696-byte buffer (arch/x86/um/user-offsets.c); the host's SETREGSET refuses
 * (EFAULT) any length short of its full XSAVE size, which is 11008 bytes on a CPU with AMX
 * tiles. So UML panics at the first exec there ("ptrace set fp regs failed, errno = 14").
 *
 * The fix sits between UML and the host: a GET or SET shorter than the host size is done at
 * the host size through a per-task buffer kept in a side table, keyed by the address of the
 * buffer UML passes (one per guest task, in its thread struct). A GET fills the side buffer
 * and hands UML its first bytes; a SET overlays UML's bytes on the side buffer (so whatever
 * state lies beyond UML's view, e.g. AMX tiles, round-trips unchanged) and sends it whole.
 * A task the table has not seen yet (a fork copies UML's buffer, not ours) gets the init
 * state for every component beyond UML's view.
 *
 * This module holds that logic with the transfer itself as a function pointer, so that a
 * test can stand in a host of any XSAVE size; emu/xstate_preload.c wires it to the raw
 * ptrace syscall inside linux.uml. Nothing here allocates with malloc or uses much stack:
 * UML calls ptrace on its own small kernel stacks.
 */
#ifndef QOSLAB_XSTATE_H
#define QOSLAB_XSTATE_H
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <sys/uio.h>

/* The length UML 6.1 passes, Debian's and qoslab's own build alike. */
#define XSTATE_UML61_BYTES 2696
/* Offset of the XSAVE header's XSTATE_BV (which components hold non-init state). */
#define XSTATE_BV_OFFSET 512
/* Larger than any XSAVE area of today's CPUs (11008 with AMX); a sanity bound. */
#define XSTATE_MAX_BYTES 65536

/* Where each user state component lives in the standard (non-compacted) XSAVE layout. */
struct xstate_layout {
	uint32_t offset[64];
	uint32_t size[64]; /* 0: component not present */
};

/* The running CPU's layout, from CPUID leaf 0xD (user components only). */
void xstate_layout_from_cpuid(struct xstate_layout *ret);
/* XSTATE_BV bits of the components that do not fit entirely in the first len bytes. */
uint64_t xstate_mask_beyond(const struct xstate_layout *l, size_t len);

/* One GETREGSET (get = 1) or SETREGSET of NT_X86_XSTATE; 0 or -errno. For a GET, iov_len
 * comes back as the number of bytes the host filled. */
typedef int (*xstate_io_fn)(int get, pid_t pid, struct iovec *iov, void *ctx);

struct xstate_table {
	xstate_io_fn io;
	void *io_ctx;
	struct xstate_layout layout;
	size_t host_size;   /* bytes; 0 until learned from the first transfer */
	size_t min_size;    /* widen to at least this many bytes (tests); 0: the host's */
	size_t entry_size;  /* bytes per slot: key + state, rounded to 64 */
	size_t cap, used;   /* slots (a power of two) and slots in use */
	unsigned char *slots;
	unsigned char *scratch; /* XSTATE_MAX_BYTES for learning the host size */
};

/*
 * Prepares t (maps its scratch buffer; the slots are mapped on first use). io does the
 * real transfers. min_size > 0 widens every shorter transfer to at least that many bytes
 * even where the host would take fewer: tests use it to run the widening path on any CPU.
 */
int xstate_table_init(struct xstate_table *t, xstate_io_fn io, void *io_ctx,
		      const struct xstate_layout *layout, size_t min_size);
void xstate_table_release(struct xstate_table *t);

/* Whether a transfer of len bytes must be widened (learning the host size from pid first). */
int xstate_needs_widening(struct xstate_table *t, pid_t pid, size_t len);

/* PTRACE_GETREGSET / SETREGSET of NT_X86_XSTATE for pid through the side table. */
int xstate_get(struct xstate_table *t, pid_t pid, struct iovec *iov);
int xstate_set(struct xstate_table *t, pid_t pid, const struct iovec *iov);

/*
 * The host kernel's NT_X86_XSTATE size, measured with a stopped child: what a GETREGSET
 * with a large buffer fills. Used on the host to decide whether UML needs the preload.
 */
int xstate_host_size(size_t *ret_bytes);
#endif
