/* SPDX-License-Identifier: MIT */
/* Object detector: darknet (Debian libdarknet) behind a small, owned API. */
#ifndef QOSLAB_DETECTOR_H
#define QOSLAB_DETECTOR_H
#include <stddef.h>
#include <stdint.h>

struct detector;

/* One detection; box is normalized to the image: centre x/y, width, height in [0,1]. */
struct detection {
	int cls;
	const char *name; /* owned by the detector, valid while it lives */
	float conf;
	float box[4];     /* cx, cy, w, h */
};

/* Preprocessing applied to the decoded image before inference (seed 002). */
struct preprocess {
	int grayscale;    /* 1: convert to gray before re-encode/resize */
	int quality;      /* 1..100: JPEG re-encode at this quality; 0: none */
	int resize_pct;   /* 1..100: scale to this % of each side; 0 or 100: none */
	uint64_t max_pixels; /* reject images larger than this (w*h); 0: default 64 Mpx */
};

struct detect_result {
	struct detection *dets; /* malloc'ed array, n entries */
	size_t n;
	int width, height;        /* decoded size */
	size_t bytes_in, bytes_pre; /* JPEG size before and after preprocessing */
	double t_decode_ms, t_pre_ms, t_infer_ms;
};

/*
 * Loads PREFIX.cfg and PREFIX.weights; class names from PREFIX.names, else coco.names in
 * the same directory. Returns 0 or -errno (-ENOENT when a file is missing).
 */
int detector_new(const char *prefix, struct detector **ret);
void detector_free(struct detector *d);

/* Decode, preprocess, infer. thresh: confidence threshold (0.005 for mAP, 0.25 for P/R).
 * Returns 0, -EINVAL for undecodable input, -E2BIG above max_pixels. */
int detector_run_jpeg(struct detector *d, const void *jpeg, size_t len,
		      const struct preprocess *pp, float thresh, struct detect_result *ret);
void detect_result_clear(struct detect_result *r);
#endif
