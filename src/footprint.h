/*-------------------------------------------------------------------------
 *
 * footprint.h
 *	  Footprint (multi)polygon of a swath, for PostGIS geography (SRID 4326).
 *
 *-------------------------------------------------------------------------
 */
#ifndef FOOTPRINT_H
#define FOOTPRINT_H

#include "lib/stringinfo.h"
#include "nc.h"

typedef struct FootprintOptions
{
	double		corridor_km;	/* half width of 1-D track corridors (10) */
	double		max_segment_km; /* along-track length of one part (500) */
	double		simplify_km;	/* vertex removal tolerance (0.5) */
} FootprintOptions;

/* One closed ring (first point repeated last), lon/lat degrees */
typedef struct FootprintRing
{
	int			npoints;
	double	   *lon;
	double	   *lat;
} FootprintRing;

typedef struct Footprint
{
	int			nrings;			/* one polygon (exterior ring only) each */
	int			cap;
	FootprintRing *rings;
	int64		npixels;		/* valid pixel centres seen */
} Footprint;

/* footprint of one pair, or of all pairs if pair < 0; opts may be NULL */
extern Footprint *footprint_compute(NcSwath *sw, int pair,
									const FootprintOptions *opts);

/* MULTIPOLYGON(((lon lat, ...)), ...) or MULTIPOLYGON EMPTY */
extern char *footprint_to_wkt(const Footprint *fp);

/* little-endian EWKB MULTIPOLYGON with SRID 4326, as a bytea */
extern bytea *footprint_to_ewkb(const Footprint *fp);

#endif							/* FOOTPRINT_H */
