/*-------------------------------------------------------------------------
 *
 * nc_time.c
 *	  The acquisition time range of a swath, from its granule's own time
 *	  variables: a CF "<unit> since <date>" variable in the swath's group or
 *	  an ancestor (any epoch, a time zone offset allowed), preferring one
 *	  with the swath's own dimensions (Jason-1's time_20hz for its 20 Hz
 *	  pair); TROPOMI's reference time plus delta_time; GHRSST's reference
 *	  time plus the per-pixel sst_dtime; HDF-EOS5 (Aura) Time in TAI-93
 *	  seconds (Units = "s"); GPM's ScanTime group or navigation/timeMidScan
 *	  (GPS seconds).  Results are seconds since 1970-01-01 UTC as POSIX
 *	  counts them (no leap seconds): TAI-93 and GPS counts, which include
 *	  the leap seconds, are converted with the table below.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <math.h>

#include "miscadmin.h"

#include "nc.h"

/* at most this many values per hyperslab read */
#define NC_TIME_BLOCK_VALUES	(1 << 18)

static bool
str_ieq(const char *a, const char *b)
{
	return pg_strcasecmp(a, b) == 0;
}

/*
 * TAI - UTC in seconds from each date on (IERS Bulletin C).  No leap second
 * has been announced after 2016-12-31 23:59:60; add a row when IERS
 * announces one.  Before 1972 the offset was not a whole number of seconds;
 * 10 s is used.
 */
static const struct
{
	int			y,
				m;
	int			tai_utc;
}			leap_table[] = {
	{1972, 1, 10}, {1972, 7, 11}, {1973, 1, 12}, {1974, 1, 13}, {1975, 1, 14},
	{1976, 1, 15}, {1977, 1, 16}, {1978, 1, 17}, {1979, 1, 18}, {1980, 1, 19},
	{1981, 7, 20}, {1982, 7, 21}, {1983, 7, 22}, {1985, 7, 23}, {1988, 1, 24},
	{1990, 1, 25}, {1991, 1, 26}, {1992, 7, 27}, {1993, 7, 28}, {1994, 7, 29},
	{1996, 1, 30}, {1997, 7, 31}, {1999, 1, 32}, {2006, 1, 33}, {2009, 1, 34},
	{2012, 7, 35}, {2015, 7, 36}, {2017, 1, 37}
};

static int64 days_from_civil(int64 y, int m, int d);

/* TAI - UTC at a POSIX time */
static int
tai_minus_utc(double unix_secs)
{
	int			r = 10;

	for (size_t i = 0; i < lengthof(leap_table); i++)
		if (unix_secs >= days_from_civil(leap_table[i].y, leap_table[i].m, 1) * 86400.0)
			r = leap_table[i].tai_utc;
	return r;
}

/*
 * POSIX time of a count of SI seconds elapsed since a UTC instant (TAI-93,
 * GPS): the leap seconds inserted in between are taken off.  A time inside
 * a leap second (23:59:60) comes out as the next 00:00:00.
 */
static double
elapsed_to_unix(double epoch_unix, double elapsed)
{
	int			l0 = tai_minus_utc(epoch_unix);
	double		u = epoch_unix + elapsed;

	u = epoch_unix + elapsed - (tai_minus_utc(u) - l0);
	return epoch_unix + elapsed - (tai_minus_utc(u) - l0);
}

/* how a time variable's values become POSIX seconds */
typedef struct TimeConv
{
	double		scale;			/* seconds per unit */
	double		epoch;			/* POSIX seconds of the epoch */
	bool		elapsed;		/* SI seconds counting leap seconds */
} TimeConv;

static double
time_conv(const TimeConv *c, double v)
{
	return c->elapsed ? elapsed_to_unix(c->epoch, v * c->scale)
		: v * c->scale + c->epoch;
}

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
static bool
parse_time_units(const char *units, double *scale, double *epoch_offset)
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
	/* optional time of day, then an optional zone: Z, UTC, +hh[:mm], -hhmm */
	{
		const char *t = p;
		int			nt = 0;

		while (*t && *t != ' ' && *t != 'T')
			t++;
		if (*t && sscanf(t + 1, "%d:%d%n:%lf%n", &h, &mi, &nt, &s, &nt) >= 2)
		{
			const char *z = t + 1 + nt;
			int			zh = 0,
						zm = 0;

			while (*z == ' ')
				z++;
			if ((*z == '+' || *z == '-') &&
				(sscanf(z + 1, "%2d:%2d", &zh, &zm) >= 1 ||
				 sscanf(z + 1, "%2d%2d", &zh, &zm) >= 1))
			{
				/* local time = UTC + offset */
				double		zs = zh * 3600.0 + zm * 60.0;

				s -= (*z == '+') ? zs : -zs;
			}
		}
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

/* seconds per unit of a plain duration unit (delta_time), 0 if unknown */
static double
unit_scale(const char *units)
{
	if (units == NULL)
		return 0.0;
	if (str_ieq(units, "milliseconds") || str_ieq(units, "millisecond") ||
		str_ieq(units, "ms"))
		return 0.001;
	if (str_ieq(units, "seconds") || str_ieq(units, "second") ||
		str_ieq(units, "s") || str_ieq(units, "sec"))
		return 1.0;
	return 0.0;
}

/* min/max of a variable's valid (unpacked) values, read in bounded blocks */
static bool
var_minmax(NcSwath *sw, int grpid, int varid, double *vmin, double *vmax)
{
	const NcWhat *w = &sw->what;
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

	NC_CHECK(w, nc_inq_varndims(grpid, varid, &ndims));
	if (ndims > NC_SWATH_MAX_DIMS)
		return false;
	NC_CHECK(w, nc_inq_vardimid(grpid, varid, dimids));
	for (i = 0; i < ndims; i++)
	{
		NC_CHECK(w, nc_inq_dimlen(grpid, dimids[i], &shape[i]));
		start[i] = 0;
		count[i] = shape[i];
		if (i > 0)
			inner = nc_size_mul(w, inner, shape[i]);
	}
	nc_read_packing(w, grpid, varid, &pk);
	if (ndims == 0)
	{
		double		v;

		NC_CHECK(w, nc_get_var_double(grpid, varid, &v));
		v = nc_unpack_value(&pk, v);
		if (isnan(v))
			return false;
		*vmin = *vmax = v;
		return true;
	}
	if (inner == 0 || shape[0] == 0)
		return false;
	step = Max(1, NC_TIME_BLOCK_VALUES / inner);
	buf = nc_alloc_array(w, Min(step, shape[0]) * inner, sizeof(double));
	for (r = 0; r < shape[0]; r += step)
	{
		size_t		n,
					k;

		CHECK_FOR_INTERRUPTS();
		start[0] = r;
		count[0] = Min(step, shape[0] - r);
		NC_CHECK(w, nc_get_vara_double(grpid, varid, start, count, buf));
		n = count[0] * inner;
		for (k = 0; k < n; k++)
		{
			double		v = nc_unpack_value(&pk, buf[k]);

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

/* GPM ScanTime group: Year, Month, DayOfMonth, Hour, Minute, Second, MilliSecond */
static bool
scan_time_group(NcSwath *sw, int grpid, NcGeoPair *p)
{
	static const char *const names[] = {
		"Year", "Month", "DayOfMonth", "Hour", "Minute", "Second",
		"MilliSecond"
	};
	const NcWhat *w = &sw->what;
	int			vids[7];
	size_t		n;
	int			dimid;
	int			nd;
	int			i;
	int			pass;

	for (i = 0; i < 7; i++)
		if (!nc_find_var(w, grpid, names[i], &vids[i]))
		{
			if (i < 6)
				return false;
			vids[i] = -1;	/* no MilliSecond */
		}
	NC_CHECK(w, nc_inq_varndims(grpid, vids[0], &nd));
	if (nd != 1)
		return false;
	NC_CHECK(w, nc_inq_vardimid(grpid, vids[0], &dimid));
	NC_CHECK(w, nc_inq_dimlen(grpid, dimid, &n));
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
					NC_CHECK(w, nc_get_var1_double(grpid, vids[i], &idx, &v[i]));
			/* NaN fails these too (and must not reach the casts below) */
			if (!(v[0] >= 1950 && v[0] <= 2200 && v[1] >= 1 && v[1] <= 12 &&
				  v[2] >= 1 && v[2] <= 31))
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
	p->time_var = nc_var_path(w, grpid, "Year");
	return true;
}

/* the units of a variable: "units", or HDF-EOS5's "Units" */
static char *
var_units(NcSwath *sw, int g, int v)
{
	char	   *u = nc_att_text(&sw->what, g, v, "units", NULL);

	return u ? u : nc_att_text(&sw->what, g, v, "Units", NULL);
}

/*
 * How a variable named like a time becomes POSIX seconds, false if it is
 * no time: CF "<unit> since <date>", or in an HDF-EOS5 file (a /HDFEOS
 * group) a "Time" in seconds without an epoch, which is TAI-93.
 */
static bool
time_var_conv(NcSwath *sw, int g, int v, const char *name, TimeConv *c)
{
	char	   *units = var_units(sw, g, v);
	bool		ok = false;

	memset(c, 0, sizeof(*c));
	if (parse_time_units(units, &c->scale, &c->epoch))
		ok = true;
	else if (units && (str_ieq(units, "s") || str_ieq(units, "seconds")) &&
			 str_ieq(name, "Time"))
	{
		char	   *path = nc_group_path(&sw->what, g);

		if (pg_strncasecmp(path, "/HDFEOS", 7) == 0)
		{
			c->scale = 1.0;
			c->epoch = days_from_civil(1993, 1, 1) * 86400.0;
			c->elapsed = true;
			ok = true;
		}
		pfree(path);
	}
	if (units)
		pfree(units);
	return ok;
}

/* has variable v of group g the dimensions of the pair's latitude? */
static bool
same_dims_as_pair(NcSwath *sw, const NcGeoPair *p, int g, int v)
{
	int			nd,
				nlat;
	int			d1[NC_MAX_VAR_DIMS],
				d2[NC_MAX_VAR_DIMS];

	NC_CHECK(&sw->what, nc_inq_varndims(g, v, &nd));
	NC_CHECK(&sw->what, nc_inq_varndims(p->grpid, p->lat_varid, &nlat));
	if (nd != nlat || nd > NC_MAX_VAR_DIMS)
		return false;
	NC_CHECK(&sw->what, nc_inq_vardimid(g, v, d1));
	NC_CHECK(&sw->what, nc_inq_vardimid(p->grpid, p->lat_varid, d2));
	return memcmp(d1, d2, nd * sizeof(int)) == 0;
}

/*
 * A reference time plus per-row or per-pixel offsets in the same group:
 * TROPOMI's delta_time (units milliseconds), GHRSST's sst_dtime (seconds,
 * packed, with fill).
 */
static void
add_time_offsets(NcSwath *sw, NcGeoPair *p, int g)
{
	static const char *const names[] = {"delta_time", "sst_dtime"};

	for (int k = 0; k < 2; k++)
	{
		int			dv;
		char	   *du;
		double		dsc,
					depoch,
					dmin,
					dmax;

		if (!nc_find_var(&sw->what, g, names[k], &dv))
			continue;
		du = var_units(sw, g, dv);
		dsc = unit_scale(du);
		if (dsc > 0 && var_minmax(sw, g, dv, &dmin, &dmax))
		{
			p->time_start += dmin * dsc;
			p->time_end += dmax * dsc;
			p->time_var = psprintf("%s + %s", p->time_var, names[k]);
			return;
		}
		/* newer TROPOMI: "milliseconds since <date>", times of their own */
		if (parse_time_units(du, &dsc, &depoch) &&
			var_minmax(sw, g, dv, &dmin, &dmax))
		{
			p->time_start = dmin * dsc + depoch;
			p->time_end = dmax * dsc + depoch;
			p->time_var = nc_var_path(&sw->what, g, names[k]);
			return;
		}
	}
}

/*
 * Find the time range of a pair: a time variable in the lat group or an
 * ancestor (name containing "time"; one with the pair's own dimensions
 * first, then "time" itself), plus delta_time or sst_dtime offsets; GPM's
 * ScanTime group or navigation/timeMidScan (GPS seconds since 1980-01-06).
 */
static void find_time_range(NcSwath *sw, NcGeoPair *p);

/*
 * The time range of a pair (see find_time_range), kept only if it is two
 * finite numbers in order: a granule's own numbers may say anything.  A
 * range beyond PostgreSQL's timestamps is the backend's error (22008).
 */
void
nc_time_find(NcSwath *sw, NcGeoPair *p)
{
	find_time_range(sw, p);
	if (p->has_time && !(isfinite(p->time_start) && isfinite(p->time_end) &&
						 p->time_start <= p->time_end))
		p->has_time = false;
}

static void
find_time_range(NcSwath *sw, NcGeoPair *p)
{
	const NcWhat *w = &sw->what;
	int			g = p->grpid;
	int			depth;

	p->has_time = false;
	for (depth = 0; depth < 64; depth++)
	{
		int			nvars;
		int			v;
		int			best = -1;
		int			best_rank = 0;
		TimeConv	best_conv = {0};
		int			sub;
		int			parent;

		NC_CHECK(w, nc_inq_varids(g, &nvars, NULL));
		for (v = 0; v < nvars; v++)
		{
			char		name[NC_MAX_NAME + 1];
			TimeConv	c;
			int			rank;

			NC_CHECK(w, nc_inq_varname(g, v, name));
			if (!nc_name_contains(name, "time") ||
				!time_var_conv(sw, g, v, name, &c))
				continue;
			rank = (str_ieq(name, "time") ? 2 : 1) +
				(same_dims_as_pair(sw, p, g, v) ? 4 : 0);
			if (rank > best_rank)
			{
				best = v;
				best_rank = rank;
				best_conv = c;
			}
		}
		if (best >= 0)
		{
			char		name[NC_MAX_NAME + 1];
			double		tmin,
						tmax;

			NC_CHECK(w, nc_inq_varname(g, best, name));
			if (var_minmax(sw, g, best, &tmin, &tmax))
			{
				p->has_time = true;
				p->time_start = time_conv(&best_conv, tmin);
				p->time_end = time_conv(&best_conv, tmax);
				p->time_var = nc_var_path(w, g, name);
				if (tmin == tmax)
					add_time_offsets(sw, p, g);
				return;
			}
		}
		/* GPM */
		if (nc_find_group(w, g, "ScanTime", &sub) &&
			scan_time_group(sw, sub, p))
			return;
		if (nc_find_group(w, g, "navigation", &sub))
		{
			int			tv;
			double		tmin,
						tmax;

			if (nc_find_var(w, sub, "timeMidScan", &tv) &&
				var_minmax(sw, sub, tv, &tmin, &tmax))
			{
				/* GPS seconds: elapsed since 1980-01-06, leap seconds counted */
				double		gps = days_from_civil(1980, 1, 6) * 86400.0;

				p->has_time = true;
				p->time_start = elapsed_to_unix(gps, tmin);
				p->time_end = elapsed_to_unix(gps, tmax);
				p->time_var = nc_var_path(w, sub, "timeMidScan");
				return;
			}
		}
		if (!nc_group_parent(w, g, &parent))
			return;
		g = parent;
	}
}
