/*
 * gzip.h
 *		Streaming gzip (RFC 1952) over zlib.  A codec: it knows nothing of
 *		objects or stores; bytes come from a source callback and go to a
 *		sink callback.
 */
#ifndef EOSWATH_GZIP_H
#define EOSWATH_GZIP_H

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

#endif							/* EOSWATH_GZIP_H */
