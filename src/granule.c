/*-------------------------------------------------------------------------
 *
 * granule.c
 *	  The granule library behind granule.h, in process: a Granule is the
 *	  open netCDF file (nc_swath.c); replies are built from it by
 *	  footprint.c, nc_time.c and subset*.c.  Includes nothing from the
 *	  object, catalog or store layers.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "footprint.h"
#include "granule.h"
#include "nc.h"
#include "quicklook.h"
#include "subset.h"

struct Granule
{
	NcSwath    *sw;
};

struct GranulePixels
{
	NcSwathIter *it;
	GranuleBlock blk;
};

/* open the file and find its geolocation pairs (their times when asked) */
Granule *
granule_open(const char *path, const char *label)
{
	Granule    *g = palloc0(sizeof(Granule));

	g->sw = nc_swath_open(path, label);
	return g;
}

/* close the file now (an ERROR closes it through its memory context) */
void
granule_close(Granule *g)
{
	nc_swath_close(g->sw);
}

/* one pair copied out of the reader's state */
static void
copy_pair(const NcGeoPair *p, GranulePair *r)
{
	r->group = pstrdup(p->group_path);
	r->lat_var = pstrdup(p->lat_name);
	r->lon_var = pstrdup(p->lon_name);
	r->ndims = p->ndims;
	for (int d = 0; d < p->ndims; d++)
	{
		r->dim_names[d] = pstrdup(p->dim_names[d]);
		r->shape[d] = (int64) p->shape[d];
	}
	r->nrows = (int64) p->nrows;
	r->ncols = (int64) p->ncols;
	r->skip_reason = p->skip_reason ? pstrdup(p->skip_reason) : NULL;
	r->has_time = p->has_time;
	r->time_var = p->has_time ? pstrdup(p->time_var) : NULL;
	r->time_start = p->time_start;
	r->time_end = p->time_end;
}

/* the geolocation pairs (swaths, and the pairs set aside), copied out */
GranuleInfo *
granule_describe(Granule *g)
{
	GranuleInfo *info = palloc0(sizeof(GranuleInfo));

	nc_swath_find_times(g->sw);
	info->npairs = g->sw->npairs;
	info->pairs = palloc0(sizeof(GranulePair) * Max(1, info->npairs));
	for (int i = 0; i < info->npairs; i++)
		copy_pair(&g->sw->pairs[i], &info->pairs[i]);
	info->nskipped = g->sw->nskipped;
	info->skipped = palloc0(sizeof(GranulePair) * Max(1, info->nskipped));
	for (int i = 0; i < info->nskipped; i++)
		copy_pair(&g->sw->skipped[i], &info->skipped[i]);
	return info;
}

/* the footprint of one pair, or of all (pair < 0) */
Footprint *
granule_footprint(Granule *g, int pair, const FootprintOptions *opts)
{
	Footprint  *fp = footprint_compute(g->sw, pair, opts);

	/*
	 * Rings are unwrapped across the antimeridian, so longitudes may leave
	 * [-180, 180], but never by more than a turn: a ring that wraps around
	 * the Earth again (found by fuzzing) is not a footprint.
	 */
	for (int r = 0; r < fp->nrings; r++)
		for (int i = 0; i < fp->rings[r].npoints; i++)
			if (!(fp->rings[r].lon[i] >= -540 && fp->rings[r].lon[i] <= 540 &&
				  fp->rings[r].lat[i] >= -90 && fp->rings[r].lat[i] <= 90))
				ereport(ERROR,
						(errcode(ERRCODE_DATA_CORRUPTED),
						 errmsg("could not compute the footprint of %s", g->sw->what.label),
						 errdetail("A footprint ring reaches longitude %g, latitude %g: it wraps around the Earth more than once.",
								   fp->rings[r].lon[i], fp->rings[r].lat[i])));
	return fp;
}

/* start reading one pair's pixels in blocks of rows */
GranulePixels *
granule_pixels_begin(Granule *g, int pair, int64 block_rows)
{
	GranulePixels *it = palloc0(sizeof(GranulePixels));

	if (pair < 0 || pair >= g->sw->npairs)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("geolocation pair %d does not exist", pair),
				 errdetail("The file has %d geolocation pairs.", g->sw->npairs)));
	it->it = nc_swath_iter_begin(g->sw, pair, (size_t) Max(0, block_rows));
	return it;
}

/* the next block of rows, or NULL after the last */
GranuleBlock *
granule_pixels_next(GranulePixels *it)
{
	NcSwathBlock *b = nc_swath_iter_next(it->it);

	if (b == NULL)
		return NULL;
	it->blk.row0 = (int64) b->row0;
	it->blk.nrows = (int64) b->nrows;
	it->blk.ncols = (int64) b->ncols;
	it->blk.lat = b->lat;
	it->blk.lon = b->lon;
	return &it->blk;
}

/* release the block buffers */
void
granule_pixels_end(GranulePixels *it)
{
	nc_swath_iter_end(it->it);
	pfree(it);
}

/* cut the granule to a region, into req->out_path (subset_write.c) */
GranuleSubsetStatus
granule_subset(Granule *g, const GranuleSubsetRequest *req,
			   GranuleSubsetStats *stats)
{
	nc_swath_find_times(g->sw);	/* the subset's own time range */
	return subset_run(g->sw, req, stats);
}

/* draw one variable as a PNG (quicklook_grid.c) */
void
granule_quicklook(Granule *g, const GranuleQuicklookRequest *req,
				  GranuleQuicklookInfo *info, granule_bytes_cb sink, void *arg)
{
	quicklook_run(g->sw, req, info, sink, arg);
}
