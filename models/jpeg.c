// SPDX-License-Identifier: MIT
/* JPEG decode/encode with TurboJPEG and the seed-002 preprocessing steps. */
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <turbojpeg.h>

#include "models/jpeg.h"

int preprocess_active(const struct preprocess *pp)
{
	return pp && (pp->grayscale || pp->quality > 0 ||
		      (pp->resize_pct > 0 && pp->resize_pct < 100));
}

int preprocess_check(const struct preprocess *pp)
{
	if (!pp)
		return 0;
	if (pp->grayscale < 0 || pp->grayscale > 1 || pp->quality < 0 || pp->quality > 100 ||
	    pp->resize_pct < 0 || pp->resize_pct > 100)
		return -EINVAL;
	return 0;
}

int jpeg_size(const void *jpeg, size_t len, int *ret_width, int *ret_height)
{
	tjhandle tj = NULL;
	/* TurboJPEG can return success without setting them (tables-only or empty stream) */
	int w = 0, h = 0, subsamp = -1, cs = -1, r = 0;

	if (!jpeg || len == 0 || len > ULONG_MAX)
		return -EINVAL;
	tj = tjInitDecompress();
	if (!tj)
		return -ENOMEM;
	if (tjDecompressHeader3(tj, jpeg, (unsigned long)len, &w, &h, &subsamp, &cs) < 0 ||
	    w <= 0 || h <= 0) {
		r = -EINVAL;
		goto out;
	}
	*ret_width = w;
	*ret_height = h;
out:
	tjDestroy(tj);
	return r;
}

/* Adobe CMYK JPEGs store inverted ink values, so R = C*K/255 etc. (as PIL and browsers do);
 * TurboJPEG refuses CMYK -> RGB itself. */
static void cmyk_to_rgb(const unsigned char *cmyk, size_t npix, unsigned char *rgb)
{
	for (size_t i = 0; i < npix; i++) {
		unsigned k = cmyk[4 * i + 3];

		for (int c = 0; c < 3; c++)
			rgb[3 * i + c] = (unsigned char)((cmyk[4 * i + c] * k + 127) / 255);
	}
}

/* The largest TurboJPEG down-scaling (1/1, 7/8, ... 1/8) of w x h within max_pixels: the
 * IDCT then produces only the pixels kept, so decode time and memory follow max_pixels,
 * not what the header declares. 0, or -E2BIG when even the smallest is too large. */
static int scaled_size(int w, int h, uint64_t max_pixels, int *ret_w, int *ret_h)
{
	int n = 0, best_w = 0, best_h = 0;
	tjscalingfactor *sf = tjGetScalingFactors(&n);

	for (int i = 0; sf && i < n; i++) {
		int sw = TJSCALED(w, sf[i]), sh = TJSCALED(h, sf[i]);

		if (sf[i].num > sf[i].denom || (uint64_t)sw * (uint64_t)sh > max_pixels)
			continue;
		if ((uint64_t)sw * (uint64_t)sh > (uint64_t)best_w * (uint64_t)best_h) {
			best_w = sw;
			best_h = sh;
		}
	}
	if (!best_w)
		return -E2BIG;
	*ret_w = best_w;
	*ret_h = best_h;
	return 0;
}

int jpeg_decode(const void *jpeg, size_t len, uint64_t max_pixels, struct jpeg_image *ret)
{
	tjhandle tj = NULL;
	unsigned char *rgb = NULL, *cmyk = NULL;
	/* TurboJPEG can return success without setting them (tables-only or empty stream) */
	int w = 0, h = 0, sw = 0, sh = 0, subsamp = -1, cs = -1, r = 0;
	size_t npix;

	if (!jpeg || len == 0 || len > ULONG_MAX)
		return -EINVAL;
	if (max_pixels == 0)
		max_pixels = JPEG_MAX_PIXELS_DEFAULT;
	tj = tjInitDecompress();
	if (!tj)
		return -ENOMEM;
	if (tjDecompressHeader3(tj, jpeg, (unsigned long)len, &w, &h, &subsamp, &cs) < 0 ||
	    w <= 0 || h <= 0) {
		r = -EINVAL;
		goto out;
	}
	r = scaled_size(w, h, max_pixels, &sw, &sh);
	if (r < 0) {
		/* the caller reports the size that was refused */
		*ret = (struct jpeg_image){ .src_width = w, .src_height = h };
		goto out;
	}
	npix = (size_t)sw * (size_t)sh;
	/* zeroed so that rows a damaged stream never reaches are defined */
	rgb = calloc(npix, 3);
	if (!rgb) {
		r = -ENOMEM;
		goto out;
	}
	if (cs == TJCS_CMYK || cs == TJCS_YCCK) {
		cmyk = calloc(npix, 4);
		if (!cmyk) {
			r = -ENOMEM;
			goto out;
		}
	}
	/* LIMITSCANS: a crafted progressive JPEG with thousands of scans would otherwise take
	 * minutes; warnings (truncated or corrupt data) still give an image, which is the point
	 * of the lossy transfer mode. */
	if (tjDecompress2(tj, jpeg, (unsigned long)len, cmyk ? cmyk : rgb, sw, 0, sh,
			  cmyk ? TJPF_CMYK : TJPF_RGB, TJFLAG_LIMITSCANS) < 0 &&
	    tjGetErrorCode(tj) != TJERR_WARNING) {
		r = -EINVAL;
		goto out;
	}
	if (cmyk)
		cmyk_to_rgb(cmyk, npix, rgb);
	*ret = (struct jpeg_image){ .rgb = rgb, .width = sw, .height = sh, .src_width = w,
				    .src_height = h };
	rgb = NULL;
out:
	free(cmyk);
	free(rgb);
	tjDestroy(tj);
	return r;
}

void jpeg_image_clear(struct jpeg_image *im)
{
	if (!im)
		return;
	free(im->rgb);
	*im = (struct jpeg_image){ 0 };
}

int jpeg_encode(const struct jpeg_image *im, int quality, int gray,
		unsigned char **ret_jpeg, size_t *ret_len)
{
	tjhandle tj = NULL;
	unsigned char *buf = NULL;
	unsigned long size;
	int samp = gray ? TJSAMP_GRAY : TJSAMP_420, r = 0;

	if (!im || !im->rgb || im->width <= 0 || im->height <= 0 || quality < 1 || quality > 100)
		return -EINVAL;
	size = tjBufSize(im->width, im->height, samp);
	if (size == (unsigned long)-1)
		return -E2BIG;
	tj = tjInitCompress();
	if (!tj)
		return -ENOMEM;
	buf = malloc(size);
	if (!buf) {
		r = -ENOMEM;
		goto out;
	}
	/* NOREALLOC: the buffer stays ours (malloc'ed), tjBufSize is the worst case */
	if (tjCompress2(tj, im->rgb, im->width, 0, im->height, TJPF_RGB, &buf, &size, samp,
			quality, TJFLAG_NOREALLOC) < 0) {
		r = -EINVAL;
		goto out;
	}
	*ret_jpeg = buf;
	*ret_len = size;
	buf = NULL;
out:
	free(buf);
	tjDestroy(tj);
	return r;
}

/* ITU-R 601 luma, as PIL's convert('L'); kept as RGB so the detector sees 3 equal channels. */
static void image_gray(struct jpeg_image *im)
{
	size_t npix = (size_t)im->width * (size_t)im->height;

	for (size_t i = 0; i < npix; i++) {
		unsigned char *p = im->rgb + 3 * i;
		unsigned y = (299u * p[0] + 587u * p[1] + 114u * p[2] + 500u) / 1000u;

		p[0] = p[1] = p[2] = (unsigned char)y;
	}
}

/* Area average: each output pixel is the mean of the input block it covers; good for the
 * shrink-only resizes of seed 002 and free of aliasing. */
static int image_resize(const struct jpeg_image *in, int w, int h, struct jpeg_image *ret)
{
	unsigned char *out = calloc((size_t)w * (size_t)h, 3);

	if (!out)
		return -ENOMEM;
	for (int oy = 0; oy < h; oy++) {
		int y0 = (int)((int64_t)oy * in->height / h);
		int y1 = (int)((int64_t)(oy + 1) * in->height / h);

		if (y1 <= y0)
			y1 = y0 + 1;
		for (int ox = 0; ox < w; ox++) {
			int x0 = (int)((int64_t)ox * in->width / w);
			int x1 = (int)((int64_t)(ox + 1) * in->width / w);
			uint64_t sum[3] = { 0, 0, 0 }, n;

			if (x1 <= x0)
				x1 = x0 + 1;
			n = (uint64_t)(x1 - x0) * (uint64_t)(y1 - y0);
			for (int y = y0; y < y1; y++) {
				const unsigned char *p = in->rgb + 3 * ((size_t)y * in->width + x0);

				for (int x = x0; x < x1; x++, p += 3) {
					sum[0] += p[0];
					sum[1] += p[1];
					sum[2] += p[2];
				}
			}
			for (int c = 0; c < 3; c++)
				out[3 * ((size_t)oy * w + ox) + c] = (unsigned char)((sum[c] + n / 2) / n);
		}
	}
	ret->rgb = out;
	ret->width = w;
	ret->height = h;
	return 0;
}

static int image_copy(const struct jpeg_image *in, struct jpeg_image *ret)
{
	size_t size = (size_t)in->width * (size_t)in->height * 3;
	unsigned char *p = malloc(size ? size : 1);

	if (!p)
		return -ENOMEM;
	memcpy(p, in->rgb, size);
	ret->rgb = p;
	ret->width = in->width;
	ret->height = in->height;
	return 0;
}

int jpeg_preprocess(const struct jpeg_image *in, const struct preprocess *pp,
		    struct jpeg_image *ret_img, unsigned char **ret_jpeg, size_t *ret_len)
{
	struct jpeg_image cur = { 0 }, small = { 0 }, out = { 0 };
	unsigned char *buf = NULL;
	size_t len = 0;
	int r;

	if (!in || !in->rgb || in->width <= 0 || in->height <= 0 || preprocess_check(pp) < 0)
		return -EINVAL;
	r = image_copy(in, &cur);
	if (r < 0)
		goto out;
	if (!preprocess_active(pp))
		goto done;
	if (pp->grayscale)
		image_gray(&cur);
	if (pp->resize_pct > 0 && pp->resize_pct < 100) {
		/* int() truncation of PIL's seed code, but never below one pixel */
		int w = (int)((int64_t)cur.width * pp->resize_pct / 100);
		int h = (int)((int64_t)cur.height * pp->resize_pct / 100);

		r = image_resize(&cur, w > 0 ? w : 1, h > 0 ? h : 1, &small);
		if (r < 0)
			goto out;
		jpeg_image_clear(&cur);
		cur = small;
		small = (struct jpeg_image){ 0 };
	}
	r = jpeg_encode(&cur, pp->quality > 0 ? pp->quality : JPEG_QUALITY_DEFAULT,
			pp->grayscale, &buf, &len);
	if (r < 0)
		goto out;
	r = jpeg_decode(buf, len, UINT64_MAX, &out);
	if (r < 0)
		goto out;
	jpeg_image_clear(&cur);
	cur = out;
	out = (struct jpeg_image){ 0 };
done:
	*ret_img = cur;
	cur = (struct jpeg_image){ 0 };
	if (ret_jpeg) {
		*ret_jpeg = buf;
		buf = NULL;
	}
	*ret_len = len;
out:
	free(buf);
	jpeg_image_clear(&out);
	jpeg_image_clear(&small);
	jpeg_image_clear(&cur);
	return r;
}

int jpeg_preprocess_bytes(const void *jpeg, size_t len, const struct preprocess *pp,
			  unsigned char **ret_jpeg, size_t *ret_len)
{
	struct jpeg_image in = { 0 }, out = { 0 };
	unsigned char *buf = NULL;
	size_t n = 0;
	int r;

	if (!jpeg || len == 0 || preprocess_check(pp) < 0)
		return -EINVAL;
	if (!preprocess_active(pp)) {
		buf = malloc(len);
		if (!buf)
			return -ENOMEM;
		memcpy(buf, jpeg, len);
		*ret_jpeg = buf;
		*ret_len = len;
		return 0;
	}
	r = jpeg_decode(jpeg, len, pp->max_pixels, &in);
	if (r < 0)
		goto out;
	r = jpeg_preprocess(&in, pp, &out, &buf, &n);
	if (r < 0)
		goto out;
	*ret_jpeg = buf;
	*ret_len = n;
	buf = NULL;
out:
	free(buf);
	jpeg_image_clear(&out);
	jpeg_image_clear(&in);
	return r;
}
