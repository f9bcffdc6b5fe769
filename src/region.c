/*
 * region.c
 *		WKB polygons and multipolygons, and the point-in-region test.
 *
 * Two kinds of edges:
 *
 * - planar (PostGIS geometry, SRID 4326): edges are straight lines in
 *   longitude/latitude, as on a plate carree map and in l2ss-py's boxes.
 *   A polygon may be given in -180..180, 0..360 or across +-180 (e.g. a box
 *   from 170 to 190), anywhere in -540..540: a pixel longitude is shifted by
 *   multiples of 360 into the polygon's own longitude range before the test.
 *   Latitude is never shifted; either beyond its range is refused.
 *
 * - spherical (PostGIS geography): edges are great-circle arcs, and a
 *   polygon's interior is the side PostGIS takes (region_sphere.c), so
 *   hemispheres, bands, caps and regions larger than a hemisphere work.  A
 *   polygon that lies in the open hemisphere around its centre (the
 *   direction of its edges' midpoints, weighted by length) and whose
 *   interior is its small side is projected gnomonically onto the plane
 *   tangent there; the gnomonic projection maps great circles to straight
 *   lines, so the planar crossing-number test on the projected vertices is
 *   exact.  Any other polygon is tested by the crossings of the arc from
 *   the point to a point outside it (region_sphere.c).  Only an edge
 *   between antipodal points (undefined) and a ring around the globe whose
 *   first edge has no length (its sides undefined) are refused.
 *
 * Both tests count the boundary as inside.  Holes are honoured: a point
 * strictly inside a hole is outside the polygon; on a hole's ring, inside.
 */
#include "postgres.h"

#include <math.h>

#include "lib/stringinfo.h"
#include "miscadmin.h"
#include "port/pg_bswap.h"
#include "utils/memutils.h"

#include "region.h"
#include "region_sphere.h"

#define PLANAR_EPS		1e-9	/* degrees */
#define GNOMONIC_EPS	1e-12	/* projected units (radians near the centre) */
#define HEMISPHERE_EPS	1e-6	/* cos of the angle to the hemisphere edge */
#define REGION_MAX_LON	540.0	/* longitudes of a region lie in -540..540 */

typedef struct WkbReader
{
	const unsigned char *p;
	const unsigned char *end;
	bool		swap;
} WkbReader;

static bool part_test(const RegionPart *part, double px, double py,
					  bool projected, double eps);

static void
wkb_error(const char *detail)
{
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
			 errmsg("invalid region"),
			 errdetail("%s", detail),
			 errhint("A region is a Polygon or MultiPolygon in longitude/latitude degrees (SRID 4326).")));
}

static void
wkb_need(WkbReader *r, size_t n)
{
	if ((size_t) (r->end - r->p) < n)
		wkb_error("The WKB ends early.");
}

static uint32
wkb_uint32(WkbReader *r)
{
	uint32		v;

	wkb_need(r, 4);
	memcpy(&v, r->p, 4);
	r->p += 4;
	if (r->swap)
		v = pg_bswap32(v);
	return v;
}

static double
wkb_double(WkbReader *r)
{
	uint64		u;
	double		d;

	wkb_need(r, 8);
	memcpy(&u, r->p, 8);
	r->p += 8;
	if (r->swap)
		u = pg_bswap64(u);
	memcpy(&d, &u, 8);
	return d;
}

/* byte order and type; returns the base type (1..7) and the ordinate count */
static uint32
wkb_header(WkbReader *r, int *ndims)
{
	uint32		type;
	uint32		base;
	bool		z = false,
				m = false;

	wkb_need(r, 1);
#ifdef WORDS_BIGENDIAN
	r->swap = (*r->p == 1);
#else
	r->swap = (*r->p == 0);
#endif
	if (*r->p > 1)
		wkb_error("The WKB byte order mark is neither 0 nor 1.");
	r->p++;
	type = wkb_uint32(r);
	/* EWKB flags */
	if (type & 0x80000000)
		z = true;
	if (type & 0x40000000)
		m = true;
	if (type & 0x20000000)
		(void) wkb_uint32(r);	/* SRID: the caller checked it */
	type &= 0x0FFFFFFF;
	/* ISO WKB: 1000s Z, 2000s M, 3000s ZM */
	base = type % 1000;
	switch (type / 1000)
	{
		case 0:
			break;
		case 1:
			z = true;
			break;
		case 2:
			m = true;
			break;
		case 3:
			z = m = true;
			break;
		default:
			wkb_error("Unknown WKB geometry type.");
	}
	*ndims = 2 + (z ? 1 : 0) + (m ? 1 : 0);
	return base;
}

/* read one polygon's rings into part */
static void
read_polygon(WkbReader *r, int ndims, RegionPart *part)
{
	uint32		nrings = wkb_uint32(r);

	if (nrings > 1000000)
		wkb_error("The WKB polygon has an implausible number of rings.");
	part->nrings = 0;
	part->rings = palloc0(sizeof(RegionRing) * Max(1, nrings));
	for (uint32 i = 0; i < nrings; i++)
	{
		uint32		npts = wkb_uint32(r);
		RegionRing *ring = &part->rings[part->nrings];

		wkb_need(r, (size_t) npts * ndims * 8);
		if (npts == 0)
			continue;
		if (npts < 4)
			wkb_error("A polygon ring has fewer than 4 points.");
		ring->npoints = npts;
		ring->x = palloc(sizeof(double) * npts);
		ring->y = palloc(sizeof(double) * npts);
		for (uint32 k = 0; k < npts; k++)
		{
			ring->x[k] = wkb_double(r);
			ring->y[k] = wkb_double(r);
			for (int d = 2; d < ndims; d++)
				(void) wkb_double(r);
			if (!isfinite(ring->x[k]) || !isfinite(ring->y[k]))
				wkb_error("A polygon vertex is not finite.");
			if (fabs(ring->y[k]) > 90.0)
				ereport(ERROR,
						(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
						 errmsg("invalid region"),
						 errdetail("Latitude %g is out of range -90..90.", ring->y[k]),
						 errhint("Give longitude first, then latitude (x y), in degrees, SRID 4326.")));
			/* region_contains() shifts pixels by at most 720 degrees */
			if (fabs(ring->x[k]) > REGION_MAX_LON)
				ereport(ERROR,
						(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
						 errmsg("invalid region"),
						 errdetail("Longitude %g is out of range -540..540.", ring->x[k]),
						 errhint("Give longitudes in -180..180 or 0..360; a box across the antimeridian may reach 540 (e.g. 170 to 195).")));
		}
		if (ring->x[0] != ring->x[npts - 1] || ring->y[0] != ring->y[npts - 1])
			wkb_error("A polygon ring is not closed.");
		part->nrings++;
	}
}

/* bounding box of the shell, in the polygon's own longitudes */
static void
prepare_planar(RegionPart *part)
{
	RegionRing *shell = &part->rings[0];

	part->xmin = part->xmax = shell->x[0];
	part->ymin = part->ymax = shell->y[0];
	for (int k = 1; k < shell->npoints; k++)
	{
		part->xmin = Min(part->xmin, shell->x[k]);
		part->xmax = Max(part->xmax, shell->x[k]);
		part->ymin = Min(part->ymin, shell->y[k]);
		part->ymax = Max(part->ymax, shell->y[k]);
	}
}

/* room around the edge boxes: far above the tolerance of arcs_meet() */
#define EDGE_BOX_PAD	1e-9

/*
 * A box (x, y, z minimum then maximum) around every edge's arc, and their
 * union in part->box.  An arc under 180 degrees lies within its sagitta,
 * 1 - cos(angle / 2) = 1 - |a + b| / 2, of its chord, and the chord lies in
 * the box of its end points.
 */
static void
prepare_edge_boxes(RegionPart *part)
{
	for (int d = 0; d < 3; d++)
	{
		part->box[d] = HUGE_VAL;
		part->box[3 + d] = -HUGE_VAL;
	}
	for (int i = 0; i < part->nrings; i++)
	{
		RegionRing *ring = &part->rings[i];

		ring->ebox = palloc(sizeof(double) * 6 * Max(1, ring->npoints - 1));
		for (int k = 0; k < ring->npoints - 1; k++)
		{
			const double *a = &ring->v[3 * k],
					   *b = &ring->v[3 * (k + 1)];
			double	   *box = &ring->ebox[6 * k];
			double		m[3] = {a[0] + b[0], a[1] + b[1], a[2] + b[2]};
			double		pad = Max(0.0, 1.0 - sqrt(dot3(m, m)) / 2) + EDGE_BOX_PAD;

			for (int d = 0; d < 3; d++)
			{
				box[d] = Min(a[d], b[d]) - pad;
				box[3 + d] = Max(a[d], b[d]) + pad;
				part->box[d] = Min(part->box[d], box[d]);
				part->box[3 + d] = Max(part->box[3 + d], box[3 + d]);
			}
		}
	}
}

static bool gnomonic_contains(const RegionPart *part, const double *p);
static bool part_contains_vec(const RegionPart *part, const double *p);

/*
 * A part is tested by the gnomonic projection on the plane tangent at its
 * centre (part->centre, basis part->e1, part->e2) when every vertex lies in
 * the open hemisphere around that centre and PostGIS's outside point is
 * outside the projected part (its interior is then the small side); every
 * other part, by its outside point (region_sphere.c).  The centre is the
 * direction of the shell's edges' midpoints weighted by their lengths, so
 * that a densely sampled edge does not pull it aside.  float_box: see
 * sphere_prepare_part().
 */
static bool
prepare_spherical(RegionPart *part, bool soft, bool float_box)
{
	double		c[3] = {0, 0, 0};
	double		e1[3],
				e2[3],
				ref[3] = {0, 0, 1};
	RegionRing *shell = &part->rings[0];
	bool		gnomonic = true;

	for (int i = 0; i < part->nrings; i++)
	{
		RegionRing *ring = &part->rings[i];

		ring->v = palloc(sizeof(double) * 3 * ring->npoints);
		for (int k = 0; k < ring->npoints; k++)
			vec_from_lonlat(ring->x[k], ring->y[k], &ring->v[3 * k]);
		/* an edge between antipodal points has no defined great circle */
		for (int k = 0; k < ring->npoints - 1; k++)
			if (dot3(&ring->v[3 * k], &ring->v[3 * (k + 1)]) < -1.0 + 1e-12)
			{
				if (soft)
					return false;
				ereport(ERROR,
						(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
						 errmsg("geography region has an edge between antipodal points"),
						 errdetail("The great circle from (%g %g) to (%g %g) is undefined.",
								   ring->x[k], ring->y[k], ring->x[k + 1], ring->y[k + 1]),
						 errhint("Add vertices along the edge, or pass the region as geometry for straight longitude/latitude edges.")));
			}
	}
	if (!sphere_prepare_part(part, float_box))
	{
		if (soft)
			return false;
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("geography region has no defined interior"),
				 errdetail("The edges of the polygon from (%g %g) reach every side of the globe, so its interior is the side on the left of its first edge, which has no length.",
						   shell->x[0], shell->y[0]),
				 errhint("Remove the repeated first vertex (draw the ring counter-clockwise around its interior), or split the region into smaller polygons.")));
	}
	for (int k = 0; k < shell->npoints - 1; k++)
	{
		const double *a = &shell->v[3 * k],
				   *b = &shell->v[3 * (k + 1)];
		double		len = acos(Max(-1.0, Min(1.0, dot3(a, b))));

		for (int d = 0; d < 3; d++)
			c[d] += (a[d] + b[d]) * len;
	}
	if (!normalize3(c))
	{
		c[0] = shell->v[0];
		c[1] = shell->v[1];
		c[2] = shell->v[2];
		gnomonic = false;
	}
	for (int i = 0; gnomonic && i < part->nrings; i++)
	{
		RegionRing *ring = &part->rings[i];

		for (int k = 0; k < ring->npoints; k++)
			if (dot3(&ring->v[3 * k], c) <= HEMISPHERE_EPS)
				gnomonic = false;
	}
	/* tangent-plane basis */
	if (fabs(c[2]) > 0.9)
	{
		ref[0] = 1;
		ref[2] = 0;
	}
	cross3(ref, c, e1);
	normalize3(e1);
	cross3(c, e1, e2);
	memcpy(part->centre, c, sizeof(c));
	memcpy(part->e1, e1, sizeof(e1));
	memcpy(part->e2, e2, sizeof(e2));
	part->general = !gnomonic;
	if (gnomonic)
	{
		for (int i = 0; i < part->nrings; i++)
		{
			RegionRing *ring = &part->rings[i];

			ring->g = palloc(sizeof(double) * 2 * ring->npoints);
			for (int k = 0; k < ring->npoints; k++)
			{
				double	   *v = &ring->v[3 * k];
				double		d = dot3(v, c);

				ring->g[2 * k] = dot3(v, e1) / d;
				ring->g[2 * k + 1] = dot3(v, e2) / d;
			}
		}
		/* projected bounding box of the shell, kept in the planar fields */
		part->xmin = part->xmax = shell->g[0];
		part->ymin = part->ymax = shell->g[1];
		for (int k = 1; k < shell->npoints; k++)
		{
			part->xmin = Min(part->xmin, shell->g[2 * k]);
			part->xmax = Max(part->xmax, shell->g[2 * k]);
			part->ymin = Min(part->ymin, shell->g[2 * k + 1]);
			part->ymax = Max(part->ymax, shell->g[2 * k + 1]);
		}
		/* PostGIS takes the big side: test this part by its outside point */
		if (gnomonic_contains(part, part->outside))
			part->general = true;
	}
	/* the smallest cap around the centre holding the shell's vertices */
	part->cap_cos = 1.0;
	for (int k = 0; k < shell->npoints; k++)
		part->cap_cos = Min(part->cap_cos, dot3(&shell->v[3 * k], c));
	prepare_edge_boxes(part);
	return true;
}

/* margin of the pre-filter boxes, degrees: far above any rounding */
#define BOX_MARGIN		1e-6

/* add a box for longitudes [lo, hi] (any convention), split at +-180 */
static void
add_box(Region *reg, double lat_lo, double lat_hi, double lo, double hi)
{
	double		shift;

	lo -= BOX_MARGIN;
	hi += BOX_MARGIN;
	lat_lo = Max(-90.0, lat_lo - BOX_MARGIN);
	lat_hi = Min(90.0, lat_hi + BOX_MARGIN);
	if (!(hi - lo < 360.0))
	{
		lo = -180.0;
		hi = 180.0;
	}
	else
	{
		/* lo into [-180, 180) */
		shift = 360.0 * floor((lo + 180.0) / 360.0);
		lo -= shift;
		hi -= shift;
	}
	if (hi > 180.0)
	{
		reg->boxes[reg->nboxes++] = (RegionBox)
		{
			lat_lo, lat_hi, -180.0, hi - 360.0 + BOX_MARGIN
		};
		hi = 180.0;
	}
	reg->boxes[reg->nboxes++] = (RegionBox)
	{
		lat_lo, lat_hi, lo - BOX_MARGIN, hi
	};
}

/*
 * Pre-filter boxes.  Planar: each shell's bounding box.  Spherical: the
 * box of the smallest cap around the part's centre holding its shell's
 * vertices; the part lies in that cap (a cap under a hemisphere is convex
 * and holds the vertices' convex hull), and so does every point the
 * gnomonic test accepts.
 */
static void
prepare_boxes(Region *reg)
{
	reg->boxes = palloc(sizeof(RegionBox) * 2 * Max(1, reg->nparts));
	reg->nboxes = 0;
	for (int i = 0; i < reg->nparts; i++)
	{
		RegionPart *part = &reg->parts[i];
		RegionRing *shell = &part->rings[0];
		double		cosr = 1.0,
					r,
					clat,
					clon;

		if (!reg->spherical)
		{
			add_box(reg, part->ymin, part->ymax, part->xmin, part->xmax);
			continue;
		}
		if (part->general)
		{
			double		lat_lo,
						lat_hi,
						lon_lo,
						lon_hi;

			sphere_part_lonlat_box(part, &lat_lo, &lat_hi, &lon_lo, &lon_hi);
			add_box(reg, lat_lo, lat_hi, lon_lo, lon_hi);
			continue;
		}
		for (int k = 0; k < shell->npoints; k++)
			cosr = Min(cosr, dot3(&shell->v[3 * k], part->centre));
		r = acos(Max(-1.0, Min(1.0, cosr))) / DEG2RAD + BOX_MARGIN;
		clat = asin(Max(-1.0, Min(1.0, part->centre[2]))) / DEG2RAD;
		clon = atan2(part->centre[1], part->centre[0]) / DEG2RAD;
		if (clat + r >= 90.0 - BOX_MARGIN || clat - r <= -90.0 + BOX_MARGIN)
			add_box(reg, clat - r, clat + r, -180.0, 180.0);	/* a pole */
		else
		{
			double		dlon = asin(Min(1.0, sin(r * DEG2RAD) / cos(clat * DEG2RAD))) / DEG2RAD;

			add_box(reg, clat - r, clat + r, clon - dlon - BOX_MARGIN,
					clon + dlon + BOX_MARGIN);
		}
	}
}

/* margin of the inner boxes, degrees: points this far inside are robustly in */
#define INNER_MARGIN	1e-5

static void
add_inner(Region *reg, double lat_lo, double lat_hi, double lon_lo, double lon_hi)
{
	lat_lo += INNER_MARGIN;
	lat_hi -= INNER_MARGIN;
	lon_lo += INNER_MARGIN;
	lon_hi -= INNER_MARGIN;
	/* only boxes within [-180, 180): pixels are normalised into it */
	if (!(lat_lo < lat_hi && lon_lo < lon_hi) || lon_lo < -180.0 || lon_hi >= 180.0 ||
		lat_lo < -90.0 || lat_hi > 90.0)
		return;
	reg->inner[reg->ninner++] = (RegionBox)
	{
		lat_lo, lat_hi, lon_lo, lon_hi
	};
}

/*
 * Inner boxes, for parts without holes.  Planar: a shell that is an
 * axis-aligned rectangle is its own box.  Spherical: when the part's centre
 * is inside it, no edge's great circle comes nearer the centre than some
 * angle r, so the cap of radius r around the centre is inside (a point of
 * it is joined to the centre without crossing an edge); a latitude/longitude
 * box whose corners are in that cap is in it.
 */
static void
prepare_inner(Region *reg)
{
	reg->inner = palloc(sizeof(RegionBox) * Max(1, reg->nparts));
	reg->ninner = 0;
	for (int i = 0; i < reg->nparts; i++)
	{
		RegionPart *part = &reg->parts[i];
		RegionRing *shell = &part->rings[0];

		if (part->nrings != 1 || part->general)
			continue;
		if (!reg->spherical)
		{
			bool		rect = shell->npoints == 5;

			for (int k = 0; rect && k < 4; k++)
			{
				double		x1 = shell->x[k],
							y1 = shell->y[k],
							x2 = shell->x[k + 1],
							y2 = shell->y[k + 1];

				rect = (x1 == x2 && y1 != y2) || (y1 == y2 && x1 != x2);
				rect = rect && (x1 == part->xmin || x1 == part->xmax) &&
					(y1 == part->ymin || y1 == part->ymax);
			}
			if (rect)
			{
				double		shift = 360.0 * floor((part->xmin + 180.0) / 360.0);

				/* region_contains() shifts longitudes by at most 720 */
				if (fabs(shift) <= 720.0)
					add_inner(reg, part->ymin, part->ymax, part->xmin - shift,
							  part->xmax - shift);
			}
		}
		else
		{
			double		r = M_PI / 2,
						clat,
						clon,
						a,
						b = 180.0,
						cosr;

			/* the centre projects onto (0, 0) */
			if (!part_test(part, 0.0, 0.0, true, GNOMONIC_EPS))
				continue;
			for (int k = 0; k < shell->npoints - 1; k++)
			{
				double		n[3];

				cross3(&shell->v[3 * k], &shell->v[3 * (k + 1)], n);
				if (!normalize3(n))
				{
					r = 0;
					break;
				}
				r = Min(r, asin(Min(1.0, fabs(dot3(n, part->centre)))));
			}
			r -= INNER_MARGIN * DEG2RAD;
			if (r <= 0)
				continue;
			cosr = cos(r);
			clat = asin(Max(-1.0, Min(1.0, part->centre[2]))) / DEG2RAD;
			clon = atan2(part->centre[1], part->centre[0]) / DEG2RAD;
			a = r / DEG2RAD / 2;
			if (fabs(clat) + a >= 89.0)
				continue;
			/* corners: cos(angle) = sin(c) sin(p) + cos(c) cos(p) cos(dlon) >= cos r */
			for (int sgn = -1; sgn <= 1; sgn += 2)
			{
				double		plat = (clat + sgn * a) * DEG2RAD,
							cl = clat * DEG2RAD,
							need = (cosr - sin(cl) * sin(plat)) / (cos(cl) * cos(plat));

				if (need >= 1.0)
					b = 0;
				else if (need > -1.0)
					b = Min(b, acos(need) / DEG2RAD);
			}
			b *= 0.999;
			if (b > 0)
				add_inner(reg, clat - a, clat + a, clon - b, clon + b);
		}
	}
}

/*
 * Parse WKB.  soft (spherical only): return NULL for what region_intersects()
 * cannot take (not a polygon, empty, an antipodal edge, a part without a
 * defined interior) instead of raising an error.
 */
static Region *
region_parse(const char *wkb, size_t len, bool spherical, bool soft)
{
	WkbReader	r;
	int			ndims;
	uint32		type;
	Region	   *reg = palloc0(sizeof(Region));

	r.p = (const unsigned char *) wkb;
	r.end = r.p + len;
	r.swap = false;
	reg->spherical = spherical;
	type = wkb_header(&r, &ndims);
	if (type == 3)
	{
		reg->parts = palloc0(sizeof(RegionPart));
		read_polygon(&r, ndims, &reg->parts[0]);
		reg->nparts = reg->parts[0].nrings > 0 ? 1 : 0;
	}
	else if (type == 6)
	{
		uint32		npolys = wkb_uint32(&r);

		if (npolys > 1000000)
			wkb_error("The WKB multipolygon has an implausible number of parts.");
		reg->parts = palloc0(sizeof(RegionPart) * Max(1, npolys));
		for (uint32 i = 0; i < npolys; i++)
		{
			int			nd2;

			if (wkb_header(&r, &nd2) != 3)
				wkb_error("A MultiPolygon member is not a Polygon.");
			read_polygon(&r, nd2, &reg->parts[reg->nparts]);
			if (reg->parts[reg->nparts].nrings > 0)
				reg->nparts++;
		}
	}
	else if (soft)
		return NULL;
	else
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("region must be a Polygon or MultiPolygon"),
				 errdetail("WKB geometry type %u was given.", type),
				 errhint("Build a box with ST_MakeEnvelope(xmin, ymin, xmax, ymax, 4326), or buffer a point or line.")));
	if (r.p != r.end)
		wkb_error("There are bytes after the end of the geometry.");
	if (soft && reg->nparts == 0)
		return NULL;
	for (int i = 0; i < reg->nparts; i++)
	{
		if (spherical)
		{
			if (!prepare_spherical(&reg->parts[i], soft, type == 3))
				return NULL;
		}
		else
			prepare_planar(&reg->parts[i]);
	}
	/* the pre-filter and shortcut boxes serve region_contains() callers */
	if (!soft)
	{
		prepare_boxes(reg);
		prepare_inner(reg);
	}
	return reg;
}

Region *
region_from_wkb(const char *wkb, size_t len, bool spherical)
{
	return region_parse(wkb, len, spherical, false);
}

/* the spherical parse of region_intersects(): see RegionCache */
static Region *
region_from_wkb_soft(const char *wkb, size_t len)
{
	return region_parse(wkb, len, true, true);
}

Region *
region_cache_soft(RegionCache *c, MemoryContext parent, const char *wkb,
				  size_t len)
{
	MemoryContext old;

	if (c->wkb && c->len == len && memcmp(c->wkb, wkb, len) == 0)
		return c->region;
	if (c->cxt == NULL)
		c->cxt = AllocSetContextCreate(parent, "eoswath region cache",
									   ALLOCSET_SMALL_SIZES);
	else
		MemoryContextReset(c->cxt);
	c->wkb = NULL;
	old = MemoryContextSwitchTo(c->cxt);
	c->region = region_from_wkb_soft(wkb, len);
	c->wkb = palloc(Max(len, 1));
	memcpy(c->wkb, wkb, len);
	c->len = len;
	MemoryContextSwitchTo(old);
	return c->region;
}

/*
 * Crossing-number test of (px, py) against a ring of xs/ys with stride:
 * 1 inside, 0 on the boundary, -1 outside.
 */
static int
ring_test(const double *xs, const double *ys, int stride, int n,
		  double px, double py, double eps)
{
	bool		inside = false;

	for (int k = 0; k < n - 1; k++)
	{
		double		x1 = xs[k * stride],
					y1 = ys[k * stride],
					x2 = xs[(k + 1) * stride],
					y2 = ys[(k + 1) * stride];
		double		cr;

		/* on the segment? */
		if (px >= Min(x1, x2) - eps && px <= Max(x1, x2) + eps &&
			py >= Min(y1, y2) - eps && py <= Max(y1, y2) + eps)
		{
			double		len = fabs(x2 - x1) + fabs(y2 - y1);

			cr = (x2 - x1) * (py - y1) - (y2 - y1) * (px - x1);
			if (fabs(cr) <= eps * Max(len, 1e-300))
				return 0;
			if (len == 0 && fabs(px - x1) <= eps && fabs(py - y1) <= eps)
				return 0;
		}
		if ((y1 > py) != (y2 > py))
		{
			double		xi = x1 + (py - y1) * (x2 - x1) / (y2 - y1);

			if (px < xi)
				inside = !inside;
		}
	}
	return inside ? 1 : -1;
}

/* a part's rings: inside the shell (boundary included) and not strictly in a hole */
static bool
part_test(const RegionPart *part, double px, double py, bool projected, double eps)
{
	for (int i = 0; i < part->nrings; i++)
	{
		const RegionRing *ring = &part->rings[i];
		int			t;

		if (projected)
			t = ring_test(ring->g, ring->g + 1, 2, ring->npoints, px, py, eps);
		else
			t = ring_test(ring->x, ring->y, 1, ring->npoints, px, py, eps);
		if (i == 0 && t < 0)
			return false;
		if (i > 0 && t > 0)
			return false;
	}
	return true;
}

bool
region_contains(const Region *r, double lat, double lon)
{
	if (isnan(lat) || isnan(lon))
		return false;
	if (r->spherical)
	{
		double		p[3];

		vec_from_lonlat(lon, lat, p);
		for (int i = 0; i < r->nparts; i++)
			if (part_contains_vec(&r->parts[i], p))
				return true;
		return false;
	}
	for (int i = 0; i < r->nparts; i++)
	{
		const RegionPart *part = &r->parts[i];

		if (lat < part->ymin - PLANAR_EPS || lat > part->ymax + PLANAR_EPS)
			continue;
		/* shift the longitude into the polygon's range: -720..720 covers any sane input */
		for (int k = -2; k <= 2; k++)
		{
			double		x = lon + 360.0 * k;

			if (x < part->xmin - PLANAR_EPS || x > part->xmax + PLANAR_EPS)
				continue;
			if (part_test(part, x, lat, false, PLANAR_EPS))
				return true;
		}
	}
	return false;
}

void
region_lat_bounds(const Region *r, double *lat_min, double *lat_max)
{
	double		lo = 90,
				hi = -90;

	for (int i = 0; i < r->nparts; i++)
	{
		const RegionRing *shell = &r->parts[i].rings[0];

		for (int k = 0; k < shell->npoints; k++)
		{
			lo = Min(lo, shell->y[k]);
			hi = Max(hi, shell->y[k]);
		}
		if (!r->spherical)
			continue;
		/* a great-circle arc may bulge past its end points' latitudes */
		for (int k = 0; k < shell->npoints - 1; k++)
		{
			const double *a = &shell->v[3 * k],
					   *b = &shell->v[3 * (k + 1)];
			double		n[3],
						t[3];
			double		z[3] = {0, 0, 1};
			double		zn;

			cross3(a, b, n);
			if (!normalize3(n))
				continue;
			zn = n[2];
			for (int sgn = -1; sgn <= 1; sgn += 2)
			{
				double		c1[3],
							c2[3];

				/* the northmost (sgn 1) or southmost point of the circle */
				t[0] = sgn * (z[0] - zn * n[0]);
				t[1] = sgn * (z[1] - zn * n[1]);
				t[2] = sgn * (z[2] - zn * n[2]);
				if (!normalize3(t))
					continue;
				cross3(a, t, c1);
				cross3(t, b, c2);
				if (dot3(c1, n) >= 0 && dot3(c2, n) >= 0)
				{
					double		lat = asin(Max(-1.0, Min(1.0, t[2]))) / DEG2RAD;

					lo = Min(lo, lat);
					hi = Max(hi, lat);
				}
			}
		}
	}
	/* a region around a pole reaches it */
	if (region_contains(r, 90.0, 0.0))
		hi = 90;
	if (region_contains(r, -90.0, 0.0))
		lo = -90;
	*lat_min = lo - 1e-6;
	*lat_max = hi + 1e-6;
}

char *
region_describe(const Region *r)
{
	int			nv = 0;

	for (int i = 0; i < r->nparts; i++)
		for (int k = 0; k < r->parts[i].nrings; k++)
			nv += r->parts[i].rings[k].npoints - 1;
	return psprintf("%d polygon%s, %d vertices, %s edges", r->nparts,
					r->nparts == 1 ? "" : "s", nv,
					r->spherical ? "great-circle" : "straight lon/lat");
}

/*
 * Polygon-polygon intersection on the sphere (closed sets, parts of any
 * size, each with the interior PostGIS gives it).  Two parts share a point
 * iff an edge of one touches
 * or crosses an edge of the other, or, when no edges meet, a vertex of one
 * lies inside the other (each ring is then wholly inside or outside the
 * other part).  Tests within TOUCH_EPS of zero count as touching: PostGIS
 * geography takes a distance under its tolerance as an intersection.
 */
#define on_arc(a, b, n, q) sphere_on_arc(a, b, n, q)

/* do the arcs a0-a1 and b0-b1 (each under 180 degrees) share a point? */
static bool
arcs_meet(const double *a0, const double *a1, const double *b0, const double *b1)
{
	double		na[3],
				nb[3],
				p[3],
				sa0,
				sa1,
				sb0,
				sb1,
				ma[3],
				mb[3];
	bool		da,
				db;

	cross3(a0, a1, na);
	cross3(b0, b1, nb);
	da = normalize3(na);
	db = normalize3(nb);
	if (!da || !db)
	{
		/* a degenerate (zero-length) edge: a point */
		if (!da && !db)
			return dot3(a0, b0) > 1.0 - TOUCH_EPS * TOUCH_EPS;
		if (!da)
			return on_arc(b0, b1, nb, a0);
		return on_arc(a0, a1, na, b0);
	}
	sb0 = dot3(na, b0);
	sb1 = dot3(na, b1);
	sa0 = dot3(nb, a0);
	sa1 = dot3(nb, a1);
	/* both end points of one arc clearly on one side of the other's circle */
	if ((sb0 > TOUCH_EPS && sb1 > TOUCH_EPS) || (sb0 < -TOUCH_EPS && sb1 < -TOUCH_EPS) ||
		(sa0 > TOUCH_EPS && sa1 > TOUCH_EPS) || (sa0 < -TOUCH_EPS && sa1 < -TOUCH_EPS))
		return false;
	/* touching: an end point on the other arc (also covers collinear overlap) */
	if (on_arc(a0, a1, na, b0) || on_arc(a0, a1, na, b1) ||
		on_arc(b0, b1, nb, a0) || on_arc(b0, b1, nb, a1))
		return true;
	/* a proper crossing needs strict straddling on both sides */
	if (!((sb0 > TOUCH_EPS && sb1 < -TOUCH_EPS) || (sb0 < -TOUCH_EPS && sb1 > TOUCH_EPS)) ||
		!((sa0 > TOUCH_EPS && sa1 < -TOUCH_EPS) || (sa0 < -TOUCH_EPS && sa1 > TOUCH_EPS)))
		return false;
	/*
	 * The circles cross at +-p; each arc holds the one on the side of its
	 * midpoint.  They meet iff that is the same point (not antipodes).
	 */
	cross3(na, nb, p);
	ma[0] = a0[0] + a1[0];
	ma[1] = a0[1] + a1[1];
	ma[2] = a0[2] + a1[2];
	mb[0] = b0[0] + b1[0];
	mb[1] = b0[1] + b1[1];
	mb[2] = b0[2] + b1[2];
	return (dot3(p, ma) > 0) == (dot3(p, mb) > 0);
}

/* the gnomonic test of a unit vector (boundary included, holes honoured) */
static bool
gnomonic_contains(const RegionPart *part, const double *p)
{
	double		d = dot3(p, part->centre);
	double		px,
				py;

	if (d <= 0)
		return false;
	px = dot3(p, part->e1) / d;
	py = dot3(p, part->e2) / d;
	if (px < part->xmin - GNOMONIC_EPS || px > part->xmax + GNOMONIC_EPS ||
		py < part->ymin - GNOMONIC_EPS || py > part->ymax + GNOMONIC_EPS)
		return false;
	return part_test(part, px, py, true, GNOMONIC_EPS);
}

/*
 * Is the unit vector p in the part?  As PostGIS, nothing outside the
 * part's geocentric box is.
 */
static bool
part_contains_vec(const RegionPart *part, const double *p)
{
	if (part->general)
		return sphere_part_contains(part, p);
	return sphere_in_box(part, p) && gnomonic_contains(part, p);
}

/* do two boxes (x, y, z minimum then maximum) overlap? */
static inline bool
boxes_overlap(const double *a, const double *b)
{
	return a[0] <= b[3] && b[0] <= a[3] &&
		a[1] <= b[4] && b[1] <= a[4] &&
		a[2] <= b[5] && b[2] <= a[5];
}

/* an edge of a part, for the sweep of edges_meet() */
typedef struct EdgeRef
{
	const double *box;
	const double *v;			/* its two end points, 3 numbers each */
} EdgeRef;

static int
edge_cmp_xmin(const void *x, const void *y)
{
	double		a = ((const EdgeRef *) x)->box[0],
				b = ((const EdgeRef *) y)->box[0];

	return a < b ? -1 : a > b ? 1 : 0;
}

/* the edges of part whose boxes overlap box, sorted by their x minimum */
static EdgeRef *
edges_near(const RegionPart *part, const double *box, int *n)
{
	int			total = 0;
	EdgeRef    *e;

	for (int i = 0; i < part->nrings; i++)
		total += Max(0, part->rings[i].npoints - 1);
	e = palloc(sizeof(EdgeRef) * Max(1, total));
	*n = 0;
	for (int i = 0; i < part->nrings; i++)
	{
		const RegionRing *ring = &part->rings[i];

		for (int k = 0; k < ring->npoints - 1; k++)
			if (boxes_overlap(&ring->ebox[6 * k], box))
			{
				e[*n].box = &ring->ebox[6 * k];
				e[*n].v = &ring->v[3 * k];
				(*n)++;
			}
	}
	qsort(e, *n, sizeof(EdgeRef), edge_cmp_xmin);
	return e;
}

/*
 * Does an edge of a meet an edge of b?  Only edges whose boxes overlap can
 * meet: a sweep along x over the edges near the other part tests those
 * pairs and no others.  Each edge, once reached, is tested against the
 * edges of the other part still open (x maximum not passed), then opens.
 */
static bool
edges_meet(const RegionPart *a, const RegionPart *b)
{
	int			na,
				nb,
				i = 0,
				j = 0,
				nopen[2] = {0, 0};
	EdgeRef    *ea = edges_near(a, b->box, &na);
	EdgeRef    *eb = edges_near(b, a->box, &nb);
	EdgeRef    *open[2];
	bool		meet = false;

	open[0] = palloc(sizeof(EdgeRef) * Max(1, na));
	open[1] = palloc(sizeof(EdgeRef) * Max(1, nb));
	while (!meet && (i < na || j < nb))
	{
		/* the next edge by x minimum, from a (side 0) or b (side 1) */
		int			side = (j >= nb || (i < na && ea[i].box[0] <= eb[j].box[0])) ? 0 : 1;
		EdgeRef		e = side == 0 ? ea[i++] : eb[j++];
		EdgeRef    *other = open[1 - side];
		int			n = 0;

		CHECK_FOR_INTERRUPTS();
		/* drop the other side's edges that end before this one starts */
		for (int k = 0; k < nopen[1 - side]; k++)
		{
			if (other[k].box[3] < e.box[0])
				continue;
			other[n++] = other[k];
			if (boxes_overlap(e.box, other[k].box) &&
				arcs_meet(e.v, e.v + 3, other[k].v, other[k].v + 3))
			{
				meet = true;
				break;
			}
		}
		if (meet)
			break;
		nopen[1 - side] = n;
		open[side][nopen[side]++] = e;
	}
	pfree(ea);
	pfree(eb);
	pfree(open[0]);
	pfree(open[1]);
	return meet;
}

static bool
parts_intersect(const RegionPart *a, const RegionPart *b)
{
	double		cc = dot3(a->centre, b->centre);
	double		ra = acos(Max(-1.0, Min(1.0, a->cap_cos))),
				rb = acos(Max(-1.0, Min(1.0, b->cap_cos)));

	/* caps apart: the parts are too (a cap under a hemisphere is convex) */
	if (!a->general && !b->general && ra + rb + 1e-9 < M_PI &&
		cc < cos(ra + rb + 1e-9))
		return false;

	/*
	 * A vertex of one inside the other is a shared point.  Tested first: it
	 * costs a pass over one ring, where the sweep of edges_meet() sorts the
	 * edges of both, and it decides the usual case of a search, a region
	 * inside a wide swath (no edges meet there).
	 */
	if (part_contains_vec(a, &b->rings[0].v[0]) ||
		part_contains_vec(b, &a->rings[0].v[0]))
		return true;
	/* neither vertex inside the other: they meet where edges cross, or not */
	return boxes_overlap(a->box, b->box) && edges_meet(a, b);
}

bool
region_intersects(const Region *a, const Region *b)
{
	Assert(a->spherical && b->spherical);
	for (int i = 0; i < a->nparts; i++)
		for (int j = 0; j < b->nparts; j++)
		{
			CHECK_FOR_INTERRUPTS();
			if (parts_intersect(&a->parts[i], &b->parts[j]))
				return true;
		}
	return false;
}
