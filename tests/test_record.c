// SPDX-License-Identifier: MIT
/* Job records: JSON-lines round trip, defaults, malformed lines. */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "models/detections.h"
#include "models/record.h"
#include "t.h"

/* A temp file holding text; path written to buf. */
static int tmp_with(char *buf, size_t size, const char *text)
{
	FILE *f;
	int fd;

	snprintf(buf, size, "/tmp/qoslab-test-record.XXXXXX");
	fd = mkstemp(buf);
	if (fd < 0)
		return -errno;
	f = fdopen(fd, "w");
	if (!f) {
		close(fd);
		return -errno;
	}
	fputs(text, f);
	fclose(f);
	return 0;
}

static void roundtrip(struct t *t)
{
	struct detection dets[2] = {
		{ .cls = 0, .name = "person", .conf = 0.91f, .box = { 0.5f, 0.4f, 0.2f, 0.6f } },
		{ .cls = 21, .name = "bear", .conf = 0.0123f, .box = { 0.1f, 0.9f, 0.05f, 0.1f } },
	};
	struct record in[3] = {
		{ .job = 7, .image = "000000000139.jpg", .status = RECORD_OK,
		  .t_submit = 1732312345.123456, .t_done = 1732312345.456789, .bytes = 161811,
		  .worker = "worker-1", .attempts = 2,
		  .res = { .dets = dets, .n = 2, .width = 640, .height = 426, .bytes_pre = 40000,
			   .t_decode_ms = 5.25, .t_pre_ms = 1.5, .t_infer_ms = 180.125 } },
		{ .job = 8, .image = "b.jpg", .status = RECORD_TIMEOUT, .error = "deadline 5000 ms",
		  .attempts = 3 },
		{ .job = 9, .image = "c \"quoted\".jpg", .status = RECORD_ERROR,
		  .error = "not a decodable JPEG" },
	};
	struct record *out = NULL;
	char path[64];
	size_t n = 0;
	FILE *f;
	int fd, r, line = -1;

	snprintf(path, sizeof(path), "/tmp/qoslab-test-record.XXXXXX");
	fd = mkstemp(path);
	T_ASSERT(t, fd >= 0);
	f = fdopen(fd, "w");
	T_ASSERT(t, f != NULL);
	for (int i = 0; i < 3; i++)
		T_EQ_INT(t, record_write(f, &in[i]), 0);
	fclose(f);
	r = records_read(path, &out, &n, &line);
	unlink(path);
	T_EQ_INT(t, r, 0);
	T_EQ_INT(t, n, 3);
	T_EQ_INT(t, out[0].job, 7);
	T_ASSERT(t, !strcmp(out[0].image, "000000000139.jpg"));
	T_EQ_INT(t, out[0].status, RECORD_OK);
	T_ASSERT(t, out[0].error[0] == '\0');
	T_ASSERTF(t, fabs(out[0].t_submit - 1732312345.123456) < 2e-6, "t_submit %.6f", out[0].t_submit);
	T_ASSERT(t, fabs(out[0].t_done - 1732312345.456789) < 2e-6);
	T_EQ_INT(t, out[0].bytes, 161811);
	T_ASSERT(t, !strcmp(out[0].worker, "worker-1"));
	T_EQ_INT(t, out[0].attempts, 2);
	T_EQ_INT(t, out[0].res.width, 640);
	T_EQ_INT(t, out[0].res.height, 426);
	T_EQ_INT(t, out[0].res.bytes_pre, 40000);
	T_ASSERT(t, fabs(out[0].res.t_infer_ms - 180.125) < 1e-6);
	T_EQ_INT(t, out[0].res.n, 2);
	for (int i = 0; i < 2; i++) {
		T_EQ_INT(t, out[0].res.dets[i].cls, dets[i].cls);
		T_ASSERT(t, !strcmp(out[0].res.dets[i].name, dets[i].name));
		T_ASSERT(t, fabsf(out[0].res.dets[i].conf - dets[i].conf) < 1e-6f);
		for (int k = 0; k < 4; k++)
			T_ASSERT(t, fabsf(out[0].res.dets[i].box[k] - dets[i].box[k]) < 1e-6f);
	}
	T_EQ_INT(t, out[1].status, RECORD_TIMEOUT);
	T_ASSERT(t, !strcmp(out[1].error, "deadline 5000 ms"));
	T_EQ_INT(t, out[1].res.n, 0);
	T_EQ_INT(t, out[2].status, RECORD_ERROR);
	T_ASSERT(t, !strcmp(out[2].image, "c \"quoted\".jpg"));
	records_free(out, n);
}

static void minimal_and_blank_lines(struct t *t)
{
	struct record *out = NULL;
	char path[64];
	size_t n = 0;
	int r;

	T_ASSERT(t, tmp_with(path, sizeof(path),
			     "{\"image\":\"a.jpg\",\"status\":\"ok\"}\n\n  \n"
			     "{\"image\":\"b.jpg\",\"status\":\"timeout\",\"detections\":null}\n") == 0);
	r = records_read(path, &out, &n, NULL);
	unlink(path);
	T_EQ_INT(t, r, 0);
	T_EQ_INT(t, n, 2);
	T_EQ_INT(t, out[0].res.n, 0);
	T_EQ_INT(t, out[1].status, RECORD_TIMEOUT);
	records_free(out, n);
}

static void malformed(struct t *t)
{
	static const char *const bad[] = {
		"{\"image\":\"a.jpg\",\"status\":\"ok\"}\nnot json\n",
		"{\"image\":\"a.jpg\",\"status\":\"ok\"}\n{\"image\":\"b.jpg\",\"status\":\"lost\"}\n",
		"{\"image\":\"a.jpg\",\"status\":\"ok\"}\n{\"status\":\"ok\"}\n",
		"{\"image\":\"a.jpg\",\"status\":\"ok\"}\n{\"image\":\"b.jpg\",\"status\":\"ok\",\"detections\":[{\"class\":1,\"conf\":0.5,\"box\":[1,2,3]}]}\n",
		"{\"image\":\"a.jpg\",\"status\":\"ok\"}\n{\"image\":\"b.jpg\",\"status\":\"ok\",\"bytes\":\"many\"}\n",
		"{\"image\":\"a.jpg\",\"status\":\"ok\"}\n[1,2]\n",
	};
	struct record *out = NULL;
	char path[64];
	size_t n = 0;
	int line, r;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		T_ASSERT(t, tmp_with(path, sizeof(path), bad[i]) == 0);
		line = 0;
		r = records_read(path, &out, &n, &line);
		unlink(path);
		T_ASSERTF(t, r == -EINVAL, "case %zu: %d", i, r);
		T_EQ_INT(t, line, 2);
	}
	T_EQ_INT(t, records_read("/nonexistent/records.jsonl", &out, &n, NULL), -ENOENT);
}

/* The one detections codec: the API's element and a record's are the same text, rounded to
 * 6 decimals; the reader is strict on types and cuts long names at a character. */
static void detections_codec(struct t *t)
{
	const float box[4] = { 0.1234567f, 0.5f, 1.0f / 3.0f, 0.25f };
	struct detection d = { .cls = 3, .name = "car", .conf = 0.87654321f,
			       .box = { 0.1234567f, 0.5f, 1.0f / 3.0f, 0.25f } };
	struct detection *back = NULL;
	json_t *api = detection_json_new(3, "car", 0.87654321f, box);
	json_t *arr = detections_json_new(&d, 1), *bad;
	char *a = json_dumps(api, JSON_COMPACT | JSON_REAL_PRECISION(9));
	char *b = json_dumps(json_array_get(arr, 0), JSON_COMPACT | JSON_REAL_PRECISION(16));
	size_t n = 9;

	T_ASSERT(t, a && b);
	T_ASSERTF(t, !strcmp(a, b), "API %s, record %s", a, b);
	T_ASSERTF(t, !strcmp(a, "{\"class\":3,\"name\":\"car\",\"conf\":0.876543,"
			       "\"box\":[0.123457,0.5,0.333333,0.25]}"), "%s", a);
	T_EQ_INT(t, detections_from_json(arr, &back, &n), 0);
	T_ASSERT(t, n == 1 && back[0].cls == 3 && !strcmp(back[0].name, "car"));
	T_ASSERT(t, back[0].conf == 0.876543f && back[0].box[2] == 0.333333f);
	free(back);
	T_ASSERT(t, detections_round(NAN) == 0 && detections_round(-2.0000004) == -2);

	/* none: absent, null, [] */
	T_ASSERT(t, detections_from_json(NULL, &back, &n) == 0 && n == 0 && !back);
	T_ASSERT(t, detections_from_json(json_null(), &back, &n) == 0 && n == 0);
	/* a name longer than DETECTION_NAME_MAX - 1 bytes, cut before a 2-byte character */
	bad = json_loads("[{\"class\":1,\"name\":\"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\xc3\xa9x\","
			 "\"conf\":0.5,\"box\":[0,0,1,1]}]", 0, NULL);
	T_ASSERT(t, bad != NULL);
	T_EQ_INT(t, detections_from_json(bad, &back, &n), 0);
	T_ASSERTF(t, strlen(back[0].name) == 30, "%zu", strlen(back[0].name));
	free(back);
	json_decref(bad);
	{
		static const char *const wrong[] = {
			"{}", "[1]", "[{\"class\":\"1\",\"conf\":0.5,\"box\":[0,0,1,1]}]",
			"[{\"class\":-1,\"conf\":0.5,\"box\":[0,0,1,1]}]",
			"[{\"class\":1,\"conf\":\"x\",\"box\":[0,0,1,1]}]",
			"[{\"class\":1,\"conf\":0.5,\"box\":[0,0,1]}]",
			"[{\"class\":1,\"conf\":0.5,\"box\":[0,0,1,\"1\"]}]",
			"[{\"class\":1,\"name\":7,\"conf\":0.5,\"box\":[0,0,1,1]}]",
		};

		for (size_t i = 0; i < sizeof(wrong) / sizeof(wrong[0]); i++) {
			bad = json_loads(wrong[i], 0, NULL);
			n = 9;
			T_ASSERTF(t, bad && detections_from_json(bad, &back, &n) == -EINVAL && n == 9,
				  "%s taken", wrong[i]);
			json_decref(bad);
		}
	}
	json_decref(api);
	json_decref(arr);
	free(a);
	free(b);
}

int main(int argc, char **argv)
{
	static const struct t_case cases[] = {
		T_CASE(roundtrip),
		T_CASE(minimal_and_blank_lines),
		T_CASE(malformed),
		T_CASE(detections_codec),
		{ 0 }
	};

	return t_main(cases, argc, argv);
}
