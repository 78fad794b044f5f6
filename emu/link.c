// SPDX-License-Identifier: MIT
/* Bridge, veth and address requests with libnl-route-3; errors become -errno here. */
#include <errno.h>
#include <linux/ethtool.h>
#include <linux/sockios.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>
#include <net/if.h>
#include <netlink/msg.h>
#include <netlink/netlink.h>
#include <linux/rtnetlink.h>
#include <netlink/route/addr.h>
#include <netlink/route/link.h>
#include <netlink/route/link/veth.h>
#include <netlink/route/neighbour.h>
#include <netlink/route/route.h>
#include <arpa/inet.h>
#include <linux/neighbour.h>

#include "emu/link.h"
#include "emu/netns.h"
#include "netem/netem.h"

int link_sock_new(int ns_fd, struct nl_sock **ret)
{
	struct nl_sock *sk = NULL;
	int saved = -1, r;

	if (ns_fd >= 0) {
		r = netns_enter(ns_fd, &saved);
		if (r < 0)
			return r;
	}
	sk = nl_socket_alloc();
	if (!sk) {
		r = -ENOMEM;
		goto out;
	}
	r = nl_to_errno(nl_connect(sk, NETLINK_ROUTE));
	if (r < 0) {
		nl_socket_free(sk);
		sk = NULL;
	}
out:
	if (saved >= 0) {
		int r2 = netns_leave(saved);

		if (!r && r2) {
			link_sock_free(sk);
			sk = NULL;
			r = r2;
		}
	}
	if (!r)
		*ret = sk;
	return r;
}

void link_sock_free(struct nl_sock *sk)
{
	if (sk)
		nl_socket_free(sk);
}

int link_bridge_add(struct nl_sock *sk, const char *name, int ifindex)
{
	struct rtnl_link *l = rtnl_link_alloc();
	int r;

	if (!l)
		return -ENOMEM;
	rtnl_link_set_name(l, name);
	rtnl_link_set_ifindex(l, ifindex);
	rtnl_link_set_flags(l, IFF_UP);
	r = rtnl_link_set_type(l, "bridge");
	if (!r)
		r = rtnl_link_add(sk, l, NLM_F_CREATE | NLM_F_EXCL);
	rtnl_link_put(l);
	return nl_to_errno(r);
}

int link_veth_add(struct nl_sock *sk, const char *name, int ifindex, int master_ifindex,
		  const char *peer_name, int peer_ifindex, int peer_ns_fd)
{
	struct rtnl_link *l = rtnl_link_veth_alloc(), *peer;
	int r;

	if (!l)
		return -ENOMEM;
	peer = rtnl_link_veth_get_peer(l);
	rtnl_link_set_name(l, name);
	rtnl_link_set_ifindex(l, ifindex);
	rtnl_link_set_flags(l, IFF_UP);
	rtnl_link_set_name(peer, peer_name);
	rtnl_link_set_ifindex(peer, peer_ifindex);
	if (peer_ns_fd >= 0)
		rtnl_link_set_ns_fd(peer, peer_ns_fd);
	r = rtnl_link_add(sk, l, NLM_F_CREATE | NLM_F_EXCL);
	rtnl_link_put(peer);
	rtnl_link_veth_release(l);
	if (r < 0 || !master_ifindex)
		return nl_to_errno(r);
	return link_set_master(sk, ifindex, master_ifindex);
}

/* Applies what set() puts into the change to the link ifindex. */
static int link_change(struct nl_sock *sk, int ifindex, void (*set)(struct rtnl_link *, int), int arg)
{
	struct rtnl_link *l = rtnl_link_alloc(), *change = rtnl_link_alloc();
	int r = -ENOMEM;

	if (!l || !change)
		goto out;
	rtnl_link_set_ifindex(l, ifindex);
	set(change, arg);
	r = nl_to_errno(rtnl_link_change(sk, l, change, 0));
out:
	rtnl_link_put(l);
	rtnl_link_put(change);
	return r;
}

static void set_up(struct rtnl_link *change, int up)
{
	if (up)
		rtnl_link_set_flags(change, IFF_UP);
	else
		rtnl_link_unset_flags(change, IFF_UP);
}

int link_set_master(struct nl_sock *sk, int ifindex, int master_ifindex)
{
	return link_change(sk, ifindex, rtnl_link_set_master, master_ifindex);
}

int link_set_up(struct nl_sock *sk, int ifindex, int up)
{
	return link_change(sk, ifindex, set_up, up);
}

int link_addr_add(struct nl_sock *sk, int ifindex, const char *cidr)
{
	struct rtnl_addr *a = rtnl_addr_alloc();
	struct nl_addr *local = NULL;
	int r;

	if (!a)
		return -ENOMEM;
	r = nl_addr_parse(cidr, AF_INET, &local);
	if (r < 0)
		goto out;
	rtnl_addr_set_ifindex(a, ifindex);
	r = rtnl_addr_set_local(a, local);
	if (r < 0)
		goto out;
	r = rtnl_addr_add(sk, a, 0);
out:
	nl_addr_put(local);
	rtnl_addr_put(a);
	return nl_to_errno(r);
}

int link_get_stats(struct nl_sock *sk, int ifindex, struct link_stats *ret)
{
	struct rtnl_link *l = NULL;
	int r = nl_to_errno(rtnl_link_get_kernel(sk, ifindex, NULL, &l));

	if (r < 0)
		return r;
	*ret = (struct link_stats){
		.rx_bytes = rtnl_link_get_stat(l, RTNL_LINK_RX_BYTES),
		.rx_packets = rtnl_link_get_stat(l, RTNL_LINK_RX_PACKETS),
		.tx_bytes = rtnl_link_get_stat(l, RTNL_LINK_TX_BYTES),
		.tx_packets = rtnl_link_get_stat(l, RTNL_LINK_TX_PACKETS),
		.rx_dropped = rtnl_link_get_stat(l, RTNL_LINK_RX_DROPPED),
		.tx_dropped = rtnl_link_get_stat(l, RTNL_LINK_TX_DROPPED),
	};
	rtnl_link_put(l);
	return 0;
}

int link_offloads_off(int ns_fd, const char *name)
{
	/* TSO/GSO/GRO would let netem drop, delay and count 64 KB super-packets as one: a 5 %
	 * loss would then cut bursts of ~45 wire packets, unlike a real link */
	static const unsigned int cmds[] = { ETHTOOL_STSO, ETHTOOL_SGSO, ETHTOOL_SGRO };
	int saved = -1, fd, r = 0;

	if (ns_fd >= 0 && (r = netns_enter(ns_fd, &saved)) < 0)
		return r;
	fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		r = -errno;
	for (size_t i = 0; fd >= 0 && i < sizeof(cmds) / sizeof(cmds[0]); i++) {
		struct ethtool_value ev = { .cmd = cmds[i], .data = 0 };
		struct ifreq ifr = { 0 };

		snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", name);
		ifr.ifr_data = (void *)&ev;
		if (ioctl(fd, SIOCETHTOOL, &ifr) < 0 && errno != EOPNOTSUPP) {
			r = -errno;
			break;
		}
	}
	if (fd >= 0)
		close(fd);
	if (saved >= 0) {
		int r2 = netns_leave(saved);

		if (!r)
			r = r2;
	}
	return r;
}

int link_gso_single(struct nl_sock *sk, int ifindex)
{
	/* libnl 3.7 reads IFLA_GSO_MAX_SEGS but cannot set it: a setlink of our own */
	struct ifinfomsg ifi = { .ifi_family = AF_UNSPEC, .ifi_index = ifindex };
	struct nl_msg *msg = nlmsg_alloc_simple(RTM_NEWLINK, NLM_F_REQUEST | NLM_F_ACK);
	int r;

	if (!msg)
		return -ENOMEM;
	r = nlmsg_append(msg, &ifi, sizeof(ifi), NLMSG_ALIGNTO);
	if (r == 0)
		r = nla_put_u32(msg, IFLA_GSO_MAX_SEGS, 1);
	if (r == 0)
		r = nl_send_auto(sk, msg);
	if (r >= 0)
		r = nl_wait_for_ack(sk);
	nlmsg_free(msg);
	return nl_to_errno(r < 0 ? r : 0);
}

int link_get_mac(struct nl_sock *sk, int ifindex, uint8_t ret_mac[6])
{
	struct rtnl_link *l = NULL;
	struct nl_addr *a;
	int r = nl_to_errno(rtnl_link_get_kernel(sk, ifindex, NULL, &l));

	if (r < 0)
		return r;
	a = rtnl_link_get_addr(l);
	if (!a || nl_addr_get_len(a) != 6)
		r = -ENOENT;
	else
		memcpy(ret_mac, nl_addr_get_binary_addr(a), 6);
	rtnl_link_put(l);
	return r;
}

int link_neigh_pin(struct nl_sock *sk, int ifindex, const char *ip, const uint8_t mac[6])
{
	struct rtnl_neigh *n = rtnl_neigh_alloc();
	struct nl_addr *dst = NULL, *ll = NULL;
	int r;

	if (!n)
		return -ENOMEM;
	r = nl_addr_parse(ip, AF_INET, &dst);
	if (r < 0)
		goto out;
	ll = nl_addr_build(AF_LLC, mac, 6);
	if (!ll) {
		r = -NLE_NOMEM;
		goto out;
	}
	rtnl_neigh_set_ifindex(n, ifindex);
	rtnl_neigh_set_dst(n, dst);
	rtnl_neigh_set_lladdr(n, ll);
	rtnl_neigh_set_state(n, NUD_PERMANENT);
	r = rtnl_neigh_add(sk, n, NLM_F_CREATE | NLM_F_REPLACE);
out:
	nl_addr_put(ll);
	nl_addr_put(dst);
	rtnl_neigh_put(n);
	return nl_to_errno(r);
}

int link_route_add(struct nl_sock *sk, uint32_t dst, int prefix, uint32_t gw, int ifindex)
{
	struct rtnl_route *rt = rtnl_route_alloc();
	struct rtnl_nexthop *nh = rtnl_route_nh_alloc();
	struct nl_addr *d = NULL, *g = NULL;
	uint32_t dn = htonl(dst), gn = htonl(gw);
	int r = -NLE_NOMEM;

	if (!rt || !nh)
		goto out;
	d = nl_addr_build(AF_INET, &dn, 4);
	g = nl_addr_build(AF_INET, &gn, 4);
	if (!d || !g)
		goto out;
	nl_addr_set_prefixlen(d, prefix);
	rtnl_route_set_family(rt, AF_INET);
	rtnl_route_set_table(rt, RT_TABLE_MAIN);
	rtnl_route_set_protocol(rt, RTPROT_STATIC);
	rtnl_route_set_scope(rt, RT_SCOPE_UNIVERSE);
	rtnl_route_set_type(rt, RTN_UNICAST);
	r = rtnl_route_set_dst(rt, d);
	if (r < 0)
		goto out;
	rtnl_route_nh_set_ifindex(nh, ifindex);
	rtnl_route_nh_set_gateway(nh, g);
	rtnl_route_add_nexthop(rt, nh);
	nh = NULL; /* the route owns it now */
	r = rtnl_route_add(sk, rt, NLM_F_CREATE | NLM_F_EXCL);
out:
	if (nh)
		rtnl_route_nh_free(nh);
	nl_addr_put(d);
	nl_addr_put(g);
	rtnl_route_put(rt);
	return nl_to_errno(r);
}
