/* SPDX-License-Identifier: MIT */
/* Server <-> worker wire protocol: length-prefixed, versioned binary frames over TCP. */
#ifndef QOSLAB_PROTO_H
#define QOSLAB_PROTO_H
#include <stddef.h>
#include <stdint.h>

/*
 * Frame = 8-byte header + payload, all integers big-endian, floats as IEEE-754 bits:
 *
 *   0      2        3       4               8
 *   +------+--------+-------+---------------+------------------+
 *   | 'QL' | version| type  | payload length| payload ...      |
 *   +------+--------+-------+---------------+------------------+
 *
 * A reader rejects a frame as soon as its header is in: wrong magic or type (-EBADMSG),
 * other version (-EPROTONOSUPPORT), length above the reader's maximum (-EMSGSIZE).
 * Payloads (strings are u16 length + bytes, no NUL):
 *   REGISTER  w->s  u16 udp_port, str name, str model
 *   WELCOME   s->w  u32 worker_id, u32 heartbeat_ms
 *   HEARTBEAT w->s  u64 sender's monotonic ms (informative)
 *   JOB       s->w  u64 job_id, u32 attempt, u8 grayscale, u8 quality, u8 resize_pct,
 *                   u8 transport (0 tcp, 1 udp), then
 *                   tcp: the JPEG (rest of the payload)
 *                   udp: u64 transfer, u32 total_bytes, u16 chunk_bytes, u8 reassembly
 *                        (0 holes, 1 concat), u8 0, u32 wait_ms
 *   RESULT    w->s  u64 job_id, u32 attempt, i32 status (0 or -errno), str error,
 *                   u32 width, height, bytes_in, bytes_pre, bytes_rx, chunks_rx,
 *                   chunks_total, t_decode_us, t_pre_us, t_infer_us, u32 n, then n x
 *                   { u16 class, f32 conf, f32 cx, cy, w, h, str name }
 *   BYE       both  str reason
 */
#define PROTO_MAGIC 0x514c /* "QL" */
#define PROTO_VERSION 1
#define PROTO_HDR_BYTES 8
#define PROTO_STR_MAX 255
#define PROTO_DETS_MAX 65535
/* Default maximum frame: a 32 MiB JPEG plus header room. */
#define PROTO_FRAME_MAX_DEFAULT (32u * 1024 * 1024 + 4096)

/* Whether s[0..n) is text a string field may hold: UTF-8 without control characters (no
 * NUL, no C0/C1 controls, no DEL). Decoders refuse any other string as a bad frame,
 * encoders with -EINVAL. */
int proto_text_valid(const char *s, size_t n);
/* Replaces every byte of s that is not part of valid text by '?'. */
void proto_text_sanitize(char *s);

enum proto_type {
	PROTO_REGISTER = 1,
	PROTO_WELCOME = 2,
	PROTO_HEARTBEAT = 3,
	PROTO_JOB = 4,
	PROTO_RESULT = 5,
	PROTO_BYE = 6,
};

enum proto_transport { PROTO_TCP = 0, PROTO_UDP = 1 };
enum proto_reassembly { PROTO_HOLES = 0, PROTO_CONCAT = 1 };

/* A complete frame as handed out by the reader; payload points into the reader. */
struct proto_frame {
	uint8_t type;
	uint32_t len;
	const uint8_t *payload;
};

struct proto_register {
	uint16_t udp_port;
	char name[PROTO_STR_MAX + 1];
	char model[PROTO_STR_MAX + 1];
};

struct proto_welcome {
	uint32_t worker_id;
	uint32_t heartbeat_ms;
};

struct proto_job {
	uint64_t job_id;
	uint32_t attempt;
	uint8_t grayscale, quality, resize_pct;
	uint8_t transport;
	const uint8_t *image; /* tcp: points into the frame (decode) or the caller (encode) */
	uint32_t image_len;
	uint64_t transfer;    /* udp */
	uint32_t total_bytes;
	uint16_t chunk_bytes;
	uint8_t reassembly;
	uint32_t wait_ms;
};

struct proto_det {
	uint16_t cls;
	float conf;
	float box[4];
	char name[PROTO_STR_MAX + 1];
};

struct proto_result {
	uint64_t job_id;
	uint32_t attempt;
	int32_t status;
	char error[PROTO_STR_MAX + 1];
	uint32_t width, height, bytes_in, bytes_pre, bytes_rx, chunks_rx, chunks_total;
	uint32_t t_decode_us, t_pre_us, t_infer_us;
	uint32_t n;
	struct proto_det *dets; /* malloc'ed by decode; free with proto_result_clear */
};

/* Growable output buffer; frames are appended whole. */
struct proto_buf {
	uint8_t *data;
	size_t len, cap;
};

void proto_buf_clear(struct proto_buf *b);
/* Drops the first n bytes (sent). */
void proto_buf_consume(struct proto_buf *b, size_t n);

/* Each appends one frame to b. 0, -ENOMEM, or -EINVAL (string too long, too many
 * detections, image over 4 GiB). */
int proto_put_register(struct proto_buf *b, const struct proto_register *m);
int proto_put_welcome(struct proto_buf *b, const struct proto_welcome *m);
int proto_put_heartbeat(struct proto_buf *b, uint64_t now_ms);
int proto_put_job(struct proto_buf *b, const struct proto_job *m);
int proto_put_result(struct proto_buf *b, const struct proto_result *m);
int proto_put_bye(struct proto_buf *b, const char *reason);

/* Each decodes a frame of its type. 0 or -EBADMSG (wrong type, short or trailing
 * bytes, out-of-range field). On failure ret is left cleared. */
int proto_get_register(const struct proto_frame *f, struct proto_register *ret);
int proto_get_welcome(const struct proto_frame *f, struct proto_welcome *ret);
int proto_get_heartbeat(const struct proto_frame *f, uint64_t *ret_ms);
int proto_get_job(const struct proto_frame *f, struct proto_job *ret);
int proto_get_result(const struct proto_frame *f, struct proto_result *ret);
int proto_get_bye(const struct proto_frame *f, char *buf, size_t size);
void proto_result_clear(struct proto_result *r);

/* Incremental frame parser for a byte stream. */
struct proto_reader;

int proto_reader_new(uint32_t max_frame_bytes, struct proto_reader **ret);
void proto_reader_free(struct proto_reader *r);
/* Appends received bytes. 0 or -ENOMEM. */
int proto_reader_feed(struct proto_reader *r, const void *data, size_t len);
/* 1 and ret filled (valid until the next call of any reader function), 0 when more bytes
 * are needed, or -EBADMSG / -EPROTONOSUPPORT / -EMSGSIZE: the stream is unusable. */
int proto_reader_next(struct proto_reader *r, struct proto_frame *ret);
const char *proto_type_name(uint8_t type);
#endif
