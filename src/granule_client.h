/*
 * granule_client.h
 *		The granule library (granule.h) as the backend reaches it: every
 *		call is served by the confined eoswath-granule helper process
 *		(helper/main.c) over the protocol of granule_proto.h.  The backend
 *		never opens a granule with netCDF-C or HDF5 itself.
 */
#ifndef EOSWATH_GRANULE_CLIENT_H
#define EOSWATH_GRANULE_CLIENT_H

#include "eoswath.h"

#include "granule.h"

/* settings (guc.c) */
extern int	eoswath_granule_memory_limit;	/* MB */
extern int	eoswath_granule_cpu_limit;	/* s */
extern int	eoswath_granule_output_limit;	/* MB, 0: none */
extern bool eoswath_granule_allow_unconfined;

extern GranuleInfo *granule_remote_describe(const char *path, const char *label);
extern Footprint *granule_remote_footprint(const char *path, const char *label,
										   int pair, const FootprintOptions *opts);

/* called for every block of pixels, in order */
typedef void (*granule_block_cb) (void *arg, const GranuleBlock *block);
extern void granule_remote_pixels(const char *path, const char *label, int pair,
								  granule_block_cb cb, void *arg);

/* req->out_path: a file the caller created; the child may only write it */
extern GranuleSubsetStatus granule_remote_subset(const char *path, const char *label,
												 const GranuleSubsetRequest *req,
												 GranuleSubsetStats *stats);

/* the PNG, or NULL when no pixel is inside the region */
extern bytea *granule_remote_quicklook(const char *path, const char *label,
									   const GranuleQuicklookRequest *req,
									   GranuleQuicklookInfo *info);

/* what the backend makes of replies */
extern bool granule_info_time_range(const GranuleInfo *info, double *start, double *end);
extern bytea *footprint_to_ewkb(const Footprint *fp);

#endif							/* EOSWATH_GRANULE_CLIENT_H */
