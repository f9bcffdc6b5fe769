/*-------------------------------------------------------------------------
 *
 * swath_sql.c
 *	  The SQL entry points of the swath functions: footprint, time range,
 *	  geolocation and pixels of a granule object, regional subsets, and the
 *	  region tests (the exact intersection test of swath_search(), the pixel
 *	  test of swath_subset()).  Only argument checks, defaults, one call
 *	  into the granule library (granule.h, through granule_file.h for
 *	  objects) or region.c, and the building of the result.  The catalog
 *	  table, its triggers, swath_search() and the subset queue are SQL
 *	  (src/sql/40_swaths.sql, src/sql/45_subset.sql).
 *
 *-------------------------------------------------------------------------
 */
#include "eoswath.h"

#include <math.h>

#include "access/htup_details.h"
#include "catalog/pg_type.h"
#include "funcapi.h"
#include "lib/stringinfo.h"
#include "miscadmin.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/timestamp.h"

#include "granule_client.h"
#include "granule_file.h"
#include "object.h"
#include "region.h"

/*
 * swath_footprint_wkb(oid): the footprint of every swath of a granule as
 * EWKB; an error when no pixel is valid.
 */
PG_FUNCTION_INFO_V1(swath_footprint_wkb);
Datum
swath_footprint_wkb(PG_FUNCTION_ARGS)
{
	WosOid		oid = PG_GETARG_WOSOID(0);
	GranuleFile *gf = granule_file_open(oid);
	Footprint  *fp = granule_remote_footprint(gf->path, gf->label, -1, NULL);

	granule_file_close(gf);
	if (fp->nrings == 0)
		ereport(ERROR,
				(errcode(ERRCODE_DATA_EXCEPTION),
				 errmsg("granule %s has no valid pixel", wosoid_to_cstring(oid)),
				 errdetail("Every latitude/longitude value is a fill value or out of range.")));
	PG_RETURN_BYTEA_P(footprint_to_ewkb(fp));
}

/*
 * epoch seconds (as the library gives them) -> timestamptz.  A time outside
 * PostgreSQL's range (or not a number: the helper's answers are untrusted)
 * is an error: a cast would make it -infinity or garbage.
 */
static TimestampTz
epoch_to_timestamptz(double secs, const char *label)
{
	double		usecs = (secs - (double) ((POSTGRES_EPOCH_JDATE - UNIX_EPOCH_JDATE) * SECS_PER_DAY))
		* USECS_PER_SEC;

	/* the first test, in double, keeps the cast defined; the second is exact */
	if (!(usecs >= (double) MIN_TIMESTAMP && usecs < (double) END_TIMESTAMP) ||
		!IS_VALID_TIMESTAMP((TimestampTz) usecs))
		ereport(ERROR,
				(errcode(ERRCODE_DATETIME_VALUE_OUT_OF_RANGE),
				 errmsg("acquisition time of %s is out of range", label),
				 errdetail("Its time variable gives %g seconds since 1970-01-01; a timestamp lies between 4714-11-24 BC and 294276-12-31 AD.",
						   secs),
				 errhint("Correct the granule's time units, or give the overpass time in the row.")));
	return (TimestampTz) usecs;
}

/*
 * swath_time_range(oid): first and last acquisition time of a granule, NULLs
 * when it has no time variable.
 */
PG_FUNCTION_INFO_V1(swath_time_range);
Datum
swath_time_range(PG_FUNCTION_ARGS)
{
	GranuleFile *gf = granule_file_open(PG_GETARG_WOSOID(0));
	TupleDesc	tupdesc;
	Datum		values[2];
	bool		nulls[2] = {true, true};
	double		start = 0,
				end = 0;

	if (get_call_result_type(fcinfo, NULL, &tupdesc) != TYPEFUNC_COMPOSITE)
		elog(ERROR, "return type must be a row type");
	tupdesc = BlessTupleDesc(tupdesc);
	if (granule_info_time_range(granule_remote_describe(gf->path, gf->label), &start, &end))
	{
		values[0] = TimestampTzGetDatum(epoch_to_timestamptz(start, gf->label));
		values[1] = TimestampTzGetDatum(epoch_to_timestamptz(end, gf->label));
		nulls[0] = nulls[1] = false;
	}
	granule_file_close(gf);
	PG_RETURN_DATUM(HeapTupleGetDatum(heap_form_tuple(tupdesc, values, nulls)));
}

/* one row of swath_geolocation() */
static void
geolocation_row(ReturnSetInfo *rsinfo, int pair, const GranulePair *p)
{
	Datum		v[10];
	bool		nulls[10] = {0};
	Datum	   *dims = palloc(sizeof(Datum) * Max(1, p->ndims));

	for (int d = 0; d < p->ndims; d++)
		dims[d] = CStringGetTextDatum(psprintf("%s=%lld", p->dim_names[d],
											   (long long) p->shape[d]));
	v[0] = Int32GetDatum(pair);
	nulls[0] = pair < 0;
	v[1] = CStringGetTextDatum(p->group);
	v[2] = CStringGetTextDatum(p->lat_var);
	v[3] = CStringGetTextDatum(p->lon_var);
	v[4] = PointerGetDatum(construct_array(dims, p->ndims, TEXTOID, -1, false, TYPALIGN_INT));
	v[5] = Int64GetDatum(p->nrows);
	v[6] = Int64GetDatum(p->ncols);
	v[7] = CStringGetTextDatum(p->has_time ? p->time_var : "");
	nulls[7] = !p->has_time;
	v[8] = BoolGetDatum(pair >= 0);
	v[9] = CStringGetTextDatum(p->skip_reason ? p->skip_reason : "");
	nulls[9] = p->skip_reason == NULL;
	tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, v, nulls);
}

/*
 * swath_geolocation(oid): the latitude/longitude pairs found in a granule,
 * one row per swath (several for GPM's FS/HS groups or Jason-1's 1 Hz and
 * 20 Hz tracks), then the pairs set aside (used false) with the reason.
 */
PG_FUNCTION_INFO_V1(swath_geolocation);
Datum
swath_geolocation(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	GranuleFile *gf;
	GranuleInfo *info;

	InitMaterializedSRF(fcinfo, 0);
	gf = granule_file_open(PG_GETARG_WOSOID(0));
	info = granule_remote_describe(gf->path, gf->label);
	granule_file_close(gf);
	for (int i = 0; i < info->npairs; i++)
		geolocation_row(rsinfo, i, &info->pairs[i]);
	for (int i = 0; i < info->nskipped; i++)
		geolocation_row(rsinfo, -1, &info->skipped[i]);
	return (Datum) 0;
}

/* swath_pixels' state: the rows so far, every step-th valid pixel */
typedef struct PixelRows
{
	ReturnSetInfo *rsinfo;
	int			pair;
	int			step;
	int64		k;
} PixelRows;

static void
pixel_rows(void *arg, const GranuleBlock *b)
{
	PixelRows  *st = arg;

	for (int64 r = 0; r < b->nrows; r++)
		for (int64 c = 0; c < b->ncols; c++)
		{
			double		la = b->lat[r * b->ncols + c];
			double		lo = b->lon[r * b->ncols + c];
			Datum		v[5];
			bool		nulls[5] = {0};

			if (isnan(la) || isnan(lo) || (st->k++ % st->step) != 0)
				continue;
			v[0] = Int32GetDatum(st->pair);
			v[1] = Int32GetDatum((int32) (b->row0 + r));
			v[2] = Int32GetDatum((int32) c);
			v[3] = Float8GetDatum(la);
			v[4] = Float8GetDatum(lo);
			tuplestore_putvalues(st->rsinfo->setResult, st->rsinfo->setDesc, v, nulls);
		}
}

/*
 * swath_pixels(oid, step): valid pixel centres (fill skipped, scale and
 * offset applied, longitudes in [-180, 180)), every step-th one.
 */
PG_FUNCTION_INFO_V1(swath_pixels);
Datum
swath_pixels(PG_FUNCTION_ARGS)
{
	PixelRows	st = {(ReturnSetInfo *) fcinfo->resultinfo, 0, PG_GETARG_INT32(1), 0};
	GranuleFile *gf;
	GranuleInfo *info;

	if (st.step < 1)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("step must be at least 1")));
	InitMaterializedSRF(fcinfo, 0);
	gf = granule_file_open(PG_GETARG_WOSOID(0));
	info = granule_remote_describe(gf->path, gf->label);
	for (st.pair = 0; st.pair < info->npairs; st.pair++)
		granule_remote_pixels(gf->path, gf->label, st.pair, pixel_rows, &st);
	granule_file_close(gf);
	return (Datum) 0;
}

/*
 * Do two geographies given as WKB (polygons or multipolygons) intersect?
 * The same answer as PostGIS ST_Intersects(geography, geography), much
 * cheaper for shapes that are close but apart; NULL when a shape is not a
 * (multi)polygon, or has an antipodal edge or a part without a defined
 * interior.  Each argument's
 * region is kept across calls while its bytes stay the same.
 */
PG_FUNCTION_INFO_V1(geog_intersects_wkb);
Datum
geog_intersects_wkb(PG_FUNCTION_ARGS)
{
	RegionCache *cache = fcinfo->flinfo->fn_extra;
	Region	   *r[2];

	if (cache == NULL)
		cache = fcinfo->flinfo->fn_extra =
			MemoryContextAllocZero(fcinfo->flinfo->fn_mcxt, sizeof(RegionCache) * 2);
	for (int i = 0; i < 2; i++)
	{
		bytea	   *b = PG_GETARG_BYTEA_PP(i);

		r[i] = region_cache_soft(&cache[i], fcinfo->flinfo->fn_mcxt,
								 VARDATA_ANY(b), VARSIZE_ANY_EXHDR(b));
	}
	if (r[0] == NULL || r[1] == NULL)
		PG_RETURN_NULL();
	PG_RETURN_BOOL(region_intersects(r[0], r[1]));
}

/* ---------- subsets ---------- */

/*
 * The region argument (WKB, its SRID and the kind of edges), checked and
 * parsed here so that a bad region is reported before the granule is read;
 * req gets the WKB.
 */
static Region *
region_arg(FunctionCallInfo fcinfo, int argno, GranuleSubsetRequest *req)
{
	bytea	   *wkb = PG_GETARG_BYTEA_PP(argno);
	int32		srid = PG_GETARG_INT32(argno + 1);
	bool		spherical = PG_GETARG_BOOL(argno + 2);

	/* SRID 0 says nothing about the coordinates: not taken as lon/lat */
	if (srid == 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("region has no SRID"),
				 errdetail("A geometry with SRID 0 may be in any coordinate system; a region must be in longitude/latitude (SRID 4326)."),
				 errhint("Declare it with ST_SetSRID(region, 4326) when its coordinates are longitude/latitude degrees, or write it as EWKT: 'SRID=4326;POLYGON(...)'.")));
	if (srid != 4326)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("region must be in longitude/latitude (SRID 4326)"),
				 errdetail("Its SRID is %d.", srid),
				 errhint("Transform it with ST_Transform(region, 4326).")));
	if (req)
	{
		req->region_wkb = VARDATA_ANY(wkb);
		req->region_len = VARSIZE_ANY_EXHDR(wkb);
		req->spherical = spherical;
	}
	return region_from_wkb(VARDATA_ANY(wkb), VARSIZE_ANY_EXHDR(wkb), spherical);
}

/* the variables argument: NULL for every variable, else at least one name */
static void
variables_arg(FunctionCallInfo fcinfo, int argno, GranuleSubsetRequest *req)
{
	ArrayType  *arr;
	Datum	   *elems;
	bool	   *nulls;
	int			n;
	const char **names;

	req->nvariables = 0;
	req->variables = NULL;
	if (PG_ARGISNULL(argno))
		return;
	arr = PG_GETARG_ARRAYTYPE_P(argno);
	deconstruct_array(arr, TEXTOID, -1, false, TYPALIGN_INT, &elems, &nulls, &n);
	names = palloc(sizeof(char *) * Max(1, n));
	for (int i = 0; i < n; i++)
		if (!nulls[i])
			names[req->nvariables++] = text_to_cstring(DatumGetTextPP(elems[i]));
	if (req->nvariables == 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("variables must name at least one variable"),
				 errhint("Pass NULL to keep every variable.")));
	req->variables = names;
}

/* what the history attribute of the subset says about the request */
static char *
describe_request(WosOid oid, Region *region, const GranuleSubsetRequest *req)
{
	StringInfoData buf;

	initStringInfo(&buf);
	appendStringInfo(&buf, "object %s, region of %s", wosoid_to_cstring(oid),
					 region_describe(region));
	if (req->nvariables > 0)
	{
		appendStringInfoString(&buf, ", variables ");
		for (int i = 0; i < req->nvariables; i++)
			appendStringInfo(&buf, "%s%s", i == 0 ? "" : ",", req->variables[i]);
	}
	return buf.data;
}

/*
 * swath_subset_wkb(oid, region wkb, srid, spherical, variables): the subset
 * as bytea, NULL if no pixel is inside.
 */
PG_FUNCTION_INFO_V1(swath_subset_wkb);
Datum
swath_subset_wkb(PG_FUNCTION_ARGS)
{
	WosOid		oid;
	GranuleSubsetRequest req = {0};
	Region	   *region;
	bytea	   *result;

	for (int i = 0; i < 4; i++)
		if (PG_ARGISNULL(i))
			PG_RETURN_NULL();
	oid = PG_GETARG_WOSOID(0);
	region = region_arg(fcinfo, 1, &req);
	variables_arg(fcinfo, 4, &req);
	req.request = describe_request(oid, region, &req);
	result = granule_file_subset(oid, &req);
	if (result == NULL)
		PG_RETURN_NULL();
	PG_RETURN_BYTEA_P(result);
}

/*
 * swath_subset_store_wkb(oid, region wkb, srid, spherical, policy,
 * variables, meta): the subset streamed into a new object; NULL if no pixel
 * is inside.
 */
PG_FUNCTION_INFO_V1(swath_subset_store_wkb);
Datum
swath_subset_store_wkb(PG_FUNCTION_ARGS)
{
	WosOid		oid,
				newoid;
	GranuleSubsetRequest req = {0};
	Region	   *region;
	Policy	   *policy;
	Jsonb	   *meta = NULL;

	for (int i = 0; i < 4; i++)
		if (PG_ARGISNULL(i))
			PG_RETURN_NULL();
	oid = PG_GETARG_WOSOID(0);
	region = region_arg(fcinfo, 1, &req);
	policy = object_policy(PG_ARGISNULL(4) ? NULL : text_to_cstring(PG_GETARG_TEXT_PP(4)));
	variables_arg(fcinfo, 5, &req);
	if (!PG_ARGISNULL(6))
		meta = PG_GETARG_JSONB_P(6);
	object_check_meta(meta);
	req.request = describe_request(oid, region, &req);
	newoid = granule_file_subset_store(oid, &req, policy, meta);
	if (newoid == InvalidWosOid)
		PG_RETURN_NULL();
	PG_RETURN_WOSOID(newoid);
}

/*
 * region_contains_wkb(region wkb, srid, spherical, lon, lat): the pixel
 * test on its own, for checking it against PostGIS.
 */
PG_FUNCTION_INFO_V1(region_contains_wkb);
Datum
region_contains_wkb(PG_FUNCTION_ARGS)
{
	Region	   *region = region_arg(fcinfo, 0, NULL);

	PG_RETURN_BOOL(region_contains(region, PG_GETARG_FLOAT8(4), PG_GETARG_FLOAT8(3)));
}
