// SPDX-License-Identifier: MIT
/* Request bodies up to a limit (see upload.h). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "pipeline/upload.h"

int upload_append(struct upload *u, const void *data, size_t n, size_t max)
{
	if (u->too_large || u->len + n > max) {
		u->too_large = 1;
		u->discarded += n;
		return u->discarded > max ? -EMSGSIZE : 0;
	}
	if (u->len + n > u->cap) {
		size_t cap = u->cap ? u->cap : 64 * 1024;
		uint8_t *p;

		while (cap < u->len + n)
			cap *= 2;
		p = realloc(u->body, cap);
		if (!p)
			return -ENOMEM;
		u->body = p;
		u->cap = cap;
	}
	memcpy(u->body + u->len, data, n);
	u->len += n;
	return 0;
}

uint8_t *upload_take(struct upload *u)
{
	uint8_t *b = u->body;

	*u = (struct upload){ .body = NULL };
	return b;
}

void upload_free(struct upload *u)
{
	free(u->body);
	*u = (struct upload){ .body = NULL };
}
