/*
 * sites.h
 *		Who owns a site (sites.c): the identity in its marker, checked before
 *		anything is written, deleted, repaired or swept there.
 */
#ifndef EOSWATH_SITES_H
#define EOSWATH_SITES_H

#include "eoswath.h"

#include "store.h"

typedef enum SiteOwnership
{
	SITE_UNKNOWN = 0,			/* not looked at yet this transaction */
	SITE_OWNED,					/* this database of this cluster (or its standby) */
	SITE_UNCLAIMED,				/* a 0.1.0 marker without identity: claimed on first write */
	SITE_FOREIGN,				/* this archive, another instance (a restore, an upgrade) */
	SITE_OTHER_ARCHIVE,			/* another archive altogether */
	SITE_UNREADABLE				/* no marker (not mounted) or the site is down */
} SiteOwnership;

/* the marker a new or adopted site gets: this archive and instance */
extern char *site_marker_text(const char *name, int32 site_id);

extern SiteOwnership site_ownership(StoreSite *site);

/*
 * ERROR (55000, with the owner and a HINT) unless this instance may write
 * into the site; an unclaimed site is claimed.  action: "write copies to".
 */
extern void site_require_owned(StoreSite *site, const char *action);

/*
 * ERROR (55000) if another instance or archive owns the site; a site whose
 * marker cannot be read now (down, unmounted) passes: deleting an object
 * does not wait for every disk, the sweep removes the copy later.
 */
extern void site_refuse_foreign(StoreSite *site, const char *action);

/* the same as a test: may this instance write there?  why when not */
extern bool site_writable(StoreSite *site, char **why);

/* wos_site_adopt() and the wos_sites columns */
extern void site_adopt(const char *name);
extern void site_heartbeat_all(void);

/* s between the owner's heartbeats on its sites (guc.c); 0: none */
extern int	eoswath_heartbeat_interval;
extern void site_adopt_site(StoreSite *site, bool any_archive);
extern void site_check_adoptable(StoreSite *site);
extern void site_relocate(const char *name, const char *location);
extern void site_status(int32 site_id, bool *available, char **owner,
						int64 *free_bytes, bool *free_known, char **why);

#endif							/* EOSWATH_SITES_H */
