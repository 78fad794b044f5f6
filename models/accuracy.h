/* SPDX-License-Identifier: MIT */
/* Detection accuracy: precision, recall, F1 at a confidence threshold; mAP@0.5. */
#ifndef QOSLAB_ACCURACY_H
#define QOSLAB_ACCURACY_H
#include <stddef.h>

#include "models/detector.h"
#include "models/labels.h"
#include "models/record.h"

#define ACCURACY_IOU 0.5
#define ACCURACY_CONF_DEFAULT 0.25

/* One image: its ground truth and what the detector said (nothing when lost or failed). */
struct accuracy_image {
	const struct gt_box *gt;
	size_t n_gt;
	const struct detection *dets;
	size_t n_dets;
};

struct accuracy_class {
	int cls;
	char name[DETECTION_NAME_MAX]; /* from the records' detections; "" if none seen */
	long n_gt;          /* ground-truth objects */
	long tp, fp, fn;    /* at the confidence threshold */
	double precision, recall, f1;
	double ap;          /* AP@0.5 over all detections; 0 when n_gt == 0 */
	double mean_tp_conf; /* mean confidence of the true positives at the threshold */
};

struct accuracy {
	double conf;        /* the threshold P/R/F1 were computed at */
	long n_images;      /* images evaluated: label files plus unlabelled records */
	long n_missing;     /* label files without a record (counted all-missed) */
	long n_failed;      /* images whose record is timeout/error (counted all-missed) */
	long n_unlabelled;  /* records whose image has no label file (no objects assumed) */
	long n_gt, tp, fp, fn;
	double precision, recall, f1; /* micro-averaged over all classes */
	double map50;       /* mean AP over the classes with ground truth */
	int n_ap_classes;   /* classes in that mean */
	double mean_tp_conf;
	struct accuracy_class *classes; /* classes with ground truth or detections, by id */
	size_t n_classes;
};

/*
 * Greedy matching per image and class: detections by descending confidence, each taking the
 * unmatched ground-truth box of highest IoU if that IoU >= 0.5 (COCO's rule); each ground
 * truth is matched once. AP is the all-point interpolated area under the precision/recall
 * curve of all detections given. P/R/F1 count detections with conf >= conf.
 * ret is malloc'ed (accuracy_free). 0, -EINVAL, -ENOMEM.
 */
int accuracy_compute(const struct accuracy_image *imgs, size_t n, double conf,
		     struct accuracy **ret);
void accuracy_free(struct accuracy *a);

/*
 * Records against a label directory (DIR/<stem>.txt per image; DIR/labels is used if it
 * exists). Every label file is an image: one without an ok record counts as all-missed
 * (n_missing, or n_failed when its record is timeout/error). When an image has several
 * records, the first ok one is used. On -EINVAL for a malformed label file, ret_bad (may be
 * NULL) gets its malloc'ed path.
 */
int accuracy_evaluate(const char *labels_dir, const struct record *recs, size_t n_recs,
		      double conf, struct accuracy **ret, char **ret_bad);
#endif
