// SPDX-License-Identifier: MIT
/* Accuracy metrics against hand-computed cases. */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "models/accuracy.h"
#include "t.h"

#define NEAR(a, b) (fabs((a) - (b)) < 1e-9)
#define T_NEAR(t, a, b) T_ASSERTF(t, NEAR(a, b), "%s = %.12f, expected %.12f", #a, (double)(a), (double)(b))

static struct detection det(int cls, float conf, float cx, float cy, float w, float h)
{
	return (struct detection){ .cls = cls, .conf = conf, .box = { cx, cy, w, h } };
}

static const struct accuracy_class *class_of(const struct accuracy *a, int cls)
{
	for (size_t i = 0; i < a->n_classes; i++)
		if (a->classes[i].cls == cls)
			return &a->classes[i];
	return NULL;
}

/* Detections equal to the ground truth: every figure is 1. */
static void perfect(struct t *t)
{
	struct gt_box gt1[] = { { 0, { 0.3f, 0.3f, 0.2f, 0.2f } }, { 2, { 0.7f, 0.6f, 0.3f, 0.4f } } };
	struct gt_box gt2[] = { { 0, { 0.5f, 0.5f, 0.9f, 0.9f } } };
	struct detection d1[] = { det(0, 0.9f, 0.3f, 0.3f, 0.2f, 0.2f), det(2, 0.8f, 0.7f, 0.6f, 0.3f, 0.4f) };
	struct detection d2[] = { det(0, 0.7f, 0.5f, 0.5f, 0.9f, 0.9f) };
	struct accuracy_image imgs[] = { { gt1, 2, d1, 2 }, { gt2, 1, d2, 1 } };
	struct accuracy *a = NULL;

	T_EQ_INT(t, accuracy_compute(imgs, 2, 0.25, &a), 0);
	T_NEAR(t, a->map50, 1.0);
	T_NEAR(t, a->precision, 1.0);
	T_NEAR(t, a->recall, 1.0);
	T_NEAR(t, a->f1, 1.0);
	T_EQ_INT(t, a->n_ap_classes, 2);
	T_EQ_INT(t, a->tp, 3);
	T_ASSERT(t, fabs(a->mean_tp_conf - (0.9 + 0.8 + 0.7) / 3) < 1e-6);
	accuracy_free(a);
}

/*
 * One class, two images, 3 objects, 5 detections. By confidence:
 *   0.9 A hits g1 TP | 0.8 B nothing FP | 0.7 A hits g2 TP | 0.6 A g1 again FP | 0.5 B hits g3 TP
 * precision 1, 1/2, 2/3, 2/4, 3/5; recall 1/3, 1/3, 2/3, 2/3, 1.
 * Monotone precision at the recall steps: 1, 2/3, 3/5, so
 * AP = 1/3 * 1 + 1/3 * 2/3 + 1/3 * 3/5 = 34/45.
 * At conf 0.65: 0.9, 0.8, 0.7 -> TP 2, FP 1, FN 1: P = R = F1 = 2/3, mean TP conf 0.8.
 */
static void hand_computed_ap(struct t *t)
{
	struct gt_box ga[] = { { 5, { 0.2f, 0.2f, 0.2f, 0.2f } }, { 5, { 0.7f, 0.7f, 0.2f, 0.2f } } };
	struct gt_box gb[] = { { 5, { 0.5f, 0.5f, 0.4f, 0.4f } } };
	/* given out of order: the metric sorts */
	struct detection da[] = {
		det(5, 0.6f, 0.21f, 0.2f, 0.2f, 0.2f),
		det(5, 0.9f, 0.2f, 0.2f, 0.2f, 0.2f),
		det(5, 0.7f, 0.7f, 0.71f, 0.2f, 0.2f),
	};
	struct detection db[] = { det(5, 0.5f, 0.5f, 0.5f, 0.4f, 0.38f), det(5, 0.8f, 0.05f, 0.05f, 0.05f, 0.05f) };
	struct accuracy_image imgs[] = { { ga, 2, da, 3 }, { gb, 1, db, 2 } };
	struct accuracy *a = NULL;
	const struct accuracy_class *c;

	T_EQ_INT(t, accuracy_compute(imgs, 2, 0.65, &a), 0);
	T_NEAR(t, a->map50, 34.0 / 45.0);
	T_EQ_INT(t, a->tp, 2);
	T_EQ_INT(t, a->fp, 1);
	T_EQ_INT(t, a->fn, 1);
	T_NEAR(t, a->precision, 2.0 / 3.0);
	T_NEAR(t, a->recall, 2.0 / 3.0);
	T_NEAR(t, a->f1, 2.0 / 3.0);
	T_ASSERT(t, fabs(a->mean_tp_conf - 0.8) < 1e-6);
	c = class_of(a, 5);
	T_ASSERT(t, c != NULL);
	T_EQ_INT(t, c->n_gt, 3);
	T_NEAR(t, c->ap, 34.0 / 45.0);
	accuracy_free(a);
	/* at conf 0 all five count: TP 3, FP 2 */
	T_EQ_INT(t, accuracy_compute(imgs, 2, 0.0, &a), 0);
	T_EQ_INT(t, a->tp, 3);
	T_EQ_INT(t, a->fp, 2);
	T_NEAR(t, a->recall, 1.0);
	T_NEAR(t, a->precision, 0.6);
	accuracy_free(a);
}

/* IoU 0.6 is a hit, IoU 1/3 is not; a right box with the wrong class is an FP and an FN. */
static void iou_and_class(struct t *t)
{
	struct gt_box g1[] = { { 1, { 0.5f, 0.5f, 0.2f, 0.2f } } };
	struct gt_box g2[] = { { 1, { 0.5f, 0.5f, 0.2f, 0.2f } } };
	struct gt_box g3[] = { { 1, { 0.5f, 0.5f, 0.2f, 0.2f } } };
	struct detection d1[] = { det(1, 0.9f, 0.55f, 0.5f, 0.2f, 0.2f) }; /* IoU 0.03/0.05 = 0.6 */
	struct detection d2[] = { det(1, 0.9f, 0.6f, 0.5f, 0.2f, 0.2f) };  /* IoU 0.02/0.06 = 1/3 */
	struct detection d3[] = { det(4, 0.9f, 0.5f, 0.5f, 0.2f, 0.2f) };  /* wrong class */
	struct accuracy_image imgs[] = { { g1, 1, d1, 1 }, { g2, 1, d2, 1 }, { g3, 1, d3, 1 } };
	struct accuracy *a = NULL;
	const struct accuracy_class *c1, *c4;

	T_EQ_INT(t, accuracy_compute(imgs, 3, 0.25, &a), 0);
	T_EQ_INT(t, a->tp, 1);
	T_EQ_INT(t, a->fp, 2);
	T_EQ_INT(t, a->fn, 2);
	c1 = class_of(a, 1);
	c4 = class_of(a, 4);
	T_ASSERT(t, c1 && c4);
	T_EQ_INT(t, c4->n_gt, 0);
	T_EQ_INT(t, c4->fp, 1);
	/* only class 1 has ground truth: the wrong-class box lowers precision, not mAP.
	 * class 1 by confidence (tie kept in input order): TP, FP -> AP = 1/3 * 1 */
	T_EQ_INT(t, a->n_ap_classes, 1);
	T_NEAR(t, a->map50, 1.0 / 3.0);
	accuracy_free(a);
}

/* A class present but never detected has AP 0 and is in the mean. */
static void missed_class_in_map(struct t *t)
{
	struct gt_box g[] = { { 0, { 0.3f, 0.3f, 0.2f, 0.2f } }, { 3, { 0.7f, 0.7f, 0.2f, 0.2f } } };
	struct detection d[] = { det(0, 0.9f, 0.3f, 0.3f, 0.2f, 0.2f) };
	struct accuracy_image imgs[] = { { g, 2, d, 1 }, { g, 2, NULL, 0 } };
	struct accuracy *a = NULL;

	T_EQ_INT(t, accuracy_compute(imgs, 1, 0.25, &a), 0);
	T_NEAR(t, a->map50, 0.5);
	T_NEAR(t, a->recall, 0.5);
	accuracy_free(a);
	/* the same image lost (no detections): all missed, class 0 now AP 1/2 */
	T_EQ_INT(t, accuracy_compute(imgs, 2, 0.25, &a), 0);
	T_NEAR(t, class_of(a, 0)->ap, 0.5);
	T_NEAR(t, a->map50, 0.25);
	T_NEAR(t, a->recall, 0.25);
	accuracy_free(a);
}

/*
 * Greedy by confidence, COCO's rule: 0.9 takes g1 (IoU 1); 0.8 overlaps g1 most (0.82) but
 * g1 is taken, so it takes g0 (IoU 0.67). (VOC's rule would call it an FP.)
 */
static void greedy_matching(struct t *t)
{
	struct gt_box g[] = { { 0, { 0.40f, 0.5f, 0.2f, 0.2f } }, { 0, { 0.46f, 0.5f, 0.2f, 0.2f } } };
	struct detection d[] = { det(0, 0.8f, 0.44f, 0.5f, 0.2f, 0.2f), det(0, 0.9f, 0.46f, 0.5f, 0.2f, 0.2f) };
	struct accuracy_image img = { g, 2, d, 2 };
	struct accuracy *a = NULL;

	T_EQ_INT(t, accuracy_compute(&img, 1, 0.25, &a), 0);
	T_EQ_INT(t, a->tp, 2);
	T_NEAR(t, a->map50, 1.0);
	accuracy_free(a);
}

static void empty_and_invalid(struct t *t)
{
	struct detection d[] = { det(-1, 0.9f, 0.5f, 0.5f, 0.2f, 0.2f) };
	struct accuracy_image img = { NULL, 0, d, 1 };
	struct accuracy *a = NULL;

	T_EQ_INT(t, accuracy_compute(NULL, 0, 0.25, &a), 0);
	T_EQ_INT(t, a->n_classes, 0);
	T_NEAR(t, a->map50, 0.0);
	accuracy_free(a);
	T_EQ_INT(t, accuracy_compute(&img, 1, 0.25, &a), -EINVAL);
}

static int write_file(const char *dir, const char *name, const char *text)
{
	char path[256];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "w");
	if (!f)
		return -errno;
	fputs(text, f);
	return fclose(f) ? -errno : 0;
}

static void rm_dir(const char *dir)
{
	static const char *const names[] = { "a.txt", "b.txt", "c.txt", "bad.txt" };
	char path[256];

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		snprintf(path, sizeof(path), "%s/%s", dir, names[i]);
		unlink(path);
	}
	rmdir(dir);
}

/*
 * Label dir with a (1 object), b (1 object), c (empty). Records: a ok and right, b timeout,
 * c none, d.jpg (no label file) with one detection.
 * -> 4 images, missing 1 (c), failed 1 (b), unlabelled 1 (d); TP 1, FP 1, FN 1.
 */
static void evaluate_dir(struct t *t)
{
	char dir[] = "/tmp/qoslab-test-labels.XXXXXX";
	struct detection da = det(0, 0.9f, 0.5f, 0.5f, 0.2f, 0.2f), dd = det(0, 0.8f, 0.5f, 0.5f, 0.2f, 0.2f);
	struct record recs[4] = {
		{ .image = "d.jpg", .status = RECORD_OK, .res = { .dets = &dd, .n = 1 } },
		{ .image = "b.jpg", .status = RECORD_TIMEOUT },
		{ .image = "a.jpg", .status = RECORD_ERROR },
		{ .image = "a.jpg", .status = RECORD_OK, .res = { .dets = &da, .n = 1 } },
	};
	struct accuracy *a = NULL;
	char *bad = NULL;
	int r;

	T_ASSERT(t, mkdtemp(dir) != NULL);
	r = write_file(dir, "a.txt", "0 0.5 0.5 0.2 0.2\n");
	if (!r)
		r = write_file(dir, "b.txt", "1 0.5 0.5 0.4 0.4\n");
	if (!r)
		r = write_file(dir, "c.txt", "");
	if (!r)
		r = accuracy_evaluate(dir, recs, 4, 0.25, &a, &bad);
	if (!r && !a->n_images)
		r = -EIO;
	if (r) {
		rm_dir(dir);
		T_ASSERTF(t, 0, "evaluate: %d", r);
	}
	T_EQ_INT(t, a->n_images, 4);
	T_EQ_INT(t, a->n_missing, 1);
	T_EQ_INT(t, a->n_failed, 1);
	T_EQ_INT(t, a->n_unlabelled, 1);
	T_EQ_INT(t, a->tp, 1);
	T_EQ_INT(t, a->fp, 1);
	T_EQ_INT(t, a->fn, 1);
	/* class 0: TP at 0.9 then FP -> AP 1; class 1: missed -> AP 0 */
	T_NEAR(t, a->map50, 0.5);
	accuracy_free(a);
	a = NULL;
	/* a malformed label file is named */
	write_file(dir, "bad.txt", "0 0.5 0.5\n");
	r = accuracy_evaluate(dir, recs, 4, 0.25, &a, &bad);
	rm_dir(dir);
	T_EQ_INT(t, r, -EINVAL);
	T_ASSERT(t, bad && strstr(bad, "bad.txt"));
	free(bad);
}

int main(int argc, char **argv)
{
	static const struct t_case cases[] = {
		T_CASE(perfect),
		T_CASE(hand_computed_ap),
		T_CASE(iou_and_class),
		T_CASE(missed_class_in_map),
		T_CASE(greedy_matching),
		T_CASE(empty_and_invalid),
		T_CASE(evaluate_dir),
		{ 0 }
	};

	return t_main(cases, argc, argv);
}
