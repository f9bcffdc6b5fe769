/*
 * sites.c
 *		Who owns a site.
 *
 * Every site carries a marker (written when it is added) naming the archive
 * (a UUID made by CREATE EXTENSION, kept in eoswath.archive and dumped) and
 * the instance that owns the site: the cluster's system identifier and the
 * database's oid.  A physical standby has its primary's system identifier
 * and database, so it is never a stranger, and keeps ownership after a
 * promotion.  A restored copy of the database (same archive, another
 * instance) or a new install finds the site foreign: it may read there,
 * but nothing it does writes, deletes, repairs or sweeps there until an
 * admin takes the site over with wos_site_adopt().  So two databases that
 * share disks can never overwrite or sweep each other's objects.
 *
 * A marker written by eoswath 0.1.0 names no owner: the first instance that
 * writes there claims it.  Ownership is looked up once per transaction and
 * site (the StoreSite is the transaction's, see catalog.c).
 */
#include "eoswath.h"

#include <time.h>

#include "access/xact.h"
#include "access/xlog.h"
#include "catalog/pg_database.h"
#include "commands/dbcommands.h"
#include "miscadmin.h"
#include "utils/builtins.h"

#include "catalog.h"
#include "sites.h"
#include "xact.h"

/* A marker, or the owner's heartbeat (the same "key value" lines) */
typedef struct Marker
{
	char	   *archive;		/* NULL: a 0.1.0 marker */
	uint64		sysid;
	Oid			database;
	int64		time;			/* heartbeat: when written (Unix time) */
	int			interval;		/* heartbeat: seconds to the next one */
} Marker;

char *
site_marker_text(const char *name, int32 site_id)
{
	List	   *ids = catalog_archive_ids();

	/* a 0.1.0 schema has no archive identity: a marker as 0.1.0 wrote it */
	if (ids == NIL)
		return psprintf("eoswath site \"%s\"\n", name);
	return psprintf("eoswath site \"%s\"\n"
					"archive %s\n"
					"system_identifier " UINT64_FORMAT "\n"
					"database %u\n"
					"site_id %d\n",
					name, (char *) linitial(ids),
					GetSystemIdentifier(), MyDatabaseId, site_id);
}

/* the "key value" lines after the first */
static void
parse_marker(char *text, Marker *m)
{
	char	   *line;
	char	   *save = NULL;

	memset(m, 0, sizeof(*m));
	for (line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save))
	{
		if (strncmp(line, "archive ", 8) == 0)
			m->archive = pstrdup(line + 8);
		else if (strncmp(line, "system_identifier ", 18) == 0)
			m->sysid = strtou64(line + 18, NULL, 10);
		else if (strncmp(line, "database ", 9) == 0)
			m->database = (Oid) strtoul(line + 9, NULL, 10);
		else if (strncmp(line, "time ", 5) == 0)
			m->time = strtoi64(line + 5, NULL, 10);
		else if (strncmp(line, "interval ", 9) == 0)
			m->interval = atoi(line + 9);
	}
}

static bool
in_list(List *ids, const char *id)
{
	ListCell   *lc;

	foreach(lc, ids)
		if (strcmp((char *) lfirst(lc), id) == 0)
			return true;
	return false;
}

/* Read the marker and decide; cached on the site for the transaction. */
SiteOwnership
site_ownership(StoreSite *site)
{
	char	   *why = NULL;
	char	   *text;
	Marker		m;

	if (site->ownership != SITE_UNKNOWN)
		return site->ownership;
	text = site->methods->read_marker(site, &why);
	if (text == NULL)
	{
		site->owner_text = why;
		return site->ownership = SITE_UNREADABLE;
	}
	parse_marker(text, &m);
	if (m.archive == NULL)
	{
		site->owner_text = pstrdup("unclaimed (a marker of eoswath 0.1.0)");
		return site->ownership = SITE_UNCLAIMED;
	}
	if (!in_list(catalog_archive_ids(), m.archive))
	{
		site->owner_text = psprintf("archive %s", m.archive);
		return site->ownership = SITE_OTHER_ARCHIVE;
	}
	if (m.sysid == GetSystemIdentifier() && m.database == MyDatabaseId)
	{
		site->owner_text = pstrdup("this database");
		return site->ownership = SITE_OWNED;
	}
	site->owner_text = psprintf("system identifier " UINT64_FORMAT ", database %u", m.sysid, m.database);
	return site->ownership = SITE_FOREIGN;
}

/* Write our identity into the site's marker. */
static void
claim(StoreSite *site)
{
	site->methods->write_marker(site, site_marker_text(site->name, site->id));
	ereport(LOG,
			(errmsg("eoswath site \"%s\" is now owned by this database (was: %s)",
					site->name, site->owner_text ? site->owner_text : "?")));
	site->ownership = SITE_OWNED;
	site->owner_text = pstrdup("this database");
}

bool
site_writable(StoreSite *site, char **why)
{
	switch (site_ownership(site))
	{
		case SITE_OWNED:
			return true;
		case SITE_UNCLAIMED:
			claim(site);
			return true;
		case SITE_FOREIGN:
			*why = psprintf("owned by another instance of this archive (%s)", site->owner_text);
			return false;
		case SITE_OTHER_ARCHIVE:
			*why = psprintf("belongs to another archive (%s)", site->owner_text);
			return false;
		default:
			*why = site->owner_text ? site->owner_text : pstrdup("its marker cannot be read");
			return false;
	}
}

void
site_require_owned(StoreSite *site, const char *action)
{
	char	   *why = NULL;
	SiteOwnership own;

	if (site_writable(site, &why))
		return;
	own = site_ownership(site);
	if (own == SITE_UNREADABLE)
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("cannot %s site \"%s\": its marker cannot be read", action, site->name),
				 errdetail("%s.", why),
				 errhint("Check that the site's disk is mounted or its service is up.")));
	ereport(ERROR,
			(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
			 errmsg("cannot %s site \"%s\": it is not this database's", action, site->name),
			 errdetail("Its marker says it is %s; this is system identifier " UINT64_FORMAT ", database %u.",
					   own == SITE_FOREIGN ?
					   psprintf("owned by another instance of this archive (%s)", site->owner_text) :
					   psprintf("a site of another archive (%s)", site->owner_text),
					   GetSystemIdentifier(), MyDatabaseId),
			 own == SITE_FOREIGN ?
			 errhint("If this database now stands in for that instance (a restore, pg_upgrade, a new server), take the site over with wos_site_adopt('%s').",
					 site->name) :
			 errhint("A site holds the objects of one archive; give this archive sites of its own.")));
}

/*
 * wos_site_add(..., options => '{"adopt": true}'): the location must hold an
 * eoswath site already (its marker readable), of any archive: the catalog
 * that listed its objects may be gone (DROP EXTENSION with
 * eoswath.allow_drop_with_objects).  site_adopt() follows once the row is in.
 */
void
site_check_adoptable(StoreSite *site)
{
	char	   *why = NULL;

	site->methods->validate(site, false);
	if (site->methods->read_marker(site, &why) == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("cannot adopt \"%s\" as site \"%s\": it holds no eoswath site", site->location, site->name),
				 errdetail("%s.", why),
				 errhint("Without \"adopt\", wos_site_add() takes a new or empty location.")));
}

void
site_refuse_foreign(StoreSite *site, const char *action)
{
	SiteOwnership own = site_ownership(site);

	if (own == SITE_FOREIGN || own == SITE_OTHER_ARCHIVE)
		site_require_owned(site, action);
}

static StoreSite *
site_by_name(const char *name)
{
	ListCell   *lc;

	foreach(lc, catalog_get_sites(false))
	{
		StoreSite  *s = lfirst(lc);

		if (strcmp(s->name, name) == 0)
			return s;
	}
	ereport(ERROR,
			(errcode(ERRCODE_UNDEFINED_OBJECT),
			 errmsg("site \"%s\" does not exist", name)));
	return NULL;				/* keep compiler quiet */
}

/* the highest object id found on a site */
static void
max_oid_cb(StoreSite *site, WosOid oid, const char *name, bool is_temp, void *arg)
{
	WosOid	   *max = arg;

	if (oid > *max)
		*max = oid;
}

/*
 * The owner's heartbeat: while its maintenance worker runs, the owning
 * database rewrites ".eoswath-alive" beside the marker of each site it owns
 * every eoswath.heartbeat_interval.  An instance on another host cannot ask
 * the owner whether it still runs; a recent heartbeat tells it.
 */
#define SITE_HEARTBEAT ".eoswath-alive"

void
site_heartbeat_all(void)
{
	ListCell   *lc;
	char	   *text;

	if (eoswath_heartbeat_interval <= 0 || RecoveryInProgress())
		return;
	text = psprintf("eoswath heartbeat\nsystem_identifier " UINT64_FORMAT "\ndatabase %u\ntime " INT64_FORMAT "\ninterval %d\n",
					GetSystemIdentifier(), MyDatabaseId,
					(int64) time(NULL), eoswath_heartbeat_interval);
	foreach(lc, catalog_get_sites(false))
	{
		StoreSite  *s = lfirst(lc);

		CHECK_FOR_INTERRUPTS();
		if (s->methods->write_note == NULL || !s->methods->available(s, NULL) ||
			site_ownership(s) != SITE_OWNED)
			continue;
		s->methods->write_note(s, SITE_HEARTBEAT, text);
	}
}

/*
 * Refuse to adopt a site whose owner (as its marker names it) wrote a
 * heartbeat lately: it is running, somewhere.  Stale after three intervals
 * and a minute of clock skew.
 */
static void
refuse_live_owner(StoreSite *site, const Marker *m)
{
	char	   *why = NULL;
	char	   *text = site->methods->read_note ?
		site->methods->read_note(site, SITE_HEARTBEAT, &why) : NULL;
	Marker		hb;
	int			interval;
	int64		age;

	if (text == NULL)
		return;
	parse_marker(text, &hb);
	interval = hb.interval;
	if (hb.sysid != m->sysid || hb.database != m->database || interval <= 0)
		return;
	age = (int64) time(NULL) - hb.time;
	if (age < 3 * (int64) interval + 60)
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_IN_USE),
				 errmsg("cannot adopt site \"%s\": its owner is still running", site->name),
				 errdetail("The owner (system identifier " UINT64_FORMAT ", database %u) wrote its heartbeat " INT64_FORMAT " seconds ago; it writes one every %d seconds.",
						   m->sysid, m->database, age, interval),
				 errhint("Stop the owning server first; adoption is possible %d seconds after its last heartbeat.",
						 3 * interval + 60)));
}

/*
 * wos_site_adopt(name): make this database the site's owner.  Refused for
 * another archive's site, and while the recorded owner is a database of
 * this very cluster that still exists (a restored copy beside its
 * original).  any_archive (wos_site_add with "adopt"): a site of another
 * archive too, one whose catalog was dropped.  Ids then continue above
 * every id found on the site, so that none is handed out twice for the
 * same sites.
 */
void
site_adopt(const char *name)
{
	site_adopt_site(site_by_name(name), false);
}

void
site_adopt_site(StoreSite *site, bool any_archive)
{
	const char *name = site->name;
	SiteOwnership own;
	char	   *text;
	char	   *why = NULL;
	Marker		m;
	WosOid		max = InvalidWosOid;

	if (RecoveryInProgress())
		ereport(ERROR,
				(errcode(ERRCODE_READ_ONLY_SQL_TRANSACTION),
				 errmsg("cannot adopt a site during recovery")));
	site->ownership = SITE_UNKNOWN;
	own = site_ownership(site);
	if (own == SITE_UNREADABLE)
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("cannot adopt site \"%s\": its marker cannot be read", name),
				 errdetail("%s.", site->owner_text),
				 errhint("Mount the site's disk (or bring its service up) first; wos_site_relocate() records a new location.")));
	if (own == SITE_OTHER_ARCHIVE && !any_archive)
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("cannot adopt site \"%s\": it belongs to another archive", name),
				 errdetail("Its marker names %s; this archive is %s.", site->owner_text,
						   (char *) linitial(catalog_archive_ids())),
				 errhint("Adopting it would mix the object ids of two archives.")));
	if (own == SITE_OWNED)
	{
		ereport(NOTICE,
				(errmsg("site \"%s\" is already this database's", name)));
		return;
	}
	if (own == SITE_FOREIGN)
	{
		text = site->methods->read_marker(site, &why);
		parse_marker(text, &m);
		if (m.sysid != GetSystemIdentifier())
			refuse_live_owner(site, &m);
		else if (OidIsValid(m.database) && get_database_name(m.database) != NULL)
			ereport(ERROR,
					(errcode(ERRCODE_OBJECT_IN_USE),
					 errmsg("cannot adopt site \"%s\": its owner, database \"%s\" of this cluster, still exists",
							name, get_database_name(m.database)),
					 errhint("Two databases must not write into one site.  Drop the other database first, or give this one new sites.")));
	}

	/* ids above anything on the site, then the marker */
	site->methods->list(site, max_oid_cb, &max);
	if (max != InvalidWosOid)
		catalog_oid_at_least(max);
	claim(site);
	ereport(NOTICE,
			(errmsg("site \"%s\" adopted; new object ids continue above %s", name,
					max != InvalidWosOid ? wosoid_to_cstring(max) : "the current ones")));
}

/*
 * wos_site_relocate(name, location): the site's disk is mounted elsewhere
 * (or its data moved).  The marker at the new location must be this site's:
 * this archive, this site id, and owned here (or unclaimed).
 */
void
site_relocate(const char *name, const char *location)
{
	StoreSite  *old = site_by_name(name);
	StoreSite  *site;
	char	   *why = NULL;
	char	   *text;
	Marker		m;
	int			site_id = 0;
	char	   *p;

	site = store_site_make(old->id, old->name, old->kind, location, old->options,
						   old->enabled, old->access_key, old->secret_key);
	site->methods->validate(site, false);
	text = site->methods->read_marker(site, &why);
	if (text == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("cannot relocate site \"%s\" to \"%s\": no site marker there", name, location),
				 errdetail("%s.", why)));
	if ((p = strstr(text, "\nsite_id ")) != NULL)
		site_id = atoi(p + 9);
	parse_marker(pstrdup(text), &m);
	if (m.archive != NULL &&
		(!in_list(catalog_archive_ids(), m.archive) || site_id != old->id))
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("cannot relocate site \"%s\" to \"%s\": the site there is another one", name, location),
				 errdetail("Its marker names archive %s, site id %d; this is site id %d of archive %s.",
						   m.archive, site_id, old->id, (char *) linitial(catalog_archive_ids()))));
	if (m.archive != NULL &&
		(m.sysid != GetSystemIdentifier() || m.database != MyDatabaseId))
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("cannot relocate site \"%s\" to \"%s\": it is owned by another instance", name, location),
				 errhint("Relocate it, then take it over with wos_site_adopt('%s').", name)));
	catalog_set_site_location(old->id, location);
	ereport(NOTICE,
			(errmsg("site \"%s\" now at \"%s\"", name, location)));
}

/* The wos_sites columns of one site. */
void
site_status(int32 site_id, bool *available, char **owner, int64 *free_bytes,
			bool *free_known, char **why)
{
	ListCell   *lc;
	StoreSite  *site = NULL;

	*available = false;
	*owner = NULL;
	*free_known = false;
	*why = NULL;
	foreach(lc, catalog_get_sites(false))
		if (((StoreSite *) lfirst(lc))->id == site_id)
			site = lfirst(lc);
	if (site == NULL)
	{
		*why = pstrdup("no such site");
		return;
	}
	if (site->methods->free_space)
		*free_known = site->methods->free_space(site, free_bytes);
	if (!site->methods->available(site, why))
		return;
	switch (site_ownership(site))
	{
		case SITE_OWNED:
		case SITE_UNCLAIMED:
			*owner = site->owner_text;
			*available = site->enabled;
			if (!site->enabled)
				*why = pstrdup("disabled (wos_site_enable)");
			break;
		case SITE_FOREIGN:
			*owner = site->owner_text;
			*why = pstrdup("owned by another instance of this archive: wos_site_adopt() takes it over");
			break;
		case SITE_OTHER_ARCHIVE:
			*owner = site->owner_text;
			*why = pstrdup("a site of another archive");
			break;
		default:
			*why = site->owner_text;
			break;
	}
}
