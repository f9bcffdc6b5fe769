/*-------------------------------------------------------------------------
 *
 * swath_quicklook.c
 *	  The SQL entry points of quicklooks: a PNG picture of one variable of
 *	  a swath (drawn by the granule helper, quicklook_grid.c), its legend
 *	  (drawn here: it reads no granule), and what a quicklook's PNG says
 *	  about itself (its header and text chunks).  The SQL wrappers, the
 *	  stored quicklooks and the STAC assets are in src/sql/55_quicklook.sql.
 *
 *-------------------------------------------------------------------------
 */
#include "eoswath.h"

#include <math.h>

#include "catalog/pg_type.h"
#include "lib/stringinfo.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/jsonb.h"

#include "granule_client.h"
#include "granule_file.h"
#include "quicklook.h"
#include "region.h"

/* the value_range argument: {low, high}, finite, low <= high */
static void
range_arg(ArrayType *arr, double *lo, double *hi)
{
	Datum	   *elems;
	bool	   *nulls;
	int			n;

	deconstruct_array(arr, FLOAT8OID, 8, FLOAT8PASSBYVAL, TYPALIGN_DOUBLE,
					  &elems, &nulls, &n);
	if (n != 2 || nulls[0] || nulls[1])
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("value_range must hold two numbers, the low and the high end"),
				 errhint("Pass NULL to take the variable's valid_min and valid_max, or the 2nd and 98th percentiles of its values.")));
	*lo = DatumGetFloat8(elems[0]);
	*hi = DatumGetFloat8(elems[1]);
	if (!isfinite(*lo) || !isfinite(*hi) || *lo > *hi)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("value_range must be finite, low end first"),
				 errdetail("It is {%g,%g}.", *lo, *hi)));
}

static const char *
colormap_arg(FunctionCallInfo fcinfo, int argno)
{
	const char *name = PG_ARGISNULL(argno) ? "viridis" :
		text_to_cstring(PG_GETARG_TEXT_PP(argno));
	uint8		palette[256][3];

	if (!ql_palette(name, palette))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("unknown colormap \"%s\"", name),
				 errhint("Colormaps: %s.", QL_COLORMAP_NAMES)));
	return name;
}

static int
width_arg(FunctionCallInfo fcinfo, int argno, int dflt, int min, int max)
{
	int			width = PG_ARGISNULL(argno) ? dflt : PG_GETARG_INT32(argno);

	if (width < min)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("width must be at least %d pixels", min)));
	if (width > max)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("width must be at most %d pixels", max),
				 errdetail("It is %d.", width)));
	return width;
}

/*
 * swath_quicklook_wkb(oid, variable, region wkb, srid, spherical, width,
 * colormap, value_range, projection): the PNG, NULL if no pixel is inside
 * the region (a NULL region: the whole swath).
 */
PG_FUNCTION_INFO_V1(swath_quicklook_wkb);
Datum
swath_quicklook_wkb(PG_FUNCTION_ARGS)
{
	WosOid		oid;
	GranuleQuicklookRequest req = {0};
	GranuleQuicklookInfo info;
	GranuleFile *gf;
	bytea	   *png;

	if (PG_ARGISNULL(0) || PG_ARGISNULL(1))
		PG_RETURN_NULL();
	oid = PG_GETARG_WOSOID(0);
	req.variable = text_to_cstring(PG_GETARG_TEXT_PP(1));
	if (!PG_ARGISNULL(2))
	{
		bytea	   *wkb = PG_GETARG_BYTEA_PP(2);
		int32		srid = PG_ARGISNULL(3) ? 4326 : PG_GETARG_INT32(3);

		if (srid != 4326 && srid != 0)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("region must be in longitude/latitude (SRID 4326)"),
					 errdetail("Its SRID is %d.", srid),
					 errhint("Transform it with ST_Transform(region, 4326).")));
		req.region_wkb = VARDATA_ANY(wkb);
		req.region_len = VARSIZE_ANY_EXHDR(wkb);
		req.spherical = PG_ARGISNULL(4) ? true : PG_GETARG_BOOL(4);
		/* a bad region is reported before the granule is read */
		(void) region_from_wkb(req.region_wkb, req.region_len, req.spherical);
	}
	req.width = width_arg(fcinfo, 5, 1024, 1, QL_MAX_SIDE);
	req.colormap = colormap_arg(fcinfo, 6);
	if (!PG_ARGISNULL(7))
	{
		range_arg(PG_GETARG_ARRAYTYPE_P(7), &req.range_lo, &req.range_hi);
		req.has_range = true;
	}
	req.projection = QL_PROJ_AUTO;
	if (!PG_ARGISNULL(8))
	{
		const char *name = text_to_cstring(PG_GETARG_TEXT_PP(8));
		QlProjection proj;

		if (!ql_projection_parse(name, &proj))
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("unknown projection \"%s\"", name),
					 errhint("Projections: %s; NULL chooses one.", QL_PROJECTION_NAMES)));
		req.projection = proj;
	}
	req.source = psprintf("eoswath object %s", wosoid_to_cstring(oid));
	/* the grid may take half of the helper's address space */
	req.max_grid_bytes = (int64) eoswath_granule_memory_limit * 1024 * 1024 / 2;

	gf = granule_file_open(oid);
	png = granule_remote_quicklook(gf->path, gf->label, &req, &info);
	granule_file_close(gf);
	if (png == NULL)
		PG_RETURN_NULL();
	PG_RETURN_BYTEA_P(png);
}

static void
append_sink(void *arg, const char *data, size_t len)
{
	appendBinaryStringInfo((StringInfo) arg, data, len);
}

/*
 * swath_quicklook_legend(colormap, value_range, units, width): a colour
 * bar with its end and middle values and the units, as a PNG.
 */
PG_FUNCTION_INFO_V1(swath_quicklook_legend);
Datum
swath_quicklook_legend(PG_FUNCTION_ARGS)
{
	const char *colormap;
	double		lo,
				hi;
	const char *units = NULL;
	int			width;
	StringInfoData buf;
	bytea	   *res;

	if (PG_ARGISNULL(1))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("a legend needs a value_range"),
				 errhint("Take the one of a quicklook: swath_quicklook_legend(png) reads it from the picture.")));
	colormap = colormap_arg(fcinfo, 0);
	range_arg(PG_GETARG_ARRAYTYPE_P(1), &lo, &hi);
	if (!PG_ARGISNULL(2))
		units = text_to_cstring(PG_GETARG_TEXT_PP(2));
	width = width_arg(fcinfo, 3, 256, QL_LEGEND_MIN_WIDTH, QL_LEGEND_MAX_WIDTH);
	initStringInfo(&buf);
	ql_legend(colormap, lo, hi, units, width, append_sink, &buf);
	res = palloc(VARHDRSZ + buf.len);
	SET_VARSIZE(res, VARHDRSZ + buf.len);
	memcpy(VARDATA(res), buf.data, buf.len);
	PG_RETURN_BYTEA_P(res);
}

static uint32
be32(const unsigned char *p)
{
	return ((uint32) p[0] << 24) | ((uint32) p[1] << 16) | ((uint32) p[2] << 8) | p[3];
}

static void
add_pair(JsonbParseState **st, const char *key, JsonbValue *v)
{
	JsonbValue	k;

	k.type = jbvString;
	k.val.string.val = (char *) key;
	k.val.string.len = strlen(key);
	pushJsonbValue(st, WJB_KEY, &k);
	pushJsonbValue(st, WJB_VALUE, v);
}

static void
add_num(JsonbParseState **st, const char *key, int64 n)
{
	JsonbValue	v;

	v.type = jbvNumeric;
	v.val.numeric = int64_to_numeric(n);
	add_pair(st, key, &v);
}

static void
add_text(JsonbParseState **st, const char *key, const char *s, size_t len)
{
	JsonbValue	v;

	v.type = jbvString;
	v.val.string.val = pnstrdup(s, len);
	v.val.string.len = strlen(v.val.string.val);
	add_pair(st, key, &v);
}

/*
 * swath_quicklook_info(png): a PNG's size and colour type (from IHDR) and
 * its tEXt and iTXt chunks (uncompressed ones) as jsonb; an error when the
 * bytes are no PNG.  Every length is checked against the bytes given.
 */
PG_FUNCTION_INFO_V1(swath_quicklook_info);
Datum
swath_quicklook_info(PG_FUNCTION_ARGS)
{
	bytea	   *png = PG_GETARG_BYTEA_PP(0);
	const unsigned char *p = (const unsigned char *) VARDATA_ANY(png);
	size_t		len = VARSIZE_ANY_EXHDR(png);
	size_t		pos = 8;
	JsonbParseState *st = NULL;
	JsonbValue *res;
	bool		ihdr = false;
	JsonbParseState *tst = NULL;
	JsonbValue	texts;

	if (len < 8 || memcmp(p, "\x89PNG\r\n\x1a\n", 8) != 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_BINARY_REPRESENTATION),
				 errmsg("not a PNG picture"),
				 errdetail("It does not start with the PNG signature.")));
	pushJsonbValue(&st, WJB_BEGIN_OBJECT, NULL);
	pushJsonbValue(&tst, WJB_BEGIN_OBJECT, NULL);
	while (pos + 12 <= len)
	{
		uint32		clen = be32(p + pos);
		const char *type = (const char *) p + pos + 4;
		const char *data = (const char *) p + pos + 8;

		if (clen > len - pos - 12)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_BINARY_REPRESENTATION),
					 errmsg("PNG picture is truncated"),
					 errdetail("A chunk of %u bytes at offset %zu runs past its end.", clen, pos)));
		if (memcmp(type, "IHDR", 4) == 0 && clen >= 13 && !ihdr)
		{
			const unsigned char *h = (const unsigned char *) data;

			add_num(&st, "width", be32(h));
			add_num(&st, "height", be32(h + 4));
			add_num(&st, "bit_depth", h[8]);
			add_num(&st, "colour_type", h[9]);
			ihdr = true;
		}
		else if (memcmp(type, "tEXt", 4) == 0 || memcmp(type, "iTXt", 4) == 0)
		{
			const char *nul = memchr(data, '\0', clen);

			if (nul != NULL)
			{
				size_t		klen = nul - data;
				const char *val = nul + 1;
				size_t		vlen = clen - klen - 1;

				if (type[0] == 'i')
				{
					/* compression flag and method, language, translated key */
					const char *end = data + clen;
					const char *q;

					if (vlen < 2 || val[0] != 0)
						val = NULL; /* compressed: not read */
					else
					{
						q = memchr(val + 2, '\0', end - (val + 2));
						q = q ? memchr(q + 1, '\0', end - (q + 1)) : NULL;
						val = q ? q + 1 : NULL;
						vlen = q ? end - val : 0;
					}
				}
				if (val != NULL)
				{
					char	   *key = pnstrdup(data, klen);

					add_text(&tst, key, val, vlen);
				}
			}
		}
		pos += (size_t) clen + 12;
		if (memcmp(type, "IEND", 4) == 0)
			break;
	}
	if (!ihdr)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_BINARY_REPRESENTATION),
				 errmsg("PNG picture has no header chunk")));
	texts = *pushJsonbValue(&tst, WJB_END_OBJECT, NULL);
	add_pair(&st, "text", &texts);
	res = pushJsonbValue(&st, WJB_END_OBJECT, NULL);
	PG_RETURN_JSONB_P(JsonbValueToJsonb(res));
}
