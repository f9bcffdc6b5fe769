/*
 * wos_streams.c
 *		SQL entry points for objects in pieces: put streams
 *		(wos_put_stream, wos_stream_write, wos_stream_close) and
 *		wos_stream_get(), and the put streams' descriptors.
 *
 * As with large-object descriptors in be-fsstubs.c, the SQL put streams are
 * numbered per session and last until they are closed or the transaction
 * that opened them ends (xact.c calls the AtEO*_PutStreams hooks below).
 * Each is an object put (object_put.c) fed piece by piece, so its object
 * follows the rules of wos_put: copies written before commit and removed on
 * abort, the catalog row inserted at close, visible at commit and never
 * half-visible.  A transaction cannot commit with a put stream still open:
 * that is an error, so a forgotten close never loses data silently.  A
 * stream that failed part-way (an error during a write, a rolled-back
 * savepoint that opened or wrote it) refuses further use; its copies go at
 * abort.
 *
 * wos_stream_get() returns the object chunk by chunk in value-per-call mode;
 * its memory is one chunk (one buffer, reused for every row) plus one I/O
 * block plus zlib's window.
 */
#include "eoswath.h"

#include "access/xact.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "utils/builtins.h"
#include "utils/memutils.h"

#include "object.h"
#include "xact.h"

/* largest chunk wos_stream_get() returns */
#define MAX_CHUNK_SIZE		(256 * 1024 * 1024)

/* ---- SQL put streams ---- */

typedef enum SqlStreamState
{
	STREAM_OPEN,
	STREAM_CLOSED,
	STREAM_FAILED
} SqlStreamState;

typedef struct SqlStream
{
	int32		id;
	SqlStreamState state;
	bool		busy;			/* inside a write or close: an error fails it */
	int			open_level;		/* (sub)transaction level that opened it */
	int			write_level;	/* deepest level that wrote to it */
	MemoryContext cxt;			/* the writer's memory */
	ObjectPut  *put;
	WosOid		oid;			/* once closed */
	const char *why;			/* once failed */
} SqlStream;

static List *sql_streams = NIL; /* in TopTransactionContext */
static int32 next_stream_id = 1;
static int32 xact_first_stream_id = 1;	/* lower ids ended with a transaction */

/* At pre-commit (xact.c): a stream still open is an error. */
void
AtPreCommit_PutStreams(void)
{
	ListCell   *lc;

	foreach(lc, sql_streams)
	{
		SqlStream  *s = lfirst(lc);

		if (s->state == STREAM_OPEN)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_TRANSACTION_STATE),
					 errmsg("put stream %d was not closed", s->id),
					 errdetail("An unclosed put stream holds a partial object; the transaction is rolled back."),
					 errhint("Call wos_stream_close() before the transaction ends.")));
	}
}

/* At transaction end (xact.c): every stream ends with its transaction. */
void
AtEOXact_PutStreams(void)
{
	/* the memory goes with TopTransactionContext */
	sql_streams = NIL;
	xact_first_stream_id = next_stream_id;
}

/*
 * At subtransaction end (xact.c).  A rolled-back subtransaction that opened
 * or wrote to a stream leaves it failed: its copies are gone (xact.c) or
 * hold rolled-back bytes.
 */
void
AtEOSubXact_PutStreams(bool isCommit, int nestlevel)
{
	ListCell   *lc;

	foreach(lc, sql_streams)
	{
		SqlStream  *s = lfirst(lc);

		if (isCommit)
		{
			if (s->open_level >= nestlevel)
				s->open_level = nestlevel - 1;
			if (s->write_level >= nestlevel)
				s->write_level = nestlevel - 1;
		}
		else if (s->state == STREAM_OPEN &&
				 (s->open_level >= nestlevel || s->write_level >= nestlevel || s->busy))
		{
			s->state = STREAM_FAILED;
			s->why = s->busy ? "an error interrupted a write to it" :
				"a savepoint that opened or wrote to it was rolled back";
		}
	}
}

/* The open stream with this id, or the error that says why there is none. */
static SqlStream *
stream_get_open(int32 id)
{
	ListCell   *lc;

	foreach(lc, sql_streams)
	{
		SqlStream  *s = lfirst(lc);

		if (s->id != id)
			continue;
		if (s->state == STREAM_CLOSED)
			ereport(ERROR,
					(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
					 errmsg("put stream %d is already closed", id),
					 errdetail("It was stored as object %s.", wosoid_to_cstring(s->oid))));
		if (s->state == STREAM_FAILED || s->busy)
			ereport(ERROR,
					(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
					 errmsg("put stream %d failed and cannot be used", id),
					 errdetail("Earlier, %s; its data is discarded when the transaction ends.",
							   s->why ? s->why : "an error interrupted a write to it"),
					 errhint("Roll back, then write the object again with a new stream.")));
		return s;
	}
	if (id > 0 && id < xact_first_stream_id)
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("put stream %d has ended", id),
				 errdetail("A put stream lasts until wos_stream_close() or the end of the transaction that opened it."),
				 errhint("Open, write and close a stream inside one transaction.")));
	ereport(ERROR,
			(errcode(ERRCODE_UNDEFINED_OBJECT),
			 errmsg("put stream %d does not exist in this session", id),
			 errdetail("Put streams belong to the session that opened them with wos_put_stream(), and last until closed or until its transaction ends.")));
	return NULL;				/* keep compiler quiet */
}

static int32
stream_id_arg(FunctionCallInfo fcinfo)
{
	if (PG_ARGISNULL(0))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("stream must not be null")));
	return PG_GETARG_INT32(0);
}

PG_FUNCTION_INFO_V1(wos_put_stream);
Datum
wos_put_stream(PG_FUNCTION_ARGS)
{
	MemoryContext old;
	SqlStream  *s;
	Jsonb	   *meta = NULL;
	bool		compress = !PG_ARGISNULL(2) && PG_GETARG_BOOL(2);
	char	   *policy_name;

	if (!PG_ARGISNULL(1))
		meta = PG_GETARG_JSONB_P_COPY(1);
	object_check_meta(meta);
	policy_name = PG_ARGISNULL(0) ? NULL : text_to_cstring(PG_GETARG_TEXT_PP(0));
	if (next_stream_id == PG_INT32_MAX)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("this session has opened too many put streams"),
				 errhint("Reconnect.")));

	old = MemoryContextSwitchTo(TopTransactionContext);
	s = palloc0(sizeof(SqlStream));
	s->cxt = AllocSetContextCreate(TopTransactionContext, "eoswath put stream",
								   ALLOCSET_DEFAULT_SIZES);
	MemoryContextSwitchTo(s->cxt);
	if (meta)
	{
		Jsonb	   *copy = palloc(VARSIZE(meta));

		memcpy(copy, meta, VARSIZE(meta));
		meta = copy;
	}
	s->put = object_put_begin(object_policy(policy_name), meta, compress, -1);
	s->id = next_stream_id++;
	s->state = STREAM_OPEN;
	s->open_level = s->write_level = GetCurrentTransactionNestLevel();
	MemoryContextSwitchTo(TopTransactionContext);
	sql_streams = lappend(sql_streams, s);
	MemoryContextSwitchTo(old);
	PG_RETURN_INT32(s->id);
}

PG_FUNCTION_INFO_V1(wos_stream_write);
Datum
wos_stream_write(PG_FUNCTION_ARGS)
{
	SqlStream  *s = stream_get_open(stream_id_arg(fcinfo));
	bytea	   *data;
	MemoryContext old;
	int			level = GetCurrentTransactionNestLevel();

	if (PG_ARGISNULL(1))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("stream data must not be null")));
	data = PG_GETARG_BYTEA_PP(1);

	s->busy = true;
	if (level > s->write_level)
		s->write_level = level;
	old = MemoryContextSwitchTo(s->cxt);
	object_put_write(s->put, VARDATA_ANY(data), VARSIZE_ANY_EXHDR(data));
	MemoryContextSwitchTo(old);
	s->busy = false;
	PG_RETURN_INT64(object_put_written(s->put));
}

PG_FUNCTION_INFO_V1(wos_stream_close);
Datum
wos_stream_close(PG_FUNCTION_ARGS)
{
	SqlStream  *s = stream_get_open(stream_id_arg(fcinfo));
	MemoryContext old;

	s->busy = true;
	old = MemoryContextSwitchTo(s->cxt);
	s->oid = object_put_finish(s->put);
	MemoryContextSwitchTo(old);
	s->state = STREAM_CLOSED;
	s->busy = false;
	s->put = NULL;
	MemoryContextDelete(s->cxt);
	s->cxt = NULL;
	PG_RETURN_WOSOID(s->oid);
}

/* ---- wos_stream_get ---- */

typedef struct StreamGetState
{
	ObjectStream *os;
	bytea	   *chunk;			/* the row returned, reused for every row */
	int32		capacity;		/* bytes chunk holds */
	ExprContext *econtext;
	bool		callback_set;
} StreamGetState;

/* executor shutdown before the last chunk (LIMIT, a closed cursor) */
static void
stream_get_shutdown(Datum arg)
{
	StreamGetState *st = (StreamGetState *) DatumGetPointer(arg);

	st->callback_set = false;
	object_stream_close(st->os);
}

PG_FUNCTION_INFO_V1(wos_stream_get);
Datum
wos_stream_get(PG_FUNCTION_ARGS)
{
	FuncCallContext *funcctx;
	StreamGetState *st;
	bytea	   *chunk;
	size_t		n;

	if (SRF_IS_FIRSTCALL())
	{
		ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
		MemoryContext old;
		int64		chunk_size = eoswath_io_block_size;
		bool		decompress = !PG_ARGISNULL(2) && PG_GETARG_BOOL(2);
		ObjectRecord *rec;

		if (PG_ARGISNULL(0))
			ereport(ERROR,
					(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
					 errmsg("object id must not be null")));
		if (!PG_ARGISNULL(1))
			chunk_size = PG_GETARG_INT32(1);
		if (chunk_size < 1 || chunk_size > MAX_CHUNK_SIZE)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("chunk size must be between 1 and %d bytes", MAX_CHUNK_SIZE)));
		if (rsinfo == NULL || !IsA(rsinfo, ReturnSetInfo) || rsinfo->econtext == NULL)
			ereport(ERROR,
					(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
					 errmsg("set-valued function called in context that cannot accept a set")));

		funcctx = SRF_FIRSTCALL_INIT();
		old = MemoryContextSwitchTo(funcctx->multi_call_memory_ctx);
		rec = catalog_fetch(PG_GETARG_WOSOID(0), false);
		st = palloc0(sizeof(StreamGetState));
		/* an object stored smaller than a chunk needs no more, unless inflated */
		st->capacity = (int32) chunk_size;
		if (!decompress && rec->size > 0 && rec->size < chunk_size)
			st->capacity = (int32) rec->size;
		st->chunk = palloc(VARHDRSZ + st->capacity);
		st->os = object_stream_open(rec, decompress);
		/* runs before the SRF's own shutdown deletes this memory */
		st->econtext = rsinfo->econtext;
		RegisterExprContextCallback(st->econtext, stream_get_shutdown, PointerGetDatum(st));
		st->callback_set = true;
		funcctx->user_fctx = st;
		MemoryContextSwitchTo(old);
	}
	funcctx = SRF_PERCALL_SETUP();
	st = funcctx->user_fctx;

	/*
	 * One buffer for every row: a fresh allocation per row costs page faults
	 * and zeroing in the kernel (glibc maps and unmaps blocks this large).
	 * The executor is done with a row before it asks for the next one, as
	 * with a row in per-tuple memory: whatever keeps a row copies it.
	 */
	chunk = st->chunk;
	n = object_stream_read(st->os, VARDATA(chunk), st->capacity);
	if (n == 0)
	{
		object_stream_close(st->os);
		if (st->callback_set)
			UnregisterExprContextCallback(st->econtext, stream_get_shutdown,
										  PointerGetDatum(st));
		SRF_RETURN_DONE(funcctx);
	}
	SET_VARSIZE(chunk, VARHDRSZ + n);
	SRF_RETURN_NEXT(funcctx, PointerGetDatum(chunk));
}
