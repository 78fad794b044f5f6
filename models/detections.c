// SPDX-License-Identifier: MIT
/* The one JSON form of detections, written by the HTTP API and records, read by both. */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "models/detections.h"

double detections_round(double v)
{
	return isfinite(v) ? round(v * 1e6) / 1e6 : 0.0;
}

json_t *detection_json_new(int cls, const char *name, double conf, const float box[4])
{
	return json_pack("{s:i, s:s, s:f, s:[f, f, f, f]}", "class", cls, "name", name ? name : "",
			 "conf", detections_round(conf), "box", detections_round(box[0]),
			 detections_round(box[1]), detections_round(box[2]), detections_round(box[3]));
}

json_t *detections_json_new(const struct detection *d, size_t n)
{
	json_t *arr = json_array();

	for (size_t i = 0; arr && i < n; i++)
		if (json_array_append_new(arr, detection_json_new(d[i].cls, d[i].name, d[i].conf,
								  d[i].box)) < 0) {
			json_decref(arr);
			arr = NULL;
		}
	return arr;
}

/* At most len - 1 bytes of s, not splitting a UTF-8 sequence (jansson wrote valid UTF-8). */
static void name_copy(char *buf, size_t len, const char *s, size_t n)
{
	if (n >= len) {
		n = len - 1;
		while (n && ((unsigned char)s[n] & 0xc0) == 0x80)
			n--;
	}
	memcpy(buf, s, n);
	buf[n] = '\0';
}

static int detection_parse(const json_t *o, struct detection *d)
{
	const json_t *cls = json_object_get(o, "class"), *box = json_object_get(o, "box");
	const json_t *conf = json_object_get(o, "conf"), *name = json_object_get(o, "name");

	/* conf absent or null reads as 0, as records always did */
	if (!json_is_object(o) || !json_is_integer(cls) ||
	    (conf && !json_is_null(conf) && !json_is_number(conf)) ||
	    !json_is_array(box) || json_array_size(box) != 4 ||
	    (name && !json_is_null(name) && !json_is_string(name)))
		return -EINVAL;
	if (json_integer_value(cls) < 0 || json_integer_value(cls) > 1000000)
		return -EINVAL;
	d->cls = (int)json_integer_value(cls);
	d->conf = json_is_number(conf) ? (float)json_number_value(conf) : 0.0f;
	d->name[0] = '\0';
	if (json_is_string(name))
		name_copy(d->name, sizeof(d->name), json_string_value(name), json_string_length(name));
	for (size_t i = 0; i < 4; i++) {
		const json_t *v = json_array_get(box, i);

		if (!json_is_number(v))
			return -EINVAL;
		d->box[i] = (float)json_number_value(v);
	}
	return 0;
}

int detections_from_json(const json_t *arr, struct detection **ret, size_t *ret_n)
{
	struct detection *d = NULL;
	size_t n;

	if (!arr || json_is_null(arr)) {
		*ret = NULL;
		*ret_n = 0;
		return 0;
	}
	if (!json_is_array(arr))
		return -EINVAL;
	n = json_array_size(arr);
	if (n && !(d = calloc(n, sizeof(*d))))
		return -ENOMEM;
	for (size_t i = 0; i < n; i++)
		if (detection_parse(json_array_get(arr, i), &d[i]) < 0) {
			free(d);
			return -EINVAL;
		}
	*ret = d;
	*ret_n = n;
	return 0;
}
