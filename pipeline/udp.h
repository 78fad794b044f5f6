/* SPDX-License-Identifier: MIT */
/* Lossy UDP image transfer: chunk datagrams without retransmission and their reassembly. */
#ifndef QOSLAB_UDP_H
#define QOSLAB_UDP_H
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

/*
 * One datagram = 28-byte header + one chunk of the image, integers big-endian:
 *
 *   0      2       3      4            6          8                16      20      24      28
 *   +------+-------+------+------------+----------+----------------+-------+-------+-------+----
 *   | 'QU' |version| flags| chunk_bytes| reserved | transfer id    | index | count | total | data
 *   +------+-------+------+------------+----------+----------------+-------+-------+-------+----
 *
 * chunk_bytes is the payload size of every chunk but the last (128..1400 by default),
 * index < count = ceil(total / chunk_bytes), chunk i covers bytes [i*chunk_bytes, ...).
 * The transfer id (random 64 bits) names one image on one hop. Datagrams whose header
 * disagrees with the first one seen for the transfer, or whose data length is not the
 * chunk's, are ignored. Nothing is retransmitted: the receiver builds the image from what
 * arrived before its reassembly deadline (see pipeline/README.md) either with holes
 * (missing chunks zero-filled, size = total) or concatenated (received chunks appended in
 * arrival order, duplicates dropped: what a naive receiver would write).
 */
#define UDP_MAGIC 0x5155 /* "QU" */
#define UDP_VERSION 1
#define UDP_HDR_BYTES 28
#define UDP_CHUNK_MIN 128
#define UDP_CHUNK_MAX 1400
/* Largest image accepted by UDP transfer; also bounds a receiver's memory per transfer. */
#define UDP_TOTAL_MAX (32u * 1024 * 1024)

struct udp_hdr {
	uint16_t chunk_bytes;
	uint64_t transfer;
	uint32_t index, count, total;
};

void udp_hdr_put(uint8_t out[UDP_HDR_BYTES], const struct udp_hdr *h);
/* Parses a datagram; ret_data/ret_len give the chunk. 0 or -EBADMSG. */
int udp_hdr_get(const uint8_t *dgram, size_t len, struct udp_hdr *ret,
		const uint8_t **ret_data, size_t *ret_len);
uint32_t udp_chunk_count(uint32_t total, uint16_t chunk_bytes);

struct udp_send_opts {
	uint16_t chunk_bytes;
	int pace_us;          /* pause between datagrams (a sender-side rate limit) */
	/* Test aid for hosts without netem: skip this share of datagrams (parts per million),
	 * drawn from *drop_state (xorshift64, non-zero) so a seeded run drops the same ones. */
	uint32_t drop_ppm;
	uint64_t *drop_state;
};

/* Sends data as datagrams on fd to dest. 0 or -errno. */
int udp_send(int fd, const struct sockaddr *dest, socklen_t dest_len, uint64_t transfer,
	     const void *data, uint32_t len, const struct udp_send_opts *o);
/* A random, non-zero transfer id. */
uint64_t udp_transfer_new(void);

/* Reassembly of one transfer. */
struct udp_asm;

/* From the first datagram's header. -EINVAL for an impossible header (count does not
 * match total and chunk size, total above UDP_TOTAL_MAX), -ENOMEM. */
int udp_asm_new(const struct udp_hdr *h, struct udp_asm **ret);
void udp_asm_free(struct udp_asm *a);
/* 1 stored, 0 duplicate, -EINVAL inconsistent with the transfer. */
int udp_asm_add(struct udp_asm *a, const struct udp_hdr *h, const uint8_t *data, size_t len);
int udp_asm_complete(const struct udp_asm *a);
uint32_t udp_asm_received(const struct udp_asm *a);
uint32_t udp_asm_count(const struct udp_asm *a);
uint32_t udp_asm_total(const struct udp_asm *a);
/* The rebuilt image (malloc'ed; holes: total bytes, concat: received bytes). 0, -ENOMEM. */
int udp_asm_build(const struct udp_asm *a, int concat, uint8_t **ret_data, size_t *ret_len);
/* An assembly for a transfer none of whose datagrams arrived. */
int udp_asm_empty(uint32_t total, uint16_t chunk_bytes, struct udp_asm **ret);
#endif
