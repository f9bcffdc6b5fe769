/*-------------------------------------------------------------------------
 *
 * quicklook_var.c
 *	  The variable a quicklook draws: found by path or name, checked
 *	  (numeric, on the grid of a swath), its packing and units, and its
 *	  values read in blocks of scan lines as physical values.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "quicklook_nc.h"

#define MAX_LISTED		40

/* ---------- the variable ---------- */

static bool
numeric_type(nc_type t)
{
	return t >= NC_BYTE && t <= NC_UINT64 && t != NC_CHAR && t != NC_STRING;
}

/*
 * Does a variable lie on the grid of a swath (pair)?  Its dimensions must
 * hold the pair's along-track and across-track dimensions, any other
 * being of length 1; or (netCDF-4 files without shared dimensions) its
 * shape must be the latitude's.
 */
static bool
var_fits(NcSwath *sw, int grpid, int varid, QlVar *v)
{
	int			ndims;
	int			dimids[NC_MAX_VAR_DIMS];
	size_t		len[NC_MAX_VAR_DIMS];

	NC_CHECK(&sw->what, nc_inq_varndims(grpid, varid, &ndims));
	if (ndims < 1 || ndims > NC_MAX_VAR_DIMS)
		return false;
	NC_CHECK(&sw->what, nc_inq_vardimid(grpid, varid, dimids));
	for (int d = 0; d < ndims; d++)
		NC_CHECK(&sw->what, nc_inq_dimlen(grpid, dimids[d], &len[d]));
	for (int p = 0; p < sw->npairs; p++)
	{
		NcGeoPair  *gp = &sw->pairs[p];
		int			latdims[NC_MAX_VAR_DIMS];
		int			rowid,
					colid;
		int			vr = -1,
					vc = -1;
		bool		ok = true;

		NC_CHECK(&sw->what, nc_inq_vardimid(gp->grpid, gp->lat_varid, latdims));
		rowid = latdims[gp->row_dim];
		colid = gp->col_dim >= 0 ? latdims[gp->col_dim] : -1;
		for (int d = 0; d < ndims && ok; d++)
		{
			if (dimids[d] == rowid && vr < 0)
				vr = d;
			else if (colid >= 0 && dimids[d] == colid && vc < 0)
				vc = d;
			else if (len[d] != 1)
				ok = false;
		}
		if (!ok || vr < 0 || (colid >= 0 && vc < 0))
		{
			/* the same shape as the latitude */
			ok = ndims == gp->ndims;
			for (int d = 0; d < ndims && ok; d++)
				ok = len[d] == gp->shape[d];
			if (!ok)
				continue;
			vr = gp->row_dim;
			vc = gp->col_dim;
		}
		if (len[vr] != gp->nrows || (vc >= 0 && len[vc] != gp->ncols))
			continue;
		v->pair = p;
		v->ndims = ndims;
		memcpy(v->shape, len, sizeof(size_t) * ndims);
		v->row_dim = vr;
		v->col_dim = vc;
		return true;
	}
	return false;
}

/* the variables a quicklook can draw, for a message */
static char *
drawable_vars(NcSwath *sw)
{
	StringInfoData buf;
	int			ngroups;
	int		   *groups = nc_groups(&sw->what, sw->ncid, &ngroups);
	int			listed = 0,
				more = 0;

	initStringInfo(&buf);
	for (int g = 0; g < ngroups; g++)
	{
		int			nvars;
		int		   *ids;

		NC_CHECK(&sw->what, nc_inq_varids(groups[g], &nvars, NULL));
		ids = palloc(sizeof(int) * Max(nvars, 1));
		NC_CHECK(&sw->what, nc_inq_varids(groups[g], &nvars, ids));
		for (int i = 0; i < nvars; i++)
		{
			char		name[NC_MAX_NAME + 1];
			nc_type		t;
			QlVar		v;

			NC_CHECK(&sw->what, nc_inq_var(groups[g], ids[i], name, &t, NULL, NULL, NULL));
			if (!numeric_type(t) || !var_fits(sw, groups[g], ids[i], &v))
				continue;
			if (listed++ < MAX_LISTED)
				appendStringInfo(&buf, "%s%s", listed > 1 ? ", " : "",
								 nc_var_path(&sw->what, groups[g], name));
			else
				more++;
		}
		pfree(ids);
	}
	if (more > 0)
		appendStringInfo(&buf, " and %d more", more);
	return listed > 0 ? buf.data : pstrdup("none");
}

/* find the variable by path or by name, check that it can be drawn */
void
ql_find_var(NcSwath *sw, const char *want, QlVar *v)
{
	int			ngroups;
	int		   *groups = nc_groups(&sw->what, sw->ncid, &ngroups);
	int			found = 0;
	StringInfoData paths;
	nc_type		type = NC_NAT;

	initStringInfo(&paths);
	for (int g = 0; g < ngroups; g++)
	{
		int			varid;
		const char *name = want;
		char	   *gpath = nc_group_path(&sw->what, groups[g]);

		if (want[0] == '/')
		{
			const char *slash = strrchr(want, '/');
			size_t		glen = slash - want;

			/* "/x" is in the root group "/", "/A/x" in "/A" */
			if (!(glen == 0 ? strcmp(gpath, "/") == 0 :
				  strlen(gpath) == glen && strncmp(gpath, want, glen) == 0))
				continue;
			name = slash + 1;
		}
		if (name[0] == '\0' || !nc_find_var(&sw->what, groups[g], name, &varid))
			continue;
		if (found++ == 0)
		{
			v->grpid = groups[g];
			v->varid = varid;
			v->path = nc_var_path(&sw->what, groups[g], name);
		}
		appendStringInfo(&paths, "%s%s", found > 1 ? ", " : "",
						 nc_var_path(&sw->what, groups[g], name));
	}
	if (found == 0)
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_OBJECT),
				 errmsg("variable \"%s\" not found in %s", want, sw->label),
				 errdetail("Variables that can be drawn: %s.", drawable_vars(sw)),
				 errhint("Name a variable by its path, such as \"/PRODUCT/methane_mixing_ratio\", or by its name.")));
	if (found > 1)
		ereport(ERROR,
				(errcode(ERRCODE_AMBIGUOUS_PARAMETER),
				 errmsg("variable name \"%s\" is ambiguous in %s", want, sw->label),
				 errdetail("It names %s.", paths.data),
				 errhint("Name the variable by its path.")));
	NC_CHECK(&sw->what, nc_inq_vartype(v->grpid, v->varid, &type));
	if (!numeric_type(type))
		ereport(ERROR,
				(errcode(ERRCODE_DATATYPE_MISMATCH),
				 errmsg("variable \"%s\" of %s is not numeric", v->path, sw->label),
				 errdetail("Only numeric variables can be drawn."),
				 errhint("Variables that can be drawn: %s.", drawable_vars(sw))));
	if (!var_fits(sw, v->grpid, v->varid, v))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("variable \"%s\" of %s does not lie on a swath's grid", v->path, sw->label),
				 errdetail("A variable drawn must have the dimensions of a latitude/longitude pair (others of length 1).  Variables that can be drawn: %s.",
						   drawable_vars(sw))));
	nc_read_packing(&sw->what, v->grpid, v->varid, &v->pack);
	v->units = nc_att_text(&sw->what, v->grpid, v->varid, "units", NULL);
	v->long_name = nc_att_text(&sw->what, v->grpid, v->varid, "long_name", NULL);
}

/* read rows [row0, row0 + nrows) of the variable as physical values (NaN: fill) */
void
ql_read_var_rows(NcSwath *sw, QlVar *v, size_t row0, size_t nrows, size_t ncols,
			  double *out)
{
	size_t		start[NC_MAX_VAR_DIMS];
	size_t		count[NC_MAX_VAR_DIMS];
	size_t		n = nrows * ncols;

	for (int d = 0; d < v->ndims; d++)
	{
		start[d] = 0;
		count[d] = 1;
	}
	start[v->row_dim] = row0;
	count[v->row_dim] = nrows;
	if (v->col_dim >= 0)
		count[v->col_dim] = ncols;
	NC_CHECK(&sw->what, nc_get_vara_double(v->grpid, v->varid, start, count, out));
	if (v->col_dim >= 0 && v->col_dim < v->row_dim && nrows > 1 && ncols > 1)
	{
		/* stored across-track first: transpose into row-major order */
		double	   *t = palloc(sizeof(double) * n);

		for (size_t c = 0; c < ncols; c++)
			for (size_t r = 0; r < nrows; r++)
				t[r * ncols + c] = out[c * nrows + r];
		memcpy(out, t, sizeof(double) * n);
		pfree(t);
	}
	for (size_t i = 0; i < n; i++)
		out[i] = nc_unpack_value(&v->pack, out[i]);
}

