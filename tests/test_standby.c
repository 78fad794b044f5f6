// SPDX-License-Identifier: MIT
/* The standby worker's session message: descriptors and text arrive whole; EOF and malformed
 * messages are told apart. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "pipeline/standby.h"
#include "tests/t.h"

static int same_file(int a, int b)
{
	struct stat sa, sb;

	return fstat(a, &sa) == 0 && fstat(b, &sb) == 0 && sa.st_dev == sb.st_dev && sa.st_ino == sb.st_ino;
}

static void session_round_trip(struct t *t)
{
	int sv[2], ns = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC), log = open("/dev/null", O_WRONLY | O_CLOEXEC);
	int rns = -1, rlog = -1;
	char server[64], name[32];

	T_ASSERT(t, ns >= 0 && log >= 0);
	T_ASSERT(t, socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) == 0);
	T_ASSERT(t, standby_send(sv[0], ns, log, "10.77.0.2:9090", "worker-3") == 0);
	T_ASSERT(t, standby_recv(sv[1], &rns, &rlog, server, sizeof(server), name, sizeof(name)) == 0);
	T_ASSERT(t, !strcmp(server, "10.77.0.2:9090") && !strcmp(name, "worker-3"));
	T_ASSERT(t, rns != ns && same_file(rns, ns) && same_file(rlog, log));
	T_ASSERT(t, fcntl(rns, F_GETFD) & FD_CLOEXEC);
	close(rns);
	close(rlog);
	/* names with spaces cannot be split again: refused at the sender */
	T_EQ_INT(t, standby_send(sv[0], ns, log, "10.77.0.2:9090", "a b"), -EINVAL);
	/* a message without descriptors is malformed */
	T_ASSERT(t, send(sv[0], "x y", 3, 0) == 3);
	T_EQ_INT(t, standby_recv(sv[1], &rns, &rlog, server, sizeof(server), name, sizeof(name)), -EBADMSG);
	/* a name longer than the receiver's buffer is malformed, not truncated */
	T_ASSERT(t, standby_send(sv[0], ns, log, "10.77.0.2:9090", "worker-1234567890") == 0);
	T_EQ_INT(t, standby_recv(sv[1], &rns, &rlog, server, sizeof(server), name, 8), -EBADMSG);
	close(sv[0]);
	T_EQ_INT(t, standby_recv(sv[1], &rns, &rlog, server, sizeof(server), name, sizeof(name)), -ENODATA);
	close(sv[1]);
	close(ns);
	close(log);
}

int main(int argc, char **argv)
{
	static const struct t_case cases[] = {
		T_CASE(session_round_trip),
		{ 0 }
	};

	return t_main(cases, argc, argv);
}
