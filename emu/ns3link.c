// SPDX-License-Identifier: MIT
/* Taps in namespaces joined by a qoslab-ns3 child: tap setup, fd passing, ready/stop/report. */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <inttypes.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <stdarg.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <linux/ethtool.h>
#include <linux/if_tun.h>
#include <linux/sockios.h>
#include <jansson.h>

#include "emu/link.h"
#include "emu/netns.h"
#include "emu/ns3link.h"
#include "models/locate.h"

#define ARGV_MAX (40 + 4 * NS3LINK_MAX_ENDPOINTS)
#define CONTROL_TIMEOUT_MS 2000

struct ns3link {
	pid_t pid;
	int stats_fd; /* read end of the report pipe */
	int ctl_fd;   /* our end of the control socket (SOCK_SEQPACKET: one message each way) */
	pthread_mutex_t ctl_lock; /* one request and its answer at a time (timeline vs metrics) */
	int status;   /* wait status once reaped, else -1 */
	unsigned int n;
	int tap_fd[NS3LINK_MAX_ENDPOINTS];
};

int ns3link_channel_parse(const char *s, enum ns3link_channel *ret)
{
	static const char *const names[] = { "p2p", "csma", "wifi" };

	for (int i = 0; i < 3; i++)
		if (!strcmp(s, names[i])) {
			*ret = (enum ns3link_channel)i;
			return 0;
		}
	return -EINVAL;
}

/* A tap fd of this thread's namespace; IFF_NO_PI: the fd carries bare Ethernet frames, the
 * framing FdNetDevice reads. Not persistent: it goes when the last fd to it closes. */
static int tap_open(const char *name, int *ret_fd)
{
	struct ifreq ifr = { .ifr_flags = IFF_TAP | IFF_NO_PI };
	int fd = open("/dev/net/tun", O_RDWR | O_CLOEXEC);

	if (fd < 0)
		return -errno;
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", name);
	if (ioctl(fd, TUNSETIFF, &ifr) < 0) {
		int r = -errno;

		close(fd);
		return r;
	}
	*ret_fd = fd;
	return 0;
}

/* MAC, no checksum offload (frames leave through ns-3, which does not fill checksums in),
 * ifindex; in this thread's namespace. */
static int tap_configure(const char *name, const uint8_t mac[6], int *ret_ifindex)
{
	struct ethtool_value ev = { .cmd = ETHTOOL_STXCSUM, .data = 0 };
	struct ifreq ifr = { 0 };
	int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0), r = 0;

	if (s < 0)
		return -errno;
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", name);
	ifr.ifr_hwaddr.sa_family = 1; /* ARPHRD_ETHER */
	memcpy(ifr.ifr_hwaddr.sa_data, mac, 6);
	if (ioctl(s, SIOCSIFHWADDR, &ifr) < 0) {
		r = -errno;
		goto out;
	}
	ifr.ifr_data = (void *)&ev;
	if (ioctl(s, SIOCETHTOOL, &ifr) < 0 && errno != EOPNOTSUPP) {
		r = -errno;
		goto out;
	}
	if (ioctl(s, SIOCGIFINDEX, &ifr) < 0) {
		r = -errno;
		goto out;
	}
	*ret_ifindex = ifr.ifr_ifindex;
out:
	close(s);
	return r;
}

/* Router solicitations and DAD over the channel would disturb the counters and the loss
 * figures; qoslab's traffic is IPv4. Absent IPv6 is fine. */
static int tap_ipv6_off(const char *name)
{
	char key[96];
	int r;

	snprintf(key, sizeof(key), "net/ipv6/conf/%s/disable_ipv6", name);
	r = netns_sysctl(key, "1");
	return r == -ENOENT ? 0 : r;
}

static int tap_new(const struct ns3link_endpoint *ep, int *ret_fd, int *ret_ifindex)
{
	int saved = -1, fd = -1, r;

	r = netns_enter(ep->ns_fd, &saved);
	if (r < 0)
		return r;
	r = tap_open(ep->ifname, &fd);
	if (!r)
		r = tap_configure(ep->ifname, ep->mac, ret_ifindex);
	if (!r)
		r = tap_ipv6_off(ep->ifname);
	int r2 = netns_leave(saved);

	if (!r)
		r = r2;
	if (!r)
		r = link_offloads_off(ep->ns_fd, ep->ifname);
	if (r < 0) {
		if (fd >= 0)
			close(fd);
		return r;
	}
	*ret_fd = fd;
	return 0;
}

/* The address, up, and permanent neighbour entries for the others: p2p carries no ARP, and
 * on the other channels the first ARP exchange would add to the first packet's delay. */
static int tap_addresses(const struct ns3link_endpoint *eps, unsigned int n, unsigned int i,
			 int ifindex)
{
	struct nl_sock *sk = NULL;
	int r;

	r = link_sock_new(eps[i].ns_fd, &sk);
	if (r < 0)
		return r;
	if (eps[i].cidr)
		r = link_addr_add(sk, ifindex, eps[i].cidr);
	if (!r)
		r = link_set_up(sk, ifindex, 1);
	for (unsigned int j = 0; !r && j < n; j++) {
		char ip[64];
		const char *slash;

		if (j == i || !eps[j].cidr)
			continue;
		slash = strchr(eps[j].cidr, '/');
		snprintf(ip, sizeof(ip), "%.*s", slash ? (int)(slash - eps[j].cidr) : 63, eps[j].cidr);
		r = link_neigh_pin(sk, ifindex, ip, eps[j].mac);
	}
	link_sock_free(sk);
	return r;
}

int ns3link_probe(char *why, size_t len)
{
	int status;
	pid_t pid;

	if (geteuid() != 0) {
		snprintf(why, len, "not root: taps in namespaces need CAP_NET_ADMIN");
		return -EPERM;
	}
	pid = fork();
	if (pid < 0)
		return -errno;
	if (pid == 0) {
		int fd;

		if (unshare(CLONE_NEWNET) < 0)
			_exit(EPERM);
		_exit(tap_open("probe0", &fd) < 0 ? (errno ? errno : EIO) & 0xff : 0);
	}
	if (waitpid(pid, &status, 0) < 0)
		return -errno;
	if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
		return 0;
	snprintf(why, len, "no tap in a namespace here (%s)",
		 WIFEXITED(status) ? strerror(WEXITSTATUS(status)) : "probe crashed");
	return -EOPNOTSUPP;
}

struct args {
	char *v[ARGV_MAX + 1];
	char buf[8192];
	size_t used;
	int n;
};

/* argv is built before fork: the child of a threaded process may not allocate. */
static void arg(struct args *a, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void arg(struct args *a, const char *fmt, ...)
{
	va_list ap;
	int len;

	if (a->n >= ARGV_MAX || a->used >= sizeof(a->buf))
		return;
	va_start(ap, fmt);
	len = vsnprintf(a->buf + a->used, sizeof(a->buf) - a->used, fmt, ap);
	va_end(ap);
	if (len < 0 || (size_t)len >= sizeof(a->buf) - a->used) {
		a->used = sizeof(a->buf); /* marks the overflow */
		return;
	}
	a->v[a->n++] = a->buf + a->used;
	a->used += (size_t)len + 1;
}

/* "--track I=T:D,T:D,..." for each station that moves */
static void track_args(struct args *a, const struct ns3link_endpoint *eps, unsigned int n)
{
	for (unsigned int i = 1; i < n; i++) {
		char pts[4096];
		size_t off = 0;

		if (!eps[i].ntrack)
			continue;
		for (unsigned int k = 0; k < eps[i].ntrack && off < sizeof(pts); k++)
			off += (size_t)snprintf(pts + off, sizeof(pts) - off, "%s%.3f:%.3f", k ? "," : "",
						eps[i].track[k].t_s, eps[i].track[k].distance_m);
		if (off >= sizeof(pts)) {
			a->used = sizeof(a->buf); /* too long: marks the overflow */
			return;
		}
		arg(a, "--track");
		arg(a, "%u=%s", i, pts);
	}
}

static int build_argv(struct args *a, const char *program, const struct ns3link_config *c,
		      const struct ns3link_endpoint *eps, unsigned int n, const int *fds,
		      int ready_fd, int stats_fd, int ctl_fd)
{
	static const char *const channels[] = { "p2p", "csma", "wifi" };

	arg(a, "%s", program);
	arg(a, "--channel");
	arg(a, "%s", channels[c->channel]);
	for (unsigned int i = 0; i < n; i++) {
		const uint8_t *m = eps[i].mac;

		arg(a, "--dev");
		arg(a, "fd=%d,mac=%02x:%02x:%02x:%02x:%02x:%02x,name=%s,distance=%.3f", fds[i],
		    m[0], m[1], m[2], m[3], m[4], m[5], eps[i].ifname, eps[i].distance_m);
	}
	arg(a, "--ready-fd"); arg(a, "%d", ready_fd);
	arg(a, "--stats-fd"); arg(a, "%d", stats_fd);
	arg(a, "--control-fd"); arg(a, "%d", ctl_fd);
	arg(a, "--seed"); arg(a, "%" PRIu64, c->seed ? c->seed : 1);
	arg(a, "--hard-limit-ms"); arg(a, "%u", c->hard_limit_ms ? c->hard_limit_ms : 100);
	if (c->pcap_dir) {
		arg(a, "--pcap-dir");
		arg(a, "%s", c->pcap_dir);
	}
	if (c->channel == NS3LINK_WIFI) {
		arg(a, "--standard"); arg(a, "%s", c->standard ? c->standard : "a");
		arg(a, "--wifi-rate"); arg(a, "%s", c->wifi_rate ? c->wifi_rate : "minstrel");
		arg(a, "--exponent"); arg(a, "%.6g", c->exponent > 0 ? c->exponent : 3);
		if (c->nakagami)
			arg(a, "--nakagami");
		track_args(a, eps, n);
	} else {
		arg(a, "--rate-bps"); arg(a, "%" PRIu64, c->rate_bps ? c->rate_bps : 100000000);
		arg(a, "--delay-us"); arg(a, "%" PRIu64, c->delay_us);
		arg(a, "--queue"); arg(a, "%u", c->queue_packets ? c->queue_packets : 100);
		if (c->drop_list && *c->drop_list) {
			arg(a, "--drop-list");
			arg(a, "%s", c->drop_list);
		} else if (c->burst_rate > 0) {
			arg(a, "--burst-rate"); arg(a, "%.9g", c->burst_rate);
			arg(a, "--burst-size"); arg(a, "%u", c->burst_size ? c->burst_size : 3);
		} else if (c->error_rate > 0) {
			arg(a, "--error-rate"); arg(a, "%.9g", c->error_rate);
		}
	}
	if (a->used >= sizeof(a->buf) || a->n >= ARGV_MAX)
		return -E2BIG;
	a->v[a->n] = NULL;
	return 0;
}

/* In the child between fork and exec: only async-signal-safe calls. */
static void child_exec(struct args *a, pid_t parent, const int *keep, int nkeep, uid_t uid)
{
	/* the controller's thread dying (even by SIGKILL) takes the simulation and, with the
	 * last fds, the taps */
	if (prctl(PR_SET_PDEATHSIG, SIGKILL) < 0 || getppid() != parent)
		_exit(127);
	for (int i = 0; i < nkeep; i++)
		if (fcntl(keep[i], F_SETFD, 0) < 0)
			_exit(127);
	if (uid && (setgroups(0, NULL) < 0 || setgid(uid) < 0 || setuid(uid) < 0))
		_exit(127);
	execv(a->v[0], a->v);
	_exit(127);
}

static int status_to_errno(int status)
{
	if (WIFEXITED(status) && WEXITSTATUS(status) == NS3LINK_EXIT_BEHIND)
		return -NS3LINK_EBEHIND;
	if (WIFEXITED(status) && WEXITSTATUS(status) == 127)
		return -ENOEXEC;
	if (WIFEXITED(status) && WEXITSTATUS(status) == 2)
		return -EINVAL;
	return -EPIPE;
}

/* Blocks until fd is readable or timeout_ms passes; -ETIMEDOUT then. */
static int wait_readable(int fd, int timeout_ms)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };
	int r;

	do
		r = poll(&p, 1, timeout_ms);
	while (r < 0 && errno == EINTR);
	if (r < 0)
		return -errno;
	return r ? 0 : -ETIMEDOUT;
}

static void mac_default(const struct ns3link_endpoint *ep, unsigned int i, uint8_t mac[6])
{
	static const uint8_t zero[6];

	if (memcmp(ep->mac, zero, 6)) {
		memcpy(mac, ep->mac, 6);
		return;
	}
	const uint8_t d[6] = { 0x02, 0x51, 0, 0, 0, (uint8_t)(i + 1) };

	memcpy(mac, d, 6);
}

int ns3link_new(const struct ns3link_config *cfg, const struct ns3link_endpoint *eps_in,
		unsigned int n, struct ns3link **ret)
{
	struct ns3link_endpoint eps[NS3LINK_MAX_ENDPOINTS];
	int ready[2] = { -1, -1 }, stats[2] = { -1, -1 }, ctl[2] = { -1, -1 };
	int ifindex[NS3LINK_MAX_ENDPOINTS], r;
	struct ns3link *l = NULL;
	struct args *a = NULL;
	char *program = NULL;
	int keep[NS3LINK_MAX_ENDPOINTS + 3], nkeep = 0;
	pid_t parent = getpid();
	char c;

	if (n < 2 || n > NS3LINK_MAX_ENDPOINTS || (cfg->channel == NS3LINK_P2P && n != 2))
		return -EINVAL;
	for (unsigned int i = 0; i < n; i++)
		for (unsigned int k = 0; k < eps_in[i].ntrack; k++)
			if ((cfg->channel != NS3LINK_WIFI || !i) || eps_in[i].track[k].t_s < 0 ||
			    eps_in[i].track[k].distance_m < 0 ||
			    (k && eps_in[i].track[k].t_s < eps_in[i].track[k - 1].t_s))
				return -EINVAL;
	if (cfg->program) {
		program = strdup(cfg->program);
		r = program ? 0 : -ENOMEM;
	} else {
		r = locate_helper(NS3LINK_PROGRAM, &program);
	}
	if (r < 0)
		return r;
	l = calloc(1, sizeof(*l));
	a = calloc(1, sizeof(*a));
	if (!l || !a) {
		r = -ENOMEM;
		goto out;
	}
	l->pid = -1;
	l->stats_fd = -1;
	l->ctl_fd = -1;
	pthread_mutex_init(&l->ctl_lock, NULL);
	l->status = -1;
	for (unsigned int i = 0; i < n; i++)
		l->tap_fd[i] = -1;
	l->n = n;
	for (unsigned int i = 0; i < n; i++) {
		eps[i] = eps_in[i];
		mac_default(&eps_in[i], i, eps[i].mac);
	}
	for (unsigned int i = 0; i < n; i++) {
		r = tap_new(&eps[i], &l->tap_fd[i], &ifindex[i]);
		if (r < 0)
			goto out;
	}
	for (unsigned int i = 0; i < n; i++) {
		r = tap_addresses(eps, n, i, ifindex[i]);
		if (r < 0)
			goto out;
	}
	if (pipe2(ready, O_CLOEXEC) < 0 || pipe2(stats, O_CLOEXEC) < 0 ||
	    socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, ctl) < 0) {
		r = -errno;
		goto out;
	}
	r = build_argv(a, program, cfg, eps, n, l->tap_fd, ready[1], stats[1], ctl[1]);
	if (r < 0)
		goto out;
	for (unsigned int i = 0; i < n; i++)
		keep[nkeep++] = l->tap_fd[i];
	keep[nkeep++] = ready[1];
	keep[nkeep++] = stats[1];
	keep[nkeep++] = ctl[1];
	l->pid = fork();
	if (l->pid < 0) {
		r = -errno;
		goto out;
	}
	if (l->pid == 0)
		child_exec(a, parent, keep, nkeep, cfg->uid);
	close(ready[1]);
	ready[1] = -1;
	close(stats[1]);
	stats[1] = -1;
	close(ctl[1]);
	ctl[1] = -1;
	l->ctl_fd = ctl[0];
	ctl[0] = -1;
	/* the taps now live as long as the program: it holds the only other fds */
	for (unsigned int i = 0; i < n; i++) {
		close(l->tap_fd[i]);
		l->tap_fd[i] = -1;
	}
	l->stats_fd = stats[0];
	stats[0] = -1;

	/* ready at simulated t=0, or EOF when it died first */
	r = wait_readable(ready[0], 30000);
	if (!r) {
		ssize_t got = read(ready[0], &c, 1);

		if (got != 1) {
			int status;

			waitpid(l->pid, &status, 0);
			l->status = status;
			r = status_to_errno(status);
		}
	}
out:
	if (ready[0] >= 0)
		close(ready[0]);
	if (ready[1] >= 0)
		close(ready[1]);
	if (stats[0] >= 0)
		close(stats[0]);
	if (stats[1] >= 0)
		close(stats[1]);
	if (ctl[0] >= 0)
		close(ctl[0]);
	if (ctl[1] >= 0)
		close(ctl[1]);
	free(program);
	free(a);
	if (r < 0) {
		ns3link_free(l, NULL);
		return r;
	}
	*ret = l;
	return 0;
}

pid_t ns3link_pid(const struct ns3link *l)
{
	return l->pid;
}

int ns3link_check(struct ns3link *l)
{
	int status;

	if (l->status < 0) {
		pid_t p = waitpid(l->pid, &status, WNOHANG);

		if (p == 0)
			return 0;
		if (p < 0)
			return -errno;
		l->status = status;
	}
	return status_to_errno(l->status);
}

static int stats_parse(const char *text, struct ns3link_stats *st)
{
	json_t *root = json_loads(text, 0, NULL), *devs, *d;
	size_t i;

	if (!root)
		return -EBADMSG;
	memset(st, 0, sizeof(*st));
	st->fell_behind = json_is_true(json_object_get(root, "fell_behind"));
	st->sim_time_s = json_number_value(json_object_get(root, "sim_time_s"));
	devs = json_object_get(root, "devices");
	json_array_foreach(devs, i, d) {
		struct ns3link_counters *c;

		if (i >= NS3LINK_MAX_ENDPOINTS)
			break;
		c = &st->dev[i];
		snprintf(c->name, sizeof(c->name), "%s", json_string_value(json_object_get(d, "name")) ?: "");
		c->sent = (uint64_t)json_integer_value(json_object_get(d, "sent"));
		c->received = (uint64_t)json_integer_value(json_object_get(d, "received"));
		c->ignored = (uint64_t)json_integer_value(json_object_get(d, "ignored"));
		c->error_drops = (uint64_t)json_integer_value(json_object_get(d, "error_drops"));
		c->queue_drops = (uint64_t)json_integer_value(json_object_get(d, "queue_drops"));
		c->retry_drops = (uint64_t)json_integer_value(json_object_get(d, "retry_drops"));
		c->sent_bytes = (uint64_t)json_integer_value(json_object_get(d, "sent_bytes"));
		c->received_bytes = (uint64_t)json_integer_value(json_object_get(d, "received_bytes"));
		st->n = (unsigned int)i + 1;
	}
	json_decref(root);
	return 0;
}

/* Everything on the report pipe until EOF (the program closes it when done). */
static int stats_read(int fd, char *buf, size_t len, int timeout_ms)
{
	size_t used = 0;
	int r;

	for (;;) {
		r = wait_readable(fd, timeout_ms);
		if (r < 0)
			return r;
		ssize_t got = read(fd, buf + used, len - 1 - used);

		if (got < 0 && errno == EINTR)
			continue;
		if (got < 0)
			return -errno;
		if (got == 0)
			break;
		used += (size_t)got;
		if (used == len - 1)
			break;
	}
	buf[used] = '\0';
	return used ? 0 : -ENODATA;
}

int ns3link_free(struct ns3link *l, struct ns3link_stats *ret_stats)
{
	struct ns3link_stats st;
	char text[8192];
	int status, r = 0, rs = -ENODATA;

	if (!l)
		return 0;
	if (l->pid > 0 && l->status < 0)
		kill(l->pid, SIGTERM);
	if (l->stats_fd >= 0)
		rs = stats_read(l->stats_fd, text, sizeof(text), 5000);
	if (l->pid > 0 && l->status < 0) {
		if (rs == -ETIMEDOUT)
			kill(l->pid, SIGKILL);
		while (waitpid(l->pid, &status, 0) < 0 && errno == EINTR)
			;
		l->status = status;
	}
	if (l->pid > 0) {
		int exited0 = WIFEXITED(l->status) && WEXITSTATUS(l->status) == 0;

		r = exited0 ? 0 : status_to_errno(l->status);
	}
	if (!rs)
		rs = stats_parse(text, &st);
	if (!rs && st.fell_behind)
		r = -NS3LINK_EBEHIND;
	if (!r && rs < 0 && l->pid > 0)
		r = -EPIPE;
	if (!rs && ret_stats)
		*ret_stats = st;
	if (l->stats_fd >= 0)
		close(l->stats_fd);
	if (l->ctl_fd >= 0)
		close(l->ctl_fd);
	pthread_mutex_destroy(&l->ctl_lock);
	for (unsigned int i = 0; i < l->n; i++)
		if (l->tap_fd[i] >= 0)
			close(l->tap_fd[i]);
	free(l);
	return r;
}

static const char *const param_names[] = {
	[NS3LINK_DELAY_US] = "delay_us", [NS3LINK_RATE_BPS] = "rate_bps",
	[NS3LINK_ERROR_RATE] = "error_rate", [NS3LINK_DISTANCE_M] = "distance_m",
};

int ns3link_param_parse(const char *s, enum ns3link_param *ret)
{
	for (size_t i = 0; i < sizeof(param_names) / sizeof(param_names[0]); i++)
		if (!strcmp(s, param_names[i])) {
			*ret = (enum ns3link_param)i;
			return 0;
		}
	return -EINVAL;
}

const char *ns3link_param_name(enum ns3link_param key)
{
	return (unsigned int)key < sizeof(param_names) / sizeof(param_names[0]) ? param_names[key] : "?";
}

/* One request, its one answer (NUL-terminated in reply). */
static int control(struct ns3link *l, const char *req, char *reply, size_t len)
{
	ssize_t got;
	int r;

	if (l->ctl_fd < 0 || l->status >= 0)
		return -EPIPE;
	pthread_mutex_lock(&l->ctl_lock);
	if (send(l->ctl_fd, req, strlen(req), MSG_NOSIGNAL) < 0) {
		r = errno == ECONNRESET ? -EPIPE : -errno;
		goto out;
	}
	r = wait_readable(l->ctl_fd, CONTROL_TIMEOUT_MS);
	if (r < 0)
		goto out;
	do
		got = recv(l->ctl_fd, reply, len - 1, 0);
	while (got < 0 && errno == EINTR);
	if (got <= 0) {
		r = got < 0 ? -errno : -EPIPE;
		goto out;
	}
	reply[got] = '\0';
	r = 0;
out:
	pthread_mutex_unlock(&l->ctl_lock);
	return r;
}

int ns3link_set(struct ns3link *l, int dev, enum ns3link_param key, double value)
{
	char req[128], reply[256];
	int r;

	if ((unsigned int)key >= sizeof(param_names) / sizeof(param_names[0]) || dev < -1 ||
	    dev >= (int)l->n)
		return -EINVAL;
	snprintf(req, sizeof(req), "set %d %s %.17g", dev, param_names[key], value);
	r = control(l, req, reply, sizeof(reply));
	if (r < 0)
		return r;
	return strcmp(reply, "ok") ? -EINVAL : 0;
}

int ns3link_stats(struct ns3link *l, struct ns3link_stats *ret)
{
	char reply[8192];
	int r = control(l, "stats", reply, sizeof(reply));

	return r < 0 ? r : stats_parse(reply, ret);
}

int ns3link_dev_stats(struct ns3link *l, unsigned int dev, struct link_stats *ret)
{
	struct ns3link_stats st;
	int r = ns3link_stats(l, &st);

	if (r < 0)
		return r;
	if (dev >= st.n)
		return -ENOENT;
	const struct ns3link_counters *c = &st.dev[dev];

	*ret = (struct link_stats){
		.tx_packets = c->sent, .tx_bytes = c->sent_bytes,
		.rx_packets = c->received, .rx_bytes = c->received_bytes,
		.tx_dropped = c->queue_drops + c->retry_drops, .rx_dropped = c->error_drops,
	};
	return 0;
}
