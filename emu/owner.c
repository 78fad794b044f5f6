// SPDX-License-Identifier: MIT
/* Owner files: a run's controller pid (see emu/owner.h). */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "emu/owner.h"

int owner_write(const char *path)
{
	char buf[32];
	int len = snprintf(buf, sizeof(buf), "%d\n", (int)getpid()), r = 0;
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);

	if (fd < 0)
		return -errno;
	if (write(fd, buf, (size_t)len) != len)
		r = -EIO;
	if (close(fd) < 0 && !r)
		r = -errno;
	return r;
}

int owner_alive(const char *path)
{
	char buf[32] = "";
	FILE *f = fopen(path, "re");
	int pid;

	if (!f)
		return 0;
	if (!fgets(buf, sizeof(buf), f))
		buf[0] = 0;
	fclose(f);
	pid = atoi(buf);
	/* EPERM: alive, someone else's */
	return pid > 0 && (kill(pid, 0) == 0 || errno == EPERM);
}
