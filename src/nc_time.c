/*-------------------------------------------------------------------------
 *
 * nc_time.c
 *	  The acquisition time range of a swath, from its granule's own time
 *	  variables: a CF "<unit> since <date>" variable in the swath's group or
 *	  an ancestor, TROPOMI's reference time plus delta_time, GPM's ScanTime
 *	  group or navigation/timeMidScan (GPS seconds).  Times are seconds
 *	  since 1970-01-01 UTC, leap seconds ignored.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <math.h>

#include "miscadmin.h"

#include "nc.h"

/* at most this many values per hyperslab read */
#define NC_TIME_BLOCK_VALUES	(1 << 18)

/* plausible acquisition times: 1900-01-01 to 2200-01-01 (seconds since 1970) */
#define NC_TIME_MIN		(-2208988800.0)
#define NC_TIME_END		(7258118400.0)

static bool
str_ieq(const char *a, const char *b)
{
	return pg_strcasecmp(a, b) == 0;
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
		str_ieq(units, "s"))
		return 1.0;
	return 0.0;
}

/*
 * Set the time range of a pair if it is plausible: finite, in order, and
 * between 1900 and 2200 (a granule's own numbers may say anything; the
 * backend makes timestamps of these).  False, and nothing set, if not.
 */
static bool
set_time(NcGeoPair *p, double start, double end, char *var)
{
	if (!(start >= NC_TIME_MIN && end < NC_TIME_END && start <= end))
		return false;
	p->has_time = true;
	p->time_start = start;
	p->time_end = end;
	p->time_var = var;
	return true;
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
	double		start = 0,
				end = 0;

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
				start = t;
			else
				end = t;
			ok = true;
		}
		if (!ok)
			return false;
	}
	return set_time(p, start, end, nc_var_path(w, grpid, "Year"));
}

/*
 * Find the time range of a pair: a "since" time variable in the lat group
 * or an ancestor (name containing "time"; "time" itself preferred), TROPOMI
 * time + delta_time, GPM ScanTime group or navigation/timeMidScan (GPS
 * seconds since 1980-01-06, leap seconds ignored).
 */
void
nc_time_find(NcSwath *sw, NcGeoPair *p)
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
		int			sub;
		int			parent;

		NC_CHECK(w, nc_inq_varids(g, &nvars, NULL));
		for (v = 0; v < nvars; v++)
		{
			char		name[NC_MAX_NAME + 1];
			char	   *units;
			double		sc,
						off;
			int			rank;

			NC_CHECK(w, nc_inq_varname(g, v, name));
			if (!nc_name_contains(name, "time"))
				continue;
			units = nc_att_text(w, g, v, "units", NULL);
			if (!parse_time_units(units, &sc, &off))
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
			char	   *units = nc_att_text(w, g, best, "units", NULL);
			double		sc,
						off,
						tmin,
						tmax;
			int			dv;

			NC_CHECK(w, nc_inq_varname(g, best, name));
			(void) parse_time_units(units, &sc, &off);
			if (var_minmax(sw, g, best, &tmin, &tmax))
			{
				double		start = tmin * sc + off,
							end = tmax * sc + off;
				char	   *var = nc_var_path(w, g, name);

				/* TROPOMI: reference time plus per-scanline delta_time */
				if (tmin == tmax && nc_find_var(w, g, "delta_time", &dv))
				{
					char	   *du = nc_att_text(w, g, dv, "units", NULL);
					double		dsc = unit_scale(du);
					double		dmin,
								dmax;

					if (dsc > 0 && var_minmax(sw, g, dv, &dmin, &dmax))
					{
						start += dmin * dsc;
						end += dmax * dsc;
						var = psprintf("%s + delta_time", var);
					}
				}
				if (set_time(p, start, end, var))
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
				/* GPS epoch 1980-01-06 */
				double		gps = days_from_civil(1980, 1, 6) * 86400.0;

				if (set_time(p, tmin + gps, tmax + gps,
							 nc_var_path(w, sub, "timeMidScan")))
					return;
			}
		}
		if (!nc_group_parent(w, g, &parent))
			return;
		g = parent;
	}
}
