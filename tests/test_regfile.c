// SPDX-License-Identifier: MIT
/* regfile: whole-file reads with a limit; FIFOs, directories refused without blocking. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "regfile.h"
#include "t.h"

static void read_whole(struct t *t)
{
	char dir[] = "/tmp/qoslab-test-regfile.XXXXXX", path[128], *buf = NULL;
	size_t len = 99;
	FILE *f;

	T_ASSERT(t, mkdtemp(dir) != NULL);
	snprintf(path, sizeof(path), "%s/a", dir);
	f = fopen(path, "w");
	T_ASSERT(t, f != NULL);
	fputs("hello\nworld", f);
	fclose(f);
	T_EQ_INT(t, regfile_read(path, 11, &buf, &len), 0);
	T_EQ_INT(t, len, 11);
	T_ASSERT(t, !strcmp(buf, "hello\nworld"));
	free(buf);
	buf = NULL;
	/* one byte over the limit */
	T_EQ_INT(t, regfile_read(path, 10, &buf, &len), -EFBIG);
	T_ASSERT(t, buf == NULL && len == 11);
	/* empty */
	f = fopen(path, "w");
	T_ASSERT(t, f != NULL);
	fclose(f);
	T_EQ_INT(t, regfile_read(path, 10, &buf, &len), 0);
	T_EQ_INT(t, len, 0);
	T_ASSERT(t, buf && buf[0] == '\0');
	free(buf);
	buf = NULL;
	/* a FIFO is refused at once, a directory too */
	unlink(path);
	T_ASSERT(t, mkfifo(path, 0600) == 0);
	T_EQ_INT(t, regfile_read(path, 10, &buf, &len), -EINVAL);
	T_EQ_INT(t, regfile_read(dir, 10, &buf, &len), -EISDIR);
	T_EQ_INT(t, regfile_read("/nonexistent/x", 10, &buf, &len), -ENOENT);
	T_ASSERT(t, buf == NULL);
	unlink(path);
	rmdir(dir);
}

/* Kernel files say size 0: read to EOF all the same, and the limit holds there too. */
static void kernel_files(struct t *t)
{
	char *buf = NULL;
	size_t len = 0;

	T_EQ_INT(t, regfile_read("/proc/self/status", 1 << 20, &buf, &len), 0);
	T_ASSERT(t, len > 100 && strstr(buf, "Pid:") != NULL);
	free(buf);
	buf = NULL;
	T_EQ_INT(t, regfile_read("/proc/self/status", 16, &buf, &len), -EFBIG);
	T_ASSERT(t, buf == NULL);
}

int main(int argc, char **argv)
{
	static const struct t_case cases[] = {
		T_CASE(read_whole), T_CASE(kernel_files), { NULL, NULL },
	};

	return t_main(cases, argc, argv);
}
