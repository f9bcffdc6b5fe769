/*-------------------------------------------------------------------------
 *
 * footprint.h
 *	  Footprint (multi)polygon of a swath, for PostGIS geography (SRID 4326).
 *	  The reply types (Footprint, FootprintOptions) are in granule.h.
 *
 *-------------------------------------------------------------------------
 */
#ifndef FOOTPRINT_H
#define FOOTPRINT_H

#include "granule.h"
#include "nc.h"

/* footprint of one pair, or of all pairs if pair < 0; opts may be NULL */
extern Footprint *footprint_compute(NcSwath *sw, int pair,
									const FootprintOptions *opts);

#endif							/* FOOTPRINT_H */
