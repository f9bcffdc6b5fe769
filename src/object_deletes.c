/*
 * object_deletes.c
 *		Deferred deletes: removing the copies that committed deletes (and
 *		moves) queued in eoswath.delete_queue.  The maintenance worker calls
 *		this as rows arrive; wos_delete_pending() and wos_sweep() call it
 *		where no worker runs.
 *
 * A queued copy is removed only while the object's lock is held and no
 * committed row lists a copy of the object on that site: a copy that was
 * moved away and back again (wos_site_drain, object_place) stays.  Object ids
 * are never reused, so a copy of a deleted object is never wanted again.  A
 * removal that fails (the site is down, the gateway errs) keeps the row,
 * with the error, for a retry after a backoff.
 */
#include "eoswath.h"

#include "miscadmin.h"

#include "object.h"
#include "sites.h"
#include "xact.h"

#define DELETE_BATCH	64

/* the site with id site_id, NULL if it is gone */
static StoreSite *
site_by_id(int32 site_id)
{
	ListCell   *lc;

	foreach(lc, catalog_get_sites(false))
	{
		StoreSite  *s = lfirst(lc);

		if (s->id == site_id)
			return s;
	}
	return NULL;
}

/* Settle one queued delete; returns true if the copy is gone. */
static bool
delete_one(int64 id, WosOid oid, int32 site_id)
{
	StoreSite  *site;
	bool		exists;
	char	   *why = NULL;

	if (!object_lock(oid, true))
	{
		catalog_delete_settled(id, "the object is busy");
		return false;
	}
	if (catalog_object_has_copy(oid, site_id, &exists))
	{
		/* a committed row lists this copy again: it stays */
		catalog_delete_settled(id, NULL);
		object_unlock(oid);
		return false;
	}
	site = site_by_id(site_id);
	if (site == NULL)
	{
		catalog_delete_settled(id, NULL);	/* the site was dropped */
		object_unlock(oid);
		return false;
	}
	/* as the delete itself checked: never on another's site; a site down is tried */
	switch (site_ownership(site))
	{
		case SITE_FOREIGN:
		case SITE_OTHER_ARCHIVE:
			why = "the site belongs to another instance now";
			break;
		case SITE_UNREADABLE:
			/* an unmounted disk: unlinking would "succeed" on the mount point */
			if (strcmp(site->kind, "dir") == 0)
			{
				why = site->owner_text ? site->owner_text : "the site's marker cannot be read";
				break;
			}
			/* elsewhere the request itself fails while the site is down */
			/* FALLTHROUGH */
		default:
			if (!site->methods->remove(site, oid))
				why = "the copy could not be removed (see the server log)";
			break;
	}
	if (why != NULL)
	{
		ereport(LOG,
				(errmsg("eoswath object %s: copy on site \"%s\" not deleted yet: %s",
						wosoid_to_cstring(oid), site->name, why)));
		catalog_delete_settled(id, why);
		object_unlock(oid);
		return false;
	}
	ereport(DEBUG1,
			(errmsg("eoswath object %s: deleted copy on site \"%s\"",
					wosoid_to_cstring(oid), site->name)));
	catalog_delete_settled(id, NULL);
	object_unlock(oid);
	return true;
}

/*
 * Work off up to limit queued deletes (0: every one), those due now (all:
 * also those waiting for a retry).  Returns the number of rows settled or
 * retried; *removed counts the copies removed.
 */
int64
object_delete_pending(int limit, bool all, int64 *removed)
{
	int64		ids[DELETE_BATCH];
	WosOid		oids[DELETE_BATCH];
	int32		sites[DELETE_BATCH];
	int64		done = 0;
	int64		last = 0;
	int			n;

	*removed = 0;
	do
	{
		int			want = DELETE_BATCH;

		if (limit > 0)
			want = Min(want, limit - (int) done);
		if (want <= 0)
			break;
		/* in id order, each row once: a row retried now is not seen again */
		n = catalog_due_deletes(last, want, all, ids, oids, sites);
		for (int i = 0; i < n; i++)
		{
			CHECK_FOR_INTERRUPTS();
			if (delete_one(ids[i], oids[i], sites[i]))
				(*removed)++;
			done++;
		}
		if (n > 0)
			last = ids[n - 1];
	} while (n == DELETE_BATCH);
	return done;
}
