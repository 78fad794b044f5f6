/* SPDX-License-Identifier: MIT */
/* A request body read in pieces (libmicrohttpd hands them over as they arrive) up to a limit,
 * shared by the server's API and the edge. */
#ifndef QOSLAB_UPLOAD_H
#define QOSLAB_UPLOAD_H
#include <stddef.h>
#include <stdint.h>

struct upload {
	uint8_t *body;            /* owned; NULL until the first byte */
	size_t len, cap;
	int too_large;            /* more than the limit came: the body is incomplete */
	size_t discarded;         /* bytes dropped after the limit */
};

/*
 * Appends n bytes unless that passes max: then the body is marked too_large and the rest
 * is counted and dropped, so that the request can still be answered 413 at its end (a
 * chunked body declares no length). 0: read on; -EMSGSIZE: the stream went on past twice
 * the limit, cut the connection; -ENOMEM.
 */
int upload_append(struct upload *u, const void *data, size_t n, size_t max);
/* The body, which the caller now owns (the upload is left empty). */
uint8_t *upload_take(struct upload *u);
void upload_free(struct upload *u);
#endif
