/* SPDX-License-Identifier: MIT */
/* A run's manifest: machine, packages, source revision, model and dataset with their hashes. */
#ifndef QOSLAB_MANIFEST_H
#define QOSLAB_MANIFEST_H

#include <jansson.h>

#include "scenarios/scenario.h"

#define MANIFEST_HEX_LEN 64 /* a SHA-256 in hex, without the NUL */

/*
 * SHA-256 of the files' contents one after the other (as `cat A B | sha256sum`), in hex.
 * Only regular files are read (opened without blocking, then checked), so a FIFO cannot
 * hang the run. 0 or -errno (-EINVAL for a file that is not regular).
 */
int manifest_hash_files(const char *const *paths, size_t n, char ret_hex[MANIFEST_HEX_LEN + 1]);

/*
 * SHA-256 of a directory tree, equal to
 * `cd DIR && find . -type f | LC_ALL=C sort | xargs sha256sum | sha256sum`: every regular file
 * below dir (symbolic links not followed) hashed, the "HEX  ./path" lines sorted bytewise.
 */
int manifest_hash_tree(const char *dir, char ret_hex[MANIFEST_HEX_LEN + 1]);

/*
 * Whether path (absolute, resolved) lies below root or is root; 0 for a root of NULL.
 */
int manifest_path_below(const char *path, const char *root);

/*
 * The manifest of a run of sc by the binary self (/proc/self/exe): kernel, machine, git
 * commit of the checkout self was built in, Debian package versions, the model and the
 * dataset with their SHA-256 and whether they lie outside the tree (the scenario file's
 * directory and the shared models/datasets directories). No shell is involved: files are
 * hashed here and other programs are executed with argument vectors. *ret_outside gets a
 * bit mask: 1 the model, 2 the dataset lie outside the tree. -ENOMEM or 0.
 */
int manifest_new(const struct scenario *sc, const char *self, json_t **ret, int *ret_outside);
#endif
