/*
 * runtime.h
 *		The part of PostgreSQL's backend API that the granule parsing code
 *		uses, for the eoswath-granule helper, which is not a backend:
 *		palloc and memory contexts, ereport/elog, CHECK_FOR_INTERRUPTS.
 *
 * The parsing code is written in PostgreSQL's style and runs only in the
 * helper; this keeps it that way without a backend.  Memory contexts are
 * arenas (a context frees everything allocated in it, and its children,
 * when reset or deleted; reset callbacks run first, newest first).  An
 * ereport at ERROR or above longjmps to the handler installed with
 * RT_TRY(); the error (SQLSTATE, message, detail, hint) is kept for the
 * reply.  StringInfo and psprintf come from PostgreSQL's own frontend
 * library (libpgcommon), on top of this palloc.
 */
#ifndef EOSWATH_RUNTIME_H
#define EOSWATH_RUNTIME_H

#include "postgres_fe.h"

#include <setjmp.h>

#include "lib/stringinfo.h"

/* ---- error levels and SQLSTATEs, as utils/elog.h ---- */
#define DEBUG1		14
#define LOG			15
#define NOTICE		18
#define WARNING		19
#define ERROR		21
#define FATAL		22

#define PGSIXBIT(ch)	(((ch) - '0') & 0x3F)
#define PGUNSIXBIT(val) (((val) & 0x3F) + '0')
#define MAKE_SQLSTATE(ch1,ch2,ch3,ch4,ch5)	\
	(PGSIXBIT(ch1) + (PGSIXBIT(ch2) << 6) + (PGSIXBIT(ch3) << 12) + \
	 (PGSIXBIT(ch4) << 18) + (PGSIXBIT(ch5) << 24))
#include "utils/errcodes.h"

typedef struct RtError
{
	int			sqlerrcode;
	char		message[1024];
	char		detail[1024];
	char		hint[512];
} RtError;

extern void rt_errstart(int elevel);
extern void rt_errfinish(void);
extern int	errcode(int sqlerrcode);
extern int	errcode_for_file_access(void);
extern int	errmsg(const char *fmt,...) pg_attribute_printf(1, 2);
extern int	errdetail(const char *fmt,...) pg_attribute_printf(1, 2);
extern int	errhint(const char *fmt,...) pg_attribute_printf(1, 2);
extern void rt_elog(int elevel, const char *fmt,...) pg_attribute_printf(2, 3);

#define ereport(elevel, ...) \
	do { \
		rt_errstart(elevel); \
		__VA_ARGS__; \
		rt_errfinish(); \
		if ((elevel) >= ERROR) \
			pg_unreachable(); \
	} while (0)
#define elog(elevel, ...) \
	do { \
		rt_elog(elevel, __VA_ARGS__); \
		if ((elevel) >= ERROR) \
			pg_unreachable(); \
	} while (0)

/*
 * The handler for errors: RT_TRY() is true when entered directly, false
 * when an ERROR jumped back to it (the error is in rt_last_error).
 */
extern sigjmp_buf *rt_error_jump;
extern RtError rt_last_error;
#define RT_TRY(buf) (rt_error_jump = &(buf), sigsetjmp(buf, 0) == 0)
/* pass rt_last_error on to the handler now in rt_error_jump */
extern void rt_rethrow(void) pg_attribute_noreturn();

/* the backend's cancel becomes SIGKILL of the helper: nothing to check */
#define CHECK_FOR_INTERRUPTS()	((void) 0)

/* ---- memory contexts ---- */
typedef struct RtContext *MemoryContext;

typedef void (*MemoryContextCallbackFunction) (void *arg);
typedef struct MemoryContextCallback
{
	MemoryContextCallbackFunction func;
	void	   *arg;
	struct MemoryContextCallback *next;
} MemoryContextCallback;

extern MemoryContext TopMemoryContext;
extern MemoryContext CurrentMemoryContext;

#define MaxAllocSize	((Size) 0x3fffffff)		/* 1 gigabyte - 1 */
#define AllocSizeIsValid(size)	((Size) (size) <= MaxAllocSize)
#define MaxAllocHugeSize	(SIZE_MAX / 2)
#define AllocHugeSizeIsValid(size)	((Size) (size) <= MaxAllocHugeSize)
#define MCXT_ALLOC_HUGE		0x01
#define MCXT_ALLOC_NO_OOM	0x02
#define MCXT_ALLOC_ZERO		0x04
#define ALLOCSET_DEFAULT_SIZES	0
#define ALLOCSET_SMALL_SIZES	0
#define AllocSetContextCreate(parent, name, ...) rt_context_create(parent, name)

extern void rt_init(void);
extern MemoryContext rt_context_create(MemoryContext parent, const char *name);
extern void MemoryContextReset(MemoryContext cxt);
extern void MemoryContextDelete(MemoryContext cxt);
extern void MemoryContextRegisterResetCallback(MemoryContext cxt,
											   MemoryContextCallback *cb);
extern void *MemoryContextAlloc(MemoryContext cxt, Size size);
extern void *MemoryContextAllocZero(MemoryContext cxt, Size size);
extern void *MemoryContextAllocHuge(MemoryContext cxt, Size size);
extern void *MemoryContextAllocExtended(MemoryContext cxt, Size size, int flags);
extern void *repalloc_huge(void *pointer, Size size);
extern char *MemoryContextStrdup(MemoryContext cxt, const char *s);

static inline MemoryContext
MemoryContextSwitchTo(MemoryContext cxt)
{
	MemoryContext old = CurrentMemoryContext;

	CurrentMemoryContext = cxt;
	return old;
}

#endif							/* EOSWATH_RUNTIME_H */
