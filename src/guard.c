/*
 * guard.c
 *		DROP EXTENSION eoswath (or DROP SCHEMA ... CASCADE, DROP OWNED...)
 *		must not silently drop the catalog of objects whose bytes stay on the
 *		sites: without it nothing could read, verify or delete them.
 *
 * An object-access hook sees every way the table eoswath.objects can be
 * dropped, and refuses while it holds rows unless a superuser has set
 * eoswath.allow_drop_with_objects; then it names the sites left with bytes.
 * The hook needs the library loaded in the session that drops: the
 * extension's event trigger eoswath_drop_guard (ddl_command_start of the
 * DROP commands) calls wos_drop_guard(), which loads it and notes the
 * sites while the catalog can still be read.
 */
#include "eoswath.h"

#include "access/table.h"
#include "access/tableam.h"
#include "catalog/namespace.h"
#include "catalog/objectaccess.h"
#include "catalog/pg_class.h"
#include "commands/event_trigger.h"
#include "miscadmin.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/snapmgr.h"

#include "catalog.h"
#include "guard.h"

bool		eoswath_allow_drop_with_objects = false;

static object_access_hook_type prev_object_access_hook = NULL;
static char *drop_sites = NULL;	/* noted by wos_drop_guard, in TopMemoryContext */

/* rows of a relation, counted under the latest snapshot */
static int64
count_rows(Oid relid)
{
	Relation	rel = table_open(relid, AccessShareLock);
	Snapshot	snap = RegisterSnapshot(GetLatestSnapshot());
	TableScanDesc scan = table_beginscan(rel, snap, 0, NULL);
	TupleTableSlot *slot = table_slot_create(rel, NULL);
	int64		n = 0;

	while (table_scan_getnextslot(scan, ForwardScanDirection, slot))
	{
		CHECK_FOR_INTERRUPTS();
		n++;
	}
	ExecDropSingleTupleTableSlot(slot);
	table_endscan(scan);
	UnregisterSnapshot(snap);
	table_close(rel, AccessShareLock);
	return n;
}

static void
guard_object_access(ObjectAccessType access, Oid classId, Oid objectId,
					int subId, void *arg)
{
	Oid			nsp;
	char	   *relname;
	int64		n;

	if (prev_object_access_hook)
		prev_object_access_hook(access, classId, objectId, subId, arg);
	if (access != OAT_DROP || classId != RelationRelationId || subId != 0)
		return;
	nsp = get_namespace_oid("eoswath", true);
	if (!OidIsValid(nsp) || get_rel_namespace(objectId) != nsp)
		return;
	relname = get_rel_name(objectId);
	if (relname == NULL || strcmp(relname, "objects") != 0)
		return;
	n = count_rows(objectId);
	if (n == 0)
		return;
	if (!eoswath_allow_drop_with_objects)
		ereport(ERROR,
				(errcode(ERRCODE_DEPENDENT_OBJECTS_STILL_EXIST),
				 errmsg("cannot drop the eoswath object catalog while it lists %lld objects", (long long) n),
				 errdetail("Their bytes are on the sites%s%s; without the catalog nothing could read, verify or delete them.",
						   drop_sites ? ": " : "", drop_sites ? drop_sites : ""),
				 errhint("Delete the objects first with wos_delete(), or, as a superuser, SET eoswath.allow_drop_with_objects = on to drop the catalog and leave the bytes on the sites.")));
	ereport(WARNING,
			(errmsg("dropping the eoswath catalog of %lld objects; their bytes stay on the sites", (long long) n),
			 drop_sites ? errdetail("Sites left with bytes: %s.", drop_sites) : 0,
			 errhint("A new install can take those sites over with wos_site_add() of the same locations and wos_site_adopt(); object ids then continue above the ones found there.")));
}

void
eoswath_guard_init(void)
{
	prev_object_access_hook = object_access_hook;
	object_access_hook = guard_object_access;
}

/* Note the sites (name and location) for the hook's messages. */
void
guard_note_sites(void)
{
	StringInfoData buf;
	ListCell   *lc;

	if (drop_sites)
		pfree(drop_sites);
	drop_sites = NULL;
	if (!OidIsValid(get_namespace_oid("eoswath", true)))
		return;
	initStringInfo(&buf);
	foreach(lc, catalog_get_sites(false))
	{
		StoreSite  *s = lfirst(lc);

		appendStringInfo(&buf, "%s\"%s\" (%s%s%s)", buf.len ? ", " : "", s->name,
						 s->location[0] == '/' ? "" : DataDir,
						 s->location[0] == '/' ? "" : "/", s->location);
	}
	drop_sites = MemoryContextStrdup(TopMemoryContext, buf.data);
}
