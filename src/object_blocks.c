/*
 * object_blocks.c
 *		Block checksums: reading an object's blocks verified against their
 *		SHA-256 before any byte of them is used, switching to another copy at
 *		the block where one is corrupt or cannot be read; checking one copy
 *		block by block; and computing the block checksums of objects stored
 *		without them (by 0.1.0).
 *
 * An object put with eoswath.block_size > 0 has, beside the SHA-256 of all
 * its stored bytes, the SHA-256 of each block_size block of them
 * (eoswath.objects.block_sha256).  Both are computed in the put's single
 * pass over the bytes.  Reads of such an object verify whole blocks only:
 * every byte returned lies in a block whose digest matched, so the whole
 * checksum is not computed again.  Objects without block checksums are read
 * under the old rule (object_read.c) until object_blocks_fill() gives them
 * some.
 *
 * Reads in order take blocks through blocks_read_buffered(), which reads the
 * next block ahead from the same copy and verifies it on a hash thread
 * (object_hash.c) while the caller sends the current one.
 *
 * A read error (a copy that ends early, an I/O or network error) is caught
 * in a subtransaction around the block's read, so that the read can go on
 * from another copy; a cancel, a shutdown and a lack of resources are not
 * caught.
 */
#include "eoswath.h"

#include "access/xact.h"
#include "access/xlog.h"
#include "miscadmin.h"
#include "utils/memutils.h"

#include "object.h"
#include "xact.h"

/* block digests fetched from the catalog at a time (128 kB) */
#define DIGEST_WINDOW	4096

/* blocks_read_many() hashes a batch on the two hash threads and this one */
#define BATCH_BLOCKS	3

/* One copy a block reader may read. */
typedef struct BlockCopy
{
	StoreSite  *site;
	bool		opened;			/* was opened at least once */
	bool		dead;			/* missing, wrong size or unreadable */
	bool		bad;			/* found missing or corrupt: needs repair */
	int			unreachable;	/* dead because its site did not answer:
								 * the SQLSTATE (class 08), else 0 */
	char	   *why;			/* why it is dead */
} BlockCopy;

struct BlockReader
{
	ObjectRecord *rec;
	int			ncopies;
	BlockCopy  *copies;			/* in the order to try them */
	int			cur;			/* the copy open, -1: none */
	int			last;			/* the copy that served the last block */
	void	   *handle;
	int64		nblocks;
	uint8	   *digests;		/* digests of blocks [dig_first, +dig_count) */
	int64		dig_first;
	int64		dig_count;
	Sha256Ctx  *md;
	MemoryContext cxt;			/* the reader's: handles live here */
	/* blocks_read_buffered()'s two buffers and its read-ahead */
	char	   *bufs[2];
	int			shown;			/* the buffer returned last */
	int64		ahead;			/* the block read into the other one, -1: none */
	bool		ahead_running;	/* its hash job is not waited for yet */
	struct HashJob
	{
		Sha256Ctx  *md;
		const char *buf;
		size_t		len;
		bool		ok;
		uint8		digest[WOS_SHA256_LEN];
	}			job;			/* the hash thread's alone while ahead_running */
	/* blocks_read_many()'s jobs: one per block of a batch */
	struct HashJob batch[BATCH_BLOCKS];
};

/* The bytes in block k of rec (the last block is shorter). */
int64
object_block_length(ObjectRecord *rec, int64 k)
{
	int64		start = k * rec->block_size;

	return Min((int64) rec->block_size, rec->size - start);
}

/*
 * Errors a read must not swallow by moving to another copy: a cancel or
 * statement_timeout, a shutdown, a lack of memory or other resources.
 */
static bool
error_stops_read(int sqlerrcode)
{
	return ERRCODE_TO_CATEGORY(sqlerrcode) == ERRCODE_OPERATOR_INTERVENTION ||
		ERRCODE_TO_CATEGORY(sqlerrcode) == ERRCODE_INSUFFICIENT_RESOURCES ||
		ERRCODE_TO_CATEGORY(sqlerrcode) == ERRCODE_PROGRAM_LIMIT_EXCEEDED;
}

/*
 * A copy missing from the default site of a restored (or upgraded)
 * database may still be in the default site directory of the instance the
 * catalog came from: name both directories.  NULL if that is not the case.
 */
static char *
former_default_hint(ObjectRecord *rec)
{
	char	   *dir;
	char	   *owner;
	char	   *now_dir;

	for (int i = 0; i < rec->nsites; i++)
	{
		if (rec->sites[i] != 1)
			continue;
		if (!catalog_former_default_site(&dir, &owner, &now_dir))
			return NULL;
		return psprintf("This catalog came from %s, whose default site was \"%s\". "
						"Copy what that directory holds, except its marker file .eoswath-site, into \"%s\", then run wos_verify().",
						owner, dir, now_dir);
	}
	return NULL;
}

/* No copy could serve the object (block -1) or its block k: the error. */
void
object_no_intact_copy(ObjectRecord *rec, int64 block)
{
	char	   *hint;

	if (RecoveryInProgress())
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("no copy of object %s is reachable from this standby", wosoid_to_cstring(rec->oid)),
				 errdetail("Its %d recorded copies are missing or unreadable here.", rec->nsites),
				 errhint("A standby reads copies on sites both servers reach (a shared directory, S3); sites inside the primary's data directory, such as the default site, hold here only what the base backup copied.")));
	hint = former_default_hint(rec);
	if (hint == NULL)
		hint = "Check the sites' disks, then run wos_verify() on the object.";
	if (block < 0)
		ereport(ERROR,
				(errcode(ERRCODE_DATA_CORRUPTED),
				 errmsg("no intact copy of object %s is available", wosoid_to_cstring(rec->oid)),
				 errdetail("All %d recorded copies are missing, unreadable or corrupt.", rec->nsites),
				 errhint("%s", hint)));
	ereport(ERROR,
			(errcode(ERRCODE_DATA_CORRUPTED),
			 errmsg("no intact copy of object %s is available", wosoid_to_cstring(rec->oid)),
			 errdetail("Block %lld (bytes %lld to %lld) is missing, unreadable or corrupt in all %d recorded copies.",
					   (long long) block, (long long) (block * rec->block_size),
					   (long long) (block * rec->block_size + object_block_length(rec, block) - 1),
					   rec->nsites),
			 errhint("%s", hint)));
}

/* The digest of block k: from the put's own list, or a window of the catalog's. */
static const uint8 *
block_digest(ObjectRecord *rec, int64 k, uint8 **window, int64 *first, int64 *count)
{
	if (rec->block_sha256 != NULL)
		return rec->block_sha256 + k * WOS_SHA256_LEN;
	if (*window == NULL || k < *first || k >= *first + *count)
	{
		int64		nblocks = ObjectNumBlocks(rec);

		Assert(*window != NULL);
		*first = k;
		*count = Min((int64) DIGEST_WINDOW, nblocks - k);
		catalog_block_sha256(rec, *first, *count, *window);
	}
	return *window + (k - *first) * WOS_SHA256_LEN;
}

/* ---- one block from one copy, errors caught ---- */

typedef struct BlockIo
{
	BlockReader *br;
	BlockCopy  *copy;
	int64		offset;
	char	   *buf;
	size_t		len;
	char	   *why;			/* set: the copy failed, and why */
	int			sqlerrcode;		/* the error that failed it, if one did */
} BlockIo;

/* open io->copy (it becomes br->handle) */
static void
io_open(void *arg)
{
	BlockIo    *io = arg;
	StoreSite  *s = io->copy->site;
	int64		size = -1;
	MemoryContext old = MemoryContextSwitchTo(io->br->cxt);
	void	   *h = s->methods->open_read(s, io->br->rec->oid, &size);

	MemoryContextSwitchTo(old);
	if (h == NULL)
	{
		io->why = "missing";
		return;
	}
	if (size != io->br->rec->size)
	{
		s->methods->close_read(h);
		io->why = psprintf("of the wrong size (%lld bytes, not %lld)",
						   (long long) size, (long long) io->br->rec->size);
		return;
	}
	io->br->handle = h;
}

/* read io->len bytes at io->offset from the open copy */
static void
io_read(void *arg)
{
	BlockIo    *io = arg;
	StoreSite  *s = io->copy->site;
	size_t		done = 0;

	while (done < io->len)
	{
		size_t		n;

		CHECK_FOR_INTERRUPTS();
		n = s->methods->read(io->br->handle, io->buf + done,
							 Min(io->len - done, (size_t) eoswath_io_block_size),
							 io->offset + done);
		if (n == 0)
		{
			io->why = psprintf("ended early, at byte %lld", (long long) (io->offset + done));
			return;
		}
		done += n;
	}
}

/*
 * Run fn in a subtransaction: an error becomes io->why (the copy is then
 * not to be used) unless it must stop the read.
 */
static void
guarded(void (*fn) (void *), BlockIo *io)
{
	ErrorData  *edata = xact_try(fn, io);

	if (edata == NULL)
		return;
	if (error_stops_read(edata->sqlerrcode))
		ReThrowError(edata);
	io->why = psprintf("unreadable: %s", edata->message);
	io->sqlerrcode = edata->sqlerrcode;
	FreeErrorData(edata);
}

/* ---- the block reader ---- */

/*
 * A reader of rec's blocks from the copies on 'sources', tried in that
 * order.  Everything lives in the current memory context.
 */
BlockReader *
blocks_open(ObjectRecord *rec, List *sources)
{
	BlockReader *br = palloc0(sizeof(BlockReader));
	ListCell   *lc;

	Assert(rec->block_size > 0);
	br->rec = rec;
	br->nblocks = ObjectNumBlocks(rec);
	br->copies = palloc0(sizeof(BlockCopy) * Max(list_length(sources), 1));
	foreach(lc, sources)
		br->copies[br->ncopies++].site = lfirst(lc);
	br->cur = -1;
	br->ahead = -1;
	br->cxt = CurrentMemoryContext;
	br->md = sha256_begin();
	/* reads may run in a shorter-lived context (a stream's per-call one) */
	if (rec->block_sha256 == NULL)
		br->digests = palloc(Min(br->nblocks, DIGEST_WINDOW) * WOS_SHA256_LEN);
	return br;
}

static void
close_current(BlockReader *br)
{
	if (br->handle != NULL)
	{
		void	   *h = br->handle;

		br->handle = NULL;
		br->copies[br->cur].site->methods->close_read(h);
	}
	br->cur = -1;
}

/*
 * The copy i failed (io->why): never read it again.  It needs repair,
 * unless its site did not answer (a service down is not a bad copy).
 */
static void
copy_failed(BlockReader *br, int i, BlockIo *io)
{
	BlockCopy  *c = &br->copies[i];

	ereport(LOG,
			(errmsg("eoswath object %s: copy on site \"%s\" is %s",
					wosoid_to_cstring(br->rec->oid), c->site->name, io->why)));
	/* opened in a subtransaction that committed: still ours to close */
	if (br->cur == i)
		close_current(br);
	c->dead = true;
	c->why = MemoryContextStrdup(br->cxt, io->why);
	if (io->sqlerrcode != 0 &&
		ERRCODE_TO_CATEGORY(io->sqlerrcode) == ERRCODE_CONNECTION_EXCEPTION)
		c->unreachable = io->sqlerrcode;
	else
		c->bad = true;
}

/*
 * No copy served block k.  When every copy failed because its site did not
 * answer, that is the error (its SQLSTATE, class 08), not corruption: the
 * read can be retried once the service is back.
 */
static void
no_block(BlockReader *br, int64 k)
{
	int			code = 0;
	const char *why = NULL;

	for (int i = 0; i < br->ncopies; i++)
	{
		BlockCopy  *c = &br->copies[i];

		if (!c->dead || c->unreachable == 0)
			object_no_intact_copy(br->rec, k);
		code = c->unreachable;
		why = c->why;
	}
	if (code == 0)
		object_no_intact_copy(br->rec, k);
	ereport(ERROR,
			(errcode(code),
			 errmsg("no copy of object %s is reachable", wosoid_to_cstring(br->rec->oid)),
			 errdetail("Block %lld could not be read from any of the %d copies; the last was %s.",
					   (long long) k, br->ncopies, why),
			 errhint("Check that the sites' services are up, then retry.")));
}

/*
 * Read block k into buf (object_block_length() bytes, returned), verified
 * against its digest.  The copy read last is tried first; when it is
 * corrupt in this block or cannot be read, the others are tried in turn,
 * and the first good one goes on serving the blocks after.  No intact copy
 * of the block: an error (XX001), never unverified bytes.
 */
size_t
blocks_read(BlockReader *br, int64 k, char *buf)
{
	ObjectRecord *rec = br->rec;
	size_t		len = object_block_length(rec, k);
	const uint8 *want;
	int			start = br->cur >= 0 ? br->cur : br->last;

	Assert(k >= 0 && k < br->nblocks);
	want = block_digest(rec, k, &br->digests, &br->dig_first, &br->dig_count);
	for (int t = 0; t < br->ncopies; t++)
	{
		int			i = (start + t) % br->ncopies;
		BlockCopy  *c = &br->copies[i];
		BlockIo		io = {br, c, k * rec->block_size, buf, len, NULL, 0};
		uint8		got[WOS_SHA256_LEN];

		if (c->dead)
			continue;
		if (br->cur != i)
		{
			close_current(br);
			c->opened = true;
			guarded(io_open, &io);
			if (io.why != NULL)
			{
				copy_failed(br, i, &io);
				continue;
			}
			br->cur = i;
		}
		guarded(io_read, &io);
		if (io.why != NULL)
		{
			copy_failed(br, i, &io);
			continue;
		}
		sha256_restart(br->md);
		sha256_update(br->md, buf, len);
		sha256_final(br->md, got);
		if (memcmp(got, want, WOS_SHA256_LEN) == 0)
		{
			br->last = i;
			return len;
		}
		ereport(LOG,
				(errmsg("eoswath object %s: checksum mismatch in block %lld of the copy on site \"%s\"",
						wosoid_to_cstring(rec->oid), (long long) k, c->site->name)));
		/* other blocks of this copy may still serve */
		c->bad = true;
	}
	close_current(br);
	no_block(br, k);
	return 0;					/* keep compiler quiet */
}

/* ---- reads in order: the next block verified on a hash thread ---- */

/* a hash thread's job: the digest of one block */
static void
hash_job(void *arg)
{
	struct HashJob *job = arg;

	job->ok = sha256_update_nothrow(job->md, job->buf, job->len) &&
		sha256_next_nothrow(job->md, job->digest);
}

/*
 * Read block k from the open copy into buf and hand its hash to a hash
 * thread (or run it here when none is free); false if no copy is open or
 * the read failed (blocks_read() then reads it the usual way, and deals
 * with the copy).
 */
static bool
read_and_hash(BlockReader *br, int64 k, char *buf, struct HashJob *job)
{
	BlockIo		io = {br, NULL, k * br->rec->block_size, buf,
	object_block_length(br->rec, k), NULL, 0};

	if (br->cur < 0)
		return false;
	io.copy = &br->copies[br->cur];
	guarded(io_read, &io);
	if (io.why != NULL)
		return false;
	job->buf = buf;
	job->len = io.len;
	job->ok = false;
	hash_thread_run(hash_job, job);
	return true;
}

/* Wait for the read-ahead's hash job, if one runs. */
static void
ahead_wait(BlockReader *br)
{
	if (hash_thread_finish(&br->ahead_running) && !br->job.ok)
	{
		br->ahead = -1;
		sha256_restart(br->job.md);
	}
}

/*
 * Block k, verified, in a buffer of the reader's that stays valid until the
 * next call.  With read_ahead (reads in order) and eoswath.hash_thread on,
 * block k + 1 is then read from the same copy and hashed on a hash thread
 * while the caller uses block k: a stream sends block k while block k + 1
 * is verified.  The block read ahead is used only if its digest matches;
 * otherwise it is read again by blocks_read(), which moves to another copy.
 */
const char *
blocks_read_buffered(BlockReader *br, int64 k, bool read_ahead_next)
{
	ObjectRecord *rec = br->rec;

	if (br->bufs[0] == NULL)
	{
		MemoryContext old = MemoryContextSwitchTo(br->cxt);

		br->bufs[0] = palloc(rec->block_size);
		br->bufs[1] = palloc(rec->block_size);
		br->job.md = sha256_begin();
		/* the read-ahead's job may outlive the call, not the reader */
		hash_thread_guard(br->cxt, &br->ahead_running);
		MemoryContextSwitchTo(old);
	}
	ahead_wait(br);
	if (br->ahead == k &&
		memcmp(br->job.digest,
			   block_digest(rec, k, &br->digests, &br->dig_first, &br->dig_count),
			   WOS_SHA256_LEN) == 0)
		br->shown = 1 - br->shown;
	else
		(void) blocks_read(br, k, br->bufs[br->shown]);
	br->ahead = -1;
	/* block k + 1 from the copy that served block k */
	if (read_ahead_next && eoswath_hash_thread && k + 1 < br->nblocks &&
		read_and_hash(br, k + 1, br->bufs[1 - br->shown], &br->job))
	{
		br->ahead = k + 1;
		br->ahead_running = true;
	}
	return br->bufs[br->shown];
}

/* ---- whole blocks in a row: verified on the hash threads and this one ---- */

/* Read blocks k0 .. k0 + n - 1 into buf and hand out their hashes; sent[j]: block k0 + j was. */
static void
batch_send(BlockReader *br, int64 k0, int n, char *buf, bool *sent)
{
	for (int j = 0; j < n; j++)
		sent[j] = read_and_hash(br, k0 + j, buf + (size_t) j * br->rec->block_size,
								&br->batch[j]);
}

/* batch_send(), then wait for the hashes: the threads read buf, so on every path */
static void
batch_run(BlockReader *br, int64 k0, int n, char *buf, bool *sent)
{
	PG_TRY();
	{
		batch_send(br, k0, n, buf, sent);
	}
	PG_CATCH();
	{
		hash_thread_wait();
		PG_RE_THROW();
	}
	PG_END_TRY();
	hash_thread_wait();
}

/*
 * Blocks first .. first + count - 1, whole, into buf, each verified.  They
 * are read in batches of BATCH_BLOCKS from the copy in use, and hashed on
 * the hash threads and the backend's thread at once (a whole wos_get of a
 * large object is otherwise one SHA-256 pass in series with the read).  A
 * block that failed to read or to match is then read again by
 * blocks_read(), which moves to another copy.
 */
void
blocks_read_many(BlockReader *br, int64 first, int64 count, char *buf)
{
	ObjectRecord *rec = br->rec;

	if (br->batch[0].md == NULL)
	{
		MemoryContext old = MemoryContextSwitchTo(br->cxt);

		for (int j = 0; j < BATCH_BLOCKS; j++)
			br->batch[j].md = sha256_begin();
		MemoryContextSwitchTo(old);
	}
	if (br->cur < 0 && count > 0)
	{
		/* the first block the usual way: it opens a copy */
		(void) blocks_read(br, first, buf);
		first++;
		buf += rec->block_size;
		count--;
	}
	for (int64 k0 = first; k0 < first + count; k0 += BATCH_BLOCKS)
	{
		int			n = (int) Min((int64) BATCH_BLOCKS, first + count - k0);
		bool		sent[BATCH_BLOCKS] = {false};

		batch_run(br, k0, n, buf + (k0 - first) * rec->block_size, sent);
		for (int j = 0; j < n; j++)
		{
			int64		k = k0 + j;
			struct HashJob *job = &br->batch[j];

			if (sent[j] && !job->ok)
				sha256_restart(job->md);
			if (!sent[j] || !job->ok ||
				memcmp(job->digest,
					   block_digest(rec, k, &br->digests, &br->dig_first, &br->dig_count),
					   WOS_SHA256_LEN) != 0)
				(void) blocks_read(br, k, buf + (k - first) * rec->block_size);
			else
				br->last = br->cur;
		}
	}
}

/* The copy that served the last block read, or NULL. */
StoreSite *
blocks_site(BlockReader *br)
{
	return br->cur >= 0 ? br->copies[br->cur].site : NULL;
}

/*
 * Close the reader.  Returns the copies found missing or corrupt, plus, if
 * check_unread (a whole read), those never opened that are missing or of
 * the wrong size (a cheap check: no data is read), for the caller to repair.
 */
List *
blocks_close(BlockReader *br, bool check_unread)
{
	List	   *bad = NIL;
	List	   *unread = NIL;

	ahead_wait(br);
	close_current(br);
	for (int i = 0; i < br->ncopies; i++)
	{
		if (br->copies[i].bad)
			bad = lappend(bad, br->copies[i].site);
		else if (!br->copies[i].opened && check_unread)
			unread = lappend(unread, br->copies[i].site);
	}
	return object_check_rest(br->rec, unread, bad);
}

/* ---- one copy, block by block ---- */

/*
 * Check the copy of rec on site s against its block checksums, reading it
 * once in I/O blocks.  The first corrupt block is logged.
 */
CopyStatus
object_check_copy_blocks(ObjectRecord *rec, StoreSite *s)
{
	int64		size = rec->size;
	void	   *h;
	char	   *buf;
	Sha256Ctx  *md;
	uint8		got[WOS_SHA256_LEN];
	uint8	   *window;
	int64		first = 0,
				count = 0;
	int64		pos = 0;
	int64		k = 0;
	MemoryContext cxt,
				old;
	CopyStatus	result = COPY_OK;

	Assert(rec->block_size > 0);
	result = object_open_copy(rec, s, &h);
	if (result != COPY_OK)
		return result;
	cxt = AllocSetContextCreate(CurrentMemoryContext, "eoswath check", ALLOCSET_DEFAULT_SIZES);
	old = MemoryContextSwitchTo(cxt);
	buf = eoswath_alloc_big(CurrentMemoryContext, eoswath_io_block_size);
	window = palloc(DIGEST_WINDOW * WOS_SHA256_LEN);
	md = sha256_begin();
	while (pos < size && result == COPY_OK)
	{
		int64		block_end = k * rec->block_size + object_block_length(rec, k);
		size_t		n;

		CHECK_FOR_INTERRUPTS();
		n = s->methods->read(h, buf, Min((int64) eoswath_io_block_size, block_end - pos), pos);
		if (n == 0)
		{
			result = COPY_BAD_SIZE;
			break;
		}
		sha256_update(md, buf, n);
		pos += n;
		if (pos == block_end)
		{
			sha256_final(md, got);
			if (memcmp(got, block_digest(rec, k, &window, &first, &count), WOS_SHA256_LEN) != 0)
			{
				ereport(LOG,
						(errmsg("eoswath object %s: checksum mismatch in block %lld of the copy on site \"%s\"",
								wosoid_to_cstring(rec->oid), (long long) k, s->name)));
				result = COPY_BAD_CHECKSUM;
			}
			sha256_restart(md);
			k++;
		}
	}
	s->methods->close_read(h);
	MemoryContextSwitchTo(old);
	MemoryContextDelete(cxt);
	return result;
}

/* ---- objects stored without block checksums ---- */

/*
 * Check the copy of rec on site s and, for an object stored without block
 * checksums (by 0.1.0, or with eoswath.block_size = 0), give it some: the
 * copy is read once, hashed whole and per block of eoswath.block_size; if
 * the whole digest matches the object's checksum, the block digests are
 * stored in the catalog and in rec (so later checks of the other copies
 * use them).  Returns the copy's status.  Nothing is stored in a read-only
 * transaction, on a standby, or with eoswath.block_size = 0; an object that
 * has block checksums is only checked.  The scrub calls this on the first
 * copy of such an object it reads.
 */
CopyStatus
object_blocks_fill(ObjectRecord *rec, StoreSite *s)
{
	int32		bs = eoswath_block_size;
	int64		size = rec->size;
	int64		nblocks;
	CopyStatus	st;
	void	   *h;
	char	   *buf;
	uint8	   *digests;
	Sha256Ctx  *md;
	Sha256Ctx  *block_md;
	uint8		whole[WOS_SHA256_LEN];
	int64		pos = 0;
	int64		k = 0;
	MemoryContext cxt,
				old;

	if (rec->block_size > 0)
		return object_check_copy_blocks(rec, s);
	if (bs == 0 || RecoveryInProgress() || XactReadOnly)
		return object_check_copy(rec, s);
	nblocks = (rec->size + bs - 1) / bs;
	if (nblocks * WOS_SHA256_LEN > (int64) (MaxAllocSize - VARHDRSZ))
		return object_check_copy(rec, s);	/* too many: keep the old rule */

	st = object_open_copy(rec, s, &h);
	if (st != COPY_OK)
		return st;
	/* the digests outlive the check: they go into rec */
	digests = palloc(nblocks * WOS_SHA256_LEN);
	cxt = AllocSetContextCreate(CurrentMemoryContext, "eoswath block fill", ALLOCSET_DEFAULT_SIZES);
	old = MemoryContextSwitchTo(cxt);
	buf = eoswath_alloc_big(CurrentMemoryContext, eoswath_io_block_size);
	md = sha256_begin();
	block_md = sha256_begin();
	while (pos < size)
	{
		int64		block_end = Min((k + 1) * bs, size);
		size_t		n;

		CHECK_FOR_INTERRUPTS();
		n = s->methods->read(h, buf, Min((int64) eoswath_io_block_size, block_end - pos), pos);
		if (n == 0)
			break;
		sha256_update(md, buf, n);
		sha256_update(block_md, buf, n);
		pos += n;
		if (pos == block_end)
		{
			sha256_final(block_md, digests + k * WOS_SHA256_LEN);
			sha256_restart(block_md);
			k++;
		}
	}
	s->methods->close_read(h);
	MemoryContextSwitchTo(old);
	if (pos != size)
	{
		MemoryContextDelete(cxt);
		return COPY_BAD_SIZE;
	}
	sha256_final(md, whole);
	MemoryContextDelete(cxt);
	if (memcmp(whole, rec->sha256, WOS_SHA256_LEN) != 0)
		return COPY_BAD_CHECKSUM;
	if (catalog_set_block_sha256(rec, bs, digests))
	{
		rec->block_size = bs;
		rec->block_sha256 = digests;
		ereport(DEBUG1,
				(errmsg("eoswath object %s: block checksums computed from the copy on site \"%s\"",
						wosoid_to_cstring(rec->oid), s->name)));
	}
	return COPY_OK;
}
