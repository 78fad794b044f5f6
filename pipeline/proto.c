// SPDX-License-Identifier: MIT
/* Server <-> worker wire protocol: frame encoders, decoders and the stream reader. */
#include "pipeline/proto.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

/* ---- output ---- */

void proto_buf_clear(struct proto_buf *b)
{
	if (!b)
		return;
	free(b->data);
	*b = (struct proto_buf){ 0 };
}

void proto_buf_consume(struct proto_buf *b, size_t n)
{
	if (n >= b->len) {
		b->len = 0;
		return;
	}
	memmove(b->data, b->data + n, b->len - n);
	b->len -= n;
}

static int buf_reserve(struct proto_buf *b, size_t more)
{
	size_t cap = b->cap ? b->cap : 256;
	uint8_t *p;

	if (b->len + more <= b->cap)
		return 0;
	while (cap < b->len + more)
		cap *= 2;
	p = realloc(b->data, cap);
	if (!p)
		return -ENOMEM;
	b->data = p;
	b->cap = cap;
	return 0;
}

/* Writers assume the space was reserved by frame_begin. */
static void put_u8(struct proto_buf *b, uint8_t v)
{
	b->data[b->len++] = v;
}

static void put_u16(struct proto_buf *b, uint16_t v)
{
	put_u8(b, (uint8_t)(v >> 8));
	put_u8(b, (uint8_t)v);
}

static void put_u32(struct proto_buf *b, uint32_t v)
{
	put_u16(b, (uint16_t)(v >> 16));
	put_u16(b, (uint16_t)v);
}

static void put_u64(struct proto_buf *b, uint64_t v)
{
	put_u32(b, (uint32_t)(v >> 32));
	put_u32(b, (uint32_t)v);
}

static void put_f32(struct proto_buf *b, float f)
{
	uint32_t v;

	memcpy(&v, &f, sizeof(v));
	put_u32(b, v);
}

static void put_bytes(struct proto_buf *b, const void *p, size_t n)
{
	if (n)
		memcpy(b->data + b->len, p, n);
	b->len += n;
}

static void put_str(struct proto_buf *b, const char *s)
{
	size_t n = strnlen(s, PROTO_STR_MAX);

	put_u16(b, (uint16_t)n);
	put_bytes(b, s, n);
}

/* Length of the UTF-8 sequence at s (at most n bytes), 0 when it is not valid UTF-8 or a
 * control character. */
static size_t text_char(const uint8_t *s, size_t n)
{
	uint32_t c;
	size_t len, i;

	if (s[0] < 0x80)
		return s[0] >= 0x20 && s[0] != 0x7f;
	if (s[0] >= 0xc2 && s[0] <= 0xdf)
		len = 2, c = s[0] & 0x1f;
	else if (s[0] >= 0xe0 && s[0] <= 0xef)
		len = 3, c = s[0] & 0x0f;
	else if (s[0] >= 0xf0 && s[0] <= 0xf4)
		len = 4, c = s[0] & 0x07;
	else
		return 0;
	if (len > n)
		return 0;
	for (i = 1; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		c = c << 6 | (s[i] & 0x3f);
	}
	/* overlong forms, UTF-16 surrogates, beyond U+10FFFF, C1 controls */
	if ((len == 3 && c < 0x800) || (len == 4 && c < 0x10000) || c > 0x10ffff ||
	    (c >= 0xd800 && c <= 0xdfff) || (c >= 0x80 && c < 0xa0))
		return 0;
	return len;
}

int proto_text_valid(const char *s, size_t n)
{
	const uint8_t *p = (const uint8_t *)s;

	for (size_t i = 0, k; i < n; i += k)
		if (!(k = text_char(p + i, n - i)))
			return 0;
	return 1;
}

void proto_text_sanitize(char *s)
{
	uint8_t *p = (uint8_t *)s;
	size_t n = strlen(s);

	for (size_t i = 0, k; i < n; i += k)
		if (!(k = text_char(p + i, n - i))) {
			p[i] = '?';
			k = 1;
		}
}

static int str_ok(const char *s)
{
	size_t n = strnlen(s, PROTO_STR_MAX + 1);

	return n <= PROTO_STR_MAX && proto_text_valid(s, n);
}

/* Reserves header + payload_len bytes and writes the header. */
static int frame_begin(struct proto_buf *b, enum proto_type type, size_t payload_len)
{
	int r;

	if (payload_len > UINT32_MAX - PROTO_HDR_BYTES)
		return -EINVAL;
	r = buf_reserve(b, PROTO_HDR_BYTES + payload_len);
	if (r < 0)
		return r;
	put_u16(b, PROTO_MAGIC);
	put_u8(b, PROTO_VERSION);
	put_u8(b, (uint8_t)type);
	put_u32(b, (uint32_t)payload_len);
	return 0;
}

int proto_put_register(struct proto_buf *b, const struct proto_register *m)
{
	int r;

	if (!str_ok(m->name) || !str_ok(m->model))
		return -EINVAL;
	r = frame_begin(b, PROTO_REGISTER, 2 + 2 + strlen(m->name) + 2 + strlen(m->model));
	if (r < 0)
		return r;
	put_u16(b, m->udp_port);
	put_str(b, m->name);
	put_str(b, m->model);
	return 0;
}

int proto_put_welcome(struct proto_buf *b, const struct proto_welcome *m)
{
	int r = frame_begin(b, PROTO_WELCOME, 8);

	if (r < 0)
		return r;
	put_u32(b, m->worker_id);
	put_u32(b, m->heartbeat_ms);
	return 0;
}

int proto_put_heartbeat(struct proto_buf *b, uint64_t now_ms)
{
	int r = frame_begin(b, PROTO_HEARTBEAT, 8);

	if (r < 0)
		return r;
	put_u64(b, now_ms);
	return 0;
}

int proto_put_job(struct proto_buf *b, const struct proto_job *m)
{
	size_t len = 8 + 4 + 4;
	int r;

	if (m->transport == PROTO_TCP)
		len += m->image_len;
	else if (m->transport == PROTO_UDP)
		len += 8 + 4 + 2 + 1 + 1 + 4;
	else
		return -EINVAL;
	r = frame_begin(b, PROTO_JOB, len);
	if (r < 0)
		return r;
	put_u64(b, m->job_id);
	put_u32(b, m->attempt);
	put_u8(b, m->grayscale);
	put_u8(b, m->quality);
	put_u8(b, m->resize_pct);
	put_u8(b, m->transport);
	if (m->transport == PROTO_TCP) {
		put_bytes(b, m->image, m->image_len);
		return 0;
	}
	put_u64(b, m->transfer);
	put_u32(b, m->total_bytes);
	put_u16(b, m->chunk_bytes);
	put_u8(b, m->reassembly);
	put_u8(b, 0);
	put_u32(b, m->wait_ms);
	return 0;
}

int proto_put_result(struct proto_buf *b, const struct proto_result *m)
{
	size_t len = 8 + 4 + 4 + 2 + strlen(m->error) + 10 * 4 + 4;
	int r;

	if (!str_ok(m->error) || m->n > PROTO_DETS_MAX)
		return -EINVAL;
	for (uint32_t i = 0; i < m->n; i++) {
		if (!str_ok(m->dets[i].name))
			return -EINVAL;
		len += 2 + 5 * 4 + 2 + strlen(m->dets[i].name);
	}
	r = frame_begin(b, PROTO_RESULT, len);
	if (r < 0)
		return r;
	put_u64(b, m->job_id);
	put_u32(b, m->attempt);
	put_u32(b, (uint32_t)m->status);
	put_str(b, m->error);
	put_u32(b, m->width);
	put_u32(b, m->height);
	put_u32(b, m->bytes_in);
	put_u32(b, m->bytes_pre);
	put_u32(b, m->bytes_rx);
	put_u32(b, m->chunks_rx);
	put_u32(b, m->chunks_total);
	put_u32(b, m->t_decode_us);
	put_u32(b, m->t_pre_us);
	put_u32(b, m->t_infer_us);
	put_u32(b, m->n);
	for (uint32_t i = 0; i < m->n; i++) {
		const struct proto_det *d = &m->dets[i];

		put_u16(b, d->cls);
		put_f32(b, d->conf);
		for (int k = 0; k < 4; k++)
			put_f32(b, d->box[k]);
		put_str(b, d->name);
	}
	return 0;
}

int proto_put_bye(struct proto_buf *b, const char *reason)
{
	int r;

	if (!str_ok(reason))
		return -EINVAL;
	r = frame_begin(b, PROTO_BYE, 2 + strlen(reason));
	if (r < 0)
		return r;
	put_str(b, reason);
	return 0;
}

/* ---- input ---- */

/* Bounds-checked cursor: a read past the end sets bad and yields zeros, so decoders check
 * once at the end instead of after every field. */
struct cur {
	const uint8_t *p;
	size_t left;
	int bad;
};

static const uint8_t *get_bytes(struct cur *c, size_t n)
{
	const uint8_t *p = c->p;

	if (c->bad || n > c->left) {
		c->bad = 1;
		return NULL;
	}
	c->p += n;
	c->left -= n;
	return p;
}

static uint8_t get_u8(struct cur *c)
{
	const uint8_t *p = get_bytes(c, 1);

	return p ? p[0] : 0;
}

static uint16_t get_u16(struct cur *c)
{
	const uint8_t *p = get_bytes(c, 2);

	return p ? (uint16_t)(p[0] << 8 | p[1]) : 0;
}

static uint32_t get_u32(struct cur *c)
{
	const uint8_t *p = get_bytes(c, 4);

	return p ? (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3] : 0;
}

static uint64_t get_u64(struct cur *c)
{
	uint64_t hi = get_u32(c);

	return hi << 32 | get_u32(c);
}

static float get_f32(struct cur *c)
{
	uint32_t v = get_u32(c);
	float f;

	memcpy(&f, &v, sizeof(f));
	return f;
}

static void get_str(struct cur *c, char *dst)
{
	uint16_t n = get_u16(c);
	const uint8_t *p;

	dst[0] = 0;
	if (n > PROTO_STR_MAX) {
		c->bad = 1;
		return;
	}
	p = get_bytes(c, n);
	if (!p)
		return;
	/* Strings end up in JSON answers and log lines: UTF-8 text only. A NUL would also
	 * make the string lie about its length. */
	if (!proto_text_valid((const char *)p, n)) {
		c->bad = 1;
		return;
	}
	memcpy(dst, p, n);
	dst[n] = 0;
}

static struct cur cur_of(const struct proto_frame *f, enum proto_type type)
{
	struct cur c = { .p = f->payload, .left = f->len };

	c.bad = f->type != type;
	return c;
}

/* Valid frames are consumed exactly. */
static int cur_end(const struct cur *c)
{
	return c->bad || c->left ? -EBADMSG : 0;
}

int proto_get_register(const struct proto_frame *f, struct proto_register *ret)
{
	struct cur c = cur_of(f, PROTO_REGISTER);
	struct proto_register m = { 0 };

	m.udp_port = get_u16(&c);
	get_str(&c, m.name);
	get_str(&c, m.model);
	if (cur_end(&c) < 0) {
		memset(ret, 0, sizeof(*ret));
		return -EBADMSG;
	}
	*ret = m;
	return 0;
}

int proto_get_welcome(const struct proto_frame *f, struct proto_welcome *ret)
{
	struct cur c = cur_of(f, PROTO_WELCOME);
	struct proto_welcome m;

	m.worker_id = get_u32(&c);
	m.heartbeat_ms = get_u32(&c);
	if (cur_end(&c) < 0 || !m.heartbeat_ms) {
		memset(ret, 0, sizeof(*ret));
		return -EBADMSG;
	}
	*ret = m;
	return 0;
}

int proto_get_heartbeat(const struct proto_frame *f, uint64_t *ret_ms)
{
	struct cur c = cur_of(f, PROTO_HEARTBEAT);
	uint64_t v = get_u64(&c);

	*ret_ms = 0;
	if (cur_end(&c) < 0)
		return -EBADMSG;
	*ret_ms = v;
	return 0;
}

int proto_get_job(const struct proto_frame *f, struct proto_job *ret)
{
	struct cur c = cur_of(f, PROTO_JOB);
	struct proto_job m = { 0 };
	uint8_t pad;

	m.job_id = get_u64(&c);
	m.attempt = get_u32(&c);
	m.grayscale = get_u8(&c);
	m.quality = get_u8(&c);
	m.resize_pct = get_u8(&c);
	m.transport = get_u8(&c);
	if (m.grayscale > 1 || m.quality > 100 || m.resize_pct > 100)
		c.bad = 1;
	if (!c.bad && m.transport == PROTO_TCP) {
		m.image_len = (uint32_t)c.left;
		m.image = get_bytes(&c, c.left);
	} else if (!c.bad && m.transport == PROTO_UDP) {
		m.transfer = get_u64(&c);
		m.total_bytes = get_u32(&c);
		m.chunk_bytes = get_u16(&c);
		m.reassembly = get_u8(&c);
		pad = get_u8(&c);
		m.wait_ms = get_u32(&c);
		if (!m.chunk_bytes || m.reassembly > PROTO_CONCAT || pad)
			c.bad = 1;
	} else {
		c.bad = 1;
	}
	if (cur_end(&c) < 0) {
		memset(ret, 0, sizeof(*ret));
		return -EBADMSG;
	}
	*ret = m;
	return 0;
}

void proto_result_clear(struct proto_result *r)
{
	if (!r)
		return;
	free(r->dets);
	memset(r, 0, sizeof(*r));
}

int proto_get_result(const struct proto_frame *f, struct proto_result *ret)
{
	struct cur c = cur_of(f, PROTO_RESULT);
	struct proto_result m = { 0 };

	m.job_id = get_u64(&c);
	m.attempt = get_u32(&c);
	m.status = (int32_t)get_u32(&c);
	get_str(&c, m.error);
	m.width = get_u32(&c);
	m.height = get_u32(&c);
	m.bytes_in = get_u32(&c);
	m.bytes_pre = get_u32(&c);
	m.bytes_rx = get_u32(&c);
	m.chunks_rx = get_u32(&c);
	m.chunks_total = get_u32(&c);
	m.t_decode_us = get_u32(&c);
	m.t_pre_us = get_u32(&c);
	m.t_infer_us = get_u32(&c);
	m.n = get_u32(&c);
	/* Each detection takes at least 24 bytes: refuse counts the payload cannot hold
	 * before allocating for them. */
	if (m.status > 0 || m.n > PROTO_DETS_MAX || m.n > c.left / 24)
		c.bad = 1;
	if (!c.bad && m.n) {
		m.dets = calloc(m.n, sizeof(*m.dets));
		if (!m.dets)
			return -ENOMEM;
	}
	for (uint32_t i = 0; i < m.n && !c.bad; i++) {
		struct proto_det *d = &m.dets[i];

		d->cls = get_u16(&c);
		d->conf = get_f32(&c);
		for (int k = 0; k < 4; k++)
			d->box[k] = get_f32(&c);
		get_str(&c, d->name);
	}
	if (cur_end(&c) < 0) {
		proto_result_clear(&m);
		memset(ret, 0, sizeof(*ret));
		return -EBADMSG;
	}
	*ret = m;
	return 0;
}

int proto_get_bye(const struct proto_frame *f, char *buf, size_t size)
{
	struct cur c = cur_of(f, PROTO_BYE);
	char s[PROTO_STR_MAX + 1];

	get_str(&c, s);
	if (size)
		buf[0] = 0;
	if (cur_end(&c) < 0)
		return -EBADMSG;
	if (size) {
		strncpy(buf, s, size - 1);
		buf[size - 1] = 0;
	}
	return 0;
}

/* ---- stream reader ---- */

struct proto_reader {
	uint8_t *buf;
	size_t len, cap;
	size_t consumed; /* bytes of the frame handed out last, dropped on the next call */
	uint32_t max_frame;
};

int proto_reader_new(uint32_t max_frame_bytes, struct proto_reader **ret)
{
	struct proto_reader *r = calloc(1, sizeof(*r));

	if (!r)
		return -ENOMEM;
	r->max_frame = max_frame_bytes ? max_frame_bytes : PROTO_FRAME_MAX_DEFAULT;
	*ret = r;
	return 0;
}

void proto_reader_free(struct proto_reader *r)
{
	if (!r)
		return;
	free(r->buf);
	free(r);
}

static void reader_drop_consumed(struct proto_reader *r)
{
	if (!r->consumed)
		return;
	memmove(r->buf, r->buf + r->consumed, r->len - r->consumed);
	r->len -= r->consumed;
	r->consumed = 0;
}

int proto_reader_feed(struct proto_reader *r, const void *data, size_t len)
{
	reader_drop_consumed(r);
	if (r->len + len > r->cap) {
		size_t cap = r->cap ? r->cap : 4096;
		uint8_t *p;

		while (cap < r->len + len)
			cap *= 2;
		p = realloc(r->buf, cap);
		if (!p)
			return -ENOMEM;
		r->buf = p;
		r->cap = cap;
	}
	memcpy(r->buf + r->len, data, len);
	r->len += len;
	return 0;
}

int proto_reader_next(struct proto_reader *r, struct proto_frame *ret)
{
	const uint8_t *h;
	uint32_t len;

	reader_drop_consumed(r);
	if (r->len < PROTO_HDR_BYTES) {
		/* Even a partial header can already be wrong. */
		if (r->len >= 1 && r->buf[0] != (PROTO_MAGIC >> 8))
			return -EBADMSG;
		if (r->len >= 2 && r->buf[1] != (PROTO_MAGIC & 0xff))
			return -EBADMSG;
		return 0;
	}
	h = r->buf;
	if ((h[0] << 8 | h[1]) != PROTO_MAGIC)
		return -EBADMSG;
	if (h[2] != PROTO_VERSION)
		return -EPROTONOSUPPORT;
	if (h[3] < PROTO_REGISTER || h[3] > PROTO_BYE)
		return -EBADMSG;
	len = (uint32_t)h[4] << 24 | (uint32_t)h[5] << 16 | (uint32_t)h[6] << 8 | h[7];
	if (len > r->max_frame - PROTO_HDR_BYTES || r->max_frame < PROTO_HDR_BYTES)
		return -EMSGSIZE;
	if (r->len - PROTO_HDR_BYTES < len)
		return 0;
	ret->type = h[3];
	ret->len = len;
	ret->payload = h + PROTO_HDR_BYTES;
	r->consumed = PROTO_HDR_BYTES + len;
	return 1;
}

const char *proto_type_name(uint8_t type)
{
	static const char *const names[] = {
		[PROTO_REGISTER] = "register", [PROTO_WELCOME] = "welcome",
		[PROTO_HEARTBEAT] = "heartbeat", [PROTO_JOB] = "job",
		[PROTO_RESULT] = "result", [PROTO_BYE] = "bye",
	};

	return type >= PROTO_REGISTER && type <= PROTO_BYE ? names[type] : "unknown";
}
