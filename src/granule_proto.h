/*
 * granule_proto.h
 *		The framed protocol between the backend (granule_client.c) and the
 *		eoswath-granule helper (helper/main.c), which serves the granule
 *		library (granule.h) in a confined process.
 *
 * A frame is a 4-byte little-endian length (of what follows), a 1-byte
 * type and a payload of fields: int64 and float8 as 8 little-endian bytes,
 * strings and byte strings as a 4-byte length and the bytes (length
 * 0xFFFFFFFF: NULL).  The backend sends one request; the helper forks a
 * child that confines itself and answers with zero or more data frames and
 * then GP_DONE or GP_ERROR; the helper then sends GP_STATUS, how the child
 * ended.  Frames from the child are relayed whole: a child that dies
 * mid-frame cannot make the backend misread the stream.
 *
 * Everything a reply says is checked before use: the child parsed hostile
 * bytes and may be anyone's.
 */
#ifndef EOSWATH_GRANULE_PROTO_H
#define EOSWATH_GRANULE_PROTO_H

#include "postgres.h"

#include "lib/stringinfo.h"

#define GP_HEADER_SIZE		5
#define GP_MAX_FRAME		(64 * 1024 * 1024)	/* a payload never needs more */

typedef enum GpType
{
	/* requests (backend -> helper) */
	GP_DESCRIBE = 1,
	GP_FOOTPRINT = 2,
	GP_PIXELS = 3,
	GP_SUBSET = 4,
	GP_QUICKLOOK = 5,
	/* replies (child -> backend, relayed) */
	GP_INFO = 64,
	GP_FOOTPRINT_REPLY = 65,
	GP_PIXEL_BLOCK = 66,
	GP_SUBSET_REPLY = 67,
	GP_DONE = 68,
	GP_ERROR = 69,
	GP_QUICKLOOK_DATA = 70,		/* a piece of the PNG, in order */
	GP_QUICKLOOK_REPLY = 71,	/* after the pieces: what was drawn */
	/* from the helper itself, after every request */
	GP_STATUS = 80
} GpType;

/* how a child ended (GP_STATUS) */
typedef enum GpEnd
{
	GP_END_EXIT = 0,			/* exited; code = exit status */
	GP_END_SIGNAL = 1,			/* killed; code = signal number */
	GP_END_PROTOCOL = 2,		/* broke the frame format; it was killed */
	GP_END_START = 3			/* could not be started */
} GpEnd;

/* writing: a frame is built in a StringInfo */
extern void gp_begin(StringInfo buf, GpType type);
extern void gp_put_int64(StringInfo buf, int64 v);
extern void gp_put_double(StringInfo buf, double v);
extern void gp_put_string(StringInfo buf, const char *s);
extern void gp_put_bytes(StringInfo buf, const void *data, size_t len);
extern void gp_put_doubles(StringInfo buf, const double *v, int64 n);
extern void gp_end(StringInfo buf);

/* reading one frame's payload; any overrun is a protocol error */
typedef struct GpReader
{
	const char *p;
	size_t		left;
} GpReader;

extern void gp_reader_init(GpReader *r, const char *payload, size_t len);
extern int64 gp_get_int64(GpReader *r);
extern int64 gp_get_count(GpReader *r, int64 max);	/* 0..max */
extern double gp_get_double(GpReader *r);
extern char *gp_get_string(GpReader *r);	/* palloc'd, or NULL */
extern const char *gp_get_bytes(GpReader *r, size_t *len); /* in the frame */
extern void gp_get_doubles(GpReader *r, double *out, int64 n);
extern void gp_reader_done(GpReader *r);	/* nothing may be left */

extern void gp_protocol_error(const char *what);

#endif							/* EOSWATH_GRANULE_PROTO_H */
