/*
 * swath.c
 *		Swath functions in SQL: the footprint and time range of a granule
 *		object, and the exact polygon intersection test of swath_search().
 *		The catalog table, its triggers and swath_search() are SQL
 *		(src/sql/40_swaths.sql).
 */
#include "eoswath.h"

#include <math.h>

#include "access/htup_details.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "utils/builtins.h"
#include "catalog/pg_type.h"
#include "utils/array.h"
#include "utils/timestamp.h"

#include "footprint.h"
#include "granule.h"
#include "nc.h"
#include "region.h"

/* Open the granule of an object as a swath. */
static NcSwath *
open_swath(WosOid oid)
{
	ObjectRecord *rec = catalog_fetch(oid, false);

	return nc_swath_open(granule_file(rec), psprintf("object %s", wosoid_to_cstring(oid)));
}

PG_FUNCTION_INFO_V1(swath_footprint_wkb);
Datum
swath_footprint_wkb(PG_FUNCTION_ARGS)
{
	WosOid		oid = PG_GETARG_WOSOID(0);
	NcSwath    *sw = open_swath(oid);
	Footprint  *fp = footprint_compute(sw, -1, NULL);

	nc_swath_close(sw);
	if (fp->nrings == 0)
		ereport(ERROR,
				(errcode(ERRCODE_DATA_EXCEPTION),
				 errmsg("granule %s has no valid pixel", wosoid_to_cstring(oid)),
				 errdetail("Every latitude/longitude value is a fill value or out of range.")));
	PG_RETURN_BYTEA_P(footprint_to_ewkb(fp));
}

static TimestampTz
epoch_to_timestamptz(double secs)
{
	return (TimestampTz) ((secs - (double) ((POSTGRES_EPOCH_JDATE - UNIX_EPOCH_JDATE) * SECS_PER_DAY))
						  * USECS_PER_SEC);
}

PG_FUNCTION_INFO_V1(swath_time_range);
Datum
swath_time_range(PG_FUNCTION_ARGS)
{
	NcSwath    *sw = open_swath(PG_GETARG_WOSOID(0));
	TupleDesc	tupdesc;
	Datum		values[2];
	bool		nulls[2] = {true, true};
	bool		found = false;
	double		start = 0,
				end = 0;

	if (get_call_result_type(fcinfo, NULL, &tupdesc) != TYPEFUNC_COMPOSITE)
		elog(ERROR, "return type must be a row type");
	tupdesc = BlessTupleDesc(tupdesc);
	for (int i = 0; i < sw->npairs; i++)
	{
		NcGeoPair  *p = &sw->pairs[i];

		if (!p->has_time)
			continue;
		if (!found || p->time_start < start)
			start = p->time_start;
		if (!found || p->time_end > end)
			end = p->time_end;
		found = true;
	}
	nc_swath_close(sw);
	if (found)
	{
		values[0] = TimestampTzGetDatum(epoch_to_timestamptz(start));
		values[1] = TimestampTzGetDatum(epoch_to_timestamptz(end));
		nulls[0] = nulls[1] = false;
	}
	PG_RETURN_DATUM(HeapTupleGetDatum(heap_form_tuple(tupdesc, values, nulls)));
}

/*
 * swath_geolocation(oid): the latitude/longitude pairs found in a granule,
 * one row per swath (several for GPM's FS/HS groups or Jason-1's 1 Hz and
 * 20 Hz tracks).
 */
PG_FUNCTION_INFO_V1(swath_geolocation);
Datum
swath_geolocation(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	NcSwath    *sw;

	InitMaterializedSRF(fcinfo, 0);
	sw = open_swath(PG_GETARG_WOSOID(0));
	for (int i = 0; i < sw->npairs; i++)
	{
		NcGeoPair  *p = &sw->pairs[i];
		Datum		v[8];
		bool		nulls[8] = {0};
		Datum	   *dims = palloc(sizeof(Datum) * p->ndims);

		for (int d = 0; d < p->ndims; d++)
			dims[d] = CStringGetTextDatum(psprintf("%s=%zu", p->dim_names[d], p->shape[d]));
		v[0] = Int32GetDatum(i);
		v[1] = CStringGetTextDatum(p->group_path);
		v[2] = CStringGetTextDatum(p->lat_name);
		v[3] = CStringGetTextDatum(p->lon_name);
		v[4] = PointerGetDatum(construct_array(dims, p->ndims, TEXTOID, -1, false, TYPALIGN_INT));
		v[5] = Int64GetDatum((int64) p->nrows);
		v[6] = Int64GetDatum((int64) p->ncols);
		v[7] = CStringGetTextDatum(p->has_time ? p->time_var : "");
		nulls[7] = !p->has_time;
		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, v, nulls);
	}
	nc_swath_close(sw);
	return (Datum) 0;
}

/*
 * swath_pixels(oid, step): valid pixel centres (fill skipped, scale and
 * offset applied, longitudes in [-180, 180)), every step-th one.
 */
PG_FUNCTION_INFO_V1(swath_pixels);
Datum
swath_pixels(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	int			step = PG_GETARG_INT32(1);
	NcSwath    *sw;
	int64		k = 0;

	if (step < 1)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("step must be at least 1")));
	InitMaterializedSRF(fcinfo, 0);
	sw = open_swath(PG_GETARG_WOSOID(0));
	for (int i = 0; i < sw->npairs; i++)
	{
		NcSwathIter *it = nc_swath_iter_begin(sw, i, 0);
		NcSwathBlock *b;

		while ((b = nc_swath_iter_next(it)) != NULL)
		{
			CHECK_FOR_INTERRUPTS();
			for (size_t r = 0; r < b->nrows; r++)
				for (size_t c = 0; c < b->ncols; c++)
				{
					double		la = b->lat[r * b->ncols + c];
					double		lo = b->lon[r * b->ncols + c];
					Datum		v[5];
					bool		nulls[5] = {0};

					if (isnan(la) || isnan(lo) || (k++ % step) != 0)
						continue;
					v[0] = Int32GetDatum(i);
					v[1] = Int32GetDatum((int32) (b->row0 + r));
					v[2] = Int32GetDatum((int32) c);
					v[3] = Float8GetDatum(la);
					v[4] = Float8GetDatum(lo);
					tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, v, nulls);
				}
		}
		nc_swath_iter_end(it);
	}
	nc_swath_close(sw);
	return (Datum) 0;
}

/*
 * One argument of geog_intersects_wkb() parsed, kept across calls while its
 * bytes stay the same (the search region is a constant of the query).
 */
typedef struct WkbSlot
{
	MemoryContext cxt;			/* holds bytes and region; reset on change */
	bytea	   *bytes;			/* NULL: nothing cached yet */
	Region	   *region;			/* NULL: refused, the caller falls back */
} WkbSlot;

typedef struct IntersectsCache
{
	WkbSlot		slot[2];
} IntersectsCache;

/* the region of argument i of the call, from the cache when unchanged */
static Region *
slot_region(FunctionCallInfo fcinfo, IntersectsCache *cache, int i)
{
	WkbSlot    *s = &cache->slot[i];
	bytea	   *b = PG_GETARG_BYTEA_PP(i);
	size_t		len = VARSIZE_ANY_EXHDR(b);
	MemoryContext old;

	if (s->bytes && VARSIZE_ANY_EXHDR(s->bytes) == len &&
		memcmp(VARDATA_ANY(s->bytes), VARDATA_ANY(b), len) == 0)
		return s->region;
	if (s->cxt == NULL)
		s->cxt = AllocSetContextCreate(fcinfo->flinfo->fn_mcxt,
									   "eoswath geog_intersects_wkb",
									   ALLOCSET_SMALL_SIZES);
	else
		MemoryContextReset(s->cxt);
	s->bytes = NULL;
	old = MemoryContextSwitchTo(s->cxt);
	s->region = region_from_wkb_soft(VARDATA_ANY(b), len);
	s->bytes = palloc(VARHDRSZ + len);
	SET_VARSIZE(s->bytes, VARHDRSZ + len);
	memcpy(VARDATA(s->bytes), VARDATA_ANY(b), len);
	MemoryContextSwitchTo(old);
	return s->region;
}

/*
 * Do two geographies given as WKB (polygons or multipolygons) intersect?
 * The same answer as PostGIS ST_Intersects(geography, geography), much
 * cheaper for shapes that are close but apart; NULL when a shape is not a
 * (multi)polygon of parts smaller than a hemisphere.
 */
PG_FUNCTION_INFO_V1(geog_intersects_wkb);
Datum
geog_intersects_wkb(PG_FUNCTION_ARGS)
{
	IntersectsCache *cache = fcinfo->flinfo->fn_extra;
	Region	   *a,
			   *b;

	if (cache == NULL)
		cache = fcinfo->flinfo->fn_extra =
			MemoryContextAllocZero(fcinfo->flinfo->fn_mcxt, sizeof(IntersectsCache));
	a = slot_region(fcinfo, cache, 0);
	b = slot_region(fcinfo, cache, 1);
	if (a == NULL || b == NULL)
		PG_RETURN_NULL();
	PG_RETURN_BOOL(region_intersects(a, b));
}
