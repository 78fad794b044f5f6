// SPDX-License-Identifier: MIT
/* The standby worker's session message: two descriptors and one line of text. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "pipeline/standby.h"

int standby_send(int sock, int ns_fd, int log_fd, const char *server, const char *name)
{
	char text[STANDBY_TEXT_MAX], ctl[CMSG_SPACE(2 * sizeof(int))] = { 0 };
	int len = snprintf(text, sizeof(text), "%s %s", server, name);
	struct iovec iov = { text, (size_t)len };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = ctl,
			     .msg_controllen = sizeof(ctl) };
	struct cmsghdr *cm = CMSG_FIRSTHDR(&mh);
	int fds[2] = { ns_fd, log_fd };

	if (len < 0 || (size_t)len >= sizeof(text) || strchr(server, ' ') || strchr(name, ' '))
		return -EINVAL;
	cm->cmsg_level = SOL_SOCKET;
	cm->cmsg_type = SCM_RIGHTS;
	cm->cmsg_len = CMSG_LEN(sizeof(fds));
	memcpy(CMSG_DATA(cm), fds, sizeof(fds));
	return sendmsg(sock, &mh, MSG_NOSIGNAL) == len ? 0 : -errno;
}

int standby_recv(int sock, int *ret_ns_fd, int *ret_log_fd, char *server, size_t server_len,
		 char *name, size_t name_len)
{
	char text[STANDBY_TEXT_MAX + 1], ctl[CMSG_SPACE(2 * sizeof(int))];
	struct iovec iov = { text, sizeof(text) - 1 };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = ctl,
			     .msg_controllen = sizeof(ctl) };
	struct cmsghdr *cm;
	int fds[2] = { -1, -1 };
	ssize_t n;
	char *sp;

	n = recvmsg(sock, &mh, MSG_CMSG_CLOEXEC);
	if (n < 0)
		return -errno;
	if (n == 0)
		return -ENODATA;
	cm = CMSG_FIRSTHDR(&mh);
	if (cm && cm->cmsg_level == SOL_SOCKET && cm->cmsg_type == SCM_RIGHTS &&
	    cm->cmsg_len == CMSG_LEN(sizeof(fds)))
		memcpy(fds, CMSG_DATA(cm), sizeof(fds));
	text[n] = 0;
	sp = strchr(text, ' ');
	if (fds[0] < 0 || fds[1] < 0 || (mh.msg_flags & (MSG_TRUNC | MSG_CTRUNC)) || !sp ||
	    (size_t)(sp - text) >= server_len || strlen(sp + 1) >= name_len || !sp[1]) {
		if (fds[0] >= 0)
			close(fds[0]);
		if (fds[1] >= 0)
			close(fds[1]);
		return -EBADMSG;
	}
	*sp = 0;
	snprintf(server, server_len, "%s", text);
	snprintf(name, name_len, "%s", sp + 1);
	*ret_ns_fd = fds[0];
	*ret_log_fd = fds[1];
	return 0;
}
