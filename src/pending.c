/*
 * pending.c
 *		Object copies a transaction has written or will delete, settled when
 *		the transaction ends; and the per-object lock.
 *
 * A put writes its copies before commit (durably: a committed row must never
 * point at bytes that a crash could lose) and registers them here; if the
 * transaction or the subtransaction that wrote them aborts, they are removed.
 * A delete removes the catalog row at once (MVCC hides it from others until
 * commit) and removes the copies only after commit, so a rollback leaves the
 * object whole.  What a crash leaves behind, in either direction, is bytes
 * that no committed row owns: wos_sweep() finds and removes them.
 *
 * Every transaction that writes, deletes or repairs copies of an object holds
 * the object's lock until it ends.  The lock is released after the
 * callbacks below have run, so whoever takes it next (the sweep, a racing
 * wos_putoid) sees the object's files in their final state.
 */
#include "eoswath.h"

#include "access/xact.h"
#include "miscadmin.h"
#include "storage/lock.h"
#include "utils/memutils.h"

#include "store.h"

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
	StoreSite  *site;
	WosOid		oid;
	int			nestlevel;
} PendingOp;

static List *pending_ops = NIL;	/* in TopTransactionContext */

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
	op->site = store_site_make(site->id, site->name, site->kind, site->location,
							   site->options, site->enabled,
							   site->access_key, site->secret_key);
	op->oid = oid;
	op->nestlevel = GetCurrentTransactionNestLevel();
	pending_ops = lappend(pending_ops, op);
	MemoryContextSwitchTo(old);
}

/* A copy of oid now exists (or is being written) on site. */
void
pending_created(StoreSite *site, WosOid oid)
{
	pending_add(PENDING_CREATED, site, oid);
}

/* The copy of oid on site goes when the transaction commits. */
void
pending_delete(StoreSite *site, WosOid oid)
{
	pending_add(PENDING_DELETE, site, oid);
}

/* Remove the copy of a pending op, never raising an error. */
static void
pending_remove(PendingOp *op)
{
	(void) op->site->methods->remove(op->site, op->oid);
}

static void
pending_xact_callback(XactEvent event, void *arg)
{
	ListCell   *lc;

	switch (event)
	{
		case XACT_EVENT_PRE_PREPARE:
			if (pending_ops != NIL)
				ereport(ERROR,
						(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
						 errmsg("cannot PREPARE a transaction that has written or deleted eoswath objects")));
			break;
		case XACT_EVENT_COMMIT:
		case XACT_EVENT_PARALLEL_COMMIT:
			foreach(lc, pending_ops)
			{
				PendingOp  *op = lfirst(lc);

				if (op->kind == PENDING_DELETE)
					pending_remove(op);
			}
			pending_ops = NIL;
			break;
		case XACT_EVENT_ABORT:
		case XACT_EVENT_PARALLEL_ABORT:
			foreach(lc, pending_ops)
			{
				PendingOp  *op = lfirst(lc);

				if (op->kind == PENDING_CREATED)
					pending_remove(op);
			}
			pending_ops = NIL;
			break;
		default:
			break;
	}
}

static void
pending_subxact_callback(SubXactEvent event, SubTransactionId mySubid,
						 SubTransactionId parentSubid, void *arg)
{
	int			level = GetCurrentTransactionNestLevel();
	ListCell   *lc;

	switch (event)
	{
		case SUBXACT_EVENT_COMMIT_SUB:
			foreach(lc, pending_ops)
			{
				PendingOp  *op = lfirst(lc);

				if (op->nestlevel >= level)
					op->nestlevel = level - 1;
			}
			break;
		case SUBXACT_EVENT_ABORT_SUB:
			foreach(lc, pending_ops)
			{
				PendingOp  *op = lfirst(lc);

				if (op->nestlevel < level)
					continue;
				if (op->kind == PENDING_CREATED)
					pending_remove(op);
				pending_ops = foreach_delete_current(pending_ops, lc);
			}
			break;
		default:
			break;
	}
}

void
pending_register_callbacks(void)
{
	RegisterXactCallback(pending_xact_callback, NULL);
	RegisterSubXactCallback(pending_subxact_callback, NULL);
}
