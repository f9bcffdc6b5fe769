/*
 * granule_proto.c
 *		Encoding and decoding of the frames of granule_proto.h.  Built into
 *		both the backend and the eoswath-granule helper.
 */
#include "postgres.h"

#include "port/pg_bswap.h"

#include "granule_proto.h"

/* the wire is little-endian */
#ifdef WORDS_BIGENDIAN
#define LE64(v) pg_bswap64(v)
#define LE32(v) pg_bswap32(v)
#else
#define LE64(v) (v)
#define LE32(v) (v)
#endif

void
gp_protocol_error(const char *what)
{
	ereport(ERROR,
			(errcode(ERRCODE_PROTOCOL_VIOLATION),
			 errmsg("malformed message from the granule helper"),
			 errdetail("%s", what)));
}

void
gp_begin(StringInfo buf, GpType type)
{
	resetStringInfo(buf);
	appendBinaryStringInfo(buf, "\0\0\0\0", 4);
	appendStringInfoChar(buf, (char) type);
}

void
gp_put_int64(StringInfo buf, int64 v)
{
	uint64		le = LE64((uint64) v);

	appendBinaryStringInfo(buf, (const char *) &le, 8);
}

void
gp_put_double(StringInfo buf, double v)
{
	int64		bits;

	memcpy(&bits, &v, 8);
	gp_put_int64(buf, bits);
}

static void
put_len(StringInfo buf, uint32 len)
{
	uint32		le = LE32(len);

	appendBinaryStringInfo(buf, (const char *) &le, 4);
}

void
gp_put_bytes(StringInfo buf, const void *data, size_t len)
{
	if (data == NULL)
	{
		put_len(buf, 0xFFFFFFFF);
		return;
	}
	if (len >= 0xFFFFFFFF)
		elog(ERROR, "granule protocol field too long");
	put_len(buf, (uint32) len);
	appendBinaryStringInfo(buf, data, len);
}

void
gp_put_string(StringInfo buf, const char *s)
{
	gp_put_bytes(buf, s, s ? strlen(s) : 0);
}

void
gp_put_doubles(StringInfo buf, const double *v, int64 n)
{
	for (int64 i = 0; i < n; i++)
		gp_put_double(buf, v[i]);
}

/* Fill in the length of the frame built in buf. */
void
gp_end(StringInfo buf)
{
	uint32		len = (uint32) (buf->len - 4);
	uint32		le = LE32(len);

	/* a reply this large comes from the granule's own sizes: a limit, not a bug */
	if (buf->len - 4 > GP_MAX_FRAME)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("a granule reply of %d bytes is too large", buf->len - 4),
				 errdetail("A frame of the granule helper's protocol holds at most %d bytes.",
						   GP_MAX_FRAME)));
	memcpy(buf->data, &le, 4);
}

void
gp_reader_init(GpReader *r, const char *payload, size_t len)
{
	r->p = payload;
	r->left = len;
}

static const char *
take(GpReader *r, size_t n)
{
	const char *p = r->p;

	if (n > r->left)
		gp_protocol_error("A field runs past the end of its frame.");
	r->p += n;
	r->left -= n;
	return p;
}

int64
gp_get_int64(GpReader *r)
{
	uint64		le;

	memcpy(&le, take(r, 8), 8);
	return (int64) LE64(le);
}

/* A count (of rows, rings, variables...) that must lie in 0..max. */
int64
gp_get_count(GpReader *r, int64 max)
{
	int64		n = gp_get_int64(r);

	if (n < 0 || n > max)
		gp_protocol_error(psprintf("A count of %lld is out of range (0 to %lld).",
								   (long long) n, (long long) max));
	return n;
}

double
gp_get_double(GpReader *r)
{
	int64		bits = gp_get_int64(r);
	double		v;

	memcpy(&v, &bits, 8);
	return v;
}

static uint32
get_len(GpReader *r)
{
	uint32		le;

	memcpy(&le, take(r, 4), 4);
	return LE32(le);
}

const char *
gp_get_bytes(GpReader *r, size_t *len)
{
	uint32		n = get_len(r);

	if (n == 0xFFFFFFFF)
	{
		*len = 0;
		return NULL;
	}
	*len = n;
	return take(r, n);
}

char *
gp_get_string(GpReader *r)
{
	size_t		len;
	const char *p = gp_get_bytes(r, &len);

	if (p == NULL)
		return NULL;
	if (memchr(p, '\0', len) != NULL)
		gp_protocol_error("A string holds a zero byte.");
	return pnstrdup(p, len);
}

void
gp_get_doubles(GpReader *r, double *out, int64 n)
{
	if (n < 0 || (uint64) n > r->left / 8)
		gp_protocol_error("An array runs past the end of its frame.");
	for (int64 i = 0; i < n; i++)
		out[i] = gp_get_double(r);
}

void
gp_reader_done(GpReader *r)
{
	if (r->left != 0)
		gp_protocol_error(psprintf("%zu bytes are left over at the end of a frame.", r->left));
}
