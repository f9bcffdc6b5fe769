/*
 * region.h
 *		Regions given as WKB polygons or multipolygons (longitude/latitude
 *		degrees) and the point-in-region test, with straight (planar lon/lat)
 *		or great-circle (spherical) edges.
 */
#ifndef EOSWATH_REGION_H
#define EOSWATH_REGION_H

#include "postgres.h"

typedef struct RegionRing
{
	int			npoints;		/* closing point included */
	double	   *x;				/* longitude, degrees, as given */
	double	   *y;				/* latitude, degrees */
	double	   *v;				/* unit vectors (3 per point), spherical only */
	double	   *g;				/* gnomonic x, y (2 per point), spherical only */
} RegionRing;

typedef struct RegionPart
{
	int			nrings;			/* ring 0 is the shell, the others holes */
	RegionRing *rings;
	/* planar: bounding box in the polygon's own longitude range */
	double		xmin,
				xmax,
				ymin,
				ymax;
	/* spherical: the tangent point and plane basis of the gnomonic projection */
	double		centre[3];
	double		e1[3];
	double		e2[3];
} RegionPart;

typedef struct Region
{
	bool		spherical;
	int			nparts;
	RegionPart *parts;
} Region;

/* parse WKB (ISO or EWKB; Z/M ordinates ignored); errors on anything else */
extern Region *region_from_wkb(const char *wkb, size_t len, bool spherical);

/* is the point (degrees, lon in any convention) inside or on the boundary? */
extern bool region_contains(const Region *r, double lat, double lon);

/* latitude range that holds every point of the region (edges' bulge and poles included) */
extern void region_lat_bounds(const Region *r, double *lat_min, double *lat_max);

/* a short description: "2 polygons, 14 vertices, great-circle edges" */
extern char *region_describe(const Region *r);

#endif							/* EOSWATH_REGION_H */
