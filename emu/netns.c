// SPDX-License-Identifier: MIT
/* Named network namespaces without ip(8): unshare in this thread, bind-mount, switch back. */
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include "emu/netns.h"

int netns_enter(int ns_fd, int *ret_saved_fd)
{
	int saved = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);

	if (saved < 0)
		return -errno;
	if (setns(ns_fd, CLONE_NEWNET) < 0) {
		int r = -errno;

		close(saved);
		return r;
	}
	*ret_saved_fd = saved;
	return 0;
}

int netns_leave(int saved_fd)
{
	int r = setns(saved_fd, CLONE_NEWNET) < 0 ? -errno : 0;

	close(saved_fd);
	return r;
}

/* A namespace held only by its fd (no name under /run/netns): nothing of it outlives us. */
int netns_new_anonymous(int *ret_fd)
{
	int saved = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC), fd = -1, r = 0;

	if (saved < 0)
		return -errno;
	if (unshare(CLONE_NEWNET) < 0) {
		r = -errno;
		goto out;
	}
	fd = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		r = -errno;
	if (setns(saved, CLONE_NEWNET) < 0 && !r)
		r = -errno;
out:
	close(saved);
	if (r < 0 && fd >= 0)
		close(fd);
	if (!r)
		*ret_fd = fd;
	return r;
}

int netns_create(const char *name, int *ret_fd)
{
	char path[256];
	int saved = -1, fd = -1, r;

	if (snprintf(path, sizeof(path), NETNS_DIR "/%s", name) >= (int)sizeof(path))
		return -ENAMETOOLONG;
	if (mkdir(NETNS_DIR, 0755) < 0 && errno != EEXIST)
		return -errno;
	fd = open(path, O_RDONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	close(fd);
	fd = -1;

	saved = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
	if (saved < 0) {
		r = -errno;
		goto fail;
	}
	if (unshare(CLONE_NEWNET) < 0) {
		r = -errno;
		goto fail;
	}
	r = mount("/proc/thread-self/ns/net", path, "none", MS_BIND, NULL) < 0 ? -errno : 0;
	if (!r) {
		fd = open(path, O_RDONLY | O_CLOEXEC);
		if (fd < 0)
			r = -errno;
	}
	if (setns(saved, CLONE_NEWNET) < 0 && !r)
		r = -errno;
	if (r)
		goto fail;
	close(saved);
	*ret_fd = fd;
	return 0;
fail:
	if (fd >= 0)
		close(fd);
	if (saved >= 0)
		close(saved);
	umount2(path, MNT_DETACH);
	unlink(path);
	return r;
}

int netns_delete(const char *name)
{
	char path[256];

	if (snprintf(path, sizeof(path), NETNS_DIR "/%s", name) >= (int)sizeof(path))
		return -ENAMETOOLONG;
	if (umount2(path, MNT_DETACH) < 0 && errno != EINVAL && errno != ENOENT)
		return -errno;
	if (unlink(path) < 0)
		return -errno;
	return 0;
}

int netns_sysctl(const char *key, const char *value)
{
	char path[256];
	ssize_t len = (ssize_t)strlen(value);
	int fd, r = 0;

	snprintf(path, sizeof(path), "/proc/sys/%s", key);
	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	ssize_t n = write(fd, value, (size_t)len);

	if (n < 0)
		r = -errno;
	else if (n != len)
		r = -EIO;
	close(fd);
	return r;
}
