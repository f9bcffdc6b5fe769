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
 *	6. every copy made durable (fsync, or the server's 200); a site that
 *	   ran out of space on the way (a full disk, an S3 quota) loses its
 *	   copy, and the next site in rendezvous order gets one made from a
 *	   finished copy instead;
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
	void	  **handles;		/* NULL: that site ran out of space */
	Sha256Ctx  *md;				/* the whole object */
	int32		block_size;		/* 0: no block checksums */
	Sha256Ctx  *block_md;		/* the current block */
	Sha256Pair *pair;			/* or both in one pass (then md, block_md NULL) */
	int64		block_fill;		/* bytes of the current block hashed */
	uint8	   *blocks;			/* the digests of the blocks done */
	int64		nblocks;
	int64		blocks_cap;		/* bytes allocated for blocks */
	const char *hash_data;		/* the bytes the hash jobs hash */
	size_t		hash_len;
	bool		hash_running;	/* the jobs run, not yet waited for */
	bool		whole_ok;		/* their results */
	bool		blocks_ok;
	char	   *hash_bufs[2];	/* hash_data is one; the next bytes go to the other */
	size_t		hash_caps[2];
	int			hash_next;		/* which one the next bytes go to */
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
 * Pick want sites for copies of oid: the policy's eligible enabled sites in
 * rendezvous order, leaving out those in exclude and skipping sites that
 * are not available now (marker missing, service down) or too full for size
 * bytes; the next one in rendezvous order takes the copy.  A chosen site
 * that another instance owns is an error, not skipped: this database must
 * not decide where another's objects go.  ran_full: sites (among exclude)
 * that ran out of space during this put, named if too few sites are left.
 */
static List *
choose_sites(WosOid oid, Policy *policy, int64 size, int want, List *exclude,
			 List *ran_full)
{
	List	   *candidates = NIL;
	List	   *chosen = NIL;
	StringInfoData down;
	ListCell   *lc;
	int			ncandidates;
	bool		only_full = true;

	initStringInfo(&down);
	foreach(lc, catalog_get_sites(true))
	{
		StoreSite  *s = lfirst(lc);

		if (!policy_allows(policy, s))
			continue;
		if (list_member_ptr(ran_full, s))
			appendStringInfo(&down, "%s\"%s\" (ran out of space during the put)",
							 down.len ? ", " : "", s->name);
		else if (!list_member_ptr(exclude, s))
			candidates = lappend(candidates, s);
	}
	ncandidates = list_length(candidates);
	sort_oid = oid;
	list_sort(candidates, score_cmp);

	foreach(lc, candidates)
	{
		StoreSite  *s = lfirst(lc);
		char	   *why = NULL;

		if (list_length(chosen) == want)
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

	if (list_length(chosen) < want)
	{
		int			have = list_length(chosen) + policy->copies - want;

		ereport(ERROR,
				(errcode(down.len > 0 && only_full ? ERRCODE_DISK_FULL :
						 ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("replication policy \"%s\" needs %d copies on distinct sites, but only %d %s available",
						policy->name, policy->copies, have,
						have == 1 ? "site is" : "sites are"),
				 down.len > 0 ?
				 errdetail("Not available: %s.", down.data) :
				 errdetail("The policy may use %d enabled %s.", ncandidates,
						   ncandidates == 1 ? "site" : "sites"),
				 errhint("Add sites with wos_site_add(), or put with a policy that asks for fewer copies.")));
	}
	return chosen;
}

/* the sites a policy places a copy of oid (size bytes, -1: unknown) on now */
List *
object_choose_sites(WosOid oid, Policy *policy, int64 size)
{
	return choose_sites(oid, policy, size, policy->copies, NIL, NIL);
}

/*
 * Copy i's site ran out of space: drop that copy now; object_put_finish()
 * makes it on another site from a finished copy.  With no copy left the
 * put cannot go on.
 */
static void
put_site_full(ObjectPut *put, int i)
{
	StoreSite  *s = list_nth(put->sites, i);

	s->methods->abort_write(put->handles[i]);
	put->handles[i] = NULL;
	ereport(LOG,
			(errmsg("eoswath site \"%s\" ran out of space during the put of object %s",
					s->name, wosoid_to_cstring(put->rec->oid))));
	for (int j = 0; j < list_length(put->sites); j++)
		if (put->handles[j] != NULL)
			return;
	ereport(ERROR,
			(errcode(ERRCODE_DISK_FULL),
			 errmsg("could not store object %s: every site chosen for it ran out of space",
					wosoid_to_cstring(put->rec->oid)),
			 errhint("Free space on the sites, add sites with wos_site_add(), or raise eoswath.site_min_free so that nearly full sites are skipped.")));
}

/*
 * The copies lost to full sites, made again on the next sites in rendezvous
 * order from a finished copy (read back and checked against the object's
 * hash).  Returns the sites that hold a copy now.
 */
static List *
put_replace_full(ObjectPut *put)
{
	List	   *kept = NIL;
	List	   *full = NIL;
	List	   *more;
	int			i = 0;
	ListCell   *lc;

	foreach(lc, put->sites)
	{
		if (put->handles[i++] != NULL)
			kept = lappend(kept, lfirst(lc));
		else
			full = lappend(full, lfirst(lc));
	}
	if (full == NIL)
		return kept;
	more = choose_sites(put->rec->oid, put->policy, put->size,
						list_length(full), put->sites, full);
	object_copy_between(put->rec, linitial(kept), more, true, "put");
	return list_concat(kept, more);
}

/* room in put->blocks for the digests of nmore further blocks */
static void
put_reserve_blocks(ObjectPut *put, int64 nmore)
{
	int64		need = (put->nblocks + nmore) * WOS_SHA256_LEN;
	int64		cap;

	if (need <= put->blocks_cap)
		return;
	cap = Max(Max(put->blocks_cap * 2, 64 * WOS_SHA256_LEN), need);
	if (cap > (int64) (MaxAllocSize - VARHDRSZ))
		cap = (MaxAllocSize - VARHDRSZ) / WOS_SHA256_LEN * WOS_SHA256_LEN;
	if (need > cap)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("object is too large for block checksums of %d bytes", put->block_size),
				 errdetail("Its block checksums would exceed 1 GB."),
				 errhint("Put it with a larger eoswath.block_size.")));
	put->blocks = put->blocks ? repalloc(put->blocks, cap) : palloc(cap);
	put->blocks_cap = cap;
}

/*
 * The hash jobs (object_hash.c): they may run on hash threads, so they make
 * OpenSSL calls only, on put->hash_data, into room reserved beforehand.
 */
static void
put_hash_whole(void *arg)
{
	ObjectPut  *put = arg;

	put->whole_ok = sha256_update_nothrow(put->md, put->hash_data, put->hash_len);
}

/* both digests in one pass: the block ends split the bytes */
static void
put_hash_pair(void *arg)
{
	ObjectPut  *put = arg;
	const uint8 *data = (const uint8 *) put->hash_data;
	size_t		len = put->hash_len;

	while (len > 0)
	{
		size_t		n = Min(len, (size_t) (put->block_size - put->block_fill));

		sha256_pair_update(put->pair, data, n);
		put->block_fill += n;
		data += n;
		len -= n;
		if (put->block_fill == put->block_size)
		{
			sha256_pair_next_block(put->pair, put->blocks + put->nblocks * WOS_SHA256_LEN);
			put->nblocks++;
			put->block_fill = 0;
		}
	}
	put->whole_ok = put->blocks_ok = true;
}

static void
put_hash_blocks(void *arg)
{
	ObjectPut  *put = arg;
	const char *data = put->hash_data;
	size_t		len = put->hash_len;
	bool		ok = true;

	while (ok && len > 0)
	{
		size_t		n = Min(len, (size_t) (put->block_size - put->block_fill));

		ok = sha256_update_nothrow(put->block_md, data, n);
		put->block_fill += n;
		data += n;
		len -= n;
		if (ok && put->block_fill == put->block_size)
		{
			ok = sha256_next_nothrow(put->block_md, put->blocks + put->nblocks * WOS_SHA256_LEN);
			put->nblocks++;
			put->block_fill = 0;
		}
	}
	put->blocks_ok = ok;
}

/* Wait for the hash jobs of the bytes before, if they run. */
static void
put_hash_wait(ObjectPut *put)
{
	if (hash_thread_finish(&put->hash_running) && (!put->whole_ok || !put->blocks_ok))
		elog(ERROR, "SHA-256 computation failed");
}

/*
 * Append stored bytes to every copy.  They are hashed, as a whole and block
 * by block, by the hash jobs from a copy of their own, and the jobs run on
 * while this thread writes the copies and then returns to receive the next
 * bytes: on a put that is hashing-bound (SHA-256 of both digests runs at
 * about 750 MB/s on one core of the benchmark VM) the receiving and the
 * writing no longer wait for it.  The jobs of the bytes before are waited
 * for here, before the next start and before anything they use changes,
 * and by hash_thread_guard()'s callback on the error paths.
 */
static void
put_copies(ObjectPut *put, const char *data, size_t len)
{
	int			b = put->hash_next;
	ListCell   *lc;
	int			i = 0;

	if (len == 0)
		return;
	if (put->hash_caps[b] < len)
	{
		if (put->hash_bufs[b])
			pfree(put->hash_bufs[b]);
		put->hash_bufs[b] = MemoryContextAlloc(GetMemoryChunkContext(put), len);
		put->hash_caps[b] = len;
	}
	memcpy(put->hash_bufs[b], data, len);

	foreach(lc, put->sites)
	{
		StoreSite  *s = lfirst(lc);

		if (put->handles[i] != NULL && !s->methods->write(put->handles[i], data, len))
			put_site_full(put, i);
		i++;
	}

	put_hash_wait(put);
	if (put->block_size > 0)
		put_reserve_blocks(put, (put->block_fill + len) / put->block_size);
	put->hash_data = put->hash_bufs[b];
	put->hash_len = len;
	put->blocks_ok = true;
	put->hash_running = true;
	hash_thread_run(put->pair ? put_hash_pair : put_hash_whole, put);
	if (put->block_size > 0 && put->pair == NULL)
		hash_thread_run(put_hash_blocks, put);
	put->hash_next = 1 - b;
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
	put->block_size = eoswath_block_size;
	if (sha256_pair_usable(put->block_size))
	{
		put->pair = palloc(sizeof(Sha256Pair));
		sha256_pair_init(put->pair);
	}
	else
	{
		put->md = sha256_begin();
		if (put->block_size > 0)
			put->block_md = sha256_begin();
	}
	hash_thread_guard(CurrentMemoryContext, &put->hash_running);
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
	List	   *sites;
	ListCell   *lc;
	int			i = 0;

	object_check_size(put->in_bytes);
	if (put->gz)
		gzip_writer_finish(put->gz);
	foreach(lc, put->sites)
	{
		StoreSite  *s = lfirst(lc);

		CHECK_FOR_INTERRUPTS();
		if (put->handles[i] != NULL && !s->methods->finish_write(put->handles[i]))
			put_site_full(put, i);
		i++;
	}
	put_hash_wait(put);			/* they ran on during the fsyncs */
	if (put->block_fill > 0)
		put_reserve_blocks(put, 1);	/* the last block, shorter */
	if (put->pair)
		sha256_pair_final(put->pair, rec->sha256,
						  put->block_fill > 0 ? put->blocks + put->nblocks * WOS_SHA256_LEN : NULL);
	else
	{
		sha256_final(put->md, rec->sha256);
		if (put->block_fill > 0)
			sha256_final(put->block_md, put->blocks + put->nblocks * WOS_SHA256_LEN);
	}
	if (put->block_fill > 0)
		put->nblocks++;
	rec->size = put->size;
	rec->block_size = put->block_size;
	rec->block_sha256 = put->blocks;
	Assert(put->nblocks == ObjectNumBlocks(rec));
	sites = put_replace_full(put);
	rec->nsites = list_length(sites);
	rec->sites = palloc(sizeof(int32) * rec->nsites);
	i = 0;
	foreach(lc, sites)
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
