/*
 * maint.c
 *		Keeping the store honest: wos_verify() checks (and repairs) copies
 *		against the catalog; wos_sweep() removes bytes that no committed
 *		catalog row owns (what crashes and failed cleanups leave behind).
 */
#include "eoswath.h"

#include "access/xact.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "utils/builtins.h"
#include "utils/memutils.h"

#include "object.h"

#define VERIFY_BATCH	256

static void
verify_row(ReturnSetInfo *rsinfo, WosOid oid, const char *site, const char *status,
		   const char *action)
{
	Datum		values[4];
	bool		nulls[4] = {0};

	values[0] = WosOidGetDatum(oid);
	values[1] = CStringGetTextDatum(site);
	values[2] = CStringGetTextDatum(status);
	values[3] = CStringGetTextDatum(action);
	tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
}

/* Check every copy of one object; repair bad copies from a good one. */
static void
verify_object(ReturnSetInfo *rsinfo, WosOid oid, bool repair, bool report_ok)
{
	ObjectRecord *rec = catalog_lookup(oid, false);
	List	   *sites;
	List	   *bad = NIL;
	CopyStatus *status;
	StoreSite  *good = NULL;
	ListCell   *lc;
	int			i = 0;
	bool		repaired = false;

	if (rec == NULL || rec->state != OBJECT_STORED)
		return;					/* deleted meanwhile, or only reserved */
	sites = object_sites(rec);
	status = palloc(sizeof(CopyStatus) * Max(list_length(sites), 1));
	foreach(lc, sites)
	{
		StoreSite  *s = lfirst(lc);

		status[i] = object_check_copy(rec, s);
		if (status[i] == COPY_OK && good == NULL)
			good = s;
		else if (status[i] != COPY_OK)
			bad = lappend(bad, s);
		i++;
	}
	if (bad != NIL && good != NULL && repair)
		repaired = object_repair(rec, good, bad);

	i = 0;
	foreach(lc, sites)
	{
		StoreSite  *s = lfirst(lc);
		const char *action;

		if (status[i] == COPY_OK)
			action = "none";
		else if (good == NULL)
			action = "unrecoverable";
		else if (!repair)
			action = "needs repair";
		else
			action = repaired ? "repaired" : "repair failed";
		if (status[i] != COPY_OK || report_ok)
			verify_row(rsinfo, oid, s->name, copy_status_name(status[i]), action);
		i++;
	}
	/* a recorded site that no longer exists in eoswath.sites */
	if (list_length(sites) < rec->nsites)
		verify_row(rsinfo, oid, "?", copy_status_name(COPY_NO_SITE), "none");
}

/*
 * wos_verify(oid DEFAULT NULL, repair DEFAULT true): with an id, a row per
 * copy; without, a row per copy that is not intact, over every object.
 */
PG_FUNCTION_INFO_V1(wos_verify);
Datum
wos_verify(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	bool		repair = PG_ARGISNULL(1) ? true : PG_GETARG_BOOL(1);
	MemoryContext loop_cxt;

	InitMaterializedSRF(fcinfo, 0);
	if (!PG_ARGISNULL(0))
	{
		WosOid		oid = PG_GETARG_WOSOID(0);

		(void) catalog_fetch(oid, false);
		verify_object(rsinfo, oid, repair, true);
		return (Datum) 0;
	}

	loop_cxt = AllocSetContextCreate(CurrentMemoryContext, "eoswath verify",
									 ALLOCSET_DEFAULT_SIZES);
	{
		WosOid		batch[VERIFY_BATCH];
		WosOid		after = InvalidWosOid;
		int			n;

		do
		{
			MemoryContext old = MemoryContextSwitchTo(loop_cxt);

			n = catalog_next_batch(after, VERIFY_BATCH, batch);
			for (int i = 0; i < n; i++)
			{
				CHECK_FOR_INTERRUPTS();
				verify_object(rsinfo, batch[i], repair, false);
			}
			if (n > 0)
				after = batch[n - 1];
			MemoryContextSwitchTo(old);
			MemoryContextReset(loop_cxt);
		} while (n == VERIFY_BATCH);
	}
	MemoryContextDelete(loop_cxt);
	return (Datum) 0;
}

typedef struct SweepState
{
	ReturnSetInfo *rsinfo;
	bool		dry_run;
} SweepState;

/*
 * One entry found on a site.  Taking the object's lock first means no
 * transaction that writes, deletes or repairs the object is in progress; the
 * catalog check that follows uses a snapshot taken after the lock, so it sees
 * the outcome of every such transaction.
 */
static void
sweep_entry(StoreSite *site, WosOid oid, const char *name, bool is_temp, void *arg)
{
	SweepState *st = arg;
	const char *reason;
	bool		exists;
	Datum		values[4];
	bool		nulls[4] = {0};

	if (!object_lock(oid, true))
		return;					/* busy: a live transaction owns it */
	if (is_temp)
		reason = "partial write";
	else if (catalog_object_has_copy(oid, site->id, &exists))
	{
		object_unlock(oid);
		return;					/* a committed copy: keep */
	}
	else
		reason = exists ? "not a copy of the object" : "no committed object";

	if (!st->dry_run)
		(void) site->methods->remove_entry(site, name);
	object_unlock(oid);

	values[0] = CStringGetTextDatum(site->name);
	values[1] = CStringGetTextDatum(name);
	values[2] = WosOidGetDatum(oid);
	values[3] = CStringGetTextDatum(st->dry_run ? psprintf("would remove: %s", reason) :
									psprintf("removed: %s", reason));
	tuplestore_putvalues(st->rsinfo->setResult, st->rsinfo->setDesc, values, nulls);
}

/* wos_sweep(dry_run DEFAULT false): remove what no committed row owns. */
PG_FUNCTION_INFO_V1(wos_sweep);
Datum
wos_sweep(PG_FUNCTION_ARGS)
{
	SweepState	st;
	ListCell   *lc;

	if (IsolationUsesXactSnapshot())
		ereport(ERROR,
				(errcode(ERRCODE_ACTIVE_SQL_TRANSACTION),
				 errmsg("wos_sweep() must run in a READ COMMITTED transaction"),
				 errdetail("It must see transactions that commit while it runs.")));
	InitMaterializedSRF(fcinfo, 0);
	st.rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	st.dry_run = PG_ARGISNULL(0) ? false : PG_GETARG_BOOL(0);

	foreach(lc, catalog_get_sites(false))
	{
		StoreSite  *s = lfirst(lc);
		char	   *why;

		if (!s->methods->available(s, &why))
		{
			ereport(WARNING,
					(errmsg("skipping site \"%s\": %s", s->name, why)));
			continue;
		}
		s->methods->list(s, sweep_entry, &st);
	}
	return (Datum) 0;
}
