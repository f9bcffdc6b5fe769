/*-------------------------------------------------------------------------
 *
 * nc_swath.c
 *	  Find and stream swath geolocation of Level-2 granules with netCDF-C.
 *
 * Geolocation discovery follows l2ss-py: in every group (nested groups too)
 * a variable is a latitude candidate if its name is "lat" or "latitude"
 * (any case), its standard_name is "latitude", its units are degrees_north
 * (or a UDUNITS spelling of it), or it is named by some variable's
 * "coordinates" attribute and its name contains "lat"; longitude likewise.
 * A latitude candidate is paired with a longitude candidate of the same
 * group with the same dimensions, preferring the name obtained by replacing
 * "lat" by "lon" ("latitude" by "longitude").  Bounds variables are skipped.
 * Dimensions of length 1 are squeezed (TROPOMI (time=1, scanline, pixel));
 * what remains must be 1-D (along-track track) or 2-D (scan, pixel).
 *
 * Not every pair is a swath (pair_not_swath()): a pair whose names,
 * standard_name or long_name say it is the platform's or the sub-satellite
 * point's position (TROPOMI's SUPPORT_DATA/GEOLOCATIONS/satellite_latitude),
 * a 1-D pair in a support-data group beside a 2-D ground pair, and a pair
 * whose values equal those of a pair already kept (HDF-EOS5 swaths sharing
 * geolocation) are set aside in NcSwath.skipped with the reason, which
 * swath_geolocation() shows.
 *
 * Values equal to _FillValue or missing_value, outside valid_min/valid_max
 * or valid_range (compared in packed units, as CF says) or NaN are invalid;
 * then scale_factor and add_offset are applied.  Invalid pixels are
 * returned as NaN in both lat and lon.  Longitudes are normalised to
 * [-180, 180).
 *
 * The netCDF id is closed by a reset callback on the memory context the
 * NcSwath lives in (NcHandle), so an ereport(ERROR) anywhere never leaks
 * it.  Times are found by nc_time.c, only when asked for
 * (nc_swath_find_times): a footprint or the pixels need none, and reading
 * the time variables (VIIRS: a per-pixel sst_dtime) cost more than the
 * rest of opening.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <ctype.h>
#include <math.h>
#include <netcdf.h>

#include "miscadmin.h"

#include "nc.h"

/* at most this many values per hyperslab read */
#define NC_SWATH_BLOCK_VALUES	(1 << 18)
#define NC_SWATH_BLOCK_ROWS		4096

typedef enum
{
	CAND_LAT,
	CAND_LON
} CandKind;

typedef struct Cand
{
	int			grpid;
	int			varid;
	CandKind	kind;
	bool		used;
	char		name[NC_MAX_NAME + 1];
	int			ndims;
	int			dimids[NC_MAX_VAR_DIMS];
} Cand;

typedef struct CandList
{
	Cand	   *items;
	int			n;
	int			cap;
} CandList;

/*
 * Close the file now (the NcSwath stays readable); an ERROR closes it
 * anyway, through its memory context.
 */
void
nc_swath_close(NcSwath *sw)
{
	if (sw == NULL || sw->ncid < 0)
		return;
	sw->ncid = -1;
	NC_CHECK(&sw->what, nc_handle_close(sw->handle));
}

/* ---------- candidate discovery ---------- */

static bool
str_ieq(const char *a, const char *b)
{
	return pg_strcasecmp(a, b) == 0;
}

static bool
str_iends(const char *s, const char *suffix)
{
	size_t		ls = strlen(s),
				lx = strlen(suffix);

	return ls >= lx && pg_strcasecmp(s + ls - lx, suffix) == 0;
}

static bool
units_is(const char *units, bool north)
{
	static const char *const n_units[] = {
		"degrees_north", "degree_north", "degree_n", "degrees_n",
		"degreen", "degreesn", NULL
	};
	static const char *const e_units[] = {
		"degrees_east", "degree_east", "degree_e", "degrees_e",
		"degreee", "degreese", NULL
	};
	const char *const *u;

	if (units == NULL)
		return false;
	for (u = north ? n_units : e_units; *u; u++)
		if (str_ieq(units, *u))
			return true;
	return false;
}

static void
cand_add(NcSwath *sw, CandList *cl, int grpid, int varid, CandKind kind)
{
	Cand	   *c;
	int			i;
	nc_type		type;

	for (i = 0; i < cl->n; i++)
		if (cl->items[i].grpid == grpid && cl->items[i].varid == varid &&
			cl->items[i].kind == kind)
			return;
	NC_CHECK(&sw->what, nc_inq_vartype(grpid, varid, &type));
	if (type == NC_CHAR || type == NC_STRING || type >= NC_FIRSTUSERTYPEID)
		return;
	if (cl->n == cl->cap)
	{
		cl->cap = cl->cap ? cl->cap * 2 : 16;
		cl->items = cl->items ? repalloc(cl->items, cl->cap * sizeof(Cand))
			: palloc(cl->cap * sizeof(Cand));
	}
	c = &cl->items[cl->n];
	memset(c, 0, sizeof(*c));
	c->grpid = grpid;
	c->varid = varid;
	c->kind = kind;
	NC_CHECK(&sw->what, nc_inq_varndims(grpid, varid, &c->ndims));
	if (c->ndims < 1 || c->ndims > NC_SWATH_MAX_DIMS)
		return;
	NC_CHECK(&sw->what, nc_inq_var(grpid, varid, c->name, NULL, NULL,
								   c->dimids, NULL));
	/* bounds / corner variables are not pixel centres */
	if (str_iends(c->name, "_bnds") || str_iends(c->name, "_bounds") ||
		str_iends(c->name, "_bound") || str_iends(c->name, "_corner") ||
		str_iends(c->name, "_corners"))
		return;
	cl->n++;
}

/* the latitude and longitude candidates of one group's variables */
static void
scan_group(NcSwath *sw, int grpid, CandList *cl)
{
	int			nvars;
	int			varid;

	CHECK_FOR_INTERRUPTS();
	NC_CHECK(&sw->what, nc_inq_varids(grpid, &nvars, NULL));
	for (varid = 0; varid < nvars; varid++)
	{
		char		name[NC_MAX_NAME + 1];
		char	   *units;
		char	   *stdname;
		NcVarRef   *refs;
		int			nrefs;

		NC_CHECK(&sw->what, nc_inq_varname(grpid, varid, name));
		units = nc_att_text(&sw->what, grpid, varid, "units", NULL);
		stdname = nc_att_text(&sw->what, grpid, varid, "standard_name", NULL);

		if (str_ieq(name, "lat") || str_ieq(name, "latitude") ||
			(stdname && str_ieq(stdname, "latitude")) ||
			units_is(units, true))
			cand_add(sw, cl, grpid, varid, CAND_LAT);
		else if (str_ieq(name, "lon") || str_ieq(name, "longitude") ||
				 (stdname && str_ieq(stdname, "longitude")) ||
				 units_is(units, false))
			cand_add(sw, cl, grpid, varid, CAND_LON);

		/* named by a "coordinates" attribute, with "lat" or "lon" in the name */
		nrefs = nc_coordinates(&sw->what, grpid, varid, &refs);
		for (int i = 0; i < nrefs; i++)
		{
			const char *base = strrchr(refs[i].name, '/');

			base = base ? base + 1 : refs[i].name;
			if (nc_name_contains(base, "lat"))
				cand_add(sw, cl, refs[i].grpid, refs[i].varid, CAND_LAT);
			else if (nc_name_contains(base, "lon"))
				cand_add(sw, cl, refs[i].grpid, refs[i].varid, CAND_LON);
		}
		if (refs)
			pfree(refs);
		if (units)
			pfree(units);
		if (stdname)
			pfree(stdname);
	}
}

/* expected longitude name for a latitude name: lat->lon, latitude->longitude */
static void
expected_lon_name(const char *lat, char *out, size_t outlen)
{
	size_t		o = 0;
	const char *p = lat;

	while (*p && o + 10 < outlen)
	{
		if (pg_strncasecmp(p, "latitude", 8) == 0)
		{
			memcpy(out + o, isupper((unsigned char) p[0]) ? "Longitude" :
				   "longitude", 9);
			o += 9;
			p += 8;
		}
		else if (pg_strncasecmp(p, "lat", 3) == 0)
		{
			memcpy(out + o, isupper((unsigned char) p[0]) ? "Lon" : "lon", 3);
			o += 3;
			p += 3;
		}
		else
			out[o++] = *p++;
	}
	out[o] = '\0';
}

static bool
same_dims(const Cand *a, const Cand *b)
{
	return a->ndims == b->ndims &&
		memcmp(a->dimids, b->dimids, a->ndims * sizeof(int)) == 0;
}

/* ---------- open ---------- */

static void
make_pair(NcSwath *sw, const Cand *lat, const Cand *lon, NcGeoPair *p)
{
	const NcWhat *w = &sw->what;
	int			i;
	int			nkept = 0;
	int			kept[NC_SWATH_MAX_DIMS];
	nc_type		t;
	int			storage;
	size_t		chunks[NC_MAX_VAR_DIMS];

	memset(p, 0, sizeof(*p));
	p->grpid = lat->grpid;
	p->lat_varid = lat->varid;
	p->lon_varid = lon->varid;
	p->lat_name = pstrdup(lat->name);
	p->lon_name = pstrdup(lon->name);
	p->group_path = nc_group_path(w, lat->grpid);
	p->ndims = lat->ndims;
	for (i = 0; i < lat->ndims; i++)
	{
		char		dname[NC_MAX_NAME + 1];

		NC_CHECK(w, nc_inq_dim(lat->grpid, lat->dimids[i], dname, &p->shape[i]));
		p->dim_names[i] = pstrdup(dname);
		if (p->shape[i] != 1)
			kept[nkept++] = i;
	}
	if (nkept == 0)
		kept[nkept++] = lat->ndims - 1;
	p->row_dim = kept[0];
	p->col_dim = nkept > 1 ? kept[1] : -1;
	p->nrows = p->shape[p->row_dim];
	p->ncols = nkept > 1 ? p->shape[p->col_dim] : 1;
	/* every later product of rows, columns and a value's size fits */
	(void) nc_size_mul(w, nc_size_mul(w, p->nrows, p->ncols), sizeof(double));
	nc_read_packing(w, lat->grpid, lat->varid, &p->lat_pack);
	nc_read_packing(w, lon->grpid, lon->varid, &p->lon_pack);
	NC_CHECK(w, nc_inq_vartype(lat->grpid, lat->varid, &t));
	p->lat_float = t == NC_FLOAT;
	NC_CHECK(w, nc_inq_vartype(lon->grpid, lon->varid, &t));
	p->lon_float = t == NC_FLOAT;
	NC_CHECK(w, nc_inq_var_chunking(lat->grpid, lat->varid, &storage, chunks));
	p->chunk_rows = storage == NC_CHUNKED ? chunks[p->row_dim] : 0;
	/* the time range is found when asked for: nc_swath_find_times() */
}

static int
squeezed_ndims(NcSwath *sw, const Cand *c)
{
	int			i,
				n = 0;

	for (i = 0; i < c->ndims; i++)
	{
		size_t		len;

		NC_CHECK(&sw->what, nc_inq_dimlen(c->grpid, c->dimids[i], &len));
		if (len != 1)
			n++;
	}
	return n;
}

/* does a name or attribute text mention the platform's own position? */
static bool
says_platform(const char *s)
{
	static const char *const words[] = {
		"satellite", "spacecraft", "platform", "subsat", "sub_sat",
		"sub-sat", NULL
	};

	if (s == NULL)
		return false;
	for (const char *const *w = words; *w; w++)
		if (nc_name_contains(s, *w))
			return true;
	return false;
}

/* a variable's name, standard_name or long_name says platform position */
static bool
var_says_platform(NcSwath *sw, int grpid, int varid, const char *name)
{
	bool		r = says_platform(name);

	for (int k = 0; !r && k < 2; k++)
	{
		char	   *t = nc_att_text(&sw->what, grpid, varid,
									k == 0 ? "standard_name" : "long_name", NULL);

		r = says_platform(t);
		if (t)
			pfree(t);
	}
	return r;
}

/* are the values of two pairs of the same shape equal (NaN equal to NaN)? */
static bool
pairs_equal(NcSwath *sw, int a, int b)
{
	NcGeoPair  *pa = &sw->pairs[a];
	size_t		block = Max((size_t) 1, (size_t) (1 << 16) / Max(pa->ncols, (size_t) 1));
	size_t		n = nc_size_mul(&sw->what, block, pa->ncols);
	double	   *v[4];
	bool		same = true;

	for (int k = 0; k < 4; k++)
		v[k] = nc_alloc_array(&sw->what, n, sizeof(double));
	for (size_t r = 0; same && r < pa->nrows; r += block)
	{
		size_t		nr = Min(block, pa->nrows - r);

		CHECK_FOR_INTERRUPTS();
		nc_swath_read_rows(sw, a, r, nr, v[0], v[1]);
		nc_swath_read_rows(sw, b, r, nr, v[2], v[3]);
		for (size_t i = 0; same && i < nr * pa->ncols; i++)
			for (int k = 0; k < 2; k++)
				if (!(v[k][i] == v[k + 2][i] ||
					  (isnan(v[k][i]) && isnan(v[k + 2][i]))))
					same = false;
	}
	for (int k = 0; k < 4; k++)
		pfree(v[k]);
	return same;
}

/*
 * Why pair i is not a swath of ground pixels, or NULL; pairs before i have
 * been classified already (kept[j]).
 */
static char *
pair_not_swath(NcSwath *sw, int i, const bool *kept, bool have_2d)
{
	NcGeoPair  *p = &sw->pairs[i];

	if (var_says_platform(sw, p->grpid, p->lat_varid, p->lat_name) ||
		var_says_platform(sw, p->grpid, p->lon_varid, p->lon_name))
		return psprintf("platform position: the name, standard_name or long_name of %s/%s says it is the satellite's (sub-satellite point's) position, not ground pixels",
						strcmp(p->group_path, "/") == 0 ? "" : p->group_path, p->lat_name);
	if (p->col_dim < 0 && have_2d &&
		(nc_name_contains(p->group_path, "support") ||
		 nc_name_contains(p->group_path, "geolocations")))
		return psprintf("support data: a 1-D pair in the support-data group %s beside a 2-D pair of ground pixels",
						p->group_path);
	for (int j = 0; j < i; j++)
	{
		NcGeoPair  *q = &sw->pairs[j];

		if (kept[j] && q->nrows == p->nrows && q->ncols == p->ncols &&
			pairs_equal(sw, j, i))
			return psprintf("duplicate: the same values as %s%s%s, which is used",
							strcmp(q->group_path, "/") == 0 ? "" : q->group_path,
							"/", q->lat_name);
	}
	return NULL;
}

/* move the pairs that are not swaths to sw->skipped, with the reason */
static void
classify_pairs(NcSwath *sw)
{
	bool	   *kept = palloc0(Max(1, sw->npairs) * sizeof(bool));
	bool		have_2d = false;
	NcGeoPair  *keep = palloc0(Max(1, sw->npairs) * sizeof(NcGeoPair));
	int			nkeep = 0;

	for (int i = 0; i < sw->npairs; i++)
		if (sw->pairs[i].col_dim >= 0 &&
			!var_says_platform(sw, sw->pairs[i].grpid, sw->pairs[i].lat_varid,
							   sw->pairs[i].lat_name))
			have_2d = true;
	sw->skipped = palloc0(Max(1, sw->npairs) * sizeof(NcGeoPair));
	for (int i = 0; i < sw->npairs; i++)
	{
		char	   *why = pair_not_swath(sw, i, kept, have_2d);

		kept[i] = (why == NULL);
		if (why)
		{
			sw->skipped[sw->nskipped] = sw->pairs[i];
			sw->skipped[sw->nskipped++].skip_reason = why;
		}
		else
			keep[nkeep++] = sw->pairs[i];
	}
	pfree(sw->pairs);
	pfree(kept);
	sw->pairs = keep;
	sw->npairs = nkeep;
}

NcSwath *
nc_swath_open(const char *path, const char *label)
{
	NcSwath    *sw;
	int			ncid;
	int			status;
	CandList	cl = {NULL, 0, 0};
	int		   *groups;
	int			ngroups;
	int			i,
				j;

	/*
	 * A system error (errno, positive) is about the file; running out of
	 * memory (a header that declares huge sizes) is the helper's memory
	 * limit; any other netCDF code means the bytes are not a granule.
	 */
	status = nc_open(path, NC_NOWRITE, &ncid);
	if (status == NC_ENOMEM || status == ENOMEM)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("could not open %s as a netCDF or HDF5 file", label),
				 errdetail("nc_open failed: %s (code %d), within eoswath.granule_memory_limit.",
						   nc_strerror(status), status)));
	if (status != NC_NOERR)
		ereport(ERROR,
				(errcode(status == NC_ENOTNC || status == NC_EHDFERR ?
						 ERRCODE_INVALID_PARAMETER_VALUE :
						 status == ENOENT ? ERRCODE_UNDEFINED_FILE : ERRCODE_DATA_CORRUPTED),
				 errmsg("could not open %s as a netCDF or HDF5 file", label),
				 errdetail("nc_open failed: %s (code %d).",
						   nc_strerror(status), status)));

	sw = palloc0(sizeof(NcSwath));
	sw->ncid = ncid;
	sw->handle = nc_handle_register(ncid, false);
	sw->path = pstrdup(path);
	sw->label = pstrdup(label);
	sw->what.label = sw->label;
	sw->what.task = NC_TASK_READ;

	groups = nc_groups(&sw->what, ncid, &ngroups);
	for (i = 0; i < ngroups; i++)
		scan_group(sw, groups[i], &cl);
	pfree(groups);

	/* pair latitude with longitude candidates */
	sw->pairs = palloc0(Max(1, cl.n) * sizeof(NcGeoPair));
	for (i = 0; i < cl.n; i++)
	{
		Cand	   *lat = &cl.items[i];
		Cand	   *best = NULL;
		char		want[2 * NC_MAX_NAME + 1];
		int			nsame = 0;
		int			sq;

		if (lat->kind != CAND_LAT)
			continue;
		sq = squeezed_ndims(sw, lat);
		if (sq > 2)
			continue;			/* not a swath geolocation array */
		expected_lon_name(lat->name, want, sizeof(want));
		for (j = 0; j < cl.n; j++)
		{
			Cand	   *lon = &cl.items[j];

			if (lon->kind != CAND_LON || lon->used ||
				lon->grpid != lat->grpid || !same_dims(lat, lon))
				continue;
			nsame++;
			if (str_ieq(lon->name, want))
			{
				best = lon;
				break;
			}
			if (best == NULL)
				best = lon;
		}
		if (best == NULL || (nsame > 1 && !str_ieq(best->name, want)))
			continue;
		best->used = true;
		make_pair(sw, lat, best, &sw->pairs[sw->npairs++]);
	}
	classify_pairs(sw);

	if (sw->npairs == 0 && sw->nskipped > 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("no swath geolocation found in %s", label),
				 errdetail("The only latitude/longitude pair%s found %s not a swath: %s.",
						   sw->nskipped > 1 ? "s" : "",
						   sw->nskipped > 1 ? "are" : "is",
						   sw->skipped[0].skip_reason)));
	if (sw->npairs == 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("no swath geolocation found in %s", label),
				 errdetail("No latitude/longitude variable pair with the same 1-D or 2-D (scan, pixel) dimensions was found in any group."),
				 errhint("Gridded (Level-3) files with separate lat(lat) and lon(lon) axes are not swaths.")));
	return sw;
}

/*
 * The time ranges of all pairs, the swaths and those set aside, found once.
 * Whoever reports or copies times (describe, subset) calls this first.
 */
void
nc_swath_find_times(NcSwath *sw)
{
	if (sw->times_found)
		return;
	for (int i = 0; i < sw->npairs; i++)
		nc_time_find(sw, &sw->pairs[i]);
	for (int i = 0; i < sw->nskipped; i++)
		nc_time_find(sw, &sw->skipped[i]);
	sw->times_found = true;
}

/* ---------- reading ---------- */

/* start/count of rows [row0, row0 + nrows) of a pair's geolocation */
static NcGeoPair *
geo_slab(NcSwath *sw, int pair, size_t row0, size_t nrows, size_t *start,
		 size_t *count)
{
	NcGeoPair  *p;

	Assert(pair >= 0 && pair < sw->npairs);
	if (sw->ncid < 0)
		elog(ERROR, "%s is already closed", sw->label);
	p = &sw->pairs[pair];
	if (nrows > p->nrows || row0 > p->nrows - nrows)
		ereport(ERROR,
				(errcode(ERRCODE_ARRAY_SUBSCRIPT_ERROR),
				 errmsg("scan line range %zu..%zu out of bounds",
						row0, row0 + nrows),
				 errdetail("The swath %s/%s has %zu scan lines.",
						   p->group_path, p->lat_name, p->nrows)));
	for (int i = 0; i < p->ndims; i++)
	{
		start[i] = 0;
		count[i] = p->shape[i] == 1 ? 1 : p->shape[i];
	}
	start[p->row_dim] = row0;
	count[p->row_dim] = nrows;
	return p;
}

/*
 * Packed values -> degrees, NaN if invalid (nc_swath_unpack_one()).  A
 * float widens to double exactly, as netCDF's own conversion does, so float
 * and double input give the same bits.
 */
static void
unpack_geo(const NcPacking *pkp, bool is_lat, const float *fin,
		   const double *din, size_t n, double *out)
{
	/* a local copy: stores to out[] cannot alias it, so it stays in registers */
	NcPacking	pk = *pkp;
	NcUnpack	u;

	nc_swath_unpack_prepare(&pk, &u);
	if (fin)
	{
		for (size_t k = 0; k < n; k++)
			out[k] = nc_swath_unpack_one(&u, is_lat, (double) fin[k]);
	}
	else
	{
		for (size_t k = 0; k < n; k++)
			out[k] = nc_swath_unpack_one(&u, is_lat, din[k]);
	}
}

/* read one geolocation variable for rows [row0, row0 + nrows), unpacked, NaN if invalid */
static void
read_geo_rows(NcSwath *sw, int pair, size_t row0, size_t nrows, bool is_lat,
			  double *out)
{
	NcGeoPair  *p;
	size_t		start[NC_SWATH_MAX_DIMS];
	size_t		count[NC_SWATH_MAX_DIMS];

	p = geo_slab(sw, pair, row0, nrows, start, count);
	if (nrows * p->ncols == 0)
		return;
	NC_CHECK(&sw->what, nc_get_vara_double(p->grpid, is_lat ? p->lat_varid : p->lon_varid,
								   start, count, out));
	unpack_geo(is_lat ? &p->lat_pack : &p->lon_pack, is_lat, NULL, out,
			   nrows * p->ncols, out);
}

void
nc_swath_read_raw(NcSwath *sw, int pair, bool is_lat, size_t row0,
				  size_t nrows, void *raw)
{
	NcGeoPair  *p;
	size_t		start[NC_SWATH_MAX_DIMS];
	size_t		count[NC_SWATH_MAX_DIMS];
	int			varid;

	p = geo_slab(sw, pair, row0, nrows, start, count);
	if (nrows * p->ncols == 0)
		return;
	varid = is_lat ? p->lat_varid : p->lon_varid;
	if (is_lat ? p->lat_float : p->lon_float)
		NC_CHECK(&sw->what, nc_get_vara_float(p->grpid, varid, start, count, raw));
	else
		NC_CHECK(&sw->what, nc_get_vara_double(p->grpid, varid, start, count, raw));
}

void
nc_swath_raw_range(NcSwath *sw, int pair, bool is_lat, double lo, double hi,
				   double *raw_lo, double *raw_hi)
{
	NcGeoPair  *p = &sw->pairs[pair];
	const NcPacking *pk = is_lat ? &p->lat_pack : &p->lon_pack;
	double		a,
				b,
				m;

	/* latitudes just past the poles are clamped onto them */
	if (is_lat && lo <= -90.0)
		lo = -HUGE_VAL;
	if (is_lat && hi >= 90.0)
		hi = HUGE_VAL;
	if (!is_lat || pk->scale_factor == 0.0 || !isfinite(pk->scale_factor) ||
		!isfinite(pk->add_offset))
	{
		/* longitudes fold; no useful range */
		*raw_lo = -HUGE_VAL;
		*raw_hi = HUGE_VAL;
		return;
	}
	a = (lo - pk->add_offset) / pk->scale_factor;
	b = (hi - pk->add_offset) / pk->scale_factor;
	if (a > b)
	{
		m = a;
		a = b;
		b = m;
	}
	/* generous room for the rounding of v * scale + offset and of float */
	m = 1e-5 * (fabs(a) + fabs(b)) + 1e-5;
	*raw_lo = a - m;
	*raw_hi = b + m;
	if (isnan(*raw_lo) || isnan(*raw_hi))
	{
		*raw_lo = -HUGE_VAL;
		*raw_hi = HUGE_VAL;
	}
}

void
nc_swath_read_rows(NcSwath *sw, int pair, size_t row0, size_t nrows,
				   double *lat, double *lon)
{
	size_t		n = nrows * sw->pairs[pair].ncols;

	read_geo_rows(sw, pair, row0, nrows, true, lat);
	read_geo_rows(sw, pair, row0, nrows, false, lon);
	for (size_t k = 0; k < n; k++)
		if (isnan(lat[k]) || isnan(lon[k]))
			lat[k] = lon[k] = NAN;
}

NcSwathIter *
nc_swath_iter_begin(NcSwath *sw, int pair, size_t block_rows)
{
	NcSwathIter *it = palloc0(sizeof(NcSwathIter));
	NcGeoPair  *p = &sw->pairs[pair];
	size_t		cap;

	it->sw = sw;
	it->pair = pair;
	it->next_row = 0;
	if (block_rows == 0)
		block_rows = Min(NC_SWATH_BLOCK_ROWS,
						 Max(1, NC_SWATH_BLOCK_VALUES / Max(1, p->ncols)));
	it->block_rows = Max(1, Min(block_rows, Max(1, p->nrows)));
	cap = nc_size_mul(&sw->what, it->block_rows, Max(1, p->ncols));
	it->blk.lat = nc_alloc_array(&sw->what, cap, sizeof(double));
	it->blk.lon = nc_alloc_array(&sw->what, cap, sizeof(double));
	it->blk.ncols = p->ncols;
	return it;
}

NcSwathBlock *
nc_swath_iter_next(NcSwathIter *it)
{
	NcGeoPair  *p = &it->sw->pairs[it->pair];
	size_t		n;

	CHECK_FOR_INTERRUPTS();
	if (it->next_row >= p->nrows)
		return NULL;
	n = Min(it->block_rows, p->nrows - it->next_row);
	nc_swath_read_rows(it->sw, it->pair, it->next_row, n,
					   it->blk.lat, it->blk.lon);
	it->blk.row0 = it->next_row;
	it->blk.nrows = n;
	it->next_row += n;
	return &it->blk;
}

void
nc_swath_iter_end(NcSwathIter *it)
{
	pfree(it->blk.lat);
	pfree(it->blk.lon);
	pfree(it);
}
