/*
 * object_read.c
 *		Reading objects from their copies.
 *
 * A read takes the cheapest copy whose size is right.
 *
 * Objects with block checksums (object_blocks.c) are read in whole blocks,
 * each verified before any byte of it is returned or used: whole reads,
 * byte ranges and reads in order alike.  At a block that is corrupt or
 * cannot be read, the read goes on from another copy; a block no copy
 * holds intact is an error (XX001), never wrong bytes.  After the read, the
 * copies found bad are repaired from good ones (a stream abandoned before
 * its end leaves them to wos_verify()).
 *
 * A read in order (a stream) takes its blocks from the block reader's
 * buffer, which verifies the next block on a hash thread while the caller
 * sends this one (blocks_read_buffered()); whole blocks of ranges and
 * whole reads are hashed a few at a time, on the hash threads and the
 * backend's (blocks_read_many()).
 *
 * Objects without them (stored by 0.1.0) keep the old rule until the scrub
 * or wos_verify() gives them block checksums: a whole read checks the hash
 * at the end and falls back to another copy if it does not match; a read
 * in order hashes as it goes and checks at the end, where a mismatch is an
 * error (the bytes already returned cannot be taken back); ranges are not
 * verified.
 */
#include "eoswath.h"

#include "access/xlog.h"
#include "miscadmin.h"
#include "utils/memutils.h"

#include "gzip.h"
#include "object.h"

struct ObjectReader
{
	ObjectRecord *rec;
	/* an object with block checksums */
	BlockReader *br;
	const char *block;			/* the block of the last read of part of one */
	int64		blockno;		/* the block in 'block', -1: none */
	/* an object without: one copy, hashed whole if verify */
	List	   *order;			/* copies to try, cheapest first */
	List	   *bad;			/* copies found missing or wrong */
	StoreSite  *site;			/* the copy being read */
	void	   *handle;
	bool		verify;
	Sha256Ctx  *md;
	int64		pos;
};

struct ObjectStream
{
	ObjectRecord *rec;
	ObjectReader *r;
	GzipReader *gz;
	int64		raw_pos;		/* stored bytes read so far */
	bool		closed;			/* reader closed (at the end, or early) */
};

/* Raise the right error unless the object holds data. */
void
object_require_stored(ObjectRecord *rec)
{
	if (rec->state != OBJECT_STORED)
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("object %s is reserved but holds no data yet", wosoid_to_cstring(rec->oid)),
				 errhint("Store its data with wos_putoid().")));
}

static int
cost_cmp(const ListCell *a, const ListCell *b)
{
	return ((StoreSite *) lfirst(a))->cost - ((StoreSite *) lfirst(b))->cost;
}

/* The sites of an object's copies, cheapest first (a vanished site: skipped). */
List *
object_sites(ObjectRecord *rec)
{
	List	   *all = catalog_get_sites(false);
	List	   *result = NIL;

	for (int i = 0; i < rec->nsites; i++)
	{
		ListCell   *lc;

		foreach(lc, all)
		{
			StoreSite  *s = lfirst(lc);

			if (s->id == rec->sites[i])
				result = lappend(result, s);
		}
	}
	list_sort(result, cost_cmp);
	return result;
}

/* Open the next copy in r->order whose size is right; false if none is left. */
static bool
reader_next_copy(ObjectReader *r)
{
	while (r->order != NIL)
	{
		StoreSite  *s = linitial(r->order);
		int64		size = -1;
		void	   *h;

		r->order = list_delete_first(r->order);
		h = s->methods->open_read(s, r->rec->oid, &size);
		if (h != NULL && size == r->rec->size)
		{
			r->site = s;
			r->handle = h;
			r->pos = 0;
			if (r->verify)
				sha256_restart(r->md);
			return true;
		}
		if (h != NULL)
			s->methods->close_read(h);
		ereport(LOG,
				(errmsg("eoswath object %s: copy on site \"%s\" is %s",
						wosoid_to_cstring(r->rec->oid), s->name,
						h ? "of the wrong size" : "missing")));
		r->bad = lappend(r->bad, s);
	}
	return false;
}

/*
 * Open an object for reading.  With block checksums every read is verified;
 * without, verify asks for the whole hash of reads in order.
 */
ObjectReader *
object_open(ObjectRecord *rec, bool verify)
{
	ObjectReader *r = palloc0(sizeof(ObjectReader));

	object_require_stored(rec);
	r->rec = rec;
	r->verify = verify;
	if (rec->block_size > 0)
	{
		r->br = blocks_open(rec, object_sites(rec));
		r->blockno = -1;
		return r;
	}
	r->order = object_sites(rec);
	if (verify)
		r->md = sha256_begin();
	if (!reader_next_copy(r))
		object_no_intact_copy(rec, -1);
	return r;
}

/*
 * len bytes at offset from verified blocks.  in_order: the next read will
 * most likely go on from here, so the block after is verified meanwhile.
 */
static void
pread_blocks(ObjectReader *r, char *buf, size_t len, int64 offset, bool in_order)
{
	ObjectRecord *rec = r->rec;
	size_t		done = 0;

	while (done < len)
	{
		int64		pos = offset + done;
		int64		k = pos / rec->block_size;
		size_t		in = pos - k * rec->block_size;
		size_t		blen = object_block_length(rec, k);
		size_t		n = Min(blen - in, len - done);

		if (in == 0 && n == blen)
		{
			/* whole blocks: as many as follow in the range */
			int64		count = 0;
			size_t		bytes = 0;

			while (bytes < len - done &&
				   object_block_length(rec, k + count) <= len - done - bytes)
				bytes += object_block_length(rec, k + count++);
			blocks_read_many(r->br, k, count, buf + done);
			n = bytes;
		}
		else
		{
			if (r->blockno != k)
			{
				r->blockno = -1;
				r->block = blocks_read_buffered(r->br, k, in_order);
				r->blockno = k;
			}
			memcpy(buf + done, r->block + in, n);
		}
		done += n;
	}
}

/* a byte range, clipped to the object; in_order: see pread_blocks() */
static size_t
reader_pread(ObjectReader *r, char *buf, size_t len, int64 offset, bool in_order)
{
	if (offset >= r->rec->size)
		return 0;
	len = Min((int64) len, r->rec->size - offset);
	if (r->br != NULL)
	{
		pread_blocks(r, buf, len, offset, in_order);
		return len;
	}
	return r->site->methods->read(r->handle, buf, len, offset);
}

/*
 * Read a byte range: with block checksums, only from blocks verified whole;
 * without (0.1.0 objects), unverified.
 */
size_t
object_pread(ObjectReader *r, char *buf, size_t len, int64 offset)
{
	return reader_pread(r, buf, len, offset, false);
}

/*
 * Read the next bytes in order.  At the end of a verified read the hash must
 * match: otherwise the data already returned cannot be trusted, so this is
 * an error (whole-object reads retry another copy instead, see below).
 */
size_t
object_read(ObjectReader *r, char *buf, size_t len)
{
	size_t		n = reader_pread(r, buf, len, r->pos, true);

	if (n == 0 && r->pos < r->rec->size)
		ereport(ERROR,
				(errcode(ERRCODE_DATA_CORRUPTED),
				 errmsg("copy of object %s on site \"%s\" ended early",
						wosoid_to_cstring(r->rec->oid), r->site->name)));
	r->pos += n;
	if (r->verify && r->br == NULL)
	{
		sha256_update(r->md, buf, n);
		if (r->pos == r->rec->size)
		{
			uint8		digest[WOS_SHA256_LEN];

			sha256_final(r->md, digest);
			if (memcmp(digest, r->rec->sha256, WOS_SHA256_LEN) != 0)
				ereport(ERROR,
						(errcode(ERRCODE_DATA_CORRUPTED),
						 errmsg("checksum mismatch in copy of object %s on site \"%s\"",
								wosoid_to_cstring(r->rec->oid), r->site->name),
						 errhint("Run wos_verify() on the object to repair the copy from a good one, then read again.")));
		}
	}
	return n;
}

/*
 * Close the reader.  repair: rewrite the copies found bad (with block
 * checksums: in any read; without: after a verified read to the end).
 */
static void
reader_close(ObjectReader *r, bool repair)
{
	if (r->br != NULL)
	{
		StoreSite  *good = blocks_site(r->br);
		/* a whole read (verify) checks the copies it did not open too */
		List	   *bad = blocks_close(r->br, r->verify && repair);

		r->br = NULL;
		if (bad == NIL)
			return;
		if (repair && good != NULL)
			(void) object_repair(r->rec, good, bad);
		else
			ereport(LOG,
					(errmsg("eoswath object %s: %d bad copies left for wos_verify()",
							wosoid_to_cstring(r->rec->oid), list_length(bad))));
		return;
	}
	if (r->handle)
		r->site->methods->close_read(r->handle);
	r->handle = NULL;
	if (repair && r->verify && r->pos == r->rec->size)
	{
		r->bad = object_check_rest(r->rec, r->order, r->bad);
		if (r->bad != NIL)
			(void) object_repair(r->rec, r->site, r->bad);
	}
}

/* Close the reader, repairing the copies the read found bad. */
void
object_close(ObjectReader *r)
{
	reader_close(r, true);
}

/* Read one whole copy into buf and check size and hash. */
static CopyStatus
read_copy(ObjectRecord *rec, StoreSite *s, char *buf)
{
	int64		size = -1;
	void	   *h = s->methods->open_read(s, rec->oid, &size);
	Sha256Ctx  *md;
	uint8		digest[WOS_SHA256_LEN];
	int64		pos = 0;

	if (h == NULL)
		return COPY_MISSING;
	if (size != rec->size)
	{
		s->methods->close_read(h);
		return COPY_BAD_SIZE;
	}
	md = sha256_begin();
	while (pos < size)
	{
		size_t		want = Min((int64) eoswath_io_block_size, size - pos);
		size_t		n;

		CHECK_FOR_INTERRUPTS();
		n = s->methods->read(h, buf + pos, want, pos);
		if (n == 0)
			break;
		sha256_update(md, buf + pos, n);
		pos += n;
	}
	s->methods->close_read(h);
	if (pos != size)
		return COPY_BAD_SIZE;
	sha256_final(md, digest);
	return memcmp(digest, rec->sha256, WOS_SHA256_LEN) == 0 ? COPY_OK : COPY_BAD_CHECKSUM;
}

/* The whole object as bytea, from the first intact copy; repairs the others. */
bytea *
object_read_all(ObjectRecord *rec)
{
	List	   *order;
	List	   *bad = NIL;
	ListCell   *lc;
	bytea	   *result;

	object_require_stored(rec);
	if (rec->size > (int64) (MaxAllocSize - VARHDRSZ))
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("object %s is too large for a bytea (%lld bytes)",
						wosoid_to_cstring(rec->oid), (long long) rec->size),
				 errhint("Read it in parts with wos_get(oid, offset, length) or wos_stream_get().")));
	result = eoswath_alloc_big(CurrentMemoryContext, VARHDRSZ + rec->size);
	SET_VARSIZE(result, VARHDRSZ + rec->size);

	if (rec->block_size > 0)
	{
		ObjectReader *r = object_open(rec, true);

		pread_blocks(r, VARDATA(result), rec->size, 0, false);
		object_close(r);
		return result;
	}

	order = object_sites(rec);
	foreach(lc, order)
	{
		StoreSite  *s = lfirst(lc);
		CopyStatus	st = read_copy(rec, s, VARDATA(result));

		if (st == COPY_OK)
		{
			bad = object_check_rest(rec, list_copy_tail(order, foreach_current_index(lc) + 1), bad);
			if (bad != NIL)
				(void) object_repair(rec, s, bad);
			return result;
		}
		ereport(LOG,
				(errmsg("eoswath object %s: copy on site \"%s\": %s",
						wosoid_to_cstring(rec->oid), s->name, copy_status_name(st))));
		bad = lappend(bad, s);
	}
	object_no_intact_copy(rec, -1);
	return NULL;				/* keep compiler quiet */
}

/* ---- reading in order ---- */

/* Read stored bytes in order; closes the reader (checksum checked) at the end. */
static size_t
stream_raw_read(ObjectStream *os, char *buf, size_t len)
{
	size_t		done = 0;

	while (done < len && !os->closed)
	{
		size_t		n;

		CHECK_FOR_INTERRUPTS();
		n = object_read(os->r, buf + done, Min(len - done, (size_t) eoswath_io_block_size));
		os->raw_pos += n;
		done += n;
		if (os->raw_pos >= os->rec->size)
		{
			/* every block or the whole checksum is verified: repair if needed */
			os->closed = true;
			reader_close(os->r, true);
		}
	}
	return done;
}

/* the gzip reader's source */
static size_t
stream_source(void *arg, char *buf, size_t len)
{
	return stream_raw_read((ObjectStream *) arg, buf, len);
}

/*
 * Open an object for reading in order, optionally inflating gzip.
 * Everything lives in the current memory context.
 */
ObjectStream *
object_stream_open(ObjectRecord *rec, bool decompress)
{
	ObjectStream *os = palloc0(sizeof(ObjectStream));

	os->rec = rec;
	os->r = object_open(rec, true);
	if (decompress)
		os->gz = gzip_reader_begin(stream_source, os,
								   psprintf("object %s", wosoid_to_cstring(rec->oid)));
	return os;
}

/*
 * Fill buf with the next len bytes (inflated if asked); fewer only at the
 * end.  The end is reached only once the checksum has been verified.
 */
size_t
object_stream_read(ObjectStream *os, char *buf, size_t len)
{
	if (os->gz)
		return gzip_reader_read(os->gz, buf, len);
	return stream_raw_read(os, buf, len);
}

/* Release the reader (of a stream read to its end, or abandoned before). */
void
object_stream_close(ObjectStream *os)
{
	if (!os->closed)
	{
		os->closed = true;
		reader_close(os->r, false); /* before the end: may run at executor
									 * shutdown, no repair there */
	}
}
