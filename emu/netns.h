/* SPDX-License-Identifier: MIT */
/* Named network namespaces (/run/netns/NAME, the place iproute2 looks) and switching into them. */
#ifndef QOSLAB_NETNS_H
#define QOSLAB_NETNS_H

#define NETNS_DIR "/run/netns"

/* Creates a new namespace bound at NETNS_DIR/name; the calling thread stays where it was.
 * ret_fd: O_CLOEXEC fd of the namespace. -EEXIST when the name is taken. */
int netns_create(const char *name, int *ret_fd);
/* A fresh namespace held only by ret_fd (O_CLOEXEC, no name under NETNS_DIR): nothing of it
 * outlives its last fd and process. The calling thread stays where it was. */
int netns_new_anonymous(int *ret_fd);
/* Unbinds and removes the name; the namespace dies with its last process and fd. */
int netns_delete(const char *name);

/* Moves the calling thread into ns_fd; ret_saved_fd is where it was (for netns_leave). */
int netns_enter(int ns_fd, int *ret_saved_fd);
/* Back to saved_fd, which is closed. */
int netns_leave(int saved_fd);

/* Writes a sysctl of the namespace the calling thread is in (e.g. "net/ipv6/conf/all/disable_ipv6"). */
int netns_sysctl(const char *key, const char *value);
#endif
