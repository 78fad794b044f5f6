// SPDX-License-Identifier: MIT
/* qoslab detect: the detector offline over images or a directory, one JSON record per image. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "clock.h"
#include "models/images.h"
#include "regfile.h"
#include "commands.h"
#include "units.h"
#include "models/detector.h"
#include "models/locate.h"
#include "models/record.h"

/* Larger files are not images this tool should hold in memory at once. */
#define DETECT_FILE_MAX (256u << 20)

struct detect_opts {
	const char *model, *out;
	float thresh;
	int letterbox;
	struct preprocess pp;
};

static void detect_usage(FILE *f)
{
	fprintf(f,
		"usage: qoslab detect [--model PREFIX] [--thresh T] [--out FILE] [--grayscale]\n"
		"                     [--quality Q] [--resize PCT] [--max-pixels N] [--letterbox]\n"
		"                     IMAGE...|DIR\n\n"
		"Runs the darknet detector on JPEG files (a DIR means its *.jpg, or DIR/images/*.jpg)\n"
		"and writes one JSON line per image (status ok or error), as the client does.\n\n"
		"  --model PREFIX   PREFIX.cfg, PREFIX.weights (+ PREFIX.names or coco.names);\n"
		"                   default: %s in the shared models directory\n"
		"                   ($QOSLAB_MODELS, <exe>/../../shared/models, ../shared/models)\n"
		"  --thresh T       keep detections with confidence > T (default %g, low enough for\n"
		"                   mAP; accuracy applies its own threshold)\n"
		"  --out FILE       write records to FILE (default: standard output)\n"
		"  --grayscale      preprocess: convert to gray\n"
		"  --quality Q      preprocess: re-encode at JPEG quality Q (1-100)\n"
		"  --resize PCT     preprocess: scale each side to PCT %% (1-100)\n"
		"  --max-pixels N   decode at most N pixels: larger images are decoded scaled down (to\n"
		"                   1/8 per side at most), beyond that refused (default %llu)\n"
		"  --letterbox      letterbox instead of plain resize to the network input\n",
		LOCATE_DEFAULT_MODEL, (double)DETECT_THRESH_MAP,
		(unsigned long long)JPEG_MAX_PIXELS_DEFAULT);
}

static int detect_parse(int argc, char **argv, struct detect_opts *o)
{
	static const struct option longopts[] = {
		{ "model", required_argument, NULL, 'm' },
		{ "thresh", required_argument, NULL, 't' },
		{ "out", required_argument, NULL, 'o' },
		{ "grayscale", no_argument, NULL, 'g' },
		{ "quality", required_argument, NULL, 'q' },
		{ "resize", required_argument, NULL, 'r' },
		{ "max-pixels", required_argument, NULL, 'P' },
		{ "letterbox", no_argument, NULL, 'L' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 }
	};
	int c;
	long v;
	double d;

	while ((c = getopt_long(argc, argv, "m:t:o:gq:r:h", longopts, NULL)) != -1) {
		switch (c) {
		case 'm': o->model = optarg; break;
		case 'o': o->out = optarg; break;
		case 'g': o->pp.grayscale = 1; break;
		case 'L': o->letterbox = 1; break;
		case 'h': detect_usage(stdout); return 1;
		case 't':
			if (units_double(optarg, 0, 1, &d) < 0 || d >= 1) {
				fprintf(stderr, "qoslab detect: --thresh '%s': expected a number in [0,1)\n", optarg);
				return -1;
			}
			o->thresh = (float)d;
			break;
		case 'q':
			if (units_long(optarg, 1, 100, &v) < 0) {
				fprintf(stderr, "qoslab detect: --quality '%s': expected 1-100\n", optarg);
				return -1;
			}
			o->pp.quality = (int)v;
			break;
		case 'r':
			if (units_long(optarg, 1, 100, &v) < 0) {
				fprintf(stderr, "qoslab detect: --resize '%s': expected a percentage 1-100\n", optarg);
				return -1;
			}
			o->pp.resize_pct = (int)v;
			break;
		case 'P':
			if (units_u64(optarg, 10, UINT64_MAX, &o->pp.max_pixels) < 0 || !o->pp.max_pixels) {
				fprintf(stderr, "qoslab detect: --max-pixels '%s': expected a positive integer\n", optarg);
				return -1;
			}
			break;
		default:
			fprintf(stderr, "qoslab detect: see 'qoslab detect --help'\n");
			return -1;
		}
	}
	if (optind >= argc) {
		fprintf(stderr, "qoslab detect: no IMAGE or DIR given (see --help)\n");
		return -1;
	}
	return 0;
}

static const char *detect_strerror(int r)
{
	switch (r) {
	case -EINVAL: return "not a decodable JPEG";
	case -E2BIG: return "image larger than the pixel limit";
	default: return strerror(-r);
	}
}

/* One image -> one record; per-image problems become status error, not a failure. */
static int detect_one(struct detector *det, const struct detect_opts *o, const char *path,
		      long job, FILE *out)
{
	struct record rec = { .job = job, .attempts = 1, .status = RECORD_OK };
	const char *slash = strrchr(path, '/');
	char *buf = NULL;
	size_t len = 0;
	int r;

	snprintf(rec.image, sizeof(rec.image), "%s", slash ? slash + 1 : path);
	snprintf(rec.worker, sizeof(rec.worker), "detect");
	rec.t_submit = clock_wall_s();
	r = regfile_read(path, DETECT_FILE_MAX, &buf, &len);
	rec.bytes = len;
	if (r < 0) {
		snprintf(rec.error, sizeof(rec.error), "cannot read: %s",
			 r == -EISDIR || r == -EINVAL ? "not a regular file" : strerror(-r));
	} else {
		r = detector_run_jpeg(det, (const unsigned char *)buf, len, &o->pp, o->thresh, &rec.res);
		if (r < 0)
			snprintf(rec.error, sizeof(rec.error), "%s", detect_strerror(r));
	}
	rec.t_done = clock_wall_s();
	if (r < 0) {
		rec.status = RECORD_ERROR;
		fprintf(stderr, "qoslab detect: %s: %s\n", path, rec.error);
	}
	r = record_write(out, &rec);
	detect_result_clear(&rec.res);
	free(buf);
	return r;
}

int detect_main(int argc, char **argv)
{
	struct detect_opts o = { .thresh = DETECT_THRESH_MAP };
	struct detector *det = NULL;
	char *model = NULL, *tried = NULL, **paths = NULL;
	size_t n_paths = 0;
	FILE *out = stdout;
	long job = 0;
	int r, ret = 1;

	r = detect_parse(argc, argv, &o);
	if (r)
		return r > 0 ? 0 : 2;
	if (!o.model) {
		r = locate_default_model(&model, &tried);
		if (r < 0) {
			fprintf(stderr, "qoslab detect: no --model and no default model (looked in: %s)\n",
				tried ? tried : "?");
			goto out;
		}
		o.model = model;
	}
	r = detector_new(o.model, &det);
	if (r < 0) {
		fprintf(stderr, "qoslab detect: --model %s: cannot load %s.{cfg,weights} (+ names): %s\n",
			o.model, o.model, strerror(-r));
		goto out;
	}
	detector_set_letterbox(det, o.letterbox);
	if (o.out) {
		out = fopen(o.out, "we");
		if (!out) {
			fprintf(stderr, "qoslab detect: --out %s: %s\n", o.out, strerror(errno));
			goto out;
		}
	}
	ret = 0;
	for (int i = optind; i < argc && !ret; i++) {
		struct stat st;

		if (stat(argv[i], &st) == 0 && S_ISDIR(st.st_mode)) {
			r = images_list(argv[i], &paths, &n_paths);
			if (r < 0) {
				fprintf(stderr, "qoslab detect: %s: %s\n", argv[i], strerror(-r));
				ret = 1;
				break;
			}
			if (n_paths == 0)
				fprintf(stderr, "qoslab detect: %s: no *.jpg files\n", argv[i]);
			for (size_t k = 0; k < n_paths && r >= 0; k++)
				r = detect_one(det, &o, paths[k], job++, out);
			images_free(paths, n_paths);
			paths = NULL;
			n_paths = 0;
		} else {
			r = detect_one(det, &o, argv[i], job++, out);
		}
		if (r < 0) {
			fprintf(stderr, "qoslab detect: writing %s: %s\n", o.out ? o.out : "stdout",
				strerror(-r));
			ret = 1;
		}
	}
out:
	if (out && out != stdout && fclose(out) != 0 && !ret) {
		fprintf(stderr, "qoslab detect: --out %s: %s\n", o.out, strerror(errno));
		ret = 1;
	}
	detector_free(det);
	free(tried);
	free(model);
	return ret;
}
