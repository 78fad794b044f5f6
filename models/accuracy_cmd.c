// SPDX-License-Identifier: MIT
/* qoslab accuracy: P/R/F1 at a threshold and mAP@0.5 of JSON-lines records against labels. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <jansson.h>

#include "units.h"
#include "commands.h"
#include "models/accuracy.h"
#include "models/locate.h"
#include "models/record.h"

struct accuracy_opts {
	const char *labels, *names, *records;
	double conf;
	int json;
};

static void accuracy_usage(FILE *f)
{
	fprintf(f,
		"usage: qoslab accuracy --labels DIR [--conf C] [--json] [--names FILE] RECORDS.jsonl\n\n"
		"Compares job records (qoslab client or qoslab detect) with YOLO ground truth.\n"
		"Prints precision, recall and F1 at confidence C, mAP@0.5 (all-point interpolated AP\n"
		"averaged over the classes present in the labels) and the mean confidence of true\n"
		"positives, overall and per class. Images without a record, or whose record is\n"
		"timeout/error, count as all-missed.\n\n"
		"  --labels DIR   label directory (DIR/<image stem>.txt, or a dataset with DIR/labels)\n"
		"  --conf C       confidence threshold for P/R/F1 (default %g)\n"
		"  --json         print one JSON object instead of a table\n"
		"  --names FILE   class names for classes never detected (default: coco.names in\n"
		"                 the shared models directory, if found)\n",
		ACCURACY_CONF_DEFAULT);
}

static int accuracy_parse(int argc, char **argv, struct accuracy_opts *o)
{
	static const struct option longopts[] = {
		{ "labels", required_argument, NULL, 'l' },
		{ "conf", required_argument, NULL, 'c' },
		{ "json", no_argument, NULL, 'j' },
		{ "names", required_argument, NULL, 'n' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 }
	};
	int c;

	while ((c = getopt_long(argc, argv, "l:c:jn:h", longopts, NULL)) != -1) {
		switch (c) {
		case 'l': o->labels = optarg; break;
		case 'j': o->json = 1; break;
		case 'n': o->names = optarg; break;
		case 'h': accuracy_usage(stdout); return 1;
		case 'c':
			if (units_double(optarg, 0, 1, &o->conf) < 0) {
				fprintf(stderr, "qoslab accuracy: --conf '%s': expected a number in [0,1]\n", optarg);
				return -1;
			}
			break;
		default:
			fprintf(stderr, "qoslab accuracy: see 'qoslab accuracy --help'\n");
			return -1;
		}
	}
	if (!o->labels) {
		fprintf(stderr, "qoslab accuracy: --labels DIR is required (see --help)\n");
		return -1;
	}
	if (optind != argc - 1) {
		fprintf(stderr, "qoslab accuracy: expected exactly one RECORDS.jsonl (see --help)\n");
		return -1;
	}
	o->records = argv[optind];
	return 0;
}

/* Fills names of classes never detected from a names file (one per line); best effort. */
static void names_fill(struct accuracy *a, const char *path)
{
	FILE *f = path ? fopen(path, "re") : NULL;
	char *line = NULL;
	size_t cap = 0;
	ssize_t len;
	int cls = 0;

	if (!f)
		return;
	while ((len = getline(&line, &cap, f)) >= 0) {
		while (len > 0 && (line[len - 1] == '\n' || line[len - 1] == '\r'))
			line[--len] = '\0';
		for (size_t i = 0; i < a->n_classes; i++)
			if (a->classes[i].cls == cls && !a->classes[i].name[0])
				snprintf(a->classes[i].name, sizeof(a->classes[i].name), "%s", line);
		cls++;
	}
	free(line);
	fclose(f);
}

static void print_table(const struct accuracy *a)
{
	printf("images %ld (no record %ld, failed %ld, unlabelled %ld), objects %ld\n",
	       a->n_images, a->n_missing, a->n_failed, a->n_unlabelled, a->n_gt);
	printf("conf %.3g: precision %.4f  recall %.4f  F1 %.4f  (TP %ld FP %ld FN %ld)  mean TP conf %.4f\n",
	       a->conf, a->precision, a->recall, a->f1, a->tp, a->fp, a->fn, a->mean_tp_conf);
	printf("mAP@0.5 %.4f over %d classes\n\n", a->map50, a->n_ap_classes);
	printf("%-4s %-16s %5s %5s %5s %5s %7s %7s %7s %7s %9s\n", "id", "class", "gt", "tp", "fp",
	       "fn", "prec", "recall", "F1", "AP", "mean conf");
	for (size_t i = 0; i < a->n_classes; i++) {
		const struct accuracy_class *c = &a->classes[i];

		printf("%-4d %-16s %5ld %5ld %5ld %5ld %7.4f %7.4f %7.4f ", c->cls,
		       c->name[0] ? c->name : "?", c->n_gt, c->tp, c->fp, c->fn, c->precision,
		       c->recall, c->f1);
		if (c->n_gt)
			printf("%7.4f", c->ap);
		else
			printf("%7s", "-");
		printf(" %9.4f\n", c->mean_tp_conf);
	}
}

static int print_json(const struct accuracy *a)
{
	json_t *o, *classes = json_array();
	char *s;

	if (!classes)
		return -ENOMEM;
	for (size_t i = 0; i < a->n_classes; i++) {
		const struct accuracy_class *c = &a->classes[i];

		if (json_array_append_new(classes, json_pack(
			"{s:i, s:s, s:I, s:I, s:I, s:I, s:f, s:f, s:f, s:o, s:f}",
			"class", c->cls, "name", c->name, "gt", (json_int_t)c->n_gt,
			"tp", (json_int_t)c->tp, "fp", (json_int_t)c->fp, "fn", (json_int_t)c->fn,
			"precision", c->precision, "recall", c->recall, "f1", c->f1,
			"ap", c->n_gt ? json_real(c->ap) : json_null(),
			"mean_tp_conf", c->mean_tp_conf)) < 0) {
			json_decref(classes);
			return -ENOMEM;
		}
	}
	o = json_pack("{s:I, s:I, s:I, s:I, s:f, s:I, s:I, s:I, s:I, s:f, s:f, s:f, s:f, s:i,"
		      " s:f, s:o}",
		      "images", (json_int_t)a->n_images, "missing", (json_int_t)a->n_missing,
		      "failed", (json_int_t)a->n_failed, "unlabelled", (json_int_t)a->n_unlabelled,
		      "conf", a->conf, "n_gt", (json_int_t)a->n_gt, "tp", (json_int_t)a->tp,
		      "fp", (json_int_t)a->fp, "fn", (json_int_t)a->fn,
		      "precision", a->precision, "recall", a->recall, "f1", a->f1,
		      "map50", a->map50, "ap_classes", a->n_ap_classes,
		      "mean_tp_conf", a->mean_tp_conf, "classes", classes);
	if (!o)
		return -ENOMEM;
	s = json_dumps(o, JSON_COMPACT | JSON_REAL_PRECISION(6));
	json_decref(o);
	if (!s)
		return -ENOMEM;
	puts(s);
	free(s);
	return 0;
}

int accuracy_main(int argc, char **argv)
{
	struct accuracy_opts o = { .conf = ACCURACY_CONF_DEFAULT };
	struct accuracy *a = NULL;
	struct record *recs = NULL;
	char *bad = NULL, *models = NULL, *names = NULL;
	struct stat st;
	size_t n = 0;
	int r, line = 0, ret = 1;

	r = accuracy_parse(argc, argv, &o);
	if (r)
		return r > 0 ? 0 : 2;
	if (stat(o.labels, &st) < 0 || !S_ISDIR(st.st_mode)) {
		fprintf(stderr, "qoslab accuracy: --labels %s: %s\n", o.labels,
			errno && stat(o.labels, &st) < 0 ? strerror(errno) : "not a directory");
		return 1;
	}
	r = records_read(o.records, &recs, &n, &line);
	if (r == -EINVAL) {
		fprintf(stderr, "qoslab accuracy: %s:%d: not a job record (JSON object with image and status)\n",
			o.records, line);
		goto out;
	} else if (r < 0) {
		fprintf(stderr, "qoslab accuracy: %s: %s\n", o.records, strerror(-r));
		goto out;
	}
	r = accuracy_evaluate(o.labels, recs, n, o.conf, &a, &bad);
	if (r < 0) {
		fprintf(stderr, "qoslab accuracy: %s: %s\n", bad ? bad : o.labels,
			r == -EINVAL && bad ? "malformed label line (expected: class cx cy w h)" :
			strerror(-r));
		goto out;
	}
	if (!o.names && locate_models_dir(&models, NULL) == 0 &&
	    asprintf(&names, "%s/coco.names", models) < 0)
		names = NULL;
	names_fill(a, o.names ? o.names : names);
	if (o.json) {
		if (print_json(a) < 0) {
			fprintf(stderr, "qoslab accuracy: out of memory\n");
			goto out;
		}
	} else {
		print_table(a);
	}
	ret = fflush(stdout) == 0 ? 0 : 1;
out:
	accuracy_free(a);
	records_free(recs, n);
	free(names);
	free(models);
	free(bad);
	return ret;
}
