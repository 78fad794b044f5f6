// SPDX-License-Identifier: MIT
/* Host side: a job directory, linux.uml with hostfs root, our own binary as init. Guest side
 * (pid 1): mounts, module loading, the command, its status written back, power off. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
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

#include "emu/uml.h"

/* Modules the testbed needs; their dependencies come from modules.dep. */
static const char *const uml_modules[] = {
	"kernel/drivers/net/veth.ko", "kernel/net/bridge/bridge.ko",
	"kernel/net/sched/sch_netem.ko", "kernel/net/sched/sch_tbf.ko",
	"kernel/drivers/net/ifb.ko", NULL,
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

int uml_available(char *why, size_t len)
{
	char dir[PATH_MAX];

#ifdef BUILT_WITH_ASAN
	/* ASan reserves ~16 TB of shadow memory at start; UML's address space has no room */
	snprintf(why, len, "an AddressSanitizer build cannot run inside UML");
	return -ENOTSUP;
#endif

	if (access(UML_KERNEL, X_OK) < 0) {
		snprintf(why, len, "%s not found (Debian package user-mode-linux)", UML_KERNEL);
		return -ENOENT;
	}
	if (uml_modules_dir(dir, sizeof(dir)) < 0) {
		snprintf(why, len, "no module tree under %s", UML_MODULES);
		return -ENOENT;
	}
	return 0;
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

static volatile sig_atomic_t uml_stop_signal;

static void on_stop(int sig)
{
	uml_stop_signal = sig;
}

int uml_run(char *const argv[], unsigned int mem_mb, int *ret_status)
{
	char job[] = "/tmp/qoslab-uml-XXXXXX", path[PATH_MAX + 64], self[PATH_MAX];
	char cwd[PATH_MAX], memarg[32], initarg[PATH_MAX + 8], jobarg[PATH_MAX + 32];
	char umidarg[64], umldirarg[PATH_MAX + 16];
	char **args = NULL, **env = NULL;
	int r, status = 0;
	struct sigaction sa = { .sa_handler = on_stop }, old_int, old_term;
	ssize_t n;
	pid_t pid;

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
	snprintf(path, sizeof(path), "%s/argv", job);
	if ((r = write_strings(path, args)) < 0)
		goto out;
	snprintf(path, sizeof(path), "%s/env", job);
	if ((r = write_strings(path, env)) < 0)
		goto out;
	snprintf(path, sizeof(path), "%s/cwd", job);
	if ((r = write_strings(path, (char *[]){ cwd, NULL })) < 0)
		goto out;
	snprintf(memarg, sizeof(memarg), "mem=%uM", mem_mb ? mem_mb : 1024);
	{
		char init[PATH_MAX];

		if ((r = init_path(self, init, sizeof(init))) < 0)
			goto out;
		snprintf(initarg, sizeof(initarg), "init=%s", init);
	}
	snprintf(jobarg, sizeof(jobarg), UML_JOB_ENV "=%s", job);
	snprintf(umidarg, sizeof(umidarg), "umid=qoslab-uml-%d", (int)getpid());
	snprintf(umldirarg, sizeof(umldirarg), "uml_dir=%s", job);
	sigaction(SIGINT, &sa, &old_int);
	sigaction(SIGTERM, &sa, &old_term);
	pid = fork();
	if (pid < 0) {
		r = -errno;
		goto restore;
	}
	if (pid == 0) {
		int devnull = open("/dev/null", O_RDONLY);

		prctl(PR_SET_PDEATHSIG, SIGKILL);
		setpgid(0, 0); /* the terminal's Ctrl-C reaches us, not the kernel */
		if (devnull < 0)
			_exit(127);
		dup2(devnull, 0);
		/* UML keeps guest memory in a file under TMPDIR */
		setenv("TMPDIR", "/dev/shm", 1);
		execl(UML_KERNEL, UML_KERNEL, memarg, "root=/dev/root", "rootfstype=hostfs",
		      "rootflags=/", "rw", initarg, "quiet", "loglevel=0", "con=null",
		      "con0=null,fd:1", "con1=null,fd:2", "ssl=null", umidarg, umldirarg, jobarg, (char *)NULL);
		_exit(127);
	}
	for (int forwarded = 0;;) {
		struct timespec tick = { 0, 50 * 1000 * 1000 };
		pid_t w = waitpid(pid, &status, WNOHANG);

		if (w == pid)
			break;
		if (uml_stop_signal && !forwarded) {
			snprintf(path, sizeof(path), "%s/stop", job);
			write_strings(path, (char *[]){ uml_stop_signal == SIGINT ? "INT" : "TERM", NULL });
			forwarded = 1;
		}
		nanosleep(&tick, NULL);
	}
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
			fprintf(stderr, "qoslab: the UML kernel stopped without the command's "
				"status (kernel exit status %d)\n", status);
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
	free(args);
	free(env);
	nftw(job, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
	return r;
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
