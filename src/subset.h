/*-------------------------------------------------------------------------
 *
 * subset.h
 *	  Private to the subset code: cutting a granule to a region.
 *	  subset_window.c finds the pixels inside and the index windows
 *	  (pass 1); subset_write.c writes the netCDF-4 output (pass 2).  The
 *	  entry point, subset_run(), serves granule_subset() (granule.h).
 *
 *-------------------------------------------------------------------------
 */
#ifndef EOSWATH_SUBSET_H
#define EOSWATH_SUBSET_H

#include "postgres.h"

#include "granule.h"
#include "nc.h"
#include "region.h"

#define SUBSET_BLOCK_BYTES		(8 * 1024 * 1024)
#define SUBSET_CACHE_MAX		(32 * 1024 * 1024)
#define SUBSET_CACHE_IDLE		(64 * 1024)
/* geolocation values per block of pass 1 (before rounding to whole chunks) */
#define SUBSET_GEO_VALUES		(1 << 19)
/* stack of the thread testing pass 1's blocks (subset_window.c) */
#define SUBSET_THREAD_STACK		(256 * 1024)

/*
 * The hit mask of a swath is tiled: tiles of 64 x 64 pixels, each NULL (no
 * hit), HIT_TILE_ALL (every pixel a hit) or a bitmap of 64 words, one per
 * row.  Only tiles that the region's boundary crosses keep a bitmap, so the
 * mask grows with the boundary, not with the granule: the directory costs 8
 * bytes per 4096 pixels, a bitmap 512 bytes per tile on the boundary.
 */
#define HIT_TILE_SHIFT		6
#define HIT_TILE			(1 << HIT_TILE_SHIFT)	/* rows and columns */
extern uint64 hit_tile_all[HIT_TILE];
#define HIT_TILE_ALL		hit_tile_all

/* the hits of one swath */
typedef struct PairHits
{
	int			row_dimid;
	int			col_dimid;		/* -1 for a 1-D track */
	size_t		nrows;
	size_t		ncols;			/* 1 for a 1-D track */
	size_t		tile_cols;		/* tiles across */
	uint64	  **tiles;			/* ceil(nrows / 64) x tile_cols */
	uint8	   *rowhit;			/* nrows bits */
	int64		nhits;
	size_t		r0,
				r1,
				c0,
				c1;				/* window, inclusive */
} PairHits;

/* the window of one source dimension */
typedef struct DimWindow
{
	int			dimid;
	size_t		start;
	size_t		count;			/* 0: no hit, becomes an empty unlimited dim */
} DimWindow;

/* one variable of the source file */
typedef struct SrcVar
{
	int			grpid;
	int			varid;
	char	   *path;			/* "/PRODUCT/latitude" */
	char		name[NC_MAX_NAME + 1];
	int			ndims;
	int			dimids[NC_MAX_VAR_DIMS];
	bool		keep;
	int			out_grpid;
	int			out_varid;
} SrcVar;

typedef struct Subset
{
	const char *label;
	NcWhat		what;			/* label, NC_TASK_SUBSET */
	NcSwath    *sw;
	int			in;
	int			in_format;		/* NC_FORMAT_NETCDF4 for netCDF-4 and HDF5 */
	int			out;			/* -1 when closed */
	NcHandle   *out_handle;		/* aborts an unfinished output on ERROR */
	const char *out_path;
	int64		max_output_bytes;	/* -1: no limit */
	int64		out_size;		/* last size seen */
	Region	   *region;
	PairHits   *hits;
	int			ndimwin;
	DimWindow  *dimwin;
	int			nvars;
	SrcVar	   *vars;
	int		   *dimmap;			/* source dimid -> output dimid */
	int			dimmap_len;
	double		lat_min,
				lat_max,
				lon_min,
				lon_max,
				lon360_min,		/* the same with longitudes in [0, 360) */
				lon360_max;
} Subset;

/* run a netCDF call, report its failure as "could not subset ..." */
#define NC(s, call) NC_CHECK(&(s)->what, call)

static inline void
bit_set(uint8 *bits, size_t i)
{
	bits[i >> 3] |= (uint8) (1 << (i & 7));
}

static inline bool
bit_get(const uint8 *bits, size_t i)
{
	return (bits[i >> 3] >> (i & 7)) & 1;
}

/* is pixel (row, col) inside the region? */
static inline bool
hit_get(const PairHits *h, size_t row, size_t col)
{
	const uint64 *t = h->tiles[(row >> HIT_TILE_SHIFT) * h->tile_cols + (col >> HIT_TILE_SHIFT)];

	return t != NULL && ((t[row & (HIT_TILE - 1)] >> (col & (HIT_TILE - 1))) & 1);
}

/* subset_window.c */
extern void subset_find_hits(Subset *s);
extern void subset_make_windows(Subset *s);
extern DimWindow *subset_dim_window(Subset *s, int dimid);
extern void subset_chunk_cache(Subset *s, int grpid, int varid, bool input,
							   size_t size, size_t nelems);

/* subset_write.c */
extern GranuleSubsetStatus subset_run(NcSwath *sw,
									  const GranuleSubsetRequest *req,
									  GranuleSubsetStats *stats);

#endif							/* EOSWATH_SUBSET_H */
