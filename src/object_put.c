/*
 * object_put.c
 *		The put sequence, written once for every caller: wos_put,
 *		wos_putoid, put streams, server files and stored subsets.
 *
 *	1. a new id from the sequence (or a reserved id, locked by the caller);
 *	2. the object's lock, held until the transaction ends;
 *	3. sites: the policy's eligible sites in rendezvous order, skipping
 *	   those not available now;
 *	4. a copy opened on each, registered with xact.c first so that an abort
 *	   removes whatever part was written;
 *	5. the bytes, optionally through gzip, to every copy, hashed as a whole
 *	   (the object's SHA-256) and per block of eoswath.block_size (the
 *	   block checksums that reads verify); both cover the stored bytes, the
 *	   gzip bytes of a compressed put, as reads return and verify them;
 *	6. every copy made durable (fsync, or the server's 200);
 *	7. the catalog row: inserted, or the reserved row marked stored.
 *
 * Copies are durable before the row exists: a committed row never points at
 * bytes a crash could lose.  What a crash leaves behind is bytes no
 * committed row owns, which the sweep removes.  Sites are picked by
 * rendezvous hashing of (object, site): the same object maps to the same
 * sites while the set of sites is unchanged, and copies land on distinct
 * sites.
 */
#include "eoswath.h"

#include "common/hashfn.h"
#include "miscadmin.h"
#include "utils/memutils.h"

#include "gzip.h"
#include "object.h"
#include "sites.h"
#include "xact.h"

struct ObjectPut
{
	ObjectRecord *rec;			/* the row to insert or mark stored */
	bool		reserved;		/* rec is a reserved row */
	Policy	   *policy;
	List	   *sites;			/* StoreSite *, one per copy */
	void	  **handles;
	Sha256Ctx  *md;				/* the whole object */
	int32		block_size;		/* 0: no block checksums */
	Sha256Ctx  *block_md;		/* the current block */
	int64		block_fill;		/* bytes of the current block hashed */
	uint8	   *blocks;			/* the digests of the blocks done */
	int64		nblocks;
	int64		blocks_cap;		/* bytes allocated for blocks */
	int64		size;			/* bytes stored (after compression) */
	int64		in_bytes;		/* bytes given (before compression) */
	GzipWriter *gz;
};

/* The metadata rule of WOS: a flat object of string keys and string values. */
void
object_check_meta(Jsonb *meta)
{
	JsonbIterator *it;
	JsonbValue	v;
	JsonbIteratorToken tok;
	int			depth = 0;

	if (meta == NULL)
		return;
	if (!JB_ROOT_IS_OBJECT(meta))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("object metadata must be a JSON object"),
				 errhint("Metadata is a flat JSON object of string keys and string values, such as '{\"mission\": \"Jason-1\"}'.")));
	it = JsonbIteratorInit(&meta->root);
	while ((tok = JsonbIteratorNext(&it, &v, false)) != WJB_DONE)
	{
		if (tok == WJB_BEGIN_OBJECT || tok == WJB_BEGIN_ARRAY)
			depth++;
		else if (tok == WJB_END_OBJECT || tok == WJB_END_ARRAY)
			depth--;
		if (depth > 1 || (tok == WJB_VALUE && v.type != jbvString))
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("object metadata values must be strings"),
					 errhint("Metadata is a flat JSON object of string keys and string values, such as '{\"mission\": \"Jason-1\"}'.")));
	}
}

/* WOS stores no empty objects. */
static void
object_check_size(int64 size)
{
	if (size == 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("cannot store an empty object"),
				 errdetail("eoswath refuses zero-length objects, as WOS does.")));
}

/* A replication policy by name; NULL names eoswath.default_policy. */
Policy *
object_policy(const char *name)
{
	return catalog_get_policy(name ? name : eoswath_default_policy);
}

/* rendezvous score of a site for an object */
static uint64
site_score(WosOid oid, int32 site_id)
{
	return DatumGetUInt64(hash_bytes_extended((const unsigned char *) &oid, sizeof(oid),
											  (uint64) site_id * 0x9E3779B97F4A7C15ULL));
}

static WosOid sort_oid;

static int
score_cmp(const ListCell *a, const ListCell *b)
{
	uint64		sa = site_score(sort_oid, ((StoreSite *) lfirst(a))->id);
	uint64		sb = site_score(sort_oid, ((StoreSite *) lfirst(b))->id);

	return sa < sb ? 1 : (sa > sb ? -1 : 0);
}

static bool
policy_allows(Policy *policy, StoreSite *site)
{
	if (policy->nallowed == 0)
		return true;
	for (int i = 0; i < policy->nallowed; i++)
		if (strcmp(policy->allowed[i], site->name) == 0)
			return true;
	return false;
}

/*
 * Is the site too full for a copy of size bytes (-1: unknown)?  Only where
 * the backend can tell; a copy of unknown size needs at least
 * eoswath.site_min_free.
 */
static bool
site_full(StoreSite *s, int64 size, char **why)
{
	int64		free_bytes;
	int64		need = Max(size, 0) + (int64) eoswath_site_min_free * 1024 * 1024;

	if (s->methods->free_space == NULL || !s->methods->free_space(s, &free_bytes))
		return false;
	if (free_bytes > need || (free_bytes == need && need > 0))
		return false;
	*why = psprintf("full: %lld bytes free, %lld needed", (long long) free_bytes, (long long) Max(need, 1));
	return true;
}

/*
 * Pick the sites for the copies of oid: the policy's eligible enabled sites
 * in rendezvous order, skipping sites that are not available now (marker
 * missing, service down) or too full for size bytes; the next one in
 * rendezvous order takes the copy.  A chosen site that another instance
 * owns is an error, not skipped: this database must not decide where
 * another's objects go.
 */
List *
object_choose_sites(WosOid oid, Policy *policy, int64 size)
{
	List	   *candidates = NIL;
	List	   *chosen = NIL;
	StringInfoData down;
	ListCell   *lc;
	int			ncandidates;
	bool		only_full = true;

	foreach(lc, catalog_get_sites(true))
	{
		StoreSite  *s = lfirst(lc);

		if (policy_allows(policy, s))
			candidates = lappend(candidates, s);
	}
	ncandidates = list_length(candidates);
	sort_oid = oid;
	list_sort(candidates, score_cmp);

	initStringInfo(&down);
	foreach(lc, candidates)
	{
		StoreSite  *s = lfirst(lc);
		char	   *why = NULL;

		if (list_length(chosen) == policy->copies)
			break;
		if (!s->methods->available(s, &why))
			only_full = false;
		else if (!site_full(s, size, &why))
		{
			site_require_owned(s, "write copies to");
			chosen = lappend(chosen, s);
			continue;
		}
		ereport(LOG,
				(errmsg("eoswath site \"%s\" is not available: %s", s->name, why)));
		appendStringInfo(&down, "%s\"%s\" (%s)", down.len ? ", " : "", s->name, why);
	}

	if (list_length(chosen) < policy->copies)
		ereport(ERROR,
				(errcode(down.len > 0 && only_full ? ERRCODE_DISK_FULL :
						 ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("replication policy \"%s\" needs %d copies on distinct sites, but only %d %s available",
						policy->name, policy->copies, list_length(chosen),
						list_length(chosen) == 1 ? "site is" : "sites are"),
				 down.len > 0 ?
				 errdetail("Not available: %s.", down.data) :
				 errdetail("The policy may use %d enabled %s.", ncandidates,
						   ncandidates == 1 ? "site" : "sites"),
				 errhint("Add sites with wos_site_add(), or put with a policy that asks for fewer copies.")));
	return chosen;
}

/* the digest of the block just hashed */
static void
put_end_block(ObjectPut *put)
{
	if ((put->nblocks + 1) * WOS_SHA256_LEN > put->blocks_cap)
	{
		int64		cap = Max(put->blocks_cap * 2, 64 * WOS_SHA256_LEN);

		if (cap > (int64) (MaxAllocSize - VARHDRSZ))
			cap = (MaxAllocSize - VARHDRSZ) / WOS_SHA256_LEN * WOS_SHA256_LEN;
		if ((put->nblocks + 1) * WOS_SHA256_LEN > cap)
			ereport(ERROR,
					(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
					 errmsg("object is too large for block checksums of %d bytes", put->block_size),
					 errdetail("Its block checksums would exceed 1 GB."),
					 errhint("Put it with a larger eoswath.block_size.")));
		put->blocks = put->blocks ? repalloc(put->blocks, cap) : palloc(cap);
		put->blocks_cap = cap;
	}
	sha256_final(put->block_md, put->blocks + put->nblocks * WOS_SHA256_LEN);
	put->nblocks++;
	sha256_restart(put->block_md);
	put->block_fill = 0;
}

/* hash stored bytes: the whole object, and block by block */
static void
put_hash(ObjectPut *put, const char *data, size_t len)
{
	sha256_update(put->md, data, len);
	while (put->block_size > 0 && len > 0)
	{
		size_t		n = Min(len, (size_t) (put->block_size - put->block_fill));

		sha256_update(put->block_md, data, n);
		put->block_fill += n;
		data += n;
		len -= n;
		if (put->block_fill == put->block_size)
			put_end_block(put);
	}
}

/* append stored bytes to every copy */
static void
put_copies(ObjectPut *put, const char *data, size_t len)
{
	ListCell   *lc;
	int			i = 0;

	if (len == 0)
		return;
	put_hash(put, data, len);
	foreach(lc, put->sites)
	{
		StoreSite  *s = lfirst(lc);

		s->methods->write(put->handles[i++], data, len);
	}
	put->size += len;
}

/* the gzip writer's sink */
static void
put_sink(void *arg, const char *data, size_t len)
{
	put_copies((ObjectPut *) arg, data, len);
}

/* steps 2-4 for rec->oid; everything lives in the current memory context */
static ObjectPut *
put_open(ObjectRecord *rec, bool reserved, Policy *policy, bool compress, int64 size)
{
	ObjectPut  *put = palloc0(sizeof(ObjectPut));
	ListCell   *lc;
	int			i = 0;

	put->rec = rec;
	put->reserved = reserved;
	put->policy = policy;
	rec->policy = policy->name;
	rec->encoding = compress ? "gzip" : "identity";

	object_lock(rec->oid, false);
	if (size >= 0)
		object_check_size(size);
	put->sites = object_choose_sites(rec->oid, policy, compress ? -1 : size);
	put->handles = palloc0(sizeof(void *) * list_length(put->sites));
	put->md = sha256_begin();
	put->block_size = eoswath_block_size;
	if (put->block_size > 0)
		put->block_md = sha256_begin();
	foreach(lc, put->sites)
	{
		StoreSite  *s = lfirst(lc);

		/* registered first: an abort removes whatever part was written */
		xact_copy_created(s, rec->oid);
		put->handles[i++] = s->methods->begin_write(s, rec->oid, compress ? -1 : size);
	}
	if (compress)
		put->gz = gzip_writer_begin(put_sink, put, eoswath_gzip_level);
	return put;
}

/*
 * Start a new object under policy.  Everything lives in the current memory
 * context, which must last until object_put_finish().
 */
ObjectPut *
object_put_begin(Policy *policy, Jsonb *meta, bool compress, int64 size)
{
	ObjectRecord *rec = palloc0(sizeof(ObjectRecord));

	rec->oid = catalog_next_oid();
	rec->state = OBJECT_STORED;
	rec->meta = meta;
	return put_open(rec, false, policy, compress, size);
}

/* Start storing the data of a reserved id, under the policy it was reserved with. */
ObjectPut *
object_put_reserved(ObjectRecord *rec, Jsonb *meta, int64 size)
{
	Assert(rec->state == OBJECT_RESERVED);
	rec->meta = meta;
	return put_open(rec, true, catalog_get_policy(rec->policy), false, size);
}

/* Append bytes, one I/O block at a time (cancel is honoured between). */
void
object_put_write(ObjectPut *put, const char *data, size_t len)
{
	while (len > 0)
	{
		size_t		n = Min(len, (size_t) eoswath_io_block_size);

		CHECK_FOR_INTERRUPTS();
		if (put->gz)
			gzip_writer_write(put->gz, data, n);
		else
			put_copies(put, data, n);
		put->in_bytes += n;
		data += n;
		len -= n;
	}
}

int64
object_put_written(ObjectPut *put)
{
	return put->in_bytes;
}

/* Make every copy durable, then insert the catalog row; returns the id. */
WosOid
object_put_finish(ObjectPut *put)
{
	ObjectRecord *rec = put->rec;
	ListCell   *lc;
	int			i = 0;

	object_check_size(put->in_bytes);
	if (put->gz)
		gzip_writer_finish(put->gz);
	foreach(lc, put->sites)
	{
		StoreSite  *s = lfirst(lc);

		CHECK_FOR_INTERRUPTS();
		s->methods->finish_write(put->handles[i++]);
	}
	sha256_final(put->md, rec->sha256);
	if (put->block_fill > 0)
		put_end_block(put);
	rec->size = put->size;
	rec->block_size = put->block_size;
	rec->block_sha256 = put->blocks;
	Assert(put->nblocks == ObjectNumBlocks(rec));
	rec->nsites = list_length(put->sites);
	rec->sites = palloc(sizeof(int32) * rec->nsites);
	i = 0;
	foreach(lc, put->sites)
		rec->sites[i++] = ((StoreSite *) lfirst(lc))->id;

	if (put->reserved)
		catalog_mark_stored(rec);
	else
		catalog_insert(rec);
	rec->state = OBJECT_STORED;
	return rec->oid;
}

/* A new id with no data yet; its data comes once, with object_put_reserved(). */
WosOid
object_reserve(Policy *policy)
{
	ObjectRecord rec = {0};

	rec.oid = catalog_next_oid();
	rec.state = OBJECT_RESERVED;
	rec.policy = policy->name;
	rec.size = -1;
	rec.encoding = "identity";
	catalog_insert(&rec);
	return rec.oid;
}

/*
 * Delete an object: the row goes now (MVCC hides that until commit), the
 * copies after commit, so a rollback leaves the object whole.
 */
void
object_delete(WosOid oid)
{
	ObjectRecord *rec = catalog_fetch(oid, true);
	ListCell   *lc;

	object_lock(oid, false);
	foreach(lc, object_sites(rec))
		site_refuse_foreign((StoreSite *) lfirst(lc), "delete copies from");
	catalog_delete(oid);
	foreach(lc, object_sites(rec))
		xact_copy_deleted((StoreSite *) lfirst(lc), oid);
}
