/* SPDX-License-Identifier: MIT */
/* JPEG decode/encode (TurboJPEG) and the seed-002 preprocessing: grayscale, quality, resize. */
#ifndef QOSLAB_JPEG_H
#define QOSLAB_JPEG_H
#include <stddef.h>
#include <stdint.h>

/* Default limit of decoded pixels (w*h) when a caller passes 0: 1 Mpx (3 MB of RGB). The
 * detector sees 320x320; every image of the dev set (at most 640x640) is below it, and
 * larger ones are decoded down-scaled (see jpeg_decode). */
#define JPEG_MAX_PIXELS_DEFAULT (1024ULL * 1024)
/* Quality used to re-encode when grayscale or resize is asked without a quality (PIL's default,
 * as in seed 002, which always saved through PIL). */
#define JPEG_QUALITY_DEFAULT 75

/* Preprocessing applied to the decoded image before inference (seed 002). */
struct preprocess {
	int grayscale;    /* 1: convert to gray before re-encode/resize */
	int quality;      /* 1..100: JPEG re-encode at this quality; 0: none */
	int resize_pct;   /* 1..100: scale to this % of each side; 0 or 100: none */
	uint64_t max_pixels; /* reject images larger than this (w*h); 0: JPEG_MAX_PIXELS_DEFAULT */
};

/* An 8-bit interleaved RGB image (3 bytes per pixel, rows packed). */
struct jpeg_image {
	unsigned char *rgb; /* malloc'ed, width * height * 3 */
	int width, height;
	int src_width, src_height; /* the JPEG's own size (larger when decoded down-scaled) */
};

/* 1 if any step of pp changes the image (a NULL pp changes nothing). */
int preprocess_active(const struct preprocess *pp);
/* 0 or -EINVAL naming nothing: grayscale 0/1, quality 0..100, resize_pct 0..100. */
int preprocess_check(const struct preprocess *pp);

/* Reads the header only: size without decoding. 0, -EINVAL (not a JPEG). */
int jpeg_size(const void *jpeg, size_t len, int *ret_width, int *ret_height);

/*
 * Decodes to RGB, at most max_pixels (0: default) of them: a larger JPEG is decoded at
 * the largest of TurboJPEG's scalings (7/8 .. 1/8) that fits, so the cost follows what is
 * kept, not what the header declares; -E2BIG when even 1/8 does not fit, decided from the
 * header before any pixel buffer is allocated (ret then holds only src_width/src_height).
 * A damaged but partly decodable image (TurboJPEG warning, e.g. truncated data) counts as
 * decoded: the missing part is gray. Returns 0, -EINVAL (undecodable), -E2BIG, -ENOMEM.
 */
int jpeg_decode(const void *jpeg, size_t len, uint64_t max_pixels, struct jpeg_image *ret);
void jpeg_image_clear(struct jpeg_image *im);

/* Encodes at quality 1..100 (4:2:0; grayscale when gray is 1). *ret_jpeg is malloc'ed. */
int jpeg_encode(const struct jpeg_image *im, int quality, int gray,
		unsigned char **ret_jpeg, size_t *ret_len);

/*
 * Applies pp to a decoded image the seed-002 way: grayscale, resize to resize_pct % of each
 * side (area average, at least 1x1), then JPEG re-encode at quality (JPEG_QUALITY_DEFAULT if
 * only gray/resize are set) and decode again, so the result carries the encoding loss.
 * ret_img gets the image the detector should see; ret_jpeg (may be NULL) the re-encoded
 * bytes, ret_len their size. With nothing active, ret_img is a copy and ret_len is 0.
 */
int jpeg_preprocess(const struct jpeg_image *in, const struct preprocess *pp,
		    struct jpeg_image *ret_img, unsigned char **ret_jpeg, size_t *ret_len);

/* JPEG bytes in, preprocessed JPEG bytes out (what a client would send). With nothing active,
 * the input is copied. Returns as jpeg_decode. */
int jpeg_preprocess_bytes(const void *jpeg, size_t len, const struct preprocess *pp,
			  unsigned char **ret_jpeg, size_t *ret_len);
#endif
