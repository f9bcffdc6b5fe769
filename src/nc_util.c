/*-------------------------------------------------------------------------
 *
 * nc_util.c
 *	  What every reader of granules needs from netCDF-C, written once: the
 *	  error report, netCDF ids tied to memory contexts, text and numeric
 *	  attributes (NC_CHAR and NC_STRING alike), group and variable paths,
 *	  the walk over groups, CF "coordinates" attributes, packing attributes,
 *	  and sizes from a file's own numbers checked for overflow.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "common/int.h"
#include "lib/stringinfo.h"
#include "miscadmin.h"

#include "nc.h"

/* groups nested deeper than this are refused */
#define NC_MAX_GROUP_DEPTH	64

/* ---------- errors ---------- */

void
nc_fail(const NcWhat *w, const char *call, int status)
{
	if (w->task == NC_TASK_SUBSET)
		ereport(ERROR,
				(errcode(ERRCODE_DATA_CORRUPTED),
				 errmsg("could not subset %s", w->label),
				 errdetail("netCDF call %s failed: %s (code %d).",
						   call, nc_strerror(status), status)));
	ereport(ERROR,
			(errcode(ERRCODE_DATA_CORRUPTED),
			 errmsg("could not read %s", w->label),
			 errdetail("netCDF call %s failed: %s (code %d).",
					   call, nc_strerror(status), status)));
}

/* ---------- ids ---------- */

/* close or abort the id now; the status of nc_close()/nc_abort(), 0 if closed */
static int
handle_end(NcHandle *h, bool abort)
{
	int			ncid = h->ncid;

	if (ncid < 0)
		return NC_NOERR;
	h->ncid = -1;
	return abort ? nc_abort(ncid) : nc_close(ncid);
}

static void
nc_handle_reset(void *arg)
{
	NcHandle   *h = arg;

	/* no ereport here: this runs during error cleanup too */
	(void) handle_end(h, h->writing);
}

NcHandle *
nc_handle_register(int ncid, bool writing)
{
	NcHandle   *h = palloc0(sizeof(NcHandle));

	h->ncid = ncid;
	h->writing = writing;
	h->cb.func = nc_handle_reset;
	h->cb.arg = h;
	MemoryContextRegisterResetCallback(CurrentMemoryContext, &h->cb);
	return h;
}

/*
 * Close (or abort) now, for the caller to check the status.  The callback
 * stays registered but does nothing.
 */
int
nc_handle_close(NcHandle *h)
{
	return handle_end(h, false);
}

int
nc_handle_abort(NcHandle *h)
{
	return handle_end(h, true);
}

/* ---------- attributes ---------- */

char *
nc_att_text(const NcWhat *w, int grpid, int varid, const char *name,
			nc_type *type)
{
	nc_type		t;
	size_t		len;
	int			st;
	char	   *res;

	st = nc_inq_att(grpid, varid, name, &t, &len);
	if (st == NC_ENOTATT)
		return NULL;
	if (st != NC_NOERR)
		nc_fail(w, "nc_inq_att(grpid, varid, name, &t, &len)", st);
	if (type)
		*type = t;
	if (t == NC_CHAR)
	{
		res = palloc(len + 1);
		NC_CHECK(w, nc_get_att_text(grpid, varid, name, res));
		res[len] = '\0';
		return res;
	}
	if (t == NC_STRING)
	{
		char	  **strs = nc_alloc_array(w, Max(len, 1), sizeof(char *));
		StringInfoData buf;

		NC_CHECK(w, nc_get_att_string(grpid, varid, name, strs));
		initStringInfo(&buf);
		for (size_t i = 0; i < len; i++)
			appendStringInfo(&buf, "%s%s", i > 0 ? "\n" : "",
							 strs[i] ? strs[i] : "");
		NC_CHECK(w, nc_free_string(len, strs));
		pfree(strs);
		return buf.data;
	}
	return NULL;
}

/* value number idx of a numeric attribute (of at most 8), as double */
static bool
nc_att_double(const NcWhat *w, int grpid, int varid, const char *name,
			  int idx, double *val)
{
	nc_type		type;
	size_t		len;
	double		buf[8];
	int			st;

	st = nc_inq_att(grpid, varid, name, &type, &len);
	if (st == NC_ENOTATT)
		return false;
	if (st != NC_NOERR)
		nc_fail(w, "nc_inq_att(grpid, varid, name, &type, &len)", st);
	if (type == NC_CHAR || type == NC_STRING || type > NC_STRING ||
		len < (size_t) idx + 1 || len > lengthof(buf))
		return false;
	NC_CHECK(w, nc_get_att_double(grpid, varid, name, buf));
	*val = buf[idx];
	return true;
}

void
nc_read_packing(const NcWhat *w, int grpid, int varid, NcPacking *p)
{
	double		v;

	memset(p, 0, sizeof(*p));
	p->scale_factor = 1.0;
	p->add_offset = 0.0;
	if (nc_att_double(w, grpid, varid, "scale_factor", 0, &v))
		p->scale_factor = v;
	if (nc_att_double(w, grpid, varid, "add_offset", 0, &v))
		p->add_offset = v;
	p->has_fill = nc_att_double(w, grpid, varid, "_FillValue", 0,
								&p->fill_value);
	p->has_missing = nc_att_double(w, grpid, varid, "missing_value", 0,
								   &p->missing_value);
	p->has_valid_min = nc_att_double(w, grpid, varid, "valid_min", 0,
									 &p->valid_min);
	p->has_valid_max = nc_att_double(w, grpid, varid, "valid_max", 0,
									 &p->valid_max);
	if (!p->has_valid_min && !p->has_valid_max &&
		nc_att_double(w, grpid, varid, "valid_range", 1, &v))
	{
		p->has_valid_max = true;
		p->valid_max = v;
		p->has_valid_min = nc_att_double(w, grpid, varid, "valid_range", 0,
										 &p->valid_min);
	}
}

/* ---------- paths and groups ---------- */

char *
nc_group_path(const NcWhat *w, int grpid)
{
	size_t		len;
	char	   *g;

	NC_CHECK(w, nc_inq_grpname_full(grpid, &len, NULL));
	g = palloc(len + 1);
	NC_CHECK(w, nc_inq_grpname_full(grpid, &len, g));
	g[len] = '\0';
	return g;
}

char *
nc_var_path(const NcWhat *w, int grpid, const char *name)
{
	char	   *g = nc_group_path(w, grpid);
	char	   *res;

	res = strcmp(g, "/") == 0 ? psprintf("/%s", name) : psprintf("%s/%s", g, name);
	pfree(g);
	return res;
}

static void
add_groups(const NcWhat *w, int grpid, int depth, int **out, int *n, int *cap)
{
	int			ngrps;
	int		   *grps;

	CHECK_FOR_INTERRUPTS();
	if (depth > NC_MAX_GROUP_DEPTH)
		ereport(ERROR,
				(errcode(ERRCODE_DATA_CORRUPTED),
				 errmsg("groups of %s are nested too deeply", w->label)));
	if (*n == *cap)
	{
		*cap *= 2;
		*out = repalloc_huge(*out, sizeof(int) * *cap);
	}
	(*out)[(*n)++] = grpid;
	NC_CHECK(w, nc_inq_grps(grpid, &ngrps, NULL));
	if (ngrps <= 0)
		return;
	grps = palloc(sizeof(int) * ngrps);
	NC_CHECK(w, nc_inq_grps(grpid, NULL, grps));
	for (int i = 0; i < ngrps; i++)
		add_groups(w, grps[i], depth + 1, out, n, cap);
	pfree(grps);
}

int *
nc_groups(const NcWhat *w, int ncid, int *ngroups)
{
	int			cap = 16;
	int		   *res = palloc(sizeof(int) * cap);

	*ngroups = 0;
	add_groups(w, ncid, 0, &res, ngroups, &cap);
	return res;
}

bool
nc_group_parent(const NcWhat *w, int grpid, int *parent)
{
	int			st = nc_inq_grp_parent(grpid, parent);

	if (st == NC_ENOGRP)
		return false;
	if (st != NC_NOERR)
		nc_fail(w, "nc_inq_grp_parent(grpid, parent)", st);
	return true;
}

bool
nc_find_var(const NcWhat *w, int grpid, const char *name, int *varid)
{
	int			st = nc_inq_varid(grpid, name, varid);

	if (st == NC_ENOTVAR || st == NC_EBADNAME || st == NC_EMAXNAME)
		return false;
	if (st != NC_NOERR)
		nc_fail(w, "nc_inq_varid(grpid, name, varid)", st);
	return true;
}

bool
nc_find_group(const NcWhat *w, int grpid, const char *name, int *sub)
{
	int			st = nc_inq_grp_ncid(grpid, name, sub);

	/* netCDF-3 files have no groups */
	if (st == NC_ENOGRP || st == NC_ENOTNC4 || st == NC_EBADNAME)
		return false;
	if (st != NC_NOERR)
		nc_fail(w, "nc_inq_grp_ncid(grpid, name, sub)", st);
	return true;
}

/* resolve a name from a "coordinates" attribute (CF search rules) */
static bool
resolve_var(const NcWhat *w, int grpid, const char *name, int *out_grp,
			int *out_var)
{
	const char *slash = strrchr(name, '/');
	int			g = grpid;

	if (slash != NULL)
	{
		char	   *dir = pnstrdup(name, slash - name);
		int			st;

		/* an absolute path starts at the root, a relative one here */
		if (name[0] == '/')
			while (nc_group_parent(w, g, &g))
				;
		if (dir[0] == '\0' || strcmp(dir, "/") == 0)
			st = NC_NOERR;
		else
			st = nc_inq_grp_full_ncid(g, dir, &g);
		pfree(dir);
		/* no such group; netCDF-3 files have none (NC_ENOTNC4) */
		if (st == NC_ENOGRP || st == NC_ENOTNC4 || st == NC_EBADNAME ||
			st == NC_EMAXNAME)
			return false;
		if (st != NC_NOERR)
			nc_fail(w, "nc_inq_grp_full_ncid(g, dir, &g)", st);
		if (!nc_find_var(w, g, slash + 1, out_var))
			return false;
		*out_grp = g;
		return true;
	}
	/* the variable's group, then its ancestors */
	for (;;)
	{
		if (nc_find_var(w, g, name, out_var))
		{
			*out_grp = g;
			return true;
		}
		if (!nc_group_parent(w, g, &g))
			return false;
	}
}

int
nc_coordinates(const NcWhat *w, int grpid, int varid, NcVarRef **refs)
{
	char	   *coords = nc_att_text(w, grpid, varid, "coordinates", NULL);
	char	   *save = NULL;
	int			n = 0,
				cap = 8;

	*refs = NULL;
	if (coords == NULL)
		return 0;
	*refs = palloc(sizeof(NcVarRef) * cap);
	for (char *tok = strtok_r(coords, " \t\n", &save); tok;
		 tok = strtok_r(NULL, " \t\n", &save))
	{
		NcVarRef	r;

		if (!resolve_var(w, grpid, tok, &r.grpid, &r.varid))
			continue;
		r.name = tok;
		if (n == cap)
		{
			cap *= 2;
			*refs = repalloc(*refs, sizeof(NcVarRef) * cap);
		}
		(*refs)[n++] = r;
	}
	return n;
}

bool
nc_name_contains(const char *hay, const char *needle)
{
	size_t		n = strlen(needle);

	for (; *hay; hay++)
		if (pg_strncasecmp(hay, needle, n) == 0)
			return true;
	return false;
}

/* ---------- sizes ---------- */

size_t
nc_size_mul(const NcWhat *w, size_t a, size_t b)
{
	uint64		res;

	if (pg_mul_u64_overflow((uint64) a, (uint64) b, &res) || res > SIZE_MAX)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("an array in %s is too large", w->label),
				 errdetail("%zu times %zu does not fit in 64 bits.", a, b)));
	return (size_t) res;
}

void *
nc_alloc_array(const NcWhat *w, size_t n, size_t size)
{
	size_t		bytes = nc_size_mul(w, n, size);

	if (!AllocHugeSizeIsValid(bytes))
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("an array in %s is too large", w->label),
				 errdetail("It needs %zu bytes of memory.", bytes)));
	return MemoryContextAllocHuge(CurrentMemoryContext, Max(bytes, 1));
}
