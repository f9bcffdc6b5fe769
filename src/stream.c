/*
 * stream.c
 *		Objects written and read in pieces: the put and get streams under
 *		wos_put_stream(), wos_stream_write(), wos_stream_close(),
 *		wos_stream_get() and the server-file functions.
 *
 * A put stream is an ObjectWriter that is fed piece by piece, optionally
 * through gzip; its object follows the rules of wos_put: the copies are
 * written before commit and registered with pending.c (removed on abort, or
 * by the sweep after a crash), and the catalog row is inserted at close, so
 * the object is visible at commit and never half-visible.
 *
 * The SQL put streams are numbered per session and last, like large-object
 * descriptors, until they are closed or the transaction that opened them
 * ends.  A transaction cannot commit with a put stream still open: that is
 * an error, so a forgotten close never loses data silently.  A stream that
 * failed part-way (an error during a write, a rolled-back savepoint that
 * opened or wrote it) refuses further use; its copies go at abort.
 *
 * wos_stream_get() returns the object chunk by chunk in value-per-call mode;
 * its memory is one chunk plus one I/O block plus zlib's window.
 */
#include "eoswath.h"

#include "access/xact.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "utils/builtins.h"
#include "utils/memutils.h"

#include "stream.h"

/* largest chunk wos_stream_get() returns */
#define MAX_CHUNK_SIZE		(256 * 1024 * 1024)

struct PutStream
{
	WosOid		oid;
	Policy	   *policy;
	Jsonb	   *meta;
	bool		compress;
	ObjectWriter *w;
	GzipWriter *gz;
	int64		in_bytes;		/* bytes given, before compression */
};

struct GetStream
{
	ObjectRecord *rec;
	ObjectReader *r;
	GzipReader *gz;
	int64		raw_pos;		/* stored bytes read so far */
	bool		closed;			/* reader closed (at the end, or early) */
};

/* ---- put streams ---- */

static void
put_sink(void *arg, const char *data, size_t len)
{
	object_write((ObjectWriter *) arg, data, len);
}

/*
 * Start a new object under policy.  Everything lives in the current memory
 * context, which must last until put_stream_finish().
 */
PutStream *
put_stream_begin(Policy *policy, Jsonb *meta, bool compress)
{
	PutStream  *ps = palloc0(sizeof(PutStream));

	ps->policy = policy;
	ps->meta = meta;
	ps->compress = compress;
	ps->oid = catalog_next_oid();
	object_lock(ps->oid, false);
	ps->w = object_write_begin(ps->oid, policy);
	if (compress)
		ps->gz = gzip_writer_begin(put_sink, ps->w, eoswath_gzip_level);
	return ps;
}

/* Append bytes, one I/O block at a time (cancel is honoured between). */
void
put_stream_write(PutStream *ps, const char *data, size_t len)
{
	while (len > 0)
	{
		size_t		n = Min(len, (size_t) eoswath_io_block_size);

		CHECK_FOR_INTERRUPTS();
		if (ps->gz)
			gzip_writer_write(ps->gz, data, n);
		else
			object_write(ps->w, data, n);
		ps->in_bytes += n;
		data += n;
		len -= n;
	}
}

int64
put_stream_written(PutStream *ps)
{
	return ps->in_bytes;
}

/* Make every copy durable and insert the catalog row; returns the id. */
WosOid
put_stream_finish(PutStream *ps)
{
	ObjectRecord rec = {0};

	if (ps->in_bytes == 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("cannot store an empty object"),
				 errdetail("eoswath refuses zero-length objects, as WOS does.")));
	if (ps->gz)
		gzip_writer_finish(ps->gz);
	object_write_finish(ps->w, &rec);
	rec.state = OBJECT_STORED;
	rec.meta = ps->meta;
	rec.encoding = ps->compress ? "gzip" : "identity";
	catalog_insert(&rec);
	return ps->oid;
}

/* ---- get streams ---- */

/* Read stored bytes in order; closes the reader (checksum checked) at the end. */
static size_t
get_raw_read(GetStream *gs, char *buf, size_t len)
{
	size_t		done = 0;

	while (done < len && !gs->closed)
	{
		size_t		n;

		CHECK_FOR_INTERRUPTS();
		n = object_read(gs->r, buf + done, Min(len - done, (size_t) eoswath_io_block_size));
		gs->raw_pos += n;
		done += n;
		if (gs->raw_pos >= gs->rec->size)
		{
			/* object_read() has verified the checksum; repair if needed */
			gs->closed = true;
			object_close(gs->r);
		}
	}
	return done;
}

static size_t
get_source(void *arg, char *buf, size_t len)
{
	return get_raw_read((GetStream *) arg, buf, len);
}

/* Open an object for reading in order, optionally inflating gzip. */
GetStream *
get_stream_begin(ObjectRecord *rec, bool decompress)
{
	GetStream  *gs = palloc0(sizeof(GetStream));

	gs->rec = rec;
	gs->r = object_open(rec, true);
	if (decompress)
		gs->gz = gzip_reader_begin(get_source, gs,
								   psprintf("object %s", wosoid_to_cstring(rec->oid)));
	return gs;
}

/*
 * Fill buf with the next len bytes (inflated if asked); fewer only at the
 * end.  The end is reached only once the checksum has been verified.
 */
size_t
get_stream_read(GetStream *gs, char *buf, size_t len)
{
	if (gs->gz)
		return gzip_reader_read(gs->gz, buf, len);
	return get_raw_read(gs, buf, len);
}

/* Release the reader of a stream abandoned before its end. */
void
get_stream_end(GetStream *gs)
{
	if (!gs->closed)
	{
		gs->closed = true;
		object_close(gs->r);	/* before the end: just closes the copy */
	}
}

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
	PutStream  *ps;
	WosOid		oid;			/* once closed */
	const char *why;			/* once failed */
} SqlStream;

static List *sql_streams = NIL; /* in TopTransactionContext */
static int32 next_stream_id = 1;
static int32 xact_first_stream_id = 1;	/* lower ids ended with a transaction */

static void
stream_xact_callback(XactEvent event, void *arg)
{
	ListCell   *lc;

	switch (event)
	{
		case XACT_EVENT_PRE_COMMIT:
		case XACT_EVENT_PARALLEL_PRE_COMMIT:
		case XACT_EVENT_PRE_PREPARE:
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
			break;
		case XACT_EVENT_COMMIT:
		case XACT_EVENT_PARALLEL_COMMIT:
		case XACT_EVENT_ABORT:
		case XACT_EVENT_PARALLEL_ABORT:
		case XACT_EVENT_PREPARE:
			/* the memory goes with TopTransactionContext */
			sql_streams = NIL;
			xact_first_stream_id = next_stream_id;
			break;
		default:
			break;
	}
}

static void
stream_subxact_callback(SubXactEvent event, SubTransactionId mySubid,
						SubTransactionId parentSubid, void *arg)
{
	int			level = GetCurrentTransactionNestLevel();
	ListCell   *lc;

	foreach(lc, sql_streams)
	{
		SqlStream  *s = lfirst(lc);

		if (event == SUBXACT_EVENT_COMMIT_SUB)
		{
			if (s->open_level >= level)
				s->open_level = level - 1;
			if (s->write_level >= level)
				s->write_level = level - 1;
		}
		else if (event == SUBXACT_EVENT_ABORT_SUB && s->state == STREAM_OPEN &&
				 (s->open_level >= level || s->write_level >= level || s->busy))
		{
			/* its copies are gone (pending.c) or hold rolled-back bytes */
			s->state = STREAM_FAILED;
			s->why = s->busy ? "an error interrupted a write to it" :
				"a savepoint that opened or wrote to it was rolled back";
		}
	}
}

/* Install the transaction hooks; called once from _PG_init. */
void
stream_register_callbacks(void)
{
	RegisterXactCallback(stream_xact_callback, NULL);
	RegisterSubXactCallback(stream_subxact_callback, NULL);
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
	check_meta(meta);
	policy_name = PG_ARGISNULL(0) ? eoswath_default_policy :
		text_to_cstring(PG_GETARG_TEXT_PP(0));
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
	s->ps = put_stream_begin(catalog_get_policy(policy_name), meta, compress);
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
	put_stream_write(s->ps, VARDATA_ANY(data), VARSIZE_ANY_EXHDR(data));
	MemoryContextSwitchTo(old);
	s->busy = false;
	PG_RETURN_INT64(put_stream_written(s->ps));
}

PG_FUNCTION_INFO_V1(wos_stream_close);
Datum
wos_stream_close(PG_FUNCTION_ARGS)
{
	SqlStream  *s = stream_get_open(stream_id_arg(fcinfo));
	MemoryContext old;

	s->busy = true;
	old = MemoryContextSwitchTo(s->cxt);
	s->oid = put_stream_finish(s->ps);
	MemoryContextSwitchTo(old);
	s->state = STREAM_CLOSED;
	s->busy = false;
	s->ps = NULL;
	MemoryContextDelete(s->cxt);
	s->cxt = NULL;
	PG_RETURN_WOSOID(s->oid);
}

/* ---- wos_stream_get ---- */

typedef struct StreamGetState
{
	GetStream  *gs;
	int32		chunk_size;
	ExprContext *econtext;
	bool		callback_set;
} StreamGetState;

/* executor shutdown before the last chunk (LIMIT, a closed cursor) */
static void
stream_get_shutdown(Datum arg)
{
	StreamGetState *st = (StreamGetState *) DatumGetPointer(arg);

	st->callback_set = false;
	get_stream_end(st->gs);
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
		st->chunk_size = (int32) chunk_size;
		st->gs = get_stream_begin(rec, !PG_ARGISNULL(2) && PG_GETARG_BOOL(2));
		/* runs before the SRF's own shutdown deletes this memory */
		st->econtext = rsinfo->econtext;
		RegisterExprContextCallback(st->econtext, stream_get_shutdown, PointerGetDatum(st));
		st->callback_set = true;
		funcctx->user_fctx = st;
		MemoryContextSwitchTo(old);
	}
	funcctx = SRF_PERCALL_SETUP();
	st = funcctx->user_fctx;

	/* each chunk lives in the per-call memory, freed after its row */
	chunk = palloc(VARHDRSZ + st->chunk_size);
	n = get_stream_read(st->gs, VARDATA(chunk), st->chunk_size);
	if (n == 0)
	{
		get_stream_end(st->gs);
		if (st->callback_set)
			UnregisterExprContextCallback(st->econtext, stream_get_shutdown,
										  PointerGetDatum(st));
		SRF_RETURN_DONE(funcctx);
	}
	SET_VARSIZE(chunk, VARHDRSZ + n);
	SRF_RETURN_NEXT(funcctx, PointerGetDatum(chunk));
}
