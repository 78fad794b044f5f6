// SPDX-License-Identifier: MIT
/* Detection accuracy: greedy IoU matching, P/R/F1 at a threshold, all-point AP and mAP@0.5. */
#include <dirent.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "models/accuracy.h"

/* One detection after matching, for the per-class precision/recall curve. */
struct scored {
	int cls;
	float conf;
	int tp;
	size_t seq; /* input order: ties in confidence keep it, so results are reproducible */
	const char *name;
};

static double iou(const float a[4], const float b[4])
{
	double ax0 = a[0] - a[2] / 2, ax1 = a[0] + a[2] / 2, ay0 = a[1] - a[3] / 2, ay1 = a[1] + a[3] / 2;
	double bx0 = b[0] - b[2] / 2, bx1 = b[0] + b[2] / 2, by0 = b[1] - b[3] / 2, by1 = b[1] + b[3] / 2;
	double iw = fmin(ax1, bx1) - fmax(ax0, bx0), ih = fmin(ay1, by1) - fmax(ay0, by0);
	double inter, uni;

	if (!(iw > 0) || !(ih > 0))
		return 0;
	inter = iw * ih;
	uni = (double)a[2] * a[3] + (double)b[2] * b[3] - inter;
	return uni > 0 ? inter / uni : 0;
}

static float conf_of(const struct detection *d)
{
	return isfinite(d->conf) ? d->conf : 0.0f;
}

/* qsort_r context: the image's detections, to order their indices by confidence. */
static int cmp_det_idx(const void *a, const void *b, void *ctx)
{
	const struct detection *dets = ctx;
	size_t i = *(const size_t *)a, j = *(const size_t *)b;
	float ci = conf_of(&dets[i]), cj = conf_of(&dets[j]);

	if (ci != cj)
		return ci > cj ? -1 : 1;
	return i < j ? -1 : i > j;
}

/* Matches one image's detections to its ground truth; appends them to out. */
static int image_match(const struct accuracy_image *im, struct scored *out, size_t *n_out)
{
	size_t *order = NULL;
	unsigned char *matched = NULL;
	int r = 0;

	if (im->n_dets == 0)
		return 0;
	order = malloc(im->n_dets * sizeof(*order));
	matched = calloc(im->n_gt ? im->n_gt : 1, 1);
	if (!order || !matched) {
		r = -ENOMEM;
		goto out;
	}
	for (size_t i = 0; i < im->n_dets; i++)
		order[i] = i;
	qsort_r(order, im->n_dets, sizeof(*order), cmp_det_idx, (void *)im->dets);
	for (size_t k = 0; k < im->n_dets; k++) {
		const struct detection *d = &im->dets[order[k]];
		double best = ACCURACY_IOU;
		size_t best_g = (size_t)-1;

		for (size_t g = 0; g < im->n_gt; g++) {
			double v;

			if (matched[g] || im->gt[g].cls != d->cls)
				continue;
			v = iou(d->box, im->gt[g].box);
			if (v >= best && (best_g == (size_t)-1 || v > best)) {
				best = v;
				best_g = g;
			}
		}
		if (best_g != (size_t)-1)
			matched[best_g] = 1;
		out[*n_out] = (struct scored){ .cls = d->cls, .conf = conf_of(d),
					       .tp = best_g != (size_t)-1, .seq = *n_out,
					       .name = d->name };
		(*n_out)++;
	}
out:
	free(matched);
	free(order);
	return r;
}

static int cmp_scored(const void *a, const void *b)
{
	const struct scored *x = a, *y = b;

	if (x->cls != y->cls)
		return x->cls < y->cls ? -1 : 1;
	if (x->conf != y->conf)
		return x->conf > y->conf ? -1 : 1;
	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

static double f1_of(double p, double r)
{
	return p + r > 0 ? 2 * p * r / (p + r) : 0;
}

/*
 * All-point interpolated AP of one class: s[0..n) sorted by descending confidence.
 * Precision is made monotone from the right, then summed over each recall step.
 */
static double class_ap(const struct scored *s, size_t n, long n_gt, double *prec)
{
	double ap = 0, rec_prev = 0;
	long tp = 0;

	if (n_gt <= 0)
		return 0;
	for (size_t i = 0; i < n; i++) {
		tp += s[i].tp;
		prec[i] = (double)tp / (double)(i + 1);
	}
	for (size_t i = n; i-- > 1;)
		if (prec[i] > prec[i - 1])
			prec[i - 1] = prec[i];
	tp = 0;
	for (size_t i = 0; i < n; i++) {
		double rec;

		if (!s[i].tp)
			continue;
		tp++;
		rec = (double)tp / (double)n_gt;
		ap += (rec - rec_prev) * prec[i];
		rec_prev = rec;
	}
	return ap;
}

/* Fills one class's figures from its sorted detections. */
static void class_fill(struct accuracy_class *c, const struct scored *s, size_t n, double conf,
		       double *prec, double *sum_conf)
{
	*sum_conf = 0;
	for (size_t i = 0; i < n; i++) {
		if (!c->name[0] && s[i].name)
			snprintf(c->name, sizeof(c->name), "%s", s[i].name);
		if (s[i].conf < conf)
			continue;
		if (s[i].tp) {
			c->tp++;
			*sum_conf += s[i].conf;
		} else {
			c->fp++;
		}
	}
	c->fn = c->n_gt - c->tp;
	c->precision = c->tp + c->fp ? (double)c->tp / (double)(c->tp + c->fp) : 0;
	c->recall = c->n_gt ? (double)c->tp / (double)c->n_gt : 0;
	c->f1 = f1_of(c->precision, c->recall);
	c->mean_tp_conf = c->tp ? *sum_conf / (double)c->tp : 0;
	c->ap = class_ap(s, n, c->n_gt, prec);
}

int accuracy_compute(const struct accuracy_image *imgs, size_t n, double conf,
		     struct accuracy **ret)
{
	struct accuracy *a = NULL;
	struct scored *s = NULL;
	long *n_gt = NULL;
	double *prec = NULL, sum_tp_conf = 0, sum_ap = 0;
	size_t n_dets = 0, n_s = 0, i = 0;
	int max_cls = -1, r = 0;

	if (!(conf >= 0) || (n && !imgs))
		return -EINVAL;
	for (size_t k = 0; k < n; k++) {
		n_dets += imgs[k].n_dets;
		for (size_t g = 0; g < imgs[k].n_gt; g++)
			max_cls = imgs[k].gt[g].cls > max_cls ? imgs[k].gt[g].cls : max_cls;
		for (size_t d = 0; d < imgs[k].n_dets; d++) {
			if (imgs[k].dets[d].cls < 0)
				return -EINVAL;
			max_cls = imgs[k].dets[d].cls > max_cls ? imgs[k].dets[d].cls : max_cls;
		}
	}
	a = calloc(1, sizeof(*a));
	s = malloc((n_dets ? n_dets : 1) * sizeof(*s));
	prec = malloc((n_dets ? n_dets : 1) * sizeof(*prec));
	n_gt = calloc((size_t)max_cls + 2, sizeof(*n_gt));
	if (!a || !s || !prec || !n_gt) {
		r = -ENOMEM;
		goto out;
	}
	a->conf = conf;
	a->n_images = (long)n;
	for (size_t k = 0; k < n; k++) {
		for (size_t g = 0; g < imgs[k].n_gt; g++) {
			if (imgs[k].gt[g].cls < 0) {
				r = -EINVAL;
				goto out;
			}
			n_gt[imgs[k].gt[g].cls]++;
		}
		r = image_match(&imgs[k], s, &n_s);
		if (r < 0)
			goto out;
	}
	qsort(s, n_s, sizeof(*s), cmp_scored);
	a->classes = calloc((size_t)max_cls + 2, sizeof(*a->classes));
	if (!a->classes) {
		r = -ENOMEM;
		goto out;
	}
	for (int c = 0; c <= max_cls; c++) {
		struct accuracy_class *ac = &a->classes[a->n_classes];
		size_t start;
		double sum_conf;

		while (i < n_s && s[i].cls < c)
			i++;
		start = i;
		while (i < n_s && s[i].cls == c)
			i++;
		*ac = (struct accuracy_class){ .cls = c, .n_gt = n_gt[c] };
		class_fill(ac, s + start, i - start, conf, prec, &sum_conf);
		if (ac->n_gt == 0 && ac->tp + ac->fp == 0)
			continue; /* neither present nor detected at the threshold */
		a->n_gt += ac->n_gt;
		a->tp += ac->tp;
		a->fp += ac->fp;
		a->fn += ac->fn;
		sum_tp_conf += sum_conf;
		if (ac->n_gt > 0) {
			sum_ap += ac->ap;
			a->n_ap_classes++;
		}
		a->n_classes++;
	}
	a->precision = a->tp + a->fp ? (double)a->tp / (double)(a->tp + a->fp) : 0;
	a->recall = a->n_gt ? (double)a->tp / (double)a->n_gt : 0;
	a->f1 = f1_of(a->precision, a->recall);
	a->map50 = a->n_ap_classes ? sum_ap / a->n_ap_classes : 0;
	a->mean_tp_conf = a->tp ? sum_tp_conf / (double)a->tp : 0;
	*ret = a;
	a = NULL;
out:
	accuracy_free(a);
	free(n_gt);
	free(prec);
	free(s);
	return r;
}

void accuracy_free(struct accuracy *a)
{
	if (!a)
		return;
	free(a->classes);
	free(a);
}

/* "dir/000000000139.jpg" -> "000000000139" (malloc'ed). */
static char *stem_of(const char *name)
{
	const char *slash = strrchr(name, '/'), *base = slash ? slash + 1 : name;
	const char *dot = strrchr(base, '.');

	return strndup(base, dot && dot != base ? (size_t)(dot - base) : strlen(base));
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Stems of the .txt files in dir, sorted. */
static int label_stems(const char *dir, char ***ret, size_t *ret_n)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	char **stems = NULL;
	size_t n = 0;
	int r = 0;

	if (!d)
		return -errno;
	while ((e = readdir(d))) {
		size_t len = strlen(e->d_name);
		char **tmp;

		if (e->d_name[0] == '.' || len < 5 || strcmp(e->d_name + len - 4, ".txt"))
			continue;
		tmp = realloc(stems, (n + 1) * sizeof(*stems));
		if (!tmp) {
			r = -ENOMEM;
			goto out;
		}
		stems = tmp;
		stems[n] = strndup(e->d_name, len - 4);
		if (!stems[n]) {
			r = -ENOMEM;
			goto out;
		}
		n++;
	}
	if (stems)
		qsort(stems, n, sizeof(*stems), cmp_str);
	*ret = stems;
	*ret_n = n;
	stems = NULL;
	n = 0;
out:
	for (size_t i = 0; i < n; i++)
		free(stems[i]);
	free(stems);
	closedir(d);
	return r;
}

/* A record's stem with its index, sorted by (stem, index). */
struct rec_ref {
	char *stem;
	size_t idx;
};

static int cmp_rec_ref(const void *a, const void *b)
{
	const struct rec_ref *x = a, *y = b;
	int c = strcmp(x->stem, y->stem);

	return c ? c : x->idx < y->idx ? -1 : x->idx > y->idx;
}

/* The record to use among refs[*pos..] sharing a stem: the first ok one, else the first.
 * Advances *pos past them. */
static const struct record *pick_record(const struct rec_ref *refs, size_t n_refs, size_t *pos,
					const struct record *recs)
{
	const struct record *pick = &recs[refs[*pos].idx];
	const char *stem = refs[*pos].stem;

	for (; *pos < n_refs && !strcmp(refs[*pos].stem, stem); (*pos)++)
		if (pick->status != RECORD_OK && recs[refs[*pos].idx].status == RECORD_OK)
			pick = &recs[refs[*pos].idx];
	return pick;
}

static void image_from_record(struct accuracy_image *im, const struct record *rec,
			      long *n_failed)
{
	if (rec->status == RECORD_OK) {
		im->dets = rec->res.dets;
		im->n_dets = rec->res.n;
	} else {
		(*n_failed)++;
	}
}

int accuracy_evaluate(const char *labels_dir, const struct record *recs, size_t n_recs,
		      double conf, struct accuracy **ret, char **ret_bad)
{
	char *dir = NULL, **stems = NULL, *path = NULL;
	struct rec_ref *refs = NULL;
	struct accuracy_image *imgs = NULL;
	struct gt_box **gts = NULL;
	size_t n_stems = 0, n_imgs = 0, pos = 0;
	long n_missing = 0, n_failed = 0, n_unlabelled = 0;
	struct stat st;
	int r;

	if (asprintf(&dir, "%s/labels", labels_dir) < 0)
		return -ENOMEM;
	if (stat(dir, &st) < 0 || !S_ISDIR(st.st_mode)) {
		free(dir);
		dir = strdup(labels_dir);
		if (!dir)
			return -ENOMEM;
	}
	r = label_stems(dir, &stems, &n_stems);
	if (r < 0)
		goto out;
	refs = calloc(n_recs ? n_recs : 1, sizeof(*refs));
	imgs = calloc(n_stems + n_recs + 1, sizeof(*imgs));
	gts = calloc(n_stems + 1, sizeof(*gts));
	if (!refs || !imgs || !gts) {
		r = -ENOMEM;
		goto out;
	}
	for (size_t i = 0; i < n_recs; i++) {
		refs[i] = (struct rec_ref){ .stem = stem_of(recs[i].image), .idx = i };
		if (!refs[i].stem) {
			r = -ENOMEM;
			goto out;
		}
	}
	qsort(refs, n_recs, sizeof(*refs), cmp_rec_ref);
	/* merge walk over two sorted lists: label stems and record stems */
	for (size_t l = 0; l < n_stems || pos < n_recs;) {
		int c = l == n_stems ? 1 : pos == n_recs ? -1 : strcmp(stems[l], refs[pos].stem);
		struct accuracy_image *im = &imgs[n_imgs++];

		if (c > 0) { /* a record without a label file: an image with no objects */
			n_unlabelled++;
			image_from_record(im, pick_record(refs, n_recs, &pos, recs), &n_failed);
			continue;
		}
		free(path);
		path = NULL;
		if (asprintf(&path, "%s/%s.txt", dir, stems[l]) < 0) {
			r = -ENOMEM;
			goto out;
		}
		r = labels_read(path, &gts[l], &im->n_gt, NULL);
		if (r < 0) {
			if (ret_bad) {
				*ret_bad = path;
				path = NULL;
			}
			goto out;
		}
		im->gt = gts[l];
		if (c == 0)
			image_from_record(im, pick_record(refs, n_recs, &pos, recs), &n_failed);
		else
			n_missing++;
		l++;
	}
	r = accuracy_compute(imgs, n_imgs, conf, ret);
	if (r < 0)
		goto out;
	(*ret)->n_missing = n_missing;
	(*ret)->n_failed = n_failed;
	(*ret)->n_unlabelled = n_unlabelled;
out:
	for (size_t i = 0; gts && i < n_stems; i++)
		free(gts[i]);
	free(gts);
	free(imgs);
	for (size_t i = 0; refs && i < n_recs; i++)
		free(refs[i].stem);
	free(refs);
	for (size_t i = 0; i < n_stems; i++)
		free(stems[i]);
	free(stems);
	free(path);
	free(dir);
	return r;
}
