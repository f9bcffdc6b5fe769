/*
 * granule.h
 *		A granule object as a file that libraries needing a path (netCDF-C)
 *		can open.
 */
#ifndef EOSWATH_GRANULE_H
#define EOSWATH_GRANULE_H

#include "eoswath.h"

#include "catalog.h"

extern char *granule_file(ObjectRecord *rec);

#endif							/* EOSWATH_GRANULE_H */
