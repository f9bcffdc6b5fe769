/*
 * fuzz_region.c
 *		libFuzzer target over region.c: WKB regions as a user gives them to
 *		swath_subset() (parsed in the helper) and swath_search() (parsed in
 *		the backend itself, where a crash takes the server down).
 *
 * The first byte chooses planar (even) or great-circle (odd) edges; the
 * rest is the WKB.  After region_from_wkb() (and, for great-circle edges,
 * the soft parse of region_intersects() through its cache), the target
 * checks what the subset relies on, on a grid of points and at every
 * vertex:
 *   - region_surely_contains() implies region_contains(), which implies
 *     region_maybe_contains() (the shortcut and the pre-filter of pass 1);
 *   - a point inside lies within region_lat_bounds();
 *   - a vertex of a polygon without holes, being on the boundary, is
 *     inside (both tests count the boundary as inside);
 *   - region_intersects() of a region with itself is true;
 *   - a cell of region_build_grids()'s grids said certain agrees with
 *     region_contains() (at the points above, at points on a lattice in
 *     each pre-filter box, and beside each vertex and each edge's middle).
 * A broken promise aborts with a line starting "eoswath-fuzz: ".
 */
#include "postgres.h"

#include <math.h>

#include "region.h"

int			LLVMFuzzerInitialize(int *argc, char ***argv);
int			LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

const char *__asan_default_options(void);
const char *__ubsan_default_options(void);

/* as fuzz_granule.c: an allocation past the helper's memory fails */
const char *
__asan_default_options(void)
{
	return "detect_leaks=0:allocator_may_return_null=1:max_allocation_size_mb=1024:"
		"handle_abort=1:print_summary=1";
}

const char *
__ubsan_default_options(void)
{
	return "print_stacktrace=1:halt_on_error=1";
}

static MemoryContext input_cxt;

static void broken(const char *fmt,...) pg_attribute_printf(1, 2);

static void
broken(const char *fmt,...)
{
	va_list		ap;

	fprintf(stderr, "eoswath-fuzz: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\n");
	abort();
}

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	rt_init();
	input_cxt = AllocSetContextCreate(TopMemoryContext, "fuzz input",
									  ALLOCSET_DEFAULT_SIZES);
	return 0;
}

/* longitude into [-180, 180), as pixels are */
static double
norm_lon(double lon)
{
	double		v = fmod(lon + 180.0, 360.0);

	if (v < 0)
		v += 360.0;
	v -= 180.0;
	return v >= 180.0 ? v - 360.0 : v;
}

/* the promises of the pre-filter, the shortcut and the bounds at one point */
static void check_grid(const Region *r, double lat, double lon, bool in);

static void
check_point(const Region *r, double lat, double lon, double lat_lo,
			double lat_hi)
{
	bool		in = region_contains(r, lat, lon);

	if (region_surely_contains(r, lat, lon) && !in)
		broken("(%.17g, %.17g) surely inside but not inside", lat, lon);
	if (in && !region_maybe_contains(r, lat, lon))
		broken("(%.17g, %.17g) inside but not maybe inside", lat, lon);
	if (in && !(lat >= lat_lo && lat <= lat_hi))
		broken("(%.17g, %.17g) inside but outside the latitude bounds %.17g .. %.17g",
			   lat, lon, lat_lo, lat_hi);
	check_grid(r, lat, lon, in);
}

/* the grid's answer, where certain, is region_contains()'s */
static void
check_grid(const Region *r, double lat, double lon, bool in)
{
	int			g;

	if (!(lon >= -180.0 && lon < 180.0) || !(lat >= -90.0 && lat <= 90.0))
		return;
	g = region_grid_test(r, lat, lon);
	if (g != 0 && (g > 0) != in)
		broken("(%.17g, %.17g) is %s, but its grid cell says %s", lat, lon,
			   in ? "inside" : "outside", g > 0 ? "inside" : "outside");
}

/* points around (lat, lon) at a few distances, each checked against the grid */
static void
check_near(const Region *r, double lat, double lon)
{
	static const double d[] = {1e-9, 1e-7, 1e-5, 1e-3, 0.1};

	for (int i = 0; i < lengthof(d); i++)
		for (int s = 0; s < 4; s++)
		{
			double		la = lat + ((s & 1) ? d[i] : -d[i]),
						lo = norm_lon(lon + ((s & 2) ? d[i] : -d[i]));

			if (la >= -90.0 && la <= 90.0)
				check_grid(r, la, lo, region_contains(r, la, lo));
		}
}

static void
serve(const uint8_t *data, size_t size)
{
	bool		spherical = (data[0] & 1) != 0;
	const char *wkb = (const char *) data + 1;
	size_t		len = size - 1;
	Region	   *r = region_from_wkb(wkb, len, spherical);
	double		lat_lo,
				lat_hi;
	int			nv = 0;

	(void) region_describe(r);
	region_build_grids(r);
	region_lat_bounds(r, &lat_lo, &lat_hi);
	if (!(lat_lo <= lat_hi) && r->nparts > 0)
		broken("latitude bounds %g .. %g", lat_lo, lat_hi);

	for (double lat = -90.0; lat <= 90.0; lat += 7.5)
		for (double lon = -180.0; lon < 180.0; lon += 7.5)
			check_point(r, lat, lon, lat_lo, lat_hi);

	/* a lattice over each pre-filter box, finer than its grid */
	for (int b = 0; b < r->nboxes && b < 8; b++)
	{
		const RegionBox *box = &r->boxes[b];

		for (int i = 0; i <= 64; i++)
			for (int j = 0; j <= 64; j++)
			{
				double		lat = box->lat_lo + (box->lat_hi - box->lat_lo) * i / 64,
							lon = box->lon_lo + (box->lon_hi - box->lon_lo) * j / 64;

				if (lon >= -180.0 && lon < 180.0 && lat >= -90.0 && lat <= 90.0)
					check_grid(r, lat, lon, region_contains(r, lat, lon));
			}
	}

	for (int i = 0; i < r->nparts; i++)
		for (int k = 0; k < r->parts[i].nrings; k++)
		{
			const RegionRing *ring = &r->parts[i].rings[k];
			/*
			 * Each vertex is on the boundary, so inside, when the part has no
			 * hole; the WKB is not validated, and a hole may reach outside its
			 * shell or cover a shell's vertex.
			 */
			bool		on_boundary = r->parts[i].nrings == 1;

			for (int v = 0; v < ring->npoints && nv < 256; v++, nv++)
			{
				double		lat = ring->y[v],
							lon = ring->x[v];

				/* region_contains() shifts longitudes by up to 720 degrees */
				if (fabs(lon) > 540.0)
					continue;
				check_point(r, lat, norm_lon(lon), lat_lo, lat_hi);
				check_near(r, lat, lon);
				if (v + 1 < ring->npoints && fabs(ring->x[v + 1]) <= 540.0)
					check_near(r, (lat + ring->y[v + 1]) / 2,
							   (lon + ring->x[v + 1]) / 2);
				/* the boundary is inside, in either longitude convention */
				if (on_boundary &&
					(!region_contains(r, lat, lon) ||
					 !region_contains(r, lat, norm_lon(lon))))
					broken("vertex (%.17g, %.17g) of ring %d of part %d is outside",
						   lat, lon, k, i);
			}
		}

	if (spherical)
	{
		RegionCache cache = {0};
		Region	   *soft = region_cache_soft(&cache, CurrentMemoryContext, wkb, len);

		/* soft: NULL for what region_intersects() cannot take */
		if (soft != NULL && soft->nparts > 0 && !region_intersects(soft, soft))
			broken("a region does not intersect itself");
		if (region_cache_soft(&cache, CurrentMemoryContext, wkb, len) != soft)
			broken("the region cache missed the same WKB");
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	sigjmp_buf	jump;

	if (size < 1)
		return 0;
	MemoryContextSwitchTo(input_cxt);
	if (RT_TRY(jump))
		serve(data, size);
	rt_error_jump = NULL;
	MemoryContextSwitchTo(TopMemoryContext);
	MemoryContextReset(input_cxt);
	return 0;
}
