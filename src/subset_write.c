/*-------------------------------------------------------------------------
 *
 * subset_write.c
 *	  swath_subset()'s output: the part of a granule inside a region, as a
 *	  new netCDF-4 file (pass 2, after subset_window.c's pass 1).
 *
 * Semantics follow PO.DAAC's l2ss-py.  A pixel is in the region when its
 * centre (latitude/longitude after scale and offset, fill skipped) lies in
 * the region, boundary included.  For each swath (latitude/longitude pair)
 * the output keeps the index window of scan lines and pixels holding at
 * least one hit; a dimension shared by several swaths gets the union of
 * their windows.  Inside the window, values of pixels outside the region
 * become the variable's _FillValue (variables without one are copied as
 * they are, as l2ss-py does; so are coordinate variables).  A variable with
 * the swath's scan dimension but not its pixel dimension (per-scan values)
 * is filled on the scan lines with no hit.  Variables without swath
 * dimensions are copied whole.  Groups, dimensions, types, attributes,
 * chunking and filters are kept, attributes of every type (NC_STRING too);
 * history is appended (a string history, NC_STRING, stays one string: its
 * strings joined by newlines, then the new line), history_json gets an
 * entry as l2ss-py writes it (the Harmony history schema), and
 * geospatial_lat/lon_min/max (from the kept pixels) and
 * time_coverage_start/end (from the kept pixels' times, found in the output
 * as in a granule: subset_time_coverage()) are set.
 *
 * Memory is bounded: geolocation is streamed in row blocks (nc_swath.c),
 * the hit mask is tiled (bits only where the region's edge crosses; see
 * subset.h), and variables are copied one at a time in hyperslab blocks
 * of at most SUBSET_BLOCK_BYTES, aligned to the output chunks, with the
 * HDF5 chunk cache of each variable shrunk again once it is copied.  The
 * output goes to a file the caller created; since HDF5 writes it through
 * its own descriptor, its size is checked against the caller's bound after
 * every block.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <sys/stat.h>
#include <time.h>
#include <netcdf.h>
#include <netcdf_filter.h>

#include "miscadmin.h"
#include "utils/timestamp.h"

#include "subset.h"

/* delete an attribute of the output if it is there */
static void
del_att(Subset *s, int grpid, int varid, const char *name)
{
	int			st = nc_del_att(grpid, varid, name);

	if (st != NC_NOERR && st != NC_ENOTATT)
		nc_fail(&s->what, "nc_del_att(grpid, varid, name)", st);
}

/*
 * Is the output still within the caller's bound?  (Its size is noted for
 * the reply.)
 */
static bool
output_fits(Subset *s)
{
	struct stat st;

	if (stat(s->out_path, &st) != 0)
		ereport(ERROR,
				(errcode_for_file_access(),
				 errmsg("could not stat file \"%s\": %m", s->out_path)));
	s->out_size = (int64) st.st_size;
	return s->max_output_bytes < 0 || s->out_size <= s->max_output_bytes;
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
			sv->path = nc_var_path(&s->what, grpid, sv->name);
		}
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
select_vars(Subset *s, int nvariables, const char *const *variables)
{
	if (nvariables == 0)
	{
		for (int i = 0; i < s->nvars; i++)
			s->vars[i].keep = true;
		return;
	}
	for (int w = 0; w < nvariables; w++)
	{
		const char *want = variables[w];
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
	DimWindow  *w = subset_dim_window(s, dimid);

	return is_unlimited(s, grpid, dimid) || (w != NULL && w->count == 0);
}

/* length of a source dimension in the output */
static size_t
out_dim_len(Subset *s, int grpid, int dimid)
{
	DimWindow  *w = subset_dim_window(s, dimid);
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
		bytes = nc_size_mul(&s->what, bytes, Max(1, out_dim_len(s, in, v->dimids[d])));
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
			unsigned int *ids = nc_alloc_array(&s->what, nfilters, sizeof(unsigned int));

			NC(s, nc_inq_var_filter_ids(in, v->varid, &nfilters, ids));
			for (size_t f = 0; f < nfilters; f++)
			{
				size_t		np = 0;
				unsigned int *params;

				if (ids[f] == 1 || ids[f] == 2 || ids[f] == 3)
					continue;	/* deflate, shuffle, fletcher32: done above */
				NC(s, nc_inq_var_filter_info(in, v->varid, ids[f], &np, NULL));
				params = nc_alloc_array(&s->what, np + 1, sizeof(unsigned int));
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

#ifndef EOSWATH_VERSION
#define EOSWATH_VERSION "unknown"
#endif
#define HISTORY_SCHEMA "https://harmony.earthdata.nasa.gov/schemas/history/0.1.0/history-0.1.0.json"

/* s as a JSON string, quotes included */
static char *
json_quote(const char *s)
{
	size_t		n = strlen(s);
	char	   *out = palloc(n * 6 + 3);
	char	   *o = out;

	*o++ = '"';
	for (const unsigned char *c = (const unsigned char *) s; *c; c++)
	{
		if (*c == '"' || *c == '\\')
		{
			*o++ = '\\';
			*o++ = *c;
		}
		else if (*c == '\n')
		{
			*o++ = '\\';
			*o++ = 'n';
		}
		else if (*c < 0x20)
			o += sprintf(o, "\\u%04x", *c);
		else
			*o++ = *c;
	}
	*o++ = '"';
	*o = '\0';
	return out;
}

/*
 * history_json: the source's entries (a JSON array kept as it is) and ours,
 * as l2ss-py appends its own: date_time, derived_from (the object), program,
 * version, parameters (the request), $schema.
 */
static void
write_history_json(Subset *s, const char *now, const char *request)
{
	nc_type		t = NC_CHAR;
	char	   *old = nc_att_text(&s->what, s->in, NC_GLOBAL, "history_json", &t);
	const char *from = s->label ? s->label : "";
	char	   *entry;
	char	   *json;
	size_t		n;

	entry = psprintf("{\"$schema\": %s, \"date_time\": %s, \"derived_from\": %s, "
					 "\"program\": \"eoswath\", \"version\": %s, \"parameters\": %s}",
					 json_quote(HISTORY_SCHEMA), json_quote(now), json_quote(from),
					 json_quote(EOSWATH_VERSION), json_quote(request));
	/* the old array's entries, then ours; anything else is dropped */
	while (old && (*old == ' ' || *old == '\n' || *old == '\t'))
		old++;
	n = old ? strlen(old) : 0;
	while (n > 0 && (old[n - 1] == ' ' || old[n - 1] == '\n' || old[n - 1] == '\t'))
		n--;
	if (n >= 2 && old[0] == '[' && old[n - 1] == ']')
	{
		size_t		k = n - 1;

		while (k > 1 && (old[k - 1] == ' ' || old[k - 1] == '\n' || old[k - 1] == '\t'))
			k--;
		json = psprintf("%.*s%s%s]", (int) k, old, k > 1 ? ", " : "", entry);
	}
	else
		json = psprintf("[%s]", entry);
	del_att(s, s->out, NC_GLOBAL, "history_json");
	if (t == NC_STRING)
	{
		const char *strs[1] = {json};

		NC(s, nc_put_att_string(s->out, NC_GLOBAL, "history_json", 1, strs));
	}
	else
		NC(s, nc_put_att_text(s->out, NC_GLOBAL, "history_json", strlen(json), json));
}

/* history appended, history_json, geospatial bounds of the kept pixels */
static void
rewrite_globals(Subset *s, const char *request)
{
	nc_type		htype = NC_CHAR;
	char	   *old = nc_att_text(&s->what, s->in, NC_GLOBAL, "history", &htype);
	char		now[32];
	time_t		t = time(NULL);
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
	if (old && old[0])
		line = psprintf("%s\n%s", old, line);
	del_att(s, s->out, NC_GLOBAL, "history");
	if (htype == NC_STRING)
	{
		/* a string history stays a string: one, its old text, the new line */
		const char *strs[1] = {line};

		NC(s, nc_put_att_string(s->out, NC_GLOBAL, "history", 1, strs));
	}
	else
		NC(s, nc_put_att_text(s->out, NC_GLOBAL, "history", strlen(line), line));
	write_history_json(s, now, request);

	vals[0] = s->lat_min;
	vals[1] = s->lat_max;
	vals[2] = s->lon_min;
	vals[3] = s->lon_max;
	/* across the antimeridian the narrower range wraps: west > east (ACDD) */
	if (s->lon360_max - s->lon360_min < s->lon_max - s->lon_min)
	{
		vals[2] = s->lon360_min >= 180 ? s->lon360_min - 360 : s->lon360_min;
		vals[3] = s->lon360_max >= 180 ? s->lon360_max - 360 : s->lon360_max;
	}
	for (int i = 0; i < 4; i++)
	{
		nc_type		t;
		size_t		len;
		int			st = nc_inq_att(s->in, NC_GLOBAL, names[i], &t, &len);

		if (st != NC_NOERR && st != NC_ENOTATT)
			nc_fail(&s->what, "nc_inq_att(s->in, NC_GLOBAL, names[i], &t, &len)", st);
		if (st == NC_ENOTATT || t == NC_CHAR || t == NC_STRING || t > NC_STRING)
			t = NC_DOUBLE;
		del_att(s, s->out, NC_GLOBAL, names[i]);
		NC(s, nc_put_att_double(s->out, NC_GLOBAL, names[i], t, 1, &vals[i]));
	}
}

/* epoch seconds as ISO 8601 UTC, milliseconds when not whole */
static char *
iso_time(double t)
{
	double		whole = floor(t);
	int			ms = (int) rint((t - whole) * 1000.0);
	time_t		sec;
	struct tm	tm;
	char		buf[40];

	if (ms >= 1000)
	{
		whole += 1;
		ms = 0;
	}
	sec = (time_t) whole;
	gmtime_r(&sec, &tm);
	strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%S", &tm);
	return ms ? psprintf("%s.%03dZ", buf, ms) : psprintf("%sZ", buf);
}

/*
 * time_coverage_start/end of the subset: the time range of every swath with
 * hits, found in the output as nc_time.c finds it in a granule.  The time
 * variables there are cut to the window and masked like the others, so
 * their valid values are those of the scan lines holding kept pixels (of
 * the kept pixels themselves for per-pixel offsets such as sst_dtime).
 * When the output lacks the variables the source's times came from (they
 * were not selected), the source's attributes stay as they were copied.
 */
static void
write_time_coverage(Subset *s)
{
	NcSwath		osw = *s->sw;
	bool		found = false;
	double		t0 = 0,
				t1 = 0;

	osw.ncid = s->out;
	osw.what = s->what;
	for (int i = 0; i < s->sw->npairs; i++)
	{
		NcGeoPair	q = s->sw->pairs[i];
		int			gid = s->out;

		if (s->hits[i].nhits == 0)
			continue;
		if (strcmp(q.group_path, "/") != 0 &&
			nc_inq_grp_full_ncid(s->out, q.group_path, &gid) != NC_NOERR)
			continue;
		if (nc_inq_varid(gid, q.lat_name, &q.lat_varid) != NC_NOERR)
			continue;
		q.grpid = gid;
		nc_time_find(&osw, &q);
		/* not the source's own time (e.g. its offsets were not selected) */
		if (!q.has_time || !s->sw->pairs[i].has_time ||
			strcmp(q.time_var, s->sw->pairs[i].time_var) != 0)
			continue;
		t0 = found ? Min(t0, q.time_start) : q.time_start;
		t1 = found ? Max(t1, q.time_end) : q.time_end;
		found = true;
	}
	/* years 1 to 9999 (ISO 8601's four digits); else the source's stay */
	if (!found || !(t0 >= -62135596800.0 && t1 < 253402300800.0))
		return;
	NC(s, nc_redef(s->out));
	for (int k = 0; k < 2; k++)
	{
		const char *name = k == 0 ? "time_coverage_start" : "time_coverage_end";
		char	   *val = iso_time(k == 0 ? t0 : t1);

		del_att(s, s->out, NC_GLOBAL, name);
		NC(s, nc_put_att_text(s->out, NC_GLOBAL, name, strlen(val), val));
	}
	NC(s, nc_enddef(s->out));
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

/* n values of size tsize at p become fill */
static inline void
fill_values(char *p, const char *fill, size_t tsize, size_t n)
{
	switch (tsize)
	{
		case 1:
			memset(p, fill[0], n);
			break;
		case 2:
			{
				uint16		v;

				memcpy(&v, fill, 2);
				for (size_t i = 0; i < n; i++)
					memcpy(p + 2 * i, &v, 2);
			}
			break;
		case 4:
			{
				uint32		v;

				memcpy(&v, fill, 4);
				for (size_t i = 0; i < n; i++)
					memcpy(p + 4 * i, &v, 4);
			}
			break;
		case 8:
			{
				uint64		v;

				memcpy(&v, fill, 8);
				for (size_t i = 0; i < n; i++)
					memcpy(p + 8 * i, &v, 8);
			}
			break;
		default:
			for (size_t i = 0; i < n; i++)
				memcpy(p + i * tsize, fill, tsize);
	}
}

/*
 * Mask ncol values of one row (pixels col0, col0 + 1, ...) at p: a tile at a
 * time, so that the tiles wholly in (HIT_TILE_ALL) or out (NULL) of the
 * region cost nothing per pixel.
 */
static void
mask_row(const PairHits *h, size_t row, size_t col0, size_t ncol, char *p,
		 const char *fill, size_t tsize)
{
	size_t		c = 0;

	while (c < ncol)
	{
		size_t		col = col0 + c;
		size_t		span = Min(ncol - c, HIT_TILE - (col & (HIT_TILE - 1)));
		const uint64 *t = h->tiles[(row >> HIT_TILE_SHIFT) * h->tile_cols + (col >> HIT_TILE_SHIFT)];

		if (t == NULL)
			fill_values(p + c * tsize, fill, tsize, span);
		else if (t != HIT_TILE_ALL)
		{
			uint64		bits = t[row & (HIT_TILE - 1)] >> (col & (HIT_TILE - 1));

			for (size_t i = 0; i < span; i++)
				if (!((bits >> i) & 1))
					fill_values(p + (c + i) * tsize, fill, tsize, 1);
		}
		c += span;
	}
}

/*
 * Copy one variable's window, block by block, masking outside the region.
 * false: the output outgrew max_output_bytes, the copy stopped.
 */
static bool
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
		DimWindow  *w = subset_dim_window(s, v->dimids[d]);

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
		return true;
	}
	if (nd == 0)
	{
		buf = palloc0(Max(tsize, 16));
		NC(s, nc_get_var(in, v->varid, buf));
		NC(s, nc_put_var(v->out_grpid, v->out_varid, buf));
		if (type == NC_STRING)
			NC(s, nc_free_string(1, (char **) buf));
		MemoryContextSwitchTo(old);
		return output_fits(s);
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
		if (st != NC_NOERR && st != NC_ENOTATT)
			nc_fail(&s->what, "nc_inq_att(v->out_grpid, v->out_varid, \"_FillValue\", &ft, &flen)", st);
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

		subset_chunk_cache(s, in, v->varid, true, cache, 1009);
		if (storage == NC_CHUNKED)
			subset_chunk_cache(s, v->out_grpid, v->out_varid, false, cache, 1009);
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
						mask_row(ph, start[rpos] + r, start[cpos], ncol,
								 buf + e * tsize, fill, tsize);
						e += ncol;
					}
			}
			else if (mode == MASK_PIXEL && cpos >= 0)
			{
				/* the common layouts first: (..., row, col) with leading size-1 dims */
				for (size_t e = 0; e < n; e++)
				{
					size_t		row = start[rpos] + (e / stride[rpos]) % count[rpos];
					size_t		col = start[cpos] + (e / stride[cpos]) % count[cpos];

					if (!hit_get(ph, row, col))
						memcpy(buf + e * tsize, fill, tsize);
				}
			}
			else if (mode == MASK_PIXEL)
			{
				for (size_t e = 0; e < n; e++)
				{
					size_t		row = start[rpos] + (e / stride[rpos]) % count[rpos];

					if (!hit_get(ph, row, 0))
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
		if (!output_fits(s))
		{
			MemoryContextSwitchTo(old);
			return false;
		}

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
	subset_chunk_cache(s, in, v->varid, true, SUBSET_CACHE_IDLE, 7);
	if (storage == NC_CHUNKED)
		subset_chunk_cache(s, v->out_grpid, v->out_varid, false, SUBSET_CACHE_IDLE, 7);
	MemoryContextSwitchTo(old);
	return true;
}

/* ---------- the whole operation ---------- */

/*
 * granule_subset(): pass 1 over the geolocation, then, if any pixel is
 * inside, the output's definition and the copy of every kept variable.
 */
GranuleSubsetStatus
subset_run(NcSwath *sw, const GranuleSubsetRequest *req,
		   GranuleSubsetStats *stats)
{
	Subset	   *s = palloc0(sizeof(Subset));
	int64		nhits = 0;
	int			old_fill;
	MemoryContext varcxt;
	bool		fits = true;

	memset(stats, 0, sizeof(*stats));
	s->label = sw->label;
	s->what.label = s->label;
	s->what.task = NC_TASK_SUBSET;
	s->sw = sw;
	s->in = sw->ncid;
	s->out = -1;
	s->out_path = req->out_path;
	s->max_output_bytes = req->max_output_bytes;
	/* its grid is built by subset_find_hits(), beside the first reads */
	s->region = region_from_wkb(req->region_wkb, req->region_len, req->spherical);
	s->lat_min = 1;
	s->lat_max = -1;
	NC(s, nc_inq_format(s->in, &s->in_format));
	if (s->in_format == NC_FORMAT_NETCDF4_CLASSIC)
		s->in_format = NC_FORMAT_NETCDF4;

	subset_find_hits(s);
	for (int i = 0; i < sw->npairs; i++)
	{
		nhits += s->hits[i].nhits;
		if (s->hits[i].nhits > 0)
			stats->npairs_hit++;
	}
	stats->pixels = nhits;
	if (nhits == 0)
		return GRANULE_SUBSET_EMPTY;
	subset_make_windows(s);
	collect_vars(s);
	select_vars(s, req->nvariables, req->variables);

	NC(s, nc_create(s->out_path, NC_NETCDF4 | NC_CLOBBER, &s->out));
	s->out_handle = nc_handle_register(s->out, true);
	NC(s, nc_set_fill(s->out, NC_NOFILL, &old_fill));
	define_group(s, s->in, s->out, 0);
	rewrite_globals(s, req->request);
	NC(s, nc_enddef(s->out));

	varcxt = AllocSetContextCreate(CurrentMemoryContext, "swath_subset variable",
								   ALLOCSET_DEFAULT_SIZES);
	for (int i = 0; i < s->nvars && fits; i++)
	{
		if (!s->vars[i].keep)
			continue;
		fits = copy_var(s, &s->vars[i], varcxt);
		MemoryContextReset(varcxt);
	}
	MemoryContextDelete(varcxt);
	if (fits)
		write_time_coverage(s);
	s->out = -1;
	if (!fits)
	{
		/* an unfinished file: abort it, the caller throws it away */
		NC(s, nc_handle_abort(s->out_handle));
		stats->size = s->out_size;
		return GRANULE_SUBSET_TOO_LARGE;
	}
	NC(s, nc_handle_close(s->out_handle));
	if (!output_fits(s))
	{
		stats->size = s->out_size;
		return GRANULE_SUBSET_TOO_LARGE;
	}
	stats->size = s->out_size;
	return GRANULE_SUBSET_WRITTEN;
}
