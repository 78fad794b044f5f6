// SPDX-License-Identifier: MIT
/* Detector with the real model: a known detection, damaged input, preprocessing, quiet load. */
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "models/detector.h"
#include "models/locate.h"
#include "t.h"

#define SKIP_MSG "model or dataset not found (../shared from the repo root, or $QOSLAB_MODELS/$QOSLAB_DATASET)"

static int read_all(const char *path, unsigned char **ret, size_t *ret_len)
{
	FILE *f = fopen(path, "rb");
	unsigned char *buf;
	size_t n;

	if (!f)
		return -errno;
	buf = malloc(1 << 20);
	n = buf ? fread(buf, 1, 1 << 20, f) : 0;
	fclose(f);
	if (!buf)
		return -ENOMEM;
	*ret = buf;
	*ret_len = n;
	return 0;
}

/* Model loaded with fd 2 captured, so the test can check darknet printed nothing. */
static int load(struct detector **ret, size_t *ret_stderr_bytes)
{
	char *prefix = NULL, path[] = "/tmp/qoslab-test-stderr.XXXXXX";
	int fd, saved, r;
	struct stat st;

	r = locate_default_model(&prefix, NULL);
	if (r < 0)
		return r;
	fd = mkstemp(path);
	if (fd < 0) {
		free(prefix);
		return -errno;
	}
	unlink(path);
	fflush(stderr);
	saved = dup(2);
	dup2(fd, 2);
	r = detector_new(prefix, ret);
	fflush(stderr);
	dup2(saved, 2);
	close(saved);
	*ret_stderr_bytes = fstat(fd, &st) == 0 ? (size_t)st.st_size : 0;
	close(fd);
	free(prefix);
	return r;
}

static int photo(const char *name, unsigned char **ret, size_t *ret_len)
{
	char *dir = NULL, *path = NULL;
	int r = locate_dataset_dir(&dir, NULL);

	if (r < 0)
		return r;
	if (asprintf(&path, "%s/images/%s", dir, name) < 0)
		path = NULL;
	r = path ? read_all(path, ret, ret_len) : -ENOMEM;
	free(path);
	free(dir);
	return r;
}

static double iou(const float a[4], const float b[4])
{
	double iw = fmin(a[0] + a[2] / 2, b[0] + b[2] / 2) - fmax(a[0] - a[2] / 2, b[0] - b[2] / 2);
	double ih = fmin(a[1] + a[3] / 2, b[1] + b[3] / 2) - fmax(a[1] - a[3] / 2, b[1] - b[3] / 2);

	if (iw <= 0 || ih <= 0)
		return 0;
	return iw * ih / (a[2] * a[3] + b[2] * b[3] - iw * ih);
}

static void missing_model(struct t *t)
{
	struct detector *d = NULL;

	T_EQ_INT(t, detector_new("/nonexistent/model", &d), -ENOENT);
	T_ASSERT(t, d == NULL);
	T_EQ_INT(t, detector_new("", &d), -EINVAL);
	detector_free(NULL);
}

/* 000000000285.jpg is one bear filling the frame: label 21 0.501 0.548 0.998 0.881. */
static void finds_the_bear(struct t *t)
{
	static const float gt[4] = { 0.50122f, 0.548094f, 0.99756f, 0.881156f };
	struct detector *d = NULL;
	struct detect_result res = { 0 };
	unsigned char *jpg = NULL;
	size_t len, err_bytes = 1;
	const struct detection *best = NULL;

	if (photo("000000000285.jpg", &jpg, &len) < 0 || load(&d, &err_bytes) < 0) {
		free(jpg);
		T_SKIP(t, SKIP_MSG);
	}
	T_EQ_INT(t, err_bytes, 0); /* darknet's layer table did not reach stderr */
	T_EQ_INT(t, detector_classes(d), 80);
	T_ASSERT(t, !strcmp(detector_class_name(d, 21), "bear"));
	T_EQ_INT(t, detector_run_jpeg(d, jpg, len, NULL, DETECT_THRESH_DEFAULT, &res), 0);
	T_EQ_INT(t, res.width, 586);
	T_EQ_INT(t, res.height, 640);
	T_EQ_INT(t, res.bytes_in, len);
	T_EQ_INT(t, res.bytes_pre, len);
	T_ASSERT(t, res.t_infer_ms > 0);
	for (size_t i = 0; i < res.n; i++)
		if (!best || res.dets[i].conf > best->conf)
			best = &res.dets[i];
	T_ASSERT(t, best != NULL);
	T_EQ_INT(t, best->cls, 21);
	T_ASSERT(t, !strcmp(best->name, "bear"));
	T_ASSERTF(t, best->conf > 0.9f, "conf %.3f", best->conf);
	T_ASSERTF(t, iou(best->box, gt) > 0.8, "IoU %.3f", iou(best->box, gt));
	detect_result_clear(&res);
	detector_free(d);
	free(jpg);
}

/* Each damaged input gives an error or detections; a truncated photo still gets detections. */
static void damaged_input(struct t *t)
{
	static const char text[] = "not a jpeg at all";
	static const struct preprocess small = { .max_pixels = 1 << 20 };
	struct detector *d = NULL;
	struct detect_result res = { 0 };
	unsigned char *jpg = NULL, *bad = NULL;
	size_t len, err_bytes;
	int r;

	if (photo("000000000285.jpg", &jpg, &len) < 0 || load(&d, &err_bytes) < 0) {
		free(jpg);
		T_SKIP(t, SKIP_MSG);
	}
	T_EQ_INT(t, detector_run_jpeg(d, "", 0, NULL, 0.25f, &res), -EINVAL);
	T_EQ_INT(t, res.n, 0);
	T_EQ_INT(t, detector_run_jpeg(d, text, sizeof(text), NULL, 0.25f, &res), -EINVAL);
	/* 586 x 640 above a 0.2 Mpx limit: decoded at 5/8, reported at its own size */
	T_EQ_INT(t, detector_run_jpeg(d, jpg, len, &(struct preprocess){ .max_pixels = 200000 },
				      0.25f, &res), 0);
	T_EQ_INT(t, res.width, 586);
	T_EQ_INT(t, res.height, 640);
	detect_result_clear(&res);
	/* even 1/8 (74 x 80) is above 1000 pixels: refused, with the real size for the 422 */
	T_EQ_INT(t, detector_run_jpeg(d, jpg, len, &(struct preprocess){ .max_pixels = 1000 },
				      0.25f, &res), -E2BIG);
	T_EQ_INT(t, res.width, 586);
	T_EQ_INT(t, res.height, 640);
	/* first 60 %: the top of the bear survives, the rest is gray */
	T_EQ_INT(t, detector_run_jpeg(d, jpg, len * 6 / 10, &small, 0.25f, &res), 0);
	T_EQ_INT(t, res.width, 586);
	detect_result_clear(&res);
	bad = malloc(len);
	T_ASSERT(t, bad != NULL);
	srand(3);
	for (int k = 0; k < 4; k++) {
		memcpy(bad, jpg, len);
		for (int f = 0; f < 20; f++)
			bad[(size_t)rand() % len] ^= (unsigned char)(1u << (rand() % 8));
		r = detector_run_jpeg(d, bad, len, &small, 0.25f, &res);
		T_ASSERTF(t, r == 0 || r == -EINVAL || r == -E2BIG, "flip %d: %d", k, r);
		detect_result_clear(&res);
	}
	free(bad);
	detector_free(d);
	free(jpg);
}

static void tiny_and_huge_headers(struct t *t)
{
	struct detector *d = NULL;
	struct detect_result res = { 0 };
	struct jpeg_image one = { .rgb = (unsigned char[3]){ 200, 100, 50 }, .width = 1, .height = 1 };
	unsigned char *jpg = NULL;
	size_t len, err_bytes;

	if (load(&d, &err_bytes) < 0)
		T_SKIP(t, SKIP_MSG);
	T_ASSERT(t, jpeg_encode(&one, 90, 0, &jpg, &len) == 0);
	T_EQ_INT(t, detector_run_jpeg(d, jpg, len, NULL, 0.25f, &res), 0);
	T_EQ_INT(t, res.width, 1);
	detect_result_clear(&res);
	/* the same bytes claiming 30000 x 30000 */
	for (size_t i = 2; i + 9 < len; i++)
		if (jpg[i] == 0xff && jpg[i + 1] == 0xc0) {
			jpg[i + 5] = 0x75, jpg[i + 6] = 0x30, jpg[i + 7] = 0x75, jpg[i + 8] = 0x30;
			break;
		}
	T_EQ_INT(t, detector_run_jpeg(d, jpg, len, NULL, 0.25f, &res), -E2BIG);
	free(jpg);
	detector_free(d);
}

/* Preprocessing is applied and reported: smaller bytes, original size kept, still a bear. */
static void preprocessed(struct t *t)
{
	struct preprocess pp = { .grayscale = 1, .quality = 40, .resize_pct = 50 };
	struct detector *d = NULL;
	struct detect_result res = { 0 };
	unsigned char *jpg = NULL;
	size_t len, err_bytes;
	int bear = 0;

	if (photo("000000000285.jpg", &jpg, &len) < 0 || load(&d, &err_bytes) < 0) {
		free(jpg);
		T_SKIP(t, SKIP_MSG);
	}
	T_EQ_INT(t, detector_run_jpeg(d, jpg, len, &pp, 0.25f, &res), 0);
	T_EQ_INT(t, res.width, 586);
	T_EQ_INT(t, res.bytes_in, len);
	T_ASSERTF(t, res.bytes_pre > 0 && res.bytes_pre < len / 4, "%zu -> %zu bytes", len, res.bytes_pre);
	for (size_t i = 0; i < res.n; i++)
		bear |= res.dets[i].cls == 21;
	T_ASSERT(t, bear);
	detect_result_clear(&res);
	detector_free(d);
	free(jpg);
}

int main(int argc, char **argv)
{
	static const struct t_case cases[] = {
		T_CASE(missing_model),
		T_CASE(finds_the_bear),
		T_CASE(damaged_input),
		T_CASE(tiny_and_huge_headers),
		T_CASE(preprocessed),
		{ 0 }
	};

	return t_main(cases, argc, argv);
}
