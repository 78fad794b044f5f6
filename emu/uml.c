// SPDX-License-Identifier: MIT
/* Host side: a job directory, linux.uml with hostfs root, our own binary as init. Guest side
 * (pid 1): mounts, module loading, the command, its status written back, power off. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <glob.h>
#include <limits.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/reboot.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include "clock.h"
#include "emu/owner.h"
#include "emu/uml.h"
#include "emu/xstate.h"

#ifndef QOSLAB_KERNEL_KEY
#define QOSLAB_KERNEL_KEY "" /* the Makefile passes emu/umlkernel/build.sh --key */
#endif

/* Modules the testbed needs; their dependencies come from modules.dep. */
static const char *const uml_modules[] = {
	"kernel/drivers/net/veth.ko", "kernel/net/bridge/bridge.ko",
	"kernel/net/sched/sch_netem.ko", "kernel/net/sched/sch_tbf.ko",
	"kernel/drivers/net/ifb.ko",
	"kernel/drivers/net/tun.ko", /* ns-3 links (emu/ns3link.c) */
	NULL,
};

int kernel_mode_parse(const char *s, enum kernel_mode *ret)
{
	static const char *const names[] = { "auto", "host", "uml" };

	for (int i = 0; i < 3; i++)
		if (!strcmp(s, names[i])) {
			*ret = (enum kernel_mode)i;
			return 0;
		}
	return -EINVAL;
}

int uml_inside(void)
{
	return getenv(UML_INSIDE_ENV) != NULL;
}

/* The package ships one module tree, named after the UML kernel's release. */
static int uml_modules_dir(char *buf, size_t len)
{
	DIR *d = opendir(UML_MODULES);
	struct dirent *de;
	int r = -ENOENT;

	if (!d)
		return -errno;
	while ((de = readdir(d)))
		if (de->d_name[0] != '.') {
			snprintf(buf, len, "%s/%s", UML_MODULES, de->d_name);
			r = 0;
			break;
		}
	closedir(d);
	return r;
}

#if defined(__SANITIZE_ADDRESS__)
#define BUILT_WITH_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define BUILT_WITH_ASAN 1
#endif
#endif

/* $QOSLAB_CACHE, else $XDG_CACHE_HOME/qoslab, else ~/.cache/qoslab (as emu/umlkernel/build.sh) */
static int cache_dir(char *buf, size_t len)
{
	const char *v = getenv("QOSLAB_CACHE"), *x = getenv("XDG_CACHE_HOME"), *h = getenv("HOME");

	if (v && *v)
		snprintf(buf, len, "%s", v);
	else if (x && *x)
		snprintf(buf, len, "%s/qoslab", x);
	else if (h && *h)
		snprintf(buf, len, "%s/.cache/qoslab", h);
	else
		return -ENOENT;
	return 0;
}

int uml_kernel_find(struct uml_kernel *ret, char *why, size_t len)
{
	const char *forced = getenv(UML_KERNEL_ENV);
	char dir[PATH_MAX], pattern[PATH_MAX + 64];
	glob_t g;

	memset(ret, 0, sizeof(*ret));
	if (forced && *forced) {
		if (access(forced, X_OK) < 0) {
			snprintf(why, len, "%s=%s: %s", UML_KERNEL_ENV, forced, strerror(errno));
			return -ENOENT;
		}
		snprintf(ret->path, sizeof(ret->path), "%s", forced);
		ret->own = strcmp(forced, UML_KERNEL) != 0;
		return 0;
	}
	if (QOSLAB_KERNEL_KEY[0] && cache_dir(dir, sizeof(dir)) == 0) {
		snprintf(pattern, sizeof(pattern), "%s/uml-kernel/*-%s/linux", dir, QOSLAB_KERNEL_KEY);
		if (glob(pattern, 0, NULL, &g) == 0) {
			/* several source versions with this key: the newest sorts last */
			for (size_t i = g.gl_pathc; i-- > 0;)
				if (access(g.gl_pathv[i], X_OK) == 0) {
					snprintf(ret->path, sizeof(ret->path), "%s", g.gl_pathv[i]);
					ret->own = 1;
					break;
				}
			globfree(&g);
			if (ret->own)
				return 0;
		}
	}
	if (access(UML_KERNEL, X_OK) < 0) {
		snprintf(why, len, "%s not found (Debian package user-mode-linux) and no kernel "
			 "built by `make kernel`", UML_KERNEL);
		return -ENOENT;
	}
	if (uml_modules_dir(dir, sizeof(dir)) < 0) {
		snprintf(why, len, "no module tree under %s", UML_MODULES);
		return -ENOENT;
	}
	snprintf(ret->path, sizeof(ret->path), "%s", UML_KERNEL);
	return 0;
}

int uml_available(char *why, size_t len)
{
	struct uml_kernel k;

#ifdef BUILT_WITH_ASAN
	/* ASan reserves ~16 TB of shadow memory at start; UML's address space has no room */
	snprintf(why, len, "an AddressSanitizer build cannot run inside UML");
	return -ENOTSUP;
#endif
	return uml_kernel_find(&k, why, len);
}

/* ---------------- host side ---------------- */

static int write_strings(const char *path, char *const list[])
{
	FILE *f = fopen(path, "we");

	if (!f)
		return -errno;
	for (int i = 0; list[i]; i++)
		fwrite(list[i], 1, strlen(list[i]) + 1, f);
	return fclose(f) < 0 ? -errno : 0;
}

static int rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st; (void)flag; (void)ftw;
	remove(path);
	return 0;
}

static char **job_env(void)
{
	extern char **environ;
	static const char *const keep[] = { "PATH=", "HOME=", "TERM=", "LANG=", "TZ=", "QOSLAB_", NULL };
	int n = 0, k = 0;
	char **env;

	while (environ[n])
		n++;
	env = calloc((size_t)n + 2, sizeof(*env));
	if (!env)
		return NULL;
	for (int i = 0; i < n; i++)
		for (int j = 0; keep[j]; j++)
			if (!strncmp(environ[i], keep[j], strlen(keep[j]))) {
				env[k++] = environ[i];
				break;
			}
	env[k++] = UML_INSIDE_ENV "=1";
	return env;
}

/* The guest's init is the qoslab binary: this one, or the one beside a test or bench binary. */
static int init_path(const char *self, char *buf, size_t len)
{
	const char *slash = strrchr(self, '/');
	int dirlen = slash ? (int)(slash - self) : 0;

	if (slash && !strcmp(slash + 1, "qoslab")) {
		snprintf(buf, len, "%s", self);
		return 0;
	}
	snprintf(buf, len, "%.*s/qoslab", dirlen, self);
	if (access(buf, X_OK) == 0)
		return 0;
	snprintf(buf, len, "%.*s/../qoslab", dirlen, self);
	return access(buf, X_OK) == 0 ? 0 : -ENOENT;
}

int uml_xstate_preload(const char *qoslab_path, char *path, size_t len, size_t *ret_host_bytes)
{
	const char *slash = strrchr(qoslab_path, '/');
	int dirlen = slash ? (int)(slash - qoslab_path) : 1;
	const char *dir = slash ? qoslab_path : ".";
	size_t host = 0;
	int r = xstate_host_size(&host);

	if (r < 0)
		return r;
	if (ret_host_bytes)
		*ret_host_bytes = host;
	if (host <= XSTATE_UML61_BYTES && !getenv("QOSLAB_XSTATE_MIN_BYTES"))
		return 0;
	/* beside the binary (build tree), or in ../lib/qoslab (installed) */
	snprintf(path, len, "%.*s/libqoslab-xstate.so", dirlen, dir);
	if (access(path, R_OK) == 0)
		return 1;
	snprintf(path, len, "%.*s/../lib/qoslab/libqoslab-xstate.so", dirlen, dir);
	return access(path, R_OK) == 0 ? 1 : -ENOENT;
}

/*
 * The guest's consoles reach the user through pipes that we copy to our stdout and stderr,
 * not as our own descriptors: handed a terminal, linux.uml sets it raw (no CR before LF: each
 * line starts where the last one ended) and, being in a background process group, is
 * stopped by SIGTTOU doing so. Through pipes the terminal keeps its settings.
 */
struct relay {
	int from[2], to[2];     /* read ends of the guest's stdout/stderr pipes; 1, 2 */
};

static int write_all(int fd, const char *buf, size_t len)
{
	while (len) {
		ssize_t n = write(fd, buf, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -errno;
		buf += n;
		len -= (size_t)n;
	}
	return 0;
}

/* Copies what is ready, waiting up to timeout_ms: 1 when something was copied or a pipe
 * ended, 0 when nothing came in time, -1 when both pipes have ended. */
static int relay_step(struct relay *rl, int timeout_ms)
{
	struct pollfd p[2];
	char buf[65536];
	int n = 0, moved = 0;

	for (int i = 0; i < 2; i++)
		if (rl->from[i] >= 0)
			p[n++] = (struct pollfd){ .fd = rl->from[i], .events = POLLIN };
	if (!n)
		return -1;
	if (poll(p, (nfds_t)n, timeout_ms) <= 0)
		return 0;
	for (int k = 0; k < n; k++) {
		int i = p[k].fd == rl->from[0] ? 0 : 1;
		ssize_t got;

		if (!p[k].revents)
			continue;
		got = read(rl->from[i], buf, sizeof(buf));
		if (got < 0 && errno == EINTR)
			continue;
		moved = 1;
		if (got > 0) {
			write_all(rl->to[i], buf, (size_t)got); /* a closed stdout loses output only */
		} else {
			close(rl->from[i]);
			rl->from[i] = -1;
		}
	}
	return moved;
}

static volatile sig_atomic_t uml_stop_signal;

static void on_stop(int sig)
{
	uml_stop_signal = sig;
}

static int write_id_map(pid_t pid, const char *file, unsigned int id)
{
	char path[64], line[64];
	int fd, n, r = 0;

	snprintf(path, sizeof(path), "/proc/%d/%s", (int)pid, file);
	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	n = !strcmp(file, "setgroups") ? snprintf(line, sizeof(line), "deny")
				       : snprintf(line, sizeof(line), "%u %u 1", id, id);
	if (write(fd, line, (size_t)n) != n)
		r = -errno;
	close(fd);
	return r;
}

/*
 * Forks the kernel as pid 1 of a new pid namespace (inside a new user namespace when we are
 * not root), so that when it dies, by our death (PDEATHSIG) or its own, the host kernel kills
 * every process UML made: the ptraced processes that run guest tasks and UML's helpers.
 * Where no namespace can be made, a plain fork with PDEATHSIG remains, and `qoslab clean`
 * finds what is left by the job directory on the command line.
 *
 * alive: read end of a pipe whose write end only we hold: the child sees EOF there if we
 * died before its PDEATHSIG was armed. go: the child waits for a byte on it (id maps).
 */
/* console[0], console[1]: what the kernel gets as its stdout and stderr */
static pid_t spawn_kernel(char *const kargv[], char *const kenv[], int alive, int go[2],
			  const int console[2])
{
	static const int tries[] = { CLONE_NEWPID, CLONE_NEWUSER | CLONE_NEWPID, 0 };
	pid_t pid = -1;
	int flags = 0;

	for (size_t i = 0; i < sizeof(tries) / sizeof(tries[0]); i++) {
		flags = tries[i];
		/* the raw call: glibc's clone() wants a new stack, fork() takes no flags */
		pid = (pid_t)syscall(SYS_clone, (unsigned long)flags | SIGCHLD, NULL, NULL, NULL, NULL);
		if (pid >= 0 || (errno != EPERM && errno != EINVAL && errno != ENOSPC))
			break;
	}
	if (pid == 0) {
		struct pollfd p = { .fd = alive, .events = POLLIN };
		int devnull = open("/dev/null", O_RDONLY), c;
		char byte;

		prctl(PR_SET_PDEATHSIG, SIGKILL);
		if (poll(&p, 1, 0) == 1)
			_exit(127); /* EOF: the controller is already gone */
		close(go[1]);
		if (read(go[0], &byte, 1) != 1)
			_exit(127);
		setpgid(0, 0); /* the terminal's Ctrl-C reaches us, not the kernel */
		if (devnull < 0)
			_exit(127);
		dup2(devnull, 0);
		dup2(console[0], 1);
		dup2(console[1], 2);
		for (c = 3; c < 1024; c++)
			close(c);
		execve(kargv[0], kargv, kenv);
		_exit(127);
	}
	if (pid > 0 && (flags & CLONE_NEWUSER)) {
		/* root inside maps to us outside: hostfs files keep their owner */
		if (write_id_map(pid, "setgroups", 0) < 0 ||
		    write_id_map(pid, "uid_map", (unsigned int)getuid()) < 0 ||
		    write_id_map(pid, "gid_map", (unsigned int)getgid()) < 0) {
			kill(pid, SIGKILL);
			waitpid(pid, NULL, 0);
			return -1;
		}
	}
	if (pid > 0 && write(go[1], "g", 1) != 1) {
		kill(pid, SIGKILL);
		waitpid(pid, NULL, 0);
		return -1;
	}
	return pid;
}

/* The environment linux.uml gets: ours (UML keeps guest memory in a file under TMPDIR, put in
 * /dev/shm), with the xstate preload when this host needs it. */
static char **kernel_env(const char *preload)
{
	extern char **environ;
	int n = 0, k = 0;
	char **env;

	while (environ[n])
		n++;
	env = calloc((size_t)n + 3, sizeof(*env));
	if (!env)
		return NULL;
	for (int i = 0; i < n; i++)
		if (strncmp(environ[i], "TMPDIR=", 7) && strncmp(environ[i], "LD_PRELOAD=", 11))
			env[k++] = environ[i];
	env[k++] = "TMPDIR=/dev/shm";
	if (preload && asprintf(&env[k++], "LD_PRELOAD=%s", preload) < 0)
		env[--k] = NULL;
	return env;
}

static void kernel_env_free(char **env, int with_preload)
{
	int n = 0;

	if (!env)
		return;
	while (env[n])
		n++;
	if (with_preload && n > 0 && !strncmp(env[n - 1], "LD_PRELOAD=", 11))
		free(env[n - 1]);
	free(env);
}

int uml_run(char *const argv[], unsigned int mem_mb, int *ret_status)
{
	char job[] = UML_JOB_PREFIX "XXXXXX", path[PATH_MAX + 64], self[PATH_MAX];
	char cwd[PATH_MAX], memarg[32], initarg[PATH_MAX + 8], jobarg[PATH_MAX + 32];
	char umidarg[64], umldirarg[PATH_MAX + 16], init[PATH_MAX], preload[PATH_MAX + 32];
	char **args = NULL, **env = NULL, **kenv = NULL, why[256];
	int r, status = 0, alive[2] = { -1, -1 }, go[2] = { -1, -1 }, with_preload = 0;
	double status_seen = 0;
	int pipes[2][2] = { { -1, -1 }, { -1, -1 } };
	struct relay rl = { { -1, -1 }, { 1, 2 } };
	struct sigaction sa = { .sa_handler = on_stop }, old_int, old_term;
	struct uml_kernel kernel;
	ssize_t n;
	pid_t pid;

	if ((r = uml_kernel_find(&kernel, why, sizeof(why))) < 0)
		return r;
	if (!mkdtemp(job))
		return -errno;
	n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	if (n < 0 || !getcwd(cwd, sizeof(cwd))) {
		r = -errno;
		goto out;
	}
	self[n] = 0;
	{
		int argc = 0;

		while (argv[argc])
			argc++;
		args = calloc((size_t)argc + 1, sizeof(*args));
		if (!args) {
			r = -ENOMEM;
			goto out;
		}
		for (int i = 0; i < argc; i++)
			args[i] = argv[i];
		if (!strcmp(args[0], "qoslab"))
			args[0] = self;
	}
	env = job_env();
	if (!env) {
		r = -ENOMEM;
		goto out;
	}
	snprintf(path, sizeof(path), "%s/owner", job);
	if ((r = owner_write(path)) < 0)
		goto out;
	snprintf(path, sizeof(path), "%s/argv", job);
	if ((r = write_strings(path, args)) < 0)
		goto out;
	snprintf(path, sizeof(path), "%s/env", job);
	if ((r = write_strings(path, env)) < 0)
		goto out;
	snprintf(path, sizeof(path), "%s/cwd", job);
	if ((r = write_strings(path, (char *[]){ cwd, NULL })) < 0)
		goto out;
	snprintf(memarg, sizeof(memarg), "mem=%uM", mem_mb ? mem_mb : 2048);
	if ((r = init_path(self, init, sizeof(init))) < 0)
		goto out;
	snprintf(initarg, sizeof(initarg), "init=%s", init);
	r = uml_xstate_preload(init, preload, sizeof(preload), NULL);
	if (r == -ENOENT)
		fprintf(stderr, "qoslab: this CPU's XSAVE area is larger than UML 6.1 expects and "
			"libqoslab-xstate.so was not built beside %s: UML will fail\n", init);
	with_preload = r == 1;
	kenv = kernel_env(with_preload ? preload : NULL);
	if (!kenv) {
		r = -ENOMEM;
		goto out;
	}
	snprintf(jobarg, sizeof(jobarg), UML_JOB_ENV "=%s", job);
	snprintf(umidarg, sizeof(umidarg), "umid=qoslab-uml-%d", (int)getpid());
	snprintf(umldirarg, sizeof(umldirarg), "uml_dir=%s", job);
	if (pipe2(alive, O_CLOEXEC) < 0 || pipe2(go, O_CLOEXEC) < 0 ||
	    pipe2(pipes[0], O_CLOEXEC) < 0 || pipe2(pipes[1], O_CLOEXEC) < 0) {
		r = -errno;
		goto out;
	}
	sigaction(SIGINT, &sa, &old_int);
	sigaction(SIGTERM, &sa, &old_term);
	{
		char *kargv[] = { kernel.path, memarg, "root=/dev/root", "rootfstype=hostfs",
				  "rootflags=/", "rw", initarg, "quiet", "loglevel=0", "con=null",
				  "con0=null,fd:1", "con1=null,fd:2", "ssl=null", umidarg, umldirarg,
				  jobarg, NULL };

		int console[2] = { pipes[0][1], pipes[1][1] };

		pid = spawn_kernel(kargv, kenv, alive[0], go, console);
	}
	if (pid < 0) {
		r = -errno;
		goto restore;
	}
	for (int i = 0; i < 2; i++) {
		close(pipes[i][1]);
		pipes[i][1] = -1;
		rl.from[i] = pipes[i][0];
		pipes[i][0] = -1;
	}
	for (int forwarded = 0, killed = 0;;) {
		pid_t w = waitpid(pid, &status, WNOHANG);

		if (w == pid)
			break;
		/* The command's status is written before init powers off; a kernel that then keeps
		 * running (seen once: 100 % CPU for 17 min after a Ctrl-C'd run) is killed after a
		 * grace, which takes the whole guest with it (pid 1 of its own pid namespace). */
		if (!killed) {
			snprintf(path, sizeof(path), "%s/status", job);
			if (access(path, F_OK) == 0) {
				if (!status_seen)
					status_seen = clock_now_s();
				else if (clock_now_s() - status_seen > UML_POWEROFF_GRACE_S) {
					fprintf(stderr, "qoslab: the UML kernel did not power off %d s after "
						"its command ended; killed\n", UML_POWEROFF_GRACE_S);
					kill(pid, SIGKILL);
					killed = 1;
				}
			}
		}
		if (uml_stop_signal && !forwarded) {
			snprintf(path, sizeof(path), "%s/stop", job);
			write_strings(path, (char *[]){ uml_stop_signal == SIGINT ? "INT" : "TERM", NULL });
			forwarded = 1;
		}
		if (relay_step(&rl, 50) < 0) {
			struct timespec tick = { 0, 50 * 1000 * 1000 };

			nanosleep(&tick, NULL);
		}
	}
	/* the rest of the output; a helper process of the kernel that outlives it may hold a
	 * pipe open, so stop after a quiet second */
	while (relay_step(&rl, 1000) > 0)
		;
	{
		FILE *f;
		int code = -1;

		snprintf(path, sizeof(path), "%s/status", job);
		f = fopen(path, "re");
		if (f) {
			if (fscanf(f, "%d", &code) != 1)
				code = -1;
			fclose(f);
		}
		if (code < 0) {
			fprintf(stderr, "qoslab: the UML kernel %s stopped without the command's "
				"status (kernel exit status %d)\n", kernel.path, status);
			r = -ECHILD;
			goto restore;
		}
		*ret_status = code;
		r = 0;
	}
restore:
	sigaction(SIGINT, &old_int, NULL);
	sigaction(SIGTERM, &old_term, NULL);
out:
	for (int i = 0; i < 2; i++) {
		if (alive[i] >= 0)
			close(alive[i]);
		if (go[i] >= 0)
			close(go[i]);
		if (rl.from[i] >= 0)
			close(rl.from[i]);
		for (int j = 0; j < 2; j++)
			if (pipes[i][j] >= 0)
				close(pipes[i][j]);
	}
	free(args);
	free(env);
	kernel_env_free(kenv, with_preload);
	nftw(job, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
	return r;
}

/* ---- qoslab clean: UML runs whose controller died ---- */

static int job_owner_alive(const char *job)
{
	char path[PATH_MAX];

	snprintf(path, sizeof(path), "%s/owner", job);
	return owner_alive(path);
}

/* SIGKILLs every process whose command line has uml_dir=job: what a kernel started without
 * a pid namespace leaves behind (its forks share its command line). */
static unsigned int kill_job_processes(const char *job)
{
	char want[PATH_MAX + 16], path[64], buf[8192];
	unsigned int killed = 0;
	struct dirent *de;
	DIR *d = opendir("/proc");

	if (!d)
		return 0;
	snprintf(want, sizeof(want), "uml_dir=%s", job);
	while ((de = readdir(d))) {
		ssize_t got;
		int fd;

		if (de->d_name[0] < '1' || de->d_name[0] > '9')
			continue;
		snprintf(path, sizeof(path), "/proc/%s/cmdline", de->d_name);
		fd = open(path, O_RDONLY | O_CLOEXEC);
		if (fd < 0)
			continue;
		got = read(fd, buf, sizeof(buf) - 1);
		close(fd);
		if (got <= 0)
			continue;
		buf[got] = 0;
		for (char *p = buf; p < buf + got; p += strlen(p) + 1)
			if (!strcmp(p, want)) {
				if (kill(atoi(de->d_name), SIGKILL) == 0)
					killed++;
				break;
			}
	}
	closedir(d);
	return killed;
}

int uml_clean(int all, unsigned int *ret_removed)
{
	unsigned int removed = 0;
	glob_t g;

	if (glob(UML_JOB_PREFIX "*", GLOB_ONLYDIR, NULL, &g) != 0) {
		*ret_removed = 0;
		return 0;
	}
	for (size_t i = 0; i < g.gl_pathc; i++) {
		const char *job = g.gl_pathv[i];
		struct stat st;

		if (lstat(job, &st) < 0 || !S_ISDIR(st.st_mode) || st.st_uid != geteuid())
			continue;
		if (!all && job_owner_alive(job))
			continue;
		removed += kill_job_processes(job);
		if (nftw(job, rm_entry, 16, FTW_DEPTH | FTW_PHYS) == 0 && access(job, F_OK) < 0)
			removed++;
	}
	globfree(&g);
	*ret_removed = removed;
	return 0;
}

/* ---------------- guest side (pid 1) ---------------- */

static int read_strings(const char *path, char *buf, size_t len, char **list, int max)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC), n = 0;
	ssize_t got;

	if (fd < 0)
		return -errno;
	got = read(fd, buf, len - 1);
	close(fd);
	if (got < 0)
		return -errno;
	buf[got] = 0;
	for (char *p = buf; p < buf + got && n < max - 1; p += strlen(p) + 1)
		list[n++] = p;
	list[n] = NULL;
	return n;
}

static void load_module(const char *dir, const char *rel)
{
	char path[PATH_MAX];
	int fd;

	snprintf(path, sizeof(path), "%s/%s", dir, rel);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return;
	/* EEXIST: already loaded as a dependency */
	syscall(SYS_finit_module, fd, "", 0);
	close(fd);
}

/* Loads rel after its dependencies (modules.dep lists them nearest first). */
static void load_with_deps(const char *dir, const char *rel)
{
	char path[PATH_MAX], line[2048];
	FILE *f;

	snprintf(path, sizeof(path), "%s/modules.dep", dir);
	f = fopen(path, "re");
	if (f) {
		size_t len = strlen(rel);

		while (fgets(line, sizeof(line), f)) {
			char *deps[32], *save = NULL, *tok;
			int n = 0;

			if (strncmp(line, rel, len) || line[len] != ':')
				continue;
			for (tok = strtok_r(line + len + 1, " \n", &save); tok && n < 32;
			     tok = strtok_r(NULL, " \n", &save))
				deps[n++] = tok;
			while (n--)
				load_module(dir, deps[n]);
			break;
		}
		fclose(f);
	}
	load_module(dir, rel);
}

static void guest_setup(void)
{
	struct utsname u;
	char dir[PATH_MAX];

	mount("proc", "/proc", "proc", 0, NULL);
	mount("sysfs", "/sys", "sysfs", 0, NULL);
	/* private /run (netns names, run state) and /dev/shm; /tmp stays the host's */
	mount("tmpfs", "/run", "tmpfs", 0, "mode=755");
	mount("tmpfs", "/dev/shm", "tmpfs", 0, NULL);
	mount("cgroup2", "/sys/fs/cgroup", "cgroup2", 0, NULL);
	uname(&u);
	snprintf(dir, sizeof(dir), "%s/%s", UML_MODULES, u.release);
	for (int i = 0; uml_modules[i]; i++)
		load_with_deps(dir, uml_modules[i]);
}

static void write_status(const char *job, int code)
{
	char path[PATH_MAX], buf[16];
	int fd, len = snprintf(buf, sizeof(buf), "%d\n", code);

	snprintf(path, sizeof(path), "%s/status", job);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd >= 0) {
		if (write(fd, buf, (size_t)len) < 0)
			code = -1;
		fsync(fd);
		close(fd);
	}
}

int uml_init_main(void)
{
	static char argbuf[65536], envbuf[65536], cwdbuf[PATH_MAX + 1];
	char *argv[512], *env[256], *cwd[2], path[PATH_MAX];
	const char *job = getenv(UML_JOB_ENV);
	int code = 127, status;
	pid_t pid;

	guest_setup();
	snprintf(path, sizeof(path), "%s/argv", job);
	if (read_strings(path, argbuf, sizeof(argbuf), argv, 512) < 1)
		goto done;
	snprintf(path, sizeof(path), "%s/env", job);
	if (read_strings(path, envbuf, sizeof(envbuf), env, 256) < 0)
		goto done;
	snprintf(path, sizeof(path), "%s/cwd", job);
	if (read_strings(path, cwdbuf, sizeof(cwdbuf), cwd, 2) < 1 || chdir(cwd[0]) < 0)
		goto done;
	pid = fork();
	if (pid == 0) {
		/* console 0 is the host's stdout, console 1 its stderr */
		int o = open("/dev/tty0", O_WRONLY | O_NOCTTY), e = open("/dev/tty1", O_WRONLY | O_NOCTTY);
		struct termios t;

		if (o < 0 || e < 0)
			_exit(127);
		for (int fd = o; fd >= 0; fd = fd == o ? e : -1)
			if (tcgetattr(fd, &t) == 0) {
				cfmakeraw(&t); /* no \n -> \r\n on the way out */
				tcsetattr(fd, TCSANOW, &t);
			}
		dup2(o, 1);
		dup2(e, 2);
		setsid();
		execve(argv[0], argv, env);
		dprintf(2, "qoslab: cannot run %s inside UML: %s\n", argv[0], strerror(errno));
		_exit(127);
	}
	for (int stopped = 0;;) {
		struct timespec tick = { 0, 100 * 1000 * 1000 };
		pid_t w = waitpid(-1, &status, WNOHANG);

		if (w == pid) {
			code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
			break;
		}
		if (w > 0)
			continue; /* an orphan reparented to init */
		snprintf(path, sizeof(path), "%s/stop", job);
		if (!stopped && access(path, F_OK) == 0) {
			kill(pid, SIGINT);
			stopped = 1;
		}
		nanosleep(&tick, NULL);
	}
done:
	write_status(job, code);
	sync();
	reboot(RB_POWER_OFF);
	for (;;)
		pause();
}
