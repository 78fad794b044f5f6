/* SPDX-License-Identifier: MIT */
/* Job records: one JSON object per line, written by client and detect, read by accuracy. */
#ifndef QOSLAB_RECORD_H
#define QOSLAB_RECORD_H
#include <stdio.h>
#include "models/detector.h"

enum record_status { RECORD_OK, RECORD_TIMEOUT, RECORD_ERROR };

/*
 * Fields: job, image, status (ok|timeout|error), error (null when none), t_submit, t_done
 * (seconds, float, CLOCK_REALTIME), bytes, worker (null when none), attempts, width, height,
 * bytes_pre (JPEG size after preprocessing), t_decode_ms, t_pre_ms, t_infer_ms, mode
 * (sync: one POST answered with the result; async: 202, then polled; null when unknown),
 * detections[{class, name, conf, box:[cx,cy,w,h]}]. conf, box and the *_ms timings are
 * written with 6 decimals. Readers need only image and status; other fields default to 0/"".
 */
struct record {
	long job;
	char image[256];     /* file name without directory, e.g. 000000000139.jpg */
	enum record_status status;
	char error[128];
	double t_submit, t_done;
	size_t bytes;
	char worker[64];
	int attempts;
	char mode[8];        /* "sync", "async" or "" */
	struct detect_result res; /* dets owned by the record */
};

const char *record_status_name(enum record_status s);
int record_status_parse(const char *s, enum record_status *ret);

/* Writes one line, flushed. Returns 0 or -errno. */
int record_write(FILE *f, const struct record *r);
/* Reads all records of a file; ret_recs malloc'ed, free with records_free. 0 or -errno
 * (-EINVAL for a malformed line; ret_line tells which when not NULL). */
int records_read(const char *path, struct record **ret_recs, size_t *ret_n, int *ret_line);
void records_free(struct record *recs, size_t n);
#endif
