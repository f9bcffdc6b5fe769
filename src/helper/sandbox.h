/*
 * sandbox.h
 *		Confinement of a granule-parsing process (Linux): resource limits,
 *		Landlock and seccomp.  Used only by the eoswath-granule helper.
 */
#ifndef EOSWATH_SANDBOX_H
#define EOSWATH_SANDBOX_H

#include <stdbool.h>
#include <stdint.h>

typedef struct SandboxLimits
{
	uint64_t	memory;			/* RLIMIT_AS, bytes (0: none) */
	uint64_t	cpu_seconds;	/* RLIMIT_CPU (0: none) */
	uint64_t	output;			/* RLIMIT_FSIZE, bytes (0: none) */
} SandboxLimits;

/*
 * Confine the calling process for good: the limits; a Landlock domain in
 * which the only file it may read is read_path and the only one it may
 * write is write_path (either may be NULL); and a seccomp filter that
 * refuses sockets, exec, ptrace, new processes and signals to others.
 * Returns NULL on success, else why it could not (the process must then
 * not parse anything).  With allow_unconfined, a kernel without Landlock
 * or seccomp is accepted (the limits still apply) and *confined says so.
 */
extern const char *sandbox_enter(const SandboxLimits *limits,
								 const char *read_path, const char *write_path,
								 bool allow_unconfined, bool *confined);

/*
 * eoswath-granule --sandbox-probe: confine the process as a request's
 * child is confined (no limits; read_path the only file it may read,
 * nothing it may write), then try what the confinement must allow (a
 * thread, reading read_path, signalling itself) and what it must refuse
 * (a new process by clone3, clone and fork, exec, a socket, a signal to
 * the parent, reading other_path, creating write_path), and print one
 * line per try: its name and "ok" or the errno's name.  Returns the exit
 * status: 0, or 2 if the process could not be confined.
 */
extern int	sandbox_probe(const char *read_path, const char *other_path,
						  const char *write_path);

/* The Landlock ABI version of the running kernel (<= 0: none). */
extern int	sandbox_landlock_abi(void);

#endif							/* EOSWATH_SANDBOX_H */
