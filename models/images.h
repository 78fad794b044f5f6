/* SPDX-License-Identifier: MIT */
/* The images of a dataset directory: one listing rule for client, detect and scenarios. */
#ifndef QOSLAB_IMAGES_H
#define QOSLAB_IMAGES_H
#include <stddef.h>

/*
 * The JPEG images of dir: of DIR/images/ when that is a directory (a dataset), else of DIR
 * itself. One rule: regular files (symbolic links followed) whose names end in .jpg or
 * .jpeg in any case; names starting with '.' are skipped (editor and macOS "._" files);
 * sorted by name (strcmp, so the order is the same on every host). *ret_paths: malloc'ed
 * "BASE/NAME" strings (images_free). Returns 0 (*ret_n may be 0: no images), -errno.
 */
int images_list(const char *dir, char ***ret_paths, size_t *ret_n);
void images_free(char **paths, size_t n);

/* 1 when name passes the rule's name part (.jpg/.jpeg, any case, no leading dot). */
int images_name_ok(const char *name);
#endif
