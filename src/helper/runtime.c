/*
 * runtime.c
 *		palloc, memory contexts and ereport for the eoswath-granule helper
 *		(see runtime.h).
 *
 * Every chunk carries a header linking it into its context's list, so that
 * pfree and repalloc can unlink it and a reset can free them all.  Errors
 * are formatted into one static RtError (an error while reporting one is
 * not possible: nothing here allocates).
 */
#include "runtime.h"

#include <errno.h>
#include <unistd.h>

typedef struct RtChunk
{
	struct RtChunk *prev;
	struct RtChunk *next;
	struct RtContext *cxt;
	Size		size;
} RtChunk;

/* the data after a header must be maximally aligned */
StaticAssertDecl(sizeof(RtChunk) % MAXIMUM_ALIGNOF == 0, "RtChunk is not MAXALIGNed");

struct RtContext
{
	const char *name;
	struct RtContext *parent;
	struct RtContext *first_child;
	struct RtContext *next_sibling;
	RtChunk    *chunks;
	MemoryContextCallback *callbacks;
};

static struct RtContext top = {.name = "TopMemoryContext"};
MemoryContext TopMemoryContext = &top;
MemoryContext CurrentMemoryContext = &top;

sigjmp_buf *rt_error_jump = NULL;
RtError		rt_last_error;
static int	cur_elevel;
static int	cur_errno;

void
rt_init(void)
{
	CurrentMemoryContext = TopMemoryContext;
}

/* ---- errors ---- */

void
rt_errstart(int elevel)
{
	cur_elevel = elevel;
	cur_errno = errno;
	if (elevel >= ERROR)
	{
		memset(&rt_last_error, 0, sizeof(rt_last_error));
		rt_last_error.sqlerrcode = ERRCODE_INTERNAL_ERROR;
	}
}

void
rt_errfinish(void)
{
	if (cur_elevel < ERROR)
		return;					/* notices are not passed on */
	rt_rethrow();
}

void
rt_rethrow(void)
{
	if (rt_error_jump == NULL)
	{
		fprintf(stderr, "eoswath-granule: %s\n", rt_last_error.message);
		_exit(2);
	}
	siglongjmp(*rt_error_jump, 1);
}

int
errcode(int sqlerrcode)
{
	if (cur_elevel >= ERROR)
		rt_last_error.sqlerrcode = sqlerrcode;
	return 0;
}

/* as PostgreSQL's: the SQLSTATE that fits errno */
int
errcode_for_file_access(void)
{
	int			code;

	switch (cur_errno)
	{
		case EPERM:
		case EACCES:
		case EROFS:
			code = ERRCODE_INSUFFICIENT_PRIVILEGE;
			break;
		case ENOENT:
			code = ERRCODE_UNDEFINED_FILE;
			break;
		case EEXIST:
			code = ERRCODE_DUPLICATE_FILE;
			break;
		case ENOTDIR:
		case EISDIR:
		case ENOTEMPTY:
			code = ERRCODE_WRONG_OBJECT_TYPE;
			break;
		case ENOSPC:
			code = ERRCODE_DISK_FULL;
			break;
		case ENFILE:
		case EMFILE:
			code = ERRCODE_INSUFFICIENT_RESOURCES;
			break;
		case EFBIG:
			code = ERRCODE_PROGRAM_LIMIT_EXCEEDED;
			break;
		default:
			code = ERRCODE_IO_ERROR;
			break;
	}
	return errcode(code);
}

#define FORMAT_INTO(field) \
	do { \
		va_list ap; \
		if (cur_elevel < ERROR) \
			return 0; \
		errno = cur_errno; \
		va_start(ap, fmt); \
		vsnprintf(rt_last_error.field, sizeof(rt_last_error.field), fmt, ap); \
		va_end(ap); \
	} while (0)

int
errmsg(const char *fmt,...)
{
	FORMAT_INTO(message);
	return 0;
}

int
errdetail(const char *fmt,...)
{
	FORMAT_INTO(detail);
	return 0;
}

int
errhint(const char *fmt,...)
{
	FORMAT_INTO(hint);
	return 0;
}

void
rt_elog(int elevel, const char *fmt,...)
{
	va_list		ap;

	rt_errstart(elevel);
	if (elevel < ERROR)
		return;
	va_start(ap, fmt);
	vsnprintf(rt_last_error.message, sizeof(rt_last_error.message), fmt, ap);
	va_end(ap);
	rt_errfinish();
}

/* ---- memory ---- */

static void
out_of_memory(Size size)
{
	ereport(ERROR,
			(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
			 errmsg("out of memory"),
			 errdetail("Failed on request of size %zu in the granule helper, whose memory eoswath.granule_memory_limit bounds.", size)));
}

static void *
chunk_alloc(MemoryContext cxt, Size size, bool zero)
{
	RtChunk    *c = malloc(sizeof(RtChunk) + size);

	if (c == NULL)
		out_of_memory(size);
	if (zero)
		memset(c + 1, 0, size);
	c->cxt = cxt;
	c->size = size;
	c->prev = NULL;
	c->next = cxt->chunks;
	if (cxt->chunks)
		cxt->chunks->prev = c;
	cxt->chunks = c;
	return c + 1;
}

static void
chunk_unlink(RtChunk *c)
{
	if (c->prev)
		c->prev->next = c->next;
	else
		c->cxt->chunks = c->next;
	if (c->next)
		c->next->prev = c->prev;
}

static void
check_size(Size size)
{
	if (!AllocSizeIsValid(size))
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("invalid memory alloc request size %zu", size)));
}

void *
MemoryContextAlloc(MemoryContext cxt, Size size)
{
	check_size(size);
	return chunk_alloc(cxt, size, false);
}

void *
MemoryContextAllocZero(MemoryContext cxt, Size size)
{
	check_size(size);
	return chunk_alloc(cxt, size, true);
}

void *
MemoryContextAllocHuge(MemoryContext cxt, Size size)
{
	return chunk_alloc(cxt, size, false);
}

void *
MemoryContextAllocExtended(MemoryContext cxt, Size size, int flags)
{
	if (!(flags & MCXT_ALLOC_HUGE))
		check_size(size);
	else if (!AllocHugeSizeIsValid(size))
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("invalid memory alloc request size %zu", size)));
	return chunk_alloc(cxt, size, (flags & MCXT_ALLOC_ZERO) != 0);
}

char *
MemoryContextStrdup(MemoryContext cxt, const char *s)
{
	Size		n = strlen(s) + 1;
	char	   *p = MemoryContextAlloc(cxt, n);

	memcpy(p, s, n);
	return p;
}

void *
palloc(Size size)
{
	return MemoryContextAlloc(CurrentMemoryContext, size);
}

void *
palloc0(Size size)
{
	return MemoryContextAllocZero(CurrentMemoryContext, size);
}

void *
palloc_extended(Size size, int flags)
{
	return (flags & 0x04) ? palloc0(size) : palloc(size);	/* MCXT_ALLOC_ZERO */
}

void
pfree(void *pointer)
{
	RtChunk    *c = ((RtChunk *) pointer) - 1;

	chunk_unlink(c);
	free(c);
}

static void *
chunk_realloc(void *pointer, Size size)
{
	RtChunk    *c = ((RtChunk *) pointer) - 1;
	RtChunk    *n;

	chunk_unlink(c);
	n = realloc(c, sizeof(RtChunk) + size);
	if (n == NULL)
	{
		/* c is still valid: link it back so that a reset frees it */
		RtChunk    *keep = c;

		keep->prev = NULL;
		keep->next = keep->cxt->chunks;
		if (keep->cxt->chunks)
			keep->cxt->chunks->prev = keep;
		keep->cxt->chunks = keep;
		out_of_memory(size);
	}
	n->size = size;
	n->prev = NULL;
	n->next = n->cxt->chunks;
	if (n->cxt->chunks)
		n->cxt->chunks->prev = n;
	n->cxt->chunks = n;
	return n + 1;
}

void *
repalloc(void *pointer, Size size)
{
	check_size(size);
	return chunk_realloc(pointer, size);
}

void *
repalloc_huge(void *pointer, Size size)
{
	if (!AllocHugeSizeIsValid(size))
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("invalid memory alloc request size %zu", size)));
	return chunk_realloc(pointer, size);
}

char *
pstrdup(const char *in)
{
	return MemoryContextStrdup(CurrentMemoryContext, in);
}

char *
pnstrdup(const char *in, Size len)
{
	Size		n = strnlen(in, len);
	char	   *p = palloc(n + 1);

	memcpy(p, in, n);
	p[n] = '\0';
	return p;
}

MemoryContext
rt_context_create(MemoryContext parent, const char *name)
{
	MemoryContext cxt = calloc(1, sizeof(struct RtContext));

	if (cxt == NULL)
		out_of_memory(sizeof(struct RtContext));
	cxt->name = name;
	cxt->parent = parent;
	cxt->next_sibling = parent->first_child;
	parent->first_child = cxt;
	return cxt;
}

void
MemoryContextRegisterResetCallback(MemoryContext cxt, MemoryContextCallback *cb)
{
	cb->next = cxt->callbacks;
	cxt->callbacks = cb;
}

void
MemoryContextReset(MemoryContext cxt)
{
	/* callbacks first (newest first), as PostgreSQL does */
	while (cxt->callbacks)
	{
		MemoryContextCallback *cb = cxt->callbacks;

		cxt->callbacks = cb->next;
		cb->func(cb->arg);
	}
	while (cxt->first_child)
		MemoryContextDelete(cxt->first_child);
	while (cxt->chunks)
	{
		RtChunk    *c = cxt->chunks;

		cxt->chunks = c->next;
		free(c);
	}
}

void
MemoryContextDelete(MemoryContext cxt)
{
	MemoryContext *link;

	MemoryContextReset(cxt);
	if (cxt->parent)
	{
		for (link = &cxt->parent->first_child; *link; link = &(*link)->next_sibling)
			if (*link == cxt)
			{
				*link = cxt->next_sibling;
				break;
			}
	}
	if (CurrentMemoryContext == cxt)
		CurrentMemoryContext = cxt->parent ? cxt->parent : TopMemoryContext;
	if (cxt != TopMemoryContext)
		free(cxt);
}
