/*
 * eoswath.h
 *		Types and entry points shared by every eoswath subsystem: the object
 *		id, the catalog's view of an object, policies and settings.
 */
#ifndef EOSWATH_H
#define EOSWATH_H

#include "postgres.h"

#include "fmgr.h"
#include "nodes/pg_list.h"
#include "utils/jsonb.h"
#include "utils/timestamp.h"

/* ---- wosoid.c: the object id ---- */

/* An object id: a positive 64-bit number from a sequence, never reused. */
typedef uint64 WosOid;

#define InvalidWosOid			((WosOid) 0)
#define DatumGetWosOid(X)		((WosOid) DatumGetInt64(X))
#define WosOidGetDatum(X)		Int64GetDatum((int64) (X))
#define PG_GETARG_WOSOID(n)		DatumGetWosOid(PG_GETARG_DATUM(n))
#define PG_RETURN_WOSOID(x)		return WosOidGetDatum(x)

/* text form: 13 Crockford base-32 digits */
#define WOSOID_TEXT_LEN			13

extern void wosoid_format(WosOid oid, char *buf);	/* buf >= 14 bytes */
extern bool wosoid_parse(const char *str, WosOid *result);
extern char *wosoid_to_cstring(WosOid oid);

/* ---- guc.c: settings ---- */

extern char *eoswath_default_policy;
extern int	eoswath_io_block_size;	/* bytes */
extern int	eoswath_gzip_level;		/* zlib level of compress => true */

/* S3 sites (store_s3.c) */
extern int	eoswath_s3_part_size;	/* bytes */
extern int	eoswath_s3_read_ahead;	/* bytes */
extern int	eoswath_s3_retries;
extern int	eoswath_s3_retry_delay; /* ms, first backoff */
extern int	eoswath_s3_retry_max_delay; /* ms */
extern int	eoswath_s3_connect_timeout; /* ms */
extern int	eoswath_s3_io_timeout;	/* s without progress */
extern int	eoswath_s3_max_rate;	/* bytes/s per transfer, 0: unlimited */
extern bool eoswath_s3_allow_http;
extern char *eoswath_s3_ca_file;
extern char *eoswath_s3_ca_path;
extern char *eoswath_s3_credentials_file;
extern void eoswath_define_gucs(void);

/* ---- catalog.c: the object catalog ---- */

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
} ObjectRecord;

typedef struct Policy
{
	char	   *name;
	int			copies;
	int			nallowed;		/* 0: any enabled site */
	char	  **allowed;		/* names of the sites the policy may use */
} Policy;

struct StoreSite;

extern WosOid catalog_next_oid(void);
extern ObjectRecord *catalog_lookup(WosOid oid, bool for_update);
extern ObjectRecord *catalog_fetch(WosOid oid, bool for_update);
extern void catalog_insert(ObjectRecord *rec);
extern void catalog_mark_stored(ObjectRecord *rec);
extern void catalog_delete(WosOid oid);
extern Policy *catalog_get_policy(const char *name);
extern List *catalog_get_sites(bool enabled_only);
extern struct StoreSite *catalog_get_site(int32 site_id);
extern bool catalog_object_has_copy(WosOid oid, int32 site_id, bool *exists);
extern int	catalog_next_batch(WosOid after, int limit, WosOid *out);
extern int32 catalog_add_site(const char *name, const char *kind,
							 const char *location, Jsonb *options);
extern int32 catalog_site_id(const char *name);
extern void catalog_set_credentials(int32 site_id, const char *access_key,
									const char *secret_key);

/* run catalog SQL as the extension's owner, whoever calls */
typedef struct CatalogUser
{
	Oid			save_userid;
	int			save_sec_context;
} CatalogUser;
extern void catalog_become_owner(CatalogUser *save);
extern void catalog_restore_user(CatalogUser *save);

/* ---- pending.c: what a transaction wrote or deletes, settled at its end ---- */

extern void pending_register_callbacks(void);
extern void pending_created(struct StoreSite *site, WosOid oid);
extern void pending_delete(struct StoreSite *site, WosOid oid);

/* ---- stream.c: put streams, settled at transaction end ---- */

extern void stream_register_callbacks(void);

/* ---- locks on object ids (advisory-lock space of our own) ---- */

extern bool object_lock(WosOid oid, bool nowait);
extern void object_unlock(WosOid oid);

/* ---- helpers ---- */

extern char *sha256_hex(const uint8 *digest);
extern void check_meta(Jsonb *meta);

#endif							/* EOSWATH_H */
