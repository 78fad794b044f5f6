// SPDX-License-Identifier: MIT
/* Object detector: JPEG -> (preprocess) -> darknet network -> normalized detections. */
#include <dirent.h>
#include <dlfcn.h>
#include <limits.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

/* darknet.h declares its own struct detection; renaming it while the header is read keeps
 * ours (the public one) and theirs apart. Only the name changes, not the ABI. */
#define detection darknet_detection
#include <darknet.h>
#undef detection

#include "clock.h"
#include "models/detector.h"
#include "models/locate.h"

#if defined(__has_feature)
#if __has_feature(address_sanitizer)
/* darknet 2018's free_network leaves parts of the parsed cfg allocated (a few MB per network,
 * the library's memory, not ours); without this every ASan/fuzz run would end in a leak
 * report. The hook is LeakSanitizer's documented way to carry default suppressions. The
 * library has no frame pointers, so stacks stop at its frame: match the module, not a
 * function (our own make_image/free_image pairs are checked by the tests' counts instead). */
const char *__lsan_default_suppressions(void);
const char *__lsan_default_suppressions(void)
{
	return "leak:libdarknet.so\n";
}

/* The suppression summary would otherwise be printed on every exit. */
const char *__lsan_default_options(void);
const char *__lsan_default_options(void)
{
	return "print_suppressions=0";
}
#endif
#endif

/*
 * libdarknet is opened when a detector is made, not linked: Debian builds it with OpenCV,
 * which drags in about 250 shared libraries. Linked, every qoslab command paid for loading
 * them, and inside UML (libraries read through hostfs) that took ~10 s per process.
 */
#define DARKNET_LIB "/usr/lib/darknet/libdarknet.so"

struct darknet_api {
	void *handle;
	network *(*load_network)(char *cfg, char *weights, int clear);
	void (*set_batch_network)(network *net, int b);
	void (*free_network)(network *net);
	image (*make_image)(int w, int h, int c);
	image (*resize_image)(image im, int w, int h);
	image (*letterbox_image)(image im, int w, int h);
	void (*free_image)(image m);
	float *(*network_predict)(network *net, float *input);
	darknet_detection *(*get_network_boxes)(network *net, int w, int h, float thresh,
						float hier, int *map, int relative, int *num);
	void (*do_nms_sort)(darknet_detection *dets, int total, int classes, float thresh);
	void (*free_detections)(darknet_detection *dets, int n);
};

/*
 * Loads the empty OpenCV stand-ins (BUILD/opencv-stub/ from models/stub/opencv.c, found by
 * locate_helper), when they are there: once a library of that soname is loaded, the
 * dynamic loader takes it for libdarknet's dependency. Mapping the real ones took 7.8 s per
 * process inside UML, the stand-ins 0.2 s. Safe because libdarknet refers to OpenCV only
 * through functions (no data), bound lazily, in code qoslab never calls.
 */
static void opencv_stubs_load(void)
{
	char *dir = NULL, lib[PATH_MAX + 300];
	struct dirent *de;
	DIR *d;

	/* build/opencv-stub, or PREFIX/lib/qoslab/opencv-stub when installed */
	if (locate_helper("opencv-stub", &dir) < 0)
		return;
	d = opendir(dir);
	if (!d)
		goto out;
	while ((de = readdir(d)))
		if (!strncmp(de->d_name, "libopencv_", 10)) {
			snprintf(lib, sizeof(lib), "%s/%s", dir, de->d_name);
			dlopen(lib, RTLD_LAZY | RTLD_GLOBAL | RTLD_NODELETE);
		}
	closedir(d);
out:
	free(dir);
}

static int darknet_open(struct darknet_api *dn)
{
	static const char *const names[] = {
		"load_network", "set_batch_network", "free_network", "make_image", "resize_image",
		"letterbox_image", "free_image", "network_predict", "get_network_boxes",
		"do_nms_sort", "free_detections",
	};
	void **slots[] = {
		(void **)&dn->load_network, (void **)&dn->set_batch_network,
		(void **)&dn->free_network, (void **)&dn->make_image, (void **)&dn->resize_image,
		(void **)&dn->letterbox_image, (void **)&dn->free_image,
		(void **)&dn->network_predict, (void **)&dn->get_network_boxes,
		(void **)&dn->do_nms_sort, (void **)&dn->free_detections,
	};

	/* NODELETE: darknet leaks memory of its own; LeakSanitizer's "leak:libdarknet.so"
	 * suppression can only match while the module stays mapped */
	opencv_stubs_load();
	dn->handle = dlopen(DARKNET_LIB, RTLD_LAZY | RTLD_LOCAL | RTLD_NODELETE);
	if (!dn->handle)
		return -ENOENT;
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (!(*slots[i] = dlsym(dn->handle, names[i])))
			return -ENOSYS;
	return 0;
}

struct detector {
	struct darknet_api dn;
	network *net;
	int classes;
	char **names; /* n_names entries, owned */
	int n_names;
	int letterbox;
};

static char *path_join(const char *a, const char *b)
{
	char *s = NULL;

	return asprintf(&s, "%s%s", a, b) < 0 ? NULL : s;
}

/* darknet calls exit() when it cannot open a file, so every file is checked here first. */
static int file_check(const char *path)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return -errno;
	close(fd);
	return 0;
}

static void names_free(char **names, int n)
{
	for (int i = 0; i < n; i++)
		free(names[i]);
	free(names);
}

/* One class name per line (darknet's .names format). */
static int names_read(const char *path, char ***ret_names, int *ret_n)
{
	FILE *f = NULL;
	char *line = NULL, **names = NULL;
	size_t cap = 0;
	int n = 0, r = 0;
	ssize_t len;

	f = fopen(path, "re");
	if (!f)
		return -errno;
	while ((len = getline(&line, &cap, f)) >= 0) {
		char **tmp;

		while (len > 0 && (line[len - 1] == '\n' || line[len - 1] == '\r'))
			line[--len] = '\0';
		tmp = realloc(names, (size_t)(n + 1) * sizeof(*names));
		if (!tmp) {
			r = -ENOMEM;
			goto out;
		}
		names = tmp;
		names[n] = strdup(line);
		if (!names[n]) {
			r = -ENOMEM;
			goto out;
		}
		n++;
	}
	*ret_names = names;
	*ret_n = n;
	names = NULL;
	n = 0;
out:
	names_free(names, n);
	free(line);
	fclose(f);
	return r;
}

/* Names: PREFIX.names, else coco.names next to the model. */
static int detector_load_names(struct detector *d, const char *prefix)
{
	char *path = path_join(prefix, ".names"), *dir = NULL;
	const char *slash;
	int r;

	if (!path)
		return -ENOMEM;
	if (file_check(path) < 0) {
		free(path);
		slash = strrchr(prefix, '/');
		if (slash) {
			dir = strndup(prefix, (size_t)(slash - prefix + 1));
			if (!dir)
				return -ENOMEM;
		}
		path = path_join(dir ? dir : "", "coco.names");
		free(dir);
		if (!path)
			return -ENOMEM;
	}
	r = names_read(path, &d->names, &d->n_names);
	free(path);
	return r;
}

/* darknet prints its layer table and "Loading weights" to stderr; a product's stderr is for
 * its own errors, so fd 2 points at /dev/null while the network loads. */
static int stderr_mute(void)
{
	int saved, nul;

	fflush(stderr);
	saved = fcntl(STDERR_FILENO, F_DUPFD_CLOEXEC, 3);
	if (saved < 0)
		return -1;
	nul = open("/dev/null", O_WRONLY | O_CLOEXEC);
	if (nul >= 0) {
		dup2(nul, STDERR_FILENO);
		close(nul);
	}
	return saved;
}

static void stderr_restore(int saved)
{
	if (saved < 0)
		return;
	fflush(stderr);
	dup2(saved, STDERR_FILENO);
	close(saved);
}

/* "batch = 32" -> "batch=32": darknet drops all whitespace from cfg lines before parsing. */
static void squeeze(const char *line, char *buf, size_t size)
{
	size_t n = 0;

	for (; *line && n + 1 < size; line++)
		if (*line != ' ' && *line != '\t' && *line != '\r' && *line != '\n')
			buf[n++] = *line;
	buf[n] = '\0';
}

/*
 * darknet sizes every layer buffer for the cfg's training batch (batch=32 in the Yolo-Fastest
 * cfgs: about 7 GB of calloc, mostly untouched but counted under ASan and a risk in a small
 * UML guest), and set_batch_network does not shrink them. The network is therefore loaded
 * from a copy of the cfg, in a memfd, whose [net] section says batch=1, subdivisions=1.
 * Returns the memfd or -errno; the caller falls back to the original file.
 */
static int cfg_batch1(const char *path)
{
	FILE *in = NULL, *out = NULL;
	char *line = NULL, key[32];
	size_t cap = 0;
	int fd = -1, in_net = 0, r = 0;

	in = fopen(path, "re");
	if (!in)
		return -errno;
	fd = memfd_create("qoslab-cfg", MFD_CLOEXEC);
	if (fd < 0) {
		r = -errno;
		goto out;
	}
	out = fdopen(fcntl(fd, F_DUPFD_CLOEXEC, 0), "w");
	if (!out) {
		r = -errno;
		goto out;
	}
	while (getline(&line, &cap, in) >= 0) {
		squeeze(line, key, sizeof(key));
		if (key[0] == '[')
			in_net = !strcmp(key, "[net]") || !strcmp(key, "[network]");
		if (in_net && !strncmp(key, "batch=", 6))
			fputs("batch=1\n", out);
		else if (in_net && !strncmp(key, "subdivisions=", 13))
			fputs("subdivisions=1\n", out);
		else
			fputs(line, out);
	}
	if (ferror(in) || fflush(out) != 0)
		r = -EIO;
out:
	if (out && fclose(out) != 0 && r == 0)
		r = -EIO;
	if (r < 0 && fd >= 0) {
		close(fd);
		fd = -1;
	}
	free(line);
	fclose(in);
	return r < 0 ? r : fd;
}

int detector_new(const char *prefix, struct detector **ret)
{
	struct detector *d = NULL;
	char *cfg = NULL, *weights = NULL, *cfg_small = NULL;
	layer *last;
	int r, saved, cfg_fd = -1;

	if (!prefix || !*prefix)
		return -EINVAL;
	d = calloc(1, sizeof(*d));
	cfg = path_join(prefix, ".cfg");
	weights = path_join(prefix, ".weights");
	if (!d || !cfg || !weights) {
		r = -ENOMEM;
		goto out;
	}
	r = file_check(cfg);
	if (r >= 0)
		r = file_check(weights);
	if (r >= 0)
		r = detector_load_names(d, prefix);
	if (r < 0)
		goto out;
	r = darknet_open(&d->dn);
	if (r < 0)
		goto out;
	cfg_fd = cfg_batch1(cfg);
	if (cfg_fd >= 0 && asprintf(&cfg_small, "/proc/self/fd/%d", cfg_fd) < 0)
		cfg_small = NULL;
	if (cfg_small && file_check(cfg_small) < 0) { /* no /proc: the full-size load */
		free(cfg_small);
		cfg_small = NULL;
	}
	saved = stderr_mute();
	d->net = d->dn.load_network(cfg_small ? cfg_small : cfg, weights, 0);
	stderr_restore(saved);
	if (!d->net || d->net->n < 1) {
		r = -EINVAL;
		goto out;
	}
	d->dn.set_batch_network(d->net, 1);
	last = &d->net->layers[d->net->n - 1];
	if (last->type != YOLO && last->type != REGION && last->type != DETECTION) {
		r = -EINVAL;
		goto out;
	}
	d->classes = last->classes;
	*ret = d;
	d = NULL;
out:
	detector_free(d);
	if (cfg_fd >= 0)
		close(cfg_fd);
	free(cfg_small);
	free(weights);
	free(cfg);
	return r;
}

void detector_free(struct detector *d)
{
	if (!d)
		return;
	if (d->net)
		d->dn.free_network(d->net);
	if (d->dn.handle)
		dlclose(d->dn.handle);
	names_free(d->names, d->n_names);
	free(d);
}

void detector_set_letterbox(struct detector *d, int letterbox)
{
	d->letterbox = !!letterbox;
}

int detector_classes(const struct detector *d)
{
	return d->classes;
}

const char *detector_class_name(const struct detector *d, int cls)
{
	return cls >= 0 && cls < d->n_names ? d->names[cls] : "";
}

/* darknet wants planar float RGB in [0,1]. */
static image image_from_rgb(struct detector *d, const struct jpeg_image *im)
{
	image out = d->dn.make_image(im->width, im->height, 3);
	size_t plane = (size_t)im->width * (size_t)im->height;

	if (!out.data)
		return out;
	for (size_t i = 0; i < plane; i++)
		for (int c = 0; c < 3; c++)
			out.data[c * plane + i] = im->rgb[3 * i + c] / 255.0f;
	return out;
}

static int detector_infer(struct detector *d, const struct jpeg_image *im, float thresh,
			  struct detect_result *res)
{
	image in = image_from_rgb(d, im), sized = { 0 };
	darknet_detection *dets = NULL;
	int nboxes = 0, r = 0, w, h;
	size_t n = 0;

	if (!in.data)
		return -ENOMEM;
	sized = d->letterbox ? d->dn.letterbox_image(in, d->net->w, d->net->h)
			     : d->dn.resize_image(in, d->net->w, d->net->h);
	d->dn.network_predict(d->net, sized.data);
	/* get_network_boxes (darknet 2018, correct_yolo_boxes) always undoes a letterbox computed
	 * from the size it is given. After a plain resize no letterbox was applied, so it gets
	 * the network size, which makes that correction the identity. Passing the image size
	 * here instead stretches every box of a non-square image: that is how the older
	 * reference figure (mAP@0.5 0.279, P/R/F1 0.30/0.24/0.27 on the 64 dev images) was
	 * obtained; mapped correctly the same model gives 0.424 (letterbox: 0.421). */
	w = d->letterbox ? im->width : d->net->w;
	h = d->letterbox ? im->height : d->net->h;
	dets = d->dn.get_network_boxes(d->net, w, h, thresh, 0.5f, NULL, 1, &nboxes);
	d->dn.do_nms_sort(dets, nboxes, d->classes, DETECT_NMS);
	for (int i = 0; i < nboxes; i++)
		for (int c = 0; c < d->classes; c++)
			n += dets[i].prob[c] > thresh;
	res->dets = calloc(n ? n : 1, sizeof(*res->dets));
	if (!res->dets) {
		r = -ENOMEM;
		goto out;
	}
	for (int i = 0; i < nboxes; i++)
		for (int c = 0; c < d->classes; c++) {
			struct detection *o;

			if (!(dets[i].prob[c] > thresh))
				continue;
			o = &res->dets[res->n++];
			o->cls = c;
			snprintf(o->name, sizeof(o->name), "%s", detector_class_name(d, c));
			o->conf = dets[i].prob[c];
			o->box[0] = dets[i].bbox.x;
			o->box[1] = dets[i].bbox.y;
			o->box[2] = dets[i].bbox.w;
			o->box[3] = dets[i].bbox.h;
		}
out:
	d->dn.free_detections(dets, nboxes);
	d->dn.free_image(sized);
	d->dn.free_image(in);
	return r;
}

int detector_run_jpeg(struct detector *d, const void *jpeg, size_t len,
		      const struct preprocess *pp, float thresh, struct detect_result *ret)
{
	struct jpeg_image img = { 0 }, pre = { 0 };
	struct detect_result res = { .bytes_in = len, .bytes_pre = len };
	double t0 = (clock_now_ns() / 1e6), t1, t2;
	int r;

	if (!d || !ret || preprocess_check(pp) < 0 || !(thresh >= 0 && thresh < 1))
		return -EINVAL;
	r = jpeg_decode(jpeg, len, pp ? pp->max_pixels : 0, &img);
	/* the image's own size, also when it was decoded down-scaled or refused as too large */
	res.width = img.src_width;
	res.height = img.src_height;
	if (r < 0)
		goto out;
	t1 = (clock_now_ns() / 1e6);
	res.t_decode_ms = t1 - t0;
	if (preprocess_active(pp)) {
		r = jpeg_preprocess(&img, pp, &pre, NULL, &res.bytes_pre);
		if (r < 0)
			goto out;
		jpeg_image_clear(&img);
		img = pre;
		pre = (struct jpeg_image){ 0 };
	}
	t2 = (clock_now_ns() / 1e6);
	res.t_pre_ms = t2 - t1;
	r = detector_infer(d, &img, thresh, &res);
	if (r < 0)
		goto out;
	res.t_infer_ms = (clock_now_ns() / 1e6) - t2;
	*ret = res;
	res.dets = NULL;
out:
	if (r < 0) {
		*ret = (struct detect_result){ .bytes_in = len, .width = res.width,
					       .height = res.height };
	}
	free(res.dets);
	jpeg_image_clear(&pre);
	jpeg_image_clear(&img);
	return r;
}

void detect_result_clear(struct detect_result *r)
{
	if (!r)
		return;
	free(r->dets);
	*r = (struct detect_result){ 0 };
}
