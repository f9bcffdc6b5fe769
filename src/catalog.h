/*
 * catalog.h
 *		The object catalog (eoswath.objects, eoswath.sites,
 *		eoswath.site_credentials, eoswath.policies), read and written through
 *		SPI as the extension's owner.
 */
#ifndef EOSWATH_CATALOG_H
#define EOSWATH_CATALOG_H

#include "eoswath.h"

#include "nodes/pg_list.h"
#include "utils/jsonb.h"
#include "utils/timestamp.h"

#include "store.h"

#define WOS_SHA256_LEN			32

typedef enum ObjectState
{
	OBJECT_RESERVED,			/* id handed out, no data yet */
	OBJECT_STORED				/* data written on every copy */
} ObjectState;

/* One row of eoswath.objects. */
typedef struct ObjectRecord
{
	WosOid		oid;
	ObjectState state;
	char	   *policy;
	int64		size;			/* -1 while reserved */
	uint8		sha256[WOS_SHA256_LEN];
	char	   *encoding;		/* "identity" or "gzip" */
	Jsonb	   *meta;
	int			nsites;
	int32	   *sites;			/* site ids holding copies */
	TimestampTz created;
	int32		block_size;		/* bytes per block checksum; 0: none (0.1.0) */
	uint8	   *block_sha256;	/* a put's block digests (catalog_insert,
								 * catalog_mark_stored); NULL after a lookup:
								 * see catalog_block_sha256() */
} ObjectRecord;

/* the number of block checksums of a stored object (0: none) */
#define ObjectNumBlocks(rec) \
	((rec)->block_size > 0 ? ((rec)->size + (rec)->block_size - 1) / (rec)->block_size : 0)

/* One row of eoswath.policies. */
typedef struct Policy
{
	char	   *name;
	int			copies;
	int			nallowed;		/* 0: any enabled site */
	char	  **allowed;		/* names of the sites the policy may use */
} Policy;

/* objects */
extern WosOid catalog_next_oid(void);
extern ObjectRecord *catalog_lookup(WosOid oid, bool for_update);
extern ObjectRecord *catalog_fetch(WosOid oid, bool for_update);
extern void catalog_insert(ObjectRecord *rec);
extern void catalog_mark_stored(ObjectRecord *rec);
extern void catalog_delete(WosOid oid);
extern void catalog_set_sites(WosOid oid, int nsites, const int32 *sites);
extern bool catalog_object_has_copy(WosOid oid, int32 site_id, bool *exists);
extern int	catalog_next_batch(WosOid after, int limit, WosOid *out);
/* count block digests of a stored object from block first, into out */
extern void catalog_block_sha256(ObjectRecord *rec, int64 first, int64 count,
								 uint8 *out);
/* record the block digests of an object stored without them */
extern bool catalog_set_block_sha256(ObjectRecord *rec, int32 block_size,
									 const uint8 *digests);

/* the delete queue: copies removed after commit (object_deletes.c) */
extern bool catalog_queue_delete(WosOid oid, int32 site_id);
extern int	catalog_due_deletes(int64 after, int limit, bool all, int64 *ids,
								WosOid *oids, int32 *sites);
extern void catalog_delete_settled(int64 id, const char *error);

/* the archive's identities, oldest (the archive's own) first */
extern List *catalog_archive_ids(void);
extern bool catalog_former_default_site(char **dir, char **owner, char **now_dir);
/* make the id sequence hand out only ids above oid */
extern void catalog_oid_at_least(WosOid oid);

/* policies */
extern Policy *catalog_get_policy(const char *name);

/*
 * sites: resolved (catalog row + credentials, backend attached) once per
 * transaction and kept until the transaction changes anything (see
 * catalog.c); the StoreSite structs stay valid until the transaction ends.
 */
extern List *catalog_get_sites(bool enabled_only);
extern void catalog_forget_sites(void);
extern int32 catalog_add_site(const char *name, const char *kind,
							 const char *location, Jsonb *options);
extern int32 catalog_site_id(const char *name);
extern void catalog_set_site_location(int32 site_id, const char *location);
extern void catalog_set_credentials(int32 site_id, const char *access_key,
									const char *secret_key);

#endif							/* EOSWATH_CATALOG_H */
