/*
 * eoswath.h
 *		What every eoswath subsystem shares: the object id, big buffers.
 *
 * Each subsystem has its own header (catalog.h, object.h, store.h, xact.h,
 * gzip.h, granule.h, region.h, ...), which also declares the settings it
 * uses; guc.c defines them all.
 */
#ifndef EOSWATH_H
#define EOSWATH_H

#include "postgres.h"

#include "fmgr.h"

/* ---- wosoid.c: the object id ---- */

/* An object id: a positive 64-bit number from a sequence, never reused. */
typedef uint64 WosOid;

#define InvalidWosOid			((WosOid) 0)
#define DatumGetWosOid(X)		((WosOid) DatumGetInt64(X))
#define WosOidGetDatum(X)		Int64GetDatum((int64) (X))
#define PG_GETARG_WOSOID(n)		DatumGetWosOid(PG_GETARG_DATUM(n))
#define PG_RETURN_WOSOID(x)		return WosOidGetDatum(x)

/* text form: 13 Crockford base-32 digits */
#define WOSOID_TEXT_LEN			13

extern void wosoid_format(WosOid oid, char *buf);	/* buf >= 14 bytes */
extern bool wosoid_parse(const char *str, WosOid *result);
extern char *wosoid_to_cstring(WosOid oid);

/* ---- bigmem.c: buffers of megabytes, backed by huge pages if the kernel can ---- */

extern void *eoswath_alloc_big(MemoryContext cxt, Size size);

/* ---- guc.c: defines every eoswath.* setting (declared by their users) ---- */

extern void eoswath_define_gucs(void);

#endif							/* EOSWATH_H */
