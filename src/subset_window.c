/*-------------------------------------------------------------------------
 *
 * subset_window.c
 *	  Pass 1 of a subset: the pixels of every swath inside the region (a
 *	  tiled bit mask per swath, see subset.h) and the index windows of scan
 *	  lines and pixels that hold them.  A dimension shared by several
 *	  swaths (Jason-1's 1 Hz and 20 Hz tracks share "time") gets the union
 *	  of their windows.
 *
 * Geolocation is streamed in blocks of rows (whole chunks of the file when
 * it is chunked), latitudes first and raw: rows none of whose latitudes can
 * fall in the region's band are skipped without reading their longitudes.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <float.h>
#include <math.h>

#include "miscadmin.h"

#include "subset.h"

/*
 * Size the HDF5 chunk cache of a variable (a hint: netCDF-3 files have no
 * chunk caches, so the input's is set only when it is netCDF-4).
 */
void
subset_chunk_cache(Subset *s, int grpid, int varid, bool input, size_t size,
				   size_t nelems)
{
	if (input && s->in_format != NC_FORMAT_NETCDF4)
		return;
	NC(s, nc_set_var_chunk_cache(grpid, varid, size, nelems, 0.75f));
}

/*
 * Does any raw value of a row fall in [lo, hi]?  (NaN: no.)  Branch-free in
 * groups of 16, so the compiler can vectorise; one definition for the float
 * and double layouts of latitude arrays.
 */
#define DEFINE_ROW_IN_RANGE(name, T) \
static bool \
name(const T *v, size_t n, T lo, T hi) \
{ \
	size_t		k = 0; \
\
	for (; k + 16 <= n; k += 16) \
	{ \
		int			any = 0; \
\
		for (int j = 0; j < 16; j++) \
			any |= (v[k + j] >= lo) & (v[k + j] <= hi); \
		if (any) \
			return true; \
	} \
	for (; k < n; k++) \
		if (v[k] >= lo && v[k] <= hi) \
			return true; \
	return false; \
}

DEFINE_ROW_IN_RANGE(row_in_range_f, float)
DEFINE_ROW_IN_RANGE(row_in_range_d, double)

/* the tile of every pixel a hit (subset.h); never written */
#define ONES8 ~UINT64CONST(0), ~UINT64CONST(0), ~UINT64CONST(0), ~UINT64CONST(0), \
	~UINT64CONST(0), ~UINT64CONST(0), ~UINT64CONST(0), ~UINT64CONST(0)
uint64		hit_tile_all[HIT_TILE] = {ONES8, ONES8, ONES8, ONES8, ONES8, ONES8, ONES8, ONES8};

/* mark pixel (row, col) a hit; a tile's bitmap is made at its first hit */
static inline void
hit_set(PairHits *h, size_t row, size_t col)
{
	uint64	  **t = &h->tiles[(row >> HIT_TILE_SHIFT) * h->tile_cols + (col >> HIT_TILE_SHIFT)];

	if (*t == NULL)
		*t = palloc0(sizeof(uint64) * HIT_TILE);
	(*t)[row & (HIT_TILE - 1)] |= UINT64CONST(1) << (col & (HIT_TILE - 1));
}

/*
 * The tiles of rows [band_lo, band_hi) (whole tile rows, every pixel seen):
 * a bitmap whose pixels in the swath are all hits becomes HIT_TILE_ALL, so
 * that only tiles the region's edge crosses keep one.
 */
static void
hits_compact(PairHits *h, size_t band_lo, size_t band_hi)
{
	for (size_t b = band_lo; b < band_hi; b++)
	{
		size_t		rows = Min((size_t) HIT_TILE, h->nrows - b * HIT_TILE);

		for (size_t tc = 0; tc < h->tile_cols; tc++)
		{
			uint64	  **t = &h->tiles[b * h->tile_cols + tc];
			size_t		cols = Min((size_t) HIT_TILE, h->ncols - tc * HIT_TILE);
			uint64		full = cols == HIT_TILE ? ~UINT64CONST(0) : (UINT64CONST(1) << cols) - 1;
			size_t		r;

			if (*t == NULL || *t == HIT_TILE_ALL)
				continue;
			for (r = 0; r < rows && (*t)[r] == full; r++)
				;
			if (r == rows)
			{
				pfree(*t);
				*t = HIT_TILE_ALL;
			}
		}
	}
}

/* rows per geolocation block: whole chunks of the file when it is chunked */
static size_t
hits_block_rows(const NcGeoPair *p)
{
	size_t		want = Max(1, SUBSET_GEO_VALUES / Max(1, p->ncols));

	if (p->chunk_rows > 1 && want >= p->chunk_rows)
		want -= want % p->chunk_rows;
	else if (p->chunk_rows > 1)
		want = Min(p->chunk_rows, Max(1, (4 * SUBSET_GEO_VALUES) / Max(1, p->ncols)));
	return Max(1, Min(want, Max(1, p->nrows)));
}

/*
 * Pass 1: the pixels inside the region.  Per block of rows: the raw
 * latitudes (no conversion), rows none of which can fall in the region's
 * latitude band are skipped; for the others the longitudes are read,
 * and each pixel whose raw latitude is near the band is unpacked and, if in
 * the band and in the region's boxes, gets the exact test.
 */
void
subset_find_hits(Subset *s)
{
	NcSwath    *sw = s->sw;
	double		lat_lo,
				lat_hi;

	region_lat_bounds(s->region, &lat_lo, &lat_hi);
	s->hits = palloc0(sizeof(PairHits) * sw->npairs);
	for (int i = 0; i < sw->npairs; i++)
	{
		NcGeoPair  *p = &sw->pairs[i];
		PairHits   *h = &s->hits[i];
		int			dimids[NC_MAX_VAR_DIMS];
		size_t		block_rows = hits_block_rows(p);
		size_t		ncols = Max(1, p->ncols);
		size_t		cap;
		void	   *rawlat,
				   *rawlon;
		bool	   *cand;
		NcUnpack	ulat,
					ulon;
		double		rlo,
					rhi;
		float		flo,
					fhi;

		NC(s, nc_inq_vardimid(p->grpid, p->lat_varid, dimids));
		h->row_dimid = dimids[p->row_dim];
		h->col_dimid = p->col_dim >= 0 ? dimids[p->col_dim] : -1;
		h->nrows = p->nrows;
		h->ncols = p->ncols;
		if ((double) h->nrows * h->ncols > (double) MaxAllocHugeSize * 4)
			ereport(ERROR,
					(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
					 errmsg("swath %s/%s of %s is too large to subset",
							p->group_path, p->lat_name, s->label)));
		/* nrows * ncols fits: nc_swath.c checked it */
		h->tile_cols = (Max(1, h->ncols) + HIT_TILE - 1) >> HIT_TILE_SHIFT;
		h->tiles = MemoryContextAllocExtended(CurrentMemoryContext,
											  sizeof(uint64 *) * h->tile_cols *
											  ((h->nrows + HIT_TILE - 1) >> HIT_TILE_SHIFT) + 1,
											  MCXT_ALLOC_HUGE | MCXT_ALLOC_ZERO);
		h->rowhit = MemoryContextAllocExtended(CurrentMemoryContext,
											   (h->nrows + 7) / 8 + 1,
											   MCXT_ALLOC_HUGE | MCXT_ALLOC_ZERO);
		if (h->nrows == 0 || h->ncols == 0)
			continue;
		cap = nc_size_mul(&s->what, block_rows, ncols);
		rawlat = nc_alloc_array(&s->what, cap, p->lat_float ? sizeof(float) : sizeof(double));
		rawlon = nc_alloc_array(&s->what, cap, p->lon_float ? sizeof(float) : sizeof(double));
		cand = nc_alloc_array(&s->what, block_rows, sizeof(bool));
		/*
		 * Blocks of whole chunks read each chunk once: no chunk cache needed,
		 * and without one HDF5 reads unfiltered chunks straight into our
		 * buffer instead of through a cached copy.
		 */
		if (p->chunk_rows > 0 && block_rows % p->chunk_rows == 0)
		{
			subset_chunk_cache(s, p->grpid, p->lat_varid, true, SUBSET_CACHE_IDLE, 7);
			subset_chunk_cache(s, p->grpid, p->lon_varid, true, SUBSET_CACHE_IDLE, 7);
		}
		nc_swath_raw_range(sw, i, true, lat_lo, lat_hi, &rlo, &rhi);
		nc_swath_unpack_prepare(&p->lat_pack, &ulat);
		nc_swath_unpack_prepare(&p->lon_pack, &ulon);
		/* float bounds, widened outwards */
		flo = rlo < -FLT_MAX ? -INFINITY : nextafterf((float) rlo, -INFINITY);
		fhi = rhi > FLT_MAX ? INFINITY : nextafterf((float) rhi, INFINITY);
		for (size_t row0 = 0; row0 < h->nrows; row0 += block_rows)
		{
			size_t		nr = Min(block_rows, h->nrows - row0);
			size_t		first = SIZE_MAX,
						last = 0,
						span;

			CHECK_FOR_INTERRUPTS();
			/* raw latitudes first: most rows of a long pass miss a small region */
			nc_swath_read_raw(sw, i, true, row0, nr, rawlat);
			for (size_t r = 0; r < nr; r++)
			{
				if (p->lat_float)
					cand[r] = row_in_range_f((const float *) rawlat + r * ncols, ncols,
											 flo, fhi);
				else
					cand[r] = row_in_range_d((const double *) rawlat + r * ncols, ncols,
											 rlo, rhi);
				if (cand[r])
				{
					first = Min(first, r);
					last = r;
				}
			}
			if (first == SIZE_MAX)
				continue;
			span = last - first + 1;
			nc_swath_read_raw(sw, i, false, row0 + first, span, rawlon);
			for (size_t r = first; r <= last; r++)
			{
				size_t		row = row0 + r;
				const float *flat = (const float *) rawlat + r * ncols,
						   *flon = (const float *) rawlon + (r - first) * ncols;
				const double *dlat = (const double *) rawlat + r * ncols,
						   *dlon = (const double *) rawlon + (r - first) * ncols;
				/* this row's hits, merged into the swath's after the row */
				int64		nrow = 0;
				size_t		c_lo = 0,
							c_hi = 0;
				double		la_lo = HUGE_VAL,
							la_hi = -HUGE_VAL,
							lo_lo = HUGE_VAL,
							lo_hi = -HUGE_VAL,
							l360_lo = HUGE_VAL,
							l360_hi = -HUGE_VAL;

				if (!cand[r])
					continue;
				for (size_t c = 0; c < ncols; c++)
				{
					double		la,
								lo,
								l360;
					int			k;

					/* raw band first: most pixels of a row are unpacked only if near */
					if (p->lat_float)
					{
						if (!(flat[c] >= flo && flat[c] <= fhi))
							continue;
						la = (double) flat[c];
					}
					else
					{
						la = dlat[c];
						if (!(la >= rlo && la <= rhi))
							continue;
					}
					la = nc_swath_unpack_one(&ulat, true, la);
					/* NaN fails the band test; a NaN longitude fails the box test */
					if (!(la >= lat_lo && la <= lat_hi))
						continue;
					lo = nc_swath_unpack_one(&ulon, false,
											 p->lon_float ? (double) flon[c] : dlon[c]);
					/* the grid answers most pixels; near the boundary, the exact test */
					k = region_grid_test(s->region, la, lo);
					if (k < 0 ||
						(k == 0 && !region_surely_contains(s->region, la, lo) &&
						 !region_contains(s->region, la, lo)))
						continue;
					hit_set(h, row, c);
					if (nrow++ == 0)
						c_lo = c;
					c_hi = c;
					l360 = lo < 0 ? lo + 360 : lo;
					la_lo = Min(la_lo, la);
					la_hi = Max(la_hi, la);
					lo_lo = Min(lo_lo, lo);
					lo_hi = Max(lo_hi, lo);
					l360_lo = Min(l360_lo, l360);
					l360_hi = Max(l360_hi, l360);
				}
				if (nrow == 0)
					continue;
				bit_set(h->rowhit, row);
				if (h->nhits == 0)
				{
					h->r0 = row;
					h->c0 = c_lo;
					h->c1 = c_hi;
				}
				h->r1 = row;
				h->c0 = Min(h->c0, c_lo);
				h->c1 = Max(h->c1, c_hi);
				h->nhits += nrow;
				if (s->lat_min > s->lat_max)
				{
					s->lat_min = la_lo;
					s->lat_max = la_hi;
					s->lon_min = lo_lo;
					s->lon_max = lo_hi;
					s->lon360_min = l360_lo;
					s->lon360_max = l360_hi;
				}
				s->lat_min = Min(s->lat_min, la_lo);
				s->lat_max = Max(s->lat_max, la_hi);
				s->lon_min = Min(s->lon_min, lo_lo);
				s->lon_max = Max(s->lon_max, lo_hi);
				s->lon360_min = Min(s->lon360_min, l360_lo);
				s->lon360_max = Max(s->lon360_max, l360_hi);
			}
			/* the tile rows this block completed */
			hits_compact(h, row0 >> HIT_TILE_SHIFT,
						 row0 + nr == h->nrows ? (h->nrows + HIT_TILE - 1) >> HIT_TILE_SHIFT :
						 (row0 + nr) >> HIT_TILE_SHIFT);
		}
		pfree(rawlat);
		pfree(rawlon);
		pfree(cand);
		/* the geolocation's decompressed chunks are not needed any more */
		subset_chunk_cache(s, p->grpid, p->lat_varid, true, SUBSET_CACHE_IDLE, 7);
		subset_chunk_cache(s, p->grpid, p->lon_varid, true, SUBSET_CACHE_IDLE, 7);
	}
}

/* the window of a source dimension, or NULL if it is not a swath dimension */
DimWindow *
subset_dim_window(Subset *s, int dimid)
{
	for (int i = 0; i < s->ndimwin; i++)
		if (s->dimwin[i].dimid == dimid)
			return &s->dimwin[i];
	return NULL;
}

static void
add_window(Subset *s, int dimid, bool any, size_t lo, size_t hi)
{
	DimWindow  *w = subset_dim_window(s, dimid);

	if (w == NULL)
	{
		w = &s->dimwin[s->ndimwin++];
		w->dimid = dimid;
		w->start = 0;
		w->count = 0;
	}
	if (!any)
		return;
	if (w->count == 0)
	{
		w->start = lo;
		w->count = hi - lo + 1;
	}
	else
	{
		size_t		end = Max(w->start + w->count - 1, hi);

		w->start = Min(w->start, lo);
		w->count = end - w->start + 1;
	}
}

/* the windows of the dimensions of every swath (after subset_find_hits) */
void
subset_make_windows(Subset *s)
{
	s->dimwin = palloc0(sizeof(DimWindow) * 2 * s->sw->npairs);
	for (int i = 0; i < s->sw->npairs; i++)
	{
		PairHits   *h = &s->hits[i];

		add_window(s, h->row_dimid, h->nhits > 0, h->r0, h->r1);
		if (h->col_dimid >= 0)
			add_window(s, h->col_dimid, h->nhits > 0, h->c0, h->c1);
	}
}
