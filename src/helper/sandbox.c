/*
 * sandbox.c
 *		Confinement of a granule-parsing process: rlimits, Landlock (the
 *		kernel's file-access sandbox) and seccomp (libseccomp).
 *
 * The order matters.  Limits first (they need no privilege).  Then
 * PR_SET_NO_NEW_PRIVS, which both Landlock and an unprivileged seccomp
 * filter require.  Then Landlock: the process handles every file access
 * right the kernel knows and grants back only reading the granule and
 * writing the output file, both named by path, opened beforehand by nobody
 * (the rules are attached to the files themselves, so a symlink or rename
 * afterwards changes nothing).  Last the seccomp filter, which would
 * otherwise refuse the landlock_* calls themselves.
 *
 * The filter is a deny list of what parsing never needs and an attacker
 * wants: sockets (no way out but the pipes it was handed), exec, ptrace and
 * reading other processes' memory, new processes, signals to other
 * processes, leaving its process group (the backend's cancel kills the
 * group), mounts, keyrings, BPF, and changing its own limits upwards.
 * Denied calls fail with EPERM, so a library that tries one gets an error
 * it can report instead of a dead process.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <linux/landlock.h>
#include <linux/sched.h>
#include <sys/socket.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#include <seccomp.h>

#include "sandbox.h"

/* rights newer than the kernel headers this is built with */
#ifndef LANDLOCK_ACCESS_FS_REFER
#define LANDLOCK_ACCESS_FS_REFER		(1ULL << 13)
#endif
#ifndef LANDLOCK_ACCESS_FS_TRUNCATE
#define LANDLOCK_ACCESS_FS_TRUNCATE		(1ULL << 14)
#endif
#ifndef LANDLOCK_ACCESS_FS_IOCTL_DEV
#define LANDLOCK_ACCESS_FS_IOCTL_DEV	(1ULL << 15)
#endif
#ifndef LANDLOCK_CREATE_RULESET_VERSION
#define LANDLOCK_CREATE_RULESET_VERSION	(1U << 0)
#endif

static char why[256];

int
sandbox_landlock_abi(void)
{
	return (int) syscall(__NR_landlock_create_ruleset, NULL, 0,
						 LANDLOCK_CREATE_RULESET_VERSION);
}

static const char *
fail(const char *what)
{
	snprintf(why, sizeof(why), "%s: %s", what, strerror(errno));
	return why;
}

static const char *
set_limit(int resource, uint64_t value, const char *name)
{
	struct rlimit rl;

	if (value == 0)
		return NULL;
	rl.rlim_cur = rl.rlim_max = (rlim_t) value;
	if (setrlimit(resource, &rl) != 0)
	{
		snprintf(why, sizeof(why), "could not set %s: %s", name, strerror(errno));
		return why;
	}
	return NULL;
}

/* the file access rights the running kernel's ABI knows */
static uint64_t
handled_rights(int abi)
{
	uint64_t	rights = (LANDLOCK_ACCESS_FS_MAKE_SYM << 1) - 1;	/* ABI 1 */

	if (abi >= 2)
		rights |= LANDLOCK_ACCESS_FS_REFER;
	if (abi >= 3)
		rights |= LANDLOCK_ACCESS_FS_TRUNCATE;
	if (abi >= 5)
		rights |= LANDLOCK_ACCESS_FS_IOCTL_DEV;
	return rights;
}

static const char *
allow_file(int ruleset, const char *path, uint64_t rights)
{
	struct landlock_path_beneath_attr rule;
	int			fd = open(path, O_PATH | O_CLOEXEC);
	int			rc;

	if (fd < 0)
		return fail(path);
	rule.allowed_access = rights;
	rule.parent_fd = fd;
	rc = (int) syscall(__NR_landlock_add_rule, ruleset, LANDLOCK_RULE_PATH_BENEATH, &rule, 0);
	close(fd);
	return rc == 0 ? NULL : fail("landlock_add_rule");
}

static const char *
enter_landlock(int abi, const char *read_path, const char *write_path)
{
	struct landlock_ruleset_attr attr = {0};
	uint64_t	file_rights = LANDLOCK_ACCESS_FS_READ_FILE | LANDLOCK_ACCESS_FS_WRITE_FILE;
	const char *err = NULL;
	int			ruleset;

	if (abi >= 3)
		file_rights |= LANDLOCK_ACCESS_FS_TRUNCATE;
	attr.handled_access_fs = handled_rights(abi);
	ruleset = (int) syscall(__NR_landlock_create_ruleset, &attr, sizeof(attr), 0);
	if (ruleset < 0)
		return fail("landlock_create_ruleset");
	if (read_path)
		err = allow_file(ruleset, read_path, LANDLOCK_ACCESS_FS_READ_FILE);
	if (!err && write_path)
		err = allow_file(ruleset, write_path, file_rights);
	if (!err && syscall(__NR_landlock_restrict_self, ruleset, 0) != 0)
		err = fail("landlock_restrict_self");
	close(ruleset);
	return err;
}

/* deny with EPERM */
#define DENY(call) \
	do { \
		int nr_ = seccomp_syscall_resolve_name(call); \
		if (nr_ != __NR_SCMP_ERROR && \
			seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EPERM), nr_, 0) != 0) \
			ok = false; \
	} while (0)

static const char *
enter_seccomp(void)
{
	static const char *const denied[] = {
		/* no way out but the pipes */
		"socket", "socketpair", "connect", "bind", "listen", "accept",
		"accept4", "sendto", "sendmsg", "sendmmsg", "recvfrom", "recvmsg",
		"recvmmsg",
		/* no other program, no other process */
		"execve", "execveat", "fork", "vfork", "ptrace",
		"process_vm_readv", "process_vm_writev", "pidfd_open",
		"pidfd_getfd", "pidfd_send_signal", "tgkill", "tkill",
		"kcmp", "setsid", "setpgid",
		/* nothing of the system */
		"mount", "umount2", "pivot_root", "chroot", "unshare", "setns",
		"add_key", "request_key", "keyctl", "bpf", "perf_event_open",
		"userfaultfd", "io_uring_setup", "init_module", "finit_module",
		"delete_module", "kexec_load", "kexec_file_load", "reboot",
		"swapon", "swapoff", "setrlimit", "prlimit64", "personality",
		"landlock_create_ruleset", "landlock_add_rule",
		"landlock_restrict_self", "seccomp",
	};
	scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_ALLOW);
	bool		ok = ctx != NULL;

	for (size_t i = 0; ok && i < sizeof(denied) / sizeof(denied[0]); i++)
		DENY(denied[i]);
	/*
	 * clone: threads only (CLONE_THREAD set), never a new process.  A thread
	 * shares this process's Landlock domain, seccomp filter (seccomp_load()
	 * runs before any thread: no TSYNC needed) and rlimits (RLIMIT_AS and
	 * RLIMIT_CPU count every thread).  clone3 passes its flags in memory,
	 * where a filter cannot look: it is refused with ENOSYS, on which glibc's
	 * pthread_create() falls back to clone (with EPERM it would fail).
	 * Subset's pass 1 tests blocks on a second thread (subset_window.c).
	 */
	if (ok && seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EPERM), SCMP_SYS(clone), 1,
							   SCMP_A0(SCMP_CMP_MASKED_EQ, CLONE_THREAD, 0)) != 0)
		ok = false;
	if (ok && seccomp_rule_add(ctx, SCMP_ACT_ERRNO(ENOSYS), SCMP_SYS(clone3), 0) != 0)
		ok = false;
	/* kill: only itself */
	if (ok && seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EPERM), SCMP_SYS(kill), 1,
							   SCMP_A0(SCMP_CMP_NE, (scmp_datum_t) getpid())) != 0)
		ok = false;
	if (ok && seccomp_load(ctx) != 0)
		ok = false;
	if (ctx)
		seccomp_release(ctx);
	if (!ok)
	{
		snprintf(why, sizeof(why), "could not install the seccomp filter");
		return why;
	}
	return NULL;
}

const char *
sandbox_enter(const SandboxLimits *limits, const char *read_path,
			  const char *write_path, bool allow_unconfined, bool *confined)
{
	const char *err;
	int			abi;

	*confined = false;
	if ((err = set_limit(RLIMIT_AS, limits->memory, "the memory limit")) ||
		(err = set_limit(RLIMIT_CPU, limits->cpu_seconds, "the CPU time limit")) ||
		(err = set_limit(RLIMIT_FSIZE, limits->output, "the output size limit")) ||
		(err = set_limit(RLIMIT_NOFILE, 64, "the open file limit")))
		return err;
	{
		/* no core dumps of hostile input */
		struct rlimit rl = {0, 0};

		if (setrlimit(RLIMIT_CORE, &rl) != 0)
			return fail("setrlimit(RLIMIT_CORE)");
	}
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0)
		return fail("prctl(PR_SET_NO_NEW_PRIVS)");

	abi = sandbox_landlock_abi();
	if (abi < 1)
	{
		snprintf(why, sizeof(why), "the kernel offers no Landlock (%s)",
				 abi < 0 ? strerror(errno) : "ABI 0");
		err = why;
	}
	else
		err = enter_landlock(abi, read_path, write_path);
	if (err == NULL)
		err = enter_seccomp();
	else if (allow_unconfined)
		(void) enter_seccomp();	/* whatever of it can be had */
	if (err != NULL)
		return allow_unconfined ? NULL : err;
	*confined = true;
	return NULL;
}

/* ---- the probe: what a confined process may still do ---- */

static void *
probe_thread(void *arg)
{
	return arg;
}

/* one line: the call's name, then "ok" or the errno's name */
static void
probe_report(const char *what, int rc)
{
	const char *name = rc == 0 ? "ok" : strerrorname_np(rc);

	printf("%s %s\n", what, name ? name : "?");
}

/*
 * A call that would make a new process: if it does, the child leaves at
 * once and the parent reaps it; the result is 0 (made) or the errno.
 */
static int
probe_child(long rc)
{
	if (rc == 0)
		_exit(0);				/* the child: the filter let it through */
	if (rc < 0)
		return errno;
	(void) waitpid((pid_t) rc, NULL, 0);
	return 0;
}

static int
probe_open(const char *path, int flags)
{
	int			fd = open(path, flags | O_CLOEXEC, 0600);

	if (fd < 0)
		return errno;
	close(fd);
	if (flags & O_CREAT)
		(void) unlink(path);
	return 0;
}

int
sandbox_probe(const char *read_path, const char *other_path, const char *write_path)
{
	SandboxLimits limits = {0};
	bool		confined;
	const char *why;
	pthread_t	t;
	struct clone_args args;
	char	   *const argv[] = {"true", NULL};
	int			rc;

	if ((why = sandbox_enter(&limits, read_path, NULL, false, &confined)) != NULL)
	{
		printf("confined no: %s\n", why);
		return 2;
	}
	printf("confined yes\n");
	fflush(stdout);

	/* threads: clone3 refused with ENOSYS, glibc then uses clone */
	rc = pthread_create(&t, NULL, probe_thread, NULL);
	if (rc == 0)
		rc = pthread_join(t, NULL);
	probe_report("thread", rc);
	/* a new process, by each of the three ways to ask for one */
	memset(&args, 0, sizeof(args));
	args.exit_signal = SIGCHLD;
	probe_report("clone3", probe_child(syscall(SYS_clone3, &args, sizeof(args))));
	probe_report("clone", probe_child(syscall(SYS_clone, SIGCHLD, 0, 0, 0, 0)));
	fflush(stdout);				/* a child that got through exits unflushed */
	probe_report("fork", probe_child(fork()));
	rc = execve("/bin/true", argv, NULL) == 0 ? 0 : errno;
	probe_report("execve", rc);
	rc = socket(AF_UNIX, SOCK_STREAM, 0);
	probe_report("socket", rc >= 0 ? (close(rc), 0) : errno);
	probe_report("kill-parent", kill(getppid(), 0) == 0 ? 0 : errno);
	probe_report("kill-self", kill(getpid(), 0) == 0 ? 0 : errno);
	/* files: the one it was handed, and no other */
	probe_report("read-granted", probe_open(read_path, O_RDONLY));
	probe_report("read-other", probe_open(other_path, O_RDONLY));
	probe_report("write-other", probe_open(write_path, O_WRONLY | O_CREAT | O_EXCL));
	fflush(stdout);
	return 0;
}
