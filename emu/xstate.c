// SPDX-License-Identifier: MIT
/* Widening UML's NT_X86_XSTATE transfers to the host's XSAVE size (see emu/xstate.h). */
#include <cpuid.h>
#include <elf.h>
#include <errno.h>
#include <signal.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/ptrace.h>
#include <sys/wait.h>
#include <unistd.h>

#include "emu/xstate.h"

void xstate_layout_from_cpuid(struct xstate_layout *ret)
{
	unsigned int a, b, c, d;

	memset(ret, 0, sizeof(*ret));
	/* x87 and SSE live in the legacy area, at fixed places */
	ret->offset[0] = 0, ret->size[0] = 160;
	ret->offset[1] = 160, ret->size[1] = 256;
	if (__get_cpuid_max(0, NULL) < 0xd)
		return;
	for (unsigned int i = 2; i < 64; i++) {
		__cpuid_count(0xd, i, a, b, c, d);
		/* ECX bit 0: a supervisor component, never in a ptrace buffer */
		if (a == 0 || (c & 1))
			continue;
		ret->offset[i] = b;
		ret->size[i] = a;
	}
}

uint64_t xstate_mask_beyond(const struct xstate_layout *l, size_t len)
{
	uint64_t mask = 0;

	for (unsigned int i = 0; i < 64; i++)
		if (l->size[i] && (size_t)l->offset[i] + l->size[i] > len)
			mask |= 1ULL << i;
	return mask;
}

static void *map(size_t len)
{
	void *p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	return p == MAP_FAILED ? NULL : p;
}

int xstate_table_init(struct xstate_table *t, xstate_io_fn io, void *io_ctx,
		      const struct xstate_layout *layout, size_t min_size)
{
	memset(t, 0, sizeof(*t));
	if (min_size > XSTATE_MAX_BYTES)
		return -EINVAL;
	t->io = io;
	t->io_ctx = io_ctx;
	t->layout = *layout;
	t->min_size = min_size;
	t->scratch = map(XSTATE_MAX_BYTES);
	return t->scratch ? 0 : -ENOMEM;
}

void xstate_table_release(struct xstate_table *t)
{
	if (t->slots)
		munmap(t->slots, t->cap * t->entry_size);
	if (t->scratch)
		munmap(t->scratch, XSTATE_MAX_BYTES);
	memset(t, 0, sizeof(*t));
}

/* The host size: what a GET with a buffer larger than any XSAVE area fills. */
static int learn_host_size(struct xstate_table *t, pid_t pid)
{
	struct iovec iov = { t->scratch, XSTATE_MAX_BYTES };
	size_t size;
	int r = t->io(1, pid, &iov, t->io_ctx);

	if (r < 0)
		return r;
	if (iov.iov_len < XSTATE_BV_OFFSET + 64 || iov.iov_len > XSTATE_MAX_BYTES)
		return -EIO;
	size = iov.iov_len > t->min_size ? iov.iov_len : t->min_size;
	t->host_size = size;
	/* key in the first 64 bytes keeps every state buffer 64-byte aligned, as XSAVE wants */
	t->entry_size = 64 + ((size + 63) & ~(size_t)63);
	return 0;
}

int xstate_needs_widening(struct xstate_table *t, pid_t pid, size_t len)
{
	if (!t->host_size) {
		int r = learn_host_size(t, pid);

		if (r < 0)
			return r;
	}
	return len < t->host_size;
}

static uintptr_t *slot_key(const struct xstate_table *t, size_t i)
{
	return (uintptr_t *)(void *)(t->slots + i * t->entry_size);
}

static unsigned char *slot_state(const struct xstate_table *t, size_t i)
{
	return t->slots + i * t->entry_size + 64;
}

static size_t slot_hash(uintptr_t key, size_t cap)
{
	/* keys are kernel object addresses: the low bits carry little */
	return (size_t)(((uint64_t)key >> 4) * 0x9e3779b97f4a7c15ULL >> 20) & (cap - 1);
}

/* Index of key's slot, or of the free slot where it would go. */
static size_t slot_find(const struct xstate_table *t, uintptr_t key)
{
	size_t i = slot_hash(key, t->cap);

	while (*slot_key(t, i) && *slot_key(t, i) != key)
		i = (i + 1) & (t->cap - 1);
	return i;
}

/* Doubles the table (or maps the first one), rehashing what is there. */
static int grow(struct xstate_table *t)
{
	struct xstate_table old = *t;

	t->cap = old.cap ? old.cap * 2 : 64;
	t->slots = map(t->cap * t->entry_size);
	if (!t->slots) {
		*t = old;
		return -ENOMEM;
	}
	for (size_t i = 0; i < old.cap; i++) {
		uintptr_t k = *slot_key(&old, i);

		if (k)
			memcpy(t->slots + slot_find(t, k) * t->entry_size,
			       old.slots + i * old.entry_size, old.entry_size);
	}
	if (old.slots)
		munmap(old.slots, old.cap * old.entry_size);
	return 0;
}

/* The state buffer for key, added (init state: all zeros) when absent; *fresh says which. */
static int slot_get(struct xstate_table *t, uintptr_t key, unsigned char **ret, int *fresh)
{
	size_t i;

	if (!key)
		return -EFAULT;
	/* at most half full, so probes stay short */
	if (2 * (t->used + 1) > t->cap) {
		int r = grow(t);

		if (r < 0)
			return r;
	}
	i = slot_find(t, key);
	*fresh = *slot_key(t, i) == 0;
	if (*fresh) {
		*slot_key(t, i) = key;
		memset(slot_state(t, i), 0, t->host_size);
		t->used++;
	}
	*ret = slot_state(t, i);
	return 0;
}

int xstate_get(struct xstate_table *t, pid_t pid, struct iovec *iov)
{
	struct iovec full;
	unsigned char *state;
	int fresh, r = xstate_needs_widening(t, pid, iov->iov_len);

	if (r <= 0)
		return r < 0 ? r : t->io(1, pid, iov, t->io_ctx);
	r = slot_get(t, (uintptr_t)iov->iov_base, &state, &fresh);
	if (r < 0)
		return r;
	full.iov_base = state;
	full.iov_len = t->host_size;
	r = t->io(1, pid, &full, t->io_ctx);
	if (r < 0)
		return r;
	/* as the host does for a short buffer: its first bytes, iov_len unchanged */
	memcpy(iov->iov_base, state, iov->iov_len);
	return 0;
}

int xstate_set(struct xstate_table *t, pid_t pid, const struct iovec *iov)
{
	struct iovec full;
	unsigned char *state;
	int fresh, r = xstate_needs_widening(t, pid, iov->iov_len);

	if (r <= 0)
		return r < 0 ? r : t->io(0, pid, (struct iovec *)iov, t->io_ctx);
	if (iov->iov_len < XSTATE_BV_OFFSET + 8)
		return -EFAULT;
	r = slot_get(t, (uintptr_t)iov->iov_base, &state, &fresh);
	if (r < 0)
		return r;
	memcpy(state, iov->iov_base, iov->iov_len);
	if (fresh) {
		/* nothing known beyond UML's bytes: those components are in their init state */
		uint64_t bv;

		memcpy(&bv, state + XSTATE_BV_OFFSET, sizeof(bv));
		bv &= ~xstate_mask_beyond(&t->layout, iov->iov_len);
		memcpy(state + XSTATE_BV_OFFSET, &bv, sizeof(bv));
	}
	full.iov_base = state;
	full.iov_len = t->host_size;
	return t->io(0, pid, &full, t->io_ctx);
}

int xstate_host_size(size_t *ret_bytes)
{
	struct iovec iov;
	void *buf = map(XSTATE_MAX_BYTES);
	int status, r;
	pid_t pid;

	if (!buf)
		return -ENOMEM;
	pid = fork();
	if (pid < 0) {
		r = -errno;
		goto out;
	}
	if (pid == 0) {
		if (ptrace(PTRACE_TRACEME, 0, NULL, NULL) == 0)
			raise(SIGSTOP);
		_exit(0);
	}
	if (waitpid(pid, &status, 0) != pid || !WIFSTOPPED(status)) {
		r = -ECHILD;
		goto reap;
	}
	iov.iov_base = buf;
	iov.iov_len = XSTATE_MAX_BYTES;
	r = ptrace(PTRACE_GETREGSET, pid, (void *)NT_X86_XSTATE, &iov) < 0 ? -errno : 0;
	if (!r)
		*ret_bytes = iov.iov_len;
reap:
	kill(pid, SIGKILL);
	waitpid(pid, &status, 0);
out:
	munmap(buf, XSTATE_MAX_BYTES);
	return r;
}
