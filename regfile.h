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
#endif
