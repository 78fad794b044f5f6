// SPDX-License-Identifier: MIT
/* The one image-directory rule: .jpg/.jpeg any case, regular files, no dot-files, sorted. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "models/images.h"
#include "t.h"

static int touch(const char *dir, const char *name)
{
	char p[256];
	int fd;

	snprintf(p, sizeof(p), "%s/%s", dir, name);
	fd = open(p, O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
	if (fd < 0)
		return -errno;
	close(fd);
	return 0;
}

static void listing(struct t *t)
{
	static const char *const files[] = { "b.jpg", "A.JPEG", "c.Jpg", ".hidden.jpg", "._a.jpg",
					     "d.png", "e.jpg.txt", "jpg", "f.jpeg" };
	static const char *const want[] = { "A.JPEG", "b.jpg", "c.Jpg", "f.jpeg", "link.jpg" };
	char dir[] = "/tmp/qoslab-test-images.XXXXXX", p[256], q[256], **paths = NULL;
	size_t n = 0;

	T_ASSERT(t, mkdtemp(dir) != NULL);
	for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++)
		T_ASSERT(t, touch(dir, files[i]) == 0);
	snprintf(p, sizeof(p), "%s/dir.jpg", dir);
	T_ASSERT(t, mkdir(p, 0755) == 0);   /* a directory, not an image */
	snprintf(p, sizeof(p), "%s/fifo.jpg", dir);
	T_ASSERT(t, mkfifo(p, 0600) == 0);  /* nor a FIFO */
	snprintf(p, sizeof(p), "%s/link.jpg", dir);
	T_ASSERT(t, symlink("b.jpg", p) == 0); /* a link to a regular file is one */
	snprintf(p, sizeof(p), "%s/dangling.jpg", dir);
	T_ASSERT(t, symlink("nowhere.jpg", p) == 0);

	T_EQ_INT(t, images_list(dir, &paths, &n), 0);
	T_EQ_INT(t, n, 5);
	for (size_t i = 0; i < n; i++) {
		snprintf(q, sizeof(q), "%s/%s", dir, want[i]);
		T_ASSERTF(t, !strcmp(paths[i], q), "%zu: %s, expected %s", i, paths[i], q);
	}
	images_free(paths, n);

	/* DIR/images/ wins over DIR's own files; empty is 0 images, not an error */
	snprintf(p, sizeof(p), "%s/images", dir);
	T_ASSERT(t, mkdir(p, 0755) == 0);
	paths = NULL;
	T_EQ_INT(t, images_list(dir, &paths, &n), 0);
	T_EQ_INT(t, n, 0);
	images_free(paths, n);
	T_ASSERT(t, touch(p, "z.jpg") == 0);
	T_EQ_INT(t, images_list(dir, &paths, &n), 0);
	T_EQ_INT(t, n, 1);
	snprintf(q, sizeof(q), "%s/images/z.jpg", dir);
	T_ASSERT(t, !strcmp(paths[0], q));
	images_free(paths, n);

	T_EQ_INT(t, images_list("/nonexistent-qoslab", &paths, &n), -ENOENT);
	T_ASSERT(t, images_name_ok("x.JPG") && !images_name_ok(".x.jpg") && !images_name_ok("x.jp"));
	{
		char cmd[300];

		snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
		T_ASSERT(t, system(cmd) == 0);
	}
}

int main(int argc, char **argv)
{
	static const struct t_case cases[] = { T_CASE(listing), { NULL, NULL } };

	return t_main(cases, argc, argv);
}
