/*-------------------------------------------------------------------------
 *
 * nc_swath.h
 *	  Find and stream swath geolocation (latitude/longitude pairs) of
 *	  Level-2 granules with the netCDF-C library (netCDF-3, netCDF-4, HDF5).
 *
 * An NcSwath is allocated in the memory context current at nc_swath_open()
 * time; a reset callback on that context closes the netCDF id, so the file
 * is closed on every path (normal return, ERROR, transaction abort).
 * nc_swath_close() closes it early.
 *
 *-------------------------------------------------------------------------
 */
#ifndef NC_SWATH_H
#define NC_SWATH_H

#include <math.h>

#include "utils/memutils.h"

#define NC_SWATH_MAX_DIMS 4

/* Packing / validity attributes of one variable (packed units) */
typedef struct NcPacking
{
	double		scale_factor;	/* 1.0 if absent */
	double		add_offset;		/* 0.0 if absent */
	bool		has_fill;
	double		fill_value;
	bool		has_missing;
	double		missing_value;
	bool		has_valid_min;
	double		valid_min;
	bool		has_valid_max;
	double		valid_max;
} NcPacking;

/* One geolocation pair (one swath) */
typedef struct NcGeoPair
{
	char	   *group_path;		/* "/" or "/FS" or "/PRODUCT" */
	char	   *lat_name;
	char	   *lon_name;
	int			grpid;
	int			lat_varid;
	int			lon_varid;
	int			ndims;			/* of the lat variable as stored */
	char	   *dim_names[NC_SWATH_MAX_DIMS];
	size_t		shape[NC_SWATH_MAX_DIMS];
	int			row_dim;		/* index of the along-track dimension */
	int			col_dim;		/* index of the across-track dim, -1 if 1-D */
	size_t		nrows;			/* along-track length (scan lines) */
	size_t		ncols;			/* pixels per scan line (1 for 1-D) */
	NcPacking	lat_pack;
	NcPacking	lon_pack;
	bool		lat_float;		/* stored as NC_FLOAT: raw reads give float */
	bool		lon_float;
	size_t		chunk_rows;		/* rows per chunk of lat, 0 if not chunked */

	/* time range, epoch seconds (UTC, leap seconds ignored) */
	bool		has_time;
	char	   *time_var;		/* path of the variable(s) used */
	double		time_start;
	double		time_end;
} NcGeoPair;

typedef struct NcSwath
{
	char	   *path;
	char	   *label;			/* names the file in messages: "object X" */
	int			ncid;			/* -1 once closed */
	int			npairs;
	NcGeoPair  *pairs;
	MemoryContextCallback close_cb;
} NcSwath;

/* A block of consecutive scan lines; invalid pixels are NaN */
typedef struct NcSwathBlock
{
	size_t		row0;			/* index of the first row in the block */
	size_t		nrows;
	size_t		ncols;
	double	   *lat;			/* nrows * ncols, row major, degrees */
	double	   *lon;			/* same, normalised to [-180, 180) */
} NcSwathBlock;

typedef struct NcSwathIter
{
	NcSwath    *sw;
	int			pair;
	size_t		next_row;
	size_t		block_rows;
	NcSwathBlock blk;
} NcSwathIter;

/* label names the file in error messages, e.g. "object 0000000000041" */
extern NcSwath *nc_swath_open(const char *path, const char *label);
extern void nc_swath_close(NcSwath *sw);

/* read rows [row0, row0 + nrows) of a pair; lat/lon must hold nrows*ncols */
extern void nc_swath_read_rows(NcSwath *sw, int pair, size_t row0,
							   size_t nrows, double *lat, double *lon);

/*
 * Raw (packed) values, without conversion: float if the variable is stored
 * as NC_FLOAT (NcGeoPair.lat_float / lon_float), else double.  raw must hold
 * nrows*ncols of them.  nc_swath_unpack_one() with the variable's packing
 * turns each into the degrees nc_swath_read_rows() gives (invalid: NaN;
 * longitudes in [-180, 180)); the caller combines the NaNs of lat and lon.
 */
extern void nc_swath_read_raw(NcSwath *sw, int pair, bool is_lat, size_t row0,
							  size_t nrows, void *raw);

/*
 * A range of raw values holding every raw value that unpacks into
 * [lo, hi] degrees (a superset: for pre-filtering raw values only).
 */
extern void nc_swath_raw_range(NcSwath *sw, int pair, bool is_lat,
							   double lo, double hi,
							   double *raw_lo, double *raw_hi);

/* unpacking one value at a time: the parameters, then nc_swath_unpack_one() */
typedef struct NcUnpack
{
	double		lo_ok;			/* valid range, packed units */
	double		hi_ok;
	double		fill;			/* NaN when absent: equal to nothing */
	double		missing;
	double		scale_factor;
	double		add_offset;
} NcUnpack;

static inline void
nc_swath_unpack_prepare(const NcPacking *pk, NcUnpack *u)
{
	u->lo_ok = pk->has_valid_min ? pk->valid_min : -HUGE_VAL;
	u->hi_ok = pk->has_valid_max ? pk->valid_max : HUGE_VAL;
	u->fill = pk->has_fill ? pk->fill_value : NAN;
	u->missing = pk->has_missing ? pk->missing_value : NAN;
	u->scale_factor = pk->scale_factor;
	u->add_offset = pk->add_offset;
}

/* packed value -> degrees (longitudes into [-180, 180)), NaN if invalid */
static inline double
nc_swath_unpack_one(const NcUnpack *u, bool is_lat, double v)
{
	/* NaN fails every comparison: invalid */
	if (!(v >= u->lo_ok && v <= u->hi_ok) || v == u->fill || v == u->missing)
		return NAN;
	v = v * u->scale_factor + u->add_offset;
	if (is_lat)
	{
		if (!(fabs(v) <= 90.000001))
			v = NAN;
		else if (v > 90.0)
			v = 90.0;
		else if (v < -90.0)
			v = -90.0;
	}
	else if (!(fabs(v) <= 720.0))
		v = NAN;
	else if (v < -180.0 || v >= 180.0)
	{
		v = fmod(v + 180.0, 360.0);
		if (v < 0)
			v += 360.0;
		v -= 180.0;
	}
	return v;
}

/* streaming: block_rows = 0 picks a bounded default */
extern NcSwathIter *nc_swath_iter_begin(NcSwath *sw, int pair,
										size_t block_rows);
extern NcSwathBlock *nc_swath_iter_next(NcSwathIter *it);
extern void nc_swath_iter_end(NcSwathIter *it);

/* seconds since 1970-01-01 of a CF "<unit> since <date>" string */
extern bool nc_parse_time_units(const char *units, double *scale,
								double *epoch_offset);

#endif							/* NC_SWATH_H */
