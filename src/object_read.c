/*
 * object_read.c
 *		Reading objects from their copies.
 *
 * A read takes the cheapest copy whose size is right.  A whole read
 * (object_read_all) checks the hash at the end, falls back to another copy
 * if it does not match, and then repairs the copies it found missing or
 * corrupt from the good one.  A read in order (object_stream_*) hashes as
 * it goes and checks at the end, where a mismatch is an error: the bytes
 * already returned cannot be taken back.  Ranged reads are not verified:
 * only the whole object has a hash.
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
 * A copy missing from the default site of a restored (or upgraded)
 * database may still be in the default site directory of the instance the
 * catalog came from: name both directories.  NULL if that is not the case.
 */
static char *
former_default_hint(ObjectRecord *rec)
{
	char	   *dir;
	char	   *owner;
	ListCell   *lc;

	for (int i = 0; i < rec->nsites; i++)
	{
		if (rec->sites[i] != 1)
			continue;
		if (!catalog_former_default_site(&dir, &owner))
			return NULL;
		foreach(lc, catalog_get_sites(false))
		{
			StoreSite  *s = lfirst(lc);

			if (s->id == 1)
				return psprintf("This catalog came from %s, whose default site was \"%s\". "
								"Copy what that directory holds, except its marker file .eoswath-site, into \"%s\", then run wos_verify().",
								owner, dir,
								s->location[0] == '/' ? s->location : psprintf("%s/%s", DataDir, s->location));
		}
	}
	return NULL;
}

static void
no_good_copy(ObjectRecord *rec)
{
	char	   *hint;

	if (RecoveryInProgress())
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("no copy of object %s is reachable from this standby", wosoid_to_cstring(rec->oid)),
				 errdetail("Its %d recorded copies are missing here.", rec->nsites),
				 errhint("A standby reads copies on sites both servers reach (a shared directory, S3); sites inside the primary's data directory, such as the default site, hold here only what the base backup copied.")));
	hint = former_default_hint(rec);
	ereport(ERROR,
			(errcode(ERRCODE_DATA_CORRUPTED),
			 errmsg("no intact copy of object %s is available", wosoid_to_cstring(rec->oid)),
			 errdetail("All %d recorded copies are missing, unreadable or corrupt.", rec->nsites),
			 errhint("%s", hint ? hint : "Check the sites' disks, then run wos_verify() on the object.")));
}

/* Open an object for reading.  verify: hash sequential reads. */
ObjectReader *
object_open(ObjectRecord *rec, bool verify)
{
	ObjectReader *r = palloc0(sizeof(ObjectReader));

	object_require_stored(rec);
	r->rec = rec;
	r->order = object_sites(rec);
	r->verify = verify;
	if (verify)
		r->md = sha256_begin();
	if (!reader_next_copy(r))
		no_good_copy(rec);
	return r;
}

/* Read a byte range (no verification: only the whole object has a hash). */
size_t
object_pread(ObjectReader *r, char *buf, size_t len, int64 offset)
{
	if (offset >= r->rec->size)
		return 0;
	len = Min((int64) len, r->rec->size - offset);
	return r->site->methods->read(r->handle, buf, len, offset);
}

/*
 * Read the next bytes in order.  At the end of a verified read the hash must
 * match: otherwise the data already returned cannot be trusted, so this is
 * an error (whole-object reads retry another copy instead, see below).
 */
size_t
object_read(ObjectReader *r, char *buf, size_t len)
{
	size_t		n = object_pread(r, buf, len, r->pos);

	if (n == 0 && r->pos < r->rec->size)
		ereport(ERROR,
				(errcode(ERRCODE_DATA_CORRUPTED),
				 errmsg("copy of object %s on site \"%s\" ended early",
						wosoid_to_cstring(r->rec->oid), r->site->name)));
	r->pos += n;
	if (r->verify)
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

/* Close the copy; after a verified read to the end, repair what was bad. */
void
object_close(ObjectReader *r)
{
	if (r->handle)
		r->site->methods->close_read(r->handle);
	r->handle = NULL;
	if (r->verify && r->pos == r->rec->size)
	{
		r->bad = object_check_rest(r->rec, r->order, r->bad);
		if (r->bad != NIL)
			(void) object_repair(r->rec, r->site, r->bad);
	}
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
	result = palloc(VARHDRSZ + rec->size);
	SET_VARSIZE(result, VARHDRSZ + rec->size);

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
	no_good_copy(rec);
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
			/* object_read() has verified the checksum; repair if needed */
			os->closed = true;
			object_close(os->r);
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
		object_close(os->r);	/* before the end: just closes the copy */
	}
}
