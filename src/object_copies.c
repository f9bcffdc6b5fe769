/*
 * object_copies.c
 *		The copies of an object: checking them, repairing them from an intact
 *		one, verifying every object (wos_verify) and sweeping what no
 *		committed row owns (wos_sweep).
 */
#include "eoswath.h"

#include "access/xact.h"
#include "access/xlog.h"
#include "miscadmin.h"
#include "utils/memutils.h"

#include "object.h"
#include "sites.h"
#include "xact.h"

#define VERIFY_BATCH	256

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
		case COPY_UNREACHABLE:
			return "unreachable";
	}
	return "unknown";
}

/*
 * Open a copy for reading if it is there with the right size: COPY_OK and
 * the handle in *h, or COPY_MISSING / COPY_BAD_SIZE and nothing left open.
 */
CopyStatus
object_open_copy(ObjectRecord *rec, StoreSite *s, void **h)
{
	int64		size = -1;

	*h = s->methods->open_read(s, rec->oid, &size);
	if (*h == NULL)
		return COPY_MISSING;
	if (size != rec->size)
	{
		s->methods->close_read(*h);
		*h = NULL;
		return COPY_BAD_SIZE;
	}
	return COPY_OK;
}

/* Is a copy there with the right size?  (cheap: no data is read) */
CopyStatus
object_copy_presence(ObjectRecord *rec, StoreSite *s)
{
	void	   *h;
	CopyStatus	st = object_open_copy(rec, s, &h);

	if (st == COPY_OK)
		s->methods->close_read(h);
	return st;
}

/*
 * After a good read: add to 'bad' the remaining copies that are missing or
 * of the wrong size.  Corruption inside a copy that was not read is found by
 * wos_verify(), which reads every copy.
 */
List *
object_check_rest(ObjectRecord *rec, List *rest, List *bad)
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

/* Check one copy: present, right size, right hash (of every block, if it has them). */
CopyStatus
object_check_copy(ObjectRecord *rec, StoreSite *s)
{
	void	   *h;
	char	   *buf;
	Sha256Ctx  *md;
	uint8		digest[WOS_SHA256_LEN];
	int64		pos = 0;
	MemoryContext cxt,
				old;
	CopyStatus	result;

	if (rec->block_size > 0)
		return object_check_copy_blocks(rec, s);
	result = object_open_copy(rec, s, &h);
	if (result != COPY_OK)
		return result;
	cxt = AllocSetContextCreate(CurrentMemoryContext, "eoswath check", ALLOCSET_DEFAULT_SIZES);
	old = MemoryContextSwitchTo(cxt);
	buf = eoswath_alloc_big(CurrentMemoryContext, eoswath_io_block_size);
	md = sha256_begin();
	while (pos < rec->size)
	{
		size_t		n;

		CHECK_FOR_INTERRUPTS();
		n = s->methods->read(h, buf, Min((int64) eoswath_io_block_size, rec->size - pos), pos);
		if (n == 0)
			break;
		sha256_update(md, buf, n);
		pos += n;
	}
	s->methods->close_read(h);
	if (pos != rec->size)
		result = COPY_BAD_SIZE;
	else
	{
		sha256_final(md, digest);
		result = memcmp(digest, rec->sha256, WOS_SHA256_LEN) == 0 ? COPY_OK : COPY_BAD_CHECKSUM;
	}
	MemoryContextSwitchTo(old);
	MemoryContextDelete(cxt);
	return result;
}

/*
 * Write copies of rec on the sites of 'to' from its copy on 'from',
 * verifying the bytes against the object's SHA-256 as they go (with block
 * checksums: block by block, a bad block of 'from' taken from another
 * copy, so that nothing unverified is written); durable when
 * this returns.  created: register each new copy with xact.c first, so that
 * an abort removes it (moving copies); otherwise (a repair, which writes back
 * committed bytes) the partial copies are aborted on error here.  what: the
 * operation, for messages.
 */
static void
copy_out_of_space(ObjectRecord *rec, StoreSite *to, const char *what)
{
	ereport(ERROR,
			(errcode(ERRCODE_DISK_FULL),
			 errmsg("site \"%s\" ran out of space during the %s of object %s",
					to->name, what, wosoid_to_cstring(rec->oid))));
}

static bool
site_listed(List *sites, StoreSite *s)
{
	ListCell   *lc;

	foreach(lc, sites)
		if (((StoreSite *) lfirst(lc))->id == s->id)
			return true;
	return false;
}

/*
 * The bytes of an object with block checksums, for object_copy_between:
 * every block verified, from 'from' or, where its block is bad, from
 * another copy: first those not being written, then those being rewritten
 * (a copy bad in one block still holds the others; the new bytes replace
 * it only once whole, at finish_write).  So copies each bad in a different
 * block are all repaired.
 */
static void
copy_blocks(ObjectRecord *rec, StoreSite *from, List *to, void **handles,
			const char *what)
{
	List	   *sources = list_make1(from);
	List	   *rewritten = NIL;
	BlockReader *br;
	char	   *buf = palloc(rec->block_size);
	ListCell   *lc;

	foreach(lc, object_sites(rec))
	{
		StoreSite  *s = lfirst(lc);

		if (s->id == from->id)
			continue;
		if (site_listed(to, s))
			rewritten = lappend(rewritten, s);
		else
			sources = lappend(sources, s);
	}
	sources = list_concat(sources, rewritten);
	br = blocks_open(rec, sources);
	for (int64 k = 0; k < ObjectNumBlocks(rec); k++)
	{
		size_t		n = blocks_read(br, k, buf);
		int			i = 0;

		foreach(lc, to)
		{
			StoreSite  *s = lfirst(lc);

			if (!s->methods->write(handles[i++], buf, n))
				copy_out_of_space(rec, s, what);
		}
	}
	/* bad copies among the sources are left to wos_verify() (logged) */
	(void) blocks_close(br, false);
	pfree(buf);
}

void
object_copy_between(ObjectRecord *rec, StoreSite *from, List *to, bool created,
					const char *what)
{
	int64		size = -1;
	/* with block checksums, read block by block: see copy_blocks() */
	void	   *h = rec->block_size > 0 ? NULL :
		from->methods->open_read(from, rec->oid, &size);
	void	  **handles;
	char	   *buf;
	Sha256Ctx  *md = sha256_begin();
	uint8		digest[WOS_SHA256_LEN];
	int64		pos = 0;
	ListCell   *lc;
	int			i = 0;

	if (rec->block_size > 0)
		size = rec->size;
	if ((h == NULL && rec->block_size == 0) || size != rec->size)
		ereport(ERROR,
				(errcode(ERRCODE_DATA_CORRUPTED),
				 errmsg("copy of object %s on site \"%s\" vanished during the %s",
						wosoid_to_cstring(rec->oid), from->name, what)));
	handles = palloc0(sizeof(void *) * list_length(to));
	foreach(lc, to)
	{
		StoreSite  *s = lfirst(lc);

		if (created)
			xact_copy_created(s, rec->oid);
		handles[i++] = s->methods->begin_write(s, rec->oid, size);
	}
	buf = eoswath_alloc_big(CurrentMemoryContext, eoswath_io_block_size);
	PG_TRY();
	{
		if (rec->block_size > 0)
			copy_blocks(rec, from, to, handles, what);
		while (h != NULL && pos < size)
		{
			size_t		n;

			CHECK_FOR_INTERRUPTS();
			n = from->methods->read(h, buf, Min((int64) eoswath_io_block_size, size - pos), pos);
			if (n == 0)
				ereport(ERROR,
						(errcode(ERRCODE_DATA_CORRUPTED),
						 errmsg("copy of object %s on site \"%s\" ended early during the %s",
								wosoid_to_cstring(rec->oid), from->name, what)));
			sha256_update(md, buf, n);
			i = 0;
			foreach(lc, to)
			{
				StoreSite  *s = lfirst(lc);

				if (!s->methods->write(handles[i++], buf, n))
					copy_out_of_space(rec, s, what);
			}
			pos += n;
		}
		if (h != NULL)
			sha256_final(md, digest);
		if (h != NULL && memcmp(digest, rec->sha256, WOS_SHA256_LEN) != 0)
			ereport(ERROR,
					(errcode(ERRCODE_DATA_CORRUPTED),
					 errmsg("checksum mismatch in copy of object %s on site \"%s\" read for the %s",
							wosoid_to_cstring(rec->oid), from->name, what),
					 errhint("Run wos_verify() on the object.")));
		i = 0;
		foreach(lc, to)
		{
			StoreSite  *s = lfirst(lc);

			CHECK_FOR_INTERRUPTS();
			if (!s->methods->finish_write(handles[i++]))
				copy_out_of_space(rec, s, what);
		}
	}
	PG_CATCH();
	{
		/* registered copies go at abort (xact.c); the others now */
		if (!created)
		{
			i = 0;
			foreach(lc, to)
			{
				StoreSite  *s = lfirst(lc);

				if (handles[i])
					s->methods->abort_write(handles[i]);
				i++;
			}
		}
		PG_RE_THROW();
	}
	PG_END_TRY();
	if (h != NULL)
		from->methods->close_read(h);
}

/*
 * Errors that must reach the caller even from a repair: a query cancel or
 * statement_timeout (57014) and a shutdown must stop the statement, not
 * become a WARNING that lets it go on.
 */
static bool
error_is_interrupt(int sqlerrcode)
{
	return sqlerrcode == ERRCODE_QUERY_CANCELED ||
		sqlerrcode == ERRCODE_ADMIN_SHUTDOWN ||
		sqlerrcode == ERRCODE_CRASH_SHUTDOWN;
}

/*
 * Rewrite the copies on the sites in 'to' from the intact copy on 'from'.
 * A repair writes committed bytes back, so it is not undone by a rollback.
 * It runs in a subtransaction: a failure (a full disk, a site that is down)
 * is reported as a WARNING and does not fail the read that triggered it;
 * a cancel or shutdown is re-raised.  Returns true if every copy was
 * rewritten.
 */
/* the sites of 'to' this database may write into now; LOG for the others */
static pg_noinline List *
writable_targets(ObjectRecord *rec, List *to)
{
	List	   *mine = NIL;
	ListCell   *lc;

	foreach(lc, to)
	{
		StoreSite  *s = lfirst(lc);
		char	   *why = NULL;

		if (s->methods->available(s, &why) && site_writable(s, &why))
			mine = lappend(mine, s);
		else
			ereport(LOG,
					(errmsg("eoswath object %s: copy on site \"%s\" not repaired: %s",
							wosoid_to_cstring(rec->oid), s->name, why)));
	}
	return mine;
}

typedef struct RepairArgs
{
	ObjectRecord *rec;
	StoreSite  *from;
	List	   *to;
} RepairArgs;

static void
repair_copies(void *arg)
{
	RepairArgs *r = arg;

	object_copy_between(r->rec, r->from, r->to, false, "repair");
}

bool
object_repair(ObjectRecord *rec, StoreSite *from, List *bad)
{
	RepairArgs	r = {rec, from, NIL};
	ErrorData  *edata;
	ListCell   *lc;

	if (bad == NIL)
		return true;
	/* a standby or a read-only transaction only reads */
	if (RecoveryInProgress() || XactReadOnly)
	{
		ereport(LOG,
				(errmsg("eoswath object %s: %d bad copies not repaired in a read-only transaction",
						wosoid_to_cstring(rec->oid), list_length(bad))));
		return false;
	}
	/* never into a site that is not this database's */
	r.to = writable_targets(rec, bad);
	if (r.to == NIL)
		return false;
	/* someone else is writing, deleting or sweeping it: leave it to them */
	if (!object_lock(rec->oid, true))
		return false;

	edata = xact_try(repair_copies, &r);
	if (edata != NULL)
	{
		if (error_is_interrupt(edata->sqlerrcode))
			ReThrowError(edata);
		ereport(WARNING,
				(errcode(edata->sqlerrcode),
				 errmsg("could not repair object %s: %s",
						wosoid_to_cstring(rec->oid), edata->message)));
		FreeErrorData(edata);
		return false;
	}
	foreach(lc, r.to)
		ereport(LOG,
				(errmsg("eoswath object %s: repaired copy on site \"%s\" from site \"%s\"",
						wosoid_to_cstring(rec->oid), ((StoreSite *) lfirst(lc))->name,
						from->name)));
	return true;
}

/* ---- wos_verify ---- */

/* Check every copy of one object; repair bad copies from a good one. */
static void
verify_object(ObjectRecord *rec, bool repair, bool report_ok,
			  verify_report report, void *arg)
{
	List	   *sites;
	List	   *bad = NIL;
	CopyStatus *status;
	StoreSite  *good = NULL;
	ListCell   *lc;
	int			i = 0;
	bool		repaired = false;

	sites = object_sites(rec);
	status = palloc(sizeof(CopyStatus) * Max(list_length(sites), 1));
	foreach(lc, sites)
	{
		StoreSite  *s = lfirst(lc);

		/* a repairing verify gives block checksums to an object without */
		status[i] = repair ? object_blocks_fill(rec, s) : object_check_copy(rec, s);
		/* a copy not found on a site that is down is not known to be lost */
		if (status[i] == COPY_MISSING && !s->methods->available(s, NULL))
			status[i] = COPY_UNREACHABLE;
		if (status[i] == COPY_OK && good == NULL)
			good = s;
		else if (status[i] != COPY_OK)
			bad = lappend(bad, s);
		i++;
	}
	/*
	 * With block checksums, copies each bad in other blocks together still
	 * hold the object: repair them all from the first that can be read.
	 */
	if (good == NULL && rec->block_size > 0)
	{
		StoreSite  *readable = NULL;

		i = 0;
		foreach(lc, sites)
		{
			if (status[i++] == COPY_BAD_CHECKSUM)
			{
				readable = lfirst(lc);
				break;
			}
		}
		if (readable != NULL && repair)
		{
			repaired = object_repair(rec, readable, bad);
			if (repaired)
				good = readable;
			/* else some block is intact nowhere: unrecoverable */
		}
		else
			good = readable;	/* without repair: "needs repair" */
	}
	else if (bad != NIL && good != NULL && repair)
		repaired = object_repair(rec, good, bad);

	i = 0;
	foreach(lc, sites)
	{
		StoreSite  *s = lfirst(lc);
		const char *action;

		if (status[i] == COPY_OK)
			action = "none";
		else if (good == NULL)
			action = "unrecoverable";
		else if (!repair)
			action = "needs repair";
		else
			action = repaired ? "repaired" : "repair failed";
		if (status[i] != COPY_OK || report_ok)
			report(arg, rec->oid, s->name, copy_status_name(status[i]), action);
		i++;
	}
	/* a recorded site that no longer exists in eoswath.sites */
	if (list_length(sites) < rec->nsites)
		report(arg, rec->oid, "?", copy_status_name(COPY_NO_SITE), "none");
}

/* Verify one object (an unknown id is an error): a report per copy. */
void
object_verify(WosOid oid, bool repair, bool report_ok, verify_report report, void *arg)
{
	ObjectRecord *rec = catalog_fetch(oid, false);

	if (rec->state == OBJECT_STORED)
		verify_object(rec, repair, report_ok, report, arg);
}

/* Verify every stored object, in batches: a report per copy that is not intact. */
void
object_verify_all(bool repair, verify_report report, void *arg)
{
	MemoryContext loop_cxt;
	WosOid		batch[VERIFY_BATCH];
	WosOid		after = InvalidWosOid;
	int			n;

	loop_cxt = AllocSetContextCreate(CurrentMemoryContext, "eoswath verify",
									 ALLOCSET_DEFAULT_SIZES);
	do
	{
		MemoryContext old = MemoryContextSwitchTo(loop_cxt);

		n = catalog_next_batch(after, VERIFY_BATCH, batch);
		for (int i = 0; i < n; i++)
		{
			ObjectRecord *rec;

			CHECK_FOR_INTERRUPTS();
			rec = catalog_lookup(batch[i], false);
			/* deleted meanwhile, or only reserved */
			if (rec != NULL && rec->state == OBJECT_STORED)
				verify_object(rec, repair, false, report, arg);
		}
		if (n > 0)
			after = batch[n - 1];
		MemoryContextSwitchTo(old);
		MemoryContextReset(loop_cxt);
	} while (n == VERIFY_BATCH);
	MemoryContextDelete(loop_cxt);
}

/* ---- wos_sweep ---- */

typedef struct SweepState
{
	bool		dry_run;
	sweep_report report;
	void	   *arg;
	MemoryContext entry_cxt;	/* reset after every entry */
} SweepState;

/*
 * One entry found on a site.  Taking the object's lock first means no
 * transaction that writes, deletes or repairs the object is in progress; the
 * catalog check that follows uses a snapshot taken after the lock, so it sees
 * the outcome of every such transaction.
 */
static void
sweep_entry(StoreSite *site, WosOid oid, const char *name, bool is_temp, void *arg)
{
	SweepState *st = arg;
	MemoryContext old;
	const char *reason;
	bool		exists;

	if (!object_lock(oid, true))
		return;					/* busy: a live transaction owns it */
	old = MemoryContextSwitchTo(st->entry_cxt);
	if (is_temp)
		reason = "partial write";
	else if (catalog_object_has_copy(oid, site->id, &exists))
		reason = NULL;			/* a committed copy: keep */
	else
		reason = exists ? "not a copy of the object" : "no committed object";

	if (reason != NULL)
	{
		if (!st->dry_run)
			(void) site->methods->remove_entry(site, name);
		st->report(st->arg, site, name, oid,
				   psprintf("%s: %s", st->dry_run ? "would remove" : "removed", reason));
	}
	object_unlock(oid);
	MemoryContextSwitchTo(old);
	MemoryContextReset(st->entry_cxt);
}

/*
 * Remove from every available site what no committed row owns: partial
 * writes and copies of objects that were rolled back or deleted.  The
 * caller's transaction must see transactions that commit meanwhile.
 */
void
object_sweep(bool dry_run, sweep_report report, void *arg)
{
	SweepState	st;
	ListCell   *lc;

	if (IsolationUsesXactSnapshot())
		ereport(ERROR,
				(errcode(ERRCODE_ACTIVE_SQL_TRANSACTION),
				 errmsg("wos_sweep() must run in a READ COMMITTED transaction"),
				 errdetail("It must see transactions that commit while it runs.")));
	st.dry_run = dry_run;
	st.report = report;
	st.arg = arg;
	st.entry_cxt = AllocSetContextCreate(CurrentMemoryContext, "eoswath sweep entry",
										 ALLOCSET_SMALL_SIZES);
	foreach(lc, catalog_get_sites(false))
	{
		StoreSite  *s = lfirst(lc);
		char	   *why;

		if (!s->methods->available(s, &why))
		{
			ereport(WARNING,
					(errmsg("skipping site \"%s\": %s", s->name, why)));
			continue;
		}
		if (!site_writable(s, &why))
		{
			ereport(WARNING,
					(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
					 errmsg("skipping site \"%s\": %s", s->name, why),
					 errhint("Only the site's owner sweeps it; wos_site_adopt() takes a site over.")));
			continue;
		}
		s->methods->list(s, sweep_entry, &st);
	}
	MemoryContextDelete(st.entry_cxt);
}
