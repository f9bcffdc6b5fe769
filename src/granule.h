/*-------------------------------------------------------------------------
 *
 * granule.h
 *	  The granule library: what eoswath asks of a granule file (netCDF-3,
 *	  netCDF-4, HDF5) and what it gets back.
 *
 * This is the seam for the confined helper process.  Everything that
 * parses an untrusted granule (nc*.c, footprint.c, subset*.c) sits behind
 * these calls, and the calls are shaped so that a later version can serve
 * them across a pipe: a request is plain data (a path, a label, numbers,
 * strings, WKB bytes), a reply is plain data allocated in the caller's
 * current memory context (numbers, strings, arrays of doubles), and no
 * pointer into the backend's state or PostgreSQL File handle crosses it.
 * A Granule is an opaque handle (in-process today: the open netCDF file).
 * Errors are reported with ereport(); a helper would forward them as
 * (SQLSTATE, message, detail, hint).
 *
 * The caller turns an object into a path (granule_file.c) and creates the
 * output file of a subset; this side only opens the paths it is given.
 *
 *-------------------------------------------------------------------------
 */
#ifndef EOSWATH_GRANULE_H
#define EOSWATH_GRANULE_H

#include "postgres.h"

typedef struct Granule Granule;

/*
 * Open a granule file; label names it in every message ("object
 * 0000000000041").  Errors when the file is neither netCDF nor HDF5, or has
 * no swath geolocation.  The file is closed by granule_close(), or when
 * the current memory context goes (ERROR included).
 */
extern Granule *granule_open(const char *path, const char *label);
extern void granule_close(Granule *g);

/* ---- description ---- */

#define GRANULE_MAX_DIMS	4

/* one geolocation pair (one swath) */
typedef struct GranulePair
{
	char	   *group;			/* "/" or "/FS" or "/PRODUCT" */
	char	   *lat_var;
	char	   *lon_var;
	int			ndims;			/* of the latitude variable as stored */
	char	   *dim_names[GRANULE_MAX_DIMS];
	int64		shape[GRANULE_MAX_DIMS];
	int64		nrows;			/* scan lines (along track) */
	int64		ncols;			/* pixels per scan line (1 for a track) */
	char	   *skip_reason;	/* GranuleInfo.skipped: why it is no swath */
	bool		has_time;
	char	   *time_var;		/* NULL when has_time is false */
	double		time_start;		/* epoch seconds (UTC, leap seconds ignored) */
	double		time_end;
} GranulePair;

typedef struct GranuleInfo
{
	int			npairs;			/* the swaths: what every pair number means */
	GranulePair *pairs;
	int			nskipped;		/* latitude/longitude pairs that are no swath */
	GranulePair *skipped;
} GranuleInfo;

extern GranuleInfo *granule_describe(Granule *g);


/* ---- footprint ---- */

typedef struct FootprintOptions
{
	double		corridor_km;	/* half width of 1-D track corridors (10) */
	double		max_segment_km; /* along-track length of one part (500) */
	double		simplify_km;	/* vertex removal tolerance (0.5) */
} FootprintOptions;

/*
 * One closed ring (first point repeated last), lon/lat degrees: longitudes
 * unwrapped (within -540..540, never jumping by 360), edges short enough
 * that straight lon/lat segments follow the great circles, a ring round a
 * pole closed along it.  Rings of one footprint overlap; the SQL side
 * unions them (eoswath.footprint_from_parts).
 */
typedef struct FootprintRing
{
	int			npoints;
	double	   *lon;
	double	   *lat;
} FootprintRing;

typedef struct Footprint
{
	int			nrings;			/* one polygon (exterior ring only) each */
	int			cap;
	FootprintRing *rings;
	int64		npixels;		/* valid pixel centres seen */
} Footprint;

/* footprint of one pair, or of all pairs if pair < 0; opts may be NULL */
extern Footprint *granule_footprint(Granule *g, int pair,
									const FootprintOptions *opts);


/* ---- pixels ---- */

/*
 * Valid and invalid pixel centres of one pair in blocks of consecutive
 * scan lines: latitudes and longitudes after scale and offset, longitudes
 * in [-180, 180), NaN in both where a pixel is invalid (fill, out of
 * range).  A block's arrays are reused by the next call.
 */
typedef struct GranuleBlock
{
	int64		row0;			/* index of the first row of the block */
	int64		nrows;
	int64		ncols;
	double	   *lat;			/* nrows * ncols, row major */
	double	   *lon;
} GranuleBlock;

typedef struct GranulePixels GranulePixels;

/* block_rows = 0 picks a bounded default */
extern GranulePixels *granule_pixels_begin(Granule *g, int pair,
										   int64 block_rows);
extern GranuleBlock *granule_pixels_next(GranulePixels *it);	/* NULL: done */
extern void granule_pixels_end(GranulePixels *it);

/* ---- subset ---- */

typedef struct GranuleSubsetRequest
{
	const char *region_wkb;		/* Polygon or MultiPolygon, lon/lat degrees */
	size_t		region_len;
	bool		spherical;		/* great-circle edges, else straight lon/lat */
	int			nvariables;		/* 0: every variable */
	const char *const *variables;	/* paths ("/PRODUCT/x") or names */
	const char *request;		/* described in the history attribute */
	const char *out_path;		/* an empty file the caller created */
	int64		max_output_bytes;	/* -1: no limit */
} GranuleSubsetRequest;

typedef enum GranuleSubsetStatus
{
	GRANULE_SUBSET_WRITTEN,		/* out_path holds the netCDF-4 subset */
	GRANULE_SUBSET_EMPTY,		/* no pixel inside: nothing written */
	GRANULE_SUBSET_TOO_LARGE	/* stopped: over max_output_bytes */
} GranuleSubsetStatus;

typedef struct GranuleSubsetStats
{
	int			npairs_hit;		/* swaths with at least one pixel inside */
	int64		pixels;			/* pixels inside the region */
	int64		size;			/* bytes of the output (or written so far) */
} GranuleSubsetStats;

/*
 * Cut the granule to a region: the part of every swath inside it, written
 * as a netCDF-4 file over out_path (see subset_write.c for what is kept).
 */
extern GranuleSubsetStatus granule_subset(Granule *g,
										  const GranuleSubsetRequest *req,
										  GranuleSubsetStats *stats);

/* ---- quicklook ---- */

/* what granule_quicklook() draws */
typedef struct GranuleQuicklookRequest
{
	const char *variable;		/* a path ("/PRODUCT/x") or a name */
	const char *region_wkb;		/* NULL: the whole swath */
	size_t		region_len;
	bool		spherical;		/* great-circle edges, else straight lon/lat */
	int			width;			/* pixels, 1..QL_MAX_SIDE */
	const char *colormap;		/* quicklook.h: ql_colormap_names */
	bool		has_range;		/* else valid_min/max or 2-98 % percentiles */
	double		range_lo;
	double		range_hi;
	int			projection;		/* QlProjection: QL_PROJ_AUTO picks one */
	const char *source;			/* names the granule in the PNG's text */
	int64		max_grid_bytes; /* the grid's memory bound */
} GranuleQuicklookRequest;

/* what was drawn (also in the PNG's text chunks) */
typedef struct GranuleQuicklookInfo
{
	bool		empty;			/* no pixel centre inside the region */
	int			width;
	int			height;
	int			projection;		/* QlProjection, never QL_PROJ_AUTO */
	double		bbox[4];		/* xmin, ymin, xmax, ymax, projection units */
	double		range_lo;		/* the values of the first and last colour */
	double		range_hi;
	double		radius_m;		/* of the nearest-neighbour search */
	int64		cells;			/* grid cells with a value */
	char	   *units;			/* NULL: none */
} GranuleQuicklookInfo;

/* receives the PNG's bytes in order */
typedef void (*granule_bytes_cb) (void *arg, const char *data, size_t len);

/*
 * Draw one variable of a swath (or its part inside a region) as a PNG
 * (quicklook_grid.c); the bytes go to sink as they are encoded.  Returns
 * with info->empty set, and nothing sent, when no pixel is inside.
 */
extern void granule_quicklook(Granule *g, const GranuleQuicklookRequest *req,
							  GranuleQuicklookInfo *info,
							  granule_bytes_cb sink, void *arg);

#endif							/* EOSWATH_GRANULE_H */
