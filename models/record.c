// SPDX-License-Identifier: MIT
/* Job records as JSON lines (jansson): the client's and detect's output, accuracy's input. */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "regfile.h"
#include "models/detections.h"
#include "models/record.h"

static const char *const status_names[] = {
	[RECORD_OK] = "ok", [RECORD_TIMEOUT] = "timeout", [RECORD_ERROR] = "error",
};

const char *record_status_name(enum record_status s)
{
	return (unsigned)s < sizeof(status_names) / sizeof(status_names[0]) ? status_names[s] : "?";
}

int record_status_parse(const char *s, enum record_status *ret)
{
	for (size_t i = 0; i < sizeof(status_names) / sizeof(status_names[0]); i++)
		if (!strcmp(s, status_names[i])) {
			*ret = (enum record_status)i;
			return 0;
		}
	return -EINVAL;
}

static json_t *record_json(const struct record *r)
{
	json_t *dets = detections_json_new(r->res.dets, r->res.n);

	if (!dets)
		return NULL;
	/* t_* at 16 significant digits: microseconds of a CLOCK_REALTIME epoch time */
	return json_pack("{s:I, s:s, s:s, s:s?, s:f, s:f, s:I, s:s?, s:i, s:i, s:i, s:I,"
			 " s:f, s:f, s:f, s:s?, s:o}",
			 "job", (json_int_t)r->job, "image", r->image,
			 "status", record_status_name(r->status),
			 "error", r->error[0] ? r->error : NULL,
			 "t_submit", r->t_submit, "t_done", r->t_done,
			 "bytes", (json_int_t)r->bytes,
			 "worker", r->worker[0] ? r->worker : NULL,
			 "attempts", r->attempts,
			 "width", r->res.width, "height", r->res.height,
			 "bytes_pre", (json_int_t)r->res.bytes_pre,
			 "t_decode_ms", detections_round(r->res.t_decode_ms),
			 "t_pre_ms", detections_round(r->res.t_pre_ms),
			 "t_infer_ms", detections_round(r->res.t_infer_ms),
			 "mode", r->mode[0] ? r->mode : NULL,
			 "detections", dets);
}

int record_write(FILE *f, const struct record *r)
{
	json_t *o = record_json(r);
	char *s = NULL;
	int ret = 0;

	if (!o)
		return -ENOMEM;
	s = json_dumps(o, JSON_COMPACT | JSON_REAL_PRECISION(16));
	if (!s) {
		ret = -ENOMEM;
		goto out;
	}
	if (fputs(s, f) < 0 || fputc('\n', f) < 0 || fflush(f) < 0)
		ret = errno ? -errno : -EIO;
out:
	free(s);
	json_decref(o);
	return ret;
}

/* Copies a string member (absent or null: ""); -EINVAL when it is not a string or too long. */
static int json_str_copy(json_t *o, const char *key, char *buf, size_t size)
{
	json_t *v = json_object_get(o, key);

	buf[0] = '\0';
	if (!v || json_is_null(v))
		return 0;
	if (!json_is_string(v) || json_string_length(v) >= size)
		return -EINVAL;
	memcpy(buf, json_string_value(v), json_string_length(v) + 1);
	return 0;
}

/* A number member (absent or null: 0); -EINVAL when it is something else. */
static int json_num(json_t *o, const char *key, double *ret)
{
	json_t *v = json_object_get(o, key);

	*ret = 0;
	if (!v || json_is_null(v))
		return 0;
	if (!json_is_number(v))
		return -EINVAL;
	*ret = json_number_value(v);
	return 0;
}

static int record_parse(json_t *o, struct record *r)
{
	char status[16];
	double v[11];
	static const char *const nums[] = { "job", "t_submit", "t_done", "bytes", "attempts",
		"width", "height", "bytes_pre", "t_decode_ms", "t_pre_ms", "t_infer_ms" };

	memset(r, 0, sizeof(*r));
	if (!json_is_object(o) || json_str_copy(o, "image", r->image, sizeof(r->image)) < 0 ||
	    !r->image[0] || json_str_copy(o, "status", status, sizeof(status)) < 0 ||
	    record_status_parse(status, &r->status) < 0 ||
	    json_str_copy(o, "error", r->error, sizeof(r->error)) < 0 ||
	    json_str_copy(o, "worker", r->worker, sizeof(r->worker)) < 0 ||
	    json_str_copy(o, "mode", r->mode, sizeof(r->mode)) < 0)
		return -EINVAL;
	for (size_t i = 0; i < sizeof(nums) / sizeof(nums[0]); i++)
		if (json_num(o, nums[i], &v[i]) < 0 || !isfinite(v[i]))
			return -EINVAL;
	r->job = (long)v[0];
	r->t_submit = v[1];
	r->t_done = v[2];
	r->bytes = v[3] > 0 ? (size_t)v[3] : 0;
	r->attempts = (int)v[4];
	r->res.width = (int)v[5];
	r->res.height = (int)v[6];
	r->res.bytes_in = r->bytes;
	r->res.bytes_pre = v[7] > 0 ? (size_t)v[7] : 0;
	r->res.t_decode_ms = v[8];
	r->res.t_pre_ms = v[9];
	r->res.t_infer_ms = v[10];
	return detections_from_json(json_object_get(o, "detections"), &r->res.dets, &r->res.n);
}

int records_read(const char *path, struct record **ret_recs, size_t *ret_n, int *ret_line)
{
	FILE *f = NULL;
	char *line = NULL;
	size_t cap = 0, n = 0, alloc = 0;
	struct record *recs = NULL;
	int lineno = 0, r = 0;

	f = regfile_fopen(path);
	if (!f)
		return -errno;
	while (getline(&line, &cap, f) >= 0) {
		json_t *o;

		lineno++;
		if (strspn(line, " \t\r\n") == strlen(line))
			continue;
		if (n == alloc) {
			size_t na = alloc ? 2 * alloc : 64;
			struct record *tmp = realloc(recs, na * sizeof(*recs));

			if (!tmp) {
				r = -ENOMEM;
				goto out;
			}
			recs = tmp;
			alloc = na;
		}
		memset(&recs[n], 0, sizeof(recs[n]));
		o = json_loads(line, JSON_DECODE_ANY, NULL);
		r = o ? record_parse(o, &recs[n]) : -EINVAL;
		json_decref(o);
		n++; /* also a failed one: its dets (if any) are freed below */
		if (r < 0)
			goto out;
	}
	if (ferror(f)) {
		r = -EIO;
		goto out;
	}
	*ret_recs = recs;
	*ret_n = n;
	recs = NULL;
	n = 0;
out:
	if (r < 0 && ret_line)
		*ret_line = lineno;
	records_free(recs, n);
	free(line);
	fclose(f);
	return r;
}

void records_free(struct record *recs, size_t n)
{
	if (!recs)
		return;
	for (size_t i = 0; i < n; i++)
		detect_result_clear(&recs[i].res);
	free(recs);
}
