/* SPDX-License-Identifier: MIT */
/* Ground truth in YOLO text format: one "class cx cy w h" line per object, normalized. */
#ifndef QOSLAB_LABELS_H
#define QOSLAB_LABELS_H
#include <stddef.h>

struct gt_box {
	int cls;
	float box[4]; /* cx, cy, w, h */
};

/* Reads one label file. A missing file means no objects (0 boxes, *ret_boxes NULL).
 * 0, -EINVAL (malformed line; ret_line tells which when not NULL), -errno. */
int labels_read(const char *path, struct gt_box **ret_boxes, size_t *ret_n, int *ret_line);
#endif
