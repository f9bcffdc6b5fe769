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
	double	   *n;				/* per edge, the unit normal of its arc (0 0 0
								 * for a zero-length edge), spherical only */
	double	   *ebox;			/* per edge, a box holding the arc: x, y, z
								 * minimum then maximum (6 per edge),
								 * spherical only */
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
	/* spherical: tested by its outside point, not by the projection */
	bool		general;
	/* spherical: PostGIS's geocentric box of the edges (x, y, z minimum
	 * then maximum, widened to a surrounded pole) and a point outside it */
	double		gbox[6];
	double		outside[3];
	/* spherical: the tangent point and plane basis of the gnomonic projection */
	double		centre[3];
	double		e1[3];
	double		e2[3];
	/* spherical: cos of the radius of a cap around centre holding the part */
	double		cap_cos;
	/* spherical: the union of the edge boxes of every ring */
	double		box[6];
} RegionPart;

/* a latitude/longitude box, longitudes within [-180, 180] */
typedef struct RegionBox
{
	double		lat_lo,
				lat_hi,
				lon_lo,
				lon_hi;
} RegionBox;

typedef struct Region
{
	bool		spherical;
	int			nparts;
	RegionPart *parts;
	/* boxes holding every point region_contains() accepts (a pre-filter) */
	int			nboxes;
	RegionBox  *boxes;
	/* boxes whose points region_contains() certainly accepts (a shortcut) */
	int			ninner;
	RegionBox  *inner;
	/*
	 * per box, NULL until region_build_grids(): 2^grid_shift x 2^grid_shift
	 * cells (latitude rows, longitude columns), each 1 (certainly inside),
	 * -1 (certainly outside) or 0 (the boundary is near: test the point)
	 */
	int8	  **grids;
	double	   *grid_scale;		/* per box: cells per degree of latitude, of longitude */
	int			grid_shift;
} Region;

/* parse WKB (ISO or EWKB; Z/M ordinates ignored); errors on anything else */
extern Region *region_from_wkb(const char *wkb, size_t len, bool spherical);

/*
 * The spherical parse for region_intersects(), kept while its WKB stays the
 * same (the search region is a constant of the query): zero a RegionCache,
 * then call region_cache_soft() with each call's WKB.  The region is NULL
 * instead of an error when the geometry is not a (multi)polygon, is empty,
 * has an edge between antipodal points or a part without a defined
 * interior (malformed WKB still raises an error); it lacks the boxes of
 * region_maybe_contains() and region_surely_contains().
 */
typedef struct RegionCache
{
	MemoryContext cxt;			/* holds the bytes and the region */
	char	   *wkb;			/* NULL: nothing cached yet */
	size_t		len;
	Region	   *region;			/* NULL: refused */
} RegionCache;

/* the soft-parsed region of wkb, from the cache when unchanged; parent holds the cache's memory */
extern Region *region_cache_soft(RegionCache *c, MemoryContext parent,
								 const char *wkb, size_t len);

/* do two spherical regions share a point (boundaries included)? */
extern bool region_intersects(const Region *a, const Region *b);

/* is the point (degrees, lon in any convention) inside or on the boundary? */
extern bool region_contains(const Region *r, double lat, double lon);

/*
 * Cheap pre-filter for region_contains(): false only when the point is
 * certainly outside.  lon must be in [-180, 180) (pixels are normalised so).
 */
static inline bool
region_maybe_contains(const Region *r, double lat, double lon)
{
	for (int i = 0; i < r->nboxes; i++)
	{
		const RegionBox *b = &r->boxes[i];

		if (lat >= b->lat_lo && lat <= b->lat_hi &&
			lon >= b->lon_lo && lon <= b->lon_hi)
			return true;
	}
	return false;
}

/*
 * Shortcut for region_contains(): true only when the point is well inside
 * the region (where region_contains() is true too).  lon in [-180, 180).
 */
static inline bool
region_surely_contains(const Region *r, double lat, double lon)
{
	for (int i = 0; i < r->ninner; i++)
	{
		const RegionBox *b = &r->inner[i];

		if (lat >= b->lat_lo && lat <= b->lat_hi &&
			lon >= b->lon_lo && lon <= b->lon_hi)
			return true;
	}
	return false;
}

/*
 * The grids of certain cells over the pre-filter boxes (region_grid.c), for
 * callers that test many points; region_grid_test() works without them.
 */
extern void region_build_grids(Region *r);

/*
 * The same in three steps, for a caller that classifies the cells on a
 * thread of its own: prepare (allocates; NULL: no grid), classify (no
 * allocation, no error; interrupts false on a thread), install.  The
 * region must not change, nor its grids be used, until installed.
 */
typedef struct RegionGridBuild RegionGridBuild;
extern RegionGridBuild *region_grids_prepare(Region *r);
extern void region_grids_classify(RegionGridBuild *b, bool interrupts);
extern void region_grids_install(Region *r, RegionGridBuild *b);

/*
 * The cell of a point inside box b, whose grid is cells (scale: its cells
 * per degree of latitude, of longitude; 2^shift cells a side): -1, 0 or 1
 * as region_grid_test() says.  For callers that keep a box's numbers at hand.
 */
static inline int
region_box_cell(const RegionBox *b, const int8 *cells, const double *scale,
				int shift, double lat, double lon)
{
	int			n = 1 << shift,
				row = (int) ((lat - b->lat_lo) * scale[0]),
				col = (int) ((lon - b->lon_lo) * scale[1]);

	row = Min(Max(row, 0), n - 1);
	col = Min(Max(col, 0), n - 1);
	return cells[row * n + col];
}

/*
 * -1: certainly outside, 1: certainly inside (as region_contains() says),
 * 0: ask region_contains().  lon in [-180, 180) (pixels are normalised so).
 */
static inline int
region_grid_test(const Region *r, double lat, double lon)
{
	for (int i = 0; i < r->nboxes; i++)
	{
		const RegionBox *b = &r->boxes[i];
		const int8 *cells;

		if (!(lat >= b->lat_lo && lat <= b->lat_hi &&
			  lon >= b->lon_lo && lon <= b->lon_hi))
			continue;
		if (r->grids == NULL || (cells = r->grids[i]) == NULL)
			return 0;
		return region_box_cell(b, cells, &r->grid_scale[2 * i], r->grid_shift, lat, lon);
	}
	return -1;
}

/* latitude range that holds every point of the region (edges' bulge and poles included) */
extern void region_lat_bounds(const Region *r, double *lat_min, double *lat_max);

/* a short description: "2 polygons, 14 vertices, great-circle edges" */
extern char *region_describe(const Region *r);

#endif							/* EOSWATH_REGION_H */
