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
 * Values equal to _FillValue or missing_value, outside valid_min/valid_max
 * or valid_range (compared in packed units, as CF says) or NaN are invalid;
 * then scale_factor and add_offset are applied.  Invalid pixels are
 * returned as NaN in both lat and lon.  Longitudes are normalised to
 * [-180, 180).
 *
 * The netCDF id is closed by a reset callback on the memory context the
 * NcSwath lives in, so an ereport(ERROR) anywhere never leaks it.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <ctype.h>
#include <math.h>
#include <netcdf.h>

#include "miscadmin.h"
#include "nc_swath.h"

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

static void nc_swath_close_cb(void *arg);

/*
 * Raise an ERROR for a failed netCDF call.  The caller's NcSwath (if any)
 * is closed by the memory context callback.
 */
static void
nc_swath_fail(const char *label, const char *what, int status)
{
	ereport(ERROR,
			(errcode(ERRCODE_DATA_CORRUPTED),
			 errmsg("could not read %s", label),
			 errdetail("netCDF call %s failed: %s (code %d).",
					   what, nc_strerror(status), status)));
}

#define NCCHECK(sw, call) \
	do { \
		int			nc_status_ = (call); \
		if (nc_status_ != NC_NOERR) \
			nc_swath_fail((sw)->label, #call, nc_status_); \
	} while (0)

static void
nc_swath_close_cb(void *arg)
{
	NcSwath    *sw = (NcSwath *) arg;

	if (sw->ncid >= 0)
	{
		int			ncid = sw->ncid;

		sw->ncid = -1;
		(void) nc_close(ncid);
	}
}

void
nc_swath_close(NcSwath *sw)
{
	if (sw == NULL || sw->ncid < 0)
		return;
	nc_swath_close_cb(sw);
	/* the callback stays registered but is now a no-op */
}

/* ---------- attributes ---------- */

/* palloc'd text attribute (NC_CHAR or NC_STRING), or NULL */
static char *
get_att_text(int grpid, int varid, const char *name)
{
	nc_type		type;
	size_t		len;
	char	   *res;

	if (nc_inq_att(grpid, varid, name, &type, &len) != NC_NOERR)
		return NULL;
	if (type == NC_CHAR)
	{
		res = palloc(len + 1);
		if (nc_get_att_text(grpid, varid, name, res) != NC_NOERR)
		{
			pfree(res);
			return NULL;
		}
		res[len] = '\0';
		return res;
	}
	if (type == NC_STRING && len >= 1)
	{
		char	  **strs = palloc(len * sizeof(char *));

		if (nc_get_att_string(grpid, varid, name, strs) != NC_NOERR)
		{
			pfree(strs);
			return NULL;
		}
		res = pstrdup(strs[0] ? strs[0] : "");
		nc_free_string(len, strs);
		pfree(strs);
		return res;
	}
	return NULL;
}

/* numeric attribute value number idx, as double */
static bool
get_att_double(int grpid, int varid, const char *name, int idx, double *val)
{
	nc_type		type;
	size_t		len;
	double		buf[8];

	if (nc_inq_att(grpid, varid, name, &type, &len) != NC_NOERR)
		return false;
	if (type == NC_CHAR || type == NC_STRING || len < (size_t) idx + 1 ||
		len > lengthof(buf))
		return false;
	if (nc_get_att_double(grpid, varid, name, buf) != NC_NOERR)
		return false;
	*val = buf[idx];
	return true;
}

static void
read_packing(int grpid, int varid, NcPacking *p)
{
	double		v;

	memset(p, 0, sizeof(*p));
	p->scale_factor = 1.0;
	p->add_offset = 0.0;
	if (get_att_double(grpid, varid, "scale_factor", 0, &v))
		p->scale_factor = v;
	if (get_att_double(grpid, varid, "add_offset", 0, &v))
		p->add_offset = v;
	p->has_fill = get_att_double(grpid, varid, "_FillValue", 0,
								 &p->fill_value);
	p->has_missing = get_att_double(grpid, varid, "missing_value", 0,
									&p->missing_value);
	p->has_valid_min = get_att_double(grpid, varid, "valid_min", 0,
									  &p->valid_min);
	p->has_valid_max = get_att_double(grpid, varid, "valid_max", 0,
									  &p->valid_max);
	if (!p->has_valid_min && !p->has_valid_max &&
		get_att_double(grpid, varid, "valid_range", 1, &v))
	{
		p->has_valid_max = true;
		p->valid_max = v;
		p->has_valid_min = get_att_double(grpid, varid, "valid_range", 0,
										  &p->valid_min);
	}
}

/* packed -> physical value, NaN if invalid */
static inline double
unpack_value(const NcPacking *p, double v)
{
	if (isnan(v))
		return NAN;
	if (p->has_fill && v == p->fill_value)
		return NAN;
	if (p->has_missing && v == p->missing_value)
		return NAN;
	if (p->has_valid_min && v < p->valid_min)
		return NAN;
	if (p->has_valid_max && v > p->valid_max)
		return NAN;
	return v * p->scale_factor + p->add_offset;
}

/* ---------- candidate discovery ---------- */

static bool
str_ieq(const char *a, const char *b)
{
	return pg_strcasecmp(a, b) == 0;
}

static bool
str_icontains(const char *hay, const char *needle)
{
	size_t		n = strlen(needle);

	for (; *hay; hay++)
		if (pg_strncasecmp(hay, needle, n) == 0)
			return true;
	return false;
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
cand_add(CandList *cl, int grpid, int varid, CandKind kind)
{
	Cand	   *c;
	int			i;
	nc_type		type;

	for (i = 0; i < cl->n; i++)
		if (cl->items[i].grpid == grpid && cl->items[i].varid == varid &&
			cl->items[i].kind == kind)
			return;
	if (nc_inq_vartype(grpid, varid, &type) != NC_NOERR ||
		type == NC_CHAR || type == NC_STRING || type >= NC_FIRSTUSERTYPEID)
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
	if (nc_inq_var(grpid, varid, c->name, NULL, &c->ndims, c->dimids,
				   NULL) != NC_NOERR)
		return;
	if (c->ndims < 1 || c->ndims > NC_SWATH_MAX_DIMS)
		return;
	/* bounds / corner variables are not pixel centres */
	if (str_iends(c->name, "_bnds") || str_iends(c->name, "_bounds") ||
		str_iends(c->name, "_bound") || str_iends(c->name, "_corner") ||
		str_iends(c->name, "_corners"))
		return;
	cl->n++;
}

/* resolve a name from a "coordinates" attribute (CF search rules) */
static bool
resolve_var(int grpid, const char *name, int *out_grp, int *out_var)
{
	int			g = grpid;

	if (strchr(name, '/') != NULL)
	{
		char	   *copy = pstrdup(name);
		char	   *slash = strrchr(copy, '/');
		int			g2;

		*slash = '\0';
		if (copy[0] == '\0')
		{
			if (nc_inq_grp_parent(grpid, &g2) == NC_NOERR)
			{
				/* climb to the root */
				int			p;

				while (nc_inq_grp_parent(g2, &p) == NC_NOERR)
					g2 = p;
			}
			else
				g2 = grpid;
		}
		else if (nc_inq_grp_full_ncid(grpid, copy, &g2) != NC_NOERR)
		{
			pfree(copy);
			return false;
		}
		if (nc_inq_varid(g2, slash + 1, out_var) != NC_NOERR)
		{
			pfree(copy);
			return false;
		}
		*out_grp = g2;
		pfree(copy);
		return true;
	}
	for (;;)
	{
		int			parent;

		if (nc_inq_varid(g, name, out_var) == NC_NOERR)
		{
			*out_grp = g;
			return true;
		}
		if (nc_inq_grp_parent(g, &parent) != NC_NOERR)
			return false;
		g = parent;
	}
}

static void
scan_group(NcSwath *sw, int grpid, CandList *cl, int depth)
{
	int			nvars;
	int			ngrps;
	int			varid;

	CHECK_FOR_INTERRUPTS();
	if (depth > 64)
		return;
	NCCHECK(sw, nc_inq_varids(grpid, &nvars, NULL));
	for (varid = 0; varid < nvars; varid++)
	{
		char		name[NC_MAX_NAME + 1];
		char	   *units;
		char	   *stdname;
		char	   *coords;

		if (nc_inq_varname(grpid, varid, name) != NC_NOERR)
			continue;
		units = get_att_text(grpid, varid, "units");
		stdname = get_att_text(grpid, varid, "standard_name");

		if (str_ieq(name, "lat") || str_ieq(name, "latitude") ||
			(stdname && str_ieq(stdname, "latitude")) ||
			units_is(units, true))
			cand_add(cl, grpid, varid, CAND_LAT);
		else if (str_ieq(name, "lon") || str_ieq(name, "longitude") ||
				 (stdname && str_ieq(stdname, "longitude")) ||
				 units_is(units, false))
			cand_add(cl, grpid, varid, CAND_LON);

		coords = get_att_text(grpid, varid, "coordinates");
		if (coords)
		{
			char	   *tok;
			char	   *save = NULL;

			for (tok = strtok_r(coords, " \t\n", &save); tok;
				 tok = strtok_r(NULL, " \t\n", &save))
			{
				int			g2,
							v2;
				const char *base = strrchr(tok, '/');

				base = base ? base + 1 : tok;
				if (!resolve_var(grpid, tok, &g2, &v2))
					continue;
				if (str_icontains(base, "lat"))
					cand_add(cl, g2, v2, CAND_LAT);
				else if (str_icontains(base, "lon"))
					cand_add(cl, g2, v2, CAND_LON);
			}
			pfree(coords);
		}
		if (units)
			pfree(units);
		if (stdname)
			pfree(stdname);
	}

	NCCHECK(sw, nc_inq_grps(grpid, &ngrps, NULL));
	if (ngrps > 0)
	{
		int		   *grps = palloc(ngrps * sizeof(int));
		int			i;

		NCCHECK(sw, nc_inq_grps(grpid, NULL, grps));
		for (i = 0; i < ngrps; i++)
			scan_group(sw, grps[i], cl, depth + 1);
		pfree(grps);
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

/* ---------- time ---------- */

static int64
days_from_civil(int64 y, int m, int d)
{
	int64		era;
	int64		yoe,
				doy,
				doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = y - era * 400;
	doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

/*
 * Parse CF time units "<unit> since YYYY-MM-DD[( |T)hh:mm[:ss[.f]]][Z]":
 * value * scale + epoch_offset = seconds since 1970-01-01 UTC.
 */
bool
nc_parse_time_units(const char *units, double *scale, double *epoch_offset)
{
	char		unit[32];
	int			y,
				mo,
				d,
				h = 0,
				mi = 0,
				n;
	double		s = 0.0;
	const char *p;

	if (units == NULL)
		return false;
	if (sscanf(units, " %31s since %n", unit, &n) != 1)
		return false;
	p = strstr(units, "since");
	if (p == NULL)
		return false;
	p += 5;
	if (sscanf(p, " %d-%d-%d", &y, &mo, &d) != 3)
		return false;
	p = strchr(p, '-');
	/* optional time of day */
	{
		const char *t = p;

		while (*t && *t != ' ' && *t != 'T')
			t++;
		if (*t)
			(void) sscanf(t + 1, "%d:%d:%lf", &h, &mi, &s);
	}
	if (mo < 1 || mo > 12 || d < 1 || d > 31)
		return false;

	if (str_ieq(unit, "seconds") || str_ieq(unit, "second") ||
		str_ieq(unit, "secs") || str_ieq(unit, "sec") || str_ieq(unit, "s"))
		*scale = 1.0;
	else if (str_ieq(unit, "milliseconds") || str_ieq(unit, "millisecond") ||
			 str_ieq(unit, "msec") || str_ieq(unit, "ms"))
		*scale = 0.001;
	else if (str_ieq(unit, "minutes") || str_ieq(unit, "minute") ||
			 str_ieq(unit, "min") || str_ieq(unit, "mins"))
		*scale = 60.0;
	else if (str_ieq(unit, "hours") || str_ieq(unit, "hour") ||
			 str_ieq(unit, "hr") || str_ieq(unit, "h"))
		*scale = 3600.0;
	else if (str_ieq(unit, "days") || str_ieq(unit, "day") ||
			 str_ieq(unit, "d"))
		*scale = 86400.0;
	else
		return false;
	*epoch_offset = (double) days_from_civil(y, mo, d) * 86400.0 +
		h * 3600.0 + mi * 60.0 + s;
	return true;
}

static double
unit_scale(const char *units)
{
	if (units == NULL)
		return 0.0;
	if (str_ieq(units, "milliseconds") || str_ieq(units, "millisecond") ||
		str_ieq(units, "ms"))
		return 0.001;
	if (str_ieq(units, "seconds") || str_ieq(units, "second") ||
		str_ieq(units, "s"))
		return 1.0;
	return 0.0;
}

/* min/max of a variable's valid (unpacked) values, read in bounded blocks */
static bool
var_minmax(NcSwath *sw, int grpid, int varid, double *vmin, double *vmax)
{
	int			ndims;
	int			dimids[NC_MAX_VAR_DIMS];
	size_t		shape[NC_MAX_VAR_DIMS];
	size_t		start[NC_MAX_VAR_DIMS];
	size_t		count[NC_MAX_VAR_DIMS];
	size_t		inner = 1;
	size_t		step;
	size_t		r;
	double	   *buf;
	NcPacking	pk;
	bool		found = false;
	int			i;

	NCCHECK(sw, nc_inq_varndims(grpid, varid, &ndims));
	if (ndims > NC_SWATH_MAX_DIMS)
		return false;
	NCCHECK(sw, nc_inq_vardimid(grpid, varid, dimids));
	for (i = 0; i < ndims; i++)
	{
		NCCHECK(sw, nc_inq_dimlen(grpid, dimids[i], &shape[i]));
		start[i] = 0;
		count[i] = shape[i];
		if (i > 0)
			inner *= shape[i];
	}
	read_packing(grpid, varid, &pk);
	if (ndims == 0)
	{
		double		v;

		NCCHECK(sw, nc_get_var_double(grpid, varid, &v));
		v = unpack_value(&pk, v);
		if (isnan(v))
			return false;
		*vmin = *vmax = v;
		return true;
	}
	if (inner == 0 || shape[0] == 0)
		return false;
	step = Max(1, NC_SWATH_BLOCK_VALUES / inner);
	buf = palloc(Min(step, shape[0]) * inner * sizeof(double));
	for (r = 0; r < shape[0]; r += step)
	{
		size_t		n,
					k;

		CHECK_FOR_INTERRUPTS();
		start[0] = r;
		count[0] = Min(step, shape[0] - r);
		NCCHECK(sw, nc_get_vara_double(grpid, varid, start, count, buf));
		n = count[0] * inner;
		for (k = 0; k < n; k++)
		{
			double		v = unpack_value(&pk, buf[k]);

			if (isnan(v))
				continue;
			if (!found || v < *vmin)
				*vmin = v;
			if (!found || v > *vmax)
				*vmax = v;
			found = true;
		}
	}
	pfree(buf);
	return found;
}

static char *
var_path(int grpid, const char *name)
{
	size_t		len;
	char	   *g;

	if (nc_inq_grpname_full(grpid, &len, NULL) != NC_NOERR)
		return pstrdup(name);
	g = palloc(len + 1);
	if (nc_inq_grpname_full(grpid, &len, g) != NC_NOERR)
		return pstrdup(name);
	g[len] = '\0';
	if (strcmp(g, "/") == 0)
		return psprintf("/%s", name);
	return psprintf("%s/%s", g, name);
}

/* GPM ScanTime group: Year, Month, DayOfMonth, Hour, Minute, Second, MilliSecond */
static bool
scan_time_group(NcSwath *sw, int grpid, NcGeoPair *p)
{
	static const char *const names[] = {
		"Year", "Month", "DayOfMonth", "Hour", "Minute", "Second",
		"MilliSecond"
	};
	int			vids[7];
	size_t		n;
	int			dimid;
	int			nd;
	int			i;
	int			pass;

	for (i = 0; i < 7; i++)
		if (nc_inq_varid(grpid, names[i], &vids[i]) != NC_NOERR)
		{
			if (i == 6)
				vids[i] = -1;
			else
				return false;
		}
	if (nc_inq_varndims(grpid, vids[0], &nd) != NC_NOERR || nd != 1)
		return false;
	NCCHECK(sw, nc_inq_vardimid(grpid, vids[0], &dimid));
	NCCHECK(sw, nc_inq_dimlen(grpid, dimid, &n));
	if (n == 0)
		return false;
	/* first and last scan with a plausible year */
	for (pass = 0; pass < 2; pass++)
	{
		size_t		k;
		bool		ok = false;

		for (k = 0; k < n && !ok; k++)
		{
			size_t		idx = pass == 0 ? k : n - 1 - k;
			double		v[7] = {0, 0, 0, 0, 0, 0, 0};
			double		t;

			CHECK_FOR_INTERRUPTS();
			for (i = 0; i < 7; i++)
				if (vids[i] >= 0)
					NCCHECK(sw, nc_get_var1_double(grpid, vids[i], &idx, &v[i]));
			if (v[0] < 1950 || v[0] > 2200 || v[1] < 1 || v[1] > 12 ||
				v[2] < 1 || v[2] > 31)
				continue;
			t = days_from_civil((int64) v[0], (int) v[1], (int) v[2]) * 86400.0 +
				v[3] * 3600.0 + v[4] * 60.0 + v[5] + v[6] / 1000.0;
			if (pass == 0)
				p->time_start = t;
			else
				p->time_end = t;
			ok = true;
		}
		if (!ok)
			return false;
	}
	p->has_time = true;
	p->time_var = var_path(grpid, "Year");
	return true;
}

/*
 * Find the time range of a pair: a "since" time variable in the lat group
 * or an ancestor (name containing "time", same-or-fewer dims), TROPOMI
 * time + delta_time, GPM ScanTime group or navigation/timeMidScan (GPS
 * seconds since 1980-01-06, leap seconds ignored).
 */
static void
find_time(NcSwath *sw, NcGeoPair *p)
{
	int			g = p->grpid;
	int			depth;

	p->has_time = false;
	for (depth = 0; depth < 64; depth++)
	{
		int			nvars;
		int			v;
		int			best = -1;
		int			best_rank = 0;
		int			sub;
		int			parent;

		NCCHECK(sw, nc_inq_varids(g, &nvars, NULL));
		for (v = 0; v < nvars; v++)
		{
			char		name[NC_MAX_NAME + 1];
			char	   *units;
			double		sc,
						off;
			int			rank;

			if (nc_inq_varname(g, v, name) != NC_NOERR ||
				!str_icontains(name, "time"))
				continue;
			units = get_att_text(g, v, "units");
			if (!nc_parse_time_units(units, &sc, &off))
				continue;
			rank = str_ieq(name, "time") ? 3 : 1;
			if (rank > best_rank)
			{
				best = v;
				best_rank = rank;
			}
		}
		if (best >= 0)
		{
			char		name[NC_MAX_NAME + 1];
			char	   *units = get_att_text(g, best, "units");
			double		sc,
						off,
						tmin,
						tmax;
			int			dv;

			NCCHECK(sw, nc_inq_varname(g, best, name));
			(void) nc_parse_time_units(units, &sc, &off);
			if (var_minmax(sw, g, best, &tmin, &tmax))
			{
				p->has_time = true;
				p->time_start = tmin * sc + off;
				p->time_end = tmax * sc + off;
				p->time_var = var_path(g, name);
				/* TROPOMI: reference time plus per-scanline delta_time */
				if (tmin == tmax && nc_inq_varid(g, "delta_time", &dv) == NC_NOERR)
				{
					char	   *du = get_att_text(g, dv, "units");
					double		dsc = unit_scale(du);
					double		dmin,
								dmax;

					if (dsc > 0 && var_minmax(sw, g, dv, &dmin, &dmax))
					{
						p->time_start += dmin * dsc;
						p->time_end += dmax * dsc;
						p->time_var = psprintf("%s + delta_time", p->time_var);
					}
				}
				return;
			}
		}
		/* GPM */
		if (nc_inq_grp_ncid(g, "ScanTime", &sub) == NC_NOERR &&
			scan_time_group(sw, sub, p))
			return;
		if (nc_inq_grp_ncid(g, "navigation", &sub) == NC_NOERR)
		{
			int			tv;
			double		tmin,
						tmax;

			if (nc_inq_varid(sub, "timeMidScan", &tv) == NC_NOERR &&
				var_minmax(sw, sub, tv, &tmin, &tmax))
			{
				/* GPS epoch 1980-01-06 */
				double		gps = days_from_civil(1980, 1, 6) * 86400.0;

				p->has_time = true;
				p->time_start = tmin + gps;
				p->time_end = tmax + gps;
				p->time_var = var_path(sub, "timeMidScan");
				return;
			}
		}
		if (nc_inq_grp_parent(g, &parent) != NC_NOERR)
			return;
		g = parent;
	}
}

/* ---------- open ---------- */

static void
make_pair(NcSwath *sw, const Cand *lat, const Cand *lon, NcGeoPair *p)
{
	size_t		len;
	int			i;
	int			nkept = 0;
	int			kept[NC_SWATH_MAX_DIMS];

	memset(p, 0, sizeof(*p));
	p->grpid = lat->grpid;
	p->lat_varid = lat->varid;
	p->lon_varid = lon->varid;
	p->lat_name = pstrdup(lat->name);
	p->lon_name = pstrdup(lon->name);
	NCCHECK(sw, nc_inq_grpname_full(lat->grpid, &len, NULL));
	p->group_path = palloc(len + 1);
	NCCHECK(sw, nc_inq_grpname_full(lat->grpid, &len, p->group_path));
	p->group_path[len] = '\0';
	p->ndims = lat->ndims;
	for (i = 0; i < lat->ndims; i++)
	{
		char		dname[NC_MAX_NAME + 1];

		NCCHECK(sw, nc_inq_dim(lat->grpid, lat->dimids[i], dname, &p->shape[i]));
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
	read_packing(lat->grpid, lat->varid, &p->lat_pack);
	read_packing(lon->grpid, lon->varid, &p->lon_pack);
	{
		nc_type		t;
		int			storage;
		size_t		chunks[NC_MAX_VAR_DIMS];

		p->lat_float = nc_inq_vartype(lat->grpid, lat->varid, &t) == NC_NOERR &&
			t == NC_FLOAT;
		p->lon_float = nc_inq_vartype(lon->grpid, lon->varid, &t) == NC_NOERR &&
			t == NC_FLOAT;
		p->chunk_rows = 0;
		if (nc_inq_var_chunking(lat->grpid, lat->varid, &storage, chunks) == NC_NOERR &&
			storage == NC_CHUNKED)
			p->chunk_rows = chunks[p->row_dim];
	}
	find_time(sw, p);
}

static int
squeezed_ndims(NcSwath *sw, const Cand *c)
{
	int			i,
				n = 0;

	for (i = 0; i < c->ndims; i++)
	{
		size_t		len;

		NCCHECK(sw, nc_inq_dimlen(c->grpid, c->dimids[i], &len));
		if (len != 1)
			n++;
	}
	return n;
}

NcSwath *
nc_swath_open(const char *path, const char *label)
{
	NcSwath    *sw;
	int			ncid;
	int			status;
	CandList	cl = {NULL, 0, 0};
	int			i,
				j;

	status = nc_open(path, NC_NOWRITE, &ncid);
	if (status != NC_NOERR)
		ereport(ERROR,
				(errcode(status == NC_ENOTNC || status == NC_EHDFERR ?
						 ERRCODE_INVALID_PARAMETER_VALUE :
						 ERRCODE_UNDEFINED_FILE),
				 errmsg("could not open %s as a netCDF or HDF5 file", label),
				 errdetail("nc_open failed: %s (code %d).",
						   nc_strerror(status), status)));

	sw = palloc0(sizeof(NcSwath));
	sw->ncid = ncid;
	sw->path = pstrdup(path);
	sw->label = pstrdup(label);
	sw->close_cb.func = nc_swath_close_cb;
	sw->close_cb.arg = sw;
	MemoryContextRegisterResetCallback(CurrentMemoryContext, &sw->close_cb);

	scan_group(sw, ncid, &cl, 0);

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

	if (sw->npairs == 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("no swath geolocation found in %s", label),
				 errdetail("No latitude/longitude variable pair with the same 1-D or 2-D (scan, pixel) dimensions was found in any group."),
				 errhint("Gridded (Level-3) files with separate lat(lat) and lon(lon) axes are not swaths.")));
	return sw;
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
	if (row0 + nrows > p->nrows)
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
	NCCHECK(sw, nc_get_vara_double(p->grpid, is_lat ? p->lat_varid : p->lon_varid,
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
		NCCHECK(sw, nc_get_vara_float(p->grpid, varid, start, count, raw));
	else
		NCCHECK(sw, nc_get_vara_double(p->grpid, varid, start, count, raw));
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
	cap = it->block_rows * Max(1, p->ncols);
	it->blk.lat = palloc(cap * sizeof(double));
	it->blk.lon = palloc(cap * sizeof(double));
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
