// SPDX-License-Identifier: MIT
/* Builds and tears down the star testbed; owns every namespace, link, cgroup and process of a run. */
#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "emu/cgroup.h"
#include "emu/netns.h"
#include "emu/owner.h"
#include "emu/testbed.h"
#include "netem/netem.h"

#define BRIDGE_IFINDEX 2
#define PORT_IFINDEX0 10    /* switch-side port of node k: 10 + k */

struct node {
	char name[32];
	char addr[INET_ADDRSTRLEN];
	int ns_fd;
	struct nl_sock *sk;
	struct cgroup *cg;
	struct impair impair[2];
	char **cmds[8];         /* argv of each spawned command, for restarts */
	int ncmds;
};

struct testbed {
	char run[32];
	char log_dir[256];
	int switch_fd;
	struct nl_sock *switch_sk;
	int n, cap;             /* nodes built, nodes[] allocated */
	struct node *nodes;
	int state_dir_made;
	struct in_addr base;
	double cpu_worker;
};

const char *testbed_run_name(const struct testbed *tb) { return tb->run; }
int testbed_node_count(const struct testbed *tb) { return __atomic_load_n(&tb->n, __ATOMIC_ACQUIRE); }
const char *testbed_node_name(const struct testbed *tb, int k) { return tb->nodes[k].name; }
const char *testbed_node_addr(const struct testbed *tb, int k) { return tb->nodes[k].addr; }
int testbed_node_ns(const struct testbed *tb, int k) { return tb->nodes[k].ns_fd; }
const char *testbed_port_name(const struct testbed *tb, int k) { return tb->nodes[k].name; }
int testbed_switch_ns(const struct testbed *tb) { return tb->switch_fd; }

const struct impair *testbed_impairment(const struct testbed *tb, int k, enum link_dir dir)
{
	return &tb->nodes[k].impair[dir];
}

int testbed_node_index(const struct testbed *tb, const char *name)
{
	if (!strcmp(name, "switch"))
		return TESTBED_SWITCH;
	for (int k = 0; k < tb->n; k++)
		if (!strcmp(tb->nodes[k].name, name))
			return k;
	return -ENOENT;
}

static void ns_name(const struct testbed *tb, const char *node, char *buf, size_t len)
{
	snprintf(buf, len, "%s-%s", tb->run, node);
}

static int validate(const struct testbed_config *cfg, struct in_addr *ret_base,
		    char *err, size_t errlen)
{
	const char *subnet = cfg->subnet ? cfg->subnet : "10.77.0.0/16";
	char buf[32], *slash;

	if (cfg->workers < 1 || cfg->workers > TESTBED_MAX_WORKERS) {
		snprintf(err, errlen, "workers: %u is out of range 1..%d", cfg->workers,
			 TESTBED_MAX_WORKERS);
		return -EINVAL;
	}
	if (cfg->cpu_client < 0 || cfg->cpu_server < 0 || cfg->cpu_worker < 0 ||
	    (cfg->cpu_worker > 0 && cfg->cpu_worker < 0.01) ||
	    (cfg->cpu_server > 0 && cfg->cpu_server < 0.01) ||
	    (cfg->cpu_client > 0 && cfg->cpu_client < 0.01)) {
		snprintf(err, errlen, "cpu: a node's CPU limit must be 0 (none) or at least 0.01");
		return -EINVAL;
	}
	snprintf(buf, sizeof(buf), "%s", subnet);
	slash = strchr(buf, '/');
	if (!slash || strcmp(slash, "/16") || (*slash = 0, inet_pton(AF_INET, buf, ret_base) != 1) ||
	    (ntohl(ret_base->s_addr) & 0xffff)) {
		snprintf(err, errlen, "subnet: '%s' is not an IPv4 /16 such as 10.77.0.0/16", subnet);
		return -EINVAL;
	}
	return 0;
}

static int write_owner(struct testbed *tb)
{
	char path[256];

	if (mkdir(TESTBED_STATE_DIR, 0755) < 0 && errno != EEXIST)
		return -errno;
	snprintf(path, sizeof(path), TESTBED_STATE_DIR "/%s", tb->run);
	if (mkdir(path, 0755) < 0)
		return -errno;
	tb->state_dir_made = 1;
	snprintf(path, sizeof(path), TESTBED_STATE_DIR "/%s/owner", tb->run);
	return owner_write(path);
}

/* No IPv6 in a fresh namespace: its DAD, MLD and router solicitations would add packets
 * that netem counts and captures show. */
static int quiet_ipv6(int ns_fd)
{
	int saved, r;

	r = netns_enter(ns_fd, &saved);
	if (r < 0)
		return r;
	netns_sysctl("net/ipv6/conf/all/disable_ipv6", "1");
	netns_sysctl("net/ipv6/conf/default/disable_ipv6", "1");
	return netns_leave(saved);
}

/* Inside the fresh namespace: quiet IPv6, a route socket, lo up. */
static int node_init_ns(struct node *nd)
{
	int r = quiet_ipv6(nd->ns_fd);

	if (r < 0)
		return r;
	r = link_sock_new(nd->ns_fd, &nd->sk);
	if (r < 0)
		return r;
	return link_set_up(nd->sk, 1, 1);
}

static int node_build(struct testbed *tb, int k, struct in_addr base, double cpus)
{
	struct node *nd = &tb->nodes[k];
	char name[96], cidr[32];
	struct in_addr a = { htonl(ntohl(base.s_addr) + (uint32_t)k + 1) };
	int r;

	inet_ntop(AF_INET, &a, nd->addr, sizeof(nd->addr));
	ns_name(tb, nd->name, name, sizeof(name));
	r = netns_create(name, &nd->ns_fd);
	if (r < 0)
		return r;
	r = node_init_ns(nd);
	if (r < 0)
		return r;
	r = link_veth_add(tb->switch_sk, nd->name, PORT_IFINDEX0 + k, BRIDGE_IFINDEX,
			  "eth0", TESTBED_NODE_IFINDEX, nd->ns_fd);
	if (r < 0)
		return r;
	r = link_offloads_off(nd->ns_fd, "eth0");
	if (r >= 0)
		r = link_offloads_off(tb->switch_fd, nd->name);
	if (r < 0)
		return r;
	r = link_set_up(nd->sk, TESTBED_NODE_IFINDEX, 1);
	if (r < 0)
		return r;
	snprintf(cidr, sizeof(cidr), "%s/16", nd->addr);
	r = link_addr_add(nd->sk, TESTBED_NODE_IFINDEX, cidr);
	if (r < 0)
		return r;
	r = cgroup_new(tb->run, nd->name, &nd->cg);
	if (r < 0)
		return r;
	return cpus > 0 ? cgroup_set_cpu(nd->cg, cpus) : 0;
}

int testbed_new(const struct testbed_config *cfg, struct testbed **ret, char *err, size_t errlen)
{
	struct testbed *tb = NULL;
	struct in_addr base;
	char name[96];
	const char *step = "";
	int r;

	r = validate(cfg, &base, err, errlen);
	if (r < 0)
		return r;
	tb = calloc(1, sizeof(*tb));
	if (!tb)
		return -ENOMEM;
	tb->switch_fd = -1;
	tb->n = (int)cfg->workers + 2;
	/* Allocated once: nodes never move, so other threads may read them while one joins. */
	tb->cap = 2 + (int)(cfg->max_workers > cfg->workers ? cfg->max_workers : cfg->workers);
	tb->base = base;
	tb->cpu_worker = cfg->cpu_worker;
	tb->nodes = calloc((size_t)tb->cap, sizeof(*tb->nodes));
	if (!tb->nodes) {
		free(tb);
		return -ENOMEM;
	}
	for (int k = 0; k < tb->cap; k++) {
		tb->nodes[k].ns_fd = -1;
		if (k < 2)
			snprintf(tb->nodes[k].name, sizeof(tb->nodes[k].name), k ? "server" : "client");
		else
			snprintf(tb->nodes[k].name, sizeof(tb->nodes[k].name), "worker-%d", k - 1);
	}
	if (cfg->run_id) {
		snprintf(tb->run, sizeof(tb->run), TESTBED_PREFIX "%s", cfg->run_id);
	} else {
		uint32_t id;

		if (getrandom(&id, sizeof(id), 0) != sizeof(id))
			id = (uint32_t)getpid() * 2654435761u;
		snprintf(tb->run, sizeof(tb->run), TESTBED_PREFIX "%06x", id & 0xffffff);
	}
	if (cfg->log_dir)
		snprintf(tb->log_dir, sizeof(tb->log_dir), "%s", cfg->log_dir);

	step = "run state in " TESTBED_STATE_DIR;
	if ((r = write_owner(tb)) < 0)
		goto fail;
	step = "switch namespace";
	ns_name(tb, "switch", name, sizeof(name));
	if ((r = netns_create(name, &tb->switch_fd)) < 0 ||
	    (r = quiet_ipv6(tb->switch_fd)) < 0 ||
	    (r = link_sock_new(tb->switch_fd, &tb->switch_sk)) < 0 ||
	    (r = link_set_up(tb->switch_sk, 1, 1)) < 0)
		goto fail;
	step = "bridge";
	if ((r = link_bridge_add(tb->switch_sk, "br0", BRIDGE_IFINDEX)) < 0)
		goto fail;
	for (int k = 0; k < tb->n; k++) {
		double cpus = k == 0 ? cfg->cpu_client : k == 1 ? cfg->cpu_server : cfg->cpu_worker;

		step = tb->nodes[k].name;
		if ((r = node_build(tb, k, base, cpus)) < 0)
			goto fail;
	}
	*ret = tb;
	return 0;
fail:
	snprintf(err, errlen, "testbed %s: %s: %s", tb->run, step, strerror(-r));
	testbed_free(tb);
	return r;
}

static void free_cmds(struct node *nd)
{
	for (int i = 0; i < nd->ncmds; i++) {
		for (char **a = nd->cmds[i]; *a; a++)
			free(*a);
		free(nd->cmds[i]);
	}
	nd->ncmds = 0;
}

static void node_unbuild(struct testbed *tb, struct node *nd)
{
	char name[96];

	cgroup_free(nd->cg);
	nd->cg = NULL;
	link_sock_free(nd->sk);
	nd->sk = NULL;
	if (nd->ns_fd >= 0) {
		close(nd->ns_fd);
		nd->ns_fd = -1;
		ns_name(tb, nd->name, name, sizeof(name));
		netns_delete(name);
	}
	free_cmds(nd);
}

int testbed_add_worker(struct testbed *tb, int *ret_node)
{
	int k = tb->n, r;

	if (k >= tb->cap)
		return -ENOSPC;
	r = node_build(tb, k, tb->base, tb->cpu_worker);
	if (r < 0) {
		/* its port dies with its namespace (the veth pair goes with either end) */
		node_unbuild(tb, &tb->nodes[k]);
		return r;
	}
	__atomic_store_n(&tb->n, k + 1, __ATOMIC_RELEASE);
	*ret_node = k;
	return 0;
}

void testbed_free(struct testbed *tb)
{
	char name[96];

	if (!tb)
		return;
	for (int k = 0; k < tb->n; k++)
		node_unbuild(tb, &tb->nodes[k]);
	while (waitpid(-1, NULL, WNOHANG) > 0)
		; /* reap what the cgroups killed */
	link_sock_free(tb->switch_sk);
	if (tb->switch_fd >= 0) {
		close(tb->switch_fd);
		ns_name(tb, "switch", name, sizeof(name));
		netns_delete(name);
	}
	/* node groups are gone; the run group itself in every hierarchy */
	cgroup_remove_run(tb->run);
	if (tb->state_dir_made) {
		snprintf(name, sizeof(name), TESTBED_STATE_DIR "/%s/owner", tb->run);
		unlink(name);
		snprintf(name, sizeof(name), TESTBED_STATE_DIR "/%s", tb->run);
		rmdir(name);
	}
	free(tb->nodes);
	free(tb);
}

int testbed_impair(struct testbed *tb, int k, enum link_dir dir, const struct impair *im)
{
	int r = testbed_impair_transient(tb, k, dir, im);

	if (!r)
		tb->nodes[k].impair[dir] = *im;
	return r;
}

int testbed_impair_transient(struct testbed *tb, int k, enum link_dir dir, const struct impair *im)
{
	struct node *nd = &tb->nodes[k];
	struct nl_sock *sk = dir == DIR_UP ? nd->sk : tb->switch_sk;
	int ifindex = dir == DIR_UP ? TESTBED_NODE_IFINDEX : PORT_IFINDEX0 + k;
	const struct impair *old = &nd->impair[dir];
	int r;

	if (impair_is_zero(im)) {
		r = netem_remove(sk, ifindex);
		if (r == -ENOENT)
			r = 0;
	} else {
		/* the kernel keeps a distribution table it was once given; dropping it
		 * needs a fresh qdisc */
		if (old->dist != DIST_UNIFORM && im->dist == DIST_UNIFORM)
			netem_remove(sk, ifindex);
		r = netem_apply(sk, ifindex, im);
	}
	return r;
}

int testbed_netem_stats(struct testbed *tb, int k, enum link_dir dir, uint64_t *ret_packets,
			uint64_t *ret_drops)
{
	if (dir == DIR_UP)
		return netem_stats(tb->nodes[k].sk, TESTBED_NODE_IFINDEX, ret_packets, ret_drops);
	return netem_stats(tb->switch_sk, PORT_IFINDEX0 + k, ret_packets, ret_drops);
}

int testbed_pin_neighbours(struct testbed *tb)
{
	uint8_t (*mac)[6] = calloc((size_t)tb->n, sizeof(*mac));
	int r = 0;

	if (!mac)
		return -ENOMEM;
	for (int k = 0; k < tb->n && !r; k++)
		r = link_get_mac(tb->nodes[k].sk, TESTBED_NODE_IFINDEX, mac[k]);
	for (int k = 0; k < tb->n && !r; k++)
		for (int j = 0; j < tb->n && !r; j++)
			if (j != k)
				r = link_neigh_pin(tb->nodes[k].sk, TESTBED_NODE_IFINDEX,
						   tb->nodes[j].addr, mac[j]);
	free(mac);
	return r;
}

int testbed_netem_seed(struct testbed *tb, int k, enum link_dir dir, uint64_t *ret_seed)
{
	if (dir == DIR_UP)
		return netem_seed_get(tb->nodes[k].sk, TESTBED_NODE_IFINDEX, ret_seed);
	return netem_seed_get(tb->switch_sk, PORT_IFINDEX0 + k, ret_seed);
}

int testbed_link_set(struct testbed *tb, int k, int up)
{
	return link_set_up(tb->switch_sk, PORT_IFINDEX0 + k, up);
}

int testbed_link_stats(struct testbed *tb, int k, struct link_stats *ret)
{
	return link_get_stats(tb->nodes[k].sk, TESTBED_NODE_IFINDEX, ret);
}

static char **argv_dup(char *const argv[])
{
	int n = 0;
	char **copy;

	while (argv[n])
		n++;
	copy = calloc((size_t)n + 1, sizeof(*copy));
	if (!copy)
		return NULL;
	for (int i = 0; i < n; i++)
		if (!(copy[i] = strdup(argv[i]))) {
			while (i--)
				free(copy[i]);
			free(copy);
			return NULL;
		}
	return copy;
}

/* fork + setns + cgroup + exec. The child waits on a pipe until the parent has put it in
 * the node's cgroup, so nothing it forks escapes the group; exec errors come back on a
 * close-on-exec pipe. */
static int spawn(struct testbed *tb, const char *name, int ns_fd, struct cgroup *cg,
		 char *const argv[], const struct testbed_spawn_opts *o, pid_t *ret_pid)
{
	int go[2] = { -1, -1 }, status[2] = { -1, -1 }, logfd = -1, r;
	pid_t parent = getpid(), pid;
	char path[512];
	ssize_t n;

	if (o && o->log_path) {
		logfd = open(o->log_path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
		if (logfd < 0)
			return -errno;
	} else if (tb->log_dir[0]) {
		snprintf(path, sizeof(path), "%s/%s.log", tb->log_dir, name);
		logfd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
		if (logfd < 0)
			return -errno;
	}
	if (pipe2(go, O_CLOEXEC) < 0 || pipe2(status, O_CLOEXEC) < 0) {
		r = -errno;
		goto out;
	}
	pid = fork();
	if (pid < 0) {
		r = -errno;
		goto out;
	}
	if (pid == 0) {
		char c;
		int e;

		prctl(PR_SET_PDEATHSIG, SIGKILL);
		if (getppid() != parent)
			_exit(127);
		if (read(go[0], &c, 1) != 1)
			_exit(127);
		setsid();
		if (setns(ns_fd, CLONE_NEWNET) < 0)
			goto child_fail;
		int devnull = open("/dev/null", O_RDONLY);
		if (devnull < 0 || dup2(devnull, 0) < 0)
			goto child_fail;
		if (logfd >= 0 && (dup2(logfd, 1) < 0 || dup2(logfd, 2) < 0))
			goto child_fail;
		/* dup2 clears close-on-exec on the copy: the command keeps exactly that one */
		if (o && o->fd >= 0 && dup2(o->fd, o->target_fd) < 0)
			goto child_fail;
		for (size_t i = 0; o && o->env && o->env[i]; i++)
			if (putenv(o->env[i]) != 0)
				goto child_fail;
		if (o && o->cwd && chdir(o->cwd) < 0)
			goto child_fail;
		signal(SIGPIPE, SIG_DFL);
		execvp(argv[0], argv);
child_fail:
		e = errno;
		if (write(status[1], &e, sizeof(e)) < 0)
			_exit(126);
		_exit(127);
	}
	close(go[0]);
	go[0] = -1;
	close(status[1]);
	status[1] = -1;
	r = cg ? cgroup_attach(cg, pid) : 0;
	if (r < 0) {
		kill(pid, SIGKILL);
		waitpid(pid, NULL, 0);
		goto out;
	}
	if (write(go[1], "g", 1) != 1) {
		r = -EIO;
		goto out;
	}
	int e = 0;
	n = read(status[0], &e, sizeof(e));
	if (n == sizeof(e)) {
		waitpid(pid, NULL, 0);
		r = -e;
		goto out;
	}
	*ret_pid = pid;
	r = 0;
out:
	for (int i = 0; i < 2; i++) {
		if (go[i] >= 0)
			close(go[i]);
		if (status[i] >= 0)
			close(status[i]);
	}
	if (logfd >= 0)
		close(logfd);
	return r;
}

int testbed_spawn(struct testbed *tb, int k, char *const argv[], pid_t *ret_pid)
{
	struct node *nd = k == TESTBED_SWITCH ? NULL : &tb->nodes[k];
	int r;

	if (nd && nd->ncmds == (int)(sizeof(nd->cmds) / sizeof(nd->cmds[0])))
		return -EMFILE;
	if (k == TESTBED_SWITCH)
		return spawn(tb, "switch", tb->switch_fd, NULL, argv, NULL, ret_pid);
	r = spawn(tb, nd->name, nd->ns_fd, nd->cg, argv, NULL, ret_pid);
	if (r < 0)
		return r;
	nd->cmds[nd->ncmds] = argv_dup(argv);
	if (!nd->cmds[nd->ncmds])
		return -ENOMEM;
	nd->ncmds++;
	return 0;
}

int testbed_spawn_with(struct testbed *tb, int k, char *const argv[],
		       const struct testbed_spawn_opts *o, pid_t *ret_pid)
{
	struct node *nd = &tb->nodes[k];

	if (o && o->fd >= 0 && o->target_fd <= 2)
		return -EBADF;
	return spawn(tb, nd->name, nd->ns_fd, nd->cg, argv, o, ret_pid);
}

int testbed_kill_node(struct testbed *tb, int k)
{
	int r = cgroup_kill_all(tb->nodes[k].cg, 1);

	while (waitpid(-1, NULL, WNOHANG) > 0)
		;
	return r;
}

/* Starts again every command the node was given (recovery from a kill). */
int testbed_signal_node(struct testbed *tb, int k, int sig)
{
	pid_t *pids = NULL;
	size_t n = 0;
	int r = cgroup_pids(tb->nodes[k].cg, &pids, &n);

	for (size_t i = 0; r == 0 && i < n; i++)
		if (kill(pids[i], sig) < 0 && errno != ESRCH)
			r = -errno;
	free(pids);
	return r;
}

int testbed_restart_node(struct testbed *tb, int k)
{
	struct node *nd = &tb->nodes[k];
	pid_t pid;
	int r;

	for (int i = 0; i < nd->ncmds; i++)
		if ((r = spawn(tb, nd->name, nd->ns_fd, nd->cg, nd->cmds[i], NULL, &pid)) < 0)
			return r;
	return 0;
}

int testbed_attach(struct testbed *tb, int k, pid_t pid)
{
	return cgroup_attach(tb->nodes[k].cg, pid);
}

int testbed_detach(struct testbed *tb, int k, pid_t pid)
{
	return cgroup_detach(tb->nodes[k].cg, pid);
}

int testbed_freeze_node(struct testbed *tb, int k, int frozen)
{
	return cgroup_freeze(tb->nodes[k].cg, frozen);
}

int testbed_node_usage(struct testbed *tb, int k, uint64_t *ret_cpu_ns, uint64_t *ret_rss)
{
	int r = cgroup_cpu_usage_ns(tb->nodes[k].cg, ret_cpu_ns);

	return r < 0 ? r : cgroup_rss_bytes(tb->nodes[k].cg, ret_rss);
}

int testbed_in_node(struct testbed *tb, int k, int (*fn)(void *arg), void *arg)
{
	int saved, r, r2;

	r = netns_enter(tb->nodes[k].ns_fd, &saved);
	if (r < 0)
		return r;
	r = fn(arg);
	r2 = netns_leave(saved);
	return r < 0 ? r : r2;
}

/* ---- qoslab clean ---- */

static int run_owner_alive(const char *run)
{
	char path[256];

	snprintf(path, sizeof(path), TESTBED_STATE_DIR "/%s/owner", run);
	return owner_alive(path);
}

struct clean_ctx {
	int all;
	unsigned int removed;
};

static void run_of(const char *name, char *run, size_t len)
{
	/* "qoslab-<id>-<node>" -> "qoslab-<id>" */
	const char *dash = strchr(name + strlen(TESTBED_PREFIX), '-');
	size_t n = dash ? (size_t)(dash - name) : strlen(name);

	snprintf(run, len, "%.*s", (int)n, name);
}

static void clean_cgroup_run(const char *run, void *arg)
{
	struct clean_ctx *c = arg;

	if (!c->all && run_owner_alive(run))
		return;
	if (cgroup_remove_run(run) == 0)
		c->removed++;
}

int testbed_clean(int all, unsigned int *ret_removed)
{
	struct clean_ctx c = { .all = all };
	char run[64], path[512];
	struct dirent *de;
	DIR *d;

	/* processes first: they hold namespaces alive */
	cgroup_list_runs(TESTBED_PREFIX, clean_cgroup_run, &c);
	d = opendir(NETNS_DIR);
	if (d) {
		while ((de = readdir(d))) {
			if (strncmp(de->d_name, TESTBED_PREFIX, strlen(TESTBED_PREFIX)))
				continue;
			run_of(de->d_name, run, sizeof(run));
			if (!all && run_owner_alive(run))
				continue;
			if (netns_delete(de->d_name) == 0)
				c.removed++;
		}
		closedir(d);
	}
	d = opendir(TESTBED_STATE_DIR);
	if (d) {
		while ((de = readdir(d))) {
			if (strncmp(de->d_name, TESTBED_PREFIX, strlen(TESTBED_PREFIX)))
				continue;
			if (!all && run_owner_alive(de->d_name))
				continue;
			snprintf(path, sizeof(path), TESTBED_STATE_DIR "/%s/owner", de->d_name);
			unlink(path);
			snprintf(path, sizeof(path), TESTBED_STATE_DIR "/%s", de->d_name);
			if (rmdir(path) == 0)
				c.removed++;
		}
		closedir(d);
	}
	*ret_removed = c.removed;
	return 0;
}
