/* SPDX-License-Identifier: MIT */
/* The owner file of a run (testbed state, UML job): the pid of the controller that made it,
 * so that `qoslab clean` can tell a live run from one whose controller died. */
#ifndef QOSLAB_OWNER_H
#define QOSLAB_OWNER_H

/* Writes this process's pid to path (created or truncated). */
int owner_write(const char *path);
/* 1 when path names a live process, 0 when it is missing, unreadable or its process is gone. */
int owner_alive(const char *path);
#endif
