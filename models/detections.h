/* SPDX-License-Identifier: MIT */
/* The one JSON form of detections, written by the HTTP API and records, read by both. */
#ifndef QOSLAB_DETECTIONS_H
#define QOSLAB_DETECTIONS_H
#include <stddef.h>

#include <jansson.h>

#include "models/detector.h"

/*
 * A detection is {"class": int, "name": string, "conf": number, "box": [cx, cy, w, h]},
 * boxes relative to the image (0..1). One rounding rule for every writer: conf and box to 6
 * decimals (far below what a score or a normalized box can mean; a float printed at full
 * double precision is 17 digits of noise); non-finite values are written as 0. The API's
 * answers, the job store and records.jsonl carry the same text, and pipeline/web/job.js
 * reads the same fields.
 */

/* v rounded to 6 decimals; 0 for NaN and infinities. */
double detections_round(double v);

/* One detection as a new JSON object; NULL when out of memory. name may be NULL (""). */
json_t *detection_json_new(int cls, const char *name, double conf, const float box[4]);
/* A new JSON array of d[0..n-1]; NULL when out of memory. */
json_t *detections_json_new(const struct detection *d, size_t n);

/*
 * Reads a detections array (NULL or JSON null: none). Strict: class an integer in
 * [0, 1000000], conf a number (absent or null: 0), box 4 numbers, name a string or absent/null (""); a name
 * longer than DETECTION_NAME_MAX - 1 bytes is cut at a UTF-8 character boundary. *ret is
 * malloc'ed (NULL when *ret_n is 0). Returns 0, -EINVAL (naming nothing: the caller says
 * which file or answer), -ENOMEM; outputs untouched on failure.
 */
int detections_from_json(const json_t *arr, struct detection **ret, size_t *ret_n);
#endif
