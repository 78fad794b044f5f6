/* SPDX-License-Identifier: MIT */
/* Standby workers: a worker that has loaded and warmed its model waits on a Unix socket for a
 * session (a node's network namespace, a log, a server and a name), serves it, and waits
 * again, so that the trials of a run pay darknet's load and first inference once. */
#ifndef QOSLAB_STANDBY_H
#define QOSLAB_STANDBY_H
#include <stddef.h>

#define STANDBY_TEXT_MAX 192  /* "ADDR:PORT NAME" */
#define STANDBY_IDLE "idle"   /* the worker's word when it has loaded the model and after
				* each session: it takes the next one */

/*
 * Sends a session over sock (SOCK_SEQPACKET): ns_fd and log_fd travel as SCM_RIGHTS, the
 * server address and worker name as text. 0 or -errno (-EINVAL for text too long).
 */
int standby_send(int sock, int ns_fd, int log_fd, const char *server, const char *name);

/*
 * Receives one session: the two descriptors (the caller closes them) and the text split into
 * server and name. 0, -ENODATA at EOF (the pool is gone), -EBADMSG for a malformed message,
 * other -errno.
 */
int standby_recv(int sock, int *ret_ns_fd, int *ret_log_fd, char *server, size_t server_len,
		 char *name, size_t name_len);
#endif
