/*-------------------------------------------------------------------------
 *
 * granule_file.h
 *	  The backend side of the granule library: a granule object as a file
 *	  the library can open, and subsets written to temporary files and read
 *	  back into a bytea or a new object.
 *
 *-------------------------------------------------------------------------
 */
#ifndef EOSWATH_GRANULE_FILE_H
#define EOSWATH_GRANULE_FILE_H

#include "eoswath.h"
#include "storage/fd.h"

#include "catalog.h"
#include "granule.h"

/* setting (guc.c) */
extern int	eoswath_granule_max_inflated;	/* MB */

/* the granule of an object, open */
typedef struct GranuleFile
{
	char	   *label;			/* "object 0000000000041", names it in messages */
	char	   *path;			/* the copy read in place, or the spool file */
	File		spool;			/* the spool file, or -1 when read in place */
} GranuleFile;

/*
 * Open the granule of an object (spooled to a temporary file first when it
 * is gzip or has no local copy).  granule_file_close() closes it; on ERROR
 * the resource owner removes the spool file.
 */
extern GranuleFile *granule_file_open(WosOid oid);
extern void granule_file_close(GranuleFile *gf);

/*
 * The subset of an object's granule (req: region, variables and the
 * request's description; the output file and its bound are filled in
 * here), as a bytea, or stored as a new object under policy with meta.
 * NULL / InvalidWosOid when no pixel is inside.
 */
extern bytea *granule_file_subset(WosOid oid, const GranuleSubsetRequest *req);
extern WosOid granule_file_subset_store(WosOid oid,
										const GranuleSubsetRequest *req,
										Policy *policy, Jsonb *meta);

#endif							/* EOSWATH_GRANULE_FILE_H */
