/*
 * xact.h
 *		Transaction end: the one module that settles what an eoswath
 *		transaction leaves (xact.c).  It owns the object locks and the list of
 *		copies created or to be deleted, and calls the end-of-transaction
 *		hooks of the modules that keep per-transaction state, as PostgreSQL's
 *		xact.c calls AtEOXact_LargeObject() in be-fsstubs.c.
 */
#ifndef EOSWATH_XACT_H
#define EOSWATH_XACT_H

#include "eoswath.h"

#include "store.h"

/* installs the transaction callbacks; called once from _PG_init */
extern void eoswath_xact_init(void);

/* object locks: held until the transaction ends (or released early) */
extern bool object_lock(WosOid oid, bool nowait);
extern void object_unlock(WosOid oid);

/* a copy of oid now exists (or is being written) on site: removed on abort */
extern void xact_copy_created(StoreSite *site, WosOid oid);
/* the copy of oid on site goes when the transaction commits */
extern void xact_copy_deleted(StoreSite *site, WosOid oid);

/*
 * Run fn(arg) in an internal subtransaction: NULL if it succeeded, else its
 * error (rolled back; the caller re-throws it or reports it and goes on)
 */
extern ErrorData *xact_try(void (*fn) (void *), void *arg);

/* end-of-transaction hooks of the SQL put streams (wos_streams.c) */
extern void AtPreCommit_PutStreams(void);
extern void AtEOXact_PutStreams(void);
extern void AtEOSubXact_PutStreams(bool isCommit, int nestlevel);

#endif							/* EOSWATH_XACT_H */
