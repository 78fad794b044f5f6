/* SPDX-License-Identifier: MIT */
/* Links through rtnetlink (libnl-route-3): bridge, veth pairs across namespaces, addresses. */
#ifndef QOSLAB_LINK_H
#define QOSLAB_LINK_H
#include <stdint.h>

struct nl_sock;

struct link_stats {
	uint64_t rx_bytes, rx_packets, tx_bytes, tx_packets, tx_dropped, rx_dropped;
};

/* A route socket living in namespace ns_fd (-1: the caller's); the socket keeps that
 * namespace whatever thread uses it later. */
int link_sock_new(int ns_fd, struct nl_sock **ret);
void link_sock_free(struct nl_sock *sk);

int link_bridge_add(struct nl_sock *sk, const char *name, int ifindex);
/*
 * A veth pair: name/ifindex on sk's side, enslaved to master_ifindex (0: none), and the
 * peer peer_name/peer_ifindex created directly in peer_ns_fd (down: bring it up from there).
 * Fixed ifindexes spare a lookup per node.
 */
int link_veth_add(struct nl_sock *sk, const char *name, int ifindex, int master_ifindex,
		  const char *peer_name, int peer_ifindex, int peer_ns_fd);
/* Segmentation offloads (TSO, GSO, GRO) off on interface name in namespace ns_fd (-1: ours). */
int link_offloads_off(int ns_fd, const char *name);
/* GSO packets of one segment (IFLA_GSO_MAX_SEGS 1) on ifindex: locally sent TCP is always
 * GSO since Linux 4.13, whatever ethtool says, and is segmented only after the qdisc. */
int link_gso_single(struct nl_sock *sk, int ifindex);
int link_set_master(struct nl_sock *sk, int ifindex, int master_ifindex);
int link_set_up(struct nl_sock *sk, int ifindex, int up);
/* cidr: "10.77.0.2/16" */
int link_addr_add(struct nl_sock *sk, int ifindex, const char *cidr);
int link_get_stats(struct nl_sock *sk, int ifindex, struct link_stats *ret);
int link_get_mac(struct nl_sock *sk, int ifindex, uint8_t ret_mac[6]);
/* A permanent neighbour entry ip -> mac on ifindex: no ARP for that address any more. */
int link_neigh_pin(struct nl_sock *sk, int ifindex, const char *ip, const uint8_t mac[6]);
/* A static route dst/prefix via gw out of ifindex (addresses in host order). */
int link_route_add(struct nl_sock *sk, uint32_t dst, int prefix, uint32_t gw, int ifindex);
#endif
