// SPDX-License-Identifier: MIT
/* libFuzzer target: arbitrary bytes as a JPEG -> preprocessing -> darknet detector. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "models/detector.h"
#include "models/locate.h"

/* libFuzzer hands the entry point bytes only; the network (about a second to load) has to
 * outlive one call, so it lives here. */
static struct detector *fuzz_det;

/* Small enough that decode + resize of any accepted input takes milliseconds. */
#define FUZZ_MAX_PIXELS (512 * 512)

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The model: $QOSLAB_FUZZ_MODEL, else the default one. Without it, decode/preprocess only. */
int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	const char *env = getenv("QOSLAB_FUZZ_MODEL");
	char *prefix = NULL, *tried = NULL;
	int r;

	(void)argc;
	(void)argv;
	if (env && *env)
		r = detector_new(env, &fuzz_det);
	else if ((r = locate_default_model(&prefix, &tried)) == 0)
		r = detector_new(prefix, &fuzz_det);
	if (r < 0)
		fprintf(stderr, "fuzz_jpeg_detect: no model (%s): fuzzing decode and preprocessing only\n",
			tried ? tried : env ? env : "load failed");
	free(prefix);
	free(tried);
	return 0;
}

/*
 * The preprocessing follows from the input length, so every input replays the same way.
 * Inference costs ~0.2 s whatever the bytes (the network input is fixed at 320x320; only
 * the decoded size reaches it), so one input in 8 goes through detector_run_jpeg and the
 * others stop after decode + preprocess: thousands of executions per second on the parser
 * paths instead of five.
 */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct preprocess pp = { .max_pixels = FUZZ_MAX_PIXELS };
	struct detect_result res = { 0 };
	struct jpeg_image im = { 0 }, pre = { 0 };
	size_t n = 0;

	switch (size % 5) {
	case 1: pp.grayscale = 1; break;
	case 2: pp.quality = 1 + (int)(size % 100); break;
	case 3: pp.resize_pct = 1 + (int)(size % 99); break;
	case 4: pp.grayscale = 1, pp.quality = 30, pp.resize_pct = 50; break;
	default: break;
	}
	if (fuzz_det && size % 8 == 0) {
		if (detector_run_jpeg(fuzz_det, data, size, &pp, DETECT_THRESH_MAP, &res) == 0 &&
		    res.n && !res.dets)
			abort(); /* a result claiming detections it does not hold */
		detect_result_clear(&res);
		return 0;
	}
	if (jpeg_decode(data, size, pp.max_pixels, &im) == 0 &&
	    jpeg_preprocess(&im, &pp, &pre, NULL, &n) == 0 &&
	    (pre.width < 1 || pre.height < 1 || pre.width > im.width || pre.height > im.height))
		abort(); /* preprocessing only ever shrinks */
	jpeg_image_clear(&pre);
	jpeg_image_clear(&im);
	return 0;
}
