/*-------------------------------------------------------------------------
 *
 * nc.h
 *	  Reading granules with the netCDF-C library (netCDF-3, netCDF-4, HDF5):
 *	  the helpers every nc*.c and subset*.c file uses (nc_util.c), swath
 *	  geolocation (nc_swath.c) and acquisition times (nc_time.c).
 *
 * This is the parsing side: it knows a granule as a path and a label that
 * names it in messages ("object 0000000000041"), nothing of objects, the
 * catalog or stores.
 *
 * netCDF ids are closed by reset callbacks on the memory context they were
 * opened in (NcHandle), so an ereport(ERROR) anywhere never leaks one.
 *
 *-------------------------------------------------------------------------
 */
#ifndef EOSWATH_NC_H
#define EOSWATH_NC_H

#include "postgres.h"

#include <math.h>
#include <netcdf.h>

#include "utils/memutils.h"

/* ---- nc_util.c: errors, ids, attributes, paths, sizes ---- */

/* what was being done with the file when a netCDF call failed */
typedef enum NcTask
{
	NC_TASK_READ,				/* "could not read object ..." */
	NC_TASK_SUBSET				/* "could not subset object ..." */
} NcTask;

/* names a file in messages, and the task at hand */
typedef struct NcWhat
{
	const char *label;			/* "object 0000000000041" */
	NcTask		task;
} NcWhat;

/*
 * Report a failed netCDF call: ERRCODE_DATA_CORRUPTED, the call and the
 * library's message (nc_strerror) in the detail.
 */
extern void nc_fail(const NcWhat *w, const char *call, int status) pg_attribute_noreturn();

/* run a netCDF call, report its failure */
#define NC_CHECK(w, call) \
	do { \
		int			nc_status_ = (call); \
		if (unlikely(nc_status_ != NC_NOERR)) \
			nc_fail((w), #call, nc_status_); \
	} while (0)

/*
 * A netCDF id closed when the memory context current at registration is
 * reset or deleted (ERROR included); an output being written is aborted
 * instead.  nc_handle_close() and nc_handle_abort() end it early.
 */
typedef struct NcHandle
{
	int			ncid;			/* -1 once closed */
	bool		writing;
	MemoryContextCallback cb;
} NcHandle;

extern NcHandle *nc_handle_register(int ncid, bool writing);
extern int	nc_handle_close(NcHandle *h);
extern int	nc_handle_abort(NcHandle *h);

/*
 * Text of an NC_CHAR or NC_STRING attribute (the strings of an NC_STRING
 * attribute joined by newlines), palloc'd; NULL when the attribute is
 * absent or of another type.  type (may be NULL) gets the attribute's type.
 */
extern char *nc_att_text(const NcWhat *w, int grpid, int varid,
						 const char *name, nc_type *type);

/* "/", "/PRODUCT" or "/PRODUCT/SUPPORT_DATA" */
extern char *nc_group_path(const NcWhat *w, int grpid);

/* "/name" or "/PRODUCT/name" */
extern char *nc_var_path(const NcWhat *w, int grpid, const char *name);

/* every group of the file, the root first, depth first; errors past 64 levels */
extern int *nc_groups(const NcWhat *w, int ncid, int *ngroups);

/* the parent of a group; false at the root */
extern bool nc_group_parent(const NcWhat *w, int grpid, int *parent);

/* a variable or a subgroup of a group by name; false when there is none */
extern bool nc_find_var(const NcWhat *w, int grpid, const char *name,
						int *varid);
extern bool nc_find_group(const NcWhat *w, int grpid, const char *name,
						  int *sub);

/* a variable named in a "coordinates" attribute, resolved */
typedef struct NcVarRef
{
	int			grpid;
	int			varid;
	const char *name;			/* as written: "latitude" or "/geo/latitude" */
} NcVarRef;

/*
 * The variables named by the CF "coordinates" attribute of a variable that
 * exist: a name is looked up in the variable's group, then its ancestors;
 * a path from the root ("/geo/lat") or from the variable's group
 * ("geo/lat").  Returns how many; *refs is palloc'd.
 */
extern int	nc_coordinates(const NcWhat *w, int grpid, int varid,
						   NcVarRef **refs);

/* is needle in hay, ignoring case? */
extern bool nc_name_contains(const char *hay, const char *needle);

/*
 * a * b for sizes taken from a file (dimension lengths, type sizes), or an
 * error (ERRCODE_PROGRAM_LIMIT_EXCEEDED) if it does not fit
 */
extern size_t nc_size_mul(const NcWhat *w, size_t a, size_t b);

/* palloc of n elements of size bytes (huge allowed), sizes checked as above */
extern void *nc_alloc_array(const NcWhat *w, size_t n, size_t size);

/* ---- packing: nc_util.c ---- */

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

extern void nc_read_packing(const NcWhat *w, int grpid, int varid,
							NcPacking *p);

/* packed -> physical value, NaN if invalid */
static inline double
nc_unpack_value(const NcPacking *p, double v)
{
	if (isnan(v))
		return NAN;
	if (p->has_fill && v == p->fill_value)
		return NAN;
	if (p->has_missing && v == p->missing_value)
		return NAN;
	if (p->has_valid_min && v < p->valid_min)
		return NAN;
	if (p->has_valid_max && v > p->valid_max)
		return NAN;
	return v * p->scale_factor + p->add_offset;
}

/* ---- nc_swath.c: swath geolocation ---- */

#define NC_SWATH_MAX_DIMS 4

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

	/* why the pair is not a swath (NcSwath.skipped), NULL for a swath */
	char	   *skip_reason;

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
	NcWhat		what;			/* label, NC_TASK_READ */
	int			ncid;			/* -1 once closed */
	NcHandle   *handle;
	int			npairs;
	NcGeoPair  *pairs;
	int			nskipped;		/* pairs found that are not swaths */
	NcGeoPair  *skipped;
	bool		times_found;	/* has_time etc. set: nc_swath_find_times() */
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
/* the pairs' time ranges (has_time ...), which nc_swath_open leaves unset */
extern void nc_swath_find_times(NcSwath *sw);

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
		/* a tiny negative remainder plus 360 rounds to 360: -180.00000000000003 */
		if (v >= 180.0)
			v -= 360.0;
	}
	return v;
}

/* streaming: block_rows = 0 picks a bounded default */
extern NcSwathIter *nc_swath_iter_begin(NcSwath *sw, int pair,
										size_t block_rows);
extern NcSwathBlock *nc_swath_iter_next(NcSwathIter *it);
extern void nc_swath_iter_end(NcSwathIter *it);

/* ---- nc_time.c: acquisition times ---- */

/* fill the time range of a pair (has_time false when none is found) */
extern void nc_time_find(NcSwath *sw, NcGeoPair *p);

#endif							/* EOSWATH_NC_H */
