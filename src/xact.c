/*
 * xact.c
 *		Transaction end: the one module that settles what an eoswath
 *		transaction leaves behind, and the per-object lock.
 *
 * A put writes its copies before commit (durably: a committed row must never
 * point at bytes that a crash could lose) and registers them here; if the
 * transaction or the subtransaction that wrote them aborts, they are removed.
 * A delete removes the catalog row at once (MVCC hides it from others until
 * commit) and removes the copies only after commit, so a rollback leaves the
 * object whole: through the delete queue, emptied by a background worker,
 * or for directory sites without workers in the commit callback (see
 * xact_copy_deleted).  What a crash leaves behind, in either direction, is bytes
 * that no committed row owns: wos_sweep() finds and removes them.
 *
 * Every transaction that writes, deletes or repairs copies of an object holds
 * the object's lock until it ends.  The lock is released after the
 * callbacks below have run, so whoever takes it next (the sweep, a racing
 * wos_putoid) sees the object's files in their final state.
 *
 * The same callbacks end the SQL put streams (wos_streams.c: an open stream
 * at commit is an error) and drop the transaction's cache of resolved sites
 * (catalog.c), in that order.
 */
#include "eoswath.h"

#include "access/xact.h"
#include "miscadmin.h"
#include "storage/lock.h"
#include "utils/memutils.h"
#include "utils/resowner.h"

#include "catalog.h"
#include "worker.h"
#include "xact.h"

/* a field4 value of advisory locks that SQL's pg_advisory_* never uses */
#define WOS_LOCK_CLASS		0x574F

typedef enum PendingKind
{
	PENDING_CREATED,			/* remove on abort */
	PENDING_DELETE				/* remove on commit */
} PendingKind;

typedef struct PendingOp
{
	PendingKind kind;
	StoreSite  *site;			/* from catalog.c's cache: lives until xact end */
	WosOid		oid;
	int			nestlevel;
} PendingOp;

static List *pending_ops = NIL; /* in TopTransactionContext */
static bool deletes_queued = false; /* rows in eoswath.delete_queue */

/* Take the object's lock for the rest of the transaction. */
bool
object_lock(WosOid oid, bool nowait)
{
	LOCKTAG		tag;

	SET_LOCKTAG_ADVISORY(tag, MyDatabaseId, (uint32) (oid >> 32), (uint32) oid,
						 WOS_LOCK_CLASS);
	return LockAcquire(&tag, ExclusiveLock, false, nowait) != LOCKACQUIRE_NOT_AVAIL;
}

/* Release it early (the sweep, which may visit millions of objects). */
void
object_unlock(WosOid oid)
{
	LOCKTAG		tag;

	SET_LOCKTAG_ADVISORY(tag, MyDatabaseId, (uint32) (oid >> 32), (uint32) oid,
						 WOS_LOCK_CLASS);
	LockRelease(&tag, ExclusiveLock, false);
}

static void
pending_add(PendingKind kind, StoreSite *site, WosOid oid)
{
	MemoryContext old = MemoryContextSwitchTo(TopTransactionContext);
	PendingOp  *op = palloc(sizeof(PendingOp));

	op->kind = kind;
	op->site = site;
	op->oid = oid;
	op->nestlevel = GetCurrentTransactionNestLevel();
	pending_ops = lappend(pending_ops, op);
	MemoryContextSwitchTo(old);
}

void
xact_copy_created(StoreSite *site, WosOid oid)
{
	pending_add(PENDING_CREATED, site, oid);
}

/*
 * The copy goes after commit.  With the workers (shared_preload_libraries)
 * every such delete is queued in eoswath.delete_queue, in this transaction,
 * and the database's maintenance worker removes the copy after commit: a
 * COMMIT never waits on a site.  Without them a directory copy is unlinked
 * by the commit callback as before, and a copy on any other kind of site (a
 * network call) is queued for wos_delete_pending() or wos_sweep().
 */
void
xact_copy_deleted(StoreSite *site, WosOid oid)
{
	if ((eoswath_workers_preloaded || strcmp(site->kind, "dir") != 0) &&
		catalog_queue_delete(oid, site->id))
	{
		deletes_queued = true;
		worker_wake_at_commit(WORKER_MAINTENANCE);
	}
	else
		pending_add(PENDING_DELETE, site, oid);
}

/* Remove the copies of the pending ops of one kind; never raises an error. */
static void
pending_settle(PendingKind kind)
{
	ListCell   *lc;

	foreach(lc, pending_ops)
	{
		PendingOp  *op = lfirst(lc);

		if (op->kind == kind)
			(void) op->site->methods->remove(op->site, op->oid);
	}
	pending_ops = NIL;			/* the memory goes with TopTransactionContext */
}

static void
eoswath_xact_callback(XactEvent event, void *arg)
{
	switch (event)
	{
		case XACT_EVENT_PRE_COMMIT:
		case XACT_EVENT_PARALLEL_PRE_COMMIT:
			AtPreCommit_PutStreams();
			break;
		case XACT_EVENT_PRE_PREPARE:
			AtPreCommit_PutStreams();
			if (pending_ops != NIL || deletes_queued)
				ereport(ERROR,
						(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
						 errmsg("cannot PREPARE a transaction that has written or deleted eoswath objects")));
			break;
		case XACT_EVENT_COMMIT:
		case XACT_EVENT_PARALLEL_COMMIT:
			pending_settle(PENDING_DELETE);
			deletes_queued = false;
			AtCommit_WakeWorkers();
			AtEOXact_PutStreams();
			catalog_forget_sites();
			break;
		case XACT_EVENT_ABORT:
		case XACT_EVENT_PARALLEL_ABORT:
			pending_settle(PENDING_CREATED);
			deletes_queued = false;
			AtAbort_WakeWorkers();
			AtEOXact_PutStreams();
			catalog_forget_sites();
			break;
		case XACT_EVENT_PREPARE:
			pending_ops = NIL;
			deletes_queued = false;
			AtAbort_WakeWorkers();
			AtEOXact_PutStreams();
			catalog_forget_sites();
			break;
	}
}

static void
eoswath_subxact_callback(SubXactEvent event, SubTransactionId mySubid,
						 SubTransactionId parentSubid, void *arg)
{
	int			level = GetCurrentTransactionNestLevel();
	ListCell   *lc;

	switch (event)
	{
		case SUBXACT_EVENT_COMMIT_SUB:
			/* what the subtransaction did now belongs to its parent */
			foreach(lc, pending_ops)
			{
				PendingOp  *op = lfirst(lc);

				if (op->nestlevel >= level)
					op->nestlevel = level - 1;
			}
			AtEOSubXact_PutStreams(true, level);
			break;
		case SUBXACT_EVENT_ABORT_SUB:
			foreach(lc, pending_ops)
			{
				PendingOp  *op = lfirst(lc);

				if (op->nestlevel < level)
					continue;
				if (op->kind == PENDING_CREATED)
					(void) op->site->methods->remove(op->site, op->oid);
				pending_ops = foreach_delete_current(pending_ops, lc);
			}
			AtEOSubXact_PutStreams(false, level);
			/* it may have changed the sites that were resolved meanwhile */
			catalog_forget_sites();
			break;
		default:
			break;
	}
}

/* Install the transaction hooks; called once from _PG_init. */
/*
 * Run fn(arg) in an internal subtransaction, as PL/pgSQL runs a block with
 * an EXCEPTION clause: its error, if it raised one, is returned (copied into
 * the caller's memory context) after the subtransaction is rolled back, so
 * that the caller can decide to go on.  Errors the caller must not swallow
 * (a cancel, a shutdown) are the caller's to re-throw with ReThrowError().
 */
ErrorData *
xact_try(void (*fn) (void *), void *arg)
{
	MemoryContext oldcxt = CurrentMemoryContext;
	ResourceOwner oldowner = CurrentResourceOwner;
	ErrorData  *volatile edata = NULL;

	BeginInternalSubTransaction(NULL);
	MemoryContextSwitchTo(oldcxt);
	PG_TRY();
	{
		fn(arg);
		ReleaseCurrentSubTransaction();
	}
	PG_CATCH();
	{
		MemoryContextSwitchTo(oldcxt);
		edata = CopyErrorData();
		FlushErrorState();
		RollbackAndReleaseCurrentSubTransaction();
	}
	PG_END_TRY();
	MemoryContextSwitchTo(oldcxt);
	CurrentResourceOwner = oldowner;
	return edata;
}

void
eoswath_xact_init(void)
{
	RegisterXactCallback(eoswath_xact_callback, NULL);
	RegisterSubXactCallback(eoswath_subxact_callback, NULL);
}
