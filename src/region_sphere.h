/*
 * region_sphere.h
 *		Private to region*.c: unit-vector helpers, and geography polygons of
 *		any size (hemispheres, bands, caps, regions larger than a
 *		hemisphere) whose interior is the side PostGIS geography takes.
 */
#ifndef EOSWATH_REGION_SPHERE_H
#define EOSWATH_REGION_SPHERE_H

#include <math.h>

#include "region.h"

#define DEG2RAD			(M_PI / 180.0)

/*
 * Tests within TOUCH_EPS of zero count as touching: PostGIS geography takes
 * a distance under its tolerance as an intersection.
 */
#define TOUCH_EPS		1e-13	/* sine of an angle (under a micrometre on the Earth) */

/* degrees to a unit vector, computed as PostGIS does (same rounding) */
static inline void
vec_from_lonlat(double lon, double lat, double *v)
{
	double		la = M_PI * lat / 180.0,
				lo = M_PI * lon / 180.0;
	double		cl = cos(la);

	v[0] = cl * cos(lo);
	v[1] = cl * sin(lo);
	v[2] = sin(la);
}

static inline double
dot3(const double *a, const double *b)
{
	return a[0] * b[0] + a[1] * b[1] + a[2] * b[2];
}

static inline void
cross3(const double *a, const double *b, double *out)
{
	out[0] = a[1] * b[2] - a[2] * b[1];
	out[1] = a[2] * b[0] - a[0] * b[2];
	out[2] = a[0] * b[1] - a[1] * b[0];
}

static inline bool
normalize3(double *v)
{
	double		n = sqrt(dot3(v, v));

	if (n < 1e-15)
		return false;
	v[0] /= n;
	v[1] /= n;
	v[2] /= n;
	return true;
}

/* is q (unit) on the arc a-b with unit normal n, within TOUCH_EPS? */
extern bool sphere_on_arc(const double *a, const double *b, const double *n,
						  const double *q);

/*
 * The geocentric box of a part's edges and a point outside the part, as
 * PostGIS geography chooses them (ring->v must be set); fills part->gbox,
 * part->outside and every ring's edge normals.  float_box: round the box
 * outwards to single precision, as a serialized geography keeps it (a
 * Polygon's own box; a MultiPolygon's members have none).  When the box is
 * the whole globe, the interior is on the left of the shell's first edge;
 * false when that edge has no length (the sides are then undefined).
 */
extern bool sphere_prepare_part(RegionPart *part, bool float_box);

/*
 * Is the unit vector p in the part's geocentric box, give or take
 * TOUCH_EPS?  (A point a hair beyond a ring, e.g. a profile at latitude
 * 1e-14 beside an edge along the equator, is on it, as region_contains()
 * counts the boundary.)
 */
static inline bool
sphere_in_box(const RegionPart *part, const double *p)
{
	const double *box = part->gbox;

	return p[0] >= box[0] - TOUCH_EPS && p[0] <= box[3] + TOUCH_EPS &&
		p[1] >= box[1] - TOUCH_EPS && p[1] <= box[4] + TOUCH_EPS &&
		p[2] >= box[2] - TOUCH_EPS && p[2] <= box[5] + TOUCH_EPS;
}

/* is the unit vector p in the part, by its outside point? (boundary inside) */
extern bool sphere_part_contains(const RegionPart *part, const double *p);

/* a latitude/longitude box (longitudes lo..hi, any convention) holding part->gbox */
extern void sphere_part_lonlat_box(const RegionPart *part, double *lat_lo,
								   double *lat_hi, double *lon_lo, double *lon_hi);

#endif							/* EOSWATH_REGION_SPHERE_H */
