// SPDX-License-Identifier: MIT
/* JPEG module: decode, pixel limit, damaged input, seed-002 preprocessing. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "models/jpeg.h"
#include "models/locate.h"
#include "t.h"

/* A w x h test card: horizontal red ramp, vertical green ramp, blue checker. */
static int card(int w, int h, struct jpeg_image *ret)
{
	unsigned char *p = malloc((size_t)w * h * 3);

	if (!p)
		return -ENOMEM;
	for (int y = 0; y < h; y++)
		for (int x = 0; x < w; x++) {
			unsigned char *q = p + 3 * ((size_t)y * w + x);

			q[0] = (unsigned char)(255 * x / (w > 1 ? w - 1 : 1));
			q[1] = (unsigned char)(255 * y / (h > 1 ? h - 1 : 1));
			q[2] = ((x / 8 + y / 8) & 1) ? 200 : 40;
		}
	*ret = (struct jpeg_image){ .rgb = p, .width = w, .height = h };
	return 0;
}

static int card_jpeg(int w, int h, int quality, unsigned char **ret, size_t *ret_len)
{
	struct jpeg_image im;
	int r = card(w, h, &im);

	if (r < 0)
		return r;
	r = jpeg_encode(&im, quality, 0, ret, ret_len);
	jpeg_image_clear(&im);
	return r;
}

static void decode_roundtrip(struct t *t)
{
	struct jpeg_image in, out = { 0 };
	unsigned char *jpg = NULL;
	size_t len;
	long err = 0;

	T_ASSERT(t, card(97, 61, &in) == 0);
	T_ASSERT(t, jpeg_encode(&in, 95, 0, &jpg, &len) == 0);
	T_ASSERT(t, len > 100 && jpg[0] == 0xff && jpg[1] == 0xd8);
	T_ASSERT(t, jpeg_decode(jpg, len, 0, &out) == 0);
	T_EQ_INT(t, out.width, 97);
	T_EQ_INT(t, out.height, 61);
	for (size_t i = 0; i < (size_t)97 * 61 * 3; i++)
		err += labs((long)in.rgb[i] - out.rgb[i]);
	/* quality 95, 4:2:0 chroma on a sharp checker: a few levels out of 255 */
	T_ASSERTF(t, err / (97 * 61 * 3) < 12, "mean abs error %ld", err / (97 * 61 * 3));
	jpeg_image_clear(&in);
	jpeg_image_clear(&out);
	free(jpg);
}

/* Rewrites the SOF0 frame size of a baseline JPEG: the header claims w x h. */
static int patch_size(unsigned char *jpg, size_t len, int w, int h)
{
	for (size_t i = 2; i + 9 < len; i++)
		if (jpg[i] == 0xff && jpg[i + 1] == 0xc0) {
			jpg[i + 5] = (unsigned char)(h >> 8);
			jpg[i + 6] = (unsigned char)h;
			jpg[i + 7] = (unsigned char)(w >> 8);
			jpg[i + 8] = (unsigned char)w;
			return 0;
		}
	return -1;
}

static void pixel_limit(struct t *t)
{
	struct jpeg_image out = { 0 };
	unsigned char *jpg = NULL;
	size_t len;
	int w = 0, h = 0;

	T_ASSERT(t, card_jpeg(64, 48, 80, &jpg, &len) == 0);
	T_EQ_INT(t, jpeg_decode(jpg, len, 64 * 48, &out), 0);
	T_EQ_INT(t, out.width, 64);
	jpeg_image_clear(&out);
	/* one pixel less: decoded at 7/8, the header's size kept for reports */
	T_EQ_INT(t, jpeg_decode(jpg, len, 64 * 48 - 1, &out), 0);
	T_EQ_INT(t, out.width, 56);
	T_EQ_INT(t, out.height, 42);
	T_EQ_INT(t, out.src_width, 64);
	T_EQ_INT(t, out.src_height, 48);
	jpeg_image_clear(&out);
	/* below 1/8 of it (8 x 6): refused, with the real size */
	T_EQ_INT(t, jpeg_decode(jpg, len, 47, &out), -E2BIG);
	T_ASSERT(t, out.rgb == NULL);
	T_EQ_INT(t, out.src_width, 64);
	T_EQ_INT(t, out.src_height, 48);
	/* an 8192 x 8192 header costs at most the default limit: decoded at 1/8 (1024 x 1024) */
	T_ASSERT(t, patch_size(jpg, len, 8192, 8192) == 0);
	T_EQ_INT(t, jpeg_decode(jpg, len, 0, &out), 0);
	T_ASSERT(t, (uint64_t)out.width * (uint64_t)out.height <= JPEG_MAX_PIXELS_DEFAULT);
	T_EQ_INT(t, out.width, 1024);
	T_EQ_INT(t, out.src_width, 8192);
	jpeg_image_clear(&out);
	/* a 30000 x 30000 header (900 Mpx; 1/8 is still 14 Mpx) is refused before allocation */
	T_ASSERT(t, patch_size(jpg, len, 30000, 30000) == 0);
	T_EQ_INT(t, jpeg_size(jpg, len, &w, &h), 0);
	T_EQ_INT(t, w, 30000);
	T_EQ_INT(t, h, 30000);
	T_EQ_INT(t, jpeg_decode(jpg, len, 0, &out), -E2BIG);
	T_ASSERT(t, out.rgb == NULL);
	T_EQ_INT(t, out.src_width, 30000);
	free(jpg);
}

static void damaged_input(struct t *t)
{
	static const char text[] = "GET / HTTP/1.1\r\n\r\n";
	static const unsigned char soi_only[] = { 0xff, 0xd8, 0xff };
	struct jpeg_image out = { 0 };
	unsigned char *jpg = NULL, *bad = NULL;
	size_t len;
	int r;

	T_EQ_INT(t, jpeg_decode("", 0, 0, &out), -EINVAL);
	T_EQ_INT(t, jpeg_decode(NULL, 0, 0, &out), -EINVAL);
	T_EQ_INT(t, jpeg_decode(text, sizeof(text), 0, &out), -EINVAL);
	T_EQ_INT(t, jpeg_decode(soi_only, sizeof(soi_only), 0, &out), -EINVAL);
	T_ASSERT(t, card_jpeg(160, 120, 85, &jpg, &len) == 0);
	/* truncated in the entropy-coded data: TurboJPEG warns and fills in gray; that is an
	 * image, as the lossy UDP mode needs */
	T_EQ_INT(t, jpeg_decode(jpg, len * 6 / 10, 0, &out), 0);
	T_EQ_INT(t, out.width, 160);
	jpeg_image_clear(&out);
	/* truncated inside the headers: nothing to decode */
	T_EQ_INT(t, jpeg_decode(jpg, 40, 0, &out), -EINVAL);
	/* bit flips anywhere: an image or -EINVAL, never a crash (ASan checks the rest) */
	bad = malloc(len);
	T_ASSERT(t, bad != NULL);
	srand(1);
	for (int k = 0; k < 300; k++) {
		memcpy(bad, jpg, len);
		for (int f = 0; f < 1 + k % 8; f++) {
			size_t pos = (size_t)rand() % len;

			bad[pos] ^= (unsigned char)(1u << (rand() % 8));
		}
		r = jpeg_decode(bad, len, 1 << 22, &out);
		T_ASSERTF(t, r == 0 || r == -EINVAL || r == -E2BIG, "flip %d: r=%d", k, r);
		jpeg_image_clear(&out);
	}
	free(bad);
	free(jpg);
}

static void one_pixel(struct t *t)
{
	struct jpeg_image out = { 0 }, pre = { 0 };
	struct preprocess pp = { .resize_pct = 10, .quality = 50, .grayscale = 1 };
	unsigned char *jpg = NULL;
	size_t len, n;

	T_ASSERT(t, card_jpeg(1, 1, 90, &jpg, &len) == 0);
	T_EQ_INT(t, jpeg_decode(jpg, len, 0, &out), 0);
	T_EQ_INT(t, out.width, 1);
	T_EQ_INT(t, out.height, 1);
	/* 10 % of one pixel is still one pixel */
	T_EQ_INT(t, jpeg_preprocess(&out, &pp, &pre, NULL, &n), 0);
	T_EQ_INT(t, pre.width, 1);
	T_EQ_INT(t, pre.height, 1);
	jpeg_image_clear(&pre);
	jpeg_image_clear(&out);
	free(jpg);
}

static void preprocess_steps(struct t *t)
{
	struct jpeg_image in, out = { 0 };
	struct preprocess gray = { .grayscale = 1 }, half = { .resize_pct = 50 },
			  q10 = { .quality = 10 }, q95 = { .quality = 95 }, none = { 0 },
			  bad = { .quality = 101 };
	unsigned char *jpg = NULL;
	size_t n10 = 0, n95 = 0, n = 0;

	T_ASSERT(t, card(201, 99, &in) == 0);
	T_ASSERT(t, !preprocess_active(&none) && !preprocess_active(NULL));
	T_ASSERT(t, preprocess_active(&gray) && preprocess_active(&half));
	T_EQ_INT(t, jpeg_preprocess(&in, &bad, &out, NULL, &n), -EINVAL);

	T_EQ_INT(t, jpeg_preprocess(&in, &gray, &out, NULL, &n), 0);
	T_ASSERT(t, n > 0);
	for (size_t i = 0; i < (size_t)201 * 99; i++)
		T_ASSERTF(t, abs(out.rgb[3 * i] - out.rgb[3 * i + 1]) <= 1 &&
			     abs(out.rgb[3 * i] - out.rgb[3 * i + 2]) <= 1, "pixel %zu not gray", i);
	jpeg_image_clear(&out);

	/* PIL's int() truncation: 201 * 0.5 -> 100, 99 * 0.5 -> 49 */
	T_EQ_INT(t, jpeg_preprocess(&in, &half, &out, &jpg, &n), 0);
	T_EQ_INT(t, out.width, 100);
	T_EQ_INT(t, out.height, 49);
	T_ASSERT(t, jpg && n > 0);
	jpeg_image_clear(&out);
	T_EQ_INT(t, jpeg_decode(jpg, n, 0, &out), 0);
	T_EQ_INT(t, out.width, 100);
	jpeg_image_clear(&out);
	free(jpg);

	T_EQ_INT(t, jpeg_preprocess(&in, &q10, &out, NULL, &n10), 0);
	jpeg_image_clear(&out);
	T_EQ_INT(t, jpeg_preprocess(&in, &q95, &out, NULL, &n95), 0);
	jpeg_image_clear(&out);
	T_ASSERTF(t, n10 < n95, "quality 10: %zu bytes, quality 95: %zu", n10, n95);

	/* nothing active: the same pixels, no encoding */
	T_EQ_INT(t, jpeg_preprocess(&in, &none, &out, NULL, &n), 0);
	T_EQ_INT(t, n, 0);
	T_ASSERT(t, !memcmp(out.rgb, in.rgb, (size_t)201 * 99 * 3));
	jpeg_image_clear(&out);
	jpeg_image_clear(&in);
}

/* On a dataset photo: bytes before and after, as a client sending preprocessed images sees. */
static void preprocess_photo(struct t *t)
{
	char *dir = NULL, *path = NULL;
	unsigned char *buf = NULL, *out = NULL;
	struct preprocess pp = { .quality = 50, .resize_pct = 75 }, none = { 0 };
	size_t len, n = 0;
	FILE *f;

	if (locate_dataset_dir(&dir, NULL) < 0)
		T_SKIP(t, "dataset not found ($QOSLAB_DATASET, ../shared/datasets/coco-val2017-64)");
	T_ASSERT(t, asprintf(&path, "%s/images/000000000139.jpg", dir) > 0);
	f = fopen(path, "rb");
	T_ASSERT(t, f != NULL);
	buf = malloc(1 << 20);
	len = fread(buf, 1, 1 << 20, f);
	fclose(f);
	T_ASSERT(t, len > 1000);
	T_EQ_INT(t, jpeg_preprocess_bytes(buf, len, &pp, &out, &n), 0);
	T_ASSERTF(t, n > 1000 && n < len / 2, "%zu -> %zu bytes", len, n);
	free(out);
	T_EQ_INT(t, jpeg_preprocess_bytes(buf, len, &none, &out, &n), 0);
	T_EQ_INT(t, n, len);
	T_ASSERT(t, !memcmp(out, buf, len));
	free(out);
	free(buf);
	free(path);
	free(dir);
}

int main(int argc, char **argv)
{
	static const struct t_case cases[] = {
		T_CASE(decode_roundtrip),
		T_CASE(pixel_limit),
		T_CASE(damaged_input),
		T_CASE(one_pixel),
		T_CASE(preprocess_steps),
		T_CASE(preprocess_photo),
		{ 0 }
	};

	return t_main(cases, argc, argv);
}
