/*-------------------------------------------------------------------------
 *
 * quicklook_grid.c
 *	  A quicklook of one variable of a swath: its pixels resampled from the
 *	  swath's own geolocation onto a grid (plate carree, or polar
 *	  stereographic), coloured and written as a PNG.  Runs in the granule
 *	  helper: it reads the granule.
 *
 * Two passes over the swath in blocks of scan lines, so memory is the
 * grid's (bounded by the caller) plus one block, whatever the granule's
 * size:
 *	1. the extent of the pixels inside the region (or of the region) and the
 *	   swath's pixel spacing; they choose the projection, the grid and the
 *	   search radius;
 *	2. nearest neighbour: every pixel (fill values included, as pyresample's
 *	   kd_tree.resample_nearest sees them) offers itself to the grid cells
 *	   within the radius around it; a cell keeps the nearest, measured as
 *	   the chord between unit vectors on a sphere.  A cell no pixel reaches
 *	   stays empty: the radius (the larger of 0.75 cell and one pixel
 *	   spacing) fills the space between neighbouring pixels but not a
 *	   scatterometer's nadir gap or the space between altimeter tracks.
 * Then the value range (given, the variable's valid_min/valid_max, or the
 * 2nd and 98th percentiles of the cells drawn) maps values to the colours
 * 1..255 of an indexed PNG; empty cells, fill values and cells outside the
 * region are colour 0, transparent.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <math.h>

#include "granule.h"
#include "nc.h"
#include "quicklook.h"
#include "quicklook_nc.h"
#include "region.h"

#define DEG (M_PI / 180.0)
#define LON_BINS		360
#define POLAR_BINS		3600	/* of 0.1 degree */
#define SPACING_SAMPLES 4096
/* the geolocation of pass 1 is kept for pass 2 when it fits in this */
#define GEO_CACHE_BYTES (64 * 1024 * 1024)

/* pass 1's geolocation, kept (lat NULL: not kept, pass 2 reads it again) */
typedef struct GeoCache
{
	double	   *lat;
	double	   *lon;
	size_t		nrows;
	size_t		ncols;
	size_t		block_rows;
} GeoCache;


/* what pass 1 learns */
typedef struct Extent
{
	int64		n;
	double		lat_lo,
				lat_hi;
	bool		bin_used[LON_BINS];
	double		bin_lo[LON_BINS];
	double		bin_hi[LON_BINS];
	/* per hemisphere (north, south) and bin: the latitude range there */
	bool		hemi_used[2][POLAR_BINS];
	double		hemi_lo[2][POLAR_BINS];
	double		hemi_hi[2][POLAR_BINS];
	bool		pole[2];		/* a region holding the north, south pole */
} Extent;

typedef struct Grid
{
	QlProjection proj;
	int			width;
	int			height;
	double		x0,
				x1,
				y0,
				y1;				/* bbox: degrees or metres */
	double		dx,
				dy;
	bool		wrap;			/* plate carree round the whole Earth */
	double		chord;			/* search radius on the unit sphere */
	double		angle;			/* the same as an angle, radians */
	double		sin_angle;
	float	   *val;			/* NaN: fill; meaningful where best < inf */
	double	   *best;			/* squared chord to the nearest pixel */
	double	   *rcos,
			   *rsin,
			   *ccos,
			   *csin;			/* plate carree: per row and column */
	double	   *xyz;			/* stereographic: unit vector per cell */
} Grid;

/* ---------- projections ---------- */

/* polar stereographic on the sphere, true scale at the pole */
static inline void
stereo(bool north, double lat, double lon, double *x, double *y)
{
	double		rho = 2 * QL_EARTH_RADIUS *
		tan(M_PI / 4 - (north ? lat : -lat) * DEG / 2);

	*x = rho * sin(lon * DEG);
	*y = north ? -rho * cos(lon * DEG) : rho * cos(lon * DEG);
}

static inline void
stereo_inverse(bool north, double x, double y, double *lat, double *lon)
{
	double		rho = hypot(x, y);
	double		c = M_PI / 2 - 2 * atan(rho / (2 * QL_EARTH_RADIUS));

	*lat = (north ? c : -c) / DEG;
	*lon = (rho == 0) ? 0 : atan2(x, north ? -y : y) / DEG;
}

static void
extent_init(Extent *e)
{
	memset(e, 0, sizeof(Extent));
	e->lat_lo = 90;
	e->lat_hi = -90;
}

/* a point (lon in [-180, 180)) in the extent */
static void
extent_add(Extent *e, double lat, double lon)
{
	int			b = (int) floor(lon + 180.0);

	b = Max(0, Min(LON_BINS - 1, b));
	e->lat_lo = Min(e->lat_lo, lat);
	e->lat_hi = Max(e->lat_hi, lat);
	if (!e->bin_used[b])
	{
		e->bin_used[b] = true;
		e->bin_lo[b] = e->bin_hi[b] = lon;
	}
	else
	{
		e->bin_lo[b] = Min(e->bin_lo[b], lon);
		e->bin_hi[b] = Max(e->bin_hi[b], lon);
	}
	{
		/* a polar picture shows its own hemisphere */
		int			h = lat >= 0 ? 0 : 1;

		b = Max(0, Min(POLAR_BINS - 1, (int) floor((lon + 180.0) * 10)));
		if (!e->hemi_used[h][b])
		{
			e->hemi_used[h][b] = true;
			e->hemi_lo[h][b] = e->hemi_hi[h][b] = lat;
		}
		else
		{
			e->hemi_lo[h][b] = Min(e->hemi_lo[h][b], lat);
			e->hemi_hi[h][b] = Max(e->hemi_hi[h][b], lat);
		}
	}
}

static double
normalise_lon(double lon)
{
	lon = fmod(lon + 180.0, 360.0);
	if (lon < 0)
		lon += 360.0;
	lon -= 180.0;
	return lon >= 180.0 ? lon - 360.0 : lon;
}

/* the region's boundary, every edge cut into steps of at most 0.25 degree */
static void
extent_of_region(Extent *e, const Region *r)
{
	for (int i = 0; i < r->nparts; i++)
	{
		const RegionRing *ring = &r->parts[i].rings[0];

		for (int k = 0; k + 1 < ring->npoints; k++)
		{
			double		x0 = ring->x[k],
						y0 = ring->y[k],
						x1 = ring->x[k + 1],
						y1 = ring->y[k + 1];
			double		len = r->spherical ?
				acos(Max(-1.0, Min(1.0, ring->v[3 * k] * ring->v[3 * k + 3] +
								   ring->v[3 * k + 1] * ring->v[3 * k + 4] +
								   ring->v[3 * k + 2] * ring->v[3 * k + 5]))) / DEG :
				hypot(x1 - x0, y1 - y0);
			int			steps = Max(1, Min(100000, (int) ceil(len / 0.25)));

			for (int s = 0; s <= steps; s++)
			{
				double		t = (double) s / steps;

				if (r->spherical)
				{
					const double *a = &ring->v[3 * k],
							   *b = &ring->v[3 * k + 3];
					double		p[3];
					double		norm;

					for (int c = 0; c < 3; c++)
						p[c] = (1 - t) * a[c] + t * b[c];
					norm = sqrt(p[0] * p[0] + p[1] * p[1] + p[2] * p[2]);
					if (norm < 1e-12)
						continue;
					extent_add(e, asin(Max(-1.0, Min(1.0, p[2] / norm))) / DEG,
							   normalise_lon(atan2(p[1], p[0]) / DEG));
				}
				else
					extent_add(e, y0 + t * (y1 - y0),
							   normalise_lon(x0 + t * (x1 - x0)));
			}
		}
	}
	e->pole[0] = region_contains(r, 90, 0);
	e->pole[1] = region_contains(r, -90, 0);
	if (e->pole[0])
		extent_add(e, 90, 0);
	if (e->pole[1])
		extent_add(e, -90, 0);
}

/*
 * The stereographic extent (x lo, hi, y lo, hi) of one hemisphere's points:
 * from each 0.1-degree bin's latitude range, at the bin's edges (sine and
 * cosine are monotonic within a bin, whose edges hold their extremes), so
 * it holds every point and is at most a bin wider.  False when none.
 */
static bool
polar_extent(const Extent *e, int h, double ps[4])
{
	bool		any = false;

	ps[0] = ps[2] = HUGE_VAL;
	ps[1] = ps[3] = -HUGE_VAL;
	for (int b = 0; b < POLAR_BINS; b++)
	{
		if (!e->hemi_used[h][b])
			continue;
		any = true;
		for (int k = 0; k < 4; k++)
		{
			double		x,
						y;

			stereo(h == 0, k < 2 ? e->hemi_lo[h][b] : e->hemi_hi[h][b],
				   (b + (k & 1)) / 10.0 - 180.0, &x, &y);
			ps[0] = Min(ps[0], x);
			ps[1] = Max(ps[1], x);
			ps[2] = Min(ps[2], y);
			ps[3] = Max(ps[3], y);
		}
	}
	return any;
}

/*
 * The longitudes the extent covers: from *lo to *hi (> *lo, at most 360
 * further), the complement of the widest run of unused 1-degree bins.
 */
static void
lon_range(const Extent *e, double *lo, double *hi)
{
	int			best_len = 0,
				best_end = -1;

	for (int start = 0; start < LON_BINS; start++)
	{
		int			len = 0;

		if (e->bin_used[start] || !e->bin_used[(start + LON_BINS - 1) % LON_BINS])
			continue;			/* not the start of a run of unused bins */
		while (len < LON_BINS && !e->bin_used[(start + len) % LON_BINS])
			len++;
		if (len > best_len)
		{
			best_len = len;
			best_end = (start + len) % LON_BINS;	/* first used after it */
		}
	}
	if (best_len < 20 || e->pole[0] || e->pole[1])
	{
		/* (nearly) every longitude: the whole circle */
		*lo = -180;
		*hi = 180;
		return;
	}
	{
		int			last = (best_end + LON_BINS - best_len - 1) % LON_BINS;

		*lo = e->bin_lo[best_end];
		*hi = e->bin_hi[last];
		if (*hi < *lo)
			*hi += 360;
	}
}

/* ---------- pass 1: extent and spacing ---------- */

static inline double
chord_deg(double lat1, double lon1, double lat2, double lon2)
{
	double		a = sin((lat2 - lat1) * DEG / 2),
				b = sin((lon2 - lon1) * DEG / 2);
	double		h = a * a + cos(lat1 * DEG) * cos(lat2 * DEG) * b * b;

	return 2 * asin(Min(1.0, sqrt(h)));	/* radians */
}

static int
cmp_double(const void *a, const void *b)
{
	double		x = *(const double *) a,
				y = *(const double *) b;

	return (x > y) - (x < y);
}

static double
median(double *v, int n)
{
	if (n == 0)
		return 0;
	qsort(v, n, sizeof(double), cmp_double);
	return v[n / 2];
}

/* is a pixel drawn: valid geolocation inside the region */
static inline bool
pixel_inside(const Region *region, double lat, double lon)
{
	if (isnan(lat) || isnan(lon))
		return false;
	if (region == NULL)
		return true;
	if (!region_maybe_contains(region, lat, lon))
		return false;
	return region_surely_contains(region, lat, lon) ||
		region_contains(region, lat, lon);
}

/*
 * Pass 1: the extent of the pixels inside (into e unless the region gives
 * it), and the median distance between neighbouring pixels, radians.
 */
static int64
scan_pixels(NcSwath *sw, int pair, const Region *region, Extent *e,
			double *spacing, GeoCache *cache)
{
	NcSwathIter *it = nc_swath_iter_begin(sw, pair, 0);
	NcSwathBlock *b;
	double	   *along = palloc(sizeof(double) * SPACING_SAMPLES);
	double	   *across = palloc(sizeof(double) * SPACING_SAMPLES);
	int			nalong = 0,
				nacross = 0;
	int64		inside = 0;
	size_t		step,
				first,
				next;
	NcGeoPair  *gp = &sw->pairs[pair];

	/* sample about SPACING_SAMPLES neighbour pairs of each kind */
	step = Max(1, (gp->nrows * gp->ncols) / SPACING_SAMPLES);
	memset(cache, 0, sizeof(GeoCache));
	if (gp->nrows * Max(gp->ncols, 1) <= GEO_CACHE_BYTES / (2 * sizeof(double)))
	{
		cache->nrows = gp->nrows;
		cache->ncols = Max(gp->ncols, 1);
		cache->block_rows = it->block_rows;
		cache->lat = MemoryContextAllocHuge(CurrentMemoryContext,
											sizeof(double) * cache->nrows * cache->ncols);
		cache->lon = MemoryContextAllocHuge(CurrentMemoryContext,
											sizeof(double) * cache->nrows * cache->ncols);
	}
	while ((b = nc_swath_iter_next(it)) != NULL)
	{
		size_t		n = b->nrows * b->ncols;

		if (cache->lat)
		{
			memcpy(cache->lat + b->row0 * b->ncols, b->lat, sizeof(double) * n);
			memcpy(cache->lon + b->row0 * b->ncols, b->lon, sizeof(double) * n);
		}

		/* the samples: pixels whose index in the swath is a multiple of step */
		first = b->row0 * b->ncols;
		next = (first + step - 1) / step * step;
		for (size_t i = 0; i < n; i++)
		{
			double		la = b->lat[i],
						lo = b->lon[i];
			bool		sample = first + i == next;

			if (sample)
				next += step;
			if (!pixel_inside(region, la, lo))
				continue;
			inside++;
			if (region == NULL)
				extent_add(e, la, lo);
			if (!sample)
				continue;
			/* neighbours within the block */
			if (i % b->ncols + 1 < b->ncols && !isnan(b->lat[i + 1]) &&
				!isnan(b->lon[i + 1]) && nacross < SPACING_SAMPLES)
				across[nacross++] = chord_deg(la, lo, b->lat[i + 1], b->lon[i + 1]);
			if (i + b->ncols < n && !isnan(b->lat[i + b->ncols]) &&
				!isnan(b->lon[i + b->ncols]) && nalong < SPACING_SAMPLES)
				along[nalong++] = chord_deg(la, lo, b->lat[i + b->ncols], b->lon[i + b->ncols]);
		}
	}
	nc_swath_iter_end(it);
	*spacing = Max(median(along, nalong), median(across, nacross));
	pfree(along);
	pfree(across);
	return inside;
}

/* ---------- the grid ---------- */

/* the projection when none is asked for */
static QlProjection
choose_projection(const Extent *e, double lon_span)
{
	if (e->pole[0] && !e->pole[1])
		return QL_PROJ_NORTH;
	if (e->pole[1] && !e->pole[0])
		return QL_PROJ_SOUTH;
	if (e->lat_lo >= 30 && (e->lat_hi >= 75 || lon_span >= 120))
		return QL_PROJ_NORTH;
	if (e->lat_hi <= -30 && (e->lat_lo <= -75 || lon_span >= 120))
		return QL_PROJ_SOUTH;
	return QL_PROJ_EQUIRECT;
}

/* the bbox and size of the grid */
static void
plan_grid(Grid *g, const Extent *e, QlProjection proj, int width,
		  double spacing, bool from_region, const char *label)
{
	double		lo,
				hi;
	double		pad;
	double		cell_m;

	lon_range(e, &lo, &hi);
	if (proj == QL_PROJ_AUTO)
		proj = choose_projection(e, hi - lo);
	g->proj = proj;
	if (proj == QL_PROJ_EQUIRECT)
	{
		/* pixel centres on the edges: half a spacing around them */
		pad = from_region ? 0 : spacing / DEG / 2;
		g->x0 = lo - pad;
		g->x1 = hi + pad;
		g->y0 = Max(-90.0, e->lat_lo - pad);
		g->y1 = Min(90.0, e->lat_hi + pad);
		if (g->x1 - g->x0 >= 360 - 1e-9 || (lo == -180 && hi == 180))
		{
			g->x0 = -180;
			g->x1 = 180;
			g->wrap = true;
		}
		if (g->x1 - g->x0 < 1e-3)
		{
			g->x0 -= 5e-4;
			g->x1 += 5e-4;
		}
		if (g->y1 - g->y0 < 1e-3)
		{
			g->y0 = Max(-90.0, g->y0 - 5e-4);
			g->y1 = Min(90.0, g->y1 + 5e-4);
		}
	}
	else
	{
		int			h = proj == QL_PROJ_NORTH ? 0 : 1;
		double		ps[4];

		if (!polar_extent(e, h, ps))
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("the swath of %s cannot be drawn in the %s projection", label,
							ql_projection_name(proj)),
					 errdetail("It lies in the other hemisphere.")));
		pad = from_region ? 0 : spacing * QL_EARTH_RADIUS / 2;
		g->x0 = ps[0] - pad;
		g->x1 = ps[1] + pad;
		g->y0 = ps[2] - pad;
		g->y1 = ps[3] + pad;
		if (g->x1 - g->x0 < 100)
		{
			g->x0 -= 50;
			g->x1 += 50;
		}
		if (g->y1 - g->y0 < 100)
		{
			g->y0 -= 50;
			g->y1 += 50;
		}
	}
	g->width = width;
	{
		double		h = round(width * (g->y1 - g->y0) / (g->x1 - g->x0));

		if (h > QL_MAX_SIDE)
			ereport(ERROR,
					(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
					 errmsg("a quicklook %d pixels wide of %s would be %.0f pixels high", width,
							label, h),
					 errdetail("The largest height is %d pixels.", QL_MAX_SIDE),
					 errhint("Ask for a smaller width.")));
		g->height = (int) Max(1.0, h);
	}
	g->dx = (g->x1 - g->x0) / g->width;
	g->dy = (g->y1 - g->y0) / g->height;

	/* the radius: 0.75 cell or one pixel spacing, the larger */
	/* (a plate carree cell is narrower than high away from the equator) */
	cell_m = proj == QL_PROJ_EQUIRECT ? g->dy * DEG * QL_EARTH_RADIUS :
		Max(g->dx, g->dy);
	g->chord = Max(0.75 * cell_m / QL_EARTH_RADIUS, spacing);
	g->angle = 2 * asin(Min(1.0, g->chord / 2));
	g->sin_angle = sin(g->angle);
}

static void
grid_alloc(Grid *g, int64 max_bytes, const char *label)
{
	int64		cells = (int64) g->width * g->height;
	int64		per_cell = sizeof(float) + sizeof(double) +
		(g->proj == QL_PROJ_EQUIRECT ? 0 : 3 * sizeof(double));

	if (max_bytes > 0 && cells > max_bytes / per_cell)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("a quicklook of %d x %d pixels of %s needs too much memory", g->width,
						g->height, label),
				 errdetail("Its grid needs " INT64_FORMAT " MB; the granule helper may use " INT64_FORMAT " MB for it.",
						   cells * per_cell / (1024 * 1024), max_bytes / (1024 * 1024)),
				 errhint("Ask for a smaller width, or raise eoswath.granule_memory_limit.")));
	g->val = MemoryContextAllocHuge(CurrentMemoryContext, sizeof(float) * cells);
	g->best = MemoryContextAllocHuge(CurrentMemoryContext, sizeof(double) * cells);
	for (int64 i = 0; i < cells; i++)
		g->best[i] = HUGE_VAL;
	if (g->proj == QL_PROJ_EQUIRECT)
	{
		g->rcos = palloc(sizeof(double) * g->height);
		g->rsin = palloc(sizeof(double) * g->height);
		g->ccos = palloc(sizeof(double) * g->width);
		g->csin = palloc(sizeof(double) * g->width);
		for (int r = 0; r < g->height; r++)
		{
			double		lat = (g->y1 - (r + 0.5) * g->dy) * DEG;

			g->rcos[r] = cos(lat);
			g->rsin[r] = sin(lat);
		}
		for (int c = 0; c < g->width; c++)
		{
			double		lon = (g->x0 + (c + 0.5) * g->dx) * DEG;

			g->ccos[c] = cos(lon);
			g->csin[c] = sin(lon);
		}
	}
	else
	{
		bool		north = g->proj == QL_PROJ_NORTH;

		g->xyz = MemoryContextAllocHuge(CurrentMemoryContext, sizeof(double) * 3 * cells);
		for (int r = 0; r < g->height; r++)
			for (int c = 0; c < g->width; c++)
			{
				double		lat,
							lon;
				double	   *p = &g->xyz[3 * ((int64) r * g->width + c)];

				stereo_inverse(north, g->x0 + (c + 0.5) * g->dx,
							   g->y1 - (r + 0.5) * g->dy, &lat, &lon);
				p[0] = cos(lat * DEG) * cos(lon * DEG);
				p[1] = cos(lat * DEG) * sin(lon * DEG);
				p[2] = sin(lat * DEG);
			}
	}
}

/* the centre of a cell in degrees */
static void
cell_lonlat(const Grid *g, int r, int c, double *lat, double *lon)
{
	if (g->proj == QL_PROJ_EQUIRECT)
	{
		*lat = g->y1 - (r + 0.5) * g->dy;
		*lon = normalise_lon(g->x0 + (c + 0.5) * g->dx);
	}
	else
		stereo_inverse(g->proj == QL_PROJ_NORTH, g->x0 + (c + 0.5) * g->dx,
					   g->y1 - (r + 0.5) * g->dy, lat, lon);
}

/* ---------- pass 2: nearest neighbour ---------- */

/* offer one pixel (value v, NaN for fill) to the cells within the radius */
static void
splat(Grid *g, double lat, double lon, float v)
{
	double		cl = cos(lat * DEG);
	double		p[3] = {cl * cos(lon * DEG), cl * sin(lon * DEG), sin(lat * DEG)};
	double		r2 = g->chord * g->chord;
	double		fr,
				fc,
				wr,
				wc;
	int			r_lo,
				r_hi,
				c_lo,
				c_hi;

	if (g->proj == QL_PROJ_EQUIRECT)
	{
		double		x = lon;
		double		a_deg = g->angle / DEG;

		while (x < g->x0)
			x += 360;
		while (x >= g->x0 + 360)
			x -= 360;
		if (!g->wrap && x > g->x1 + a_deg && x - 360 < g->x0 - a_deg)
			return;
		if (!g->wrap && x > g->x1 + a_deg)
			x -= 360;			/* just west of the grid */
		fc = (x - g->x0) / g->dx - 0.5;
		fr = (g->y1 - lat) / g->dy - 0.5;
		wr = a_deg / g->dy;
		if (fabs(lat) + a_deg >= 90)
			wc = g->width;
		else
		{
			/*
			 * the cap's half width in longitude is asin(sin(angle) / cos
			 * lat); asin(x) <= x / sqrt(1 - x^2) bounds it without asin
			 */
			double		x = g->sin_angle / cl;

			wc = x >= 0.999 ? g->width : x / sqrt(1 - x * x) / DEG / g->dx;
		}
	}
	else
	{
		bool		north = g->proj == QL_PROJ_NORTH;
		double		phi = north ? lat : -lat;
		double		s1,
					s2,
					mid,
					ux,
					uy;

		/* a spherical cap projects to a disc: its ends on the meridian */
		if (phi - g->angle / DEG <= -89.999)
			return;				/* near the other pole: off any grid */
		s1 = 2 * QL_EARTH_RADIUS * tan(M_PI / 4 - (phi * DEG + g->angle) / 2);
		s2 = 2 * QL_EARTH_RADIUS * tan(M_PI / 4 - (phi * DEG - g->angle) / 2);
		mid = (s1 + s2) / 2;
		ux = sin(lon * DEG);
		uy = north ? -cos(lon * DEG) : cos(lon * DEG);
		fc = (mid * ux - g->x0) / g->dx - 0.5;
		fr = (g->y1 - mid * uy) / g->dy - 0.5;
		wc = fabs(s2 - s1) / 2 / g->dx;
		wr = fabs(s2 - s1) / 2 / g->dy;
	}
	r_lo = (int) Max(0.0, ceil(fr - wr));
	r_hi = (int) Min((double) g->height - 1, floor(fr + wr));
	if (g->wrap && wc * 2 + 1 >= g->width)
	{
		c_lo = 0;
		c_hi = g->width - 1;
	}
	else if (g->wrap)
	{
		c_lo = (int) ceil(fc - wc);
		c_hi = (int) floor(fc + wc);
	}
	else
	{
		c_lo = (int) Max(0.0, ceil(fc - wc));
		c_hi = (int) Min((double) g->width - 1, floor(fc + wc));
	}
	for (int r = r_lo; r <= r_hi; r++)
		for (int cc = c_lo; cc <= c_hi; cc++)
		{
			int			c = cc;
			int64		i;
			double		d[3],
						d2;

			if (c < 0)
				c += g->width;	/* (a wrapped window is narrower than the grid) */
			else if (c >= g->width)
				c -= g->width;
			i = (int64) r * g->width + c;
			if (g->proj == QL_PROJ_EQUIRECT)
			{
				d[0] = p[0] - g->rcos[r] * g->ccos[c];
				d[1] = p[1] - g->rcos[r] * g->csin[c];
				d[2] = p[2] - g->rsin[r];
			}
			else
			{
				d[0] = p[0] - g->xyz[3 * i];
				d[1] = p[1] - g->xyz[3 * i + 1];
				d[2] = p[2] - g->xyz[3 * i + 2];
			}
			d2 = d[0] * d[0] + d[1] * d[1] + d[2] * d[2];
			if (d2 <= r2 && d2 < g->best[i])
			{
				g->best[i] = d2;
				g->val[i] = v;
			}
		}
}

static void
resample(NcSwath *sw, QlVar *v, const Region *region, Grid *g,
		 const GeoCache *cache)
{
	NcSwathIter *it = cache->lat ? NULL : nc_swath_iter_begin(sw, v->pair, 0);
	NcSwathBlock *b,
				cached;
	double	   *vals = NULL;
	size_t		cap = 0;
	size_t		n;

	cached.row0 = 0;
	cached.nrows = 0;
	for (;;)
	{
		if (it)
			b = nc_swath_iter_next(it);
		else
		{
			/* the next block of the kept geolocation */
			CHECK_FOR_INTERRUPTS();
			cached.row0 += cached.nrows;
			cached.nrows = Min(cache->block_rows, cache->nrows - cached.row0);
			cached.ncols = cache->ncols;
			cached.lat = cache->lat + cached.row0 * cache->ncols;
			cached.lon = cache->lon + cached.row0 * cache->ncols;
			b = cached.nrows > 0 ? &cached : NULL;
		}
		if (b == NULL)
			break;
		n = b->nrows * b->ncols;
		if (n > cap)
		{
			if (vals)
				pfree(vals);
			vals = nc_alloc_array(&sw->what, n, sizeof(double));
			cap = n;
		}
		ql_read_var_rows(sw, v, b->row0, b->nrows, b->ncols, vals);
		for (size_t i = 0; i < n; i++)
			if (pixel_inside(region, b->lat[i], b->lon[i]))
				splat(g, b->lat[i], b->lon[i], (float) vals[i]);
	}
	if (it)
		nc_swath_iter_end(it);
	if (vals)
		pfree(vals);
}

/* ---------- colours ---------- */

static int
cmp_float(const void *a, const void *b)
{
	float		x = *(const float *) a,
				y = *(const float *) b;

	return (x > y) - (x < y);
}

/* the value range when none is given; the cells with a value */
static int64
value_range(Grid *g, const QlVar *v, const Region *region, bool has_range,
			double *lo, double *hi)
{
	int64		cells = (int64) g->width * g->height;
	int64		n = 0;
	float	   *sorted;

	/* empty cells, and cells outside the region, have no value */
	for (int64 i = 0; i < cells; i++)
	{
		if (g->best[i] == HUGE_VAL)
			g->val[i] = NAN;
		else if (region != NULL && !isnan(g->val[i]))
		{
			double		lat,
						lon;

			cell_lonlat(g, (int) (i / g->width), (int) (i % g->width), &lat, &lon);
			if (!region_contains(region, lat, lon))
				g->val[i] = NAN;
		}
		if (!isnan(g->val[i]))
			n++;
	}
	if (has_range)
		return n;
	if (v->pack.has_valid_min && v->pack.has_valid_max &&
		v->pack.valid_min < v->pack.valid_max)
	{
		double		a = v->pack.valid_min * v->pack.scale_factor + v->pack.add_offset,
					b = v->pack.valid_max * v->pack.scale_factor + v->pack.add_offset;

		*lo = Min(a, b);
		*hi = Max(a, b);
		return n;
	}
	if (n == 0)
	{
		*lo = *hi = 0;
		return n;
	}
	/* robust: the 2nd and 98th percentiles of the values drawn */
	sorted = MemoryContextAllocHuge(CurrentMemoryContext, sizeof(float) * n);
	n = 0;
	for (int64 i = 0; i < cells; i++)
		if (!isnan(g->val[i]))
			sorted[n++] = g->val[i];
	qsort(sorted, n, sizeof(float), cmp_float);
	*lo = sorted[(int64) floor(0.02 * (n - 1))];
	*hi = sorted[(int64) ceil(0.98 * (n - 1))];
	pfree(sorted);
	return n;
}

/* ---------- the whole ---------- */

void
quicklook_run(NcSwath *sw, const GranuleQuicklookRequest *req,
			  GranuleQuicklookInfo *info, granule_bytes_cb sink, void *arg)
{
	QlVar		v = {0};
	Region	   *region = NULL;
	Extent	   *e = palloc(sizeof(Extent));
	Grid		g = {0};
	GeoCache	cache;
	double		spacing;
	double		lo = req->range_lo,
				hi = req->range_hi;
	uint8		palette[256][3];
	uint8	   *row;
	QlText		texts[12];
	int			nt = 0;
	QlPng	   *png;

	memset(info, 0, sizeof(*info));
	if (!ql_palette(req->colormap, palette))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("unknown colormap \"%s\"", req->colormap),
				 errhint("Colormaps: %s.", QL_COLORMAP_NAMES)));
	if (req->width < 1 || req->width > QL_MAX_SIDE)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("width must be between 1 and %d pixels", QL_MAX_SIDE)));
	ql_find_var(sw, req->variable, &v);
	if (req->region_wkb)
		region = region_from_wkb(req->region_wkb, req->region_len, req->spherical);

	extent_init(e);
	if (scan_pixels(sw, v.pair, region, e, &spacing, &cache) == 0)
	{
		info->empty = true;
		return;
	}
	if (region)
		extent_of_region(e, region);
	plan_grid(&g, e, (QlProjection) req->projection, req->width, spacing,
			  region != NULL, sw->label);
	grid_alloc(&g, req->max_grid_bytes, sw->label);
	resample(sw, &v, region, &g, &cache);
	info->cells = value_range(&g, &v, region, req->has_range, &lo, &hi);

	info->width = g.width;
	info->height = g.height;
	info->projection = g.proj;
	info->bbox[0] = g.x0;
	info->bbox[1] = g.y0;
	info->bbox[2] = g.x1;
	info->bbox[3] = g.y1;
	info->range_lo = lo;
	info->range_hi = hi;
	info->radius_m = g.chord * QL_EARTH_RADIUS;
	info->units = v.units;

	texts[nt].key = "Software";
	texts[nt++].value = "eoswath";
	texts[nt].key = "source";
	texts[nt++].value = req->source ? req->source : sw->label;
	texts[nt].key = "variable";
	texts[nt++].value = v.path;
	texts[nt].key = "long_name";
	texts[nt++].value = v.long_name;
	texts[nt].key = "units";
	texts[nt++].value = v.units;
	texts[nt].key = "value_range";
	texts[nt++].value = psprintf("%.9g,%.9g", lo, hi);
	texts[nt].key = "colormap";
	texts[nt++].value = req->colormap;
	texts[nt].key = "projection";
	texts[nt++].value = ql_projection_name(g.proj);
	texts[nt].key = "crs";
	texts[nt++].value = ql_projection_proj4(g.proj);
	texts[nt].key = "bbox";
	texts[nt++].value = psprintf("%.10g,%.10g,%.10g,%.10g", g.x0, g.y0, g.x1, g.y1);
	texts[nt].key = "radius_m";
	texts[nt++].value = psprintf("%.6g", info->radius_m);
	texts[nt].key = "resampling";
	texts[nt++].value = "nearest";

	png = ql_png_begin(g.width, g.height, palette, true, texts, nt, sink, arg);
	row = palloc(g.width);
	for (int r = 0; r < g.height; r++)
	{
		const float *vr = &g.val[(int64) r * g.width];

		for (int c = 0; c < g.width; c++)
			row[c] = isnan(vr[c]) ? 0 : ql_colour_index(vr[c], lo, hi);
		ql_png_row(png, row);
	}
	ql_png_end(png);
}
