/*
 * gzip.c
 *		Streaming gzip (RFC 1952) with zlib: a writer that compresses into a
 *		sink, and a reader that inflates from a source, member after member,
 *		as "gzip -d" does.
 *
 * Each coder lives in the memory context current when it is created and
 * frees its z_stream through a reset callback on that context, so the zlib
 * state goes on every path, including errors.  zlib calls no code of ours:
 * sources and sinks are called between zlib calls, so they may ereport.
 */
#include "postgres.h"

#include <zlib.h>

#include "miscadmin.h"
#include "utils/memutils.h"

#include "gzip.h"

#define GZIP_BUF_SIZE		(256 * 1024)
#define GZIP_IN_SIZE		(1024 * 1024)	/* compressed bytes asked of the source at once */

struct GzipWriter
{
	z_stream	zs;
	bool		live;			/* deflateInit2 succeeded, deflateEnd due */
	gzip_sink	sink;
	void	   *arg;
	char	   *out;
	MemoryContextCallback cb;
};

struct GzipReader
{
	z_stream	zs;
	bool		live;			/* inflateInit2 succeeded, inflateEnd due */
	gzip_source source;
	void	   *arg;
	const char *what;			/* names the data in messages */
	char	   *in;
	size_t		in_size;
	bool		in_eof;			/* the source has nothing more */
	bool		member_ended;	/* between two members */
	bool		finished;		/* the last member ended at the end of input */
	int64		consumed;		/* compressed bytes read from the source */
	int			members;		/* members inflated completely */
	MemoryContextCallback cb;
};

/* One ereport for zlib's codes (never called from inside zlib). */
static void
zlib_error(int rc, z_stream *zs, const char *action, const char *what)
{
	ereport(ERROR,
			(errcode(rc == Z_MEM_ERROR ? ERRCODE_OUT_OF_MEMORY : ERRCODE_INTERNAL_ERROR),
			 errmsg("could not %s %s", action, what),
			 errdetail("zlib error %d: %s.", rc, zs->msg ? zs->msg : zError(rc))));
}

static void
gzip_writer_free(void *arg)
{
	GzipWriter *g = arg;

	if (g->live)
		deflateEnd(&g->zs);
	g->live = false;
}

/* A gzip compressor writing to sink, at zlib level 1..9 (or -1: default). */
GzipWriter *
gzip_writer_begin(gzip_sink sink, void *arg, int level)
{
	GzipWriter *g = palloc0(sizeof(GzipWriter));
	int			rc;

	g->sink = sink;
	g->arg = arg;
	g->out = palloc(GZIP_BUF_SIZE);
	g->cb.func = gzip_writer_free;
	g->cb.arg = g;
	MemoryContextRegisterResetCallback(CurrentMemoryContext, &g->cb);
	/* 16 + MAX_WBITS: a gzip header and trailer rather than zlib's */
	rc = deflateInit2(&g->zs, level, Z_DEFLATED, 16 + MAX_WBITS, 8, Z_DEFAULT_STRATEGY);
	if (rc != Z_OK)
		zlib_error(rc, &g->zs, "start compressing", "data");
	g->live = true;
	return g;
}

/* Run deflate over the pending input, passing full buffers to the sink. */
static void
gzip_deflate(GzipWriter *g, int flush)
{
	int			rc;

	do
	{
		CHECK_FOR_INTERRUPTS();
		g->zs.next_out = (Bytef *) g->out;
		g->zs.avail_out = GZIP_BUF_SIZE;
		rc = deflate(&g->zs, flush);
		if (rc == Z_STREAM_ERROR)
			zlib_error(rc, &g->zs, "compress", "data");
		if (g->zs.avail_out < GZIP_BUF_SIZE)
			g->sink(g->arg, g->out, GZIP_BUF_SIZE - g->zs.avail_out);
	} while (g->zs.avail_out == 0 || (flush == Z_FINISH && rc != Z_STREAM_END));
}

void
gzip_writer_write(GzipWriter *g, const char *data, size_t len)
{
	while (len > 0)
	{
		uInt		n = (uInt) Min(len, (size_t) (1 << 30));

		g->zs.next_in = (Bytef *) data;
		g->zs.avail_in = n;
		gzip_deflate(g, Z_NO_FLUSH);
		data += n;
		len -= n;
	}
}

/* Write the rest and the gzip trailer, and free the zlib state. */
void
gzip_writer_finish(GzipWriter *g)
{
	g->zs.next_in = NULL;
	g->zs.avail_in = 0;
	gzip_deflate(g, Z_FINISH);
	gzip_writer_free(g);
}

static void
gzip_reader_free(void *arg)
{
	GzipReader *g = arg;

	if (g->live)
		inflateEnd(&g->zs);
	g->live = false;
}

/* A gzip decompressor reading from source; 'what' names the data. */
GzipReader *
gzip_reader_begin(gzip_source source, void *arg, const char *what)
{
	GzipReader *g = palloc0(sizeof(GzipReader));
	int			rc;

	g->source = source;
	g->arg = arg;
	g->what = pstrdup(what);
	g->in_size = GZIP_IN_SIZE;
	g->in = palloc(g->in_size);
	g->cb.func = gzip_reader_free;
	g->cb.arg = g;
	MemoryContextRegisterResetCallback(CurrentMemoryContext, &g->cb);
	rc = inflateInit2(&g->zs, 16 + MAX_WBITS);
	if (rc != Z_OK)
		zlib_error(rc, &g->zs, "start decompressing", what);
	g->live = true;
	return g;
}

static void
gzip_not_gzip(GzipReader *g)
{
	if (g->members == 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_BINARY_REPRESENTATION),
				 errmsg("%s is not gzip data", g->what),
				 errdetail("Gzip data starts with the bytes 1f 8b."),
				 errhint("Read it without decompress => true.")));
	ereport(ERROR,
			(errcode(ERRCODE_DATA_CORRUPTED),
			 errmsg("%s has data after gzip member %d that is not gzip", g->what, g->members),
			 errdetail("The bytes after the end of a gzip member must start another member.")));
}

/*
 * Inflate up to len bytes into buf; returns fewer only at the clean end of
 * the last member (0 once everything has been returned).  Truncated or
 * corrupt data is an error, never a short read.
 */
size_t
gzip_reader_read(GzipReader *g, char *buf, size_t len)
{
	g->zs.next_out = (Bytef *) buf;
	g->zs.avail_out = (uInt) Min(len, (size_t) (1 << 30));
	len = g->zs.avail_out;

	while (g->zs.avail_out > 0 && !g->finished)
	{
		int			rc;

		CHECK_FOR_INTERRUPTS();
		if (g->zs.avail_in == 0 && !g->in_eof)
		{
			size_t		n = g->source(g->arg, g->in, g->in_size);

			if (n == 0)
				g->in_eof = true;
			g->zs.next_in = (Bytef *) g->in;
			g->zs.avail_in = (uInt) n;
			g->consumed += n;
		}
		if (g->member_ended)
		{
			/* another member follows, or this was the end */
			if (g->zs.avail_in == 0)
			{
				if (g->in_eof)
					g->finished = true;
				continue;
			}
			if (inflateReset(&g->zs) != Z_OK)
				zlib_error(Z_STREAM_ERROR, &g->zs, "decompress", g->what);
			g->member_ended = false;
		}
		if (g->consumed == 0 && g->in_eof)
			gzip_not_gzip(g);	/* no bytes at all */

		rc = inflate(&g->zs, Z_NO_FLUSH);
		switch (rc)
		{
			case Z_STREAM_END:
				g->member_ended = true;
				g->members++;
				break;
			case Z_OK:
				break;
			case Z_BUF_ERROR:
				/* no progress possible: input is needed */
				if (g->zs.avail_in == 0 && g->in_eof)
					ereport(ERROR,
							(errcode(ERRCODE_DATA_CORRUPTED),
							 errmsg("gzip data in %s is truncated", g->what),
							 errdetail("The input ended inside gzip member %d, after %lld compressed bytes.",
									   g->members + 1, (long long) g->consumed)));
				if (g->zs.avail_in > 0)
					zlib_error(rc, &g->zs, "decompress", g->what);
				break;
			case Z_DATA_ERROR:
				if (g->zs.msg && strcmp(g->zs.msg, "incorrect header check") == 0)
					gzip_not_gzip(g);
				ereport(ERROR,
						(errcode(ERRCODE_DATA_CORRUPTED),
						 errmsg("gzip data in %s is corrupt", g->what),
						 errdetail("zlib: %s, in gzip member %d.",
								   g->zs.msg ? g->zs.msg : "data error", g->members + 1)));
				break;
			case Z_NEED_DICT:
				ereport(ERROR,
						(errcode(ERRCODE_DATA_CORRUPTED),
						 errmsg("gzip data in %s is corrupt", g->what),
						 errdetail("zlib asks for a preset dictionary, which gzip never uses.")));
				break;
			default:
				zlib_error(rc, &g->zs, "decompress", g->what);
		}
	}
	return len - g->zs.avail_out;
}
