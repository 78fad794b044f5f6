// SPDX-License-Identifier: MIT
/* Unit tests: worker protocol frames (round trips, malformed and oversized input) and the
 * UDP chunk header and reassembly. */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "pipeline/proto.h"
#include "pipeline/sock.h"
#include "pipeline/udp.h"
#include "tests/t.h"

/* Feeds b into a fresh reader and returns the first frame's status. */
static int read_one(const struct proto_buf *b, uint32_t max, struct proto_reader **ret_r,
		    struct proto_frame *ret_f)
{
	struct proto_reader *r = NULL;
	int st;

	if (proto_reader_new(max, &r) < 0)
		return -ENOMEM;
	proto_reader_feed(r, b->data, b->len);
	st = proto_reader_next(r, ret_f);
	*ret_r = r;
	return st;
}

static void roundtrip_register(struct t *t)
{
	struct proto_buf b = { 0 };
	struct proto_register in = { .udp_port = 40000 }, out;
	struct proto_reader *r = NULL;
	struct proto_frame f;

	strcpy(in.name, "worker-1");
	strcpy(in.model, "yolo-fastest-1.1-xl");
	T_ASSERT(t, proto_put_register(&b, &in) == 0);
	T_EQ_INT(t, read_one(&b, 0, &r, &f), 1);
	T_EQ_INT(t, f.type, PROTO_REGISTER);
	T_ASSERT(t, proto_get_register(&f, &out) == 0);
	T_EQ_INT(t, out.udp_port, 40000);
	T_ASSERT(t, !strcmp(out.name, "worker-1") && !strcmp(out.model, "yolo-fastest-1.1-xl"));
	/* Decoding with the wrong decoder is refused. */
	T_EQ_INT(t, proto_get_welcome(&f, &(struct proto_welcome){ 0 }), -EBADMSG);
	proto_reader_free(r);
	proto_buf_clear(&b);
}

static void roundtrip_job_tcp_and_udp(struct t *t)
{
	static const uint8_t img[] = { 0xff, 0xd8, 0xff, 0xe0, 1, 2, 3, 0xff, 0xd9 };
	struct proto_buf b = { 0 };
	struct proto_job tcp = { .job_id = 1ULL << 40, .attempt = 3, .grayscale = 1,
				 .quality = 50, .resize_pct = 25, .transport = PROTO_TCP,
				 .image = img, .image_len = sizeof(img) };
	struct proto_job udp = { .job_id = 7, .attempt = 1, .transport = PROTO_UDP,
				 .transfer = 0x1122334455667788ULL, .total_bytes = 150000,
				 .chunk_bytes = 512, .reassembly = PROTO_CONCAT, .wait_ms = 200 };
	struct proto_reader *r = NULL;
	struct proto_frame f;
	struct proto_job out;

	T_ASSERT(t, proto_put_job(&b, &tcp) == 0 && proto_put_job(&b, &udp) == 0);
	T_EQ_INT(t, read_one(&b, 0, &r, &f), 1);
	T_ASSERT(t, proto_get_job(&f, &out) == 0);
	T_ASSERT(t, out.job_id == 1ULL << 40 && out.attempt == 3 && out.grayscale == 1);
	T_ASSERT(t, out.quality == 50 && out.resize_pct == 25 && out.transport == PROTO_TCP);
	T_ASSERT(t, out.image_len == sizeof(img) && !memcmp(out.image, img, sizeof(img)));
	T_EQ_INT(t, proto_reader_next(r, &f), 1);
	T_ASSERT(t, proto_get_job(&f, &out) == 0);
	T_ASSERT(t, out.transport == PROTO_UDP && out.transfer == 0x1122334455667788ULL);
	T_ASSERT(t, out.total_bytes == 150000 && out.chunk_bytes == 512);
	T_ASSERT(t, out.reassembly == PROTO_CONCAT && out.wait_ms == 200);
	T_EQ_INT(t, proto_reader_next(r, &f), 0);
	proto_reader_free(r);
	proto_buf_clear(&b);
}

static void roundtrip_result(struct t *t)
{
	struct proto_det dets[2] = {
		{ .cls = 0, .conf = 0.875f, .box = { 0.5f, 0.25f, 0.125f, 1.0f }, .name = "person" },
		{ .cls = 79, .conf = 0.0625f, .box = { 0, 0, 0, 0 }, .name = "toothbrush" },
	};
	struct proto_result in = { .job_id = 99, .attempt = 2, .status = 0, .width = 640,
				   .height = 480, .bytes_in = 1234, .bytes_pre = 999,
				   .t_decode_us = 1500, .t_pre_us = 20, .t_infer_us = 170000,
				   .n = 2, .dets = dets };
	struct proto_result out = { 0 }, err = { .job_id = 5, .status = -EINVAL };
	struct proto_buf b = { 0 };
	struct proto_reader *r = NULL;
	struct proto_frame f;

	strcpy(err.error, "undecodable image");
	T_ASSERT(t, proto_put_result(&b, &in) == 0 && proto_put_result(&b, &err) == 0);
	T_EQ_INT(t, read_one(&b, 0, &r, &f), 1);
	T_ASSERT(t, proto_get_result(&f, &out) == 0);
	T_ASSERT(t, out.job_id == 99 && out.attempt == 2 && out.width == 640 && out.height == 480);
	T_ASSERT(t, out.t_infer_us == 170000 && out.n == 2);
	T_ASSERT(t, out.dets[0].conf == 0.875f && out.dets[0].box[1] == 0.25f);
	T_ASSERT(t, !strcmp(out.dets[1].name, "toothbrush") && out.dets[1].cls == 79);
	proto_result_clear(&out);
	T_EQ_INT(t, proto_reader_next(r, &f), 1);
	T_ASSERT(t, proto_get_result(&f, &out) == 0);
	T_ASSERT(t, out.status == -EINVAL && !strcmp(out.error, "undecodable image") && !out.dets);
	proto_result_clear(&out);
	proto_reader_free(r);
	proto_buf_clear(&b);
}

/* A stream delivered one byte at a time yields the same frames. */
static void byte_by_byte(struct t *t)
{
	struct proto_buf b = { 0 };
	struct proto_reader *r = NULL;
	struct proto_frame f;
	int frames = 0;
	uint64_t ms = 0;

	T_ASSERT(t, proto_put_heartbeat(&b, 123456789) == 0);
	T_ASSERT(t, proto_put_bye(&b, "shutting down") == 0);
	T_ASSERT(t, proto_put_welcome(&b, &(struct proto_welcome){ 4, 500 }) == 0);
	T_ASSERT(t, proto_reader_new(0, &r) == 0);
	for (size_t i = 0; i < b.len; i++) {
		int st;

		T_ASSERT(t, proto_reader_feed(r, b.data + i, 1) == 0);
		while ((st = proto_reader_next(r, &f)) == 1) {
			char why[64];
			struct proto_welcome w;

			frames++;
			if (f.type == PROTO_HEARTBEAT)
				T_ASSERT(t, proto_get_heartbeat(&f, &ms) == 0 && ms == 123456789);
			if (f.type == PROTO_BYE)
				T_ASSERT(t, proto_get_bye(&f, why, sizeof(why)) == 0 &&
					 !strcmp(why, "shutting down"));
			if (f.type == PROTO_WELCOME)
				T_ASSERT(t, proto_get_welcome(&f, &w) == 0 && w.worker_id == 4 &&
					 w.heartbeat_ms == 500);
		}
		T_EQ_INT(t, st, 0);
	}
	T_EQ_INT(t, frames, 3);
	proto_reader_free(r);
	proto_buf_clear(&b);
}

static void malformed_headers(struct t *t)
{
	static const struct {
		uint8_t hdr[8];
		int want;
	} cases[] = {
		{ { 'X', 'L', 1, 3, 0, 0, 0, 8 }, -EBADMSG },          /* magic */
		{ { 'Q', 'L', 2, 3, 0, 0, 0, 8 }, -EPROTONOSUPPORT },  /* version */
		{ { 'Q', 'L', 1, 0, 0, 0, 0, 8 }, -EBADMSG },          /* type 0 */
		{ { 'Q', 'L', 1, 7, 0, 0, 0, 8 }, -EBADMSG },          /* type 7 */
		{ { 'Q', 'L', 1, 4, 0xff, 0xff, 0xff, 0xff }, -EMSGSIZE }, /* 4 GiB */
		{ { 'Q', 'L', 1, 4, 0, 0, 0x10, 0x00 }, -EMSGSIZE },   /* 4 KiB > max 1 KiB */
	};
	struct proto_reader *r = NULL;
	struct proto_frame f;

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		T_ASSERT(t, proto_reader_new(1024, &r) == 0);
		proto_reader_feed(r, cases[i].hdr, 8);
		T_ASSERTF(t, proto_reader_next(r, &f) == cases[i].want, "case %zu", i);
		proto_reader_free(r);
		r = NULL;
	}
	/* Garbage is refused from its first byte, before a whole header is in. */
	T_ASSERT(t, proto_reader_new(0, &r) == 0);
	proto_reader_feed(r, "G", 1);
	T_EQ_INT(t, proto_reader_next(r, &f), -EBADMSG);
	proto_reader_free(r);
}

/* Frames whose header is fine but whose payload lies about its fields. */
static void malformed_payloads(struct t *t)
{
	uint8_t p[64];
	struct proto_frame f = { .payload = p };
	struct proto_register reg;
	struct proto_result res;
	struct proto_job job;
	char why[16];
	uint64_t ms;

	memset(p, 0, sizeof(p));
	/* register: name length 200 with 4 bytes present */
	f.type = PROTO_REGISTER;
	p[2] = 0;
	p[3] = 200;
	f.len = 8;
	T_EQ_INT(t, proto_get_register(&f, &reg), -EBADMSG);
	/* register: trailing byte */
	memset(p, 0, sizeof(p));
	f.len = 7;
	T_EQ_INT(t, proto_get_register(&f, &reg), -EBADMSG);
	f.len = 6;
	T_EQ_INT(t, proto_get_register(&f, &reg), 0);
	/* register: NUL inside a string */
	p[3] = 2;
	f.len = 10;
	T_EQ_INT(t, proto_get_register(&f, &reg), -EBADMSG);
	/* heartbeat: short */
	f.type = PROTO_HEARTBEAT;
	f.len = 7;
	T_EQ_INT(t, proto_get_heartbeat(&f, &ms), -EBADMSG);
	/* job: unknown transport, quality 101 */
	f.type = PROTO_JOB;
	memset(p, 0, sizeof(p));
	p[15] = 9;
	f.len = 16;
	T_EQ_INT(t, proto_get_job(&f, &job), -EBADMSG);
	p[15] = 0;
	p[13] = 101;
	T_EQ_INT(t, proto_get_job(&f, &job), -EBADMSG);
	/* job udp: chunk size 0 */
	p[13] = 0;
	p[15] = PROTO_UDP;
	f.len = 36;
	T_EQ_INT(t, proto_get_job(&f, &job), -EBADMSG);
	/* result: claims 1e6 detections in a short payload (must not allocate for them) */
	f.type = PROTO_RESULT;
	memset(p, 0, sizeof(p));
	p[58] = 0x0f;
	p[59] = 0x42;
	p[60] = 0x40;
	p[61] = 0x00;
	f.len = 62;
	T_EQ_INT(t, proto_get_result(&f, &res), -EBADMSG);
	T_ASSERT(t, res.dets == NULL);
	/* bye: empty payload */
	f.type = PROTO_BYE;
	f.len = 0;
	T_EQ_INT(t, proto_get_bye(&f, why, sizeof(why)), -EBADMSG);
}

static void encoder_limits(struct t *t)
{
	struct proto_buf b = { 0 };
	struct proto_register reg = { 0 };

	memset(reg.name, 'a', PROTO_STR_MAX + 1); /* not NUL-terminated within the limit */
	reg.name[PROTO_STR_MAX] = 'a';
	T_EQ_INT(t, proto_put_register(&b, &reg), -EINVAL);
	T_EQ_INT(t, proto_put_job(&b, &(struct proto_job){ .transport = 5 }), -EINVAL);
	T_EQ_INT(t, b.len, 0);
	proto_buf_clear(&b);
}

static void udp_header_roundtrip(struct t *t)
{
	struct udp_hdr h = { .chunk_bytes = 512, .transfer = 0xdeadbeefcafef00dULL,
			     .index = 2, .total = 1300 }, g;
	uint8_t d[UDP_HDR_BYTES + 512];
	const uint8_t *data;
	size_t len;

	h.count = udp_chunk_count(h.total, h.chunk_bytes);
	T_EQ_INT(t, h.count, 3);
	udp_hdr_put(d, &h);
	memset(d + UDP_HDR_BYTES, 7, 276);
	T_ASSERT(t, udp_hdr_get(d, UDP_HDR_BYTES + 276, &g, &data, &len) == 0);
	T_ASSERT(t, g.transfer == h.transfer && g.index == 2 && g.count == 3 && g.total == 1300);
	T_ASSERT(t, len == 276 && data[0] == 7);
	/* the last chunk's length must be the remainder */
	T_EQ_INT(t, udp_hdr_get(d, UDP_HDR_BYTES + 512, &g, &data, &len), -EBADMSG);
	/* index past count, count inconsistent with total */
	h.index = 3;
	udp_hdr_put(d, &h);
	T_EQ_INT(t, udp_hdr_get(d, UDP_HDR_BYTES + 276, &g, &data, &len), -EBADMSG);
	h.index = 0;
	h.count = 4;
	udp_hdr_put(d, &h);
	T_EQ_INT(t, udp_hdr_get(d, UDP_HDR_BYTES + 512, &g, &data, &len), -EBADMSG);
	T_EQ_INT(t, udp_hdr_get(d, 10, &g, &data, &len), -EBADMSG);
}

static void udp_reassembly_holes_and_concat(struct t *t)
{
	uint8_t img[1000], *out = NULL;
	struct udp_hdr h = { .chunk_bytes = 300, .transfer = 1, .total = sizeof(img) };
	struct udp_asm *a = NULL;
	size_t len;

	for (size_t i = 0; i < sizeof(img); i++)
		img[i] = (uint8_t)(i % 251 + 1);
	h.count = udp_chunk_count(h.total, h.chunk_bytes);
	T_ASSERT(t, udp_asm_new(&h, &a) == 0);
	/* chunks 3 then 0 arrive (1 and 2 lost), then a duplicate of 3 */
	h.index = 3;
	T_EQ_INT(t, udp_asm_add(a, &h, img + 900, 100), 1);
	h.index = 0;
	T_EQ_INT(t, udp_asm_add(a, &h, img, 300), 1);
	h.index = 3;
	T_EQ_INT(t, udp_asm_add(a, &h, img + 900, 100), 0);
	h.total = 999;
	T_EQ_INT(t, udp_asm_add(a, &h, img + 900, 100), -EINVAL);
	T_ASSERT(t, !udp_asm_complete(a) && udp_asm_received(a) == 2);
	T_ASSERT(t, udp_asm_build(a, 0, &out, &len) == 0);
	T_EQ_INT(t, len, 1000);
	T_ASSERT(t, !memcmp(out, img, 300) && !memcmp(out + 900, img + 900, 100));
	for (size_t i = 300; i < 900; i++)
		T_ASSERTF(t, out[i] == 0, "hole byte %zu is %d", i, out[i]);
	free(out);
	T_ASSERT(t, udp_asm_build(a, 1, &out, &len) == 0);
	T_EQ_INT(t, len, 400);
	/* arrival order: chunk 3 first */
	T_ASSERT(t, !memcmp(out, img + 900, 100) && !memcmp(out + 100, img, 300));
	free(out);
	udp_asm_free(a);
}

/* Real datagrams on loopback: all chunks arrive; with a seeded 30 % sender-side drop, the
 * same chunks go missing on every run and the holes are where they were. */
static void udp_send_loopback(struct t *t)
{
	struct sock_addr any, bound;
	uint8_t img[10000], d[UDP_HDR_BYTES + 2048], *out = NULL;
	int fd = -1, tx = -1;
	uint32_t got[2] = { 0 };

	for (size_t i = 0; i < sizeof(img); i++)
		img[i] = (uint8_t)(i * 7 + 3);
	T_ASSERT(t, sock_addr_parse("127.0.0.1:0", &any) == 0);
	fd = sock_bind_udp(&any, 1 << 20, &bound);
	tx = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	T_ASSERT(t, fd >= 0 && tx >= 0);
	for (int run = 0; run < 3; run++) {
		uint64_t seed = 42;
		struct udp_send_opts o = { .chunk_bytes = 128, .drop_ppm = run ? 300000 : 0,
					   .drop_state = &seed };
		struct udp_asm *a = NULL;
		size_t len;
		ssize_t n;

		T_ASSERT(t, udp_send(tx, (struct sockaddr *)&bound.ss, bound.len, 77 + run, img,
				     sizeof(img), &o) == 0);
		T_ASSERT(t, udp_asm_empty(sizeof(img), 128, &a) == 0);
		while ((n = recv(fd, d, sizeof(d), MSG_DONTWAIT)) > 0) {
			struct udp_hdr h;
			const uint8_t *data;

			T_ASSERT(t, udp_hdr_get(d, (size_t)n, &h, &data, &len) == 0);
			T_ASSERT(t, h.transfer == (uint64_t)(77 + run) && udp_asm_add(a, &h, data, len) == 1);
		}
		T_ASSERT(t, udp_asm_build(a, 0, &out, &len) == 0 && len == sizeof(img));
		if (!run)
			T_ASSERT(t, udp_asm_complete(a) && !memcmp(out, img, sizeof(img)));
		else
			got[run - 1] = udp_asm_received(a);
		free(out);
		out = NULL;
		udp_asm_free(a);
	}
	/* 79 chunks, ~30 % dropped, identically twice */
	T_ASSERTF(t, got[0] == got[1] && got[0] > 40 && got[0] < 70, "received %u and %u of 79",
		  got[0], got[1]);
	close(fd);
	close(tx);
}

int main(int argc, char **argv)
{
	static const struct t_case cases[] = {
		T_CASE(roundtrip_register),
		T_CASE(roundtrip_job_tcp_and_udp),
		T_CASE(roundtrip_result),
		T_CASE(byte_by_byte),
		T_CASE(malformed_headers),
		T_CASE(malformed_payloads),
		T_CASE(encoder_limits),
		T_CASE(udp_header_roundtrip),
		T_CASE(udp_reassembly_holes_and_concat),
		T_CASE(udp_send_loopback),
		{ 0 },
	};

	return t_main(cases, argc, argv);
}
