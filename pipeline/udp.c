// SPDX-License-Identifier: MIT
/* Lossy UDP image transfer: datagram header, sender and reassembly with holes or concat. */
#include "pipeline/udp.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

static void be16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static void be32(uint8_t *p, uint32_t v)
{
	be16(p, (uint16_t)(v >> 16));
	be16(p + 2, (uint16_t)v);
}

static uint16_t rd16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static uint32_t rd32(const uint8_t *p)
{
	return (uint32_t)rd16(p) << 16 | rd16(p + 2);
}

void udp_hdr_put(uint8_t out[UDP_HDR_BYTES], const struct udp_hdr *h)
{
	be16(out, UDP_MAGIC);
	out[2] = UDP_VERSION;
	out[3] = 0;
	be16(out + 4, h->chunk_bytes);
	be16(out + 6, 0);
	be32(out + 8, (uint32_t)(h->transfer >> 32));
	be32(out + 12, (uint32_t)h->transfer);
	be32(out + 16, h->index);
	be32(out + 20, h->count);
	be32(out + 24, h->total);
}

uint32_t udp_chunk_count(uint32_t total, uint16_t chunk_bytes)
{
	if (!chunk_bytes)
		return 0;
	return total / chunk_bytes + (total % chunk_bytes != 0);
}

/* Length of chunk index of a transfer. */
static size_t chunk_len(uint32_t total, uint16_t chunk_bytes, uint32_t index)
{
	uint64_t off = (uint64_t)index * chunk_bytes;

	if (off >= total)
		return 0;
	return total - off < chunk_bytes ? total - off : chunk_bytes;
}

static int hdr_valid(const struct udp_hdr *h)
{
	return h->chunk_bytes && h->total && h->total <= UDP_TOTAL_MAX &&
	       h->count == udp_chunk_count(h->total, h->chunk_bytes) && h->index < h->count;
}

int udp_hdr_get(const uint8_t *dgram, size_t len, struct udp_hdr *ret,
		const uint8_t **ret_data, size_t *ret_len)
{
	struct udp_hdr h;

	if (len < UDP_HDR_BYTES || rd16(dgram) != UDP_MAGIC || dgram[2] != UDP_VERSION)
		return -EBADMSG;
	h.chunk_bytes = rd16(dgram + 4);
	h.transfer = (uint64_t)rd32(dgram + 8) << 32 | rd32(dgram + 12);
	h.index = rd32(dgram + 16);
	h.count = rd32(dgram + 20);
	h.total = rd32(dgram + 24);
	if (!hdr_valid(&h) || len - UDP_HDR_BYTES != chunk_len(h.total, h.chunk_bytes, h.index))
		return -EBADMSG;
	*ret = h;
	*ret_data = dgram + UDP_HDR_BYTES;
	*ret_len = len - UDP_HDR_BYTES;
	return 0;
}

/* xorshift64: a tiny seeded generator for the drop test aid. */
static uint64_t next_rand(uint64_t *s)
{
	uint64_t x = *s ? *s : 0x9e3779b97f4a7c15ULL;

	x ^= x << 13;
	x ^= x >> 7;
	x ^= x << 17;
	*s = x;
	return x;
}

int udp_send(int fd, const struct sockaddr *dest, socklen_t dest_len, uint64_t transfer,
	     const void *data, uint32_t len, const struct udp_send_opts *o)
{
	uint16_t chunk_bytes = o->chunk_bytes;
	struct udp_hdr h = { .chunk_bytes = chunk_bytes, .transfer = transfer, .total = len };
	uint8_t dgram[UDP_HDR_BYTES + 65000];
	const struct timespec pace = { 0, (long)o->pace_us * 1000 };

	h.count = udp_chunk_count(len, chunk_bytes);
	if (!len || !chunk_bytes || chunk_bytes > sizeof(dgram) - UDP_HDR_BYTES ||
	    len > UDP_TOTAL_MAX)
		return -EINVAL;
	for (h.index = 0; h.index < h.count; h.index++) {
		size_t n = chunk_len(len, chunk_bytes, h.index);

		if (o->drop_ppm && o->drop_state && next_rand(o->drop_state) % 1000000 < o->drop_ppm)
			continue;
		udp_hdr_put(dgram, &h);
		memcpy(dgram + UDP_HDR_BYTES, (const uint8_t *)data + (size_t)h.index * chunk_bytes, n);
		for (;;) {
			if (sendto(fd, dgram, UDP_HDR_BYTES + n, MSG_NOSIGNAL, dest, dest_len) >= 0)
				break;
			/* A full local queue is not network loss: wait for it to drain. ECONNREFUSED
			 * is an ICMP echo of an earlier datagram; the transfer goes on regardless. */
			if (errno == ENOBUFS || errno == EAGAIN) {
				nanosleep(&(struct timespec){ 0, 200000 }, NULL);
				continue;
			}
			if (errno == EINTR || errno == ECONNREFUSED)
				continue;
			return -errno;
		}
		if (o->pace_us > 0)
			nanosleep(&pace, NULL);
	}
	return 0;
}

uint64_t udp_transfer_new(void)
{
	uint64_t v = 0;

	while (!v)
		if (getrandom(&v, sizeof(v), 0) != sizeof(v))
			v = (uint64_t)time(NULL) << 20 ^ (uint64_t)getpid() ^ (uint64_t)clock();
	return v;
}

struct udp_asm {
	struct udp_hdr h;    /* transfer, chunk_bytes, count, total */
	uint8_t *data;       /* total bytes, zero where nothing arrived */
	uint8_t *have;       /* per chunk: 1 received */
	uint32_t *order;     /* chunk indices in arrival order */
	uint32_t received;
};

void udp_asm_free(struct udp_asm *a)
{
	if (!a)
		return;
	free(a->data);
	free(a->have);
	free(a->order);
	free(a);
}

int udp_asm_new(const struct udp_hdr *h, struct udp_asm **ret)
{
	struct udp_asm *a = NULL;
	int r = -ENOMEM;

	if (!hdr_valid(h))
		return -EINVAL;
	a = calloc(1, sizeof(*a));
	if (!a)
		goto out;
	a->h = *h;
	a->data = calloc(1, h->total);
	a->have = calloc(h->count, 1);
	a->order = calloc(h->count, sizeof(*a->order));
	if (!a->data || !a->have || !a->order)
		goto out;
	*ret = a;
	return 0;
out:
	udp_asm_free(a);
	return r;
}

int udp_asm_empty(uint32_t total, uint16_t chunk_bytes, struct udp_asm **ret)
{
	struct udp_hdr h = { .chunk_bytes = chunk_bytes, .total = total };

	h.count = udp_chunk_count(total, chunk_bytes);
	return udp_asm_new(&h, ret);
}

int udp_asm_add(struct udp_asm *a, const struct udp_hdr *h, const uint8_t *data, size_t len)
{
	if (h->chunk_bytes != a->h.chunk_bytes || h->total != a->h.total ||
	    h->count != a->h.count || h->index >= a->h.count ||
	    len != chunk_len(a->h.total, a->h.chunk_bytes, h->index))
		return -EINVAL;
	if (a->have[h->index])
		return 0;
	memcpy(a->data + (size_t)h->index * a->h.chunk_bytes, data, len);
	a->have[h->index] = 1;
	a->order[a->received++] = h->index;
	return 1;
}

int udp_asm_complete(const struct udp_asm *a)
{
	return a->received == a->h.count;
}

uint32_t udp_asm_received(const struct udp_asm *a)
{
	return a->received;
}

uint32_t udp_asm_count(const struct udp_asm *a)
{
	return a->h.count;
}

uint32_t udp_asm_total(const struct udp_asm *a)
{
	return a->h.total;
}

int udp_asm_build(const struct udp_asm *a, int concat, uint8_t **ret_data, size_t *ret_len)
{
	size_t len = 0;
	uint8_t *out;

	if (!concat) {
		out = malloc(a->h.total);
		if (!out)
			return -ENOMEM;
		memcpy(out, a->data, a->h.total);
		*ret_data = out;
		*ret_len = a->h.total;
		return 0;
	}
	out = malloc(a->h.total);
	if (!out)
		return -ENOMEM;
	for (uint32_t i = 0; i < a->received; i++) {
		uint32_t k = a->order[i];
		size_t n = chunk_len(a->h.total, a->h.chunk_bytes, k);

		memcpy(out + len, a->data + (size_t)k * a->h.chunk_bytes, n);
		len += n;
	}
	*ret_data = out;
	*ret_len = len;
	return 0;
}
