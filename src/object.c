/*
 * object.c
 *		Objects over sites.
 *
 * A put writes the same bytes to every site its policy picks, hashing them
 * once (SHA-256).  A read takes the cheapest copy whose size is right; a full
 * read checks the hash at the end, falls back to another copy if it does not
 * match, and then repairs the copies it found missing or corrupt from the
 * good one.  Sites are picked by rendezvous hashing of (object, site): the
 * same object maps to the same sites while the set of sites is unchanged,
 * and copies always land on distinct sites.
 */
#include "eoswath.h"

#include <openssl/evp.h>

#include "access/xact.h"
#include "common/hashfn.h"
#include "miscadmin.h"
#include "utils/memutils.h"
#include "utils/resowner.h"

#include "object.h"

struct ObjectWriter
{
	WosOid		oid;
	Policy	   *policy;
	List	   *sites;			/* StoreSite *, one per copy */
	void	  **handles;
	EVP_MD_CTX *md;
	int64		size;
};

struct ObjectReader
{
	ObjectRecord *rec;
	List	   *order;			/* copies to try, cheapest first */
	List	   *bad;			/* copies found missing or wrong */
	StoreSite  *site;			/* the copy being read */
	void	   *handle;
	bool		verify;
	EVP_MD_CTX *md;
	int64		pos;
};

/* Free an EVP context when the memory context holding it goes. */
static void
md_free_callback(void *arg)
{
	EVP_MD_CTX_free((EVP_MD_CTX *) arg);
}

static EVP_MD_CTX *
md_new(void)
{
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	MemoryContextCallback *cb;

	if (md == NULL || EVP_DigestInit_ex(md, EVP_sha256(), NULL) != 1)
		ereport(ERROR,
				(errcode(ERRCODE_OUT_OF_MEMORY),
				 errmsg("could not initialise a SHA-256 context")));
	cb = palloc(sizeof(MemoryContextCallback));
	cb->func = md_free_callback;
	cb->arg = md;
	MemoryContextRegisterResetCallback(CurrentMemoryContext, cb);
	return md;
}

static void
md_final(EVP_MD_CTX *md, uint8 *out)
{
	unsigned int len;

	if (EVP_DigestFinal_ex(md, out, &len) != 1 || len != WOS_SHA256_LEN)
		elog(ERROR, "SHA-256 finalisation failed");
}

char *
sha256_hex(const uint8 *digest)
{
	char	   *s = palloc(WOS_SHA256_LEN * 2 + 1);

	for (int i = 0; i < WOS_SHA256_LEN; i++)
		sprintf(s + 2 * i, "%02x", digest[i]);
	return s;
}

/* The metadata rule of WOS: a flat object of string keys and string values. */
void
check_meta(Jsonb *meta)
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
 * Pick the sites for the copies of oid: the policy's eligible enabled sites
 * in rendezvous order, skipping sites that are not available now.
 */
static List *
choose_sites(WosOid oid, Policy *policy)
{
	List	   *candidates = NIL;
	List	   *chosen = NIL;
	StringInfoData down;
	ListCell   *lc;
	int			ncandidates;

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
		if (s->methods->available(s, &why))
			chosen = lappend(chosen, s);
		else
		{
			ereport(LOG,
					(errmsg("eoswath site \"%s\" is not available: %s", s->name, why)));
			appendStringInfo(&down, "%s\"%s\" (%s)", down.len ? ", " : "", s->name, why);
		}
	}

	if (list_length(chosen) < policy->copies)
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
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

/* Start writing every copy of a new object. */
ObjectWriter *
object_write_begin(WosOid oid, Policy *policy)
{
	ObjectWriter *w = palloc0(sizeof(ObjectWriter));
	ListCell   *lc;
	int			i = 0;

	w->oid = oid;
	w->policy = policy;
	w->sites = choose_sites(oid, policy);
	w->handles = palloc0(sizeof(void *) * list_length(w->sites));
	w->md = md_new();
	foreach(lc, w->sites)
	{
		StoreSite  *s = lfirst(lc);

		/* registered first: an abort removes whatever part was written */
		pending_created(s, oid);
		w->handles[i++] = s->methods->begin_write(s, oid, -1);
	}
	return w;
}

/* Append bytes to every copy. */
void
object_write(ObjectWriter *w, const char *data, size_t len)
{
	ListCell   *lc;
	int			i = 0;

	if (len == 0)
		return;
	EVP_DigestUpdate(w->md, data, len);
	foreach(lc, w->sites)
	{
		StoreSite  *s = lfirst(lc);

		s->methods->write(w->handles[i++], data, len);
	}
	w->size += len;
}

int64
object_written(ObjectWriter *w)
{
	return w->size;
}

/* Make every copy durable and fill in the record's size, hash and sites. */
void
object_write_finish(ObjectWriter *w, ObjectRecord *rec)
{
	ListCell   *lc;
	int			i = 0;

	if (w->size == 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("cannot store an empty object"),
				 errdetail("eoswath refuses zero-length objects, as WOS does.")));
	foreach(lc, w->sites)
	{
		StoreSite  *s = lfirst(lc);

		CHECK_FOR_INTERRUPTS();
		s->methods->finish_write(w->handles[i++]);
	}
	md_final(w->md, rec->sha256);
	rec->oid = w->oid;
	rec->size = w->size;
	rec->policy = w->policy->name;
	rec->nsites = list_length(w->sites);
	rec->sites = palloc(sizeof(int32) * rec->nsites);
	i = 0;
	foreach(lc, w->sites)
		rec->sites[i++] = ((StoreSite *) lfirst(lc))->id;
}

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

const char *
copy_status_name(CopyStatus s)
{
	switch (s)
	{
		case COPY_OK:
			return "ok";
		case COPY_MISSING:
			return "missing";
		case COPY_BAD_SIZE:
			return "wrong size";
		case COPY_BAD_CHECKSUM:
			return "checksum mismatch";
		case COPY_NO_SITE:
			return "site missing";
	}
	return "unknown";
}

/* Is a copy there with the right size?  (cheap: no data is read) */
CopyStatus
object_copy_presence(ObjectRecord *rec, StoreSite *s)
{
	int64		size = -1;
	void	   *h = s->methods->open_read(s, rec->oid, &size);

	if (h == NULL)
		return COPY_MISSING;
	s->methods->close_read(h);
	return size == rec->size ? COPY_OK : COPY_BAD_SIZE;
}

/*
 * After a good read: add to 'bad' the remaining copies that are missing or
 * of the wrong size.  Corruption inside a copy that was not read is found by
 * wos_verify(), which reads every copy.
 */
static List *
check_rest(ObjectRecord *rec, List *rest, List *bad)
{
	ListCell   *lc;

	foreach(lc, rest)
	{
		StoreSite  *s = lfirst(lc);
		CopyStatus	st = object_copy_presence(rec, s);

		if (st != COPY_OK)
		{
			ereport(LOG,
					(errmsg("eoswath object %s: copy on site \"%s\": %s",
							wosoid_to_cstring(rec->oid), s->name, copy_status_name(st))));
			bad = lappend(bad, s);
		}
	}
	return bad;
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
			{
				EVP_DigestInit_ex(r->md, EVP_sha256(), NULL);
			}
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

static void
no_good_copy(ObjectRecord *rec)
{
	ereport(ERROR,
			(errcode(ERRCODE_DATA_CORRUPTED),
			 errmsg("no intact copy of object %s is available", wosoid_to_cstring(rec->oid)),
			 errdetail("All %d recorded copies are missing, unreadable or corrupt.", rec->nsites),
			 errhint("Check the sites' disks, then run wos_verify() on the object.")));
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
		r->md = md_new();
	if (!reader_next_copy(r))
		no_good_copy(rec);
	return r;
}

StoreSite *
object_reader_site(ObjectReader *r)
{
	return r->site;
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
		EVP_DigestUpdate(r->md, buf, n);
		if (r->pos == r->rec->size)
		{
			uint8		digest[WOS_SHA256_LEN];

			md_final(r->md, digest);
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

void
object_close(ObjectReader *r)
{
	if (r->handle)
		r->site->methods->close_read(r->handle);
	r->handle = NULL;
	if (r->verify && r->pos == r->rec->size)
	{
		r->bad = check_rest(r->rec, r->order, r->bad);
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
	EVP_MD_CTX *md;
	uint8		digest[WOS_SHA256_LEN];
	int64		pos = 0;

	if (h == NULL)
		return COPY_MISSING;
	if (size != rec->size)
	{
		s->methods->close_read(h);
		return COPY_BAD_SIZE;
	}
	md = md_new();
	while (pos < size)
	{
		size_t		want = Min((int64) eoswath_io_block_size, size - pos);
		size_t		n;

		CHECK_FOR_INTERRUPTS();
		n = s->methods->read(h, buf + pos, want, pos);
		if (n == 0)
			break;
		EVP_DigestUpdate(md, buf + pos, n);
		pos += n;
	}
	s->methods->close_read(h);
	if (pos != size)
		return COPY_BAD_SIZE;
	md_final(md, digest);
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
			bad = check_rest(rec, list_copy_tail(order, foreach_current_index(lc) + 1), bad);
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

/* Check one copy: present, right size, right hash. */
CopyStatus
object_check_copy(ObjectRecord *rec, StoreSite *s)
{
	int64		size = -1;
	void	   *h = s->methods->open_read(s, rec->oid, &size);
	char	   *buf;
	EVP_MD_CTX *md;
	uint8		digest[WOS_SHA256_LEN];
	int64		pos = 0;
	MemoryContext cxt,
				old;
	CopyStatus	result;

	if (h == NULL)
		return COPY_MISSING;
	if (size != rec->size)
	{
		s->methods->close_read(h);
		return COPY_BAD_SIZE;
	}
	cxt = AllocSetContextCreate(CurrentMemoryContext, "eoswath check", ALLOCSET_DEFAULT_SIZES);
	old = MemoryContextSwitchTo(cxt);
	buf = palloc(eoswath_io_block_size);
	md = md_new();
	while (pos < size)
	{
		size_t		n;

		CHECK_FOR_INTERRUPTS();
		n = s->methods->read(h, buf, Min((int64) eoswath_io_block_size, size - pos), pos);
		if (n == 0)
			break;
		EVP_DigestUpdate(md, buf, n);
		pos += n;
	}
	s->methods->close_read(h);
	if (pos != size)
		result = COPY_BAD_SIZE;
	else
	{
		md_final(md, digest);
		result = memcmp(digest, rec->sha256, WOS_SHA256_LEN) == 0 ? COPY_OK : COPY_BAD_CHECKSUM;
	}
	MemoryContextSwitchTo(old);
	MemoryContextDelete(cxt);
	return result;
}

/* Copy from one site to the others, verifying what is copied. */
static void
repair_copy(ObjectRecord *rec, StoreSite *from, List *to)
{
	int64		size = -1;
	void	   *h = from->methods->open_read(from, rec->oid, &size);
	void	  **handles;
	char	   *buf;
	EVP_MD_CTX *md = md_new();
	uint8		digest[WOS_SHA256_LEN];
	int64		pos = 0;
	ListCell   *lc;
	int			i = 0;

	if (h == NULL || size != rec->size)
		elog(ERROR, "source copy vanished during repair");
	handles = palloc0(sizeof(void *) * list_length(to));
	foreach(lc, to)
	{
		StoreSite  *s = lfirst(lc);

		handles[i++] = s->methods->begin_write(s, rec->oid, size);
	}
	buf = palloc(eoswath_io_block_size);
	PG_TRY();
	{
		while (pos < size)
		{
			size_t		n;

			CHECK_FOR_INTERRUPTS();
			n = from->methods->read(h, buf, Min((int64) eoswath_io_block_size, size - pos), pos);
			if (n == 0)
				elog(ERROR, "source copy ended early during repair");
			EVP_DigestUpdate(md, buf, n);
			i = 0;
			foreach(lc, to)
			{
				StoreSite  *s = lfirst(lc);

				s->methods->write(handles[i++], buf, n);
			}
			pos += n;
		}
		md_final(md, digest);
		if (memcmp(digest, rec->sha256, WOS_SHA256_LEN) != 0)
			ereport(ERROR,
					(errcode(ERRCODE_DATA_CORRUPTED),
					 errmsg("source copy on site \"%s\" changed during repair", from->name)));
		i = 0;
		foreach(lc, to)
		{
			StoreSite  *s = lfirst(lc);

			s->methods->finish_write(handles[i++]);
		}
	}
	PG_CATCH();
	{
		i = 0;
		foreach(lc, to)
		{
			StoreSite  *s = lfirst(lc);

			if (handles[i])
				s->methods->abort_write(handles[i]);
			i++;
		}
		PG_RE_THROW();
	}
	PG_END_TRY();
	from->methods->close_read(h);
}

/*
 * Rewrite the copies on the sites in 'to' from the intact copy on 'from'.
 * A repair writes committed bytes back, so it is not undone by a rollback.
 * It runs in a subtransaction: a failure (a full disk, a site that is down)
 * is reported as a WARNING and does not fail the read that triggered it.
 * Returns true if every copy was rewritten.
 */
bool
object_repair(ObjectRecord *rec, StoreSite *from, List *to)
{
	MemoryContext oldcxt = CurrentMemoryContext;
	ResourceOwner oldowner = CurrentResourceOwner;
	volatile bool ok = true;

	if (to == NIL)
		return true;
	/* someone else is writing, deleting or sweeping it: leave it to them */
	if (!object_lock(rec->oid, true))
		return false;

	BeginInternalSubTransaction(NULL);
	MemoryContextSwitchTo(oldcxt);
	PG_TRY();
	{
		repair_copy(rec, from, to);
		ReleaseCurrentSubTransaction();
		MemoryContextSwitchTo(oldcxt);
		CurrentResourceOwner = oldowner;
	}
	PG_CATCH();
	{
		ErrorData  *edata;

		MemoryContextSwitchTo(oldcxt);
		edata = CopyErrorData();
		FlushErrorState();
		RollbackAndReleaseCurrentSubTransaction();
		MemoryContextSwitchTo(oldcxt);
		CurrentResourceOwner = oldowner;
		ereport(WARNING,
				(errcode(edata->sqlerrcode),
				 errmsg("could not repair object %s: %s",
						wosoid_to_cstring(rec->oid), edata->message)));
		FreeErrorData(edata);
		ok = false;
	}
	PG_END_TRY();

	if (ok)
	{
		ListCell   *lc;

		foreach(lc, to)
			ereport(LOG,
					(errmsg("eoswath object %s: repaired copy on site \"%s\" from site \"%s\"",
							wosoid_to_cstring(rec->oid), ((StoreSite *) lfirst(lc))->name,
							from->name)));
	}
	return ok;
}
