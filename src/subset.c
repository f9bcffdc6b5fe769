/*
 * subset.c
 *		swath_subset(): the part of a granule inside a region, as a new
 *		netCDF-4 file, and the SQL functions around it.
 *
 * Semantics follow PO.DAAC's l2ss-py.  A pixel is in the region when its
 * centre (latitude/longitude after scale and offset, fill skipped) lies in
 * the region, boundary included.  For each swath (latitude/longitude pair)
 * the output keeps the index window of scan lines and pixels holding at
 * least one hit; a dimension shared by several swaths (Jason-1's 1 Hz and
 * 20 Hz tracks share "time") gets the union of their windows.  Inside the
 * window, values of pixels outside the region become the variable's
 * _FillValue (variables without one are copied as they are, as l2ss-py
 * does; so are coordinate variables).  A variable with the swath's scan
 * dimension but not its pixel dimension (per-scan values) is filled on the
 * scan lines with no hit.  Variables without swath dimensions are copied
 * whole.  Groups, dimensions, types, attributes, chunking and filters are
 * kept; history is appended and geospatial_lat/lon_min/max are set.
 *
 * Memory is bounded: geolocation is streamed in row blocks (nc_swath.c),
 * the hit mask is one bit per pixel, and variables are copied one at a
 * time in hyperslab blocks of at most SUBSET_BLOCK_BYTES, aligned to the
 * output chunks, with the HDF5 chunk cache of each variable shrunk again
 * once it is copied.  The output goes to a temporary file (PostgreSQL's
 * OpenTemporaryFile: removed at transaction end on every path); since
 * HDF5 writes it through its own descriptor, its size is checked against
 * temp_file_limit after every block.
 */
#include "eoswath.h"

#include <float.h>
#include <math.h>
#include <sys/stat.h>
#include <time.h>
#include <netcdf.h>
#include <netcdf_filter.h>

#include "catalog/pg_type.h"
#include "miscadmin.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/guc.h"
#include "utils/memutils.h"
#include "utils/timestamp.h"
#include "utils/wait_event.h"

#include "granule.h"
#include "nc.h"
#include "object.h"
#include "region.h"
#include "subset.h"

#define SUBSET_BLOCK_BYTES		(8 * 1024 * 1024)
#define SUBSET_CACHE_MAX		(32 * 1024 * 1024)
#define SUBSET_CACHE_IDLE		(64 * 1024)
/* geolocation values per block of pass 1 (before rounding to whole chunks) */
#define SUBSET_GEO_VALUES		(1 << 19)

/* the hits of one swath */
typedef struct PairHits
{
	int			row_dimid;
	int			col_dimid;		/* -1 for a 1-D track */
	size_t		nrows;
	size_t		ncols;
	uint8	   *mask;			/* nrows * ncols bits */
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
	int			in_format;
	int			out;			/* -1 when closed */
	NcHandle   *out_handle;		/* aborts an unfinished output on ERROR */
	char	   *out_path;
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
				lon_max;
} Subset;

/* run a netCDF call, report its failure as "could not subset ..." */
#define NC(s, call) NC_CHECK(&(s)->what, call)

/*
 * Size the HDF5 chunk cache of a variable (a hint: netCDF-3 files have no
 * chunk caches, so the input's is set only when it is netCDF-4).
 */
static void
set_chunk_cache(Subset *s, int grpid, int varid, bool input, size_t size,
				size_t nelems)
{
	if (input && s->in_format != NC_FORMAT_NETCDF4)
		return;
	NC(s, nc_set_var_chunk_cache(grpid, varid, size, nelems, 0.75f));
}

/* delete an attribute of the output if it is there */
static void
del_att(Subset *s, int grpid, int varid, const char *name)
{
	int			st = nc_del_att(grpid, varid, name);

	if (st != NC_ENOTATT)
		NC(s, st);
}

/* the output file must stay under temp_file_limit, as PostgreSQL's own */
static void
check_temp_limit(Subset *s)
{
	struct stat st;

	if (temp_file_limit < 0 || s->out_path == NULL)
		return;
	if (stat(s->out_path, &st) == 0 && st.st_size / 1024 > temp_file_limit)
		ereport(ERROR,
				(errcode(ERRCODE_CONFIGURATION_LIMIT_EXCEEDED),
				 errmsg("temporary file size exceeds temp_file_limit (%dkB)",
						temp_file_limit),
				 errdetail("The subset of %s being written is %lld bytes.",
						   s->label, (long long) st.st_size)));
}

/* ---------- pass 1: hits ---------- */

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
static void
find_hits(Subset *s)
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
		h->mask = MemoryContextAllocHuge(CurrentMemoryContext,
										 (h->nrows * h->ncols + 7) / 8 + 1);
		memset(h->mask, 0, (h->nrows * h->ncols + 7) / 8 + 1);
		h->rowhit = palloc0((h->nrows + 7) / 8 + 1);
		if (h->nrows == 0 || h->ncols == 0)
			continue;
		cap = block_rows * ncols;
		rawlat = palloc(cap * (p->lat_float ? sizeof(float) : sizeof(double)));
		rawlon = palloc(cap * (p->lon_float ? sizeof(float) : sizeof(double)));
		cand = palloc(sizeof(bool) * block_rows);
		/*
		 * Blocks of whole chunks read each chunk once: no chunk cache needed,
		 * and without one HDF5 reads unfiltered chunks straight into our
		 * buffer instead of through a cached copy.
		 */
		if (p->chunk_rows > 0 && block_rows % p->chunk_rows == 0)
		{
			set_chunk_cache(s, p->grpid, p->lat_varid, true, SUBSET_CACHE_IDLE, 7);
			set_chunk_cache(s, p->grpid, p->lon_varid, true, SUBSET_CACHE_IDLE, 7);
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

				if (!cand[r])
					continue;
				for (size_t c = 0; c < ncols; c++)
				{
					double		la,
								lo;

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
					if (!region_maybe_contains(s->region, la, lo) ||
						(!region_surely_contains(s->region, la, lo) &&
						 !region_contains(s->region, la, lo)))
						continue;
					bit_set(h->mask, row * h->ncols + c);
					bit_set(h->rowhit, row);
					if (h->nhits == 0)
					{
						h->r0 = h->r1 = row;
						h->c0 = h->c1 = c;
					}
					else
					{
						h->r1 = row;
						h->c0 = Min(h->c0, c);
						h->c1 = Max(h->c1, c);
					}
					if (s->lat_min > s->lat_max)
					{
						s->lat_min = s->lat_max = la;
						s->lon_min = s->lon_max = lo;
					}
					s->lat_min = Min(s->lat_min, la);
					s->lat_max = Max(s->lat_max, la);
					s->lon_min = Min(s->lon_min, lo);
					s->lon_max = Max(s->lon_max, lo);
					h->nhits++;
				}
			}
		}
		pfree(rawlat);
		pfree(rawlon);
		pfree(cand);
		/* the geolocation's decompressed chunks are not needed any more */
		set_chunk_cache(s, p->grpid, p->lat_varid, true, SUBSET_CACHE_IDLE, 7);
		set_chunk_cache(s, p->grpid, p->lon_varid, true, SUBSET_CACHE_IDLE, 7);
	}
}

static DimWindow *
dim_window(Subset *s, int dimid)
{
	for (int i = 0; i < s->ndimwin; i++)
		if (s->dimwin[i].dimid == dimid)
			return &s->dimwin[i];
	return NULL;
}

static void
add_window(Subset *s, int dimid, bool any, size_t lo, size_t hi)
{
	DimWindow  *w = dim_window(s, dimid);

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

static void
make_windows(Subset *s)
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

/* ---------- variables ---------- */

/* every variable of every group, in the order of nc_groups() */
static void
collect_vars(Subset *s)
{
	int			ngroups;
	int		   *groups = nc_groups(&s->what, s->in, &ngroups);
	int			cap = 64;

	s->vars = palloc(sizeof(SrcVar) * cap);
	for (int i = 0; i < ngroups; i++)
	{
		int			grpid = groups[i];
		int			nvars;
		char	   *gpath = nc_group_path(&s->what, grpid);

		CHECK_FOR_INTERRUPTS();
		NC(s, nc_inq_varids(grpid, &nvars, NULL));
		for (int v = 0; v < nvars; v++)
		{
			SrcVar	   *sv;

			if (s->nvars == cap)
			{
				cap *= 2;
				s->vars = repalloc_huge(s->vars, sizeof(SrcVar) * cap);
			}
			sv = &s->vars[s->nvars++];
			memset(sv, 0, sizeof(SrcVar));
			sv->grpid = grpid;
			sv->varid = v;
			sv->out_varid = -1;
			NC(s, nc_inq_var(grpid, v, sv->name, NULL, &sv->ndims, sv->dimids, NULL));
			sv->path = strcmp(gpath, "/") == 0 ? psprintf("/%s", sv->name) :
				psprintf("%s/%s", gpath, sv->name);
		}
		pfree(gpath);
	}
	pfree(groups);
}

static SrcVar *
find_var(Subset *s, int grpid, int varid)
{
	for (int i = 0; i < s->nvars; i++)
		if (s->vars[i].grpid == grpid && s->vars[i].varid == varid)
			return &s->vars[i];
	return NULL;
}

/* the name of a dimension */
static void
dim_name(Subset *s, int grpid, int dimid, char *out)
{
	NC(s, nc_inq_dimname(grpid, dimid, out));
}

/* mark the variables to keep: requested ones, geolocation, their coordinates */
static void
select_vars(Subset *s, List *variables)
{
	ListCell   *lc;

	if (variables == NIL)
	{
		for (int i = 0; i < s->nvars; i++)
			s->vars[i].keep = true;
		return;
	}
	foreach(lc, variables)
	{
		char	   *want = lfirst(lc);
		bool		found = false;

		for (int i = 0; i < s->nvars; i++)
		{
			SrcVar	   *v = &s->vars[i];

			if (strcmp(v->path, want) == 0 || strcmp(v->path + 1, want) == 0 ||
				(strchr(want, '/') == NULL && strcmp(v->name, want) == 0))
			{
				v->keep = true;
				found = true;
			}
		}
		if (!found)
			ereport(ERROR,
					(errcode(ERRCODE_UNDEFINED_OBJECT),
					 errmsg("variable \"%s\" not found in %s", want, s->label),
					 errhint("Name variables by their path, such as \"/PRODUCT/methane_mixing_ratio\", or by their name in a file without groups.")));
	}
	/* geolocation of every swath */
	for (int p = 0; p < s->sw->npairs; p++)
	{
		NcGeoPair  *gp = &s->sw->pairs[p];
		SrcVar	   *v;

		if ((v = find_var(s, gp->grpid, gp->lat_varid)) != NULL)
			v->keep = true;
		if ((v = find_var(s, gp->grpid, gp->lon_varid)) != NULL)
			v->keep = true;
	}
	/* coordinates of kept variables: coordinate variables and "coordinates" */
	for (int i = 0; i < s->nvars; i++)
	{
		SrcVar	   *v = &s->vars[i];
		NcVarRef   *refs;
		int			nrefs;

		if (!v->keep)
			continue;
		for (int d = 0; d < v->ndims; d++)
		{
			char		dname[NC_MAX_NAME + 1];

			dim_name(s, v->grpid, v->dimids[d], dname);
			for (int j = 0; j < s->nvars; j++)
			{
				SrcVar	   *c = &s->vars[j];

				if (c->ndims == 1 && c->dimids[0] == v->dimids[d] &&
					strcmp(c->name, dname) == 0)
					c->keep = true;
			}
		}
		nrefs = nc_coordinates(&s->what, v->grpid, v->varid, &refs);
		for (int r = 0; r < nrefs; r++)
		{
			SrcVar	   *c = find_var(s, refs[r].grpid, refs[r].varid);

			if (c != NULL)
				c->keep = true;
		}
	}
}

/* ---------- output definition ---------- */

static void
dimmap_set(Subset *s, int src, int dst)
{
	if (src >= s->dimmap_len)
	{
		int			n = Max(src + 1, s->dimmap_len * 2);

		s->dimmap = s->dimmap ? repalloc(s->dimmap, sizeof(int) * n) : palloc(sizeof(int) * n);
		for (int i = s->dimmap_len; i < n; i++)
			s->dimmap[i] = -1;
		s->dimmap_len = n;
	}
	s->dimmap[src] = dst;
}

static bool
is_unlimited(Subset *s, int grpid, int dimid)
{
	int			n;
	int		   *ids;
	bool		res = false;

	/* netCDF-3 has one; netCDF-4 lists those of the group */
	NC(s, nc_inq_unlimdims(grpid, &n, NULL));
	if (n <= 0)
		return false;
	ids = palloc(sizeof(int) * n);
	NC(s, nc_inq_unlimdims(grpid, &n, ids));
	for (int i = 0; i < n; i++)
		if (ids[i] == dimid)
			res = true;
	pfree(ids);
	return res;
}

static bool
out_dim_unlimited(Subset *s, int grpid, int dimid)
{
	DimWindow  *w = dim_window(s, dimid);

	return is_unlimited(s, grpid, dimid) || (w != NULL && w->count == 0);
}

/* length of a source dimension in the output */
static size_t
out_dim_len(Subset *s, int grpid, int dimid)
{
	DimWindow  *w = dim_window(s, dimid);
	size_t		len;

	if (w)
		return w->count;
	NC(s, nc_inq_dimlen(grpid, dimid, &len));
	return len;
}

static void
define_var(Subset *s, SrcVar *v, int out_grp)
{
	int			in = v->grpid;
	nc_type		type;
	int			odims[NC_MAX_VAR_DIMS];
	int			natts;
	bool		any_unlim = false;
	size_t		bytes;
	size_t		tsize;

	NC(s, nc_inq_vartype(in, v->varid, &type));
	if (type > NC_STRING)
		ereport(ERROR,
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				 errmsg("variable \"%s\" of %s has a user-defined type", v->path, s->label),
				 errdetail("Compound, enum, opaque and variable-length types are not subset yet."),
				 errhint("Leave the variable out with the variables argument.")));
	NC(s, nc_inq_type(in, type, NULL, &tsize));
	bytes = tsize;
	for (int d = 0; d < v->ndims; d++)
	{
		if (v->dimids[d] >= s->dimmap_len || s->dimmap[v->dimids[d]] < 0)
			elog(ERROR, "dimension %d of \"%s\" was not defined", v->dimids[d], v->path);
		odims[d] = s->dimmap[v->dimids[d]];
		if (out_dim_unlimited(s, in, v->dimids[d]))
			any_unlim = true;
		bytes *= Max(1, out_dim_len(s, in, v->dimids[d]));
	}
	NC(s, nc_def_var(out_grp, v->name, type, v->ndims, odims, &v->out_varid));
	v->out_grpid = out_grp;

	if (s->in_format == NC_FORMAT_NETCDF4)
	{
		int			storage;
		size_t		chunks[NC_MAX_VAR_DIMS];
		int			shuffle,
					deflate,
					level,
					fletcher,
					endian;
		size_t		nfilters = 0;

		NC(s, nc_inq_var_chunking(in, v->varid, &storage, chunks));
		if (v->ndims > 0 && storage == NC_CHUNKED)
		{
			for (int d = 0; d < v->ndims; d++)
			{
				size_t		len = out_dim_len(s, in, v->dimids[d]);

				if (!out_dim_unlimited(s, in, v->dimids[d]))
					chunks[d] = Max(1, Min(chunks[d], len));
				else
					chunks[d] = Max(1, chunks[d]);
			}
			NC(s, nc_def_var_chunking(out_grp, v->out_varid, NC_CHUNKED, chunks));
		}
		else if (v->ndims > 0 && !any_unlim)
			NC(s, nc_def_var_chunking(out_grp, v->out_varid,
									  storage == NC_COMPACT && bytes < 32768 ? NC_COMPACT : NC_CONTIGUOUS,
									  NULL));
		NC(s, nc_inq_var_deflate(in, v->varid, &shuffle, &deflate, &level));
		if ((shuffle || deflate) && v->ndims > 0 && type != NC_STRING)
			NC(s, nc_def_var_deflate(out_grp, v->out_varid, shuffle, deflate, level));
		NC(s, nc_inq_var_fletcher32(in, v->varid, &fletcher));
		if (fletcher && v->ndims > 0)
			NC(s, nc_def_var_fletcher32(out_grp, v->out_varid, fletcher));
		NC(s, nc_inq_var_endian(in, v->varid, &endian));
		if (endian != NC_ENDIAN_NATIVE)
			NC(s, nc_def_var_endian(out_grp, v->out_varid, endian));
		/* other filters (szip, zstd, ...), when this build has them */
		NC(s, nc_inq_var_filter_ids(in, v->varid, &nfilters, NULL));
		if (nfilters > 0)
		{
			unsigned int *ids = palloc(sizeof(unsigned int) * nfilters);

			NC(s, nc_inq_var_filter_ids(in, v->varid, &nfilters, ids));
			for (size_t f = 0; f < nfilters; f++)
			{
				size_t		np = 0;
				unsigned int *params;

				if (ids[f] == 1 || ids[f] == 2 || ids[f] == 3)
					continue;	/* deflate, shuffle, fletcher32: done above */
				NC(s, nc_inq_var_filter_info(in, v->varid, ids[f], &np, NULL));
				params = palloc(sizeof(unsigned int) * (np + 1));
				NC(s, nc_inq_var_filter_info(in, v->varid, ids[f], &np, params));
				NC(s, nc_def_var_filter(out_grp, v->out_varid, ids[f], np, params));
			}
		}
	}
	else if (v->ndims > 0 && !any_unlim)
		NC(s, nc_def_var_chunking(out_grp, v->out_varid, NC_CONTIGUOUS, NULL));

	NC(s, nc_inq_varnatts(in, v->varid, &natts));
	for (int a = 0; a < natts; a++)
	{
		char		aname[NC_MAX_NAME + 1];

		NC(s, nc_inq_attname(in, v->varid, a, aname));
		if (strcmp(aname, "_FillValue") == 0)
		{
			nc_type		ft;
			size_t		flen;

			/* netCDF-3 allows a fill value of another type; netCDF-4 does not */
			NC(s, nc_inq_att(in, v->varid, aname, &ft, &flen));
			if (ft != type && flen == 1 && type <= NC_UINT64 && type != NC_CHAR && ft != NC_CHAR && ft != NC_STRING)
			{
				double		fv;

				NC(s, nc_get_att_double(in, v->varid, aname, &fv));
				NC(s, nc_put_att_double(out_grp, v->out_varid, aname, type, 1, &fv));
				continue;
			}
		}
		NC(s, nc_copy_att(in, v->varid, aname, out_grp, v->out_varid));
	}
}

static void
define_group(Subset *s, int in_grp, int out_grp, int depth)
{
	int			ndims,
				nvars,
				natts,
				ngrps;
	int		   *dimids;

	CHECK_FOR_INTERRUPTS();
	/* attributes (root: history and bounds are rewritten later) */
	NC(s, nc_inq_natts(in_grp, &natts));
	for (int a = 0; a < natts; a++)
	{
		char		aname[NC_MAX_NAME + 1];

		NC(s, nc_inq_attname(in_grp, NC_GLOBAL, a, aname));
		NC(s, nc_copy_att(in_grp, NC_GLOBAL, aname, out_grp, NC_GLOBAL));
	}
	/* dimensions of this group */
	NC(s, nc_inq_dimids(in_grp, &ndims, NULL, 0));
	dimids = palloc(sizeof(int) * Max(1, ndims));
	NC(s, nc_inq_dimids(in_grp, &ndims, dimids, 0));
	for (int d = 0; d < ndims; d++)
	{
		char		dname[NC_MAX_NAME + 1];
		int			odim;
		size_t		len = out_dim_len(s, in_grp, dimids[d]);

		NC(s, nc_inq_dimname(in_grp, dimids[d], dname));
		NC(s, nc_def_dim(out_grp, dname,
						 out_dim_unlimited(s, in_grp, dimids[d]) ? NC_UNLIMITED : len,
						 &odim));
		dimmap_set(s, dimids[d], odim);
	}
	/* variables */
	NC(s, nc_inq_varids(in_grp, &nvars, NULL));
	for (int v = 0; v < nvars; v++)
	{
		SrcVar	   *sv = find_var(s, in_grp, v);

		if (sv && sv->keep)
			define_var(s, sv, out_grp);
	}
	/* subgroups */
	NC(s, nc_inq_grps(in_grp, &ngrps, NULL));
	if (ngrps > 0)
	{
		int		   *grps = palloc(sizeof(int) * ngrps);

		NC(s, nc_inq_grps(in_grp, NULL, grps));
		for (int i = 0; i < ngrps; i++)
		{
			char		gname[NC_MAX_NAME + 1];
			int			og;

			NC(s, nc_inq_grpname(grps[i], gname));
			NC(s, nc_def_grp(out_grp, gname, &og));
			define_group(s, grps[i], og, depth + 1);
		}
	}
}

/* history appended, geospatial bounds of the kept pixels */
static void
rewrite_globals(Subset *s, const char *request)
{
	nc_type		htype = NC_CHAR;
	char	   *old = nc_att_text(&s->what, s->in, NC_GLOBAL, "history", &htype);
	char		now[32];
	time_t		t = timestamptz_to_time_t(GetCurrentTimestamp());
	struct tm	tm;
	char	   *line;
	static const char *const names[] = {
		"geospatial_lat_min", "geospatial_lat_max",
		"geospatial_lon_min", "geospatial_lon_max"
	};
	double		vals[4];

	gmtime_r(&t, &tm);
	strftime(now, sizeof(now), "%Y-%m-%dT%H:%M:%SZ", &tm);
	line = psprintf("%s eoswath swath_subset: %s", now, request);
	if (old && old[0] && htype == NC_CHAR)
		line = psprintf("%s\n%s", old, line);
	del_att(s, s->out, NC_GLOBAL, "history");
	NC(s, nc_put_att_text(s->out, NC_GLOBAL, "history", strlen(line), line));

	vals[0] = s->lat_min;
	vals[1] = s->lat_max;
	vals[2] = s->lon_min;
	vals[3] = s->lon_max;
	for (int i = 0; i < 4; i++)
	{
		nc_type		t;
		size_t		len;

		int			st = nc_inq_att(s->in, NC_GLOBAL, names[i], &t, &len);

		if (st != NC_ENOTATT)
			NC(s, st);
		if (st == NC_ENOTATT || t == NC_CHAR || t == NC_STRING || t > NC_STRING)
			t = NC_DOUBLE;
		del_att(s, s->out, NC_GLOBAL, names[i]);
		NC(s, nc_put_att_double(s->out, NC_GLOBAL, names[i], t, 1, &vals[i]));
	}
}

/* ---------- data ---------- */

/* how a variable's values outside the region are masked */
typedef enum MaskMode
{
	MASK_NONE,
	MASK_PIXEL,					/* by (row, col) */
	MASK_ROW					/* by scan line: fill where no pixel of the row hits */
} MaskMode;

static void
choose_mask(Subset *s, SrcVar *v, MaskMode *mode, PairHits **ph, int *rpos, int *cpos)
{
	int			best = 0;

	*mode = MASK_NONE;
	*ph = NULL;
	*rpos = *cpos = -1;
	for (int p = 0; p < s->sw->npairs; p++)
	{
		PairHits   *h = &s->hits[p];
		int			r = -1,
					c = -1,
					score;

		for (int d = 0; d < v->ndims; d++)
		{
			if (v->dimids[d] == h->row_dimid)
				r = d;
			else if (h->col_dimid >= 0 && v->dimids[d] == h->col_dimid)
				c = d;
		}
		if (r < 0)
			continue;
		if (c >= 0)
			score = 3;
		else if (h->col_dimid < 0)
			score = 2;
		else
			score = 1;
		if (score > best)
		{
			best = score;
			*ph = h;
			*rpos = r;
			*cpos = c;
			*mode = (score == 1) ? MASK_ROW : MASK_PIXEL;
		}
	}
}

/* copy one variable's window, block by block, masking outside the region */
static void
copy_var(Subset *s, SrcVar *v, MemoryContext varcxt)
{
	int			in = v->grpid;
	int			nd = v->ndims;
	nc_type		type;
	size_t		tsize;
	size_t		S[NC_MAX_VAR_DIMS],
				W[NC_MAX_VAR_DIMS],
				ochunk[NC_MAX_VAR_DIMS];
	size_t		start[NC_MAX_VAR_DIMS],
				ostart[NC_MAX_VAR_DIMS],
				count[NC_MAX_VAR_DIMS],
				stride[NC_MAX_VAR_DIMS];
	size_t		idx[NC_MAX_VAR_DIMS];
	size_t		inner = 1,
				budget,
				bk,
				total = 1;
	int			k;
	int			storage = NC_CONTIGUOUS;
	MaskMode	mode;
	PairHits   *ph;
	int			rpos,
				cpos;
	char	   *fill = NULL;
	char	   *buf;
	bool		is_coord;
	MemoryContext old = MemoryContextSwitchTo(varcxt);

	NC(s, nc_inq_vartype(in, v->varid, &type));
	NC(s, nc_inq_type(in, type, NULL, &tsize));
	for (int d = 0; d < nd; d++)
	{
		DimWindow  *w = dim_window(s, v->dimids[d]);

		if (w)
		{
			S[d] = w->start;
			W[d] = w->count;
		}
		else
		{
			S[d] = 0;
			NC(s, nc_inq_dimlen(in, v->dimids[d], &W[d]));
		}
		total = nc_size_mul(&s->what, total, W[d]);
	}
	if (total == 0)
	{
		MemoryContextSwitchTo(old);
		return;
	}
	if (nd == 0)
	{
		buf = palloc0(Max(tsize, 16));
		NC(s, nc_get_var(in, v->varid, buf));
		NC(s, nc_put_var(v->out_grpid, v->out_varid, buf));
		if (type == NC_STRING)
			NC(s, nc_free_string(1, (char **) buf));
		MemoryContextSwitchTo(old);
		return;
	}

	/* masking: numeric variables with a _FillValue, not coordinate variables */
	choose_mask(s, v, &mode, &ph, &rpos, &cpos);
	is_coord = false;
	if (nd == 1)
	{
		char		dname[NC_MAX_NAME + 1];

		dim_name(s, in, v->dimids[0], dname);
		is_coord = strcmp(dname, v->name) == 0;
	}
	if (mode != MASK_NONE && !is_coord && type != NC_STRING && type != NC_CHAR)
	{
		nc_type		ft;
		size_t		flen;
		int			st = nc_inq_att(v->out_grpid, v->out_varid, "_FillValue", &ft, &flen);

		/* the output's own, converted to the variable's type if need be */
		if (st != NC_ENOTATT)
			NC(s, st);
		if (st == NC_NOERR && ft == type && flen == 1)
		{
			fill = palloc(tsize);
			NC(s, nc_get_att(v->out_grpid, v->out_varid, "_FillValue", fill));
		}
	}
	if (fill == NULL)
		mode = MASK_NONE;

	/* block shape: whole trailing dims, a slab of dim k */
	budget = Max(1, SUBSET_BLOCK_BYTES / tsize);
	for (int d = 0; d < nd; d++)
		ochunk[d] = 0;
	NC(s, nc_inq_var_chunking(v->out_grpid, v->out_varid, &storage, ochunk));
	/* inner <= budget throughout, so no product below overflows */
	k = nd - 1;
	inner = 1;
	while (k > 0 && W[k] <= budget / inner)
	{
		inner *= W[k];
		k--;
	}
	if (W[k] <= budget / inner)
		bk = W[k];
	else
	{
		bk = Max(1, budget / inner);
		if (storage == NC_CHUNKED && ochunk[k] > 0 && bk >= ochunk[k])
			bk -= bk % ochunk[k];
	}

	/* room in the chunk caches for the chunks one block touches */
	{
		size_t		cache = Min((size_t) SUBSET_CACHE_MAX, 2 * bk * inner * tsize + (1 << 20));

		set_chunk_cache(s, in, v->varid, true, cache, 1009);
		if (storage == NC_CHUNKED)
			set_chunk_cache(s, v->out_grpid, v->out_varid, false, cache, 1009);
	}

	buf = MemoryContextAllocHuge(varcxt, bk * inner * tsize);
	for (int d = 0; d < nd; d++)
		idx[d] = 0;
	for (;;)
	{
		size_t		n;

		CHECK_FOR_INTERRUPTS();
		for (int d = 0; d < nd; d++)
		{
			if (d < k)
				count[d] = 1;
			else if (d == k)
				count[d] = Min(bk, W[d] - idx[d]);
			else
				count[d] = W[d];
			start[d] = S[d] + idx[d];
			ostart[d] = idx[d];
		}
		n = 1;
		for (int d = nd - 1; d >= 0; d--)
		{
			stride[d] = n;
			n *= count[d];
		}
		if (type == NC_STRING)
		{
			NC(s, nc_get_vara_string(in, v->varid, start, count, (char **) buf));
			NC(s, nc_put_vara_string(v->out_grpid, v->out_varid, ostart, count,
									 (const char **) buf));
			NC(s, nc_free_string(n, (char **) buf));
		}
		else
		{
			NC(s, nc_get_vara(in, v->varid, start, count, buf));
			if (mode == MASK_PIXEL && cpos == nd - 1 && rpos == nd - 2)
			{
				/* (..., row, col): rows of pixels, no division per element */
				size_t		nrow = count[rpos],
							ncol = count[cpos],
							e = 0;

				while (e < n)
					for (size_t r = 0; r < nrow; r++)
					{
						size_t		base = (start[rpos] + r) * ph->ncols + start[cpos];

						for (size_t c = 0; c < ncol; c++, e++)
							if (!bit_get(ph->mask, base + c))
								memcpy(buf + e * tsize, fill, tsize);
					}
			}
			else if (mode == MASK_PIXEL && cpos >= 0)
			{
				/* the common layouts first: (..., row, col) with leading size-1 dims */
				for (size_t e = 0; e < n; e++)
				{
					size_t		row = start[rpos] + (e / stride[rpos]) % count[rpos];
					size_t		col = start[cpos] + (e / stride[cpos]) % count[cpos];

					if (!bit_get(ph->mask, row * ph->ncols + col))
						memcpy(buf + e * tsize, fill, tsize);
				}
			}
			else if (mode == MASK_PIXEL)
			{
				for (size_t e = 0; e < n; e++)
				{
					size_t		row = start[rpos] + (e / stride[rpos]) % count[rpos];

					if (!bit_get(ph->mask, row))
						memcpy(buf + e * tsize, fill, tsize);
				}
			}
			else if (mode == MASK_ROW)
			{
				for (size_t e = 0; e < n; e++)
				{
					size_t		row = start[rpos] + (e / stride[rpos]) % count[rpos];

					if (!bit_get(ph->rowhit, row))
						memcpy(buf + e * tsize, fill, tsize);
				}
			}
			NC(s, nc_put_vara(v->out_grpid, v->out_varid, ostart, count, buf));
		}
		check_temp_limit(s);

		/* next block: advance dim k, then the odometer over dims < k */
		idx[k] += count[k];
		if (idx[k] < W[k])
			continue;
		idx[k] = 0;
		{
			int			d = k - 1;

			while (d >= 0)
			{
				if (++idx[d] < W[d])
					break;
				idx[d] = 0;
				d--;
			}
			if (d < 0)
				break;
		}
	}
	/* let go of the decompressed chunks */
	set_chunk_cache(s, in, v->varid, true, SUBSET_CACHE_IDLE, 7);
	if (storage == NC_CHUNKED)
		set_chunk_cache(s, v->out_grpid, v->out_varid, false, SUBSET_CACHE_IDLE, 7);
	MemoryContextSwitchTo(old);
}

/* ---------- the whole operation ---------- */

bool
subset_granule(ObjectRecord *rec, Region *region, List *variables,
			   const char *request, SubsetResult *res)
{
	Subset	   *s = palloc0(sizeof(Subset));
	int64		nhits = 0;
	int			old_fill;
	MemoryContext varcxt;

	s->label = psprintf("object %s", wosoid_to_cstring(rec->oid));
	s->out = -1;
	s->region = region;
	s->lat_min = 1;
	s->lat_max = -1;
	s->what.label = s->label;
	s->what.task = NC_TASK_SUBSET;

	s->sw = nc_swath_open(granule_file(rec), s->label);
	s->in = s->sw->ncid;
	NC(s, nc_inq_format(s->in, &s->in_format));
	if (s->in_format == NC_FORMAT_NETCDF4_CLASSIC)
		s->in_format = NC_FORMAT_NETCDF4;

	find_hits(s);
	res->npairs_hit = 0;
	for (int i = 0; i < s->sw->npairs; i++)
	{
		nhits += s->hits[i].nhits;
		if (s->hits[i].nhits > 0)
			res->npairs_hit++;
	}
	res->pixels = nhits;
	if (nhits == 0)
	{
		nc_swath_close(s->sw);
		return false;
	}
	make_windows(s);
	collect_vars(s);
	select_vars(s, variables);

	/* interXact = false: closed and deleted at transaction end whatever happens */
	res->file = OpenTemporaryFile(false);
	s->out_path = pstrdup(FilePathName(res->file));
	NC(s, nc_create(s->out_path, NC_NETCDF4 | NC_CLOBBER, &s->out));
	s->out_handle = nc_handle_register(s->out, true);
	NC(s, nc_set_fill(s->out, NC_NOFILL, &old_fill));
	define_group(s, s->in, s->out, 0);
	rewrite_globals(s, request);
	NC(s, nc_enddef(s->out));

	varcxt = AllocSetContextCreate(CurrentMemoryContext, "swath_subset variable",
								   ALLOCSET_DEFAULT_SIZES);
	for (int i = 0; i < s->nvars; i++)
	{
		if (!s->vars[i].keep)
			continue;
		copy_var(s, &s->vars[i], varcxt);
		MemoryContextReset(varcxt);
	}
	MemoryContextDelete(varcxt);
	s->out = -1;
	NC(s, nc_handle_close(s->out_handle));
	nc_swath_close(s->sw);
	check_temp_limit(s);
	res->size = FileSize(res->file);
	if (res->size <= 0)
		ereport(ERROR,
				(errcode_for_file_access(),
				 errmsg("could not read the subset written to \"%s\": %m", s->out_path)));
	return true;
}

/* ---------- SQL ---------- */

/* the region argument: WKB, its SRID and the kind of edges */
static Region *
region_arg(FunctionCallInfo fcinfo, int argno)
{
	bytea	   *wkb = PG_GETARG_BYTEA_PP(argno);
	int32		srid = PG_GETARG_INT32(argno + 1);
	bool		spherical = PG_GETARG_BOOL(argno + 2);

	if (srid != 4326 && srid != 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("region must be in longitude/latitude (SRID 4326)"),
				 errdetail("Its SRID is %d.", srid),
				 errhint("Transform it with ST_Transform(region, 4326).")));
	return region_from_wkb(VARDATA_ANY(wkb), VARSIZE_ANY_EXHDR(wkb), spherical);
}

static List *
variables_arg(FunctionCallInfo fcinfo, int argno)
{
	ArrayType  *arr;
	Datum	   *elems;
	bool	   *nulls;
	int			n;
	List	   *res = NIL;

	if (PG_ARGISNULL(argno))
		return NIL;
	arr = PG_GETARG_ARRAYTYPE_P(argno);
	deconstruct_array(arr, TEXTOID, -1, false, TYPALIGN_INT, &elems, &nulls, &n);
	for (int i = 0; i < n; i++)
		if (!nulls[i])
			res = lappend(res, text_to_cstring(DatumGetTextPP(elems[i])));
	if (res == NIL)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("variables must name at least one variable"),
				 errhint("Pass NULL to keep every variable.")));
	return res;
}

static char *
describe_request(WosOid oid, Region *region, List *variables)
{
	StringInfoData buf;
	ListCell   *lc;

	initStringInfo(&buf);
	appendStringInfo(&buf, "object %s, region of %s", wosoid_to_cstring(oid),
					 region_describe(region));
	if (variables != NIL)
	{
		appendStringInfoString(&buf, ", variables ");
		foreach(lc, variables)
			appendStringInfo(&buf, "%s%s", lc == list_head(variables) ? "" : ",",
							 (char *) lfirst(lc));
	}
	return buf.data;
}

/* read the subset file in blocks; sink gets each */
static void
read_result(SubsetResult *res, void (*sink) (void *arg, const char *data, size_t len), void *arg)
{
	char	   *buf = palloc(eoswath_io_block_size);
	off_t		pos = 0;

	while (pos < res->size)
	{
		int			want = (int) Min((int64) eoswath_io_block_size, res->size - pos);
		int			n;

		CHECK_FOR_INTERRUPTS();
		n = FileRead(res->file, buf, want, pos, WAIT_EVENT_BUFFILE_READ);
		if (n < 0)
			ereport(ERROR,
					(errcode_for_file_access(),
					 errmsg("could not read temporary file \"%s\": %m", FilePathName(res->file))));
		if (n == 0)
			ereport(ERROR,
					(errcode(ERRCODE_DATA_CORRUPTED),
					 errmsg("temporary file \"%s\" ended early", FilePathName(res->file))));
		sink(arg, buf, n);
		pos += n;
	}
	pfree(buf);
}

static void
sink_bytes(void *arg, const char *data, size_t len)
{
	char	  **p = arg;

	memcpy(*p, data, len);
	*p += len;
}

static void
sink_object(void *arg, const char *data, size_t len)
{
	object_write((ObjectWriter *) arg, data, len);
}

/*
 * swath_subset_wkb(oid, region wkb, srid, spherical, variables): the subset
 * as bytea, NULL if no pixel is inside.
 */
PG_FUNCTION_INFO_V1(swath_subset_wkb);
Datum
swath_subset_wkb(PG_FUNCTION_ARGS)
{
	MemoryContext cxt,
				old;
	WosOid		oid;
	Region	   *region;
	List	   *variables;
	SubsetResult res = {0};
	bytea	   *result;
	char	   *p;

	for (int i = 0; i < 4; i++)
		if (PG_ARGISNULL(i))
			PG_RETURN_NULL();
	oid = PG_GETARG_WOSOID(0);
	cxt = AllocSetContextCreate(CurrentMemoryContext, "swath_subset", ALLOCSET_DEFAULT_SIZES);
	old = MemoryContextSwitchTo(cxt);
	region = region_arg(fcinfo, 1);
	variables = variables_arg(fcinfo, 4);
	if (!subset_granule(catalog_fetch(oid, false), region, variables,
						describe_request(oid, region, variables), &res))
	{
		MemoryContextSwitchTo(old);
		MemoryContextDelete(cxt);
		PG_RETURN_NULL();
	}
	if (res.size > (int64) (MaxAllocSize - VARHDRSZ))
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("subset of object %s is too large for a bytea", wosoid_to_cstring(oid)),
				 errdetail("The subset is %lld bytes; a bytea holds at most 1 GB.", (long long) res.size),
				 errhint("Store it as an object with swath_subset_store(), or pass fewer variables.")));
	result = MemoryContextAllocHuge(old, res.size + VARHDRSZ);
	SET_VARSIZE(result, res.size + VARHDRSZ);
	p = VARDATA(result);
	read_result(&res, sink_bytes, &p);
	FileClose(res.file);
	MemoryContextSwitchTo(old);
	MemoryContextDelete(cxt);
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
	MemoryContext cxt,
				old;
	WosOid		oid,
				newoid;
	Region	   *region;
	List	   *variables;
	Policy	   *policy;
	Jsonb	   *meta = NULL;
	SubsetResult res = {0};
	ObjectWriter *w;
	ObjectRecord rec = {0};

	for (int i = 0; i < 4; i++)
		if (PG_ARGISNULL(i))
			PG_RETURN_NULL();
	oid = PG_GETARG_WOSOID(0);
	cxt = AllocSetContextCreate(CurrentMemoryContext, "swath_subset_store", ALLOCSET_DEFAULT_SIZES);
	old = MemoryContextSwitchTo(cxt);
	region = region_arg(fcinfo, 1);
	policy = catalog_get_policy(PG_ARGISNULL(4) ? eoswath_default_policy :
								text_to_cstring(PG_GETARG_TEXT_PP(4)));
	variables = variables_arg(fcinfo, 5);
	if (!PG_ARGISNULL(6))
		meta = PG_GETARG_JSONB_P(6);
	check_meta(meta);
	if (!subset_granule(catalog_fetch(oid, false), region, variables,
						describe_request(oid, region, variables), &res))
	{
		MemoryContextSwitchTo(old);
		MemoryContextDelete(cxt);
		PG_RETURN_NULL();
	}
	newoid = catalog_next_oid();
	object_lock(newoid, false);
	w = object_write_begin(newoid, policy);
	read_result(&res, sink_object, w);
	object_write_finish(w, &rec);
	FileClose(res.file);
	rec.state = OBJECT_STORED;
	rec.meta = meta;
	rec.encoding = "identity";
	catalog_insert(&rec);
	MemoryContextSwitchTo(old);
	MemoryContextDelete(cxt);
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
	Region	   *region = region_arg(fcinfo, 0);

	PG_RETURN_BOOL(region_contains(region, PG_GETARG_FLOAT8(4), PG_GETARG_FLOAT8(3)));
}
