/* SPDX-License-Identifier: MIT */
/* Object detector: darknet (Debian libdarknet) behind a small, owned API. */
#ifndef QOSLAB_DETECTOR_H
#define QOSLAB_DETECTOR_H
#include <stddef.h>
#include <stdint.h>

#include "models/jpeg.h" /* struct preprocess */

struct detector;

/* Confidence threshold to record detections at when mAP is computed later, and the usual
 * operating threshold for precision/recall. */
#define DETECT_THRESH_MAP 0.005f
#define DETECT_THRESH_DEFAULT 0.25f
#define DETECT_NMS 0.45f

#define DETECTION_NAME_MAX 32

/* One detection; box is normalized to the image: centre x/y, width, height (darknet may put
 * an edge a little outside [0,1]; values are not clipped). */
struct detection {
	int cls;
	char name[DETECTION_NAME_MAX]; /* class name, "" if unknown; owned inline */
	float conf;
	float box[4];     /* cx, cy, w, h */
};

struct detect_result {
	struct detection *dets; /* malloc'ed array, n entries */
	size_t n;
	int width, height;        /* decoded size (before preprocessing) */
	size_t bytes_in, bytes_pre; /* JPEG size before and after preprocessing */
	double t_decode_ms, t_pre_ms, t_infer_ms;
};

/*
 * Loads PREFIX.cfg and PREFIX.weights; class names from PREFIX.names, else coco.names in
 * the same directory. Returns 0 or -errno (-ENOENT when a file is missing, -EINVAL when the
 * network has no detection layer). darknet's layer table (stderr) is suppressed.
 * A detector is not thread-safe (darknet keeps per-network buffers): one per thread.
 */
int detector_new(const char *prefix, struct detector **ret);
void detector_free(struct detector *d);

/* Network input scaling: plain resize (default, measured better here) or letterbox. */
void detector_set_letterbox(struct detector *d, int letterbox);
int detector_classes(const struct detector *d);
/* Class name of cls, "" when out of range. */
const char *detector_class_name(const struct detector *d, int cls);

/* Decode, preprocess, infer. thresh: confidence threshold in [0,1) (0.005 for mAP, 0.25 for P/R).
 * One detection per (box, class) with confidence > thresh after NMS 0.45, in darknet's order.
 * Returns 0, -EINVAL for undecodable input, -E2BIG above max_pixels, -ENOMEM.
 * On failure ret is left cleared (nothing to free) except bytes_in/width/height if known. */
int detector_run_jpeg(struct detector *d, const void *jpeg, size_t len,
		      const struct preprocess *pp, float thresh, struct detect_result *ret);
void detect_result_clear(struct detect_result *r);
#endif
