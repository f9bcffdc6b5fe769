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

/* Write new copies on the sites of 'to' from the copy on 'from', verified. */
static void
copy_to(ObjectRecord *rec, StoreSite *from, List *to)
{
	int64		size = -1;
	void	   *h = from->methods->open_read(from, rec->oid, &size);
	void	  **handles = palloc0(sizeof(void *) * list_length(to));
	char	   *buf = palloc(eoswath_io_block_size);
	Sha256Ctx  *md = sha256_begin();
	uint8		digest[WOS_SHA256_LEN];
	int64		pos = 0;
	ListCell   *lc;
	int			i = 0;

	if (h == NULL || size != rec->size)
		ereport(ERROR,
				(errcode(ERRCODE_DATA_CORRUPTED),
				 errmsg("copy of object %s on site \"%s\" vanished while it was being moved",
						wosoid_to_cstring(rec->oid), from->name)));
	foreach(lc, to)
	{
		StoreSite  *s = lfirst(lc);

		xact_copy_created(s, rec->oid);
		handles[i++] = s->methods->begin_write(s, rec->oid, size);
	}
	while (pos < size)
	{
		size_t		n;

		CHECK_FOR_INTERRUPTS();
		n = from->methods->read(h, buf, Min((int64) eoswath_io_block_size, size - pos), pos);
		if (n == 0)
			ereport(ERROR,
					(errcode(ERRCODE_DATA_CORRUPTED),
					 errmsg("copy of object %s on site \"%s\" ended early", wosoid_to_cstring(rec->oid), from->name)));
		sha256_update(md, buf, n);
		i = 0;
		foreach(lc, to)
			((StoreSite *) lfirst(lc))->methods->write(handles[i++], buf, n);
		pos += n;
	}
	from->methods->close_read(h);
	sha256_final(md, digest);
	if (memcmp(digest, rec->sha256, WOS_SHA256_LEN) != 0)
		ereport(ERROR,
				(errcode(ERRCODE_DATA_CORRUPTED),
				 errmsg("checksum mismatch in copy of object %s on site \"%s\"",
						wosoid_to_cstring(rec->oid), from->name),
				 errhint("Run wos_verify() on the object, then move it again.")));
	i = 0;
	foreach(lc, to)
	{
		CHECK_FOR_INTERRUPTS();
		((StoreSite *) lfirst(lc))->methods->finish_write(handles[i++]);
	}
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
		copy_to(rec, from, add);
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
