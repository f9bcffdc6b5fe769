/*
 * subset.h
 *		Cutting a granule to a region: the part of every swath inside the
 *		region, written as a netCDF-4 file.
 */
#ifndef EOSWATH_SUBSET_H
#define EOSWATH_SUBSET_H

#include "eoswath.h"
#include "storage/fd.h"

#include "region.h"

typedef struct SubsetResult
{
	File		file;			/* the netCDF-4 file (temporary, closed by caller) */
	int64		size;
	int			npairs_hit;		/* swaths with at least one pixel inside */
	int64		pixels;			/* pixels inside the region */
} SubsetResult;

/*
 * Write the subset of the granule of rec to a temporary file.  variables:
 * names to keep (NULL: all).  Returns false (and no file) when no pixel of
 * any swath lies in the region.
 */
extern bool subset_granule(ObjectRecord *rec, Region *region, List *variables,
						   const char *request, SubsetResult *res);

#endif							/* EOSWATH_SUBSET_H */
