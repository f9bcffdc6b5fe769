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
#include <pthread.h>
#ifdef __SSE2__
#include <emmintrin.h>
#endif
#if defined(__x86_64__) && defined(__GNUC__)
#include <immintrin.h>
#define SUBSET_AVX2 1
#endif

#include "miscadmin.h"
#include "port/pg_bitutils.h"

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
 * Does any raw value of a row fall in [lo, hi]?  (NaN: no.)  Most rows of a
 * long pass miss a small region and are read to the end, so the test looks
 * at 64 values at a time; with SSE2 (every x86-64), four or two per
 * instruction.
 */
static bool
row_in_range_f(const float *v, size_t n, float lo, float hi)
{
	size_t		k = 0;

#ifdef __SSE2__
	const __m128 vlo = _mm_set1_ps(lo),
				vhi = _mm_set1_ps(hi);

	for (; k + 64 <= n; k += 64)
	{
		__m128		any = _mm_setzero_ps();

		for (int j = 0; j < 64; j += 4)
		{
			__m128		x = _mm_loadu_ps(v + k + j);

			any = _mm_or_ps(any, _mm_and_ps(_mm_cmpge_ps(x, vlo), _mm_cmple_ps(x, vhi)));
		}
		if (_mm_movemask_ps(any) != 0)
			return true;
	}
#endif
	for (; k < n; k++)
		if (v[k] >= lo && v[k] <= hi)
			return true;
	return false;
}

#ifdef SUBSET_AVX2
/*
 * The same tests with AVX2, eight floats or four doubles per instruction,
 * where the processor has it (checked once, subset_find_hits()): most of
 * pass 1's rows are read only by these, so they are half of its time on a
 * long pass.  Same comparisons, same answers.
 */
__attribute__((target("avx2")))
static bool
row_in_range_f_avx2(const float *v, size_t n, float lo, float hi)
{
	size_t		k = 0;
	const __m256 vlo = _mm256_set1_ps(lo),
				vhi = _mm256_set1_ps(hi);

	for (; k + 64 <= n; k += 64)
	{
		__m256		any = _mm256_setzero_ps();

		/* unrolled: the loop's own counting was a third of the time */
#pragma GCC unroll 16
		for (int j = 0; j < 64; j += 8)
		{
			__m256		x = _mm256_loadu_ps(v + k + j);

			any = _mm256_or_ps(any, _mm256_and_ps(_mm256_cmp_ps(x, vlo, _CMP_GE_OQ),
												  _mm256_cmp_ps(x, vhi, _CMP_LE_OQ)));
		}
		if (_mm256_movemask_ps(any) != 0)
			return true;
	}
	for (; k < n; k++)
		if (v[k] >= lo && v[k] <= hi)
			return true;
	return false;
}

__attribute__((target("avx2")))
static bool
row_in_range_d_avx2(const double *v, size_t n, double lo, double hi)
{
	size_t		k = 0;
	const __m256d vlo = _mm256_set1_pd(lo),
				vhi = _mm256_set1_pd(hi);

	for (; k + 64 <= n; k += 64)
	{
		__m256d		any = _mm256_setzero_pd();

		/* unrolled: the loop's own counting was a third of the time */
#pragma GCC unroll 16
		for (int j = 0; j < 64; j += 4)
		{
			__m256d		x = _mm256_loadu_pd(v + k + j);

			any = _mm256_or_pd(any, _mm256_and_pd(_mm256_cmp_pd(x, vlo, _CMP_GE_OQ),
												  _mm256_cmp_pd(x, vhi, _CMP_LE_OQ)));
		}
		if (_mm256_movemask_pd(any) != 0)
			return true;
	}
	for (; k < n; k++)
		if (v[k] >= lo && v[k] <= hi)
			return true;
	return false;
}
#endif

static bool
row_in_range_d(const double *v, size_t n, double lo, double hi)
{
	size_t		k = 0;

#ifdef __SSE2__
	const __m128d vlo = _mm_set1_pd(lo),
				vhi = _mm_set1_pd(hi);

	for (; k + 64 <= n; k += 64)
	{
		__m128d		any = _mm_setzero_pd();

		for (int j = 0; j < 64; j += 2)
		{
			__m128d		x = _mm_loadu_pd(v + k + j);

			any = _mm_or_pd(any, _mm_and_pd(_mm_cmpge_pd(x, vlo), _mm_cmple_pd(x, vhi)));
		}
		if (_mm_movemask_pd(any) != 0)
			return true;
	}
#endif
	for (; k < n; k++)
		if (v[k] >= lo && v[k] <= hi)
			return true;
	return false;
}

/*
 * The pixels of a row worth the exact test, as bits (pixel c: bit c % 64 of
 * keep[c / 64]): raw latitude in [llo, lhi] and, when lon is not NULL (the
 * longitudes are stored as degrees, see subset_find_hits), raw longitude in
 * [lon_lo, lon_hi] or outside [-180, 180) (those are normalised first, so
 * they go to the exact test too; NaN is neither, and no hit).  A superset
 * of the row's hits.
 */
static inline bool
lat_keep_f(float la, float llo, float lhi)
{
	return la >= llo && la <= lhi;
}

static inline bool
lon_keep_f(float lo, float lon_lo, float lon_hi)
{
	return (lo >= lon_lo && lo <= lon_hi) || lo < -180.0f || lo >= 180.0f;
}

static void
row_candidates_f(const float *lat, const float *lon, size_t n, float llo, float lhi,
				 float lon_lo, float lon_hi, uint64 *keep)
{
	size_t		c = 0;

#ifdef __SSE2__
	const __m128 vllo = _mm_set1_ps(llo),
				vlhi = _mm_set1_ps(lhi),
				vlo = _mm_set1_ps(lon_lo),
				vhi = _mm_set1_ps(lon_hi),
				west = _mm_set1_ps(-180.0f),
				east = _mm_set1_ps(180.0f);

	for (; c + 64 <= n; c += 64)
	{
		uint64		bits = 0;

		for (int j = 0; j < 64; j += 4)
		{
			__m128		a = _mm_loadu_ps(lat + c + j);
			__m128		m = _mm_and_ps(_mm_cmpge_ps(a, vllo), _mm_cmple_ps(a, vlhi));

			if (lon != NULL)
			{
				__m128		o = _mm_loadu_ps(lon + c + j);

				m = _mm_and_ps(m, _mm_or_ps(_mm_and_ps(_mm_cmpge_ps(o, vlo), _mm_cmple_ps(o, vhi)),
											_mm_or_ps(_mm_cmplt_ps(o, west), _mm_cmpge_ps(o, east))));
			}
			bits |= (uint64) _mm_movemask_ps(m) << j;
		}
		keep[c / 64] = bits;
	}
#endif
	if (c < n)
		keep[c / 64] = 0;
	for (; c < n; c++)
		if (lat_keep_f(lat[c], llo, lhi) && (lon == NULL || lon_keep_f(lon[c], lon_lo, lon_hi)))
			keep[c / 64] |= UINT64CONST(1) << (c % 64);
}

#ifdef SUBSET_AVX2
/* row_candidates_f() with AVX2: eight pixels per instruction, same tests */
__attribute__((target("avx2")))
static void
row_candidates_f_avx2(const float *lat, const float *lon, size_t n, float llo, float lhi,
					  float lon_lo, float lon_hi, uint64 *keep)
{
	size_t		c = 0;
	const __m256 vllo = _mm256_set1_ps(llo),
				vlhi = _mm256_set1_ps(lhi),
				vlo = _mm256_set1_ps(lon_lo),
				vhi = _mm256_set1_ps(lon_hi),
				west = _mm256_set1_ps(-180.0f),
				east = _mm256_set1_ps(180.0f);

	for (; c + 64 <= n; c += 64)
	{
		uint64		bits = 0;

#pragma GCC unroll 8
		for (int j = 0; j < 64; j += 8)
		{
			__m256		a = _mm256_loadu_ps(lat + c + j);
			__m256		m = _mm256_and_ps(_mm256_cmp_ps(a, vllo, _CMP_GE_OQ),
										  _mm256_cmp_ps(a, vlhi, _CMP_LE_OQ));

			if (lon != NULL)
			{
				__m256		o = _mm256_loadu_ps(lon + c + j);

				m = _mm256_and_ps(m, _mm256_or_ps(_mm256_and_ps(_mm256_cmp_ps(o, vlo, _CMP_GE_OQ),
																_mm256_cmp_ps(o, vhi, _CMP_LE_OQ)),
												  _mm256_or_ps(_mm256_cmp_ps(o, west, _CMP_LT_OQ),
															   _mm256_cmp_ps(o, east, _CMP_GE_OQ))));
			}
			bits |= (uint64) _mm256_movemask_ps(m) << j;
		}
		keep[c / 64] = bits;
	}
	if (c < n)
		keep[c / 64] = 0;
	for (; c < n; c++)
		if (lat_keep_f(lat[c], llo, lhi) && (lon == NULL || lon_keep_f(lon[c], lon_lo, lon_hi)))
			keep[c / 64] |= UINT64CONST(1) << (c % 64);
}
#endif

static void
row_candidates_d(const double *lat, const double *lon, size_t n, double llo, double lhi,
				 double lon_lo, double lon_hi, uint64 *keep)
{
	size_t		c = 0;

#ifdef __SSE2__
	const __m128d vllo = _mm_set1_pd(llo),
				vlhi = _mm_set1_pd(lhi),
				vlo = _mm_set1_pd(lon_lo),
				vhi = _mm_set1_pd(lon_hi),
				west = _mm_set1_pd(-180.0),
				east = _mm_set1_pd(180.0);

	for (; c + 64 <= n; c += 64)
	{
		uint64		bits = 0;

		for (int j = 0; j < 64; j += 2)
		{
			__m128d		a = _mm_loadu_pd(lat + c + j);
			__m128d		m = _mm_and_pd(_mm_cmpge_pd(a, vllo), _mm_cmple_pd(a, vlhi));

			if (lon != NULL)
			{
				__m128d		o = _mm_loadu_pd(lon + c + j);

				m = _mm_and_pd(m, _mm_or_pd(_mm_and_pd(_mm_cmpge_pd(o, vlo), _mm_cmple_pd(o, vhi)),
											_mm_or_pd(_mm_cmplt_pd(o, west), _mm_cmpge_pd(o, east))));
			}
			bits |= (uint64) _mm_movemask_pd(m) << j;
		}
		keep[c / 64] = bits;
	}
#endif
	if (c < n)
		keep[c / 64] = 0;
	for (; c < n; c++)
		if (lat[c] >= llo && lat[c] <= lhi &&
			(lon == NULL || (lon[c] >= lon_lo && lon[c] <= lon_hi) ||
			 lon[c] < -180.0 || lon[c] >= 180.0))
			keep[c / 64] |= UINT64CONST(1) << (c % 64);
}

/* the row tests pass 1 uses: AVX2's where the processor has it */
static bool (*in_range_f) (const float *, size_t, float, float) = row_in_range_f;
static bool (*in_range_d) (const double *, size_t, double, double) = row_in_range_d;
static void (*candidates_f) (const float *, const float *, size_t, float, float,
							 float, float, uint64 *) = row_candidates_f;

static void
pick_in_range(void)
{
#ifdef SUBSET_AVX2
	__builtin_cpu_init();
	if (__builtin_cpu_supports("avx2"))
	{
		in_range_f = row_in_range_f_avx2;
		in_range_d = row_in_range_d_avx2;
		candidates_f = row_candidates_f_avx2;
	}
#endif
}

/* the tile of every pixel a hit (subset.h); never written */
#define ONES8 ~UINT64CONST(0), ~UINT64CONST(0), ~UINT64CONST(0), ~UINT64CONST(0), \
	~UINT64CONST(0), ~UINT64CONST(0), ~UINT64CONST(0), ~UINT64CONST(0)
uint64		hit_tile_all[HIT_TILE] = {ONES8, ONES8, ONES8, ONES8, ONES8, ONES8, ONES8, ONES8};

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

/* the hits of one row of a block, found by hits_scan() */
typedef struct RowHits
{
	int64		n;				/* 0: none (the rest is not set) */
	size_t		c_lo,
				c_hi;
	double		la_lo,
				la_hi,
				lo_lo,
				lo_hi,
				l360_lo,
				l360_hi;
} RowHits;

/*
 * One block of rows of pass 1, read by the main thread and tested by
 * hits_scan(), maybe on a thread of its own (see subset_find_hits()): the
 * raw geolocation in, the hits out as bits (row r: words r * nwords ..., bit
 * c % 64 of word c / 64, the layout of a row of tiles) and per-row bounds.
 * hits_scan() only reads the region and the buffers and writes the job's
 * outputs: no allocation, no error, nothing of HDF5 or netCDF.
 */
typedef struct HitsJob
{
	/* the same for every block of a swath */
	const Region *region;
	const NcGeoPair *p;
	NcUnpack	ulat,
				ulon;
	double		lat_lo,
				lat_hi,
				rlo,
				rhi,
				lon_lo,
				lon_hi;
	float		flo,
				fhi,
				flon_lo,
				flon_hi;
	bool		lon_filter;
	size_t		ncols,
				nwords;
	/* this block: rows row0 + first ... row0 + last, those with cand[r] */
	size_t		row0,
				first,
				last;
	void	   *rawlat;			/* rows 0 ... */
	void	   *rawlon;			/* rows first ... last */
	bool	   *cand;
	uint64	   *keep;			/* nwords, scratch of the thread */
	uint64	   *keep_here;		/* nwords, scratch of the main thread */
	uint64	   *bits;			/* block rows x nwords */
	RowHits    *rows;			/* block rows */
	/* the thread testing rows split ... last, if any (else split > last) */
	size_t		split;
	pthread_t	thread;
	bool		running;
} HitsJob;

static void
hits_scan(HitsJob *j, size_t from, size_t to, uint64 *keep)
{
	const NcGeoPair *p = j->p;
	const Region *reg = j->region;
	size_t		ncols = j->ncols,
				nwords = j->nwords;

	/*
	 * What the loop over pixels reads, in locals: it stores only into
	 * locals, so they stay in registers (the build does not assume strict
	 * aliasing, and any store through a pointer reloads the rest).  The
	 * common region, one box with its grid, is tested here directly.
	 */
	const NcUnpack ulat = j->ulat,
				ulon = j->ulon;
	const double lat_lo = j->lat_lo,
				lat_hi = j->lat_hi;
	const bool	lat_float = p->lat_float,
				lon_float = p->lon_float;
	const bool	one = reg->nboxes == 1 && reg->grids != NULL && reg->grids[0] != NULL;
	const RegionBox box = one ? reg->boxes[0] : (RegionBox) {0};
	const int8 *cells = one ? reg->grids[0] : NULL;
	const double scale[2] = {one ? reg->grid_scale[0] : 0, one ? reg->grid_scale[1] : 0};
	const int	shift = reg->grid_shift;

	for (size_t r = from; r <= to; r++)
	{
		const float *flat = (const float *) j->rawlat + r * ncols,
				   *flon = (const float *) j->rawlon + (r - j->first) * ncols;
		const double *dlat = (const double *) j->rawlat + r * ncols,
				   *dlon = (const double *) j->rawlon + (r - j->first) * ncols;
		uint64	   *out = j->bits + r * nwords;
		RowHits    *rh = &j->rows[r];
		int64		n = 0;
		size_t		c_lo = 0,
					c_hi = 0;
		double		la_lo = HUGE_VAL,
					lo_lo = HUGE_VAL,
					l360_lo = HUGE_VAL,
					la_hi = -HUGE_VAL,
					lo_hi = -HUGE_VAL,
					l360_hi = -HUGE_VAL;

		rh->n = 0;
		if (!j->cand[r])
			continue;
		/* raw bands first: only pixels near the region are unpacked */
		if (lat_float && lon_float)
			candidates_f(flat, j->lon_filter ? flon : NULL, ncols, j->flo, j->fhi,
						 j->flon_lo, j->flon_hi, keep);
		else if (lat_float)
			candidates_f(flat, NULL, ncols, j->flo, j->fhi, 0, 0, keep);
		else if (!lon_float)
			row_candidates_d(dlat, j->lon_filter ? dlon : NULL, ncols, j->rlo, j->rhi,
							 j->lon_lo, j->lon_hi, keep);
		else
			row_candidates_d(dlat, NULL, ncols, j->rlo, j->rhi, 0, 0, keep);
		for (size_t w = 0; w < nwords; w++)
		{
			uint64		bits = keep[w],
						word = 0;

			while (bits != 0)
			{
				size_t		c = w * 64 + pg_rightmost_one_pos64(bits);
				double		la,
							lo,
							l360;
				int			k;

				bits &= bits - 1;
				la = nc_swath_unpack_one(&ulat, true,
										 lat_float ? (double) flat[c] : dlat[c]);
				/* NaN fails the band test; a NaN longitude fails the box test */
				if (!(la >= lat_lo && la <= lat_hi))
					continue;
				lo = nc_swath_unpack_one(&ulon, false,
										 lon_float ? (double) flon[c] : dlon[c]);
				/* the grid answers most pixels; near the boundary, the exact test */
				if (!one)
					k = region_grid_test(reg, la, lo);
				else if (la >= box.lat_lo && la <= box.lat_hi &&
						 lo >= box.lon_lo && lo <= box.lon_hi)
					k = region_box_cell(&box, cells, scale, shift, la, lo);
				else
					k = -1;
				if (k < 0 ||
					(k == 0 && !region_surely_contains(reg, la, lo) &&
					 !region_contains(reg, la, lo)))
					continue;
				word |= UINT64CONST(1) << (c % 64);
				if (n++ == 0)
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
			out[w] = word;
		}
		rh->n = n;
		rh->c_lo = c_lo;
		rh->c_hi = c_hi;
		rh->la_lo = la_lo;
		rh->la_hi = la_hi;
		rh->lo_lo = lo_lo;
		rh->lo_hi = lo_hi;
		rh->l360_lo = l360_lo;
		rh->l360_hi = l360_hi;
	}
}

static void *
hits_thread(void *arg)
{
	HitsJob    *j = (HitsJob *) arg;

	hits_scan(j, j->split, j->last, j->keep);
	return NULL;
}

/* the region's grid, classified on a thread during pass 1's first reads */
typedef struct GridJob
{
	RegionGridBuild *build;		/* NULL: no grid, or installed */
	pthread_t	thread;
	bool		running;
} GridJob;

static void *
grid_thread(void *arg)
{
	region_grids_classify((RegionGridBuild *) arg, false);
	return NULL;
}

/* the grid in place (its thread done), before any pixel is tested */
static void
grid_wait(Subset *s, GridJob *gj)
{
	if (gj->running)
	{
		if (pthread_join(gj->thread, NULL) != 0)
			elog(ERROR, "could not join the thread of a subset's grid");
		gj->running = false;
	}
	if (gj->build != NULL)
	{
		region_grids_install(s->region, gj->build);
		gj->build = NULL;
	}
}

/*
 * The hits of a tested block into the swath's tiles and bounds, in the
 * order of the rows (the bounds are set by the first row with hits); then
 * the tile rows the block completed are compacted.
 */
static void
hits_merge(Subset *s, PairHits *h, HitsJob *j, size_t nr)
{
	if (j->running)
	{
		if (pthread_join(j->thread, NULL) != 0)
			elog(ERROR, "could not join the thread of a subset block");
		j->running = false;
	}
	for (size_t r = j->first; r <= j->last; r++)
	{
		const RowHits *rh = &j->rows[r];
		size_t		row = j->row0 + r;

		if (rh->n == 0)
			continue;
		for (size_t w = 0; w < j->nwords; w++)
		{
			uint64		bits = j->bits[r * j->nwords + w];
			uint64	  **t;

			if (bits == 0)
				continue;
			/* a word of the row is a row of a tile: HIT_TILE is 64 */
			t = &h->tiles[(row >> HIT_TILE_SHIFT) * h->tile_cols + w];
			if (*t == NULL)
				*t = palloc0(sizeof(uint64) * HIT_TILE);
			(*t)[row & (HIT_TILE - 1)] |= bits;
		}
		bit_set(h->rowhit, row);
		if (h->nhits == 0)
		{
			h->r0 = row;
			h->c0 = rh->c_lo;
			h->c1 = rh->c_hi;
		}
		h->r1 = row;
		h->c0 = Min(h->c0, rh->c_lo);
		h->c1 = Max(h->c1, rh->c_hi);
		h->nhits += rh->n;
		if (s->lat_min > s->lat_max)
		{
			s->lat_min = rh->la_lo;
			s->lat_max = rh->la_hi;
			s->lon_min = rh->lo_lo;
			s->lon_max = rh->lo_hi;
			s->lon360_min = rh->l360_lo;
			s->lon360_max = rh->l360_hi;
		}
		s->lat_min = Min(s->lat_min, rh->la_lo);
		s->lat_max = Max(s->lat_max, rh->la_hi);
		s->lon_min = Min(s->lon_min, rh->lo_lo);
		s->lon_max = Max(s->lon_max, rh->lo_hi);
		s->lon360_min = Min(s->lon360_min, rh->l360_lo);
		s->lon360_max = Max(s->lon360_max, rh->l360_hi);
	}
	/* the tile rows this block completed */
	hits_compact(h, j->row0 >> HIT_TILE_SHIFT,
				 j->row0 + nr == h->nrows ? (h->nrows + HIT_TILE - 1) >> HIT_TILE_SHIFT :
				 (j->row0 + nr) >> HIT_TILE_SHIFT);
}

/*
 * Pass 1: the pixels inside the region.  Per block of rows: the raw
 * latitudes (no conversion), rows none of which can fall in the region's
 * latitude band are skipped; for the others the longitudes are read,
 * and each pixel whose raw latitude is near the band is unpacked and, if in
 * the band and in the region's boxes, gets the exact test.
 *
 * The test of a block (hits_scan()) is split: the second half of its
 * candidate rows on a second thread, the first half on this one, which
 * then reads the next block while the thread finishes: two sets of
 * buffers, used in turn, and a block's hits merged in row order before its
 * buffers are read into again.
 * Only this thread calls netCDF, HDF5, palloc and ereport.  When no thread
 * can be started, blocks are tested here, in turn: the same hits.
 *
 * The region's grid of certain cells (region_grid.c) is classified on a
 * thread too, while this one reads the first blocks: most rows of a long
 * pass are latitudes only, read and found outside, and the grid is needed
 * only by the first block with candidate rows, which waits for it.
 */
void
subset_find_hits(Subset *s)
{
	NcSwath    *sw = s->sw;
	double		lat_lo,
				lat_hi;
	pthread_attr_t attr;
	bool		threads;
	HitsJob    *jobs;
	GridJob    *gj;
	sigjmp_buf *outer;
	sigjmp_buf	here;

	region_lat_bounds(s->region, &lat_lo, &lat_hi);
	pick_in_range();
	s->hits = palloc0(sizeof(PairHits) * sw->npairs);
	/*
	 * An ERROR (a read of the next block failing) must not leave a thread
	 * testing buffers the handler is about to free: wait for it first.
	 */
	jobs = palloc0(sizeof(HitsJob) * 2);
	gj = palloc0(sizeof(GridJob));
	gj->build = region_grids_prepare(s->region);
	outer = rt_error_jump;
	if (!RT_TRY(here))
	{
		for (int b = 0; b < 2; b++)
			if (jobs[b].running)
				(void) pthread_join(jobs[b].thread, NULL);
		if (gj->running)
			(void) pthread_join(gj->thread, NULL);
		rt_error_jump = outer;
		rt_rethrow();
	}
	/* hits_scan() needs little stack: less address space under the rlimit */
	threads = pthread_attr_init(&attr) == 0;
	if (threads && pthread_attr_setstacksize(&attr, SUBSET_THREAD_STACK) != 0)
	{
		pthread_attr_destroy(&attr);
		threads = false;
	}
	if (gj->build != NULL)
	{
		gj->running = threads &&
			pthread_create(&gj->thread, &attr, grid_thread, gj->build) == 0;
		if (!gj->running)
			region_grids_classify(gj->build, true);
	}
	for (int i = 0; i < sw->npairs; i++)
	{
		NcGeoPair  *p = &sw->pairs[i];
		PairHits   *h = &s->hits[i];
		int			dimids[NC_MAX_VAR_DIMS];
		size_t		block_rows = hits_block_rows(p);
		size_t		ncols = Max(1, p->ncols);
		size_t		cap;
		HitsJob    *job = jobs;
		int			cur = 0;
		size_t		pending_nr = 0;
		HitsJob    *pending = NULL;

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

		/* what every block of the swath shares */
		memset(&job[0], 0, sizeof(HitsJob));
		job[0].region = s->region;
		job[0].p = p;
		job[0].ncols = ncols;
		job[0].nwords = (ncols + 63) / 64;
		job[0].lat_lo = lat_lo;
		job[0].lat_hi = lat_hi;
		nc_swath_raw_range(sw, i, true, lat_lo, lat_hi, &job[0].rlo, &job[0].rhi);
		nc_swath_unpack_prepare(&p->lat_pack, &job[0].ulat);
		nc_swath_unpack_prepare(&p->lon_pack, &job[0].ulon);
		/* float bounds, widened outwards */
		job[0].flo = job[0].rlo < -FLT_MAX ? -INFINITY : nextafterf((float) job[0].rlo, -INFINITY);
		job[0].fhi = job[0].rhi > FLT_MAX ? INFINITY : nextafterf((float) job[0].rhi, INFINITY);

		/*
		 * Longitudes stored as degrees (no scale or offset) unpack to their
		 * raw value when it is in [-180, 180): such a pixel can hit only
		 * inside the longitudes of the region's boxes (region_grid_test()
		 * says -1 elsewhere), so the raw values pre-filter the row as the
		 * latitudes do.
		 */
		job[0].lon_lo = HUGE_VAL;
		job[0].lon_hi = -HUGE_VAL;
		for (int b = 0; b < s->region->nboxes; b++)
		{
			job[0].lon_lo = Min(job[0].lon_lo, s->region->boxes[b].lon_lo);
			job[0].lon_hi = Max(job[0].lon_hi, s->region->boxes[b].lon_hi);
		}
		job[0].lon_filter = p->lon_pack.scale_factor == 1.0 && p->lon_pack.add_offset == 0.0 &&
			!(job[0].lon_lo <= -180.0 && job[0].lon_hi >= 180.0);
		if (job[0].lon_filter && job[0].lon_lo > job[0].lon_hi)
		{
			/* no boxes: no pixel hits, every one in [-180, 180) is out */
			job[0].lon_lo = 1.0;
			job[0].lon_hi = 0.0;
		}
		if (job[0].lon_filter)
		{
			job[0].lon_lo = Max(job[0].lon_lo, -180.0);
			job[0].lon_hi = Min(job[0].lon_hi, 180.0);
		}
		job[0].flon_lo = nextafterf((float) job[0].lon_lo, -INFINITY);
		job[0].flon_hi = nextafterf((float) job[0].lon_hi, INFINITY);
		job[1] = job[0];
		for (int b = 0; b < 2; b++)
		{
			job[b].rawlat = nc_alloc_array(&s->what, cap, p->lat_float ? sizeof(float) : sizeof(double));
			job[b].rawlon = nc_alloc_array(&s->what, cap, p->lon_float ? sizeof(float) : sizeof(double));
			job[b].cand = nc_alloc_array(&s->what, block_rows, sizeof(bool));
			job[b].keep = nc_alloc_array(&s->what, job[b].nwords, sizeof(uint64));
			job[b].keep_here = nc_alloc_array(&s->what, job[b].nwords, sizeof(uint64));
			job[b].bits = nc_alloc_array(&s->what, nc_size_mul(&s->what, block_rows, job[b].nwords),
										 sizeof(uint64));
			job[b].rows = nc_alloc_array(&s->what, block_rows, sizeof(RowHits));
		}

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
		for (size_t row0 = 0; row0 < h->nrows; row0 += block_rows)
		{
			HitsJob    *j = &job[cur];
			size_t		nr = Min(block_rows, h->nrows - row0);
			size_t		first = SIZE_MAX,
						last = 0;

			CHECK_FOR_INTERRUPTS();
			/* raw latitudes first: most rows of a long pass miss a small region */
			nc_swath_read_raw(sw, i, true, row0, nr, j->rawlat);
			for (size_t r = 0; r < nr; r++)
			{
				if (p->lat_float)
					j->cand[r] = in_range_f((const float *) j->rawlat + r * ncols, ncols,
											j->flo, j->fhi);
				else
					j->cand[r] = in_range_d((const double *) j->rawlat + r * ncols, ncols,
											j->rlo, j->rhi);
				if (j->cand[r])
				{
					first = Min(first, r);
					last = r;
				}
			}
			if (first == SIZE_MAX)
				continue;
			nc_swath_read_raw(sw, i, false, row0 + first, last - first + 1, j->rawlon);
			j->row0 = row0;
			j->first = first;
			j->last = last;
			/* the block before is tested by now, or nearly: take its hits */
			if (pending != NULL)
				hits_merge(s, h, pending, pending_nr);
			grid_wait(s, gj);
			/*
			 * The candidate rows' second half on the thread, the first half
			 * here; then on to the next block while the thread finishes.
			 */
			j->split = first + (last - first + 1) / 2;
			j->running = threads && j->split <= last &&
				pthread_create(&j->thread, &attr, hits_thread, j) == 0;
			if (j->running)
			{
				if (j->split > first)
					hits_scan(j, first, j->split - 1, j->keep_here);
			}
			else
				hits_scan(j, first, last, j->keep_here);
			pending = j;
			pending_nr = nr;
			cur = 1 - cur;
		}
		if (pending != NULL)
			hits_merge(s, h, pending, pending_nr);
		for (int b = 0; b < 2; b++)
		{
			pfree(job[b].rawlat);
			pfree(job[b].rawlon);
			pfree(job[b].cand);
			pfree(job[b].keep);
			pfree(job[b].keep_here);
			pfree(job[b].bits);
			pfree(job[b].rows);
		}
		/* the geolocation's decompressed chunks are not needed any more */
		subset_chunk_cache(s, p->grpid, p->lat_varid, true, SUBSET_CACHE_IDLE, 7);
		subset_chunk_cache(s, p->grpid, p->lon_varid, true, SUBSET_CACHE_IDLE, 7);
	}
	grid_wait(s, gj);
	if (threads)
		pthread_attr_destroy(&attr);
	rt_error_jump = outer;
	pfree(jobs);
	pfree(gj);
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
