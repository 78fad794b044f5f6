// SPDX-License-Identifier: MIT
/* YOLO label files (darknet / ultralytics format). */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "regfile.h"
#include "models/labels.h"

int labels_read(const char *path, struct gt_box **ret_boxes, size_t *ret_n, int *ret_line)
{
	FILE *f = NULL;
	char *line = NULL;
	size_t cap = 0, n = 0;
	struct gt_box *boxes = NULL;
	int lineno = 0, r = 0;

	f = regfile_fopen(path);
	if (!f) {
		if (errno != ENOENT)
			return -errno;
		*ret_boxes = NULL;
		*ret_n = 0;
		return 0;
	}
	while (getline(&line, &cap, f) >= 0) {
		struct gt_box b, *tmp;
		char extra;

		lineno++;
		if (strspn(line, " \t\r\n") == strlen(line))
			continue;
		if (sscanf(line, "%d %f %f %f %f %c", &b.cls, &b.box[0], &b.box[1], &b.box[2],
			   &b.box[3], &extra) != 5 || b.cls < 0 || !isfinite(b.box[0]) ||
		    !isfinite(b.box[1]) || !(b.box[2] >= 0) || !(b.box[3] >= 0) ||
		    !isfinite(b.box[2]) || !isfinite(b.box[3])) {
			r = -EINVAL;
			goto out;
		}
		tmp = realloc(boxes, (n + 1) * sizeof(*boxes));
		if (!tmp) {
			r = -ENOMEM;
			goto out;
		}
		boxes = tmp;
		boxes[n++] = b;
	}
	if (ferror(f)) {
		r = -EIO;
		goto out;
	}
	*ret_boxes = boxes;
	*ret_n = n;
	boxes = NULL;
out:
	if (r < 0 && ret_line)
		*ret_line = lineno;
	free(boxes);
	free(line);
	fclose(f);
	return r;
}
