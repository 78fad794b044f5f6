/* SPDX-License-Identifier: MIT */
/* Opening files that others may have prepared (datasets, run directories) without blocking. */
#ifndef QOSLAB_REGFILE_H
#define QOSLAB_REGFILE_H
#include <stdio.h>

/*
 * Opens path read-only, only if it is a regular file: O_NONBLOCK so that a FIFO cannot make
 * the open wait for a writer, then fstat. Returns the fd (O_CLOEXEC, blocking again), or
 * -errno: -EINVAL for a FIFO, device, socket or directory.
 */
int regfile_open(const char *path);
/* The same as a stdio stream ("re"); NULL with errno set. */
FILE *regfile_fopen(const char *path);

/*
 * The whole of the regular file path (regfile_open), read to its end (kernel files such as
 * /proc and cgroup ones say size 0 and are read all the same), at most max bytes: -EFBIG
 * when there are more, so a hostile file costs at most max. *ret_buf (malloc'ed, the
 * caller frees) holds *ret_len bytes and a NUL after them, so text can be used as a
 * string (a NUL inside is the caller's to refuse). Returns 0 or -errno; outputs untouched
 * on failure.
 */
int regfile_read(const char *path, size_t max, char **ret_buf, size_t *ret_len);
#endif
