/*-------------------------------------------------------------------------
 *
 * quicklook_nc.h
 *	  Private to the quicklook's parsing side: the variable drawn, found
 *	  and read with netCDF-C (quicklook_var.c) for the resampling
 *	  (quicklook_grid.c).
 *
 *-------------------------------------------------------------------------
 */
#ifndef EOSWATH_QUICKLOOK_NC_H
#define EOSWATH_QUICKLOOK_NC_H

#include "postgres.h"

#include "nc.h"

/* the variable drawn and how it lies on its swath */
typedef struct QlVar
{
	int			grpid;
	int			varid;
	char	   *path;
	int			pair;
	int			ndims;
	size_t		shape[NC_MAX_VAR_DIMS];
	int			row_dim;		/* index among the variable's dimensions */
	int			col_dim;		/* -1 for a track */
	NcPacking	pack;
	char	   *units;
	char	   *long_name;
} QlVar;

/*
 * Find a variable by path ("/PRODUCT/x") or name and the swath it lies on;
 * errors (42704 listing the variables that can be drawn, 42P08, 42804,
 * 22023) when it cannot be drawn.
 */
extern void ql_find_var(NcSwath *sw, const char *want, QlVar *v);

/* rows [row0, row0 + nrows) as physical values in row-major order (NaN: fill) */
extern void ql_read_var_rows(NcSwath *sw, QlVar *v, size_t row0, size_t nrows,
							 size_t ncols, double *out);

#endif							/* EOSWATH_QUICKLOOK_NC_H */
