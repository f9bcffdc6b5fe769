/*
 * catalog.c
 *		The object catalog: eoswath.objects, eoswath.sites, eoswath.policies.
 *
 * Catalog rows are the only transactional state of an object: a copy on a
 * site counts only while a committed row lists that site.  Every catalog
 * query runs as the extension's owner with a fixed search_path, so callers
 * need no privilege on the tables (they are granted functions, not tables)
 * and cannot redirect the queries with their own search_path.
 *
 * Sites are resolved (row, credentials, backend attached) once and kept for
 * the transaction, as long as the transaction changes nothing: the cache is
 * tagged with the command id current when it was built, which moves on with
 * any write of this transaction (a site added, enabled, or its credentials
 * set), and it is dropped at subtransaction abort and transaction end
 * (xact.c).  Sites changed by other transactions are seen by the next
 * transaction.
 */
#include "eoswath.h"

#include "access/genam.h"
#include "access/relation.h"
#include "access/xact.h"
#include "access/htup_details.h"
#include "access/table.h"
#include "access/xlog.h"
#include "catalog/indexing.h"
#include "catalog/namespace.h"
#include "catalog/pg_extension.h"
#include "catalog/pg_type.h"
#include "commands/extension.h"
#include "executor/spi.h"
#include "miscadmin.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/fmgroids.h"
#include "utils/guc.h"
#include "utils/lsyscache.h"
#include "utils/rel.h"
#include "storage/bufmgr.h"
#include "storage/proc.h"
#include "utils/memutils.h"
#include "utils/syscache.h"

#include "catalog.h"
#include "sites.h"

typedef struct ExtInfo
{
	Oid			extoid;
	Oid			nsp;
	Oid			owner;
	Oid			wosoid_type;
} ExtInfo;

/* Look up the installed extension: its schema, owner and our type's oid. */
static void
ext_info(ExtInfo *info)
{
	Relation	rel;
	ScanKeyData key;
	SysScanDesc scan;
	HeapTuple	tup;

	info->extoid = get_extension_oid("eoswath", true);
	if (!OidIsValid(info->extoid))
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("extension \"eoswath\" is not installed in this database")));

	rel = table_open(ExtensionRelationId, AccessShareLock);
	ScanKeyInit(&key, Anum_pg_extension_oid, BTEqualStrategyNumber, F_OIDEQ,
				ObjectIdGetDatum(info->extoid));
	scan = systable_beginscan(rel, ExtensionOidIndexId, true, NULL, 1, &key);
	tup = systable_getnext(scan);
	if (!HeapTupleIsValid(tup))
		elog(ERROR, "could not find tuple for extension %u", info->extoid);
	info->owner = ((Form_pg_extension) GETSTRUCT(tup))->extowner;
	info->nsp = ((Form_pg_extension) GETSTRUCT(tup))->extnamespace;
	systable_endscan(scan);
	table_close(rel, AccessShareLock);

	info->wosoid_type = GetSysCacheOid2(TYPENAMENSP, Anum_pg_type_oid,
										CStringGetDatum("wosoid"),
										ObjectIdGetDatum(info->nsp));
	if (!OidIsValid(info->wosoid_type))
		elog(ERROR, "type wosoid is missing from the eoswath schema");
}

/* run catalog SQL as the extension's owner, whoever calls */
typedef struct CatalogUser
{
	Oid			save_userid;
	int			save_sec_context;
} CatalogUser;

/*
 * Switch to the extension owner for catalog access.  The switch is undone by
 * restore_user(), or by transaction abort if an error intervenes.
 */
static void
become_owner(const ExtInfo *info, CatalogUser *save)
{
	GetUserIdAndSecContext(&save->save_userid, &save->save_sec_context);
	SetUserIdAndSecContext(info->owner,
						   save->save_sec_context | SECURITY_LOCAL_USERID_CHANGE);
}

/* Undo become_owner(). */
static void
restore_user(CatalogUser *save)
{
	SetUserIdAndSecContext(save->save_userid, save->save_sec_context);
}

/*
 * SPI session for catalog queries: connect, become the owner and pin
 * search_path to our schemas (undone with the GUC nest level).
 */
typedef struct CatalogSpi
{
	ExtInfo		info;			/* looked up once per query */
	CatalogUser user;
	int			gucnest;
} CatalogSpi;

static void
cat_begin(CatalogSpi *cs)
{
	char	   *path;

	ext_info(&cs->info);
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	become_owner(&cs->info, &cs->user);
	cs->gucnest = NewGUCNestLevel();
	path = psprintf("pg_catalog, %s",
					quote_identifier(get_namespace_name(cs->info.nsp)));
	(void) set_config_option("search_path", path,
							 PGC_USERSET, PGC_S_SESSION,
							 GUC_ACTION_SAVE, true, 0, false);
}

static void
cat_end(CatalogSpi *cs)
{
	AtEOXact_GUC(true, cs->gucnest);
	restore_user(&cs->user);
	SPI_finish();
}

/*
 * Hand out a new object id.  The sequence never repeats a value that was
 * made durable; flushing WAL up to the record that covers the value makes
 * sure an id a client has seen is never handed out again, even after a
 * crash in a transaction that never committed.
 *
 * That record (written by this backend now, or by any backend up to 32
 * values earlier: the sequence logs ahead) is the last one that changed the
 * sequence's page, so the page's LSN is exactly the point to flush to.  It
 * is never past what was inserted, as the current insert position can be
 * (just after a page header), which XLogFlush() refuses.
 */
WosOid
catalog_next_oid(void)
{
	CatalogSpi	cs;
	bool		isnull;
	int64		v;
	Oid			seqoid;
	Relation	seq;
	Buffer		buf;
	XLogRecPtr	lsn;

	cat_begin(&cs);
	if (SPI_execute("SELECT nextval('eoswath.oid_seq')", false, 1) != SPI_OK_SELECT ||
		SPI_processed != 1)
		elog(ERROR, "could not draw an object id");
	v = DatumGetInt64(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull));
	cat_end(&cs);

	seqoid = get_relname_relid("oid_seq", get_namespace_oid("eoswath", false));
	if (!OidIsValid(seqoid))
		elog(ERROR, "sequence eoswath.oid_seq is missing");
	seq = relation_open(seqoid, AccessShareLock);
	buf = ReadBuffer(seq, 0);
	LockBuffer(buf, BUFFER_LOCK_SHARE);
	lsn = PageGetLSN(BufferGetPage(buf));
	UnlockReleaseBuffer(buf);
	relation_close(seq, AccessShareLock);
	XLogFlush(lsn);
	return (WosOid) v;
}

/* The archive's UUIDs (text), oldest first: the first is the archive's own. */
List *
catalog_archive_ids(void)
{
	CatalogSpi	cs;
	MemoryContext caller = CurrentMemoryContext;
	List	   *ids = NIL;

	cat_begin(&cs);
	/* none before the 0.2.0 schema (CREATE EXTENSION ... VERSION '0.1.0') */
	if (!OidIsValid(get_relname_relid("archive", get_namespace_oid("eoswath", false))))
	{
		cat_end(&cs);
		return NIL;
	}
	if (SPI_execute("SELECT archive_id::text FROM eoswath.archive ORDER BY created, archive_id",
					true, 0) != SPI_OK_SELECT)
		elog(ERROR, "could not read the archive identity");
	for (uint64 i = 0; i < SPI_processed; i++)
		ids = lappend(ids, MemoryContextStrdup(caller,
											   SPI_getvalue(SPI_tuptable->vals[i], SPI_tuptable->tupdesc, 1)));
	cat_end(&cs);
	return ids;
}

/*
 * Where the default site of the instance this catalog was dumped from (or
 * upgraded from) kept its copies, if that is not where this database's
 * default site is: that directory and this one (both absolute), and who
 * owned the former.  False if there is none (no restore, or the same place).
 */
bool
catalog_former_default_site(char **dir, char **owner, char **now_dir)
{
	CatalogSpi	cs;
	MemoryContext caller = CurrentMemoryContext;
	bool		found = false;

	cat_begin(&cs);
	if (SPI_execute("SELECT CASE WHEN a.default_site LIKE '/%' THEN a.default_site"
					"            ELSE a.data_directory || '/' || a.default_site END,"
					"       format('database \"%s\" (system identifier %s)', a.database, a.system_identifier),"
					"       CASE WHEN s.location LIKE '/%' THEN s.location"
					"            ELSE current_setting('data_directory') || '/' || s.location END"
					"  FROM eoswath.archive a, eoswath.sites s"
					" WHERE s.site_id = 1 AND a.default_site IS NOT NULL"
					"   AND (a.default_site, a.data_directory) IS DISTINCT FROM"
					"       (s.location, current_setting('data_directory'))"
					" ORDER BY a.created DESC, a.archive_id LIMIT 1",
					true, 0) != SPI_OK_SELECT)
		elog(ERROR, "could not read the archive identity");
	if (SPI_processed == 1)
	{
		*dir = MemoryContextStrdup(caller, SPI_getvalue(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1));
		*owner = MemoryContextStrdup(caller, SPI_getvalue(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 2));
		*now_dir = MemoryContextStrdup(caller, SPI_getvalue(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 3));
		found = true;
	}
	cat_end(&cs);
	return found;
}

/* Move the id sequence past oid if it is not already (an adopted site's ids). */
void
catalog_oid_at_least(WosOid oid)
{
	CatalogSpi	cs;
	Oid			argtypes[1] = {INT8OID};
	Datum		values[1];

	values[0] = Int64GetDatum((int64) oid);
	cat_begin(&cs);
	if (SPI_execute_with_args("SELECT setval('eoswath.oid_seq', $1) FROM eoswath.oid_seq"
							  " WHERE last_value < $1 OR (NOT is_called AND last_value <= $1)",
							  1, argtypes, values, NULL, false, 0) != SPI_OK_SELECT)
		elog(ERROR, "could not move the object id sequence");
	cat_end(&cs);
}

/*
 * Does the catalog have block checksums (eoswath.objects.block_size)?  Not
 * while a database still runs the 0.1.0 schema with this library, until
 * ALTER EXTENSION eoswath UPDATE: its objects are then stored and read
 * with the whole-object checksum only.
 */
static bool
catalog_has_blocks(void)
{
	Oid			nsp = get_namespace_oid("eoswath", true);
	Oid			rel = OidIsValid(nsp) ? get_relname_relid("objects", nsp) : InvalidOid;

	return OidIsValid(rel) && get_attnum(rel, "block_size") != InvalidAttrNumber;
}

/* Decode a row of the objects query below. */
static ObjectRecord *
record_from_tuple(HeapTuple tup, TupleDesc desc, MemoryContext cxt)
{
	MemoryContext old = MemoryContextSwitchTo(cxt);
	ObjectRecord *rec = palloc0(sizeof(ObjectRecord));
	bool		isnull;
	Datum		d;
	char	   *state;

	rec->oid = DatumGetWosOid(SPI_getbinval(tup, desc, 1, &isnull));
	state = SPI_getvalue(tup, desc, 2);
	rec->state = (strcmp(state, "stored") == 0) ? OBJECT_STORED : OBJECT_RESERVED;
	rec->policy = SPI_getvalue(tup, desc, 3);
	d = SPI_getbinval(tup, desc, 4, &isnull);
	rec->size = isnull ? -1 : DatumGetInt64(d);
	d = SPI_getbinval(tup, desc, 5, &isnull);
	if (!isnull)
	{
		bytea	   *b = DatumGetByteaPP(d);

		if (VARSIZE_ANY_EXHDR(b) == WOS_SHA256_LEN)
			memcpy(rec->sha256, VARDATA_ANY(b), WOS_SHA256_LEN);
	}
	rec->encoding = SPI_getvalue(tup, desc, 6);
	d = SPI_getbinval(tup, desc, 7, &isnull);
	rec->meta = isnull ? NULL : DatumGetJsonbPCopy(d);
	d = SPI_getbinval(tup, desc, 8, &isnull);
	if (!isnull)
	{
		ArrayType  *arr = DatumGetArrayTypeP(d);
		Datum	   *elems;
		bool	   *nulls;

		deconstruct_array(arr, INT4OID, 4, true, TYPALIGN_INT, &elems, &nulls, &rec->nsites);
		rec->sites = palloc(sizeof(int32) * Max(rec->nsites, 1));
		for (int i = 0; i < rec->nsites; i++)
			rec->sites[i] = DatumGetInt32(elems[i]);
	}
	rec->created = DatumGetTimestampTz(SPI_getbinval(tup, desc, 9, &isnull));
	d = SPI_getbinval(tup, desc, 10, &isnull);
	rec->block_size = isnull ? 0 : DatumGetInt32(d);
	MemoryContextSwitchTo(old);
	return rec;
}

/* The catalog row of oid, or NULL; FOR UPDATE locks it. */
ObjectRecord *
catalog_lookup(WosOid oid, bool for_update)
{
	CatalogSpi	cs;
	Oid			argtypes[1];
	Datum		values[1];
	ObjectRecord *rec = NULL;
	MemoryContext caller = CurrentMemoryContext;

	values[0] = WosOidGetDatum(oid);
	cat_begin(&cs);
	argtypes[0] = cs.info.wosoid_type;
	if (SPI_execute_with_args(psprintf("SELECT oid, state, policy, size, sha256, encoding, meta, sites, created, %s"
									   "  FROM eoswath.objects WHERE oid = $1%s",
									   catalog_has_blocks() ? "block_size" : "NULL::integer",
									   for_update ? " FOR UPDATE" : ""),
							  1, argtypes, values, NULL, false, 1) != SPI_OK_SELECT)
		elog(ERROR, "could not read the object catalog");
	if (SPI_processed == 1)
		rec = record_from_tuple(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, caller);
	cat_end(&cs);
	return rec;
}

/* Like catalog_lookup, but an unknown id is an error. */
ObjectRecord *
catalog_fetch(WosOid oid, bool for_update)
{
	ObjectRecord *rec = catalog_lookup(oid, for_update);

	if (rec == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_OBJECT),
				 errmsg("object %s does not exist", wosoid_to_cstring(oid))));
	return rec;
}

static Datum
sites_array(ObjectRecord *rec)
{
	Datum	   *elems = palloc(sizeof(Datum) * Max(rec->nsites, 1));

	for (int i = 0; i < rec->nsites; i++)
		elems[i] = Int32GetDatum(rec->sites[i]);
	return PointerGetDatum(construct_array(elems, rec->nsites, INT4OID, 4, true, TYPALIGN_INT));
}

static Datum
sha_datum(ObjectRecord *rec)
{
	bytea	   *b = palloc(VARHDRSZ + WOS_SHA256_LEN);

	SET_VARSIZE(b, VARHDRSZ + WOS_SHA256_LEN);
	memcpy(VARDATA(b), rec->sha256, WOS_SHA256_LEN);
	return PointerGetDatum(b);
}

/* the block digests of a put, or NULL */
static Datum
blocks_datum(ObjectRecord *rec, char *null)
{
	int64		len = ObjectNumBlocks(rec) * WOS_SHA256_LEN;
	bytea	   *b;

	*null = 'n';
	if (rec->block_size <= 0 || rec->block_sha256 == NULL)
		return (Datum) 0;
	b = palloc(VARHDRSZ + len);
	SET_VARSIZE(b, VARHDRSZ + len);
	memcpy(VARDATA(b), rec->block_sha256, len);
	*null = ' ';
	return PointerGetDatum(b);
}

/* Insert a new catalog row (reserved or stored). */
void
catalog_insert(ObjectRecord *rec)
{
	CatalogSpi	cs;
	Oid			argtypes[10] = {InvalidOid, TEXTOID, TEXTOID, INT8OID, BYTEAOID, TEXTOID, JSONBOID, INT4ARRAYOID, INT4OID, BYTEAOID};
	Datum		values[10];
	char		nulls[10] = "          ";
	bool		stored = (rec->state == OBJECT_STORED);

	values[0] = WosOidGetDatum(rec->oid);
	values[1] = CStringGetTextDatum(stored ? "stored" : "reserved");
	values[2] = CStringGetTextDatum(rec->policy);
	values[3] = Int64GetDatum(rec->size);
	values[4] = stored ? sha_datum(rec) : (Datum) 0;
	values[5] = CStringGetTextDatum(rec->encoding ? rec->encoding : "identity");
	values[6] = rec->meta ? JsonbPGetDatum(rec->meta) : (Datum) 0;
	values[7] = sites_array(rec);
	values[9] = stored ? blocks_datum(rec, &nulls[9]) : (Datum) 0;
	values[8] = Int32GetDatum(rec->block_size);
	if (!stored || nulls[9] == 'n')
	{
		nulls[8] = 'n';
		nulls[9] = 'n';
	}
	if (!stored)
	{
		nulls[3] = 'n';
		nulls[4] = 'n';
	}
	if (rec->meta == NULL)
		nulls[6] = 'n';

	cat_begin(&cs);
	argtypes[0] = cs.info.wosoid_type;
	if (SPI_execute_with_args(catalog_has_blocks() ?
							  "INSERT INTO eoswath.objects"
							  " (oid, state, policy, size, sha256, encoding, meta, sites, stored_at,"
							  "  block_size, block_sha256)"
							  " VALUES ($1, $2, $3, $4, $5, $6, coalesce($7, '{}'), $8,"
							  "  CASE WHEN $2 = 'stored' THEN clock_timestamp() END, $9, $10)" :
							  "INSERT INTO eoswath.objects"
							  " (oid, state, policy, size, sha256, encoding, meta, sites, stored_at)"
							  " VALUES ($1, $2, $3, $4, $5, $6, coalesce($7, '{}'), $8,"
							  "  CASE WHEN $2 = 'stored' THEN clock_timestamp() END)",
							  catalog_has_blocks() ? 10 : 8, argtypes, values, nulls, false, 0) != SPI_OK_INSERT)
		elog(ERROR, "could not insert into the object catalog");
	cat_end(&cs);
}

/* Turn a reserved row (locked by the caller) into a stored one. */
void
catalog_mark_stored(ObjectRecord *rec)
{
	CatalogSpi	cs;
	Oid			argtypes[8] = {InvalidOid, INT8OID, BYTEAOID, TEXTOID, JSONBOID, INT4ARRAYOID, INT4OID, BYTEAOID};
	Datum		values[8];
	char		nulls[8] = "        ";

	values[0] = WosOidGetDatum(rec->oid);
	values[1] = Int64GetDatum(rec->size);
	values[2] = sha_datum(rec);
	values[3] = CStringGetTextDatum(rec->encoding ? rec->encoding : "identity");
	values[4] = rec->meta ? JsonbPGetDatum(rec->meta) : (Datum) 0;
	values[5] = sites_array(rec);
	values[6] = Int32GetDatum(rec->block_size);
	values[7] = blocks_datum(rec, &nulls[7]);
	if (nulls[7] == 'n')
		nulls[6] = 'n';
	if (rec->meta == NULL)
		nulls[4] = 'n';

	cat_begin(&cs);
	argtypes[0] = cs.info.wosoid_type;
	if (SPI_execute_with_args(catalog_has_blocks() ?
							  "UPDATE eoswath.objects SET state = 'stored', size = $2,"
							  " sha256 = $3, encoding = $4, meta = coalesce($5, '{}'), sites = $6,"
							  " stored_at = clock_timestamp(), block_size = $7, block_sha256 = $8"
							  " WHERE oid = $1 AND state = 'reserved'" :
							  "UPDATE eoswath.objects SET state = 'stored', size = $2,"
							  " sha256 = $3, encoding = $4, meta = coalesce($5, '{}'), sites = $6,"
							  " stored_at = clock_timestamp()"
							  " WHERE oid = $1 AND state = 'reserved'",
							  catalog_has_blocks() ? 8 : 6, argtypes, values, nulls, false, 0) != SPI_OK_UPDATE ||
		SPI_processed != 1)
		elog(ERROR, "could not update the object catalog");
	cat_end(&cs);
}

/*
 * count block digests of a stored object from block first (0-based), into
 * out.  A slice of the column is read (it is stored uncompressed), so a
 * ranged read of a huge object fetches only the digests it needs.
 */
void
catalog_block_sha256(ObjectRecord *rec, int64 first, int64 count, uint8 *out)
{
	CatalogSpi	cs;
	Oid			argtypes[3] = {InvalidOid, INT4OID, INT4OID};
	Datum		values[3];
	bool		isnull = true;
	bytea	   *b = NULL;

	Assert(first >= 0 && count > 0 && first + count <= ObjectNumBlocks(rec));
	values[0] = WosOidGetDatum(rec->oid);
	values[1] = Int32GetDatum((int32) (first * WOS_SHA256_LEN + 1));
	values[2] = Int32GetDatum((int32) (count * WOS_SHA256_LEN));
	cat_begin(&cs);
	argtypes[0] = cs.info.wosoid_type;
	if (SPI_execute_with_args("SELECT substring(block_sha256 FROM $2 FOR $3) FROM eoswath.objects"
							  " WHERE oid = $1",
							  3, argtypes, values, NULL, false, 1) != SPI_OK_SELECT)
		elog(ERROR, "could not read the block checksums of an object");
	if (SPI_processed == 1)
	{
		Datum		d = SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull);

		if (!isnull)
			b = DatumGetByteaPP(d);
	}
	if (b == NULL || VARSIZE_ANY_EXHDR(b) != count * WOS_SHA256_LEN)
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("object %s was deleted or changed during the read", wosoid_to_cstring(rec->oid))));
	memcpy(out, VARDATA_ANY(b), count * WOS_SHA256_LEN);
	cat_end(&cs);
}

/*
 * Record the block digests of an object stored without them (0.1.0), once
 * a copy has been found intact by its whole-object checksum.  False if the
 * row has them already, or is gone.
 */
bool
catalog_set_block_sha256(ObjectRecord *rec, int32 block_size, const uint8 *digests)
{
	CatalogSpi	cs;
	Oid			argtypes[5] = {InvalidOid, INT4OID, BYTEAOID, BYTEAOID, INT8OID};
	Datum		values[5];
	int64		len = ((rec->size + block_size - 1) / block_size) * WOS_SHA256_LEN;
	bytea	   *b = palloc(VARHDRSZ + len);
	bool		done;

	if (!catalog_has_blocks())
		return false;
	SET_VARSIZE(b, VARHDRSZ + len);
	memcpy(VARDATA(b), digests, len);
	values[0] = WosOidGetDatum(rec->oid);
	values[1] = Int32GetDatum(block_size);
	values[2] = PointerGetDatum(b);
	values[3] = sha_datum(rec);
	values[4] = Int64GetDatum(rec->size);
	cat_begin(&cs);
	argtypes[0] = cs.info.wosoid_type;
	if (SPI_execute_with_args("UPDATE eoswath.objects SET block_size = $2, block_sha256 = $3"
							  " WHERE oid = $1 AND state = 'stored' AND block_sha256 IS NULL"
							  " AND sha256 = $4 AND size = $5",
							  5, argtypes, values, NULL, false, 0) != SPI_OK_UPDATE)
		elog(ERROR, "could not update the object catalog");
	done = (SPI_processed == 1);
	cat_end(&cs);
	return done;
}

/* Record where an object's copies are (the caller holds the row locked). */
void
catalog_set_sites(WosOid oid, int nsites, const int32 *sites)
{
	CatalogSpi	cs;
	Oid			argtypes[2] = {InvalidOid, INT4ARRAYOID};
	Datum		values[2];
	Datum	   *elems = palloc(sizeof(Datum) * Max(nsites, 1));

	for (int i = 0; i < nsites; i++)
		elems[i] = Int32GetDatum(sites[i]);
	values[0] = WosOidGetDatum(oid);
	values[1] = PointerGetDatum(construct_array(elems, nsites, INT4OID, 4, true, TYPALIGN_INT));
	cat_begin(&cs);
	argtypes[0] = cs.info.wosoid_type;
	if (SPI_execute_with_args("UPDATE eoswath.objects SET sites = $2 WHERE oid = $1",
							  2, argtypes, values, NULL, false, 0) != SPI_OK_UPDATE ||
		SPI_processed != 1)
		elog(ERROR, "could not update the object catalog");
	cat_end(&cs);
}

/* Delete a catalog row (the caller holds it locked). */
void
catalog_delete(WosOid oid)
{
	CatalogSpi	cs;
	Oid			argtypes[1];
	Datum		values[1];

	values[0] = WosOidGetDatum(oid);
	cat_begin(&cs);
	argtypes[0] = cs.info.wosoid_type;
	if (SPI_execute_with_args("DELETE FROM eoswath.objects WHERE oid = $1",
							  1, argtypes, values, NULL, false, 0) != SPI_OK_DELETE)
		elog(ERROR, "could not delete from the object catalog");
	cat_end(&cs);
}

/* A replication policy by name; an unknown name is an error. */
Policy *
catalog_get_policy(const char *name)
{
	CatalogSpi	cs;
	Oid			argtypes[1] = {TEXTOID};
	Datum		values[1];
	MemoryContext caller = CurrentMemoryContext;
	Policy	   *p = NULL;

	values[0] = CStringGetTextDatum(name);
	cat_begin(&cs);
	if (SPI_execute_with_args("SELECT name, copies, sites FROM eoswath.policies WHERE name = $1",
							  1, argtypes, values, NULL, true, 1) != SPI_OK_SELECT)
		elog(ERROR, "could not read the policy catalog");
	if (SPI_processed == 1)
	{
		HeapTuple	tup = SPI_tuptable->vals[0];
		TupleDesc	desc = SPI_tuptable->tupdesc;
		bool		isnull;
		Datum		d;
		MemoryContext old = MemoryContextSwitchTo(caller);

		p = palloc0(sizeof(Policy));
		p->name = SPI_getvalue(tup, desc, 1);
		p->copies = DatumGetInt32(SPI_getbinval(tup, desc, 2, &isnull));
		d = SPI_getbinval(tup, desc, 3, &isnull);
		if (!isnull)
		{
			Datum	   *elems;
			bool	   *nulls;

			deconstruct_array(DatumGetArrayTypeP(d), TEXTOID, -1, false, TYPALIGN_INT,
							  &elems, &nulls, &p->nallowed);
			p->allowed = palloc(sizeof(char *) * Max(p->nallowed, 1));
			for (int i = 0; i < p->nallowed; i++)
				p->allowed[i] = TextDatumGetCString(elems[i]);
		}
		MemoryContextSwitchTo(old);
	}
	cat_end(&cs);

	if (p == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_OBJECT),
				 errmsg("replication policy \"%s\" does not exist", name),
				 errhint("See the policies in eoswath.policies, or add one with wos_policy_add().")));
	return p;
}

/* ---- sites ---- */

static List *site_cache = NIL;	/* StoreSite *, in TopTransactionContext */
static bool site_cache_valid = false;
static LocalTransactionId site_cache_lxid = InvalidLocalTransactionId;
static CommandId site_cache_cid;

static bool
str_same(const char *a, const char *b)
{
	return (a == NULL || b == NULL) ? a == b : strcmp(a, b) == 0;
}

/* Does a resolved site still match its row? */
static bool
site_same(StoreSite *s, const char *name, const char *kind, const char *location,
		  Jsonb *options, bool enabled, const char *access_key, const char *secret_key)
{
	if (!str_same(s->name, name) || !str_same(s->kind, kind) ||
		!str_same(s->location, location) || s->enabled != enabled ||
		!str_same(s->access_key, access_key) || !str_same(s->secret_key, secret_key))
		return false;
	if (s->options == NULL || options == NULL)
		return s->options == options;
	return VARSIZE(s->options) == VARSIZE(options) &&
		memcmp(s->options, options, VARSIZE(options)) == 0;
}

/*
 * Read every site with its stored credentials (one query) and resolve it.
 * A site whose row is unchanged keeps its StoreSite (and its backend's
 * state); pointers handed out earlier in the transaction stay valid.
 */
static List *
load_sites(List *old_sites)
{
	CatalogSpi	cs;
	List	   *result = NIL;

	cat_begin(&cs);
	if (SPI_execute("SELECT s.site_id, s.name, s.kind, s.location, s.options, s.enabled,"
					"       c.access_key, c.secret_key"
					"  FROM eoswath.sites s LEFT JOIN eoswath.site_credentials c USING (site_id)"
					" ORDER BY s.site_id", true, 0) != SPI_OK_SELECT)
		elog(ERROR, "could not read the site catalog");
	for (uint64 i = 0; i < SPI_processed; i++)
	{
		HeapTuple	tup = SPI_tuptable->vals[i];
		TupleDesc	desc = SPI_tuptable->tupdesc;
		bool		isnull;
		int32		id = DatumGetInt32(SPI_getbinval(tup, desc, 1, &isnull));
		char	   *name = SPI_getvalue(tup, desc, 2);
		char	   *kind = SPI_getvalue(tup, desc, 3);
		char	   *location = SPI_getvalue(tup, desc, 4);
		Datum		opts = SPI_getbinval(tup, desc, 5, &isnull);
		Jsonb	   *options = isnull ? NULL : DatumGetJsonbP(opts);
		bool		enabled = DatumGetBool(SPI_getbinval(tup, desc, 6, &isnull));
		char	   *access_key = SPI_getvalue(tup, desc, 7);
		char	   *secret_key = SPI_getvalue(tup, desc, 8);
		StoreSite  *site = NULL;
		ListCell   *lc;
		MemoryContext old;

		foreach(lc, old_sites)
		{
			StoreSite  *s = lfirst(lc);

			if (s->id == id &&
				site_same(s, name, kind, location, options, enabled, access_key, secret_key))
				site = s;
		}
		old = MemoryContextSwitchTo(TopTransactionContext);
		if (site == NULL)
			site = store_site_make(id, name, kind, location, options, enabled,
								   access_key, secret_key);
		result = lappend(result, site);
		MemoryContextSwitchTo(old);
	}
	cat_end(&cs);
	return result;
}

/*
 * Sites, in id order, with their backends attached and their stored
 * credentials: the backends get what they need from here and never read the
 * catalog themselves.  The list is the caller's; the sites in it live until
 * the transaction ends.
 */
List *
catalog_get_sites(bool enabled_only)
{
	List	   *result = NIL;
	ListCell   *lc;

	if (!site_cache_valid || site_cache_lxid != MyProc->lxid ||
		site_cache_cid != GetCurrentCommandId(false))
	{
		List	   *old_sites = site_cache_valid && site_cache_lxid == MyProc->lxid ?
			site_cache : NIL;

		site_cache_valid = false;
		site_cache = load_sites(old_sites);
		site_cache_lxid = MyProc->lxid;
		site_cache_cid = GetCurrentCommandId(false);
		site_cache_valid = true;
	}
	foreach(lc, site_cache)
	{
		StoreSite  *s = lfirst(lc);

		if (!enabled_only || s->enabled)
			result = lappend(result, s);
	}
	return result;
}

/* Drop the cache (xact.c: at subtransaction abort and transaction end). */
void
catalog_forget_sites(void)
{
	site_cache = NIL;
	site_cache_valid = false;
}

/*
 * Does a committed row list a copy of oid on site_id?  *exists says whether
 * there is a row at all.  Runs with a fresh snapshot: the sweep calls it
 * after taking the object's lock, when any writer of oid has finished.
 */
bool
catalog_object_has_copy(WosOid oid, int32 site_id, bool *exists)
{
	CatalogSpi	cs;
	Oid			argtypes[2];
	Datum		values[2];
	bool		has = false;

	argtypes[1] = INT4OID;
	values[0] = WosOidGetDatum(oid);
	values[1] = Int32GetDatum(site_id);
	*exists = false;
	cat_begin(&cs);
	argtypes[0] = cs.info.wosoid_type;
	if (SPI_execute_with_args("SELECT state = 'stored' AND $2 = ANY (sites)"
							  "  FROM eoswath.objects WHERE oid = $1",
							  2, argtypes, values, NULL, false, 1) != SPI_OK_SELECT)
		elog(ERROR, "could not read the object catalog");
	if (SPI_processed == 1)
	{
		bool		isnull;

		*exists = true;
		has = DatumGetBool(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull));
	}
	cat_end(&cs);
	return has;
}

/* Up to limit ids of stored objects after 'after', in order; returns count. */
int
catalog_next_batch(WosOid after, int limit, WosOid *out)
{
	CatalogSpi	cs;
	Oid			argtypes[2];
	Datum		values[2];
	int			n;

	argtypes[1] = INT4OID;
	values[0] = WosOidGetDatum(after);
	values[1] = Int32GetDatum(limit);
	cat_begin(&cs);
	argtypes[0] = cs.info.wosoid_type;
	if (SPI_execute_with_args("SELECT oid FROM eoswath.objects WHERE oid > $1 AND state = 'stored'"
							  " ORDER BY oid LIMIT $2",
							  2, argtypes, values, NULL, true, 0) != SPI_OK_SELECT)
		elog(ERROR, "could not read the object catalog");
	n = (int) SPI_processed;
	for (int i = 0; i < n; i++)
	{
		bool		isnull;

		out[i] = DatumGetWosOid(SPI_getbinval(SPI_tuptable->vals[i], SPI_tuptable->tupdesc, 1, &isnull));
	}
	cat_end(&cs);
	return n;
}

/* ---- the delete queue (eoswath.delete_queue) ---- */

/*
 * Queue the removal of the copy of oid on site_id, in the deleting
 * transaction: an abort drops the row, a commit makes it durable.  Returns
 * false if the schema has no queue (an install still at 0.1.0).
 */
bool
catalog_queue_delete(WosOid oid, int32 site_id)
{
	CatalogSpi	cs;
	Oid			argtypes[2];
	Datum		values[2];

	if (!OidIsValid(get_relname_relid("delete_queue", get_namespace_oid("eoswath", false))))
		return false;
	argtypes[1] = INT4OID;
	values[0] = WosOidGetDatum(oid);
	values[1] = Int32GetDatum(site_id);
	cat_begin(&cs);
	argtypes[0] = cs.info.wosoid_type;
	if (SPI_execute_with_args("INSERT INTO eoswath.delete_queue (oid, site_id) VALUES ($1, $2)",
							  2, argtypes, values, NULL, false, 0) != SPI_OK_INSERT)
		elog(ERROR, "could not queue a delete");
	cat_end(&cs);
	return true;
}

/*
 * Up to limit queued deletes after id 'after' that are due (all: also those
 * waiting for a retry), oldest first, locked (others skip them); returns the count.
 */
int
catalog_due_deletes(int64 after, int limit, bool all, int64 *ids, WosOid *oids,
					int32 *sites)
{
	CatalogSpi	cs;
	Oid			argtypes[3] = {INT4OID, BOOLOID, INT8OID};
	Datum		values[3];
	int			n;

	if (!OidIsValid(get_relname_relid("delete_queue", get_namespace_oid("eoswath", false))))
		return 0;				/* a 0.1.0 schema: no queue */
	values[0] = Int32GetDatum(limit);
	values[1] = BoolGetDatum(all);
	values[2] = Int64GetDatum(after);
	cat_begin(&cs);
	if (SPI_execute_with_args("SELECT id, oid, site_id FROM eoswath.delete_queue"
							  " WHERE id > $3 AND ($2 OR next_attempt <= now())"
							  " ORDER BY id LIMIT $1 FOR UPDATE SKIP LOCKED",
							  3, argtypes, values, NULL, false, 0) != SPI_OK_SELECT)
		elog(ERROR, "could not read the delete queue");
	n = (int) SPI_processed;
	for (int i = 0; i < n; i++)
	{
		HeapTuple	tup = SPI_tuptable->vals[i];
		TupleDesc	desc = SPI_tuptable->tupdesc;
		bool		isnull;

		ids[i] = DatumGetInt64(SPI_getbinval(tup, desc, 1, &isnull));
		oids[i] = DatumGetWosOid(SPI_getbinval(tup, desc, 2, &isnull));
		sites[i] = DatumGetInt32(SPI_getbinval(tup, desc, 3, &isnull));
	}
	cat_end(&cs);
	return n;
}

/*
 * A queued delete is done (error NULL: the row goes) or failed (the row
 * stays with the error, its next attempt after a backoff that doubles up to
 * an hour).
 */
void
catalog_delete_settled(int64 id, const char *error)
{
	CatalogSpi	cs;
	Oid			argtypes[2] = {INT8OID, TEXTOID};
	Datum		values[2];
	char		nulls[2] = "  ";

	values[0] = Int64GetDatum(id);
	if (error)
		values[1] = CStringGetTextDatum(error);
	else
		nulls[1] = 'n';
	cat_begin(&cs);
	if (SPI_execute_with_args(error == NULL ?
							  "DELETE FROM eoswath.delete_queue WHERE id = $1 AND $2 IS NULL" :
							  "UPDATE eoswath.delete_queue SET attempts = attempts + 1, last_error = $2,"
							  " next_attempt = now() + least(power(2, attempts), 3600) * interval '1 second'"
							  " WHERE id = $1",
							  2, argtypes, values, nulls, false, 0) < 0)
		elog(ERROR, "could not update the delete queue");
	cat_end(&cs);
}

/*
 * Add a site: check and prepare it (a directory must be new or empty, a
 * bucket prefix unused), then record it.  The catalog insert comes last; if
 * it fails (a duplicate name) the prepared place stays empty but for its
 * marker.  Credentials in the options ("access_key", "secret_key") are split
 * off and stored where only the extension's owner can read them.  Returns
 * the new site's id.
 */
/* Take a boolean option out of a site's options (it is not stored). */
static Jsonb *
take_flag(Jsonb *options, const char *key, bool *value)
{
	JsonbValue	k;
	JsonbValue *v;

	*value = false;
	k.type = jbvString;
	k.val.string.val = (char *) key;
	k.val.string.len = strlen(key);
	v = findJsonbValueFromContainer(&options->root, JB_FOBJECT, &k);
	if (v == NULL)
		return options;
	if (v->type != jbvBool)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("site option \"%s\" must be true or false", key)));
	*value = v->val.boolean;
	return DatumGetJsonbP(DirectFunctionCall2(jsonb_delete, JsonbPGetDatum(options),
											  CStringGetTextDatum(key)));
}

int32
catalog_add_site(const char *name, const char *kind, const char *location, Jsonb *options)
{
	CatalogSpi	cs;
	Oid			argtypes[4] = {TEXTOID, TEXTOID, TEXTOID, JSONBOID};
	Datum		values[4];
	bool		isnull;
	int32		id;
	char	   *access_key;
	char	   *secret_key;
	StoreSite  *site;

	bool		adopt;

	options = take_flag(options, "adopt", &adopt);
	options = store_take_credentials(options, &access_key, &secret_key);
	site = store_site_make(0, name, kind, location, options, true,
						   access_key, secret_key);

	/* the id first: the marker names it */
	cat_begin(&cs);
	if (SPI_execute("SELECT nextval('eoswath.sites_site_id_seq')", false, 1) != SPI_OK_SELECT)
		elog(ERROR, "could not draw a site id");
	id = DatumGetInt32(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull));
	cat_end(&cs);
	site->marker = site_marker_text(name, id);
	if (adopt)
		site_check_adoptable(site);	/* an existing site, its marker readable */
	else
		site->methods->validate(site, true);	/* new or empty; writes the marker */

	values[0] = CStringGetTextDatum(name);
	values[1] = CStringGetTextDatum(kind);
	values[2] = CStringGetTextDatum(location);
	values[3] = JsonbPGetDatum(options);
	cat_begin(&cs);
	argtypes[3] = JSONBOID;
	if (SPI_execute_with_args(psprintf("INSERT INTO eoswath.sites (site_id, name, kind, location, options)"
									   " VALUES (%d, $1, $2, $3, $4)", id),
							  4, argtypes, values, NULL, false, 0) != SPI_OK_INSERT)
		elog(ERROR, "could not insert into the site catalog");
	cat_end(&cs);
	if (access_key)
		catalog_set_credentials(id, access_key, secret_key);
	if (adopt)
	{
		site->id = id;
		site_adopt_site(site, true);
	}
	return id;
}

/*
 * Set (or with NULL keys, remove) a site's credentials.  Nothing here may
 * put a value in an error message: the values are checked by the caller and
 * the statement cannot violate a constraint that would print the row.
 */
void
catalog_set_credentials(int32 site_id, const char *access_key, const char *secret_key)
{
	CatalogSpi	cs;
	Oid			argtypes[3] = {INT4OID, TEXTOID, TEXTOID};
	Datum		values[3];

	values[0] = Int32GetDatum(site_id);
	cat_begin(&cs);
	if (access_key == NULL)
	{
		if (SPI_execute_with_args("DELETE FROM eoswath.site_credentials WHERE site_id = $1",
								  1, argtypes, values, NULL, false, 0) != SPI_OK_DELETE)
			elog(ERROR, "could not update the site credentials");
	}
	else
	{
		values[1] = CStringGetTextDatum(access_key);
		values[2] = CStringGetTextDatum(secret_key);
		if (SPI_execute_with_args("INSERT INTO eoswath.site_credentials (site_id, access_key, secret_key)"
								  " VALUES ($1, $2, $3) ON CONFLICT (site_id) DO UPDATE"
								  " SET access_key = excluded.access_key, secret_key = excluded.secret_key",
								  3, argtypes, values, NULL, false, 0) != SPI_OK_INSERT)
			elog(ERROR, "could not update the site credentials");
	}
	cat_end(&cs);
}

/* A site's new location. */
void
catalog_set_site_location(int32 site_id, const char *location)
{
	CatalogSpi	cs;
	Oid			argtypes[2] = {INT4OID, TEXTOID};
	Datum		values[2];

	values[0] = Int32GetDatum(site_id);
	values[1] = CStringGetTextDatum(location);
	cat_begin(&cs);
	if (SPI_execute_with_args("UPDATE eoswath.sites SET location = $2 WHERE site_id = $1",
							  2, argtypes, values, NULL, false, 0) != SPI_OK_UPDATE ||
		SPI_processed != 1)
		elog(ERROR, "could not update the site catalog");
	cat_end(&cs);
}

/* A site's id by name; ERROR if there is none. */
int32
catalog_site_id(const char *name)
{
	CatalogSpi	cs;
	Oid			argtypes[1] = {TEXTOID};
	Datum		values[1];
	int32		id = 0;
	bool		isnull;

	values[0] = CStringGetTextDatum(name);
	cat_begin(&cs);
	if (SPI_execute_with_args("SELECT site_id FROM eoswath.sites WHERE name = $1",
							  1, argtypes, values, NULL, true, 1) != SPI_OK_SELECT)
		elog(ERROR, "could not read the site catalog");
	if (SPI_processed == 1)
		id = DatumGetInt32(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull));
	cat_end(&cs);
	if (id == 0)
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_OBJECT),
				 errmsg("site \"%s\" does not exist", name)));
	return id;
}
