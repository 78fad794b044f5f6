// SPDX-License-Identifier: MIT
/* libFuzzer target: the worker-protocol frame reader and every message decoder, plus the
 * UDP datagram header and reassembly. Decoded messages must re-encode to the same bytes. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "pipeline/proto.h"
#include "pipeline/udp.h"

static void check_reencode(const struct proto_frame *f, const struct proto_buf *b)
{
	if (b->len != PROTO_HDR_BYTES + f->len ||
	    memcmp(b->data + PROTO_HDR_BYTES, f->payload, f->len))
		abort();
}

static void decode_all(const struct proto_frame *f)
{
	struct proto_buf b = { 0 };
	struct proto_register reg;
	struct proto_welcome wel;
	struct proto_job job;
	struct proto_result res;
	char bye[PROTO_STR_MAX + 1];
	uint64_t ms;

	/* Every decoder sees every frame: each must refuse the types it does not own. */
	if (proto_get_register(f, &reg) == 0 && proto_put_register(&b, &reg) == 0)
		check_reencode(f, &b);
	b.len = 0;
	if (proto_get_welcome(f, &wel) == 0 && proto_put_welcome(&b, &wel) == 0)
		check_reencode(f, &b);
	b.len = 0;
	if (proto_get_heartbeat(f, &ms) == 0 && proto_put_heartbeat(&b, ms) == 0)
		check_reencode(f, &b);
	b.len = 0;
	if (proto_get_job(f, &job) == 0 && proto_put_job(&b, &job) == 0)
		check_reencode(f, &b);
	b.len = 0;
	if (proto_get_result(f, &res) == 0) {
		if (proto_put_result(&b, &res) == 0)
			check_reencode(f, &b);
		proto_result_clear(&res);
	}
	b.len = 0;
	if (proto_get_bye(f, bye, sizeof(bye)) == 0 && proto_put_bye(&b, bye) == 0)
		check_reencode(f, &b);
	proto_buf_clear(&b);
}

static void fuzz_udp(const uint8_t *data, size_t size)
{
	struct udp_asm *a = NULL;
	struct udp_hdr h;
	const uint8_t *chunk;
	size_t len;
	uint8_t *out = NULL;

	if (udp_hdr_get(data, size, &h, &chunk, &len) < 0)
		return;
	/* Keep reassembly buffers small enough for the fuzzer's memory limit. */
	if (h.total > (1u << 20) || udp_asm_new(&h, &a) < 0)
		return;
	if (udp_asm_add(a, &h, chunk, len) != 1)
		abort();
	if (udp_asm_build(a, h.index & 1, &out, &len) == 0)
		free(out);
	udp_asm_free(a);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct proto_reader *r = NULL;
	struct proto_frame f;
	size_t off = 0;

	fuzz_udp(data, size);
	if (proto_reader_new(64 * 1024, &r) < 0)
		return 0;
	/* The first byte picks the split size, so that frames straddle feeds. */
	while (off < size) {
		size_t step = size ? (size_t)data[0] % 7 + 1 : 1;
		int st;

		if (step > size - off)
			step = size - off;
		proto_reader_feed(r, data + off, step);
		off += step;
		while ((st = proto_reader_next(r, &f)) == 1)
			decode_all(&f);
		if (st < 0)
			break;
	}
	proto_reader_free(r);
	return 0;
}
