/*
 * object_place.c
 *		Moving an object's copies to where its policy places them now: the
 *		one primitive under draining a site, rebalancing after a site is
 *		added, and re-replication after a policy changes.
 *
 * The placement is the put's (object_choose_sites: the policy's enabled,
 * available, owned sites in rendezvous order, skipping full ones), so an
 * object ends where a new put of it would go.  New copies are written from
 * an intact copy, verified against the object's SHA-256 while they are
 * written, registered with xact.c first (an abort removes them), and made
 * durable before the row changes; copies on sites no longer wanted go at
 * commit, like a delete's.  The object's lock and row lock are held
 * throughout, so readers see the old placement or the new, never a mix,
 * and a crash leaves only bytes that the sweep removes.
 */
#include "eoswath.h"

#include "miscadmin.h"
#include "utils/memutils.h"

#include "object.h"
#include "sites.h"
#include "xact.h"

static bool
site_in(List *sites, StoreSite *s)
{
	ListCell   *lc;

	foreach(lc, sites)
		if (((StoreSite *) lfirst(lc))->id == s->id)
			return true;
	return false;
}

int64
object_place(WosOid oid)
{
	MemoryContext cxt = AllocSetContextCreate(CurrentMemoryContext, "eoswath place",
											  ALLOCSET_DEFAULT_SIZES);
	MemoryContext old = MemoryContextSwitchTo(cxt);
	ObjectRecord *rec = catalog_lookup(oid, true);
	List	   *current,
			   *wanted,
			   *add = NIL,
			   *drop = NIL;
	ListCell   *lc;
	int32	   *ids;
	int			i = 0;
	int64		copied = 0;

	if (rec == NULL || rec->state != OBJECT_STORED)
		goto done;				/* deleted meanwhile, or only reserved */
	object_lock(oid, false);
	current = object_sites(rec);
	wanted = object_choose_sites(oid, catalog_get_policy(rec->policy), rec->size);
	foreach(lc, wanted)
		if (!site_in(current, lfirst(lc)))
			add = lappend(add, lfirst(lc));
	foreach(lc, current)
		if (!site_in(wanted, lfirst(lc)))
			drop = lappend(drop, lfirst(lc));
	if (add == NIL && drop == NIL && list_length(current) == rec->nsites)
		goto done;

	if (add != NIL)
	{
		StoreSite  *from = NULL;

		/* an intact copy to copy from: the first present one, checked as it is read */
		foreach(lc, current)
			if (object_copy_presence(rec, lfirst(lc)) == COPY_OK)
			{
				from = lfirst(lc);
				break;
			}
		if (from == NULL)
			ereport(ERROR,
					(errcode(ERRCODE_DATA_CORRUPTED),
					 errmsg("no intact copy of object %s is available to move", wosoid_to_cstring(oid)),
					 errhint("Run wos_verify() on the object.")));
		object_copy_between(rec, from, add, true, "move");
		copied = rec->size * list_length(add);
	}
	foreach(lc, drop)
		site_refuse_foreign(lfirst(lc), "delete copies from");

	ids = palloc(sizeof(int32) * Max(list_length(wanted), 1));
	foreach(lc, wanted)
		ids[i++] = ((StoreSite *) lfirst(lc))->id;
	catalog_set_sites(oid, i, ids);
	foreach(lc, drop)
		xact_copy_deleted(lfirst(lc), oid);
	ereport(DEBUG1,
			(errmsg("eoswath object %s: %d copies added, %d dropped",
					wosoid_to_cstring(oid), list_length(add), list_length(drop))));
done:
	MemoryContextSwitchTo(old);
	MemoryContextDelete(cxt);
	return copied;
}
