/* SPDX-License-Identifier: MIT */
/* Finds the shared data (models, datasets) a default run uses, wherever qoslab is started, and
 * qoslab's own helper files (OpenCV stand-ins, preload libraries) in the build tree or installed. */
#ifndef QOSLAB_LOCATE_H
#define QOSLAB_LOCATE_H

/* Model prefix used when --model is not given, inside the models directory. */
#define LOCATE_DEFAULT_MODEL "yolo-fastest-1.1-xl"
#define LOCATE_DEFAULT_DATASET "coco-val2017-64"

/*
 * The models directory: $QOSLAB_MODELS, else <dir of /proc/self/exe>/../../shared/models,
 * else ../shared/models relative to the cwd; the first that is a directory wins.
 * ret_dir is malloc'ed. -ENOENT when none is; ret_tried (may be NULL) then gets a malloc'ed
 * "a, b, c" list of the places looked at, for the error message (untouched on success).
 */
int locate_models_dir(char **ret_dir, char **ret_tried);
/* The default model prefix: <models dir>/LOCATE_DEFAULT_MODEL, with its .cfg present. */
int locate_default_model(char **ret_prefix, char **ret_tried);
/* The default dataset: $QOSLAB_DATASET (the dataset directory itself), else
 * .../shared/datasets/coco-val2017-64 searched as for the models. */
int locate_dataset_dir(char **ret_dir, char **ret_tried);

/* Where `make install` puts helper files, relative to the directory of the binary: PREFIX/bin
 * and PREFIX/lib/qoslab, so an installed tree can move (DESTDIR, another PREFIX). */
#define LOCATE_HELPER_DIR "../lib/qoslab"
/*
 * A helper file or directory of qoslab's own (e.g. "opencv-stub"): <dir of the binary>/NAME
 * (build/), <dir>/../NAME (build/tests/, build/bench/), then <dir>/LOCATE_HELPER_DIR/NAME
 * (installed). ret_path is malloc'ed and canonical; -ENOENT when none exists.
 */
int locate_helper(const char *name, char **ret_path);
#endif
