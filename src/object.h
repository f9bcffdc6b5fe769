/*
 * object.h
 *		The object library: every caller (the SQL functions, server files,
 *		streams, subsets) stores and reads objects through this API, as
 *		PostgreSQL's large objects all go through inv_api.c.
 *
 *	object_put.c	the put sequence: new id, lock, sites, copies, hash, row
 *	object_read.c	readers over the copies, verified whole and streamed reads
 *	object_copies.c	checking copies, repair, verify and sweep
 *	object_blocks.c	block checksums: verified block reads across copies
 *	object_scrub.c	one step of the scrub worker: verify, repair, re-replicate
 *	object_deletes.c	removing the copies queued by committed deletes
 *	object_file.c	objects from and to files on the database server
 *	object_hash.c	SHA-256 contexts
 *
 * Memory is bounded by eoswath.io_block_size, never by object size.
 */
#ifndef EOSWATH_OBJECT_H
#define EOSWATH_OBJECT_H

#include "eoswath.h"

#include "catalog.h"
#include "store.h"

/* settings (guc.c) */
extern char *eoswath_default_policy;
extern int	eoswath_io_block_size;	/* bytes */
extern int	eoswath_block_size;		/* bytes per block checksum, 0: none */
extern bool eoswath_hash_thread;	/* a put's whole-object digest on a thread */
extern int	eoswath_gzip_level;		/* zlib level of compress => true */
extern int	eoswath_site_min_free;	/* MB a site keeps free of new copies */
extern char *eoswath_default_site_path;	/* where default sites go; empty: the data directory */

/* ---- object_put.c ---- */

typedef struct ObjectPut ObjectPut;

extern void object_check_meta(Jsonb *meta);
extern Policy *object_policy(const char *name);	/* NULL: the default */

/*
 * A new object: draw an id, lock it, open a copy on each chosen site.  size:
 * the number of bytes that will be written if known (an empty object is
 * refused here, before any site is touched), else -1.
 */
extern ObjectPut *object_put_begin(Policy *policy, Jsonb *meta, bool compress,
								   int64 size);
/* the data of a reserved id (rec locked FOR UPDATE by the caller) */
extern ObjectPut *object_put_reserved(ObjectRecord *rec, Jsonb *meta, int64 size);
extern void object_put_write(ObjectPut *put, const char *data, size_t len);
extern int64 object_put_written(ObjectPut *put);	/* bytes given */
/* make every copy durable, then insert (or update) the catalog row */
extern WosOid object_put_finish(ObjectPut *put);

extern WosOid object_reserve(Policy *policy);

/* the sites a policy places a copy of oid (size bytes, -1: unknown) on now */
extern List *object_choose_sites(WosOid oid, Policy *policy, int64 size);
extern void object_delete(WosOid oid);

/* ---- object_read.c ---- */

typedef struct ObjectReader ObjectReader;
typedef struct ObjectStream ObjectStream;

extern void object_require_stored(ObjectRecord *rec);
extern List *object_sites(ObjectRecord *rec);

/* random access to one intact-size copy; verify: hash sequential reads */
extern ObjectReader *object_open(ObjectRecord *rec, bool verify);
extern size_t object_read(ObjectReader *r, char *buf, size_t len);
extern size_t object_pread(ObjectReader *r, char *buf, size_t len, int64 offset);
extern void object_close(ObjectReader *r);

/* the whole object, from the first intact copy; repairs the others */
extern bytea *object_read_all(ObjectRecord *rec);

/* reading in order, inflating gzip if asked; the end is verified */
extern ObjectStream *object_stream_open(ObjectRecord *rec, bool decompress);
extern size_t object_stream_read(ObjectStream *os, char *buf, size_t len);
extern void object_stream_close(ObjectStream *os);

/* ---- object_copies.c ---- */

typedef enum CopyStatus
{
	COPY_OK,
	COPY_MISSING,
	COPY_BAD_SIZE,
	COPY_BAD_CHECKSUM,
	COPY_NO_SITE,
	COPY_UNREACHABLE			/* not read: the site is down or unmounted */
} CopyStatus;

extern const char *copy_status_name(CopyStatus s);
extern CopyStatus object_open_copy(ObjectRecord *rec, StoreSite *site, void **h);
extern CopyStatus object_check_copy(ObjectRecord *rec, StoreSite *site);
extern CopyStatus object_copy_presence(ObjectRecord *rec, StoreSite *site);
extern List *object_check_rest(ObjectRecord *rec, List *rest, List *bad);
extern bool object_repair(ObjectRecord *rec, StoreSite *from, List *to);
extern void object_copy_between(ObjectRecord *rec, StoreSite *from, List *to,
								bool created, const char *what);

/* wos_verify(): one report per copy */
typedef void (*verify_report) (void *arg, WosOid oid, const char *site,
							   const char *status, const char *action);
extern void object_verify(WosOid oid, bool repair, bool report_ok,
						  verify_report report, void *arg);
extern void object_verify_all(bool repair, verify_report report, void *arg);

/* wos_sweep(): one report per entry removed (or that would be) */
typedef void (*sweep_report) (void *arg, StoreSite *site, const char *name,
							  WosOid oid, const char *what);
extern void object_sweep(bool dry_run, sweep_report report, void *arg);

/* ---- object_blocks.c ---- */

/*
 * Reading an object's blocks, each verified against its SHA-256 before it
 * is returned, from the copies on 'sources' (tried in order; at a corrupt
 * or unreadable block the next intact copy takes over).  Only for objects
 * with block checksums (rec->block_size > 0).
 */
typedef struct BlockReader BlockReader;

extern BlockReader *blocks_open(ObjectRecord *rec, List *sources);
extern size_t blocks_read(BlockReader *br, int64 k, char *buf);
/* block k in the reader's buffer; read_ahead: verify k + 1 meanwhile */
extern const char *blocks_read_buffered(BlockReader *br, int64 k, bool read_ahead);
/* whole blocks first .. first + count - 1 into buf, hashed in parallel */
extern void blocks_read_many(BlockReader *br, int64 first, int64 count, char *buf);
extern StoreSite *blocks_site(BlockReader *br);
/* close; the copies to repair (found bad; check_unread: or unread and missing) */
extern List *blocks_close(BlockReader *br, bool check_unread);
extern int64 object_block_length(ObjectRecord *rec, int64 k);
/* no copy could serve the object (block -1) or its block k: the error */
extern void object_no_intact_copy(ObjectRecord *rec, int64 block) pg_attribute_noreturn();

/* check one copy block by block (rec->block_size > 0) */
extern CopyStatus object_check_copy_blocks(ObjectRecord *rec, StoreSite *s);

/*
 * Check one copy; for an object without block checksums that copy, if
 * intact by the whole-object checksum, gives them (computed in the same
 * read at eoswath.block_size and stored in the catalog and in rec).
 */
extern CopyStatus object_blocks_fill(ObjectRecord *rec, StoreSite *s);
/* ---- object_scrub.c ---- */

/* what the scrub found on one copy */
typedef struct ScrubCopy
{
	int32		site_id;		/* 0: the site row is gone */
	const char *site;
	const char *status;			/* copy_status_name() */
	const char *action;			/* object_verify's, or "replaced" */
} ScrubCopy;

typedef struct ScrubResult
{
	WosOid		oid;
	int64		bytes_read;		/* for the rate limit */
	int			ncopies;
	ScrubCopy  *copies;
	bool		rereplicated;	/* new copies were made elsewhere */
} ScrubResult;

/* check the first stored object after 'after'; false when there is none */
extern bool object_scrub_next(WosOid after, ScrubResult *res);

/* ---- object_deletes.c ---- */

/* remove queued copies (limit 0: all due; all: retries too) */
extern int64 object_delete_pending(int limit, bool all, int64 *removed);

/* ---- object_place.c ---- */

/*
 * Move the copies of oid to where its policy places them now (after a site
 * was disabled for draining, a site added, the policy altered); returns the
 * bytes copied.
 */
extern int64 object_place(WosOid oid);

/* ---- object_file.c ---- */

extern WosOid object_put_file(const char *path, Policy *policy, Jsonb *meta,
							  bool compress);
extern int64 object_get_file(ObjectRecord *rec, const char *path,
							 bool decompress, bool overwrite);

/* ---- object_hash.c ---- */

typedef struct evp_md_ctx_st Sha256Ctx;	/* OpenSSL's EVP_MD_CTX */

extern Sha256Ctx *sha256_begin(void);
extern void sha256_restart(Sha256Ctx *md);
extern void sha256_update(Sha256Ctx *md, const void *data, size_t len);
extern void sha256_final(Sha256Ctx *md, uint8 *out);
extern char *sha256_hex(const uint8 *digest);
/* for jobs on the hash thread: OpenSSL only, false on failure */
extern bool sha256_update_nothrow(Sha256Ctx *md, const void *data, size_t len);
extern bool sha256_next_nothrow(Sha256Ctx *md, uint8 *out);
/* a put's two digests (the object's, the current block's) in one pass */
typedef struct Sha256Pair
{
	uint32		whole[8];		/* the object's state */
	uint32		block[8];		/* the current block's */
	uint64		whole_len;		/* bytes hashed */
	uint64		block_len;
	uint8		pend[64];		/* bytes short of a 64-byte chunk */
	int			pend_len;
} Sha256Pair;

extern bool sha256_pair_usable(int32 block_size);
/* these raise no error: hash jobs may call them */
extern void sha256_pair_init(Sha256Pair *p);
extern void sha256_pair_update(Sha256Pair *p, const uint8 *data, size_t len);
extern void sha256_pair_next_block(Sha256Pair *p, uint8 *out);
extern void sha256_pair_final(Sha256Pair *p, uint8 *whole, uint8 *block);
/* run a job on a hash thread (or inline); wait for them on every path */
extern void hash_thread_run(void (*job) (void *), void *arg);
extern void hash_thread_wait(void);
/* jobs that run on after the call that started them: *running says so */
extern void hash_thread_guard(MemoryContext cxt, bool *running);
extern bool hash_thread_finish(bool *running);

#endif							/* EOSWATH_OBJECT_H */
