/*
 * stream.h
 *		Byte streams over objects: puts fed in pieces, reads in chunks, with
 *		gzip on either side; and the gzip coder they use.
 *
 * Memory is bounded by the block and chunk sizes, never by object size.
 */
#ifndef EOSWATH_STREAM_H
#define EOSWATH_STREAM_H

#include "eoswath.h"
#include "object.h"

/* ---- gzip.c ---- */

typedef struct GzipWriter GzipWriter;
typedef struct GzipReader GzipReader;

/* receives compressed bytes; may ereport (it is called outside zlib) */
typedef void (*gzip_sink) (void *arg, const char *data, size_t len);

/* fills buf with up to len compressed bytes; 0 at the end of the input */
typedef size_t (*gzip_source) (void *arg, char *buf, size_t len);

extern GzipWriter *gzip_writer_begin(gzip_sink sink, void *arg, int level);
extern void gzip_writer_write(GzipWriter *g, const char *data, size_t len);
extern void gzip_writer_finish(GzipWriter *g);

extern GzipReader *gzip_reader_begin(gzip_source source, void *arg,
									 const char *what);
extern size_t gzip_reader_read(GzipReader *g, char *buf, size_t len);

/* ---- stream.c: puts and reads in pieces ---- */

typedef struct PutStream PutStream;
typedef struct GetStream GetStream;

extern PutStream *put_stream_begin(Policy *policy, Jsonb *meta, bool compress);
extern void put_stream_write(PutStream *ps, const char *data, size_t len);
extern int64 put_stream_written(PutStream *ps);
extern WosOid put_stream_finish(PutStream *ps);

extern GetStream *get_stream_begin(ObjectRecord *rec, bool decompress);
extern size_t get_stream_read(GetStream *gs, char *buf, size_t len);
extern void get_stream_end(GetStream *gs);

#endif							/* EOSWATH_STREAM_H */
